// BoundaryTracker on real ws streams cut at random: offsets match a reference parse, and injecting there keeps ws peers happy.
import assert from 'node:assert/strict';
import type { AddressInfo, Server, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { close, waitFor } from '../../../helpers/net.ts';
import { startTappedPair, type TappedPair } from '../../../helpers/ws-frames.ts';
import { rawClient, rawServer } from '../../../helpers/ws-raw.ts';
import { BoundaryTracker } from '../../../../main/engine/ws/frames/boundary.ts';
import { encodeFrame } from '../../../../main/engine/ws/frames/encode.ts';

/** Reference: every stream offset that ends a frame with no fragmented message open, and where messages end. */
function reference(stream: Buffer): { safe: Set<number>; messageEnds: number[] } {
  const safe = new Set<number>([0]);
  const messageEnds: number[] = [];
  let open = false;
  for (let i = 0; i + 2 <= stream.length; ) {
    let len = stream[i + 1]! & 0x7f;
    let h = 2;
    if (len === 126) [len, h] = [stream.readUInt16BE(i + 2), 4];
    else if (len === 127) [len, h] = [Number(stream.readBigUInt64BE(i + 2)), 10];
    if (stream[i + 1]! & 0x80) h += 4;
    const end = i + h + len;
    assert.ok(end <= stream.length, 'captured stream ends on a frame');
    const op = stream[i]! & 0x0f;
    const fin = (stream[i]! & 0x80) !== 0;
    if (op < 8) {
      open = !fin;
      if (fin) messageEnds.push(end);
    }
    if (!open) safe.add(end);
    i = end;
  }
  return { safe, messageEnds };
}

function randomSizes(max: number): () => number {
  return () => 1 + Math.floor(Math.random() * max);
}

describe('BoundaryTracker', () => {
  let pair: TappedPair;
  let toBackend: Buffer;
  let toClient: Buffer;
  const cleanups: Array<() => Promise<void> | void> = [];

  before(async () => {
    pair = await startTappedPair();
    const c = pair.client;
    const s = pair.server;
    c.send('hello');
    c.send('frag1', { fin: false });
    c.ping('in the middle');
    c.send(Buffer.alloc(300, 2), { fin: false });
    c.pong();
    c.send('end', { fin: true });
    c.send(Buffer.alloc(70_000, 3));
    for (let i = 0; i < 20; i++) c.send(`m${i}`);
    s.send('srv', { fin: false });
    s.ping();
    s.send('more', { fin: true });
    s.send(Buffer.alloc(1000, 7));
    for (let i = 0; i < 10; i++) s.send(`s${i}`);
    await waitFor(() => pair.serverGot.length === 23 && pair.clientGot.length === 12, 'traffic');
    await waitFor(() => pair.frames.filter((f) => f.opcode === 10).length === 3, 'pongs crossed');
    toBackend = Buffer.concat(pair.conn.toBackend);
    toClient = Buffer.concat(pair.conn.toClient);
  });
  after(async () => {
    await pair.close();
    for (const c of cleanups.reverse()) await c();
  });

  test('offsets and atSafePoint match the reference on 1-byte and random chunkings', () => {
    for (const stream of [toBackend, toClient]) {
      const { safe } = reference(stream);
      assert.ok(safe.size > 10);
      for (const size of [() => 1, randomSizes(3), randomSizes(40), randomSizes(5000), () => stream.length]) {
        for (let run = 0; run < 20; run++) {
          const t = new BoundaryTracker();
          assert.equal(t.atSafePoint, true);
          for (let p = 0; p < stream.length; ) {
            const n = Math.min(size(), stream.length - p);
            const got = t.feed(stream.subarray(p, p + n));
            let want = -1;
            for (let o = 1; o <= n; o++)
              if (safe.has(p + o)) {
                want = o;
                break;
              }
            assert.equal(got, want, `chunk at ${p}+${n}`);
            p += n;
            assert.equal(t.atSafePoint, safe.has(p), `atSafePoint at ${p}`);
          }
          assert.equal(t.broken, false);
        }
      }
    }
  });

  /** Cut the stream at random, inject a message wherever the tracker allows; return what was sent and where. */
  function splice(stream: Buffer, mask: boolean): { bytes: Buffer[]; at: number[] } {
    const t = new BoundaryTracker();
    const bytes: Buffer[] = [];
    const at: number[] = [];
    const size = randomSizes(16);
    for (let p = 0; p < stream.length; ) {
      const n = Math.min(size(), stream.length - p);
      const chunk = stream.subarray(p, p + n);
      const o = t.feed(chunk);
      if (o !== -1) {
        bytes.push(
          chunk.subarray(0, o),
          encodeFrame({ opcode: 1, payload: Buffer.from(`INJECTED ${at.length}`), mask }),
          chunk.subarray(o),
        );
        at.push(p + o);
      } else {
        bytes.push(chunk);
      }
      p += n;
    }
    return { bytes, at };
  }

  function expectInjected(got: string[], at: number[], messageEnds: number[], total: number) {
    assert.ok(at.length > 3, 'several injections');
    assert.equal(got.length, total + at.length);
    at.forEach((pos, j) => {
      const before = messageEnds.filter((e) => e <= pos).length;
      assert.equal(got[before + j], `INJECTED ${j}`);
    });
  }

  test('messages injected at returned offsets reach a ws server intact and in place', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const got: string[] = [];
    let closeCode = 0;
    wss.on('connection', (ws) => {
      ws.on('message', (d, binary) => got.push(binary ? `bin${(d as Buffer).length}` : (d as Buffer).toString()));
      ws.on('close', (code) => (closeCode = code));
    });
    const { bytes, at } = splice(toBackend, true);
    const sock = await rawClient((wss.address() as AddressInfo).port);
    cleanups.push(() => void sock.destroy());
    for (const b of bytes) sock.write(b);
    const total = pair.serverGot.length;
    await waitFor(() => got.length === total + at.length, 'all messages');
    expectInjected(got, at, reference(toBackend).messageEnds, total);
    assert.equal(closeCode, 0, 'no protocol error');
  });

  test('messages injected at returned offsets reach a ws client intact and in place', async () => {
    const { bytes, at } = splice(toClient, false);
    const sockets: Socket[] = [];
    const { port, server } = await rawServer((s) => {
      sockets.push(s);
      for (const b of bytes) s.write(b);
    });
    cleanups.push(() => close(server as Server));
    cleanups.push(() => sockets.forEach((s) => s.destroy()));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const got: string[] = [];
    ws.on('message', (d, binary) => got.push(binary ? `bin${(d as Buffer).length}` : (d as Buffer).toString()));
    ws.on('error', () => {});
    cleanups.push(() => ws.terminate());
    const total = pair.clientGot.length;
    await waitFor(() => got.length === total + at.length, 'all messages');
    expectInjected(got, at, reference(toClient).messageEnds, total);
  });

  test('a control frame inside a fragmented message is not a safe point', () => {
    const t = new BoundaryTracker();
    const a = encodeFrame({ opcode: 1, payload: Buffer.from('a'), mask: false, fin: false });
    const ping = encodeFrame({ opcode: 9, payload: Buffer.alloc(0), mask: false });
    const b = encodeFrame({ opcode: 0, payload: Buffer.from('b'), mask: false });
    assert.equal(t.feed(Buffer.concat([a, ping])), -1);
    assert.equal(t.atSafePoint, false);
    assert.equal(t.feed(Buffer.concat([b, ping])), b.length);
    assert.equal(t.atSafePoint, true);
    assert.equal(t.feed(Buffer.alloc(0)), -1);
    assert.equal(t.atSafePoint, true);
  });

  test('protocol errors break tracking for good', () => {
    const ok = encodeFrame({ opcode: 2, payload: Buffer.from('x'), mask: true });
    const reserved = Buffer.from(ok);
    reserved[0] = 0x83;
    const bigPing = encodeFrame({ opcode: 2, payload: Buffer.alloc(126), mask: true });
    bigPing[0] = 0x89;
    const msb = Buffer.from([0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1]);
    const nested = Buffer.concat([encodeFrame({ opcode: 1, payload: Buffer.from('a'), mask: false, fin: false }), ok]);
    const orphan = encodeFrame({ opcode: 0, payload: Buffer.from('a'), mask: false });
    for (const bad of [reserved, bigPing, msb, nested, orphan]) {
      const t = new BoundaryTracker();
      assert.equal(t.feed(Buffer.concat([ok, bad])), -1, 'a safe point before the error is not offered either');
      assert.equal(t.broken, true);
      assert.equal(t.atSafePoint, false);
      assert.equal(t.feed(ok), -1);
      assert.equal(t.atSafePoint, false);
    }
    const t = new BoundaryTracker();
    assert.equal(t.feed(ok), ok.length);
    assert.equal(t.broken, false);
  });
});
