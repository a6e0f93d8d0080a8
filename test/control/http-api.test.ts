// Control API routes over a real server: status, config, lists, sessions, frames, send/close, HAR, clear.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Har } from '../../shared/api.ts';
import { createControlServer } from '../../main/control/http-api.ts';
import { call, startFixture, type Fixture } from '../helpers/control.ts';
import { countFrame, httpRecord, textFrame, wsRecord } from '../helpers/records.ts';

describe('control API', () => {
  let fx: Fixture;
  let port: number;
  let openId: number;
  let closedId: number;
  let httpId: number;

  before(async () => {
    fx = await startFixture();
    port = fx.server.port;
    const { log } = fx;
    httpId = log.nextId();
    log.http(httpRecord(httpId));
    log.http(httpRecord(log.nextId(), { status: 404, url: '/api/nothing' }));
    const open = wsRecord(log.nextId());
    openId = open.id;
    log.ws(open);
    for (let seq = 1; seq <= 30; seq++) {
      const f = textFrame(openId, seq, `frame ${seq}`, seq % 2 ? 'send' : 'receive');
      countFrame(open, f);
      log.frame(f);
    }
    closedId = log.nextId();
    log.ws(wsRecord(closedId, { state: 'closed', closedAt: Date.now(), closeCode: 1000, closedBy: 'backend' }));
  });
  after(() => fx.close());

  it('listens on loopback and answers status with the log stats', async () => {
    assert.match(fx.server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await call(port, 'GET', '/api/status');
    assert.equal(r.status, 200);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.json.running, true);
    assert.equal(r.json.appVersion, '0.1.0-test');
    assert.equal(r.json.log.records, 4);
    assert.equal(r.json.log.frames, 30);
  });

  it('refuses to bind anything but loopback', async () => {
    await assert.rejects(createControlServer({ controller: fx.controller, host: '0.0.0.0', token: 'x'.repeat(16) }), {
      code: 'NOT_LOOPBACK',
    });
  });

  it('reads and writes the config, with field errors on 400', async () => {
    const got = await call(port, 'GET', '/api/config');
    assert.equal(got.json.routes[0].match, '/api');
    const bad = await call(port, 'PUT', '/api/config', { body: { routes: [{ match: 'api', target: 'nope' }] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.ok, false);
    assert.equal(bad.json.error.code, 'INVALID_CONFIG');
    assert.deepEqual(bad.json.errors.map((e: { path: string }) => e.path).sort(), [
      'routes.0.match',
      'routes.0.target',
    ]);
    assert.equal(fx.config.input.routes![0]!.match, '/api', 'a refused config changes nothing');
    const events: unknown[] = [];
    const unsubscribe = fx.log.subscribe((b) => events.push(...b));
    const good = await call(port, 'PUT', '/api/config', { body: { ...fx.config.input, maxBodySize: '15m' } });
    assert.equal(good.status, 200);
    assert.equal(good.json.config.maxBodySize, 15 * 1024 * 1024);
    fx.log.flush();
    unsubscribe();
    assert.deepEqual(events, [{ type: 'config', version: fx.config.version }]);
    const notJson = await call(port, 'PUT', '/api/config', {
      raw: '{oops',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json.error.code, 'BAD_JSON');
  });

  it('switches profiles', async () => {
    const r = await call(port, 'POST', '/api/profile', { body: { name: 'staging' } });
    assert.equal(r.status, 200);
    assert.equal(fx.config.input.activeProfile, 'staging');
    const missing = await call(port, 'POST', '/api/profile', { body: { name: 'nope' } });
    assert.equal(missing.status, 400);
    assert.match(missing.json.errors[0].message, /no profile named "nope"/);
    const off = await call(port, 'POST', '/api/profile', { body: { name: null } });
    assert.equal(off.status, 200);
    assert.equal(fx.config.input.activeProfile, undefined);
  });

  it('lists requests and sessions with filters from the query string', async () => {
    const all = await call(port, 'GET', '/api/requests');
    assert.deepEqual(
      all.json.items.map((r: { id: number }) => r.id),
      [httpId, httpId + 1],
    );
    const notFound = await call(port, 'GET', '/api/requests?status=4xx');
    assert.deepEqual(
      notFound.json.items.map((r: { url: string }) => r.url),
      ['/api/nothing'],
    );
    const both = await call(port, 'GET', '/api/requests?kind=all&limit=3');
    assert.equal(both.json.items.length, 3);
    assert.equal(both.json.total, 4);
    assert.equal(both.json.more, true);
    const sessions = await call(port, 'GET', '/api/sessions?status=pending');
    assert.deepEqual(
      sessions.json.items.map((r: { id: number }) => r.id),
      [openId],
    );
    const bad = await call(port, 'GET', '/api/requests?status=6xx');
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /status/);
  });

  it('describes a session and pages its frames', async () => {
    const s = await call(port, 'GET', `/api/sessions/${openId}`);
    assert.equal(s.status, 200);
    assert.equal(s.json.framesKept, 30);
    assert.equal(s.json.session.counts.framesToBackend, 15);
    const page = await call(port, 'GET', `/api/sessions/${openId}/frames?after=10&limit=5`);
    assert.deepEqual(
      page.json.frames.map((f: { seq: number }) => f.seq),
      [11, 12, 13, 14, 15],
    );
    assert.equal(page.json.more, true);
    assert.equal((await call(port, 'GET', '/api/sessions/999')).status, 404);
    assert.equal((await call(port, 'GET', `/api/sessions/${httpId}`)).status, 404);
    assert.equal((await call(port, 'GET', `/api/sessions/${openId}/frames?limit=-1`)).status, 400);
  });

  it('injects text and binary messages through the tunnels', async () => {
    fx.calls.length = 0;
    const text = await call(port, 'POST', `/api/sessions/${openId}/send`, { body: { to: 'backend', text: 'héllo' } });
    assert.equal(text.status, 200);
    assert.deepEqual(text.json, { ok: true });
    const bin = await call(port, 'POST', `/api/sessions/${openId}/send`, {
      body: { to: 'client', base64: 'AAEC/w==' },
    });
    assert.equal(bin.status, 200);
    assert.equal(fx.calls.length, 2);
    assert.deepEqual(
      [fx.calls[0]!.to, fx.calls[0]!.data!.toString(), fx.calls[0]!.binary],
      ['backend', 'héllo', false],
    );
    assert.deepEqual(
      [fx.calls[1]!.to, fx.calls[1]!.data!.toString('hex'), fx.calls[1]!.binary],
      ['client', '000102ff', true],
    );
  });

  it('refuses bad sends and reports the tunnel’s refusals with matching statuses', async () => {
    fx.calls.length = 0;
    const cases: Array<[unknown, string]> = [
      [{ to: 'server', text: 'x' }, '"to"'],
      [{ to: 'client' }, 'exactly one'],
      [{ to: 'client', text: 'x', base64: 'eA==' }, 'exactly one'],
      [{ to: 'client', base64: 'not base64!' }, 'base64'],
      [{ to: 'client', text: 42 }, '"text"'],
    ];
    for (const [body, message] of cases) {
      const r = await call(port, 'POST', `/api/sessions/${openId}/send`, { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.ok(r.json.error.message.includes(message), r.json.error.message);
    }
    const closed = await call(port, 'POST', `/api/sessions/${closedId}/send`, { body: { to: 'client', text: 'x' } });
    assert.equal(closed.status, 409);
    assert.equal(closed.json.error.code, 'NOT_OPEN');
    assert.equal(fx.calls.length, 0, 'nothing reached the tunnels');
    fx.tunnelAnswer.value = { ok: false, code: 'NO_SESSION', message: 'no live WebSocket session 77' };
    const gone = await call(port, 'POST', '/api/sessions/77/send', { body: { to: 'client', text: 'x' } });
    fx.tunnelAnswer.value = { ok: true };
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.json, { error: { code: 'NO_SESSION', message: 'no live WebSocket session 77' } });
  });

  it('closes a session with a code and reason, validating both', async () => {
    fx.calls.length = 0;
    const ok = await call(port, 'POST', `/api/sessions/${openId}/close`, { body: { code: 4000, reason: 'done here' } });
    assert.equal(ok.status, 200);
    assert.deepEqual(fx.calls, [{ op: 'close', id: openId, code: 4000, reason: 'done here' }]);
    const reserved = await call(port, 'POST', `/api/sessions/${openId}/close`, { body: { code: 1005 } });
    assert.equal(reserved.status, 400);
    const long = await call(port, 'POST', `/api/sessions/${openId}/close`, {
      body: { code: 4000, reason: 'é'.repeat(62) },
    });
    assert.equal(long.status, 400);
    assert.match(long.json.error.message, /123 bytes/);
    assert.equal(fx.calls.length, 1);
  });

  it('exports HAR (all, or one session) and JSON Lines of frames as downloads', async () => {
    const all = await call(port, 'GET', '/api/export.har');
    assert.equal(all.status, 200);
    assert.match(String(all.headers['content-disposition']), /^attachment; filename="loopgate-.*\.har"$/);
    const har = all.json as Har;
    assert.equal(har.log.creator.version, '0.1.0-test');
    assert.equal(har.log.entries.length, 4);
    const one = await call(port, 'GET', `/api/export.har?session=${openId}`);
    assert.equal((one.json as Har).log.entries.length, 1);
    assert.equal((one.json as Har).log.entries[0]!._webSocketMessages!.length, 30);
    assert.equal((await call(port, 'GET', '/api/export.har?session=999')).status, 404);
    assert.equal((await call(port, 'GET', '/api/export.har?session=abc')).status, 400);
    const jsonl = await call(port, 'GET', `/api/frames.jsonl?session=${openId}`);
    assert.equal(jsonl.headers['content-type'], 'application/x-ndjson; charset=utf-8');
    const lines = jsonl.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 30);
    assert.equal(lines[29].data, 'frame 30');
  });

  it('imports HAR (round trip) and refuses malformed HAR with 400', async () => {
    const har = (await call(port, 'GET', '/api/export.har')).json;
    const before = fx.log.stats().records;
    const r = await call(port, 'POST', '/api/import.har', { body: har });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.imported, { requests: 2, sessions: 2, frames: 30, skipped: 0 });
    assert.equal(fx.log.stats().records, before + 4);
    const imported = await call(port, 'GET', '/api/requests?kind=all&limit=4');
    assert.ok(imported.json.items.every((x: { imported?: boolean }) => x.imported === true));
    const bad = await call(port, 'POST', '/api/import.har', { body: { log: { entries: 'none' } } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'BAD_HAR');
    assert.match(bad.json.error.message, /log\.entries/);
  });

  it('answers unknown routes and wrong methods clearly', async () => {
    const nope = await call(port, 'GET', '/api/nope');
    assert.equal(nope.status, 404);
    assert.equal(nope.json.error.code, 'NOT_FOUND');
    const wrong = await call(port, 'DELETE', '/api/status', { headers: { 'content-type': 'application/json' } });
    assert.equal(wrong.status, 405);
    const events = await call(port, 'GET', '/api/events');
    assert.equal(events.status, 426);
  });

  it('clears the log (live sessions stay)', async () => {
    const r = await call(port, 'POST', '/api/clear', { body: {} });
    assert.equal(r.status, 200);
    const left = await call(port, 'GET', '/api/requests?kind=all');
    assert.deepEqual(
      left.json.items.map((x: { id: number }) => x.id),
      [openId],
    );
  });
});
