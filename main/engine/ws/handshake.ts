// The WebSocket handshake leg: connect to the backend, send the rewritten upgrade, read and judge its answer head.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ErrorInfo, Side } from '../../../shared/events.ts';
import { describeUpstreamError } from '../errors.ts';
import { headersFromHead } from '../log/capture.ts';
import { setReadConsumer } from './socket-read.ts';
import { endThenDestroy, rawError } from '../raw-socket.ts';
import { recordFailed, recordPeerError } from './lifecycle.ts';
import {
  buildRequestHead,
  ChunkedEnd,
  connectBackend,
  first,
  parseResponseHead,
  type ResponseHead,
} from './handshake-wire.ts';
import type { UpgradeExchange } from '../types.ts';

/** Response headers dropped when a refusal is relayed as plain HTTP (we add Connection: close). */
const RELAY_DROP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade']);
const MAX_HEAD = 64 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');

export interface HandshakeOpen {
  backend: Socket;
  head: ResponseHead;
  /** The 101 head exactly as received, final CRLF included. */
  rawHead: Buffer;
  /** Bytes that came after the head: they already belong to the WebSocket stream. */
  rest: Buffer;
}

/** Where a socket's shared handshake listeners find their handshake (see Handshake's static listeners). */
const HANDSHAKE = Symbol('loopgate.handshake');
type Tagged = { [HANDSHAKE]?: Handshake };

/** How a handshake that did not open ended; the record is already filled and published. */
export type HandshakeEnd = (opened: HandshakeOpen | null) => void;

/**
 * One upgrade on its way to the backend. Calls `done` exactly once: with the open backend socket on
 * a 101 (listeners of its own removed, client left paused), or with null after it has answered the
 * client itself (502/504, or the backend's refusal relayed) and filled the record as failed.
 */
export class Handshake {
  readonly #ex: UpgradeExchange;
  readonly #done: HandshakeEnd;
  #backend: Socket | null = null;
  #timer: NodeJS.Timeout | null = null;
  #chunks: Buffer[] = [];
  #size = 0;
  #finished = false;
  /** Set once a refusal is being relayed. */
  #relay: {
    head: ResponseHead;
    remaining: number;
    chunked: ChunkedEnd | null;
    excerpt: Buffer[];
    kept: number;
  } | null = null;

  constructor(ex: UpgradeExchange, done: HandshakeEnd) {
    this.#ex = ex;
    this.#done = done;
    const { socket: client, route } = ex;
    client.pause();
    (client as Tagged)[HANDSHAKE] = this;
    client.on('error', Handshake.#clientError);
    client.on('close', Handshake.#clientClose);
    try {
      const backend = connectBackend(route, ex.req.headers.host);
      this.#backend = backend;
      (backend as Tagged)[HANDSHAKE] = this;
      backend.setNoDelay(true);
      backend.on('error', Handshake.#backendError);
      backend.on('data', Handshake.#backendData);
      setReadConsumer(backend, Handshake.#backendRead);
      backend.on('end', Handshake.#backendEnd);
      backend.once(route.target.protocol === 'https:' ? 'secureConnect' : 'connect', Handshake.#backendConnect);
      this.#arm(route.timeouts.connect, 'CONNECT_TIMEOUT');
      const head = buildRequestHead(ex);
      // What the backend gets (Host, X-Forwarded-*, rewritten Origin), beside what the client sent.
      ex.record.upstreamHeaders = headersFromHead(head.toString('latin1', 0, head.length - 4));
      backend.write(head);
    } catch (err) {
      this.#failConnect(err);
    }
  }

  /** Give up (engine stop): the client gets a 502 if still writable, the record says why. */
  abort(message: string): void {
    if (this.#relay) return this.#endRelay();
    this.#fail(502, { code: 'ABORTED', message, side: 'loopgate' }, 'loopgate');
  }

  #arm(ms: number, code: 'CONNECT_TIMEOUT' | 'READ_TIMEOUT'): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = ms > 0 ? setTimeout(() => (this.#relay ? this.#endRelay() : this.#failConnect({ code })), ms) : null;
  }

  // ---- socket listeners, shared by every handshake (no closures per upgrade): `this` is the socket ----

  static #of(sock: unknown): Handshake | undefined {
    return (sock as Tagged)[HANDSHAKE];
  }

  static #backendConnect(this: Duplex): void {
    const h = Handshake.#of(this);
    if (h) h.#onConnect();
  }

  static #clientError(this: Duplex, err: NodeJS.ErrnoException): void {
    const h = Handshake.#of(this);
    if (h) h.#onClientError(err);
  }

  static #clientClose(this: Duplex): void {
    const h = Handshake.#of(this);
    if (h) h.#onClientClose();
  }

  static #backendError(this: Duplex, err: NodeJS.ErrnoException): void {
    const h = Handshake.#of(this);
    if (h) h.#onBackendError(err);
  }

  static #backendEnd(this: Duplex): void {
    const h = Handshake.#of(this);
    if (h) h.#onBackendEnd();
  }

  static #backendData(this: Duplex, chunk: Buffer): void {
    const h = Handshake.#of(this);
    if (h) h.#onData(chunk);
  }

  /** A read of a socket with reused reads (handshake-read.ts): copied, since what arrives may be kept. */
  static #backendRead(this: void, sock: Socket, chunk: Buffer): void {
    const h = Handshake.#of(sock);
    if (h) h.#onData(Buffer.from(chunk));
  }

  #onConnect(): void {
    this.#arm(this.#ex.route.timeouts.read, 'READ_TIMEOUT');
  }

  #onClientError(err: NodeJS.ErrnoException): void {
    recordPeerError(this.#ex.record, 'client', err, this.#ex.route.target.origin, false);
  }

  #onClientClose(): void {
    if (this.#relay) return this.#endRelay();
    this.#fail(
      0,
      this.#ex.record.error ?? {
        code: 'CLIENT_ABORTED',
        message: 'client went away before the backend answered the upgrade',
        side: 'client',
      },
      'client',
    );
  }

  #onBackendError(err: NodeJS.ErrnoException): void {
    if (this.#relay) return this.#endRelay();
    this.#failConnect(err);
  }

  #onBackendEnd(): void {
    if (this.#relay) return this.#endRelay();
    this.#failConnect({ code: 'ECONNRESET' });
  }

  #failConnect(err: unknown): void {
    const { status, error } = describeUpstreamError(err, this.#ex.record.target ?? this.#ex.route.target.origin);
    if ((err as { code?: string }).code === 'ECONNRESET' && this.#size === 0)
      error.message = `backend closed the connection without answering the upgrade (${this.#ex.route.target.origin})`;
    this.#fail(status, error, 'loopgate');
  }

  #onData(chunk: Buffer): void {
    if (this.#relay) return this.#relayData(chunk);
    const from = Math.max(0, this.#size - 3);
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    const buf = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks, this.#size);
    const end = buf.indexOf(CRLFCRLF, from);
    if (end < 0) {
      if (this.#size > MAX_HEAD)
        this.#fail(
          502,
          { code: 'BAD_RESPONSE', message: 'backend sent an answer head over 64 KiB', side: 'backend' },
          'loopgate',
        );
      else this.#chunks = [buf];
      return;
    }
    this.#chunks = [];
    this.#size = 0;
    const head = parseResponseHead(buf.toString('latin1', 0, end));
    const rest = buf.subarray(end + 4);
    if (typeof head === 'string')
      return this.#fail(502, { code: 'BAD_RESPONSE', message: head, side: 'backend' }, 'loopgate');
    if (head.status >= 100 && head.status < 200 && head.status !== 101) {
      if (rest.length > 0) this.#onData(rest);
      return;
    }
    if (head.status === 101 && /\bwebsocket\b/i.test(String(head.headers.upgrade ?? '')))
      return this.#open(head, buf.subarray(0, end + 4), rest);
    this.#startRelay(head, rest);
  }

  #cleanup(): void {
    this.#finished = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const { socket: client } = this.#ex;
    client.off('error', Handshake.#clientError);
    client.off('close', Handshake.#clientClose);
    (client as Tagged)[HANDSHAKE] = undefined;
    const b = this.#backend;
    if (b) {
      b.off('error', Handshake.#backendError);
      b.off('data', Handshake.#backendData);
      setReadConsumer(b, null);
      b.off('end', Handshake.#backendEnd);
      b.off('connect', Handshake.#backendConnect);
      b.off('secureConnect', Handshake.#backendConnect);
      (b as Tagged)[HANDSHAKE] = undefined;
    }
  }

  #open(head: ResponseHead, rawHead: Buffer, rest: Buffer): void {
    this.#cleanup();
    const backend = this.#backend!;
    backend.pause();
    this.#done({ backend, head, rawHead: Buffer.from(rawHead), rest: Buffer.from(rest) });
  }

  /** The handshake failed before any answer reached the client. */
  #fail(status: number, error: ErrorInfo, closedBy: Side): void {
    if (this.#finished) return;
    this.#cleanup();
    const { socket: client, record } = this.#ex;
    this.#backend?.on('error', () => {}).destroy();
    if (status > 0 && !client.destroyed) endThenDestroy(client, rawError(status, error.message));
    else client.destroy();
    recordFailed(record, closedBy, error, status);
    this.#ex.recorder.ws(record);
    this.#done(null);
  }

  /** The backend refused the upgrade: relay its answer as plain HTTP, then close both sides. */
  #startRelay(head: ResponseHead, rest: Buffer): void {
    const { socket: client } = this.#ex;
    const noBody = head.status === 101 || head.status === 204 || head.status === 304;
    const te = String(first(head.headers, 'transfer-encoding') ?? '').toLowerCase();
    const cl = Number(first(head.headers, 'content-length'));
    const chunked = !noBody && te.includes('chunked') ? new ChunkedEnd() : null;
    const remaining = noBody ? 0 : chunked ? -1 : Number.isSafeInteger(cl) && cl >= 0 ? cl : -1;
    this.#relay = { head, remaining, chunked, excerpt: [], kept: 0 };
    let text = `HTTP/1.1 ${head.status} ${head.reason}\r\n`;
    for (const [name, value] of head.raw) if (!RELAY_DROP.has(name.toLowerCase())) text += `${name}: ${value}\r\n`;
    client.off('close', Handshake.#clientClose);
    client.once('close', Handshake.#clientClose);
    client.write(Buffer.from(text + 'Connection: close\r\n\r\n', 'latin1'));
    this.#arm(this.#ex.route.timeouts.read, 'READ_TIMEOUT');
    if (remaining === 0) return this.#endRelay();
    if (rest.length > 0) this.#relayData(rest);
  }

  #keep(b: Buffer): void {
    const r = this.#relay!;
    const room = Math.min(this.#ex.snapshot.inspect.bodyBytes, 4096) - r.kept;
    if (room <= 0) return;
    const part = Buffer.from(b.subarray(0, room));
    r.excerpt.push(part);
    r.kept += part.length;
  }

  #relayData(chunk: Buffer): void {
    const r = this.#relay!;
    const { socket: client } = this.#ex;
    let end = -1;
    if (r.chunked) end = r.chunked.feed(chunk, (b) => this.#keep(b));
    else if (r.remaining >= 0) {
      if (chunk.length >= r.remaining) end = r.remaining;
      r.remaining -= Math.min(chunk.length, r.remaining);
    }
    const part = end >= 0 ? chunk.subarray(0, end) : chunk;
    if (!r.chunked) this.#keep(part);
    if (!client.destroyed && client.writable) client.write(part);
    if (end >= 0) this.#endRelay();
    else this.#arm(this.#ex.route.timeouts.read, 'READ_TIMEOUT');
  }

  #endRelay(): void {
    if (this.#finished) return;
    const r = this.#relay!;
    this.#cleanup();
    const { socket: client, record, route } = this.#ex;
    this.#backend?.on('error', () => {}).destroy();
    endThenDestroy(client);
    const error: ErrorInfo = {
      code: 'UPGRADE_REFUSED',
      message: `backend answered ${r.head.status} ${r.head.reason} instead of 101 Switching Protocols (${route.target.origin})`,
      side: 'backend',
    };
    const body = r.kept > 0 ? Buffer.concat(r.excerpt).toString('utf8') : undefined;
    recordFailed(record, 'backend', error, r.head.status, { status: r.head.status, headers: r.head.headers, body });
    this.#ex.recorder.ws(record);
    this.#done(null);
  }
}
