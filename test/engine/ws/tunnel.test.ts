// The WebSocket tunnel against real sockets: byte-exact piping both ways, injection, backpressure, byte counts without the tap.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { waitFor } from '../../helpers/net.ts';
import { closed, openClient, settled, splitHead, startCapture, streamMessage } from '../../helpers/tunnel-harness.ts';
import { cleanups, rig, backend, wssBackend, messages } from './fixtures.ts';

describe('tunnel', () => {
  test('pipes both directions byte-exact and sends the rewritten upgrade request', async () => {
    const b = await backend();
    const capB = await startCapture(b.port);
    cleanups.push(() => capB.close());
    const r = await rig(`http://127.0.0.1:${capB.port}`);
    const capA = await startCapture(r.port);
    cleanups.push(() => capA.close());
    const ws = await openClient(`ws://127.0.0.1:${capA.port}/chat/x?y=1`, undefined, {
      headers: { 'x-forwarded-for': '10.0.0.9' },
    });
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
    assert.match(
      head,
      new RegExp(`\\r\\nHost: 127\\.0\\.0\\.1:${capB.port}\\r\\n`),
      'changeOrigin sends the target host',
    );
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
    assert.ok(
      r.frames.some((f) => f.type === 'send' && f.data === 'hello'),
      'frames are recorded',
    );
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
    assert.deepEqual(
      plain(atClient, 'b'),
      Array.from({ length: N }, (_, i) => payload('b', i)),
      'backend stream intact and in order',
    );
    assert.deepEqual(
      plain(atBackend, 'c'),
      Array.from({ length: N }, (_, i) => payload('c', i)),
      'client stream intact and in order',
    );
    assert.deepEqual(
      atClient.filter((m) => m.startsWith('inj-')),
      Array.from({ length: 100 }, (_, k) => `inj-c-${k}`),
    );
    assert.deepEqual(
      atBackend.filter((m) => m.startsWith('inj-')),
      Array.from({ length: 100 }, (_, k) => `inj-b-${k}`),
    );
    assert.ok(
      r.frames.some((f) => f.injected && f.data === 'inj-c-0'),
      'injections are recorded as injected',
    );
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
    await waitFor(
      () => server.bufferedAmount > 16 * 1024 * 1024,
      'the backend held back (over 16 MiB still queued there)',
    );
    let got = 0;
    ws.on('message', (d) => (got += (d as Buffer).length));
    raw.resume();
    await waitFor(() => got === 48 * chunk.length, 'all 48 MiB delivered', 15_000);
    ws.close();
    await closed(ws);
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
});
