// Mock answers (routes[].respond) on real sockets with no backend running: status, headers, text, JSON, file; config errors name the field.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ConfigInput, validateConfig } from '../../../shared/config.ts';
import type { HttpRecord } from '../../../shared/events.ts';
import { httpEntry } from '../../../main/control/har/export.ts';
import { parseEntry } from '../../../main/control/har/import.ts';
import { Engine } from '../../../main/engine/server.ts';
import { compileSnapshot } from '../../../main/engine/snapshot.ts';
import { freePort } from '../../helpers/net.ts';
import { waitingRecorder } from '../../helpers/waiting-recorder.ts';

describe('routes[].respond with no backend running', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lg-respond-'));
  const records = waitingRecorder();
  const engine = new Engine({ recorder: records });
  let base = '';
  let absent = '';

  before(async () => {
    writeFileSync(join(dir, 'user.json'), '{"from":"file"}');
    // A port nothing listens on: the backend is absent, any call to it would be a 502 "refused".
    absent = `http://127.0.0.1:${await freePort()}`;
    const input: ConfigInput = {
      listen: { port: 0 },
      cors: { enabled: true, origins: ['http://app.test'] },
      routes: [
        { match: '/text', target: absent, respond: { status: 201, headers: { 'X-Mock': 'yes' }, body: 'hello' } },
        { match: '/json', target: absent, respond: { body: { users: [{ id: 1 }], ok: true } } },
        { match: '/null', target: absent, respond: { body: null } },
        { match: '/file', target: absent, respond: { file: 'user.json', headers: { 'cache-control': 'no-store' } } },
        { match: '/missing', target: absent, respond: { file: 'nope.json' } },
        { match: '/typed', target: absent, respond: { headers: { 'Content-Type': 'text/csv' }, body: 'a,b' } },
        { match: '/empty', target: absent, respond: { status: 204 } },
        { match: '/real', target: absent },
      ],
    };
    const r = validateConfig(input);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    base = await engine.start(compileSnapshot(r.config, { baseDir: dir }));
  });
  after(async () => {
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('text: the configured status, headers and body; CORS still applies; marked mocked', async () => {
    const res = await fetch(`${base}/text/x`, {
      method: 'POST',
      body: 'ignored',
      headers: { origin: 'http://app.test' },
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-mock'), 'yes');
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://app.test');
    assert.equal(await res.text(), 'hello');
    const rec = await records.done('/text/x');
    assert.equal(rec.standIn, 'mocked');
    assert.equal(rec.status, 201);
    assert.equal(rec.error, undefined);
  });

  test('the HAR entry carries the mark under _loopgate.standIn, and importing it keeps it', async () => {
    await (await fetch(`${base}/text/har`)).text();
    const rec = await records.done('/text/har');
    const entry = httpEntry(rec) as unknown as { _loopgate: { standIn?: string } };
    assert.equal(entry._loopgate.standIn, 'mocked');
    const back = parseEntry(JSON.parse(JSON.stringify(entry))).record as HttpRecord;
    assert.equal(back.standIn, 'mocked');
  });

  test('a JSON value is sent as application/json (null too)', async () => {
    const res = await fetch(`${base}/json`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), { users: [{ id: 1 }], ok: true });
    const n = await fetch(`${base}/null`);
    assert.equal(n.headers.get('content-type'), 'application/json');
    assert.equal(await n.text(), 'null');
  });

  test('file: its bytes with the type of its extension; a missing file is a 500 naming it', async () => {
    const res = await fetch(`${base}/file`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), { from: 'file' });
    const gone = await fetch(`${base}/missing`);
    assert.equal(gone.status, 500);
    assert.match(await gone.text(), /respond\.file of route \/missing cannot be read: .*nope\.json \(ENOENT\)/);
  });

  test("the mock's own content-type wins; 204 has no body; HEAD gets headers only", async () => {
    const typed = await fetch(`${base}/typed`);
    assert.equal(typed.headers.get('content-type'), 'text/csv');
    assert.equal(await typed.text(), 'a,b');
    const empty = await fetch(`${base}/empty`);
    assert.equal(empty.status, 204);
    assert.equal(await empty.text(), '');
    const head = await fetch(`${base}/text`, { method: 'HEAD' });
    assert.equal(head.status, 201);
    assert.equal(head.headers.get('content-length'), '5');
  });

  test('a route without respond still goes to the (absent) backend: 502 refused, not mocked', async () => {
    const res = await fetch(`${base}/real`);
    assert.equal(res.status, 502);
    const rec = await records.done('/real');
    assert.equal(rec.standIn, undefined);
    assert.equal(rec.error?.code, 'ECONNREFUSED');
  });
});

describe('respond: config errors name the field', () => {
  const route = (respond: unknown) => ({ routes: [{ match: '/a', target: 'http://127.0.0.1:1', respond }] });
  const errors = (input: unknown) => {
    const r = validateConfig(input);
    assert.equal(r.ok, false);
    return r.ok ? [] : r.errors;
  };

  test('body and file together, a bad status, a bad header name or value, an unknown field', () => {
    assert.deepEqual(
      errors(route({ body: 'x', file: 'a.json' })).map((e) => e.path),
      ['routes.0.respond.file'],
    );
    const status = errors(route({ status: 99 }));
    assert.equal(status[0]?.path, 'routes.0.respond.status');
    assert.match(status[0]!.message, /200 to 599/);
    const name = errors(route({ headers: { 'bad name': 'x' } }));
    assert.equal(name[0]?.path, 'routes.0.respond.headers.bad name');
    assert.match(name[0]!.message, /not a valid HTTP header name/);
    const value = errors(route({ headers: { 'x-a': 'one\r\nset-cookie: evil' } }));
    assert.equal(value[0]?.path, 'routes.0.respond.headers.x-a');
    assert.match(value[0]!.message, /line break/);
    assert.equal(errors(route({ bdy: 'typo' }))[0]?.path.startsWith('routes.0.respond'), true);
  });

  test('a valid respond passes', () => {
    assert.equal(validateConfig(route({ status: 404, body: { error: 'no' } })).ok, true);
  });
});
