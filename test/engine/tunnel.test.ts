// The WebSocket tunnel against real sockets: byte-exact piping, handshake relay and errors, timeouts, pings, inject and close.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, describe, test } from 'node:test';
import WebSocket, { WebSocketServer, type ServerOptions } from 'ws';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { close, freePort, listen, sleep, waitFor } from '../helpers/net.ts';
import { selfSigned } from '../helpers/tls-cert.ts';
import {
  closed, openClient, refusedClient, settled, splitHead, startCapture, startRawBackend, startRig, startWss, streamMessage, type Rig,
} from '../helpers/tunnel-harness.ts';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});
async function rig(target: string, route: Parameters<typeof startRig>[1] = {}, inspect: Parameters<typeof startRig>[2] = {}): Promise<Rig> {
  const r = await startRig(target, route, inspect);
  cleanups.push(() => r.close());
  return r;
}
async function backend(): Promise<Backend> {
  const b = await startBackend();
  cleanups.push(() => b.close());
  return b;
}
async function rawBackend(onHead: (s: Socket, head: string) => void): Promise<number> {
  const b = await startRawBackend(onHead);
  cleanups.push(() => b.close());
  return b.port;
}
async function wssBackend(opts: ServerOptions = {}): Promise<{ wss: WebSocketServer; port: number }> {
  const w = await startWss(opts);
  cleanups.push(() => w.close());
  return w;
}
const messages = (ws: WebSocket, out: string[]) => ws.on('message', (d, bin) => out.push(bin ? `bin:${(d as Buffer).length}` : d.toString()));

describe('tunnel', () => {
  test('pipes both directions byte-exact and sends the rewritten upgrade request', async () => {
    const b = await backend();
    const capB = await startCapture(b.port);
    cleanups.push(() => capB.close());
    const r = await rig(`http://127.0.0.1:${capB.port}`);
    const capA = await startCapture(r.port);
    cleanups.push(() => capA.close());
    const ws = await openClient(`ws://127.0.0.1:${capA.port}/chat/x?y=1`, undefined, { headers: { 'x-forwarded-for': '10.0.0.9' } });
    const got: string[] = [];
    messages(ws, got);
    const big = randomBytes(300_000);
    ws.send('hello');
    ws.send(big);
    ws.send('frag-1-', { fin: false });
    ws.send('frag-2', { fin: true });
    ws.ping('p');
    await waitFor(() => got.length === 3, 'three echoes');
    assert.deepEqual(got, ['hello', `bin:${big.length}`, 'frag-1-frag-2']);
    ws.close(1000, 'done');
    assert.deepEqual(await closed(ws), { code: 1000, reason: 'done' });
    await settled(r);
    const a = capA.conns[0]!;
    const z = capB.conns[0]!;
    const clientUp = splitHead(a.up);
    const backendUp = splitHead(z.up);
    assert.ok(clientUp.body.length > big.length);
    assert.ok(clientUp.body.equals(backendUp.body), 'the backend receives exactly the bytes the client sent');
    const down = splitHead(a.down);
    assert.ok(down.body.equals(splitHead(z.down).body), 'the client receives exactly the bytes the backend sent');
    assert.equal(down.head, splitHead(z.down).head, 'the 101 head is relayed as received');
    const head = backendUp.head;
    assert.match(head, /^GET \/chat\/x\?y=1 HTTP\/1\.1\r\n/);
    assert.match(head, new RegExp(`\\r\\nHost: 127\\.0\\.0\\.1:${capB.port}\\r\\n`), 'changeOrigin sends the target host');
    assert.match(head, /\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n$/);
    assert.match(head, /\r\nX-Forwarded-For: 10\.0\.0\.9, 127\.0\.0\.1\r\n/);
    assert.match(head, /\r\nX-Real-IP: 127\.0\.0\.1\r\n/);
    const key = /Sec-WebSocket-Key: (\S+)/i.exec(clientUp.head)![1];
    assert.match(head, new RegExp(`Sec-WebSocket-Key: ${key!.replace(/[+/=]/g, '\\$&')}\\r\\n`));
    const rec = r.records[0]!;
    assert.deepEqual(r.states.get(rec.id), ['connecting', 'open', 'closed']);
    assert.equal(rec.status, 101);
    assert.equal(rec.closedBy, 'client');
    assert.equal(rec.closeCode, 1000);
    assert.equal(rec.counts.bytesToBackend, clientUp.body.length);
    assert.ok(r.frames.some((f) => f.type === 'send' && f.data === 'hello'), 'frames are recorded');
  });

  test('rewrites headers per route: Host kept, Origin rewritten, set/remove, forwarded', async () => {
    const b = await backend();
    const r = await rig(b.url, {
      changeOrigin: false,
      rewriteOrigin: true,
      setHeaders: { 'X-Custom': 'v', 'User-Agent': '' },
      removeHeaders: ['x-drop'],
      forwarded: { forwardedHost: false },
    });
    const ws = await openClient(`${r.url}/who`, undefined, { origin: 'http://localhost:5173', headers: { 'user-agent': 't', 'x-drop': '1', 'x-forwarded-host': 'keep.me' } });
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
    const { wss, port } = await wssBackend({ perMessageDeflate: { threshold: 0 }, handleProtocols: (p) => (p.has('chat') ? 'chat' : false) });
    const atBackend: string[] = [];
    wss.on('connection', (s) => s.on('message', (d, bin) => (atBackend.push(d.toString()), s.send(d, { binary: bin }))));
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
    assert.ok(r.frames.some((f) => f.data === text && f.compressed), 'the tap inflates with the negotiated parameters');
    ws.close();
    await closed(ws);
  });

  test('relays a refusal as plain HTTP (Content-Length and chunked, connection kept open by the backend)', async () => {
    const port = await rawBackend((s, head) => {
      if (head.startsWith('GET /chunked')) s.write('HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\nX-Why: token\r\n\r\n5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n');
      else s.write('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\nnope');
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
    const port = await rawBackend((s) => s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n'));
    const r = await rig(`http://127.0.0.1:${port}`);
    const s = connect(r.port, '127.0.0.1');
    let answer = '';
    s.on('data', (d) => (answer += d.toString('latin1')));
    s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
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
    assert.equal((await refusedClient(tlsSilent.url)).status, 504, 'a TLS handshake that never completes is a connect timeout');
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

  test('an idle tunnel is closed with 1001 after the read timeout; traffic keeps it open', async () => {
    const b = await backend();
    const r = await rig(b.url, { timeouts: { read: '400ms' } });
    const ws = await openClient(r.url);
    const done = closed(ws);
    let open = true;
    ws.once('close', () => (open = false));
    for (let i = 0; i < 16; i++) {
      ws.send(`tick ${i}`);
      await sleep(60);
    }
    assert.ok(open, 'a message every 60 ms keeps a 400 ms read timeout from firing');
    const server = b.sockets.at(-1)!;
    const serverClosed = closed(server);
    assert.deepEqual(await done, { code: 1001, reason: 'idle timeout' });
    assert.deepEqual(await serverClosed, { code: 1001, reason: 'idle timeout' });
    await settled(r);
    const rec = r.records[0]!;
    assert.equal(rec.closedBy, 'loopgate');
    assert.equal(rec.closeCode, 1001);
  });

  test('keepAlivePing keeps an idle tunnel open past several read timeouts', async () => {
    const b = await backend();
    const r = await rig(b.url, { timeouts: { read: '300ms' }, keepAlivePing: '100ms' });
    const ws = await openClient(r.url);
    let clientPings = 0;
    let serverPings = 0;
    ws.on('ping', () => clientPings++);
    await waitFor(() => b.sockets.length > 0, 'server socket');
    b.sockets.at(-1)!.on('ping', () => serverPings++);
    await sleep(1200);
    assert.equal(ws.readyState, WebSocket.OPEN);
    assert.ok(clientPings >= 3 && serverPings >= 3, `pings both ways (client ${clientPings}, server ${serverPings})`);
    const echo = new Promise<string>((res) => ws.once('message', (d) => res(d.toString())));
    ws.send('still here');
    assert.equal(await echo, 'still here');
    ws.close();
    await closed(ws);
  });

  test('injects whole messages both ways while both peers stream (fragmented and large messages)', async () => {
    const N = 300;
    const payload = (side: string, i: number) => `${side}-${i}-` + 'x'.repeat(i % 7 === 0 ? 150_000 : i * 13);
    const { wss, port } = await wssBackend();
    const atBackend: string[] = [];
    const errors: Error[] = [];
    wss.on('connection', (s) => {
      s.on('error', (e) => errors.push(e));
      s.on('message', (d) => atBackend.push(d.toString()));
      for (let i = 0; i < N; i++) streamMessage(s, payload('b', i), i);
    });
    const r = await rig(`http://127.0.0.1:${port}`);
    const ws = await openClient(r.url);
    ws.on('error', (e) => errors.push(e));
    const atClient: string[] = [];
    ws.on('message', (d) => atClient.push(d.toString()));
    for (let i = 0; i < N; i++) streamMessage(ws, payload('c', i), i);
    const id = r.records[0]!.id;
    for (let k = 0; k < 100; k++) {
      assert.deepEqual(r.registry.send(id, 'client', Buffer.from(`inj-c-${k}`), false), { ok: true });
      assert.deepEqual(r.registry.send(id, 'backend', Buffer.from(`inj-b-${k}`), k % 2 === 1), { ok: true });
      await new Promise((res) => setImmediate(res));
    }
    await waitFor(() => atClient.length === N + 100 && atBackend.length === N + 100, 'all messages', 15_000);
    assert.deepEqual(errors, []);
    const plain = (list: string[], _side: string) => list.filter((m) => !m.startsWith('inj-'));
    assert.deepEqual(plain(atClient, 'b'), Array.from({ length: N }, (_, i) => payload('b', i)), 'backend stream intact and in order');
    assert.deepEqual(plain(atBackend, 'c'), Array.from({ length: N }, (_, i) => payload('c', i)), 'client stream intact and in order');
    assert.deepEqual(atClient.filter((m) => m.startsWith('inj-')), Array.from({ length: 100 }, (_, k) => `inj-c-${k}`));
    assert.deepEqual(atBackend.filter((m) => m.startsWith('inj-')), Array.from({ length: 100 }, (_, k) => `inj-b-${k}`));
    assert.ok(r.frames.some((f) => f.injected && f.data === 'inj-c-0'), 'injections are recorded as injected');
    ws.close();
    await closed(ws);
  });

  test('backpressure: a client that stops reading stops Loopgate reading from the backend', async () => {
    const { wss, port } = await wssBackend();
    const r = await rig(`http://127.0.0.1:${port}`, {}, { frames: false });
    const ws = await openClient(r.url);
    const raw = (ws as unknown as { _socket: Socket })._socket;
    raw.pause();
    await waitFor(() => wss.clients.size === 1, 'server socket');
    const server = [...wss.clients][0]!;
    const chunk = Buffer.alloc(1024 * 1024, 7);
    for (let i = 0; i < 48; i++) server.send(chunk);
    await sleep(400);
    assert.ok(server.bufferedAmount > 16 * 1024 * 1024, `the backend is held back (${server.bufferedAmount} bytes still queued there)`);
    let got = 0;
    ws.on('message', (d) => (got += (d as Buffer).length));
    raw.resume();
    await waitFor(() => got === 48 * chunk.length, 'all 48 MiB delivered', 15_000);
    ws.close();
    await closed(ws);
  });

  test('TLS backends: self-signed refused when secure; SNI is the target name with changeOrigin, the client Host without', async () => {
    const cert = selfSigned(['localhost', 'app.localhost']);
    const names: string[] = [];
    const https = createHttpsServer({ key: cert.key, cert: cert.cert });
    https.on('secureConnection', (s: TLSSocket) => names.push(String((s as TLSSocket & { servername?: string | false }).servername)));
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

  test('close(id) sends the close code to both ends; unknown ids and closed sessions are refused', async () => {
    const b = await backend();
    const r = await rig(b.url);
    const ws = await openClient(r.url);
    await waitFor(() => b.sockets.length > 0, 'server socket');
    const id = r.records[0]!.id;
    assert.deepEqual(r.registry.openIds, [id]);
    const both = Promise.all([closed(ws), closed(b.sockets.at(-1)!)]);
    assert.deepEqual(r.registry.close(id, 4000, 'bye'), { ok: true });
    assert.equal(r.registry.send(id, 'client', Buffer.from('late'), false).ok, false, 'no sending into a closing session');
    assert.deepEqual(await both, [{ code: 4000, reason: 'bye' }, { code: 4000, reason: 'bye' }]);
    await settled(r);
    assert.equal(r.records[0]!.closedBy, 'loopgate');
    assert.equal(r.records[0]!.closeCode, 4000);
    assert.equal(r.registry.send(id, 'client', Buffer.from('x'), false).ok, false);
    const res = r.registry.close(12345678, 1000, '');
    assert.equal(res.ok === false && res.code, 'NO_SESSION');
  });

  test('resets and closes from either side end the tunnel without crashing; who closed is recorded', async () => {
    const b = await backend();
    const r = await rig(b.url);
    const c1 = await openClient(r.url);
    await waitFor(() => b.sockets.length === 1, 'server socket 1');
    const s1 = closed(b.sockets[0]!);
    (c1 as unknown as { _socket: Socket })._socket.resetAndDestroy();
    assert.equal((await s1).code, 1006);

    const c2 = await openClient(r.url);
    await waitFor(() => b.sockets.length === 2, 'server socket 2');
    const d2 = closed(c2);
    (b.sockets[1] as unknown as { _socket: Socket })._socket.resetAndDestroy();
    assert.equal((await d2).code, 1006);

    const c3 = await openClient(r.url);
    await waitFor(() => b.sockets.length === 3, 'server socket 3');
    const d3 = closed(c3);
    b.sockets[2]!.close(1000, 'server done');
    assert.deepEqual(await d3, { code: 1000, reason: 'server done' });

    await settled(r);
    const [r1, r2, r3] = r.records;
    assert.equal(r1!.closedBy, 'client');
    assert.equal(r2!.closedBy, 'backend');
    assert.equal(r2!.error?.side, 'backend');
    assert.equal(r3!.closedBy, 'backend');
    assert.equal(r3!.closeCode, 1000);
    assert.ok(r.records.every((x) => x.state === 'closed'));
  });

  test('with inspect.frames off the tap is skipped but byte counts are kept', async () => {
    const b = await backend();
    const r = await rig(b.url, {}, { frames: false });
    const ws = await openClient(r.url);
    const echo = new Promise<string>((res) => ws.once('message', (d) => res(d.toString())));
    ws.send('abc');
    assert.equal(await echo, 'abc');
    ws.close();
    await closed(ws);
    await settled(r);
    const rec = r.records[0]!;
    assert.equal(r.frames.length, 0);
    assert.equal(rec.counts.bytesToBackend, 2 + 4 + 3 + 2 + 4 + 0, 'masked "abc" frame + masked close frame');
    assert.ok(rec.counts.bytesToClient >= 5);
    // Without the tap no close frame is seen: whoever sent FIN first is recorded (a race between the peers here).
    assert.ok(rec.closedBy === 'client' || rec.closedBy === 'backend', `closedBy ${rec.closedBy}`);
  });

  test('closeAll(true) sends 1001 to every open session and resolves once all are gone', async () => {
    const b = await backend();
    const r = await rig(b.url);
    const clients = await Promise.all([0, 1, 2].map(() => openClient(r.url)));
    const codes = Promise.all(clients.map(closed));
    await r.registry.closeAll(true);
    assert.deepEqual((await codes).map((c) => c.code), [1001, 1001, 1001]);
    assert.deepEqual(r.registry.openIds, []);
  });
});
