// Request- and response-stage breakpoints through the real engine and a real backend: hold, continue (edited), answer, drop, release.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Paused } from '../../../shared/breakpoints.ts';
import { validateConfig } from '../../../shared/config.ts';
import type { HttpRecord } from '../../../shared/events.ts';
import { Engine } from '../../../main/engine/server.ts';
import { compileSnapshot } from '../../../main/engine/snapshot.ts';
import { Breakpoints } from '../../../main/engine/steps/breakpoints.ts';
import type { Recorder } from '../../../main/engine/types.ts';
import { startBackend, type Backend, type EchoBody } from '../../helpers/backend.ts';

let backend: Backend;
let engine: Engine;
let base: string;
const records = new Map<number, HttpRecord>();
let nextId = 0;
const recorder: Recorder = {
  nextId: () => ++nextId,
  http: (r) => void records.set(r.id, r),
  ws() {},
  frame() {},
};

before(async () => {
  backend = await startBackend();
  engine = new Engine({ recorder });
  const r = validateConfig({
    listen: { host: '127.0.0.1', port: 0 },
    maxBodySize: '1k',
    routes: [{ match: '/api/', target: `${backend.url}/v1/`, timeouts: { read: '150ms', clientBody: '300ms' } }],
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  base = await engine.start(compileSnapshot(r.config, { baseDir: process.cwd() }));
});
after(async () => {
  await engine.stop({ drainMs: 100 });
  await backend.close();
});

/** The next entry the registry holds. */
function nextPause(): Promise<Paused> {
  return new Promise((resolve) => {
    const off = engine.breakpoints.onEvent((e) => {
      if (e.type === 'paused') {
        off();
        resolve(e.paused);
      }
    });
  });
}

async function hold(path: string, init: RequestInit = {}) {
  const paused = nextPause();
  const answer = fetch(`${base}${path}`, init);
  return { paused: await paused, answer };
}

function add(input: unknown): number {
  const bp = engine.breakpoints.add(input);
  assert.ok(!('ok' in bp), JSON.stringify(bp));
  return bp.id;
}

describe('request breakpoints', () => {
  test('continue unchanged: the held request reaches the backend as sent, the record names the breakpoint', async () => {
    const id = add({ match: { method: 'post', path: '/api/items' }, at: 'request' });
    const { paused, answer } = await hold('/api/items?x=1', {
      method: 'POST',
      body: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(paused.breakpoint, id);
    assert.equal(paused.method, 'POST');
    assert.equal(paused.url, '/api/items?x=1');
    assert.equal(paused.text, 'hello');
    assert.equal(paused.headers['content-type'], 'text/plain');
    assert.deepEqual(
      engine.breakpoints.paused().map((p) => p.id),
      [paused.id],
    );
    assert.deepEqual(engine.breakpoints.resolve(paused.id, 'continue', {}), { ok: true, resolution: 'continued' });
    const res = await answer;
    assert.equal(res.status, 200);
    const seen = (await res.json()) as EchoBody;
    assert.equal(seen.url, '/v1/items?x=1');
    assert.equal(seen.body, 'hello');
    const rec = records.get(paused.requestId)!;
    assert.equal(rec.breakpoint, id);
    assert.equal(rec.intervened, undefined);
    assert.equal(engine.breakpoints.paused().length, 0);
    engine.breakpoints.remove(id);
  });

  test('continue with edits: method, path, headers and body go out edited, Content-Length right', async () => {
    const id = add({ match: { path: '/^\\/api\\/edit/' }, at: 'request' });
    const { paused, answer } = await hold('/api/edit', { method: 'POST', body: 'short' });
    const r = engine.breakpoints.resolve(paused.id, 'continue', {
      method: 'put',
      url: '/api/other?y=2',
      headers: { 'x-added': 'yes', 'content-type': 'text/plain', 'content-length': '1' },
      text: 'a much longer body ✓',
    });
    assert.deepEqual(r, { ok: true, resolution: 'edited' });
    const seen = (await (await answer).json()) as EchoBody;
    assert.equal(seen.method, 'PUT');
    assert.equal(seen.url, '/v1/other?y=2');
    assert.equal(seen.headers['x-added'], 'yes');
    assert.equal(seen.body, 'a much longer body ✓');
    assert.equal(seen.headers['content-length'], String(Buffer.byteLength('a much longer body ✓')));
    assert.equal(records.get(paused.requestId)!.intervened, 'edited');
    engine.breakpoints.remove(id);
  });

  test('respond: answered locally, the backend never called; drop: 502 naming the breakpoint', async () => {
    const id = add({ match: { route: '/api/' }, at: 'request' });
    const before = backend.seen.length;
    const one = await hold('/api/local');
    assert.equal(engine.breakpoints.resolve(one.paused.id, 'respond', { status: 200 }).ok, true);
    const two = await hold('/api/local2');
    const bad = engine.breakpoints.resolve(two.paused.id, 'respond', { text: 'x' });
    assert.equal(bad.ok, false);
    assert.match((bad as { message: string }).message, /status/);
    engine.breakpoints.resolve(two.paused.id, 'respond', { status: 418, headers: { 'x-local': '1' }, text: 'teapot' });
    const res2 = await two.answer;
    assert.equal(res2.status, 418);
    assert.equal(res2.headers.get('x-local'), '1');
    assert.equal(await res2.text(), 'teapot');
    assert.equal((await one.answer).status, 200);
    const three = await hold('/api/gone', { method: 'DELETE' });
    engine.breakpoints.resolve(three.paused.id, 'drop', {});
    const res3 = await three.answer;
    assert.equal(res3.status, 502);
    assert.match(await res3.text(), new RegExp(`breakpoint ${id}`));
    assert.equal(backend.seen.length, before, 'the backend saw none of them');
    assert.equal(records.get(two.paused.requestId)!.intervened, 'answered');
    assert.equal(records.get(three.paused.requestId)!.intervened, 'dropped');
    assert.equal(records.get(three.paused.requestId)!.status, 502);
    engine.breakpoints.remove(id);
  });

  test("held longer than the route's read timeout, the request still succeeds", async () => {
    const id = add({ match: { path: '/api/slow' }, at: 'request' });
    const { paused, answer } = await hold('/api/slow/50');
    await new Promise((r) => setTimeout(r, 400)); // the read timeout is 150 ms: held well past it
    engine.breakpoints.resolve(paused.id, 'continue', {});
    assert.equal((await answer).status, 200);
    engine.breakpoints.remove(id);
  });

  test('deleting the breakpoint continues what it holds, unchanged; other requests pass untouched', async () => {
    const id = add({ match: { method: 'PATCH' }, at: 'request' });
    const { paused, answer } = await hold('/api/held', { method: 'PATCH', body: 'keep' });
    const free = await fetch(`${base}/api/free`);
    assert.equal(free.status, 200, 'a GET does not match and is not held');
    assert.equal(engine.breakpoints.remove(id), true);
    const seen = (await (await answer).json()) as EchoBody;
    assert.equal(seen.body, 'keep');
    assert.equal(records.get(paused.requestId)!.intervened, undefined);
    assert.equal(engine.breakpoints.size, 0);
  });

  test('a body over maxBodySize gets 413 and is never held', async () => {
    const id = add({ match: { path: '/api/' }, at: 'request' });
    const res = await fetch(`${base}/api/big`, { method: 'POST', body: 'x'.repeat(2048) });
    assert.equal(res.status, 413);
    assert.equal(engine.breakpoints.paused().length, 0);
    engine.breakpoints.remove(id);
  });
});

describe('request breakpoints: clients that go away', () => {
  test('a client gone while held: the entry leaves the queue, the record is closed as aborted', async () => {
    const id = add({ match: { path: '/api/gone-client' }, at: 'request' });
    const ac = new AbortController();
    const paused = nextPause();
    const answer = fetch(`${base}/api/gone-client`, { signal: ac.signal }).catch((e: Error) => e);
    const p = await paused;
    const resolved = new Promise((resolve) => {
      const off = engine.breakpoints.onEvent((e) => e.type === 'resolved' && e.id === p.id && (off(), resolve(e)));
    });
    ac.abort();
    await answer;
    await resolved;
    assert.equal(engine.breakpoints.paused().length, 0);
    const rec = records.get(p.requestId)!;
    assert.equal(rec.done, true);
    assert.equal(rec.error?.code, 'CLIENT_ABORTED');
    engine.breakpoints.remove(id);
  });

  test("a client that stops sending its body is cut after the route's clientBody timeout, never held", async () => {
    const id = add({ match: { path: '/api/slow-body' }, at: 'request' });
    const closed = await new Promise<string>((resolve) => {
      const req = request(`${base}/api/slow-body`, { method: 'POST', headers: { 'content-length': '100' } });
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      req.on('response', (r) => resolve(`status ${r.statusCode}`));
      req.write('only part');
    });
    assert.equal(closed, 'ECONNRESET', 'closed without an answer, as nginx does');
    const rec = [...records.values()].find((r) => r.url === '/api/slow-body')!;
    assert.equal(rec.error?.code, 'CLIENT_BODY_TIMEOUT');
    assert.equal(rec.status, 408);
    assert.equal(engine.breakpoints.paused().length, 0);
    engine.breakpoints.remove(id);
  });
});

describe('response breakpoints', () => {
  test('continue with edits: status, headers and body changed, Content-Length right; held past the read timeout', async () => {
    const id = add({ match: { path: '/api/resp' }, at: 'response' });
    const { paused, answer } = await hold('/api/resp/1', { method: 'POST', body: 'sent' });
    assert.equal(paused.at, 'response');
    assert.equal(paused.status, 200);
    assert.equal((JSON.parse(paused.text!) as EchoBody).body, 'sent', 'the backend did answer');
    await new Promise((r) => setTimeout(r, 400)); // read timeout 150 ms
    const r = engine.breakpoints.resolve(paused.id, 'continue', {
      status: 203,
      headers: { 'content-type': 'text/plain', 'x-edited': 'yes', 'content-length': '2' },
      text: 'changed ✓',
    });
    assert.deepEqual(r, { ok: true, resolution: 'edited' });
    const res = await answer;
    assert.equal(res.status, 203);
    assert.equal(res.headers.get('x-edited'), 'yes');
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength('changed ✓')));
    assert.equal(await res.text(), 'changed ✓');
    const rec = records.get(paused.requestId)!;
    assert.equal(rec.intervened, 'edited');
    assert.equal(rec.status, 203);
    assert.equal(rec.done, true);
    engine.breakpoints.remove(id);
  });

  test('continue unchanged passes the answer as the backend sent it; drop answers 502', async () => {
    const id = add({ match: { route: '/api/' }, at: 'response' });
    const one = await hold('/api/same');
    engine.breakpoints.resolve(one.paused.id, 'continue', {});
    const res1 = await one.answer;
    assert.equal(res1.status, 200);
    assert.equal(((await res1.json()) as EchoBody).url, '/v1/same');
    const two = await hold('/api/dropme');
    assert.equal(
      engine.breakpoints.resolve(two.paused.id, 'respond', { status: 200 }).ok,
      false,
      'respond is request stage only',
    );
    engine.breakpoints.resolve(two.paused.id, 'drop', {});
    const res2 = await two.answer;
    assert.equal(res2.status, 502);
    assert.match(await res2.text(), new RegExp(`breakpoint ${id}`));
    assert.equal(records.get(two.paused.requestId)!.intervened, 'dropped');
    engine.breakpoints.remove(id);
  });

  test('a client gone while its answer is held: the entry leaves the queue, the record is closed as aborted', async () => {
    const id = add({ match: { path: '/api/resp-gone' }, at: 'response' });
    const ac = new AbortController();
    const paused = nextPause();
    const answer = fetch(`${base}/api/resp-gone`, { signal: ac.signal }).catch((e: Error) => e);
    const p = await paused;
    const resolved = new Promise((resolve) => {
      const off = engine.breakpoints.onEvent((e) => e.type === 'resolved' && e.id === p.id && (off(), resolve(e)));
    });
    ac.abort();
    await answer;
    await resolved;
    assert.equal(engine.breakpoints.paused().length, 0);
    const rec = records.get(p.requestId)!;
    assert.equal(rec.done, true);
    assert.equal(rec.error?.code, 'CLIENT_ABORTED');
    engine.breakpoints.remove(id);
  });

  test('deleting the breakpoint sends the held answer unchanged', async () => {
    const id = add({ match: { method: 'GET', path: '/api/del' }, at: 'response' });
    const { answer } = await hold('/api/del');
    engine.breakpoints.remove(id);
    const res = await answer;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as EchoBody).url, '/v1/del');
    assert.equal(engine.breakpoints.paused().length, 0);
  });
});

test('stopping the engine continues what breakpoints hold, unchanged', async () => {
  const own = new Engine({ recorder });
  const r = validateConfig({ listen: { host: '127.0.0.1', port: 0 }, routes: [{ match: '/', target: backend.url }] });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const url = await own.start(compileSnapshot(r.config, { baseDir: process.cwd() }));
  own.breakpoints.add({ match: { path: '/' }, at: 'request' });
  const paused = new Promise((resolve) => own.breakpoints.onEvent((e) => e.type === 'paused' && resolve(e)));
  const answer = fetch(`${url}/stopping`, { method: 'POST', body: 'kept' });
  await paused;
  const stopped = own.stop({ drainMs: 2000 });
  const res = await answer;
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as EchoBody).body, 'kept');
  await stopped;
  assert.equal(own.breakpoints.paused().length, 0);
});

describe('breakpoint input', () => {
  test('bad breakpoints and edits are refused with a message naming the problem', () => {
    const bp = new Breakpoints();
    const msg = (v: unknown) => (v as { message?: string }).message ?? '';
    assert.match(msg(bp.add({ at: 'somewhere' })), /"at"/);
    assert.match(msg(bp.add({ at: 'request', match: { path: 'api' } })), /match\.path/);
    assert.match(msg(bp.add({ at: 'request', match: { path: '/(a+)+$/' } })), /refused/);
    assert.match(msg(bp.add({ at: 'request', match: { path: '/([/' } })), /invalid/);
    assert.match(msg(bp.add({ at: 'request', match: { colour: 'red' } })), /match\.colour/);
    assert.match(msg(bp.add({ at: 'request', match: { text: 'x' } })), /"message" only/);
    assert.match(msg(bp.add({ at: 'message', match: { direction: 'to-client' } })), /not supported yet/);
    assert.equal(bp.size, 0);
    assert.equal(bp.resolve(99, 'continue', {}).ok, false);
  });
});
