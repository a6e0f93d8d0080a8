// nginx send_timeout, the one implementation (proxied and static answers, WebSocket tunnels): bytes wait for the client and it takes none for the timeout → cut.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

type Handle = { writeQueueSize?: number };

/** What a watch looks at: the client's socket while the answer still has bytes for it, else null. */
type Target = () => Duplex | null;

/**
 * Watches one answer (a response, or a tunnel's client socket) while the client has bytes waiting. nginx restarts send_timeout on every
 * write that makes progress; node only says "drain" once everything is taken, so when the clock runs
 * out we look at whether the client took anything since it started (the socket's own buffer, or
 * libuv's queue of a write in progress, shrank): if so the clock starts again, else `onStall(owner)`
 * runs (once; the caller cuts the connection).
 */
export class SendWatch<T> {
  readonly #socket: Target;
  readonly #ms: number;
  readonly #onStall: (owner: T) => void;
  readonly #owner: T;
  #timer: NodeJS.Timeout | null = null;
  #buffered = -1;
  #queued = -1;

  /** A response's watch; null when the timeout is off (0). */
  static for<T>(res: ServerResponse, ms: number, onStall: (owner: T) => void, owner: T): SendWatch<T> | null {
    const socket = () => (res.destroyed || res.writableFinished ? null : res.socket);
    return ms > 0 ? new SendWatch(socket, ms, onStall, owner) : null;
  }

  /** A raw socket's watch (a tunnel's client); null when the timeout is off (0). */
  static forSocket<T>(sock: Duplex, ms: number, onStall: (owner: T) => void, owner: T): SendWatch<T> | null {
    return ms > 0 ? new SendWatch(() => sock, ms, onStall, owner) : null;
  }

  private constructor(socket: Target, ms: number, onStall: (owner: T) => void, owner: T) {
    this.#socket = socket;
    this.#ms = ms;
    this.#onStall = onStall;
    this.#owner = owner;
  }

  /** Bytes wait for the client (a write returned false): start the clock unless it runs. */
  waiting(): void {
    if (this.#timer || this.#socket() === null) return;
    this.#note();
    this.#timer = setTimeout(SendWatch.#fired, this.#ms, this).unref();
  }

  /** The client took everything (drain), or the answer is over. */
  clear(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  #note(): void {
    const socket = this.#socket();
    this.#buffered = socket?.writableLength ?? -1;
    this.#queued = (socket as { _handle?: Handle } | null)?._handle?.writeQueueSize ?? -1;
  }

  static #fired<T>(w: SendWatch<T>): void {
    w.#timer = null;
    const socket = w.#socket();
    // Nothing waits any more (all handed to the kernel, or the connection is gone).
    if (!socket || socket.destroyed || socket.writableLength === 0) return;
    const buffered = w.#buffered;
    const queued = w.#queued;
    w.#note();
    if (w.#buffered !== buffered || w.#queued !== queued) {
      w.#timer = setTimeout(SendWatch.#fired, w.#ms, w).unref();
      return;
    }
    w.#onStall(w.#owner);
  }
}
