// The WebSocket tunnel's handshake against real sockets: upgrade request rewriting, extensions, refusals relayed as HTTP, backend errors, TLS.
import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import { connect } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { close, freePort, listen, waitFor } from '../../helpers/net.ts';
import { selfSigned } from '../../helpers/tls-cert.ts';
import { closed, openClient, refusedClient, settled } from '../../helpers/tunnel-harness.ts';
import { cleanups, rig, backend, rawBackend, wssBackend, messages } from './fixtures.ts';

describe('tunnel handshake', () => {
  test('rewrites headers per route: Host kept, Origin rewritten, set/remove, forwarded', async () => {
    const b = await backend();
    const r = await rig(b.url, {
      changeOrigin: false,
      rewriteOrigin: true,
      setHeaders: { 'X-Custom': 'v', 'User-Agent': '' },
      removeHeaders: ['x-drop'],
      forwarded: { forwardedHost: false },
    });
    const ws = await openClient(`${r.url}/who`, undefined, {
      origin: 'http://localhost:5173',
      headers: { 'user-agent': 't', 'x-drop': '1', 'x-forwarded-host': 'keep.me' },
    });
    const answer = new Promise<string>((res) => ws.once('message', (d) => res(d.toString())));
    ws.send('whoami');
    const { url, headers } = JSON.parse(await answer) as { url: string; headers: Record<string, string> };
    assert.equal(url, '/who');
    assert.equal(headers.host, `127.0.0.1:${r.port}`);
    assert.equal(headers.origin, b.url);
    assert.equal(headers['x-custom'], 'v');
    assert.equal(headers['user-agent'], undefined);
    assert.equal(headers['x-drop'], undefined);
    assert.equal(headers['x-forwarded-host'], 'keep.me', 'forwardedHost off passes the client value');
    assert.equal(headers['x-forwarded-proto'], 'http');
    assert.equal(headers['sec-websocket-version'], '13');
    ws.close();
    await closed(ws);
  });

  test('negotiates subprotocol and permessage-deflate end to end; injection works on a deflate session', async () => {
    const { wss, port } = await wssBackend({
      perMessageDeflate: { threshold: 0 },
      handleProtocols: (p) => (p.has('chat') ? 'chat' : false),
    });
    const atBackend: string[] = [];
    wss.on('connection', (s) =>
      s.on('message', (d, bin) => (atBackend.push(d.toString()), s.send(d, { binary: bin }))),
    );
    const r = await rig(`ws://127.0.0.1:${port}`);
    const ws = await openClient(r.url, ['other', 'chat'], { perMessageDeflate: true });
    assert.equal(ws.protocol, 'chat');
    assert.match(ws.extensions, /permessage-deflate/);
    const rec = r.records[0]!;
    assert.equal(rec.subprotocol, 'chat');
    assert.match(rec.extensions ?? '', /permessage-deflate/);
    const got: string[] = [];
    messages(ws, got);
    const text = 'compress me '.repeat(1000);
    ws.send(text);
    await waitFor(() => got.length === 1, 'deflated echo');
    assert.equal(got[0], text);
    assert.deepEqual(r.registry.send(rec.id, 'client', Buffer.from('to-client'), false), { ok: true });
    assert.deepEqual(r.registry.send(rec.id, 'backend', Buffer.from('to-backend'), false), { ok: true });
    await waitFor(() => got.includes('to-client') && atBackend.includes('to-backend'), 'injected messages');
    assert.ok(
      r.frames.some((f) => f.data === text && f.compressed),
      'the tap inflates with the negotiated parameters',
    );
    ws.close();
    await closed(ws);
  });

  test('relays a refusal as plain HTTP (Content-Length and chunked, connection kept open by the backend)', async () => {
    const port = await rawBackend((s, head) => {
      if (head.startsWith('GET /chunked'))
        s.write(
          'HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\nX-Why: token\r\n\r\n5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n',
        );
      else
        s.write(
          'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\nnope',
        );
    });
    const r = await rig(`http://127.0.0.1:${port}`);
    const a = await refusedClient(`${r.url}/plain`);
    assert.equal(a.status, 403);
    assert.equal(a.body, 'nope');
    const c = await refusedClient(`${r.url}/chunked`);
    assert.equal(c.status, 401);
    assert.equal(c.body, 'hello world');
    assert.equal(c.headers['x-why'], 'token');
    await settled(r);
    const [ra, rc] = r.records;
    assert.equal(ra!.state, 'failed');
    assert.equal(ra!.status, 403);
    assert.equal(ra!.responseBody, 'nope');
    assert.equal(ra!.error?.code, 'UPGRADE_REFUSED');
    assert.equal(rc!.responseBody, 'hello world');
    assert.equal(r.registry.openIds.length, 0);
  });

  test('a 101 without Upgrade: websocket is relayed as HTTP and the session fails', async () => {
    const port = await rawBackend((s) =>
      s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n'),
    );
    const r = await rig(`http://127.0.0.1:${port}`);
    const s = connect(r.port, '127.0.0.1');
    let answer = '';
    s.on('data', (d) => (answer += d.toString('latin1')));
    s.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await new Promise((res) => s.once('close', res));
    assert.match(answer, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(answer, /Connection: close\r\n\r\n$/);
    await settled(r);
    assert.equal(r.records[0]!.state, 'failed');
    assert.equal(r.records[0]!.status, 101);
  });

  test('backend down → 502; connect timeout → 504; no answer within read timeout → 504; hang-up → 502', async () => {
    const down = await rig(`http://127.0.0.1:${await freePort()}`);
    const a = await refusedClient(down.url);
    assert.equal(a.status, 502);
    assert.match(a.body, /refused/);
    await settled(down);
    assert.equal(down.records[0]!.error?.code, 'ECONNREFUSED');
    assert.equal(down.records[0]!.status, 502);

    const silent = await rawBackend(() => {});
    const tlsSilent = await rig(`https://127.0.0.1:${silent}`, { timeouts: { connect: '300ms' } });
    assert.equal(
      (await refusedClient(tlsSilent.url)).status,
      504,
      'a TLS handshake that never completes is a connect timeout',
    );
    await settled(tlsSilent);
    assert.equal(tlsSilent.records[0]!.error?.code, 'CONNECT_TIMEOUT');

    const slow = await rig(`http://127.0.0.1:${silent}`, { timeouts: { read: '300ms' } });
    assert.equal((await refusedClient(slow.url)).status, 504);
    await settled(slow);
    assert.equal(slow.records[0]!.error?.code, 'READ_TIMEOUT');

    const hangup = await rig(`http://127.0.0.1:${await rawBackend((s) => s.destroy())}`);
    assert.equal((await refusedClient(hangup.url)).status, 502);
    await settled(hangup);
    assert.equal(hangup.records[0]!.state, 'failed');
  });

  test('TLS backends: self-signed refused when secure; SNI is the target name with changeOrigin, the client Host without', async () => {
    const cert = selfSigned(['localhost', 'app.localhost']);
    const names: string[] = [];
    const https = createHttpsServer({ key: cert.key, cert: cert.cert });
    https.on('secureConnection', (s: TLSSocket) =>
      names.push(String((s as TLSSocket & { servername?: string | false }).servername)),
    );
    const wss = new WebSocketServer({ server: https, perMessageDeflate: false });
    wss.on('connection', (s) => s.on('message', (d) => s.send(d.toString())));
    const port = await listen(https);
    cleanups.push(async () => {
      for (const c of wss.clients) c.terminate();
      await close(https);
    });
    const strict = await rig(`wss://localhost:${port}`);
    const refused = await refusedClient(strict.url);
    assert.equal(refused.status, 502);
    assert.match(refused.body, /TLS certificate rejected/);
    await settled(strict);
    assert.equal(strict.records[0]!.error?.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    names.length = 0;
    const lax = await rig(`wss://localhost:${port}`, { secure: false });
    const a = await openClient(lax.url);
    const echo = new Promise<string>((res) => a.once('message', (d) => res(d.toString())));
    a.send('over tls');
    assert.equal(await echo, 'over tls');
    a.close();
    await closed(a);
    const keep = await rig(`wss://localhost:${port}`, { secure: false, changeOrigin: false });
    const b = await openClient(keep.url, undefined, { headers: { host: `app.localhost:${keep.port}` } });
    b.close();
    await closed(b);
    assert.deepEqual(names, ['localhost', 'app.localhost']);
  });
});
