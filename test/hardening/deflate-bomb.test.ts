// Hardening: permessage-deflate decompression bombs through a real engine (child process): forwarded byte-exact, the inspector caps what it inflates and says so, RSS flat.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import type { FramesPage, ListPage, SessionView } from '../../shared/api.ts';
import type { FrameRecord } from '../../shared/events.ts';
import { encodeFrame } from '../../main/engine/ws/frames/encode.ts';
import { BUDGET_BYTES, MESSAGE_CAP } from '../../main/engine/ws/frames/inflate.ts';
import { startEngineChild, type EngineChild } from '../helpers/engine-child.ts';
import { close, listen, waitFor } from '../helpers/net.ts';

const MiB = 1024 * 1024;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEAD_END = Buffer.from('\r\n\r\n');
const verbose = !!process.env.HARDENING_VERBOSE;

/** Raw deflate of 1 MiB of zeros ending in a sync flush: blocks that concatenate into one long valid stream (~1,037 bytes each). */
const BLOCK = zlib.deflateRawSync(Buffer.alloc(MiB), { finishFlush: zlib.constants.Z_SYNC_FLUSH });

/** A permessage-deflate payload that inflates to `mib` MiB of zeros (the 00 00 ff ff tail dropped, RFC 7692 7.2.1). */
function bomb(mib: number): Buffer {
  return Buffer.concat(Array(mib).fill(BLOCK)).subarray(0, mib * BLOCK.length - 4);
}

/** A small ordinary compressed message (stand-alone: it needs no earlier context). */
function plain(text: string): Buffer {
  const z = zlib.deflateRawSync(Buffer.from(text), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return z.subarray(0, z.length - 4);
}

function readHead(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf(HEAD_END);
      if (end === -1) return;
      socket.off('data', onData);
      resolve(buf.subarray(0, end).toString('latin1'));
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** One end's byte count and running hash of what it received past the handshake. */
class Sink {
  bytes = 0;
  private hash = createHash('sha256');
  add(b: Buffer): void {
    this.bytes += b.length;
    this.hash.update(b);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

interface Pair {
  client: Socket;
  backend: Socket;
  atClient: Sink;
  atBackend: Sink;
  sessionId: number;
}

let child: EngineChild;
let server: Server;
/** The extension string the backend answers the next handshake with. */
let answer = 'permessage-deflate';
let waiting: ((s: Socket) => void) | null = null;

before(async () => {
  server = createServer(async (socket) => {
    socket.on('error', () => {});
    const head = await readHead(socket);
    const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1] ?? '';
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: ${answer}\r\n\r\n`,
    );
    waiting?.(socket);
  });
  const port = await listen(server);
  child = await startEngineChild({ routes: [{ match: '/', target: `http://127.0.0.1:${port}`, ws: true }] });
});

after(async () => {
  await child.stop();
  await close(server);
});

async function api<T>(path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: child.controlPort,
        path,
        headers: { host: `127.0.0.1:${child.controlPort}`, authorization: `Bearer ${child.token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as T));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function open(extensions: string): Promise<Pair> {
  answer = extensions;
  const backendReady = new Promise<Socket>((r) => (waiting = r));
  const client = connect(child.port, '127.0.0.1');
  client.on('error', () => {});
  await new Promise<void>((r) => client.once('connect', () => r()));
  client.write(
    `GET /bomb HTTP/1.1\r\nHost: 127.0.0.1:${child.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      `Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n`,
  );
  const head = await readHead(client);
  assert.match(head, /^HTTP\/1\.1 101/);
  assert.match(head, /permessage-deflate/i);
  const backend = await backendReady;
  const atClient = new Sink();
  const atBackend = new Sink();
  client.on('data', (b: Buffer) => atClient.add(b));
  backend.on('data', (b: Buffer) => atBackend.add(b));
  const sessions = await api<ListPage<SessionView>>('/api/sessions?limit=1');
  return { client, backend, atClient, atBackend, sessionId: sessions.items.at(-1)!.id };
}

/** Write frames to `to` and wait until `sink` got every byte; returns the sent bytes' hash and ms. */
async function push(socket: Socket, sink: Sink, frames: Buffer[]): Promise<{ sent: string; got: string; ms: number }> {
  const hash = createHash('sha256');
  let total = 0;
  const t0 = performance.now();
  for (const f of frames) {
    hash.update(f);
    total += f.length;
    if (!socket.write(f)) await new Promise((r) => socket.once('drain', r));
  }
  await waitFor(() => sink.bytes >= total, `${total} bytes forwarded (got ${sink.bytes})`, 30_000);
  return { sent: hash.digest('hex'), got: sink.digest(), ms: performance.now() - t0 };
}

async function framesOf(id: number, count: number): Promise<FrameRecord[]> {
  const frames = await waitFor(
    async () => {
      const page = await api<FramesPage>(`/api/sessions/${id}/frames?limit=1000`);
      return page.frames.length >= count ? page.frames : null;
    },
    `${count} frame records of session ${id}`,
    30_000,
  );
  return frames!;
}

/** Sample the child's RSS every 100 ms while `work` runs: the start and the peak. */
async function watchRss<T>(work: () => Promise<T>): Promise<{ value: T; startMb: number; peakMb: number }> {
  const start = (await child.gc()).rss;
  let peak = start;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, (await child.stats()).rss);
      await new Promise((r) => setTimeout(r, 100)); // the sampling interval
    }
  })();
  const value = await work();
  done = true;
  await sampler;
  peak = Math.max(peak, (await child.stats()).rss);
  return { value, startMb: start / MiB, peakMb: peak / MiB };
}

function report(name: string, r: { startMb: number; peakMb: number }, ms: number, extra = ''): void {
  if (verbose) {
    console.log(
      `${name}: ${ms.toFixed(0)} ms, RSS ${r.startMb.toFixed(0)} → peak ${r.peakMb.toFixed(0)} MB (+${(r.peakMb - r.startMb).toFixed(0)})${extra}`,
    );
  }
}

describe('permessage-deflate bombs aimed at the inspector', () => {
  test('one 1 MiB frame that inflates to 1 GiB (backend → client, no context takeover): forwarded exactly, capped and said so, the next message decoded', async () => {
    const p = await open('permessage-deflate; server_no_context_takeover; client_no_context_takeover');
    const frames = [
      encodeFrame({ opcode: 2, payload: bomb(1024), mask: false, rsv1: true }),
      encodeFrame({ opcode: 1, payload: plain('after the bomb'), mask: false, rsv1: true }),
    ];
    const r = await watchRss(() => push(p.backend, p.atClient, frames));
    assert.equal(r.value.got, r.value.sent, 'the client got the bytes the backend sent');
    const [big, next] = await framesOf(p.sessionId, 2);
    assert.equal(big!.inflateCapped, true);
    assert.ok(big!.length >= MESSAGE_CAP && big!.length < 1024 * MiB, `${big!.length}`);
    assert.ok(big!.truncated);
    assert.match(big!.problems!.join(' '), /inflates to over 16 MiB: the inspector stopped inflating it/);
    assert.equal(big!.wireLength, frames[0]!.length);
    assert.equal(next!.data, 'after the bomb');
    assert.equal(next!.problems, undefined);
    assert.ok(r.peakMb - r.startMb < 100, `RSS grew ${(r.peakMb - r.startMb).toFixed(0)} MB`);
    report('1 GiB bomb, one frame', r, r.value.ms, `; ${(frames[0]!.length / 1024).toFixed(0)} KiB on the wire`);
    p.client.destroy();
    p.backend.destroy();
  });

  test('one message in 1,024 masked fragments building up to 1 GiB (client → backend, context takeover): exact, capped, later messages say the context is lost', async () => {
    const p = await open('permessage-deflate');
    const frames: Buffer[] = [];
    for (let i = 0; i < 1024; i++) {
      const last = i === 1023;
      const payload = last ? BLOCK.subarray(0, BLOCK.length - 4) : BLOCK;
      frames.push(encodeFrame({ opcode: i === 0 ? 2 : 0, payload, mask: true, fin: last, rsv1: i === 0 }));
    }
    frames.push(encodeFrame({ opcode: 1, payload: plain('later'), mask: true, rsv1: true }));
    const r = await watchRss(() => push(p.client, p.atBackend, frames));
    assert.equal(r.value.got, r.value.sent, 'the backend got the bytes the client sent');
    const [big, later] = await framesOf(p.sessionId, 2);
    assert.equal(big!.fragments, 1024);
    assert.equal(big!.inflateCapped, true);
    assert.ok(big!.length >= MESSAGE_CAP && big!.length < 64 * MiB);
    assert.match(later!.problems!.join(' '), /compression context lost/);
    assert.ok(r.peakMb - r.startMb < 100, `RSS grew ${(r.peakMb - r.startMb).toFixed(0)} MB`);
    report('1 GiB in 1,024 fragments', r, r.value.ms);
    p.client.destroy();
    p.backend.destroy();
  });

  test('600 small frames of 4 MiB each (2.3 GiB inflated, 2.4 MiB on the wire, no context takeover): exact, the shared budget stops inflating, RSS flat', async () => {
    const p = await open('permessage-deflate; server_no_context_takeover; client_no_context_takeover');
    const one = encodeFrame({ opcode: 2, payload: bomb(4), mask: false, rsv1: true });
    const frames = Array<Buffer>(600).fill(one);
    const r = await watchRss(() => push(p.backend, p.atClient, frames));
    assert.equal(r.value.got, r.value.sent);
    const records = await framesOf(p.sessionId, 600);
    const inflated = records.filter((f) => f.length === 4 * MiB && f.problems === undefined).length;
    const refused = records.filter((f) =>
      /inflate budget .* is spent; forwarded unchanged/.test(f.problems?.join() ?? ''),
    );
    assert.equal(inflated + refused.length, 600, 'each message inflated whole or refused with a reason');
    assert.ok(refused.length > 0, 'the budget stopped some');
    // Never more than the burst plus what the elapsed time refilled (plus one message in flight).
    const allowed = BUDGET_BYTES + (r.value.ms / 1000) * BUDGET_BYTES + 4 * MiB;
    assert.ok(inflated * 4 * MiB <= allowed, `${inflated} × 4 MiB inflated in ${r.value.ms.toFixed(0)} ms`);
    assert.ok(r.peakMb - r.startMb < 100, `RSS grew ${(r.peakMb - r.startMb).toFixed(0)} MB`);
    report('600 × 4 MiB', r, r.value.ms, `; ${inflated} inflated, ${refused.length} refused by the budget`);
    p.client.destroy();
    p.backend.destroy();
  });
});
