// HttpProxy failures and timeouts against real backends: 502/504, read/send/connect timeouts, client aborts.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { close, freePort, listen, waitFor } from '../../helpers/net.ts';
import { hit, lastRecord } from '../../helpers/proxy-front.ts';

import { assertDoneOnce, proxyServers } from '../../helpers/proxy-servers.ts';

const { front, backend, rawBackend, onCleanup } = proxyServers();

describe('HttpProxy: failures and timeouts', () => {
  const timeouts = { connect: '300ms', read: '300ms', send: '300ms' };

  it('answers 502 when the backend refuses, with the route named and CORS/addHeaders', async () => {
    const port = await freePort();
    const f = await front({
      name: 'api',
      match: '/',
      target: `http://127.0.0.1:${port}`,
      addHeaders: { 'X-Added': '1' },
      cors: { enabled: true, origins: 'reflect' },
    });
    const a = await hit(`${f.url}/`, { headers: { Origin: 'http://localhost:3000' } });
    assert.equal(a.status, 502);
    assert.match(a.body.toString(), /route api: backend refused the connection \(http:\/\/127\.0\.0\.1:\d+\)/);
    assert.equal(a.headers['x-added'], '1');
    assert.equal(a.headers['access-control-allow-origin'], 'http://localhost:3000');
    assert.deepEqual(lastRecord(f, '/')!.error?.code, 'ECONNREFUSED');
    assertDoneOnce(f);
  });

  it('answers 502 when the backend resets the connection (a GET is retried once first, see proxy.retry.test.ts)', async () => {
    const b = await backend();
    const f = await front({ match: '/', target: b.url });
    const a = await hit(`${f.url}/reset`);
    assert.equal(a.status, 502);
    assert.equal(lastRecord(f, '/reset')!.error?.code, 'ECONNRESET');
    assert.equal(b.seen.filter((s) => s.url === '/reset').length, 2);
  });

  it('answers 504 when the backend sends no headers within the read timeout', async () => {
    const b = await backend();
    const f = await front({ match: '/', target: b.url, timeouts });
    const a = await hit(`${f.url}/hang`);
    assert.equal(a.status, 504);
    assert.equal(lastRecord(f, '/hang')!.error?.code, 'READ_TIMEOUT');
  });

  it('cuts the response when the body stalls past the read timeout', async () => {
    const url = await rawBackend((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    const f = await front({ match: '/', target: url, timeouts });
    await assert.rejects(hit(`${f.url}/stall`));
    await waitFor(() => lastRecord(f, '/stall')?.done, 'record done');
    assert.equal(lastRecord(f, '/stall')!.error?.code, 'READ_TIMEOUT');
  });

  it('a sub-second read timeout is kept to: headers at 600 ms against 200 ms are a 504, a body resuming at 600 ms is cut', async () => {
    const url = await rawBackend((req, res) => {
      if (req.url === '/late') {
        setTimeout(() => res.end('too late'), 600); // the stimulus: a slow backend
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      setTimeout(() => res.end(' and the rest'), 600);
    });
    const f = await front({ match: '/', target: url, timeouts: { read: '200ms' } });
    const a = await hit(`${f.url}/late`);
    assert.equal(a.status, 504, 'undici timers alone fire after ~1 s and let the 600 ms answer through');
    assert.equal(lastRecord(f, '/late')!.error?.code, 'READ_TIMEOUT');
    await assert.rejects(hit(`${f.url}/body`));
    await waitFor(() => lastRecord(f, '/body')?.done, 'record done');
    assert.equal(lastRecord(f, '/body')!.error?.code, 'READ_TIMEOUT');
    assertDoneOnce(f);
  });

  it('a short read timeout waits for the whole request to be sent, and for a slow client to read', async () => {
    const big = Buffer.alloc(16 * 1024 * 1024, 120);
    const url = await rawBackend((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-length': big.length });
        res.end(big);
        return;
      }
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(`got ${n}`));
    });
    const f = await front({ match: '/', target: url, timeouts: { read: '200ms' } });
    // An upload that takes ~600 ms: the read timeout starts once it is all sent.
    const upload = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${f.url}/upload`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      let sent = 0;
      const tick = setInterval(() => {
        req.write(Buffer.alloc(1000, 1));
        if (++sent === 6) {
          clearInterval(tick);
          req.end();
        }
      }, 100);
    });
    assert.deepEqual(upload, { status: 200, body: 'got 6000' });
    // A client that stops reading for 600 ms: Loopgate stops reading the backend, and does not time it out.
    const got = await new Promise<number>((resolve, reject) => {
      request(`${f.url}/big`, (res) => {
        res.pause();
        setTimeout(() => {
          let n = 0;
          res.on('data', (c: Buffer) => (n += c.length));
          res.on('end', () => resolve(n));
          res.resume();
        }, 600);
      })
        .on('error', reject)
        .end();
    });
    assert.equal(got, big.length);
    assert.equal(lastRecord(f, '/big')!.error, undefined);
    assert.equal(lastRecord(f, '/upload')!.error, undefined);
  });

  it('answers 504 when the backend stops reading the body (send timeout)', async () => {
    const stalled: Socket[] = [];
    const server = createNetServer({ pauseOnConnect: true }, (s) => stalled.push(s));
    const port = await listen(server);
    onCleanup(async () => {
      for (const s of stalled) s.destroy();
      await close(server);
    });
    const f = await front({
      match: '/',
      target: `http://127.0.0.1:${port}`,
      timeouts: { ...timeouts, read: '10s' },
      maxBodySize: 0,
    });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${f.url}/upload`,
        { method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          done = true;
          res.resume();
          resolve(res.statusCode!);
          req.destroy();
        },
      );
      let done = false;
      let sent = 0;
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (!done && sent < 256 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
      };
      req.on('error', (e) => (done ? undefined : reject(e)));
      setTimeout(() => reject(new Error('no answer: the send timeout did not fire')), 10_000).unref();
      pump();
    });
    assert.equal(status, 504);
    assert.equal(lastRecord(f, '/upload')!.error?.code, 'SEND_TIMEOUT');
  });

  it('answers 504 when the backend does not finish connecting (TLS never answered) in time', async () => {
    const held: Socket[] = [];
    const server = createNetServer((s) => held.push(s));
    const port = await listen(server);
    onCleanup(async () => {
      for (const s of held) s.destroy();
      await close(server);
    });
    const f = await front({ match: '/', target: `https://127.0.0.1:${port}`, timeouts });
    const a = await hit(`${f.url}/`);
    assert.equal(a.status, 504);
    assert.equal(lastRecord(f, '/')!.error?.code, 'CONNECT_TIMEOUT');
  });

  it('aborts the upstream request when the client goes away', async () => {
    let upstreamClosed = false;
    const b = await backend((req, res) => {
      if (req.url !== '/wait') return false;
      res.on('close', () => (upstreamClosed = true));
      return true;
    });
    const f = await front({ match: '/', target: b.url });
    const req = request(`${f.url}/wait`, { agent: false });
    req.on('error', () => {});
    req.end();
    await waitFor(() => b.seen.length === 1, 'backend got the request');
    req.destroy();
    await waitFor(() => upstreamClosed, 'backend saw the abort');
    await waitFor(() => lastRecord(f, '/wait')?.done, 'record done');
    const r = lastRecord(f, '/wait')!;
    assert.deepEqual([r.error?.code, r.error?.side], ['CLIENT_ABORTED', 'client']);
    assertDoneOnce(f);
  });
});
