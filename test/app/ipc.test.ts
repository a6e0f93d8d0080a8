// IPC handler table: one handler per bridge method, every one refusing foreign senders; argument checks; event forwarding.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import {
  bridgeMethodNames,
  type ConfigState,
  type OpenConfigResult,
  type StatusInfo,
  type StreamEvent,
} from '../../shared/api.ts';
import {
  BRIDGE_METHODS,
  channelOf,
  EVENTS_CHANNEL,
  isReply,
  type BridgeMethod,
  type Reply,
} from '../../main/app/bridge/bridge-methods.ts';
import {
  createHandlers,
  EventForwarder,
  registerHandlers,
  type ControllerSource,
  type InvokeEventLike,
} from '../../main/app/bridge/ipc-handlers.ts';
import { Controller } from '../../main/control/controller.ts';
import { SessionLog } from '../../main/engine/log/store.ts';
import { httpRecord, wsRecord } from '../helpers/records.ts';

/** The bridge's methods from shared/api.ts at run time: the HTTP routes less the HTTP-only ones, plus the bridge-only ones. */
const SHARED_BRIDGE_METHODS = bridgeMethodNames().sort();

class FakeContents extends EventEmitter {
  sent: Array<[string, unknown]> = [];
  destroyed = false;
  constructor(readonly id: number) {
    super();
  }
  send(channel: string, payload: unknown) {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.sent.push([channel, payload]);
  }
  isDestroyed() {
    return this.destroyed;
  }
  destroy() {
    this.destroyed = true;
    this.emit('destroyed');
  }
}

function setup(opts: { running?: boolean; openProject?: ControllerSource['openProject'] } = {}) {
  const log = new SessionLog({ intervalMs: 5 });
  const calls: string[] = [];
  let input: Record<string, unknown> = { listen: { port: 0 }, routes: [] };
  const controller = new Controller({
    log,
    tunnels: {
      send: (id) => (calls.push(`send ${id}`), { ok: true }),
      close: (id, code) => (calls.push(`close ${id} ${code}`), { ok: true }),
    },
    config: {
      get: () => input,
      put: async (next) => {
        calls.push('put');
        input = next as Record<string, unknown>;
        return { ok: true, config: next as never };
      },
    },
    status: () => ({
      running: true,
      siteUrl: 'http://127.0.0.1:1',
      controlUrl: null,
      configFile: '/p/one/loopgate.json',
      version: 3,
      activeProfile: null,
      profiles: [],
      lastError: null,
    }),
  });
  let current: Controller | null = opts.running === false ? null : controller;
  const changeFns = new Set<() => void>();
  const source: ControllerSource = {
    controller: () => current,
    status: (): StatusInfo => ({
      running: false,
      siteUrl: null,
      controlUrl: null,
      version: 0,
      activeProfile: null,
      profiles: [],
      lastError: 'port 8080 is in use',
    }),
    onControllerChange: (fn) => (changeFns.add(fn), () => changeFns.delete(fn)),
    ...(opts.openProject ? { openProject: opts.openProject } : {}),
  };
  const forwarder = new EventForwarder(source, EVENTS_CHANNEL);
  const handlers = createHandlers(source, forwarder);
  const wc = new FakeContents(1);
  const trusted: InvokeEventLike = { senderFrame: { url: 'app://loopgate/index.html' }, sender: wc };
  const call = (m: BridgeMethod, ...args: unknown[]) => handlers[m](trusted, ...args) as Promise<Reply>;
  return {
    log,
    calls,
    controller,
    handlers,
    forwarder,
    wc,
    trusted,
    call,
    swap: (c: Controller | null) => {
      current = c;
      for (const fn of changeFns) fn();
    },
  };
}

test('the method list is exactly the bridge of shared/api.ts, and the table has a handler for each', () => {
  assert.deepEqual([...BRIDGE_METHODS].sort(), SHARED_BRIDGE_METHODS);
  const { handlers } = setup();
  assert.deepEqual(Object.keys(handlers).sort(), SHARED_BRIDGE_METHODS);
  for (const m of BRIDGE_METHODS) assert.equal(typeof handlers[m], 'function', m);
});

test('registerHandlers: one ipcMain channel per method, all removed again', () => {
  const { handlers } = setup();
  const registered = new Map<string, unknown>();
  const remove = registerHandlers(
    { handle: (ch, fn) => registered.set(ch, fn), removeHandler: (ch) => registered.delete(ch) },
    handlers,
  );
  assert.deepEqual([...registered.keys()].sort(), BRIDGE_METHODS.map(channelOf).sort());
  assert.equal(registered.get('loopgate:status'), handlers.status);
  remove();
  assert.equal(registered.size, 0);
});

test('every handler rejects a foreign sender without touching the controller', async () => {
  const { handlers, calls, log, wc, forwarder } = setup({
    openProject: async (path) => (
      calls.push(`open ${path}`), { ok: true, value: { opened: true, configFile: path ?? null } }
    ),
  });
  log.http(httpRecord(1));
  const foreign: Array<InvokeEventLike['senderFrame']> = [
    null,
    { url: 'https://evil.example/' },
    { url: 'http://127.0.0.1:8080/' },
    { url: 'file:///home/u/index.html' },
    { url: 'app://evil/index.html' },
    { url: 'app://loopgate.evil/index.html' },
    { url: 'devtools://devtools/bundled/inspector.html' },
    { url: '' },
  ];
  const args: Record<BridgeMethod, unknown[]> = {
    status: [],
    getConfig: [],
    putConfig: [{ routes: [] }],
    saveConfig: [{}],
    reloadConfig: [],
    setProfile: [null],
    listRequests: [{}],
    listSessions: [{}],
    getSession: [1],
    frames: [1, {}],
    protocolStats: [1],
    send: [1, { to: 'client', text: 'x' }],
    close: [1, {}],
    exportHar: [{}],
    importHar: [{ log: { entries: [] } }],
    importNginx: [{ text: 'server { location /api { proxy_pass http://127.0.0.1:1; } }' }],
    exportNginx: [{}],
    listBreakpoints: [],
    addBreakpoint: [{ at: 'request' }],
    deleteBreakpoint: [1],
    listPaused: [],
    continuePaused: [1, {}],
    respondPaused: [1, { status: 200 }],
    dropPaused: [1],
    resendRequest: [1, {}],
    clear: [],
    openConfig: [{ path: '/tmp/other/loopgate.json' }],
    subscribe: [{ on: true }],
  };
  for (const method of BRIDGE_METHODS) {
    for (const senderFrame of foreign) {
      await assert.rejects(
        handlers[method]({ senderFrame, sender: wc }, ...args[method]),
        /^Error: FORBIDDEN: /,
        `${method} from ${senderFrame?.url}`,
      );
    }
  }
  assert.deepEqual(calls, []);
  assert.equal(forwarder.size, 0);
  assert.equal(log.stats().records, 1, 'clear was not called');
});

test('trusted calls reach the controller; answers are {ok, value}', async () => {
  const { call, log, calls } = setup();
  log.http(httpRecord(1));
  log.ws(wsRecord(2, { state: 'open' }));
  const status = await call('status');
  assert.ok(
    status.ok && (status.value as StatusInfo).running === true && (status.value as StatusInfo).log!.records === 2,
  );
  const list = await call('listRequests', { kind: 'all' });
  assert.ok(list.ok);
  assert.deepEqual(
    (list.value as { items: Array<{ id: number }> }).items.map((r) => r.id),
    [1, 2],
  );
  const sessions = await call('listSessions', {});
  assert.deepEqual(sessions.ok && (sessions.value as { items: Array<{ id: number }> }).items.map((r) => r.id), [2]);
  assert.deepEqual(await call('getSession', 99), { ok: true, value: null });
  assert.deepEqual(await call('send', 2, { to: 'backend', text: 'hi' }), { ok: true, value: { ok: true } });
  assert.deepEqual(await call('close', 2, { code: 4000 }), { ok: true, value: { ok: true } });
  assert.deepEqual(calls, ['send 2', 'close 2 4000']);
  const put = await call('putConfig', { routes: [{ match: '/api', target: 'http://127.0.0.1:1' }] });
  assert.ok(put.ok && (put.value as { ok: boolean }).ok);
  const got = await call('getConfig');
  assert.ok(got.ok);
  assert.deepEqual((got.value as ConfigState).config, { routes: [{ match: '/api', target: 'http://127.0.0.1:1' }] });
  const har = await call('exportHar', {});
  assert.ok(har.ok && (har.value as { log: { entries: unknown[] } }).log.entries.length === 2);
  assert.deepEqual(await call('clear'), { ok: true, value: undefined });
  assert.equal(log.get(1), undefined, 'the finished request is gone (the open session stays)');
  const imported = await call('importHar', { nope: 1 });
  assert.ok(
    imported.ok && (imported.value as { ok: boolean }).ok === false,
    'a bad HAR is a result, not a thrown error',
  );
});

test('putConfig made for another config file is refused, not written into the one open now', async () => {
  const { call, calls } = setup();
  const edit = { routes: [{ match: '/x', target: 'http://127.0.0.1:1' }] };
  const stale = await call('putConfig', edit, { configFile: '/p/old/loopgate.json' });
  assert.equal(stale.ok, false);
  assert.ok(
    !stale.ok &&
      stale.code === 'CONFIG_SWITCHED' &&
      stale.message.includes('/p/old/loopgate.json') &&
      stale.message.includes('/p/one/loopgate.json'),
    JSON.stringify(stale),
  );
  assert.deepEqual(await call('putConfig', edit, { configFile: null }), {
    ok: false,
    code: 'CONFIG_SWITCHED',
    message: 'this edit was made for another config, but /p/one/loopgate.json is open now; it was not saved',
  });
  for (const bad of ['/p/one/loopgate.json', [], { configFile: 5 }]) {
    const r = await call('putConfig', edit, bad);
    assert.ok(!r.ok && r.code === 'BAD_REQUEST', JSON.stringify(bad));
  }
  assert.deepEqual(calls, [], 'nothing was saved');
  const fresh = await call('putConfig', edit, { configFile: '/p/one/loopgate.json' });
  assert.ok(fresh.ok && (fresh.value as { ok: boolean }).ok);
  const plain = await call('putConfig', edit, {});
  assert.ok(plain.ok, 'without configFile there is nothing to check');
  assert.deepEqual(calls, ['put', 'put']);
});

test('untrusted arguments are checked: bad ids, non-object queries, controller refusals become {ok:false}', async () => {
  const { call, calls } = setup();
  for (const [m, args] of [
    ['getSession', ['1']],
    ['getSession', [0]],
    ['getSession', [1.5]],
    ['frames', [-1]],
    ['frames', [1, 'after=3']],
    ['send', [Number.NaN, { to: 'client', text: 'x' }]],
    ['close', [{}, {}]],
    ['listRequests', ['kind=ws']],
    ['listRequests', [[1]]],
    ['listSessions', [null]],
    ['exportHar', [{ session: 'x' }]],
    ['exportHar', [5]],
    ['exportNginx', [5]],
    ['exportNginx', [{ serverName: 'a; return 200' }]],
    ['subscribe', [true]],
    ['subscribe', [{ on: 'yes' }]],
  ] as Array<[BridgeMethod, unknown[]]>) {
    const r = await call(m, ...args);
    assert.equal(r.ok, false, `${m}(${JSON.stringify(args)})`);
    assert.equal(!r.ok && r.code, 'BAD_REQUEST', `${m}(${JSON.stringify(args)})`);
  }
  const refused = await call('listRequests', { status: ['7xx'] });
  assert.ok(!refused.ok && refused.code === 'BAD_REQUEST' && /status/.test(refused.message));
  const noSession = await call('exportHar', { session: 42 });
  assert.ok(!noSession.ok && noSession.code === 'NOT_FOUND');
  const badSend = await call('send', 3, { to: 'nowhere' });
  assert.deepEqual(
    badSend.ok && (badSend.value as { code: string }).code,
    'BAD_REQUEST',
    'send refusals are SendResults',
  );
  assert.deepEqual(calls, []);
  for (const r of [refused, noSession, badSend]) assert.ok(isReply(r));
});

test('without a running controller: status still answers, the rest say NOT_RUNNING with the reason', async () => {
  const { call } = setup({ running: false });
  const status = await call('status');
  assert.ok(status.ok && (status.value as StatusInfo).running === false);
  const r = await call('listRequests', {});
  assert.ok(!r.ok && r.code === 'NOT_RUNNING' && r.message.includes('port 8080 is in use'));
});

test('nginx import and export over IPC: sites and warnings, syntax errors and bad input as values, the running config exported', async () => {
  const { call, calls } = setup();
  const imported = await call('importNginx', {
    text: 'server {\n  server_name app.test;\n  gzip on;\n  location /api { proxy_pass http://127.0.0.1:9/api; }\n}\n',
    fileName: 'site.conf',
  });
  assert.ok(imported.ok);
  const value = imported.value as {
    ok: true;
    sites: Array<{ name: string; config: { routes?: Array<{ match: string; target: string }> } }>;
    warnings: Array<{ file: string; line: number; directive: string }>;
  };
  assert.equal(value.ok, true);
  assert.deepEqual(
    value.sites.map((s) => s.name),
    ['app.test'],
  );
  assert.deepEqual(
    value.sites[0]!.config.routes?.map((r) => [r.match, r.target]),
    [['/api', 'http://127.0.0.1:9/api']],
  );
  assert.deepEqual(
    value.warnings.map((w) => [w.file, w.line, w.directive]),
    [['site.conf', 3, 'gzip']],
  );
  const syntax = await call('importNginx', { text: 'server {\n  listen 80\n}' });
  assert.ok(syntax.ok);
  assert.deepEqual(
    { ...(syntax.value as object), message: undefined },
    { ok: false, code: 'NGINX_SYNTAX', message: undefined, line: 3, column: 1 },
  );
  for (const bad of [undefined, 'server {}', { text: 5 }, { text: '', fileName: 3 }]) {
    const r = await call('importNginx', bad);
    assert.ok(r.ok && (r.value as { code: string }).code === 'BAD_REQUEST', JSON.stringify(bad));
  }
  await call('putConfig', {
    listen: { port: 0 },
    timeouts: { read: 120 },
    routes: [{ match: '/api', target: 'http://127.0.0.1:1/api' }],
  });
  const exported = await call('exportNginx');
  assert.ok(exported.ok);
  const text = (exported.value as { text: string }).text;
  assert.match(text, /location \/api \{[^}]*proxy_pass http:\/\/127\.0\.0\.1:1\/api;/);
  assert.match(text, /proxy_read_timeout 2m;/, 'a plain number in loopgate.json is seconds (120 → 2m, not 120ms)');
  const named = await call('exportNginx', { serverName: 'app.test www.app.test' });
  assert.ok(named.ok && /server_name app\.test www\.app\.test;/.test((named.value as { text: string }).text));
  assert.deepEqual(calls, ['put']);
});

test('a controller exception becomes INTERNAL, not a crash', async () => {
  const { call, controller } = setup();
  controller.listSessions = () => {
    throw new Error('kaput');
  };
  assert.deepEqual(await call('listSessions', {}), {
    ok: false,
    code: 'INTERNAL',
    message: 'listSessions failed: kaput',
  });
});

test('events: forwarded while subscribed, stopped on unsubscribe and when the page is destroyed', async () => {
  const { call, log, wc, forwarder } = setup();
  assert.deepEqual(await call('subscribe', { on: true }), { ok: true, value: true });
  await call('subscribe', { on: true }); // idempotent per page
  assert.equal(forwarder.size, 1);
  log.http(httpRecord(7));
  log.flush();
  assert.equal(wc.sent.length, 1, 'one subscription per page, not two');
  assert.equal(wc.sent[0]![0], EVENTS_CHANNEL);
  assert.deepEqual(
    (wc.sent[0]![1] as StreamEvent[]).map((e) => e.type),
    ['http'],
  );
  await call('subscribe', { on: false });
  log.http(httpRecord(8));
  log.flush();
  assert.equal(wc.sent.length, 1);
  await call('subscribe', { on: true });
  wc.destroy();
  assert.equal(forwarder.size, 0);
  log.http(httpRecord(9));
  log.flush();
  assert.equal(wc.sent.length, 1);
});

test('events: a new controller (another config) keeps pages subscribed and tells them to refetch', async () => {
  const first = setup();
  const second = setup();
  await first.call('subscribe', { on: true });
  first.swap(second.controller);
  assert.deepEqual(first.wc.sent.at(-1), [EVENTS_CHANNEL, [{ type: 'cleared' }]]);
  first.log.http(httpRecord(1));
  first.log.flush();
  second.log.http(httpRecord(2));
  second.log.flush();
  const ids = first.wc.sent.flatMap(([, batch]) =>
    (batch as StreamEvent[]).filter((e) => e.type === 'http').map((e) => (e as { record: { id: number } }).record.id),
  );
  assert.deepEqual(ids, [2]);
  first.forwarder.close();
  second.log.http(httpRecord(3));
  second.log.flush();
  assert.equal(first.wc.sent.length, 2);
});

test('openConfig: the argument is checked before the source sees it; answers pass through; status says whether it can', async () => {
  const seen: Array<string | undefined> = [];
  const answers: Record<string, { ok: true; value: OpenConfigResult } | { ok: false; code: string; message: string }> =
    {
      dialog: { ok: true, value: { opened: false, configFile: '/p/one/loopgate.json' } },
      '/p/two': { ok: true, value: { opened: true, configFile: '/p/two/loopgate.json' } },
      '/p/broken.json': {
        ok: false,
        code: 'NOT_JSON',
        message: '/p/broken.json is not valid JSON: line 1, column 2: …',
      },
    };
  const { call } = setup({ openProject: async (path) => (seen.push(path), answers[path ?? 'dialog']!) });
  const bad: unknown[] = [
    'path',
    [{ path: '/p' }],
    null,
    { path: '' },
    { path: 5 },
    { path: ['/p'] },
    { path: 'relative/loopgate.json' },
    { path: '/p/a\0b.json' },
    { path: `/${'x'.repeat(5000)}` },
    { path: '/p', extra: true },
  ];
  for (const arg of bad) {
    const r = await call('openConfig', arg);
    assert.equal(!r.ok && r.code, 'BAD_REQUEST', JSON.stringify(arg)?.slice(0, 60));
  }
  assert.match(((await call('openConfig', { path: 'rel' })) as { message: string }).message, /must be absolute/);
  assert.deepEqual(seen, [], 'no bad argument reached the source');

  // No path (or {}): the dialog; cancel answers opened: false.
  assert.deepEqual(await call('openConfig'), {
    ok: true,
    value: { opened: false, configFile: '/p/one/loopgate.json' },
  });
  assert.deepEqual(await call('openConfig', {}), {
    ok: true,
    value: { opened: false, configFile: '/p/one/loopgate.json' },
  });
  assert.deepEqual(await call('openConfig', { path: '/p/two' }), {
    ok: true,
    value: { opened: true, configFile: '/p/two/loopgate.json' },
  });
  assert.deepEqual(await call('openConfig', { path: '/p/broken.json' }), answers['/p/broken.json']);
  assert.deepEqual(seen, [undefined, undefined, '/p/two', '/p/broken.json']);
  const status = await call('status');
  assert.ok(status.ok && (status.value as StatusInfo).canOpenConfig === true);
});

test('openConfig: a source that cannot open another config says NOT_SUPPORTED, also while not running; status says so', async () => {
  for (const running of [true, false]) {
    const { call } = setup({ running });
    const r = await call('openConfig', { path: '/p/two' });
    assert.ok(!r.ok && r.code === 'NOT_SUPPORTED', JSON.stringify(r));
    const status = await call('status');
    assert.ok(status.ok && (status.value as StatusInfo).canOpenConfig === false);
  }
});
