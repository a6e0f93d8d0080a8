// Test rig for the WebSocket tunnel: a node:http front that hands upgrades to a TunnelRegistry, a TCP capture relay, ws helpers.
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, connect, type Server as NetServer, type Socket } from 'node:net';
import WebSocket, { WebSocketServer, type ServerOptions } from 'ws';
import { validateConfig, type RouteInput } from '../../shared/config.ts';
import type { FrameRecord, WsSessionRecord } from '../../shared/events.ts';
import { compileSnapshot } from '../../main/engine/snapshot.ts';
import { TunnelRegistry } from '../../main/engine/ws/tunnel.ts';
import type { Recorder } from '../../main/engine/types.ts';
import { close, listen, waitFor } from './net.ts';

export interface Rig {
  port: number;
  url: string;
  registry: TunnelRegistry;
  /** Every session record, in order of arrival. */
  records: WsSessionRecord[];
  /** States published per record id, in order. */
  states: Map<number, string[]>;
  frames: FrameRecord[];
  server: Server;
  close(): Promise<void>;
}

let nextId = 0;

/** A Loopgate-like front: one route "/" to `target`, upgrades go to a fresh TunnelRegistry. */
export async function startRig(
  target: string,
  route: Partial<RouteInput> = {},
  inspect: { frames?: boolean } = {},
): Promise<Rig> {
  const parsed = validateConfig({ routes: [{ match: '/', target, ...route }], inspect });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const snapshot = compileSnapshot(parsed.config, { baseDir: process.cwd() });
  const compiled = snapshot.routes[0]!;
  const registry = new TunnelRegistry();
  const records: WsSessionRecord[] = [];
  const states = new Map<number, string[]>();
  const frames: FrameRecord[] = [];
  const recorder: Recorder = {
    nextId: () => ++nextId,
    http() {},
    ws(r) {
      if (!states.has(r.id)) {
        states.set(r.id, []);
        records.push(r);
      }
      states.get(r.id)!.push(r.state);
    },
    frame(f) {
      frames.push(f);
    },
  };
  const server = createServer();
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const record: WsSessionRecord = {
      kind: 'ws',
      id: recorder.nextId(),
      startedAt: Date.now(),
      url: req.url ?? '/',
      host: req.headers.host ?? '',
      clientAddress: req.socket.remoteAddress ?? '',
      route: compiled.label,
      routeIndex: 0,
      target: compiled.target.origin + (req.url ?? '/'),
      state: 'connecting',
      requestHeaders: req.headers as WsSessionRecord['requestHeaders'],
      counts: { framesToBackend: 0, framesToClient: 0, bytesToBackend: 0, bytesToClient: 0 },
    };
    recorder.ws(record);
    registry.open({ req, socket, head, snapshot, route: compiled, record, recorder, upstreamPath: req.url ?? '/' });
  });
  const port = await listen(server);
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    registry,
    records,
    states,
    frames,
    server,
    async close() {
      await registry.closeAll(false);
      await close(server);
    },
  };
}

export interface Capture {
  port: number;
  /** Bytes seen per connection, in order of connection: up = toward the target, down = back. */
  conns: Array<{ up: Buffer[]; down: Buffer[] }>;
  close(): Promise<void>;
}

/** A plain TCP relay to 127.0.0.1:targetPort that records every byte both ways. */
export async function startCapture(targetPort: number): Promise<Capture> {
  const conns: Capture['conns'] = [];
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((inbound) => {
    const c = { up: [] as Buffer[], down: [] as Buffer[] };
    conns.push(c);
    const outbound = connect(targetPort, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.on('data', (d: Buffer) => {
      c.up.push(Buffer.from(d));
      outbound.write(d);
    });
    outbound.on('data', (d: Buffer) => {
      c.down.push(Buffer.from(d));
      inbound.write(d);
    });
    inbound.on('end', () => outbound.end());
    outbound.on('end', () => inbound.end());
  });
  const port = await listen(server);
  return {
    port,
    conns,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Split a captured stream into its HTTP head (through the blank line) and the WebSocket bytes after it. */
export function splitHead(chunks: Buffer[]): { head: string; body: Buffer } {
  const all = Buffer.concat(chunks);
  const end = all.indexOf('\r\n\r\n');
  if (end < 0) return { head: all.toString('latin1'), body: Buffer.alloc(0) };
  return { head: all.toString('latin1', 0, end + 4), body: all.subarray(end + 4) };
}

/** Open a ws client and wait for 'open' (rejects on error or unexpected response). */
export function openClient(
  url: string,
  protocols?: string | string[],
  opts: WebSocket.ClientOptions = {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false, ...opts });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });
}

/** Connect a ws client that is expected to be refused: status, headers and body of the answer. */
export function refusedClient(
  url: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('unexpectedly opened'));
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() });
        req.destroy();
      });
      res.on('error', reject);
    });
  });
}

/** Resolve with close code and reason once a ws closes. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve({ code: -1, reason: 'already closed' });
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** Wait until the registry holds no open session and every record has reached a final state. */
export async function settled(rig: Rig, label = 'sessions to settle'): Promise<void> {
  await waitFor(
    () => rig.registry.openIds.length === 0 && rig.records.every((r) => r.state === 'closed' || r.state === 'failed'),
    label,
  );
}

/** A raw TCP backend: `onHead` gets the socket once a request head has arrived. */
export async function startRawBackend(
  onHead: (s: Socket, head: string) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d: Buffer) => {
      if (buf.includes('\r\n\r\n')) return;
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) onHead(s, buf);
    });
  });
  const port = await listen(server);
  return {
    port,
    async close() {
      for (const s of sockets) s.destroy();
      await close(server);
    },
  };
}

/** A `ws` server on 127.0.0.1:0 (options passed through); close() terminates its clients. */
export async function startWss(
  opts: ServerOptions = {},
): Promise<{ wss: WebSocketServer; port: number; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, ...opts });
  await new Promise((res) => wss.once('listening', res));
  return {
    wss,
    port: (wss.address() as { port: number }).port,
    close: () =>
      new Promise<void>((res) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => res());
      }),
  };
}

/** Send one message, every 10th one (i % 10 === 3) as three fragments. */
export function streamMessage(ws: WebSocket, text: string, i: number): void {
  if (i % 10 !== 3) return ws.send(text);
  const third = Math.floor(text.length / 3);
  ws.send(text.slice(0, third), { fin: false });
  ws.send(text.slice(third, 2 * third), { fin: false });
  ws.send(text.slice(2 * third), { fin: true });
}
