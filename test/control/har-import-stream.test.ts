// Streamed HAR import: entries cut out of any chunking, the same refusals as a whole parse, duplicates, the log's cap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildHar } from '../../main/control/har/export.ts';
import { EntryScanner, importHarStream } from '../../main/control/har/import-stream.ts';
import { SessionLog } from '../../main/engine/log/store.ts';
import { httpRecord, textFrame, wsRecord } from '../helpers/records.ts';

/** Feed `text` in pieces of the given sizes (cycled) and collect the entries' JSON. */
function scan(text: string, sizes: number[]): unknown[] {
  const out: unknown[] = [];
  const s = new EntryScanner((json) => out.push(JSON.parse(json)));
  for (let at = 0, k = 0; at < text.length; k++) {
    const n = sizes[k % sizes.length]!;
    s.write(text.slice(at, at + n));
    at += n;
  }
  s.end();
  return out;
}

async function* bytes(text: string, size: number): AsyncGenerator<Buffer> {
  const buf = Buffer.from(text);
  for (let at = 0; at < buf.length; at += size) yield buf.subarray(at, at + size);
}

describe('HAR entry scanner', () => {
  it('cuts out the same entries as JSON.parse, whatever the chunking', () => {
    const entries = [
      { a: 'quote " and backslash \\ and \\" both', entries: [1, 2], log: { entries: [] } },
      { b: '}]{["', n: -1.5e3, t: true, z: null, u: 'snowman ☃ and \u0000 \n' },
      { c: [{ d: [{}] }], '\\"key': 'v' },
    ];
    const doc = JSON.stringify({
      'lo\\g': 1,
      log: { version: '1.2', creator: { name: 'x', entries: [9] }, pages: [{ entries: [] }], entries, comment: '{' },
    });
    for (const sizes of [[doc.length], [1], [2, 3, 5, 7], [64]])
      assert.deepEqual(scan(doc, sizes), entries, `${sizes}`);
    // Pretty-printed too.
    assert.deepEqual(scan(JSON.stringify({ log: { entries } }, null, 2), [3]), entries);
  });

  it('refuses what is not a HAR, with the reason', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      ['[]', /JSON object with a "log"/],
      ['{"log": []}', /"log" is missing or not an object/],
      ['{"x": 1}', /"log" is missing/],
      ['{"log": {"entries": {}}}', /"log.entries" is missing or not an array/],
      ['{"log": {}}', /"log.entries" is missing/],
      ['{"log": {"entries": [1]}}', /entry 0: not an object/],
      ['{"log": {"entries": [{"a": "b"}', /ends in the middle/],
      ['{"log": {"entries": []}} {', /after the end/],
      ['{"log": {"entries": [{]}}', /unbalanced/],
    ];
    for (const [text, re] of cases) assert.throws(() => scan(text, [4]), re, JSON.stringify(text));
  });
});

describe('Streamed HAR import', () => {
  function sample(): string {
    const log = new SessionLog();
    for (let i = 0; i < 20; i++)
      log.http(
        httpRecord(log.nextId(), {
          startedAt: 1_700_000_000_000 + i,
          url: `/items/${i}`,
          responseBody: Buffer.from(`{"snow":"☃☃☃ ${i}"}`).toString('base64'),
        }),
      );
    const s = wsRecord(log.nextId(), { state: 'closed', closedAt: 1_700_000_000_500 });
    log.ws(s);
    for (let seq = 1; seq <= 5; seq++) log.frame(textFrame(s.id, seq, `m${seq}`));
    return JSON.stringify(buildHar(log));
  }

  it('imports a byte stream split anywhere (multi-byte characters too), and a text, as the whole parse does', async () => {
    const text = sample();
    const a = new SessionLog();
    const ra = await importHarStream(a, bytes(text, 7));
    assert.deepEqual(ra, { ok: true, imported: { requests: 20, sessions: 1, frames: 5, skipped: 0 } });
    const b = new SessionLog();
    assert.deepEqual(await importHarStream(b, text), ra);
    assert.deepEqual(JSON.stringify(buildHar(a)), JSON.stringify(buildHar(b)));
    assert.ok(JSON.stringify(buildHar(a)).includes('☃☃☃ 19'), 'multi-byte characters split between chunks');
  });

  it('adds nothing on a second import of the same file, and nothing at all from a malformed one', async () => {
    const text = sample();
    const log = new SessionLog();
    await importHarStream(log, bytes(text, 1000));
    const again = await importHarStream(log, bytes(text, 333));
    assert.deepEqual(again, {
      ok: true,
      imported: { requests: 0, sessions: 0, frames: 0, skipped: 0, duplicates: 21 },
    });
    assert.equal(log.list().total, 21);
    const at = text.lastIndexOf('"startedDateTime":"') + '"startedDateTime":"'.length;
    const broken = `${text.slice(0, at)}never${text.slice(text.indexOf('"', at))}`;
    const r = await importHarStream(log, bytes(broken, 4096));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.code, 'BAD_HAR');
      assert.match(r.message, /entry 20: "startedDateTime" is missing or not a date/);
    }
    assert.equal(log.list().total, 21);
  });

  it('refuses past the limit with a clear error, and drops at once what the log could not keep', async () => {
    const text = sample();
    const log = new SessionLog();
    const big = await importHarStream(log, bytes(text, 100), { maxBytes: 1000 });
    assert.equal(big.ok, false);
    if (!big.ok) {
      assert.equal(big.code, 'IMPORT_TOO_LARGE');
      assert.match(big.message, /larger than Loopgate imports .*the limit is/);
    }
    const declared = await importHarStream(log, bytes(text, 100), { maxBytes: 1000, declaredBytes: 5000 });
    assert.equal(declared.ok, false);
    // A log that holds ~4 records: the oldest entries are let go while reading.
    const small = new SessionLog({ capBytes: 8 * 1024 });
    const r = await importHarStream(small, bytes(text, 512));
    assert.ok(r.ok);
    if (r.ok) {
      assert.ok((r.imported.dropped ?? 0) > 0, JSON.stringify(r.imported));
      assert.equal(r.imported.requests + r.imported.sessions + (r.imported.dropped ?? 0), 21);
    }
    assert.ok(small.bytes <= 8 * 1024 + 4096, `${small.bytes} bytes held`);
  });
});
