// The preload as built (one CommonJS file for a sandboxed renderer): exposes exactly the bridge, calls map to IPC.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { bridgeMethodNames, type LoopgateBridge, type StreamEvent } from '../../shared/api.ts';
import { EVENTS_CHANNEL } from '../../main/app/bridge/bridge-methods.ts';

const PRELOAD = new URL('../../main/app/bridge/preload.ts', import.meta.url).pathname;
/** The bridge's methods from shared/api.ts at run time: the HTTP routes less the HTTP-only ones, plus the bridge-only ones. */
const SHARED_BRIDGE_METHODS = bridgeMethodNames().sort();

let code: string;

before(async () => {
  // The same options build/build.mjs uses for dist/app/preload.cjs.
  const out = await build({
    entryPoints: [PRELOAD],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    external: ['electron'],
    write: false,
    logLevel: 'silent',
  });
  code = out.outputFiles[0]!.text;
});

type Listener = (event: unknown, ...args: unknown[]) => void;

function load(answer: (channel: string, args: unknown[]) => unknown = () => ({ ok: true, value: null })) {
  const exposed = new Map<string, unknown>();
  const invokes: Array<[string, unknown[]]> = [];
  const listeners = new Map<string, Set<Listener>>();
  const required: string[] = [];
  const ipcRenderer = {
    invoke: async (channel: string, ...args: unknown[]) => {
      invokes.push([channel, args]);
      return answer(channel, args);
    },
    on: (channel: string, fn: Listener) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(fn);
    },
    removeListener: (channel: string, fn: Listener) => listeners.get(channel)?.delete(fn),
    send: () => assert.fail('the bridge uses invoke only'),
    sendSync: () => assert.fail('the bridge uses invoke only'),
  };
  const contextBridge = { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) };
  // A sandboxed preload's require knows only a few modules; the bundle should need 'electron' alone.
  const sandboxRequire = (name: string) => {
    required.push(name);
    if (name === 'electron') return { contextBridge, ipcRenderer };
    throw new Error(`module not found: ${name}`);
  };
  const module = { exports: {} };
  runInNewContext(
    code,
    { require: sandboxRequire, module, exports: module.exports, console },
    { filename: 'preload.cjs' },
  );
  const emit = (batch: unknown) => {
    for (const fn of listeners.get(EVENTS_CHANNEL) ?? []) fn({ sender: 'ipc-event-object' }, batch);
  };
  // Values made inside the vm context have its prototypes: compare their JSON.
  const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
  return {
    exposed,
    invokes: invokes as Array<[string, unknown[]]>,
    plainInvokes: () => plain(invokes),
    listeners,
    required,
    emit,
    bridge: exposed.get('loopgate') as LoopgateBridge,
  };
}

test('exposes one global, window.loopgate, whose keys are exactly the bridge methods of shared/api.ts', () => {
  const { exposed, bridge, required } = load();
  assert.deepEqual([...exposed.keys()], ['loopgate']);
  assert.deepEqual(Object.keys(bridge).sort(), SHARED_BRIDGE_METHODS);
  for (const [k, v] of Object.entries(bridge)) assert.equal(typeof v, 'function', k);
  assert.deepEqual(required, ['electron'], 'nothing but electron is required (sandbox)');
  assert.ok(!Object.values(bridge).includes(undefined));
});

test('nothing of ipcRenderer leaks: no invoke/send/on on the bridge, listeners never get the IPC event', () => {
  const { bridge, emit } = load();
  // ("send" is a bridge method: it injects a WebSocket message, through invoke like the rest.)
  for (const k of [
    'invoke',
    'sendSync',
    'on',
    'once',
    'ipcRenderer',
    'removeListener',
    'postMessage',
    'require',
    'process',
  ])
    assert.equal(k in bridge, false, k);
  const got: unknown[][] = [];
  bridge.subscribe((...args: unknown[]) => got.push(args));
  emit([{ type: 'cleared' }]);
  assert.deepEqual(got, [[[{ type: 'cleared' }]]]);
});

test('each call is one invoke on its channel with its arguments; {ok:true} gives the value', async () => {
  const { bridge, invokes } = load((channel, args) => ({ ok: true, value: { channel, args } }));
  assert.deepEqual(await bridge.getSession(5), { channel: 'loopgate:getSession', args: [5] });
  assert.deepEqual(await bridge.frames(5, { after: 2, limit: 10 }), {
    channel: 'loopgate:frames',
    args: [5, { after: 2, limit: 10 }],
  });
  await bridge.status();
  await bridge.listRequests({ kind: 'ws' });
  await bridge.putConfig({ routes: [] });
  await bridge.setProfile(null);
  await bridge.send(1, { to: 'client', text: 'x' });
  await bridge.close(1, { code: 1000 });
  await bridge.exportHar({ session: 2 });
  await bridge.importHar({});
  await bridge.clear();
  await bridge.listSessions();
  await bridge.getConfig();
  assert.deepEqual(
    invokes.map(([c]) => c),
    [
      'getSession',
      'frames',
      'status',
      'listRequests',
      'putConfig',
      'setProfile',
      'send',
      'close',
      'exportHar',
      'importHar',
      'clear',
      'listSessions',
      'getConfig',
    ].map((m) => `loopgate:${m}`),
  );
});

test('openConfig: one invoke with its request (or none); a refusal names its code', async () => {
  const { bridge, plainInvokes } = load((_channel, args) =>
    (args[0] as { path?: string } | undefined)?.path === '/p/broken.json'
      ? { ok: false, code: 'NOT_JSON', message: '/p/broken.json is not valid JSON' }
      : { ok: true, value: { opened: args.length > 0, configFile: '/p/loopgate.json' } },
  );
  assert.deepEqual(await bridge.openConfig(), { opened: false, configFile: '/p/loopgate.json' });
  assert.deepEqual(await bridge.openConfig({ path: '/p' }), { opened: true, configFile: '/p/loopgate.json' });
  await assert.rejects(bridge.openConfig({ path: '/p/broken.json' }), {
    message: 'NOT_JSON: /p/broken.json is not valid JSON',
  });
  assert.deepEqual(plainInvokes(), [
    ['loopgate:openConfig', []],
    ['loopgate:openConfig', [{ path: '/p' }]],
    ['loopgate:openConfig', [{ path: '/p/broken.json' }]],
  ]);
});

test('a refusal rejects with "CODE: message"; a malformed answer rejects too', async () => {
  const { bridge } = load((channel) =>
    channel === 'loopgate:frames'
      ? { ok: false, code: 'BAD_REQUEST', message: '"after" must be an integer ≥ 0' }
      : channel === 'loopgate:status'
        ? 'garbage'
        : { ok: true, value: 1 },
  );
  await assert.rejects(bridge.frames(1, { after: -1 }), { message: 'BAD_REQUEST: "after" must be an integer ≥ 0' });
  await assert.rejects(bridge.status(), /^Error: BAD_REPLY: /);
  assert.equal(await bridge.getConfig(), 1);
});

test('subscribe: one IPC subscription for any number of listeners; the last unsubscribe ends it', async () => {
  const { bridge, plainInvokes, listeners, emit } = load();
  const a: StreamEvent[][] = [];
  const b: StreamEvent[][] = [];
  const offA = bridge.subscribe((batch) => a.push(batch));
  const offB = bridge.subscribe((batch) => b.push(batch));
  assert.deepEqual(plainInvokes(), [['loopgate:subscribe', [{ on: true }]]]);
  assert.equal(listeners.get(EVENTS_CHANNEL)!.size, 1);
  emit([{ type: 'config', version: 2 }]);
  emit('not a batch');
  assert.equal(a.length, 1);
  assert.equal(b.length, 1);
  offA();
  offA(); // twice is harmless
  emit([{ type: 'cleared' }]);
  assert.equal(a.length, 1);
  assert.equal(b.length, 2);
  assert.equal(plainInvokes().length, 1);
  offB();
  assert.deepEqual(plainInvokes().at(-1), ['loopgate:subscribe', [{ on: false }]]);
  assert.equal(listeners.get(EVENTS_CHANNEL)!.size, 0);
  emit([{ type: 'cleared' }]);
  assert.equal(b.length, 2);
});

test('a throwing listener does not stop the others', () => {
  const { bridge, emit } = load();
  const seen: number[] = [];
  const quiet = console.error;
  console.error = () => {};
  try {
    bridge.subscribe(() => {
      throw new Error('ui bug');
    });
    bridge.subscribe(() => seen.push(1));
    emit([{ type: 'cleared' }]);
  } finally {
    console.error = quiet;
  }
  assert.deepEqual(seen, [1]);
  assert.throws(() => bridge.subscribe('nope' as never), {
    name: 'TypeError',
    message: 'subscribe expects a function',
  });
});
