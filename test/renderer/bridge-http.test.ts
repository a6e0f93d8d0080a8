// The browser bridge against a real control server: every call's shape, refusals as values, the event stream.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket as NodeWebSocket } from 'ws';
import type { LoopgateBridge, StreamEvent } from '../../shared/api.ts';
import { BridgeError, createHttpBridge } from '../../renderer/bridge-http.ts';
import { startFixture, TOKEN, type Fixture } from '../helpers/control.ts';
import { waitFor } from '../helpers/net.ts';
import { httpRecord, textFrame, wsRecord } from '../helpers/records.ts';

describe('createHttpBridge', () => {
  let fx: Fixture;
  let bridge: LoopgateBridge;
  const hadWebSocket = 'WebSocket' in globalThis;

  before(async () => {
    // Node 20 has no global WebSocket; ws's client speaks the same onopen/onmessage/onclose API.
    if (!hadWebSocket) (globalThis as { WebSocket?: unknown }).WebSocket = NodeWebSocket;
    fx = await startFixture({ batchMs: 5 });
    bridge = createHttpBridge({ base: fx.server.url, token: TOKEN, reconnectMs: 20 });
  });

  after(async () => {
    await fx?.close();
    if (!hadWebSocket) delete (globalThis as { WebSocket?: unknown }).WebSocket;
  });

  it('reads status and config', async () => {
    const s = await bridge.status();
    assert.equal(s.running, true);
    assert.notEqual(s.canOpenConfig, true, 'browser mode cannot open another config');
    assert.deepEqual(s.profiles, ['staging']);
    assert.equal((await bridge.getConfig()).config.routes?.[0]?.match, '/api');
  });

  it('returns refused configs as values with field paths, and saves good ones', async () => {
    const bad = await bridge.putConfig({ routes: [{ match: 'api', target: 'http://h' }] });
    assert.equal(bad.ok, false);
    assert.deepEqual(!bad.ok && bad.errors.map((e) => e.path), ['routes.0.match']);
    assert.equal(fx.config.input.routes?.[0]?.match, '/api', 'nothing saved');
    const good = await bridge.putConfig({ routes: [{ match: '/v2', target: 'http://h' }] });
    assert.equal(good.ok, true);
    assert.equal(fx.config.input.routes?.[0]?.match, '/v2');
    const p = await bridge.setProfile('nope');
    assert.equal(p.ok, false);
  });

  it('lists records, sessions and frames; unknown ids are null', async () => {
    fx.log.http(httpRecord(fx.log.nextId(), { url: '/a', status: 200, done: true }));
    const id = fx.log.nextId();
    const s = wsRecord(id, { state: 'open' });
    fx.log.ws(s);
    for (let seq = 1; seq <= 3; seq++) fx.log.frame(textFrame(id, seq, `m${seq}`));
    const page = await bridge.listRequests({ kind: 'all' });
    assert.deepEqual(
      page.items.map((r) => r.kind),
      ['http', 'ws'],
    );
    assert.equal((await bridge.listSessions()).items.length, 1);
    assert.equal((await bridge.getSession(id))?.framesKept, 3);
    const frames = await bridge.frames(id, { after: 1, limit: 1 });
    assert.deepEqual(
      frames?.frames.map((f) => f.data),
      ['m2'],
    );
    assert.equal(frames?.more, true);
    assert.equal(await bridge.getSession(9999), null);
    assert.equal(await bridge.frames(9999), null);
  });

  it('send and close: results, refusals as { ok: false, code }', async () => {
    const id = fx.log.nextId();
    fx.log.ws(wsRecord(id, { state: 'open' }));
    assert.deepEqual(await bridge.send(id, { to: 'backend', text: 'hi' }), { ok: true });
    assert.equal(fx.calls.at(-1)?.data?.toString(), 'hi');
    const refused = await bridge.send(id, { to: 'nowhere' as 'client', text: 'x' });
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.code, 'BAD_REQUEST');
    assert.deepEqual(await bridge.close(id, { code: 4000, reason: 'bye' }), { ok: true });
    assert.equal(fx.calls.at(-1)?.code, 4000);
  });

  it('exports and imports HAR, clears', async () => {
    const har = await bridge.exportHar();
    assert.equal(har.log.creator.name, 'Loopgate');
    const bad = await bridge.importHar({ nope: true });
    assert.equal(bad.ok, false);
    const again = await bridge.importHar(har);
    assert.equal(again.ok, true);
    await bridge.clear();
    // Live sessions outlast a clear (their frames go).
    const left = await bridge.listRequests({ kind: 'all' });
    assert.deepEqual(
      left.items.map((r) => r.kind === 'ws' && r.state),
      [false, false].map(() => 'open'),
    );
  });

  it('imports nginx config: sites and warnings, a syntax error as a value; exports the running config', async () => {
    const text =
      'server {\n  server_name a.test;\n  location /api { proxy_pass http://127.0.0.1:9/api; }\n}\nserver {\n  server_name b.test;\n  sendfile on;\n  location /ws { proxy_pass http://127.0.0.1:9; }\n}\n';
    const got = await bridge.importNginx({ text, fileName: 'two.conf' });
    assert.ok(got.ok);
    assert.deepEqual(
      got.sites.map((s) => s.name),
      ['a.test', 'b.test'],
    );
    assert.deepEqual(
      got.warnings.map((w) => [w.file, w.line, w.directive]),
      [['two.conf', 7, 'sendfile']],
    );
    assert.equal('error' in got, false, 'the result is the ImportResult alone');
    const syntax = await bridge.importNginx({ text: 'location /api { proxy_pass http://h }' });
    assert.deepEqual(syntax.ok === false && [syntax.code, syntax.line], ['NGINX_SYNTAX', 1]);
    assert.equal('error' in syntax, false);
    const empty = await bridge.importNginx({} as never);
    assert.deepEqual(!empty.ok && empty.code, 'BAD_REQUEST');

    fx.config.input = { routes: [{ match: '/api', target: 'http://localhost:8888/api' }] };
    const exported = await bridge.exportNginx();
    assert.match(exported.text, /location \/api \{\n\s+proxy_pass http:\/\/localhost:8888\/api;/);
    assert.deepEqual(exported.warnings, []);
    assert.match((await bridge.exportNginx({ serverName: 'app.test' })).text, /server_name app\.test;/);
    await assert.rejects(
      bridge.exportNginx({ serverName: '{' }),
      (e: unknown) => e instanceof BridgeError && e.code === 'BAD_REQUEST' && e.status === 400,
    );
  });

  it("throws BridgeError with the server's code for other refusals", async () => {
    const wrong = createHttpBridge({ base: fx.server.url, token: 'not-the-token' });
    await assert.rejects(
      wrong.status(),
      (e: unknown) => e instanceof BridgeError && e.code === 'BAD_TOKEN' && e.status === 401,
    );
    const gone = createHttpBridge({ base: 'http://127.0.0.1:1' });
    await assert.rejects(gone.status(), (e: unknown) => e instanceof BridgeError && e.code === 'NETWORK');
  });

  it('openConfig is refused without asking the server: NOT_SUPPORTED, with the command to run instead', async () => {
    const before = fx.config.input;
    for (const request of [undefined, { path: '/tmp/other/loopgate.json' }]) {
      const err = await bridge.openConfig(request).then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof BridgeError);
      assert.equal(err.code, 'NOT_SUPPORTED');
      assert.match(err.message, /^NOT_SUPPORTED: .*`loopgate serve --config <file>`/);
    }
    assert.deepEqual(fx.config.input, before);
    // Not even a refused request: a bridge over a dead server answers the same.
    const dead = createHttpBridge({ base: 'http://127.0.0.1:9', token: TOKEN });
    await assert.rejects(dead.openConfig(), { code: 'NOT_SUPPORTED' });
  });

  it('streams events, with an overflow marker on each (re)connect', async () => {
    const got: StreamEvent[] = [];
    const off = bridge.subscribe((batch) => got.push(...batch));
    try {
      await waitFor(() => got.some((e) => e.type === 'overflow'), 'the connect marker');
      const id = fx.log.nextId();
      fx.log.http(httpRecord(id, { url: '/streamed' }));
      await waitFor(() => got.some((e) => e.type === 'http' && e.record.url === '/streamed'), 'the streamed record');
    } finally {
      off();
    }
  });
});
