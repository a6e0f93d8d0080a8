// The HTTP proxy against real loopback servers: headers, TLS/SNI, streaming, body limits, recording.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { describe, it } from 'node:test';
import { close, drained, listen, sleep, waitFor } from '../../helpers/net.ts';
import { hit, lastRecord } from '../../helpers/proxy-front.ts';
import { selfSigned } from '../../helpers/tls-cert.ts';

import { assertDoneOnce, echo, proxyServers } from '../../helpers/proxy-servers.ts';

const { front, backend, rawBackend, onCleanup } = proxyServers();

describe('HttpProxy: requests and recording', () => {
  it('proxies with the nginx URI rewrite, forwarded headers and a complete record', async () => {
    const b = await backend();
    const f = await front({ match: '/api/', target: `${b.url}/v1/` });
    const a = await hit(`${f.url}/api/items?x=1`, {
      method: 'POST',
      headers: { 'X-Forwarded-For': '203.0.113.9', 'Content-Type': 'text/plain' },
      body: 'hello',
    });
    assert.equal(a.status, 200);
    assert.equal(a.headers['x-backend'], 'yes');
    const seen = echo(a);
    assert.equal(seen.url, '/v1/items?x=1');
    assert.equal(seen.headers.host, `127.0.0.1:${b.port}`);
    assert.equal(seen.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(seen.headers['x-real-ip'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-host'], `127.0.0.1:${f.port}`);
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.body, 'hello');
    assert.ok(seen.rawHeaders.includes('Content-Type'), "client's header casing kept");
    const r = lastRecord(f, '/api/items?x=1')!;
    assert.equal(r.done, true);
    assert.equal(r.status, 200);
    assert.equal(r.bytesIn, 5);
    assert.equal(r.bytesOut, a.body.length);
    assert.equal(r.responseHeaders?.['x-backend'], 'yes');
    assert.ok(r.timings.headers! >= 0 && r.timings.end! >= r.timings.headers!);
    assert.equal(Buffer.from(r.requestBody!, 'base64').toString(), 'hello');
    assert.equal(Buffer.from(r.responseBody!, 'base64').toString(), a.body.toString());
    assert.equal(r.responseBodyTruncated, false);
    assert.equal(r.error, undefined);
    assertDoneOnce(f);
  });

  it('keeps only bodyBytes of each body, and none at 0', async () => {
    const b = await backend();
    const small = await front({ match: '/', target: b.url }, { inspect: { bodyBytes: 4 } });
    await hit(`${small.url}/x`, { method: 'PUT', body: 'abcdefgh' });
    const r = lastRecord(small, '/x')!;
    assert.equal(Buffer.from(r.requestBody!, 'base64').toString(), 'abcd');
    assert.equal(r.requestBodyTruncated, true);
    assert.equal(Buffer.from(r.responseBody!, 'base64').length, 4);
    const none = await front({ match: '/', target: b.url }, { inspect: { bodyBytes: 0 } });
    await hit(`${none.url}/y`, { method: 'PUT', body: 'abcdefgh' });
    const r0 = lastRecord(none, '/y')!;
    assert.equal(r0.requestBody, undefined);
    assert.equal(r0.responseBody, undefined);
    assert.equal(r0.bytesIn, 8);
  });

  it("sends the client's Host without changeOrigin, sets/removes headers, rewrites Origin", async () => {
    const b = await backend();
    const f = await front({
      match: '/',
      target: b.url,
      changeOrigin: false,
      rewriteOrigin: true,
      setHeaders: { 'X-Env': 'test', Cookie: '' },
      removeHeaders: ['X-Secret'],
    });
    const a = await hit(`${f.url}/h`, {
      headers: {
        Host: 'app.localhost:5173',
        Origin: 'http://app.localhost:5173',
        Cookie: 'a=1',
        'X-Secret': 's',
        'X-Env': 'client',
      },
    });
    const seen = echo(a).headers;
    assert.equal(seen.host, 'app.localhost:5173');
    assert.equal(seen.origin, b.url);
    assert.equal(seen['x-env'], 'test');
    assert.equal(seen.cookie, undefined);
    assert.equal(seen['x-secret'], undefined);
  });

  it('strips hop-by-hop headers both ways', async () => {
    const url = await rawBackend((req, res) => {
      res.writeHead(200, {
        Connection: 'X-Hop',
        'X-Hop': '1',
        'Keep-Alive': 'timeout=9',
        'X-Got': JSON.stringify(req.headers),
      });
      res.end();
    });
    const f = await front({ match: '/', target: url });
    const a = await hit(`${f.url}/`, {
      headers: { Connection: 'keep-alive, X-Client-Hop', 'X-Client-Hop': '1', TE: 'trailers' },
    });
    const got = JSON.parse(a.headers['x-got'] as string);
    assert.equal(got['x-client-hop'], undefined);
    assert.equal(got.te, undefined);
    assert.equal(a.headers['x-hop'], undefined);
    assert.notEqual(a.headers['keep-alive'], 'timeout=9');
  });

  it('rewrites redirects and cookies, appends addHeaders on every status, applies CORS', async () => {
    const b = await backend((req, res) => {
      if (req.url === '/v2/moved') {
        res.writeHead(301, {
          location: `${b.url}/v2/new?a=1`,
          refresh: `3; url=${b.url}/v2/r`,
          'access-control-allow-origin': 'https://evil.test',
        });
        res.end();
        return true;
      }
      return false;
    });
    const f = await front({
      match: '/api',
      target: `${b.url}/v2`,
      cookies: { domain: 'remove', secure: 'remove' },
      addHeaders: { 'X-Added': 'yes' },
      cors: { enabled: true, origins: ['http://localhost:3000'] },
    });
    const moved = await hit(`${f.url}/api/moved`, { headers: { Origin: 'http://localhost:3000' } });
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.location, `${f.url}/api/new?a=1`);
    assert.equal(moved.headers.refresh, `3; url=${f.url}/api/r`);
    assert.equal(moved.headers['x-added'], 'yes');
    assert.equal(moved.headers['access-control-allow-origin'], 'http://localhost:3000');
    const b2 = await backend();
    const f2 = await front({
      match: '/',
      target: b2.url,
      cookies: { domain: 'remove', secure: 'remove' },
      addHeaders: { 'X-Added': 'yes' },
    });
    const cookie = await hit(`${f2.url}/cookie`);
    assert.deepEqual(cookie.headers['set-cookie'], [
      'sid=abc; Path=/; HttpOnly; SameSite=Lax',
      'theme=dark; Path=/api',
    ]);
    const missing = await hit(`${f2.url}/status/404`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['x-added'], 'yes');
  });

  it('passes HEAD, 204 and 304 answers without bodies', async () => {
    const b = await backend();
    const f = await front({ match: '/', target: b.url });
    const head = await hit(`${f.url}/big/1000`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '1000');
    assert.equal(head.body.length, 0);
    assert.equal((await hit(`${f.url}/status/204`)).status, 204);
    const nm = await hit(`${f.url}/status/304`);
    assert.equal(nm.status, 304);
    assert.equal(nm.body.length, 0);
    assertDoneOnce(f);
  });
});

describe('HttpProxy: TLS backends', () => {
  const tls = selfSigned(['localhost', 'app.localhost', 'other.localhost']);
  const names: string[] = [];
  const https = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) =>
    res.end(JSON.stringify({ host: req.headers.host })),
  );
  https.on('secureConnection', (s: TLSSocket) =>
    names.push(String((s as TLSSocket & { servername?: string | false }).servername)),
  );
  let port = 0;
  onCleanup(() => close(https));

  it('rejects a self-signed backend when secure, naming the fix', async () => {
    port = await listen(https);
    const f = await front({ match: '/', target: `https://localhost:${port}` });
    const a = await hit(`${f.url}/`);
    assert.equal(a.status, 502);
    assert.match(a.body.toString(), /TLS certificate rejected.*secure/);
    assert.equal(lastRecord(f, '/')!.error?.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('sends the target name as SNI and Host with changeOrigin, secure off', async () => {
    names.length = 0;
    const f = await front({ match: '/', target: `https://localhost:${port}`, secure: false });
    const a = await hit(`${f.url}/`);
    assert.equal(a.status, 200);
    assert.equal(JSON.parse(a.body.toString()).host, `localhost:${port}`);
    assert.deepEqual(names, ['localhost']);
  });

  it("sends the client's Host name as SNI without changeOrigin", async () => {
    names.length = 0;
    const f = await front({ match: '/', target: `https://localhost:${port}`, secure: false, changeOrigin: false });
    const a = await hit(`${f.url}/`, { headers: { Host: 'app.localhost:8080' } });
    assert.equal(JSON.parse(a.body.toString()).host, 'app.localhost:8080');
    const b = await hit(`${f.url}/`, { headers: { Host: 'other.localhost:8080' } });
    assert.equal(b.status, 200);
    assert.deepEqual(names, ['app.localhost', 'other.localhost']);
  });
});

describe('HttpProxy: streaming', () => {
  it('holds a 32 MiB response at the backend while the client is not reading', async () => {
    const SIZE = 32 * 1024 * 1024;
    let finished = false;
    const url = await rawBackend((_req, res) => {
      res.writeHead(200, { 'content-length': SIZE });
      res.on('finish', () => (finished = true));
      res.end(Buffer.alloc(SIZE, 97));
    });
    const f = await front({ match: '/', target: url });
    const { total, finishedWhilePaused } = await new Promise<{ total: number; finishedWhilePaused: boolean }>(
      (resolve, reject) => {
        const req = request(`${f.url}/big`, { agent: false }, (res) => {
          let total = 0;
          res.once('data', (c: Buffer) => {
            total += c.length;
            res.pause();
            // The stimulus: a client that stops reading for 500 ms (not a wait for something to happen).
            void sleep(500).then(() => {
              const finishedWhilePaused = finished;
              res.on('data', (c2: Buffer) => (total += c2.length));
              res.on('end', () => resolve({ total, finishedWhilePaused }));
              res.resume();
            });
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      },
    );
    assert.equal(finishedWhilePaused, false, 'the backend could send everything although the client read nothing');
    assert.equal(total, SIZE);
    assert.equal(lastRecord(f, '/big')!.bytesOut, SIZE);
    assert.equal(lastRecord(f, '/big')!.responseBodyTruncated, true);
  });

  it('delivers each Server-Sent Event as it is sent (no buffering)', async (t) => {
    const signals: Array<() => void> = [];
    const seen = (n: number) => new Promise<void>((r) => (signals[n] = r));
    const waits = [seen(0), seen(1), seen(2)];
    const url = await rawBackend(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      await waits[0]; // the client has the headers
      res.write('data: 1\n\n');
      await waits[1]; // the client has event 1: only then is event 2 sent
      res.write('data: 2\n\n');
      await waits[2];
      res.end('data: 3\n\n');
    });
    const f = await front({ match: '/', target: url });
    const times: number[] = [];
    const text = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('an event was held back by the proxy')), 5000);
      const req = request(`${f.url}/events`, { agent: false }, (res) => {
        signals[0]!();
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
          const count = text.split('\n\n').length - 1;
          while (times.length < count) times.push(Date.now());
          if (count >= 1) signals[1]!();
          if (count >= 2) signals[2]!();
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve(text);
        });
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(text, 'data: 1\n\ndata: 2\n\ndata: 3\n\n');
    t.diagnostic(
      `ms between events at the client: ${times
        .slice(1)
        .map((x, i) => x - times[i]!)
        .join(', ')}`,
    );
  });
});

describe('HttpProxy: client_max_body_size', () => {
  it('answers 413 from Content-Length before connecting upstream, with CORS and addHeaders', async () => {
    const b = await backend();
    const f = await front({
      match: '/',
      target: b.url,
      maxBodySize: 100,
      addHeaders: { 'X-Added': '1' },
      cors: { enabled: true, origins: '*' },
    });
    const a = await hit(`${f.url}/up`, {
      method: 'POST',
      body: Buffer.alloc(1000),
      headers: { Origin: 'http://localhost:3000' },
    });
    assert.equal(a.status, 413);
    assert.equal(a.headers['x-added'], '1');
    assert.equal(a.headers['access-control-allow-origin'], '*');
    assert.equal(b.seen.length, 0);
    const r = lastRecord(f, '/up')!;
    assert.deepEqual([r.status, r.error?.code, r.error?.side], [413, 'BODY_TOO_LARGE', 'client']);
    assertDoneOnce(f);
  });

  it('counts a chunked body as it streams: 413 while the answer has not started', async () => {
    const b = await backend();
    const f = await front({ match: '/', target: b.url, maxBodySize: 100 });
    const a = await hit(`${f.url}/chunked`, {
      method: 'POST',
      headers: { 'Transfer-Encoding': 'chunked' },
      body: Buffer.alloc(1000),
    });
    assert.equal(a.status, 413);
    await waitFor(() => lastRecord(f, '/chunked')?.done, 'record done');
    await drained(b.server, 'backend');
    assert.equal(b.seen.length, 0, 'the backend never got a complete request');
    assert.equal(lastRecord(f, '/chunked')!.error?.code, 'BODY_TOO_LARGE');
  });

  it('cuts both sides when the limit is passed after the answer started', async () => {
    let upstreamClosed = false;
    const url = await rawBackend((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('started');
      req.on('data', () => {});
      res.on('close', () => (upstreamClosed = true));
    });
    const f = await front({ match: '/', target: url, maxBodySize: 1000 });
    const outcome = await new Promise<string>((resolve) => {
      const req = request(
        `${f.url}/late`,
        { method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          res.once('data', () => req.write(Buffer.alloc(5000)));
          res.on('end', () => resolve('ended'));
          res.on('error', () => resolve('cut'));
          res.on('aborted', () => resolve('cut'));
        },
      );
      req.on('error', () => resolve('cut'));
      req.write('x');
    });
    assert.equal(outcome, 'cut');
    await waitFor(() => upstreamClosed, 'upstream request aborted');
    const r = lastRecord(f, '/late')!;
    assert.deepEqual([r.status, r.error?.code, r.error?.side], [200, 'BODY_TOO_LARGE', 'client']);
  });
});
