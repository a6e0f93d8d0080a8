// A Chrome DevTools HAR with a WebSocket (fixture): imported with its duration, negotiation, host and mark; no duplicates; exported again as it was.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { HttpView, SessionView } from '../../shared/api.ts';
import { buildHar, importHar } from '../../main/control/har/export.ts';
import { importHarStream } from '../../main/control/har/import-stream.ts';
import { SessionLog } from '../../main/engine/log/store.ts';
import { closeText } from '../../renderer/lib/format.ts';
import { assertValidHar } from '../helpers/har-schema.ts';

type Obj = Record<string, any>;

const FIXTURE = new URL('../fixtures/har/chrome-websocket.har', import.meta.url).pathname;
const text = readFileSync(FIXTURE, 'utf8');
const chrome = JSON.parse(text) as { log: { entries: Obj[] } };

describe('Chrome HAR import', () => {
  it('is a valid HAR 1.2 fixture in Chrome’s shape', () => {
    assertValidHar(chrome, 'fixture');
    const ws = chrome.log.entries[1]!;
    assert.equal(ws._resourceType, 'websocket');
    assert.ok(ws._webSocketMessages.every((m: Obj) => ['send', 'receive'].includes(m.type) && 'opcode' in m));
  });

  it('reads the session as it was: duration from the frames, negotiation from the 101, host, imported mark', async () => {
    const log = new SessionLog();
    const r = await importHarStream(log, text);
    assert.deepEqual(r, { ok: true, imported: { requests: 1, sessions: 1, frames: 7, skipped: 0 } });
    const s = log.listSessions().items[0] as SessionView;
    const started = Date.parse(chrome.log.entries[1]!.startedDateTime);
    const lastFrame = chrome.log.entries[1]!._webSocketMessages.at(-1).time * 1000;
    assert.equal(s.imported, true);
    assert.equal(s.host, 'chat.example.com');
    assert.equal(s.secure, true);
    assert.equal(s.state, 'closed');
    assert.equal(s.subprotocol, 'chat.v2');
    assert.equal(s.extensions, 'permessage-deflate; server_no_context_takeover');
    assert.equal(s.openedAt, started + 15.713);
    assert.equal(s.closedAt, Math.round(lastFrame));
    const duration = s.closedAt! - s.startedAt;
    assert.ok(duration > 2700 && duration < 2800, `${duration} ms: the frames span 2.7 s`);
    assert.equal(closeText(s), 'closed, the HAR does not say how');
    const page = log.listHttp().items[0] as HttpView;
    assert.equal(page.host, 'chat.example.com');
    assert.equal(page.imported, true);
    assert.equal(page.secure, true);
  });

  it('adds no rows when the same file is imported again (parsed or as text)', async () => {
    const log = new SessionLog();
    await importHarStream(log, text);
    const again = importHar(log, JSON.parse(text));
    assert.deepEqual(again, {
      ok: true,
      imported: { requests: 0, sessions: 0, frames: 0, skipped: 0, duplicates: 2 },
    });
    const third = await importHarStream(log, text);
    assert.ok(third.ok && third.imported.duplicates === 2);
    assert.equal(log.list().total, 2);
  });

  it('exports it again with its schemes, sizes and times as imported', async () => {
    const log = new SessionLog();
    await importHarStream(log, text);
    const out = buildHar(log)!;
    assertValidHar(out, 're-export');
    const [doc, ws] = out.log.entries as unknown as Obj[];
    const [doc0, ws0] = chrome.log.entries as Obj[];
    assert.equal(doc.request.url, 'https://chat.example.com/');
    assert.equal(ws.request.url, 'wss://chat.example.com/socket?room=lobby');
    for (const [a, b] of [
      [doc, doc0],
      [ws, ws0],
    ] as const) {
      assert.equal(a.startedDateTime, b.startedDateTime);
      assert.equal(a.time, b.time);
      for (const k of ['blocked', 'dns', 'ssl', 'connect', 'send', 'wait', 'receive'])
        assert.equal(a.timings[k], b.timings[k], `timings.${k}`);
      assert.equal(a.request.httpVersion, b.request.httpVersion);
      assert.equal(a.request.headersSize, b.request.headersSize);
      assert.equal(a.request.bodySize, b.request.bodySize);
      assert.equal(a.response.httpVersion, b.response.httpVersion);
      assert.equal(a.response.status, b.response.status);
      assert.equal(a.response.headersSize, b.response.headersSize);
      assert.equal(a.response.bodySize, b.response.bodySize);
      assert.equal(a.response._transferSize, b.response._transferSize);
      assert.equal(a.response.content.size, b.response.content.size);
    }
    assert.equal(doc.response.content.text, doc0.response.content.text);
    assert.deepEqual(
      ws._webSocketMessages.map(({ type, time, opcode, data }: Obj) => ({ type, time, opcode, data })),
      ws0._webSocketMessages,
    );
    // And that export, imported into a fresh log, is the same session again.
    const round = new SessionLog();
    await importHarStream(round, JSON.stringify(out));
    const s = round.listSessions().items[0]!;
    assert.equal(s.secure, true);
    assert.equal(s.subprotocol, 'chat.v2');
  });
});
