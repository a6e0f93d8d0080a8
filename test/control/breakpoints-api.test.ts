// The breakpoints control API on a whole Runtime with a real backend: add, hold, list, continue/respond/drop, delete, events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { StreamEvent } from '../../shared/api.ts';
import { startBackend, type Backend, type EchoBody } from '../helpers/backend.ts';
import { startLoopgate, until, type Loopgate } from '../helpers/integ.ts';

let backend: Backend;
let lg: Loopgate;
let events: WebSocket;
const seen: StreamEvent[] = [];

before(async () => {
  backend = await startBackend();
  lg = await startLoopgate({ routes: [{ match: '/api/', target: `${backend.url}/`, timeouts: { read: '200ms' } }] });
  events = new WebSocket(`${lg.rt.controlUrl!.replace('http', 'ws')}/api/events`, {
    headers: { authorization: `Bearer ${lg.rt.token}` },
  });
  events.on('message', (data) => seen.push(...(JSON.parse(String(data)) as StreamEvent[])));
  await new Promise((resolve, reject) => events.once('open', resolve).once('error', reject));
});
after(async () => {
  events.close();
  await lg.stop();
  await backend.close();
});

const site = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${lg.port()}${path}`, init);

/** The one entry held now (waits for it). */
async function heldOne(): Promise<any> {
  return until(async () => {
    const r = await lg.api('GET', '/api/paused');
    return r.json.length === 1 ? r.json[0] : null;
  }, 'a paused request');
}

describe('breakpoints API', () => {
  it('refuses a bad breakpoint with a message naming the problem', async () => {
    const r = await lg.api('POST', '/api/breakpoints', { at: 'request', match: { path: '/(\\w+\\s?)*$/' } });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'BAD_REQUEST');
    assert.match(r.json.error.message, /match\.path/);
    assert.deepEqual((await lg.api('GET', '/api/breakpoints')).json, []);
  });

  it('holds a request; continue with edits, respond, drop; events announce each; delete releases', async () => {
    const add = await lg.api('POST', '/api/breakpoints', { at: 'request', match: { method: 'POST', path: '/api/' } });
    assert.equal(add.status, 201);
    const id = add.json.id as number;
    assert.ok(Number.isInteger(id));
    assert.deepEqual((await lg.api('GET', '/api/breakpoints')).json, [
      { id, at: 'request', match: { method: 'POST', path: '/api/' } },
    ]);

    // continue with edits, held past the read timeout
    const first = site('/api/one', { method: 'POST', body: 'original', headers: { 'content-type': 'text/plain' } });
    const p1 = await heldOne();
    assert.equal(p1.breakpoint, id);
    assert.equal(p1.text, 'original');
    await new Promise((r) => setTimeout(r, 300));
    const c = await lg.api('POST', `/api/paused/${p1.id}/continue`, {
      text: 'edited body',
      headers: { 'x-edit': '1' },
    });
    assert.equal(c.status, 200);
    assert.deepEqual(c.json, { ok: true, resolution: 'edited' });
    const echo = (await (await first).json()) as EchoBody;
    assert.equal(echo.body, 'edited body');
    assert.equal(echo.headers['x-edit'], '1');
    assert.equal(echo.headers['content-length'], '11');

    // a bad edit leaves it held; respond answers locally
    const second = site('/api/two', { method: 'POST', body: '{}' });
    const p2 = await heldOne();
    const bad = await lg.api('POST', `/api/paused/${p2.id}/respond`, { status: 99 });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /"status"/);
    await lg.api('POST', `/api/paused/${p2.id}/respond`, {
      status: 201,
      headers: { 'content-type': 'application/json' },
      text: '{"local":true}',
    });
    const a2 = await second;
    assert.equal(a2.status, 201);
    assert.deepEqual(await a2.json(), { local: true });

    // drop
    const third = site('/api/three', { method: 'POST', body: 'x' });
    const p3 = await heldOne();
    assert.equal((await lg.api('POST', `/api/paused/${p3.id}/drop`, {})).status, 200);
    const a3 = await third;
    assert.equal(a3.status, 502);
    assert.match(await a3.text(), new RegExp(`breakpoint ${id}`));
    assert.equal((await lg.api('POST', `/api/paused/${p3.id}/drop`, {})).status, 404, 'gone once resolved');

    // the log marks them
    const list = (await lg.api('GET', '/api/requests?limit=50')).json.items as any[];
    const mark = (url: string) => list.find((r) => r.url === url)?.intervened;
    assert.equal(mark('/api/one'), 'edited');
    assert.equal(mark('/api/two'), 'answered');
    assert.equal(mark('/api/three'), 'dropped');

    // delete: what it holds goes on unchanged
    const fourth = site('/api/four', { method: 'POST', body: 'as is' });
    const p4 = await heldOne();
    assert.equal((await lg.api('DELETE', `/api/breakpoints/${id}`, {})).status, 200);
    assert.equal(((await (await fourth).json()) as EchoBody).body, 'as is');
    assert.equal((await lg.api('DELETE', `/api/breakpoints/${id}`, {})).status, 404);
    assert.deepEqual((await lg.api('GET', '/api/paused')).json, []);

    // events: each pause and each resolution
    await until(() => seen.filter((e) => e.type === 'resolved').length >= 4, 'resolved events');
    const paused = seen.filter((e) => e.type === 'paused').map((e) => (e as { paused: { id: number } }).paused.id);
    assert.deepEqual(paused, [p1.id, p2.id, p3.id, p4.id]);
    const resolved = seen.flatMap((e) => (e.type === 'resolved' ? [e.resolution] : []));
    assert.deepEqual(resolved, ['edited', 'answered', 'dropped', 'continued']);
  });

  it('holds a response: continue with a new status and body, then drop one (502)', async () => {
    const add = await lg.api('POST', '/api/breakpoints', { at: 'response', match: { path: '/^\\/api\\/r\\d$/' } });
    assert.equal(add.status, 201);
    const first = site('/api/r1');
    const p1 = await heldOne();
    assert.equal(p1.at, 'response');
    assert.equal(p1.status, 200);
    assert.equal(JSON.parse(p1.text).url, '/r1');
    const c = await lg.api('POST', `/api/paused/${p1.id}/continue`, { status: 404, text: 'not here' });
    assert.deepEqual(c.json, { ok: true, resolution: 'edited' });
    const a1 = await first;
    assert.equal(a1.status, 404);
    assert.equal(a1.headers.get('content-length'), '8');
    assert.equal(await a1.text(), 'not here');
    const respondAtResponse = site('/api/r2');
    const p2 = await heldOne();
    assert.equal((await lg.api('POST', `/api/paused/${p2.id}/respond`, { status: 200 })).status, 400);
    await lg.api('POST', `/api/paused/${p2.id}/drop`, {});
    assert.equal((await respondAtResponse).status, 502);
    assert.equal((await site('/api/other')).status, 200, 'no match: not held');
    assert.equal((await lg.api('DELETE', `/api/breakpoints/${add.json.id}`, {})).status, 200);
  });
});
