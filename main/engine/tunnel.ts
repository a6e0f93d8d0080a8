// The WebSocket tunnel: after the backend's 101, a byte-exact pipe both ways with injection, idle timeout, pings and close.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Side, WsSessionRecord } from '../../shared/events.ts';
import { BoundaryTracker } from './frames/boundary.ts';
import { encodeClose, encodeFrame } from './frames/encode.ts';
import { parseDeflate } from './frames/extensions.ts';
import { createFrameTap, type FrameTap } from './frames/tap.ts';
import { Handshake, type HandshakeOpen } from './handshake.ts';
import type { UpgradeExchange } from './types.ts';

export type SendResult = { ok: true } | { ok: false; code: 'NO_SESSION' | 'NOT_OPEN' | 'BROKEN_STREAM'; message: string };

type Peer = 'client' | 'backend';

/** A whole frame waiting for the next frame boundary of the stream toward one peer. */
interface Injection {
  opcode: number;
  payload: Buffer;
  frame: Buffer;
  /** A close frame: end that side once it is written. */
  end: boolean;
}

const EMPTY = Buffer.alloc(0);
/** How long a closing tunnel waits for a frame boundary and for the peers to hang up before cutting. */
const CLOSE_GRACE_MS = 2000;
const OK: SendResult = { ok: true };
const BENIGN = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

const notOpen = (id: number, why: string): SendResult => ({ ok: false, code: 'NOT_OPEN', message: `WebSocket session ${id} is ${why}` });

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

class Tunnel {
  state: 'connecting' | 'open' | 'closing' | 'done' = 'connecting';
  readonly #ex: UpgradeExchange;
  readonly #record: WsSessionRecord;
  readonly #client: Duplex;
  readonly #onDone: (t: Tunnel) => void;
  #backend: Socket | null = null;
  #handshake: Handshake | null = null;
  #tap: FrameTap | null = null;
  /** Frame boundaries of the client → backend and backend → client streams. */
  #toBackend: BoundaryTracker | null = null;
  #toClient: BoundaryTracker | null = null;
  #qBackend: Injection[] = [];
  #qClient: Injection[] = [];
  /** No more writes toward that peer (ended by us, or it sent FIN without half-open). */
  #shutBackend = false;
  #shutClient = false;
  #clientClosed = false;
  #backendClosed = false;
  #clientEof = false;
  #backendEof = false;
  #firstEnd: Side | null = null;
  /** Set when Loopgate ended the session (idle timeout, user close, engine stop). */
  #closer: { code?: number; reason?: string } | null = null;
  #lastIo = 0;
  #lastPing = 0;
  #tick: NodeJS.Timeout | null = null;
  #linger: NodeJS.Timeout | null = null;

  constructor(ex: UpgradeExchange, onDone: (t: Tunnel) => void) {
    this.#ex = ex;
    this.#record = ex.record;
    this.#client = ex.socket;
    this.#onDone = onDone;
  }

  get id(): number {
    return this.#record.id;
  }

  start(): void {
    this.#handshake = new Handshake(this.#ex, this.#onHandshake);
  }

  #onHandshake = (opened: HandshakeOpen | null): void => {
    this.#handshake = null;
    if (!opened) {
      this.state = 'done';
      this.#onDone(this);
      return;
    }
    const { backend, head, rawHead, rest } = opened;
    const client = this.#client;
    const record = this.#record;
    const ex = this.#ex;
    this.#backend = backend;
    record.state = 'open';
    record.status = head.status;
    record.responseHeaders = head.headers;
    record.subprotocol = firstValue(head.headers['sec-websocket-protocol']);
    record.extensions = firstValue(head.headers['sec-websocket-extensions']);
    record.openedAt = Date.now();
    this.#toBackend = new BoundaryTracker();
    this.#toClient = new BoundaryTracker();
    if (ex.snapshot.inspect.frames) {
      this.#tap = createFrameTap({ session: record, deflate: parseDeflate(record.extensions), recorder: ex.recorder, inspect: ex.snapshot.inspect });
    }
    (client as Partial<Socket>).setNoDelay?.(true);
    client.on('data', this.#onClientData);
    client.on('end', this.#onClientEnd);
    client.on('error', this.#onClientError);
    client.on('close', this.#onClientClose);
    client.on('drain', this.#onClientDrain);
    backend.on('data', this.#onBackendData);
    backend.on('end', this.#onBackendEnd);
    backend.on('error', this.#onBackendError);
    backend.on('close', this.#onBackendClose);
    backend.on('drain', this.#onBackendDrain);
    this.state = 'open';
    this.#lastIo = Date.now();
    this.#schedule();
    ex.recorder.ws(record);
    client.write(rawHead);
    if (ex.head.length > 0) this.#onClientData(ex.head);
    if (rest.length > 0) this.#onBackendData(rest);
    client.resume();
    backend.resume();
  };

  // ---- hot path ----

  #onClientData = (chunk: Buffer): void => {
    this.#lastIo = Date.now();
    if (this.#shutBackend) return;
    const off = this.#toBackend!.feed(chunk);
    if (this.#tap !== null) this.#tap.client(chunk);
    else this.#record.counts.bytesToBackend += chunk.length;
    if (this.#qBackend.length === 0 || off < 0) {
      if (!this.#backend!.write(chunk)) this.#client.pause();
    } else if (!this.#splice('backend', this.#backend!, chunk, off)) this.#client.pause();
  };

  #onBackendData = (chunk: Buffer): void => {
    this.#lastIo = Date.now();
    if (this.#shutClient) return;
    const off = this.#toClient!.feed(chunk);
    if (this.#tap !== null) this.#tap.backend(chunk);
    else this.#record.counts.bytesToClient += chunk.length;
    if (this.#qClient.length === 0 || off < 0) {
      if (!this.#client.write(chunk)) this.#backend!.pause();
    } else if (!this.#splice('client', this.#client, chunk, off)) this.#backend!.pause();
  };

  #onClientDrain = (): void => {
    this.#backend!.resume();
  };

  #onBackendDrain = (): void => {
    this.#client.resume();
  };

  // ---- injection ----

  /** Write `chunk` with the queued injections inserted at the safe offset; false on backpressure. */
  #splice(to: Peer, sock: Duplex, chunk: Buffer, off: number): boolean {
    sock.cork();
    if (off > 0) sock.write(chunk.subarray(0, off));
    this.#flush(to);
    let ok = true;
    if (off < chunk.length && !(to === 'backend' ? this.#shutBackend : this.#shutClient)) ok = sock.write(chunk.subarray(off));
    sock.uncork();
    return ok;
  }

  /** Write every queued injection toward `to` (the stream is at a frame boundary). */
  #flush(to: Peer): void {
    const q = to === 'backend' ? this.#qBackend : this.#qClient;
    const sock = to === 'backend' ? this.#backend! : this.#client;
    for (const item of q) {
      sock.write(item.frame);
      if (this.#tap !== null) this.#tap.injected(to, item.opcode, item.payload);
      else if (to === 'backend') this.#record.counts.bytesToBackend += item.frame.length;
      else this.#record.counts.bytesToClient += item.frame.length;
      if (item.end) {
        this.#shut(to);
        break;
      }
    }
    q.length = 0;
  }

  #enqueue(to: Peer, item: Injection): void {
    const q = to === 'backend' ? this.#qBackend : this.#qClient;
    const tracker = to === 'backend' ? this.#toBackend! : this.#toClient!;
    q.push(item);
    if (q.length === 1 && tracker.atSafePoint) this.#flush(to);
  }

  send(to: Peer, data: Buffer, binary: boolean): SendResult {
    if (this.state !== 'open') return notOpen(this.id, this.state === 'connecting' ? 'still connecting' : 'closing');
    if (to === 'backend' ? this.#shutBackend : this.#shutClient) return notOpen(this.id, `no longer writable toward the ${to}`);
    if ((to === 'backend' ? this.#toBackend! : this.#toClient!).broken) {
      return { ok: false, code: 'BROKEN_STREAM', message: `the stream toward the ${to} is not valid WebSocket framing, so no frame can be inserted safely` };
    }
    const opcode = binary ? 2 : 1;
    this.#enqueue(to, { opcode, payload: data, frame: encodeFrame({ opcode, payload: data, mask: to === 'backend' }), end: false });
    return OK;
  }

  /** Close frames to both peers at their next frame boundary, then end both sockets. */
  close(code: number, reason: string): SendResult {
    if (this.state === 'connecting') {
      this.#handshake?.abort(`closed by Loopgate (${code} ${reason})`);
      return OK;
    }
    if (this.state !== 'open') return notOpen(this.id, this.state);
    this.state = 'closing';
    this.#closer = { code, reason };
    this.#clearTick();
    this.#armLinger(CLOSE_GRACE_MS);
    const toClient = encodeClose(code, reason, false);
    // Close payloads are at most 125 bytes, so the unmasked frame's header is 2 bytes.
    const payload = toClient.subarray(2);
    for (const to of ['client', 'backend'] as const) {
      if (to === 'backend' ? this.#shutBackend : this.#shutClient) continue;
      if ((to === 'backend' ? this.#toBackend! : this.#toClient!).broken) this.#shut(to);
      else this.#enqueue(to, { opcode: 8, payload, frame: to === 'client' ? toClient : encodeClose(code, reason, true), end: true });
    }
    return OK;
  }

  /** Cut both sockets now (engine stop without grace). */
  destroy(): void {
    if (this.state === 'connecting') return this.#handshake?.abort('Loopgate is stopping');
    if (this.state === 'done') return;
    this.#closer ??= {};
    this.#client.destroy();
    this.#backend?.destroy();
  }

  // ---- timers ----

  #schedule(): void {
    const read = this.#ex.route.timeouts.read;
    const ping = this.#ex.route.keepAlivePing;
    if (read <= 0 && ping <= 0) return;
    let due = read > 0 ? this.#lastIo + read : Infinity;
    if (ping > 0) due = Math.min(due, Math.max(this.#lastIo, this.#lastPing) + ping);
    this.#tick = setTimeout(this.#onTick, Math.max(1, due - Date.now()));

  }

  #onTick = (): void => {
    this.#tick = null;
    if (this.state !== 'open') return;
    const now = Date.now();
    const read = this.#ex.route.timeouts.read;
    const ping = this.#ex.route.keepAlivePing;
    if (read > 0 && now - this.#lastIo >= read) {
      this.close(1001, 'idle timeout');
      return;
    }
    if (ping > 0 && now - Math.max(this.#lastIo, this.#lastPing) >= ping) {
      this.#lastPing = now;
      this.#ping('client');
      this.#ping('backend');
    }
    this.#schedule();
  };

  /** A ping toward one peer, only when that stream is at a frame boundary right now. */
  #ping(to: Peer): void {
    const tracker = to === 'backend' ? this.#toBackend! : this.#toClient!;
    const q = to === 'backend' ? this.#qBackend : this.#qClient;
    if ((to === 'backend' ? this.#shutBackend : this.#shutClient) || q.length > 0 || !tracker.atSafePoint || tracker.broken) return;
    this.#enqueue(to, { opcode: 9, payload: EMPTY, frame: encodeFrame({ opcode: 9, payload: EMPTY, mask: to === 'backend' }), end: false });
  }

  #clearTick(): void {
    if (this.#tick) clearTimeout(this.#tick);
    this.#tick = null;
  }

  #armLinger(ms: number): void {
    if (this.#linger) return;
    this.#linger = setTimeout(this.#onLinger, ms);

  }

  #onLinger = (): void => {
    this.#linger = null;
    this.#client.destroy();
    this.#backend?.destroy();
  };

  // ---- ends, errors, close ----

  /** No more writes toward `to`: end that socket once what is queued is flushed. */
  #shut(to: Peer): void {
    if (to === 'backend') {
      if (this.#shutBackend) return;
      this.#shutBackend = true;
      this.#qBackend.length = 0;
      this.#backend!.end();
    } else {
      if (this.#shutClient) return;
      this.#shutClient = true;
      this.#qClient.length = 0;
      this.#client.end();
    }
    this.#armLinger(CLOSE_GRACE_MS);
  }

  #onClientEnd = (): void => {
    this.#clientEof = true;
    this.#firstEnd ??= 'client';
    this.#shut('backend');
  };

  #onBackendEnd = (): void => {
    this.#backendEof = true;
    this.#firstEnd ??= 'backend';
    // Without half-open, Node ends our writing side when the backend sends FIN.
    this.#shutBackend = true;
    this.#shut('client');
  };

  #error(side: 'client' | 'backend', err: NodeJS.ErrnoException): void {
    this.#firstEnd ??= side;
    const code = err.code ?? 'ERROR';
    if (this.#record.error || (BENIGN.has(code) && (this.#closer || this.#tap?.firstClose))) return;
    const where = side === 'client' ? 'client connection' : `backend connection (${this.#ex.route.target.origin})`;
    this.#record.error = { code, message: `${where} failed: ${err.message}`, side };
  }

  #onClientError = (err: NodeJS.ErrnoException): void => this.#error('client', err);
  #onBackendError = (err: NodeJS.ErrnoException): void => this.#error('backend', err);

  #onClientClose = (): void => {
    this.#clientClosed = true;
    this.#firstEnd ??= 'client';
    this.#shutClient = true;
    if (!this.#backendClosed && !this.#clientEof) this.#backend!.destroy();
    this.#maybeFinish();
  };

  #onBackendClose = (): void => {
    this.#backendClosed = true;
    this.#firstEnd ??= 'backend';
    this.#shutBackend = true;
    if (!this.#clientClosed && !this.#backendEof) this.#client.destroy();
    this.#maybeFinish();
  };

  #maybeFinish(): void {
    if (!this.#clientClosed || !this.#backendClosed || this.state === 'done') return;
    this.state = 'done';
    this.#clearTick();
    if (this.#linger) clearTimeout(this.#linger);
    this.#linger = null;
    const client = this.#client;
    const backend = this.#backend!;
    client.off('data', this.#onClientData);
    client.off('end', this.#onClientEnd);
    client.off('error', this.#onClientError);
    client.off('close', this.#onClientClose);
    client.off('drain', this.#onClientDrain);
    backend.off('data', this.#onBackendData);
    backend.off('end', this.#onBackendEnd);
    backend.off('error', this.#onBackendError);
    backend.off('close', this.#onBackendClose);
    backend.off('drain', this.#onBackendDrain);
    this.#qBackend.length = 0;
    this.#qClient.length = 0;
    const tap = this.#tap;
    tap?.end();
    const record = this.#record;
    record.state = 'closed';
    record.closedAt = Date.now();
    const fc = tap?.firstClose ?? null;
    if (this.#closer) {
      record.closedBy = 'loopgate';
      record.closeCode = this.#closer.code;
      record.closeReason = this.#closer.reason;
    } else if (fc) {
      record.closedBy = fc.from;
      record.closeCode = fc.code;
      record.closeReason = fc.reason;
    } else {
      record.closedBy = this.#firstEnd ?? 'loopgate';
    }
    this.#ex.recorder.ws(record);
    this.#onDone(this);
  }
}

/** Every WebSocket session of one engine: opens tunnels, lets the control API inject and close. */
export class TunnelRegistry {
  #tunnels = new Map<number, Tunnel>();
  #idle: Array<() => void> = [];

  constructor() {}

  /** Handle one routed upgrade (UpgradeExchange in main/engine/types.ts); fills and publishes ex.record. Never throws. */
  open(ex: UpgradeExchange): void {
    const id = ex.record.id;
    try {
      const t = new Tunnel(ex, this.#remove);
      this.#tunnels.set(id, t);
      t.start();
    } catch (err) {
      this.#tunnels.delete(id);
      const record = ex.record;
      record.state = 'failed';
      record.closedAt = Date.now();
      record.closedBy = 'loopgate';
      record.error = { code: 'INTERNAL', message: `Loopgate could not open the tunnel: ${(err as Error)?.message ?? String(err)}`, side: 'loopgate' };
      try {
        ex.socket.destroy();
        ex.recorder.ws(record);
      } catch {
        /* never throw from open() */
      }
      this.#checkIdle();
    }
  }

  /** Insert a whole message toward the client or the backend at the next frame boundary (masked toward the backend); recorded as injected. */
  send(id: number, to: 'client' | 'backend', data: Buffer, binary: boolean): SendResult {
    const t = this.#tunnels.get(id);
    if (!t) return { ok: false, code: 'NO_SESSION', message: `no open WebSocket session with id ${id}` };
    return t.send(to, data, binary);
  }

  /** Close a session: a close frame with code/reason to both peers, then end both sockets (closedBy 'loopgate'). */
  close(id: number, code: number, reason: string): SendResult {
    const t = this.#tunnels.get(id);
    if (!t) return { ok: false, code: 'NO_SESSION', message: `no open WebSocket session with id ${id}` };
    return t.close(code, reason);
  }

  /** Ids of open sessions. */
  get openIds(): number[] {
    const ids: number[] = [];
    for (const [id, t] of this.#tunnels) if (t.state === 'open') ids.push(id);
    return ids;
  }

  /** Destroy everything (engine stop). Optionally end gracefully: close frames 1001 first. */
  async closeAll(graceful: boolean): Promise<void> {
    if (this.#tunnels.size === 0) return;
    const idle = new Promise<void>((resolve) => this.#idle.push(resolve));
    for (const t of [...this.#tunnels.values()]) {
      if (graceful && t.state === 'open') t.close(1001, 'Loopgate is stopping');
      else if (!graceful || t.state === 'connecting') t.destroy();
    }
    this.#checkIdle();
    await idle;
  }

  #remove = (t: Tunnel): void => {
    if (this.#tunnels.get(t.id) === t) this.#tunnels.delete(t.id);
    this.#checkIdle();
  };

  #checkIdle(): void {
    if (this.#tunnels.size > 0 || this.#idle.length === 0) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const w of waiters) w();
  }
}
