// Test helper for the frame tap: a real ws server and client talking through a tapped raw relay, plus replay of captured bytes.
import { WebSocket, type PerMessageDeflateOptions, type WebSocketServer } from 'ws';
import type { FrameRecord, WsSessionRecord } from '../../shared/events.ts';
import { parseDeflate } from '../../main/engine/ws/frames/extensions.ts';
import { createFrameTap, type FrameTap } from '../../main/engine/ws/frames/tap.ts';
import type { InspectOptions, Recorder } from '../../main/engine/types.ts';
import { waitFor } from './net.ts';
import { startWss } from './tunnel-harness.ts';
import { startWsRelay, type RelayConnection, type WsRelay } from './ws-relay.ts';

export function sessionRecord(id = 1): WsSessionRecord {
  return {
    kind: 'ws',
    id,
    startedAt: Date.now(),
    url: '/ws',
    host: '127.0.0.1',
    clientAddress: '127.0.0.1',
    state: 'open',
    requestHeaders: {},
    counts: { framesToBackend: 0, framesToClient: 0, bytesToBackend: 0, bytesToClient: 0 },
  };
}

export function inspectOptions(over: Partial<InspectOptions> = {}): InspectOptions {
  return { bodyBytes: 65536, storeBytes: 64 * 1024 * 1024, frameBytes: 256 * 1024, frames: true, ...over };
}

export function collectingRecorder(): { recorder: Recorder; frames: FrameRecord[] } {
  const frames: FrameRecord[] = [];
  let id = 0;
  const recorder: Recorder = { nextId: () => ++id, http() {}, ws() {}, frame: (f) => void frames.push(f) };
  return { recorder, frames };
}

export interface TappedPair {
  wss: WebSocketServer;
  relay: WsRelay;
  client: WebSocket;
  /** The server side of the connection. */
  server: WebSocket;
  conn: RelayConnection;
  tap: FrameTap;
  session: WsSessionRecord;
  frames: FrameRecord[];
  /** Messages each side received, in order. */
  serverGot: Array<{ data: Buffer; binary: boolean }>;
  clientGot: Array<{ data: Buffer; binary: boolean }>;
  close(): Promise<void>;
}

export interface PairOptions {
  deflate?: PerMessageDeflateOptions | false;
  inspect?: Partial<InspectOptions>;
}

/** ws server ← relay (tapped) ← ws client, open and ready. */
export async function startTappedPair(opts: PairOptions = {}): Promise<TappedPair> {
  const backend = await startWss({ perMessageDeflate: opts.deflate ?? false, maxPayload: 64 * 1024 * 1024 });
  const wss = backend.wss;
  const serverReady = new Promise<WebSocket>((r) => wss.once('connection', (ws) => r(ws)));
  const session = sessionRecord();
  const { recorder, frames } = collectingRecorder();
  let tap: FrameTap | undefined;
  const relay = await startWsRelay(backend.port, (extensions) => {
    tap = createFrameTap({
      session,
      deflate: parseDeflate(extensions),
      recorder,
      inspect: inspectOptions(opts.inspect),
    });
    return { client: (c) => tap!.client(c), backend: (c) => tap!.backend(c) };
  });
  const client = new WebSocket(relay.url, { perMessageDeflate: opts.deflate ?? false, maxPayload: 64 * 1024 * 1024 });
  const serverGot: TappedPair['serverGot'] = [];
  const clientGot: TappedPair['clientGot'] = [];
  client.on('message', (data, binary) => void clientGot.push({ data: data as Buffer, binary }));
  client.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', reject);
  });
  const server = await serverReady;
  server.on('message', (data, binary) => void serverGot.push({ data: data as Buffer, binary }));
  server.on('error', () => {});
  await waitFor(() => tap, 'tap created');
  return {
    wss,
    relay,
    client,
    server,
    conn: relay.connections[0]!,
    tap: tap!,
    session,
    frames,
    serverGot,
    clientGot,
    async close() {
      client.terminate();
      await relay.close();
      await backend.close();
    },
  };
}

/** Split buffers into chunks of sizes drawn by `size()` (1-byte when it returns 1). */
export function rechunk(chunks: Buffer[], size: () => number): Buffer[] {
  const all = Buffer.concat(chunks);
  const out: Buffer[] = [];
  for (let i = 0; i < all.length; ) {
    const n = Math.max(1, Math.min(size(), all.length - i));
    out.push(all.subarray(i, i + n));
    i += n;
  }
  return out;
}

/**
 * Feed captured bytes to a fresh tap (client direction first, then backend), end it, and wait until
 * `expected` records arrived (async inflation). Returns the records and the session.
 */
export async function replay(
  toBackend: Buffer[],
  toClient: Buffer[],
  extensions: string | undefined,
  inspect: Partial<InspectOptions> = {},
  expected = 0,
): Promise<{ frames: FrameRecord[]; session: WsSessionRecord; tap: FrameTap }> {
  const session = sessionRecord();
  const { recorder, frames } = collectingRecorder();
  const tap = createFrameTap({
    session,
    deflate: parseDeflate(extensions),
    recorder,
    inspect: inspectOptions(inspect),
  });
  for (const c of toBackend) tap.client(c);
  for (const c of toClient) tap.backend(c);
  tap.end();
  if (expected > 0) await waitFor(() => frames.length >= expected, `${expected} replayed records`, 15_000);
  return { frames, session, tap };
}

/** A record without its timing and sequence, for comparisons across runs. */
export function stable(f: FrameRecord): Omit<FrameRecord, 'time' | 'seq'> {
  const { time: _t, seq: _s, ...rest } = f;
  return rest;
}

export function ofType(frames: FrameRecord[], type: 'send' | 'receive'): FrameRecord[] {
  return frames.filter((f) => f.type === type);
}
