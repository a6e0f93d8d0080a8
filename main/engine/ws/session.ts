// One WebSocket session: handshake, then a byte-exact pipe both ways with frame tracking, tap, injection, idle timeout, pings and close.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Side, WsSessionRecord } from '../../../shared/events.ts';
import { describeClientTimeout } from '../errors.ts';
import { encodeClose, encodeFrame } from './frames/encode.ts';
import { parseDeflate } from './frames/extensions.ts';
import { createFrameTap, type FrameTap } from './frames/tap.ts';
import { keepRead, readsReused, setReadConsumer } from './socket-read.ts';
import { Handshake, type HandshakeOpen } from './handshake.ts';
import { linger } from '../raw-socket.ts';
import { SendWatch } from '../send-watch.ts';
import { recordClosed, recordOpened, recordPeerError, type Closer, type Peer } from './lifecycle.ts';
import { BoundaryTracker } from './frames/boundary.ts';
import type { CompiledRoute, Recorder, UpgradeExchange } from '../types.ts';

export type SendResult =
  | { ok: true }
  | { ok: false; code: 'NO_SESSION' | 'NOT_OPEN' | 'BROKEN_STREAM'; message: string };

/** A whole frame waiting for the next frame boundary of the stream toward one peer. */
interface Injection {
  opcode: number;
  payload: Buffer;
  frame: Buffer;
  /** A close frame: end that side once it is written. */
  end: boolean;
}

/** One peer of an open tunnel: its socket, the frame boundaries of the stream written toward it, what waits to be inserted there. */
class End {
  /** Frame boundaries of the bytes written toward this peer. */
  readonly tracker = new BoundaryTracker();
  readonly queue: Injection[] = [];
  /** No more writes toward this peer (we ended it, or it sent FIN and the socket is not half-open). */
  shut = false;
  /** The peer sent FIN. */
  eof = false;
  closed = false;
  /** The other peer (set once both exist). */
  other: End | null = null;
  constructor(
    readonly name: Peer,
    readonly sock: Duplex,
    readonly tunnel: Tunnel,
  ) {}
}

/** Where a socket's shared listeners find their peer (see Tunnel's static listeners). */
const PEER = Symbol('loopgate.tunnel.peer');
type Tagged = Duplex & { [PEER]?: End };

const EMPTY = Buffer.alloc(0);
const OK: SendResult = { ok: true };

const notOpen = (id: number, why: string): SendResult => ({
  ok: false,
  code: 'NOT_OPEN',
  message: `WebSocket session ${id} is ${why}`,
});

export class Tunnel {
  state: 'connecting' | 'open' | 'closing' | 'done' = 'connecting';
  /** Until the handshake is over; then only the parts still needed are kept (idle sessions stay small). */
  #ex: UpgradeExchange | null;
  readonly #route: CompiledRoute;
  readonly #recorder: Recorder;
  readonly #record: WsSessionRecord;
  readonly #onDone: (t: Tunnel) => void;
  #handshake: Handshake | null = null;
  #tap: FrameTap | null = null;
  #c: End | null = null;
  #b: End | null = null;
  #firstEnd: Side | null = null;
  /** Set when Loopgate ended the session (idle timeout, user close, engine stop). */
  #closer: Closer | null = null;
  #lastIo = 0;
  #lastPing = 0;
  /** nginx send_timeout on the client's socket, from its first backpressure on. */
  #sendWatch: SendWatch<Tunnel> | null = null;
  #tick: NodeJS.Timeout | null = null;
  /** Closing: both sockets are cut once the grace (LINGER_MS) is over. */
  #lingering = false;

  constructor(ex: UpgradeExchange, onDone: (t: Tunnel) => void) {
    this.#ex = ex;
    this.#route = ex.route;
    this.#recorder = ex.recorder;
    this.#record = ex.record;
    this.#onDone = onDone;
  }

  get id(): number {
    return this.#record.id;
  }

  start(): void {
    this.#handshake = new Handshake(this.#ex!, (opened) => this.#onHandshake(opened));
  }

  #onHandshake(opened: HandshakeOpen | null): void {
    this.#handshake = null;
    const ex = this.#ex!;
    // The request, its socket wrapper and the first bytes are not needed past this point.
    this.#ex = null;
    if (!opened) {
      this.state = 'done';
      this.#onDone(this);
      return;
    }
    const { backend, head, rawHead, rest } = opened;
    const { socket: client, recorder, snapshot } = ex;
    const record = this.#record;
    recordOpened(record, head.status, head.headers);
    if (snapshot.inspect.frames) {
      this.#tap = createFrameTap({
        session: record,
        deflate: parseDeflate(record.extensions),
        recorder,
        inspect: snapshot.inspect,
      });
    }
    const c = (this.#c = new End('client', client, this));
    const b = (this.#b = new End('backend', backend, this));
    c.other = b;
    b.other = c;
    (client as Partial<Socket>).setNoDelay?.(true);
    for (const end of [c, b]) {
      (end.sock as Tagged)[PEER] = end;
      end.sock.on('data', Tunnel.#onData).on('end', Tunnel.#onEnd).on('error', Tunnel.#onError);
      end.sock.on('close', Tunnel.#onClose).on('drain', Tunnel.#onDrain);
    }
    // A backend socket with reused reads hands its bytes to #onRead instead of 'data'.
    if (readsReused(backend)) setReadConsumer(backend, Tunnel.#onRead);
    this.state = 'open';
    this.#lastIo = Date.now();
    this.#schedule();
    recorder.ws(record);
    client.write(rawHead);
    if (ex.head.length > 0) this.#pipe(c, b, ex.head);
    if (rest.length > 0) this.#pipe(b, c, rest);
    client.resume();
    backend.resume();
  }

  // ---- socket listeners, shared by every tunnel (no closures per session): `this` is the socket ----

  static #onData(this: Duplex, chunk: Buffer): void {
    const end = (this as Tagged)[PEER];
    if (end) end.tunnel.#pipe(end, end.other!, chunk);
  }

  /** A read of a socket with reused reads (socket-read.ts): the view must not outlive the call unless kept. */
  static #onRead(this: void, sock: Socket, chunk: Buffer): void {
    const end = (sock as Tagged)[PEER];
    if (!end) return;
    const dst = end.other!;
    end.tunnel.#pipe(end, dst, chunk);
    // A write that did not finish at once holds the view: the socket reads into a new buffer next.
    if (dst.sock.writableLength > 0) keepRead(sock);
  }

  /** A peer took what we wrote: read from the other one again. */
  static #onDrain(this: Duplex): void {
    const end = (this as Tagged)[PEER];
    if (!end) return;
    if (end.name === 'client') end.tunnel.#sendWatch?.clear();
    end.other!.sock.resume();
  }

  static #onEnd(this: Duplex): void {
    const end = (this as Tagged)[PEER];
    if (end) end.tunnel.#ended(end, end.other!);
  }

  static #onError(this: Duplex, err: NodeJS.ErrnoException): void {
    const end = (this as Tagged)[PEER];
    if (end) end.tunnel.#error(end.name, err);
  }

  static #onClose(this: Duplex): void {
    const end = (this as Tagged)[PEER];
    if (end) end.tunnel.#closed(end, end.other!);
  }

  // ---- hot path: no allocations unless a frame is being inserted ----

  #pipe(src: End, dst: End, chunk: Buffer): void {
    this.#lastIo = Date.now();
    if (dst.shut) return;
    if (dst.queue.length === 0) {
      // Nothing to insert: forward first, then track frames and inspect (both only read chunk), so
      // neither delays the bytes. The tracker is up to date again before anything can be queued.
      if (!dst.sock.write(chunk)) this.#hold(src, dst);
      dst.tracker.feed(chunk);
      this.#inspect(dst, chunk);
      return;
    }
    const off = dst.tracker.feed(chunk);
    // Injections go in at `off`: the tap sees the chunk first, so records keep the order they had.
    this.#inspect(dst, chunk);
    if (off < 0) {
      if (!dst.sock.write(chunk)) this.#hold(src, dst);
    } else if (!this.#splice(dst, chunk, off)) this.#hold(src, dst);
  }

  /** The tap sees what went toward `dst`; without one, only bytes are counted. */
  #inspect(dst: End, chunk: Buffer): void {
    const tap = this.#tap;
    const toBackend = dst === this.#b;
    if (tap !== null) {
      if (toBackend) tap.client(chunk);
      else tap.backend(chunk);
    } else if (toBackend) this.#record.counts.bytesToBackend += chunk.length;
    else this.#record.counts.bytesToClient += chunk.length;
  }

  /** `dst` has bytes waiting: stop reading `src`; toward the client, send_timeout starts counting. */
  #hold(src: End, dst: End): void {
    src.sock.pause();
    if (dst !== this.#c) return;
    const ms = this.#route.timeouts.clientSend;
    (this.#sendWatch ??= SendWatch.forSocket<Tunnel>(dst.sock, ms, Tunnel.#sendStalled, this))?.waiting();
  }

  // ---- injection ----

  /** Write `chunk` with the queued injections inserted at the safe offset; false on backpressure. */
  #splice(dst: End, chunk: Buffer, off: number): boolean {
    const sock = dst.sock;
    sock.cork();
    if (off > 0) sock.write(chunk.subarray(0, off));
    this.#flush(dst);
    const ok = off < chunk.length && !dst.shut ? sock.write(chunk.subarray(off)) : true;
    sock.uncork();
    return ok;
  }

  /** Write every queued injection toward `dst` (its stream is at a frame boundary). */
  #flush(dst: End): void {
    const toBackend = dst === this.#b;
    for (const item of dst.queue) {
      dst.sock.write(item.frame);
      if (this.#tap !== null) this.#tap.injected(dst.name, item.opcode, item.payload);
      else if (toBackend) this.#record.counts.bytesToBackend += item.frame.length;
      else this.#record.counts.bytesToClient += item.frame.length;
      if (item.end) {
        this.#shut(dst);
        break;
      }
    }
    dst.queue.length = 0;
  }

  #enqueue(dst: End, item: Injection): void {
    dst.queue.push(item);
    if (dst.queue.length === 1 && dst.tracker.atSafePoint) this.#flush(dst);
  }

  send(to: Peer, data: Buffer, binary: boolean): SendResult {
    if (this.state !== 'open') return notOpen(this.id, this.state === 'connecting' ? 'still connecting' : 'closing');
    const dst = to === 'backend' ? this.#b! : this.#c!;
    if (dst.shut) return notOpen(this.id, `no longer writable toward the ${to}`);
    if (dst.tracker.broken) {
      return {
        ok: false,
        code: 'BROKEN_STREAM',
        message: `the stream toward the ${to} is not valid WebSocket framing, so no frame can be inserted safely`,
      };
    }
    const opcode = binary ? 2 : 1;
    this.#enqueue(dst, {
      opcode,
      payload: data,
      frame: encodeFrame({ opcode, payload: data, mask: to === 'backend' }),
      end: false,
    });
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
    this.#sendWatch?.clear();
    this.#armLinger();
    const toClient = encodeClose(code, reason, false);
    // Close payloads are at most 125 bytes, so the unmasked frame's header is 2 bytes.
    const payload = toClient.subarray(2);
    for (const dst of [this.#c!, this.#b!]) {
      if (dst.shut) continue;
      if (dst.tracker.broken) this.#shut(dst);
      else
        this.#enqueue(dst, {
          opcode: 8,
          payload,
          frame: dst === this.#c ? toClient : encodeClose(code, reason, true),
          end: true,
        });
    }
    return OK;
  }

  /** Cut both sockets now (engine stop without grace). */
  destroy(): void {
    if (this.state === 'connecting') return this.#handshake?.abort('Loopgate is stopping');
    if (this.state === 'done') return;
    this.#closer ??= {};
    this.#c!.sock.destroy();
    this.#b!.sock.destroy();
  }

  // ---- timers ----

  #schedule(): void {
    const read = this.#route.timeouts.read;
    const ping = this.#route.keepAlivePing;
    let due = read > 0 ? this.#lastIo + read : Infinity;
    if (ping > 0) due = Math.min(due, Math.max(this.#lastIo, this.#lastPing) + ping);
    if (due === Infinity) return;
    this.#tick = setTimeout(Tunnel.#tickOf, Math.max(1, due - Date.now()), this);
  }

  static #tickOf(t: Tunnel): void {
    t.#onTick();
  }

  #onTick(): void {
    this.#tick = null;
    if (this.state !== 'open') return;
    const now = Date.now();
    const read = this.#route.timeouts.read;
    const ping = this.#route.keepAlivePing;
    if (read > 0 && now - this.#lastIo >= read) {
      this.close(1001, 'idle timeout');
      return;
    }
    if (ping > 0 && now - Math.max(this.#lastIo, this.#lastPing) >= ping) {
      this.#lastPing = now;
      this.#ping(this.#c!);
      this.#ping(this.#b!);
    }
    this.#schedule();
  }

  /** A ping toward one peer, only when that stream is at a frame boundary right now. */
  #ping(dst: End): void {
    if (dst.shut || dst.queue.length > 0 || !dst.tracker.atSafePoint) return;
    this.#enqueue(dst, {
      opcode: 9,
      payload: EMPTY,
      frame: encodeFrame({ opcode: 9, payload: EMPTY, mask: dst === this.#b }),
      end: false,
    });
  }

  #clearTick(): void {
    if (this.#tick) clearTimeout(this.#tick);
    this.#tick = null;
  }

  /** nginx send_timeout: the client took nothing of what waits for it; no close frame can reach it, so both sockets are cut. */
  static #sendStalled(t: Tunnel): void {
    if (t.state !== 'open') return;
    t.#record.error ??= describeClientTimeout('session', t.#route.timeouts.clientSend);
    t.#closer = { reason: 'send timeout' };
    t.state = 'closing';
    t.destroy();
  }

  /** Closing: each socket not closed within the grace is cut. */
  #armLinger(): void {
    if (this.#lingering) return;
    this.#lingering = true;
    linger(this.#c!.sock);
    linger(this.#b!.sock);
  }

  // ---- ends, errors, close ----

  /** No more writes toward `dst`: end that socket once what is queued is flushed. */
  #shut(dst: End): void {
    if (dst.shut) return;
    dst.shut = true;
    dst.queue.length = 0;
    dst.sock.end();
    this.#armLinger();
  }

  #ended(src: End, other: End): void {
    src.eof = true;
    this.#firstEnd ??= src.name;
    // Without half-open, Node ends a socket's writing side when its peer sends FIN.
    if (!(src.sock as { allowHalfOpen?: boolean }).allowHalfOpen) src.shut = true;
    this.#shut(other);
  }

  #error(side: Peer, err: NodeJS.ErrnoException): void {
    this.#firstEnd ??= side;
    recordPeerError(
      this.#record,
      side,
      err,
      this.#route.target.origin,
      this.#closer !== null || (this.#tap?.firstClose ?? null) !== null,
    );
  }

  #closed(src: End, other: End): void {
    src.closed = true;
    src.shut = true;
    this.#firstEnd ??= src.name;
    // A peer gone without FIN (reset, error) takes the other side down at once; after FIN, `other` was ended.
    if (!other.closed && !src.eof) other.sock.destroy();
    if (other.closed) this.#finish();
  }

  #finish(): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.#clearTick();
    this.#sendWatch?.clear();
    for (const end of [this.#c!, this.#b!]) {
      const sock = end.sock;
      sock.off('data', Tunnel.#onData).off('end', Tunnel.#onEnd).off('error', Tunnel.#onError);
      sock.off('close', Tunnel.#onClose).off('drain', Tunnel.#onDrain);
      (sock as Tagged)[PEER] = undefined;
    }
    setReadConsumer(this.#b!.sock as Socket, null);
    this.#c!.queue.length = 0;
    this.#b!.queue.length = 0;
    const tap = this.#tap;
    tap?.end();
    const record = this.#record;
    recordClosed(record, this.#closer, tap?.firstClose ?? null, this.#firstEnd);
    this.#recorder.ws(record);
    this.#onDone(this);
  }
}
