// HttpProxy's one retry after a lost connection (nginx proxy_next_upstream error on a cached connection), against raw TCP backends and real nginx.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import {
  startKeepAliveBackend,
  type Arrival,
  type Fate,
  type KeepAliveBackend,
} from '../../helpers/keepalive-backend.ts';
import { freePort, waitFor } from '../../helpers/net.ts';
import { nginxMissing, startNginx, type Nginx } from '../../helpers/nginx.ts';
import { hit, lastRecord } from '../../helpers/proxy-front.ts';
import { assertDoneOnce, proxyServers } from '../../helpers/proxy-servers.ts';

const { front, onCleanup } = proxyServers();

async function keepAlive(fate: (a: Arrival) => Fate, holdUntil?: number): Promise<KeepAliveBackend> {
  const b = await startKeepAliveBackend({ fate, holdUntil });
  onCleanup(() => b.close());
  return b;
}

/** The backend answers each connection's first request and drops the next one as its first bytes arrive. */
const staleAfterOne =
  (how: 'close' | 'reset') =>
  (a: Arrival): Fate =>
    a.nth === 1 ? 'answer' : how;

const fates = (b: KeepAliveBackend) => b.arrivals.map((a) => `${a.conn}.${a.nth} ${a.fate}`);

describe('HttpProxy: one retry after a lost connection', () => {
  for (const how of ['close', 'reset'] as const) {
    it(`a GET on a keep-alive connection the backend ${how === 'close' ? 'closes (FIN)' : 'resets (RST)'} as it arrives is served on a fresh one`, async () => {
      const b = await keepAlive(staleAfterOne(how));
      const f = await front({ match: '/', target: b.url });
      assert.equal((await hit(`${f.url}/first`)).body.toString(), 'conn 1 request 1: GET /first HTTP/1.1');
      const a = await hit(`${f.url}/second`);
      assert.equal(a.status, 200);
      assert.equal(
        a.body.toString(),
        'conn 2 request 1: GET /second HTTP/1.1',
        'answered as the first request of a new connection',
      );
      assert.equal(b.connections(), 2);
      assert.deepEqual(fates(b), ['1.1 answer', `1.2 ${how}`, '2.1 answer']);
      assert.equal(b.heads[1], b.heads[0]!.replace('/first', '/second'), 'the retry carries the same head');
      assert.match(b.heads[1]!, /\r\nx-forwarded-for: 127\.0\.0\.1\r\n/i);
      const r = lastRecord(f, '/second')!;
      assert.equal(r.status, 200);
      assert.equal(r.error, undefined);
      assert.equal(r.retried, true, 'the log says the request went twice');
      assert.equal(lastRecord(f, '/first')!.retried, undefined);
      assertDoneOnce(f);
    });
  }

  it('the retry never rides another pooled socket: with two stale idle connections it opens a third', async () => {
    const b = await keepAlive(staleAfterOne('close'), 2);
    const f = await front({ match: '/', target: b.url });
    // Two requests at once: the pool opens two connections, both idle afterwards.
    const primed = await Promise.all([hit(`${f.url}/a`), hit(`${f.url}/b`)]);
    assert.deepEqual(
      primed.map((p) => p.status),
      [200, 200],
    );
    assert.equal(b.connections(), 2);
    const a = await hit(`${f.url}/c`);
    assert.equal(a.status, 200, `the retry went on a stale pooled socket: ${fates(b).join(', ')}`);
    assert.equal(a.body.toString(), 'conn 3 request 1: GET /c HTTP/1.1');
    assert.equal(b.arrivals.filter((x) => x.fate === 'close').length, 1, 'one attempt lost, one retry');
  });

  const cases: Array<{ method: string; body?: string; headers?: Record<string, string>; status: number; why: string }> =
    [
      { method: 'POST', body: 'hello', status: 502, why: 'POST is not idempotent' },
      { method: 'PATCH', status: 502, why: 'PATCH is not idempotent' },
      { method: 'PUT', body: 'hello', status: 502, why: 'a request body is not replayed' },
      { method: 'DELETE', status: 200, why: 'idempotent, no body' },
      { method: 'OPTIONS', status: 200, why: 'idempotent, no body' },
      { method: 'PUT', headers: { 'content-length': '0' }, status: 200, why: 'an empty body is no body' },
    ];
  for (const c of cases) {
    it(`${c.method}${c.body ? ' with a body' : ''} on a stale connection: ${c.status} (${c.why})`, async () => {
      const b = await keepAlive(staleAfterOne('close'));
      const f = await front({ match: '/', target: b.url });
      assert.equal((await hit(`${f.url}/first`)).status, 200);
      const a = await hit(`${f.url}/x`, { method: c.method, body: c.body, headers: c.headers });
      assert.equal(a.status, c.status);
      const r = lastRecord(f, '/x')!;
      if (c.status === 502) {
        assert.equal(b.connections(), 1, 'not retried');
        assert.deepEqual(fates(b), ['1.1 answer', '1.2 close']);
        assert.equal(r.error?.code, 'ECONNRESET');
        assert.doesNotMatch(r.error!.message, /retried/);
        assert.equal(r.retried, undefined);
      } else {
        assert.deepEqual(fates(b), ['1.1 answer', '1.2 close', '2.1 answer']);
        assert.equal(r.error, undefined);
        assert.equal(r.retried, true);
      }
    });
  }

  it('a backend that drops every request as it arrives: tried twice (the second on a fresh connection), then 502 saying so', async () => {
    const b = await keepAlive(() => 'reset');
    const f = await front({ name: 'api', match: '/', target: b.url });
    const a = await hit(`${f.url}/x`);
    assert.equal(a.status, 502);
    assert.deepEqual(fates(b), ['1.1 reset', '2.1 reset']);
    const r = lastRecord(f, '/x')!;
    assert.equal(r.error?.code, 'ECONNRESET');
    assert.match(
      r.error!.message,
      /^route api: backend closed the connection unexpectedly \(http:\/\/127\.0\.0\.1:\d+\) \(retried once on a fresh connection\)$/,
    );
    assert.match(a.body.toString(), /retried once on a fresh connection/);
    assert.equal(r.retried, true);
    assertDoneOnce(f);
  });

  it('a connect error is never retried: a refused connection is one connect attempt', async () => {
    const port = await freePort();
    let attempts = 0;
    const onConnect = (m: unknown) => {
      if (Number((m as { connectParams: { port: string } }).connectParams.port) === port) attempts++;
    };
    diagnostics.subscribe('undici:client:beforeConnect', onConnect);
    try {
      const f = await front({ match: '/', target: `http://127.0.0.1:${port}` });
      for (let i = 1; i <= 3; i++) {
        assert.equal((await hit(`${f.url}/x${i}`)).status, 502);
        assert.equal(attempts, i, `request ${i}: one connect attempt each`);
        const r = lastRecord(f, `/x${i}`)!;
        assert.equal(r.error?.code, 'ECONNREFUSED');
        assert.doesNotMatch(r.error!.message, /retried/);
      }
    } finally {
      diagnostics.unsubscribe('undici:client:beforeConnect', onConnect);
    }
  });

  it('a read timeout is not retried', async () => {
    const b = await keepAlive(() => 'hang');
    const f = await front({ match: '/', target: b.url, timeouts: { read: '200ms' } });
    assert.equal((await hit(`${f.url}/x`)).status, 504);
    assert.equal(lastRecord(f, '/x')!.error?.code, 'READ_TIMEOUT');
    assert.equal(b.connections(), 1);
    assert.equal(b.arrivals.length, 1);
  });

  it('a response that breaks after its head reached the client is not retried: the client sees it broken', async () => {
    const b = await keepAlive(() => 'cut');
    const f = await front({ match: '/', target: b.url });
    await assert.rejects(hit(`${f.url}/x`));
    await waitFor(() => lastRecord(f, '/x')?.done, 'record done');
    const r = lastRecord(f, '/x')!;
    assert.equal(r.status, 200);
    assert.equal(r.error?.code, 'ECONNRESET');
    assert.equal(r.bytesOut, 10);
    assert.deepEqual(fates(b), ['1.1 cut']);
  });
});

describe('HttpProxy vs nginx: a stale keep-alive connection', { skip: nginxMissing }, () => {
  let nginx: Nginx;
  const forNginx: Record<string, KeepAliveBackend> = {};

  before(async () => {
    for (const name of ['get', 'post']) forNginx[name] = await startKeepAliveBackend({ fate: staleAfterOne('close') });
    nginx = await startNginx(
      await freePort(),
      ['get', 'post']
        .map(
          (n) => `location /${n}/ { proxy_pass http://${n}; proxy_http_version 1.1; proxy_set_header Connection ""; }`,
        )
        .join('\n'),
      ['get', 'post'].map((n) => `upstream ${n} { server 127.0.0.1:${forNginx[n]!.port}; keepalive 4; }`).join('\n'),
    );
  });

  after(async () => {
    await nginx?.stop();
    for (const b of Object.values(forNginx)) await b.close();
  });

  for (const method of ['GET', 'POST']) {
    it(`${method} on a connection the backend drops as it arrives: same answers, same connections`, async () => {
      const name = method.toLowerCase();
      const ours = await keepAlive(staleAfterOne('close'));
      const f = await front({ match: `/${name}/`, target: ours.url });
      const observe = async (base: string, b: KeepAliveBackend) => {
        const statuses = [(await hit(`${base}/${name}/one`)).status];
        statuses.push((await hit(`${base}/${name}/two`, { method, body: method === 'POST' ? 'x' : undefined })).status);
        return { statuses, fates: fates(b) };
      };
      const fromNginx = await observe(`http://127.0.0.1:${nginx.port}`, forNginx[name]!);
      assert.deepEqual(fromNginx.statuses, method === 'GET' ? [200, 200] : [200, 502], JSON.stringify(fromNginx));
      assert.deepEqual(await observe(f.url, ours), fromNginx);
    });
  }
});
