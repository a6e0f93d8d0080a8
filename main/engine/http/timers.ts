// The proxy's own timers: a short proxy_read_timeout on a native timer (undici's tick once a second), client_body_timeout, and nginx lingering_time.
import type { IncomingMessage } from 'node:http';
import { linger } from '../raw-socket.ts';

/** nginx lingering_time: how long a refused upload may go on being read (and discarded). */
const LINGERING_TIME_MS = 30_000;
/**
 * Read timeouts below this run on a native timer of ours: undici's header and body timers tick
 * about once a second, so a 200 ms proxy_read_timeout would fire after ~1 s. Longer ones (the 60 s
 * default) keep undici's cheaper timers, where a second is within tolerance.
 */
const NATIVE_READ_TIMER_BELOW_MS = 10_000;

/**
 * An idle timer of one proxied request, restarted on every sign of life; calls `fire(owner)`. Used for
 * a short read timeout (proxy_read_timeout) and for the client's body timeout (client_body_timeout).
 */
export class IdleTimer<T> {
  readonly #ms: number;
  readonly #fire: (owner: T) => void;
  readonly #owner: T;
  #timer: NodeJS.Timeout | null = null;

  /** The read timeout, or null when undici keeps it itself (off, or long enough for its timers). */
  static forRead<T>(readMs: number, fire: (owner: T) => void, owner: T): IdleTimer<T> | null {
    return readMs > 0 && readMs < NATIVE_READ_TIMER_BELOW_MS ? new IdleTimer(readMs, fire, owner) : null;
  }

  /** A timer of ours for any other timeout; null when it is off (0). */
  static of<T>(ms: number, fire: (owner: T) => void, owner: T): IdleTimer<T> | null {
    return ms > 0 ? new IdleTimer(ms, fire, owner) : null;
  }

  private constructor(ms: number, fire: (owner: T) => void, owner: T) {
    this.#ms = ms;
    this.#fire = fire;
    this.#owner = owner;
  }

  /** Start, or restart from now. */
  arm(): void {
    if (this.#timer) this.#timer.refresh();
    else this.#timer = setTimeout(IdleTimer.#fired, this.#ms, this).unref();
  }

  clear(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  static #fired<T>(t: IdleTimer<T>): void {
    t.#timer = null;
    t.#fire(t.#owner);
  }
}

/** The answer is decided: read and discard what the client still sends, for a bounded time. */
export function lingerOn(req: IncomingMessage): void {
  if (req.complete || req.destroyed || !req.socket) return;
  req.resume();
  const cancel = linger(req.socket, LINGERING_TIME_MS);
  req.once('end', cancel);
  req.once('close', cancel);
}
