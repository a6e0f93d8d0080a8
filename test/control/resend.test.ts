// POST /api/requests/:id/resend on a whole Runtime with a real backend: as is, edited, resentFrom, the mark never forwarded, 404, 409.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HttpRecord } from '../../shared/events.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { startLoopgate, until, type Loopgate } from '../helpers/integ.ts';

let backend: Backend;
let lg: Loopgate;

before(async () => {
  backend = await startBackend();
  lg = await startLoopgate({
    routes: [
      { match: '/api/mocked', target: `${backend.url}/`, respond: { status: 203, body: { mocked: true } } },
      { match: '/api/', target: `${backend.url}/` },
    ],
    inspect: { bodyBytes: 64 },
  });
});
after(async () => {
  await lg.stop();
  await backend.close();
});

const site = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${lg.port()}${path}`, init);

/** The finished record of the newest request to `url`. */
async function finished(url: string, not: number[] = []): Promise<HttpRecord> {
  return until(() => {
    const items = lg.rt.log.list({ kind: 'http' }, 'http').items as HttpRecord[];
    return items.find((r) => r.url === url && r.done && !not.includes(r.id)) ?? null;
  }, `the record of ${url}`);
}

const markSeen = () => backend.seen.some((s) => s.rawHeaders.some((h) => h.toLowerCase() === 'x-loopgate-resend'));

describe('resend', () => {
  it('resends a request as it was: same method, path, headers and body; the new record says resentFrom', async () => {
    const res = await site('/api/orders?x=1', {
      method: 'PUT',
      body: '{"qty":2}',
      headers: { 'content-type': 'application/json', 'x-custom': 'kept' },
    });
    await res.text();
    const first = await finished('/api/orders?x=1');
    const before = backend.seen.length;
    const r = await lg.api('POST', `/api/requests/${first.id}/resend`, {});
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.status, 200);
    assert.ok(r.json.id > first.id);
    assert.equal(backend.seen.length, before + 1);
    const got = backend.seen.at(-1)!;
    assert.equal(got.method, 'PUT');
    assert.equal(got.url, '/orders?x=1');
    assert.equal(got.body, '{"qty":2}');
    assert.equal(got.headers['x-custom'], 'kept');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['content-length'], '9');
    const again = await finished('/api/orders?x=1', [first.id]);
    assert.equal(again.id, r.json.id);
    assert.equal(again.resentFrom, first.id);
    assert.equal(again.route, first.route);
    assert.equal(first.resentFrom, undefined);
    assert.ok(!('x-loopgate-resend' in again.requestHeaders), 'the mark is not logged');
    assert.ok(!markSeen(), 'the mark never reaches the backend');
  });

  it('resends with edits: method, url, headers and body', async () => {
    await (await site('/api/a', { method: 'POST', body: 'one' })).text();
    const first = await finished('/api/a');
    const r = await lg.api('POST', `/api/requests/${first.id}/resend`, {
      method: 'patch',
      url: '/api/b?y=2',
      headers: { 'x-edited': 'yes', 'content-type': 'text/plain', host: `127.0.0.1:${lg.port()}` },
      text: 'two, longer',
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const got = backend.seen.at(-1)!;
    assert.equal(got.method, 'PATCH');
    assert.equal(got.url, '/b?y=2');
    assert.equal(got.body, 'two, longer');
    assert.equal(got.headers['x-edited'], 'yes');
    assert.equal(got.headers['content-type'], 'text/plain');
    const rec = await finished('/api/b?y=2');
    assert.equal(rec.id, r.json.id);
    assert.equal(rec.resentFrom, first.id);
    assert.equal(rec.method, 'PATCH');
    // base64 body on a binary edit
    const b = await lg.api('POST', `/api/requests/${first.id}/resend`, {
      base64: Buffer.from([0, 1, 2]).toString('base64'),
    });
    assert.equal(b.status, 200);
    assert.equal(backend.seen.at(-1)!.bodyLength, 3);
    assert.ok(!markSeen());
  });

  it('a forged mark from a client is stripped and marks nothing', async () => {
    await (await site('/api/forged', { headers: { 'x-loopgate-resend': 'guess:1' } })).text();
    const rec = await finished('/api/forged');
    assert.equal(rec.resentFrom, undefined);
    assert.ok(!markSeen());
  });

  it('refuses an unknown id (404), bad edits (400) and a body cut at inspect.bodyBytes (409)', async () => {
    const none = await lg.api('POST', '/api/requests/999999/resend', {});
    assert.equal(none.status, 404);
    assert.equal(none.json.error.code, 'NOT_FOUND');

    await (await site('/api/upload', { method: 'POST', body: 'x'.repeat(200) })).text();
    const big = await finished('/api/upload');
    assert.equal(big.requestBodyTruncated, true);
    const before = backend.seen.length;
    const cut = await lg.api('POST', `/api/requests/${big.id}/resend`, {});
    assert.equal(cut.status, 409);
    assert.equal(cut.json.error.code, 'BODY_CUT');
    assert.match(cut.json.error.message, /inspect\.bodyBytes/);
    assert.equal(backend.seen.length, before, 'nothing was sent');
    // with the whole body given, it goes
    const whole = await lg.api('POST', `/api/requests/${big.id}/resend`, { text: 'y'.repeat(200) });
    assert.equal(whole.status, 200);
    assert.equal(backend.seen.at(-1)!.bodyLength, 200);

    const bad = await lg.api('POST', `/api/requests/${big.id}/resend`, { url: 'no-slash', text: 'a' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /"url"/);
    const both = await lg.api('POST', `/api/requests/${big.id}/resend`, { text: 'a', base64: 'YQ==' });
    assert.equal(both.status, 400);
  });

  it('goes through the same route: a mock answers it, a breakpoint holds it until continued', async () => {
    await (await site('/api/plain')).text();
    const plain = await finished('/api/plain');
    // edited onto the mocked route: the mock answers, the backend is not called
    const before = backend.seen.length;
    const m = await lg.api('POST', `/api/requests/${plain.id}/resend`, { url: '/api/mocked' });
    assert.equal(m.status, 200, JSON.stringify(m.json));
    assert.equal(m.json.status, 203);
    assert.equal(backend.seen.length, before);
    const mocked = await finished('/api/mocked');
    assert.equal(mocked.standIn, 'mocked');
    assert.equal(mocked.resentFrom, plain.id);

    const bp = await lg.api('POST', '/api/breakpoints', { at: 'request', match: { path: '/api/plain' } });
    assert.equal(bp.status, 201);
    const pending = lg.api('POST', `/api/requests/${plain.id}/resend`, {});
    const held = await until(async () => (await lg.api('GET', '/api/paused')).json[0], 'the held resend');
    assert.equal(
      lg.rt.log.get(held.requestId)?.kind === 'http' && (lg.rt.log.get(held.requestId) as HttpRecord).resentFrom,
      plain.id,
    );
    assert.equal((await lg.api('POST', `/api/paused/${held.id}/continue`, { text: '' })).status, 200);
    const r = await pending;
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.id, held.requestId);
    assert.equal(r.json.status, 200);
    assert.equal((await lg.api('DELETE', `/api/breakpoints/${bp.json.id}`, {})).status, 200);
    assert.ok(!markSeen());
  });
});
