// nginx send_timeout for answers Loopgate writes (proxied and static): bytes wait for the client and it takes none for the timeout → the connection is cut.
import type { ServerResponse } from 'node:http';

type Handle = { writeQueueSize?: number };

/**
 * Bytes still waiting for a peer: the stream's buffer plus what libuv has not yet written of a write
 * in progress (`_handle.writeQueueSize`, internal but long-standing; without it, drain granularity).
 */
export function waitingBytes(sock: { writableLength: number }): number {
  return sock.writableLength + ((sock as { _handle?: Handle })._handle?.writeQueueSize ?? 0);
}

/**
 * Watches one response while the client has bytes waiting. nginx restarts send_timeout on every
 * write that makes progress; node only says "drain" once everything is taken, so when the clock runs
 * out we look at whether the client took anything since it started (the socket's own buffer, or
 * libuv's queue of a write in progress, shrank): if so the clock starts again, else `onStall(owner)`
 * runs (once; the caller cuts the connection).
 */
export class SendWatch<T> {
  readonly #res: ServerResponse;
  readonly #ms: number;
  readonly #onStall: (owner: T) => void;
  readonly #owner: T;
  #timer: NodeJS.Timeout | null = null;
  #buffered = -1;
  #queued = -1;

  /** null when the timeout is off (0). */
  static for<T>(res: ServerResponse, ms: number, onStall: (owner: T) => void, owner: T): SendWatch<T> | null {
    return ms > 0 ? new SendWatch(res, ms, onStall, owner) : null;
  }

  private constructor(res: ServerResponse, ms: number, onStall: (owner: T) => void, owner: T) {
    this.#res = res;
    this.#ms = ms;
    this.#onStall = onStall;
    this.#owner = owner;
  }

  /** Bytes wait for the client (a write returned false): start the clock unless it runs. */
  waiting(): void {
    if (this.#timer || this.#res.destroyed) return;
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
    const socket = this.#res.socket;
    this.#buffered = socket?.writableLength ?? -1;
    this.#queued = (socket as { _handle?: Handle } | null)?._handle?.writeQueueSize ?? -1;
  }

  static #fired<T>(w: SendWatch<T>): void {
    w.#timer = null;
    const socket = w.#res.socket;
    // Nothing waits any more (all handed to the kernel, or the connection is gone).
    if (!socket || socket.destroyed || w.#res.writableFinished || socket.writableLength === 0) return;
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
