// Keeps the first bytes of an HTTP body for the session log, in reused buffers; large ones stay raw until read.
import { LAZY_MIN_BYTES, setLazy } from './lazy.ts';

const EMPTY = Buffer.alloc(0);

/**
 * Capture buffers of finished requests, reused by the next ones: a fresh 64 KiB buffer per request
 * is a malloc and page faults per request, and garbage for the collector. Bounded in bytes.
 */
const spare: Buffer[] = [];
let spareBytes = 0;
const SPARE_MAX_BYTES = 4 * 1024 * 1024;

function takeBuffer(size: number): Buffer {
  for (let i = spare.length - 1; i >= 0; i--) {
    const b = spare[i]!;
    if (b.length === size) {
      spare.splice(i, 1);
      spareBytes -= b.length;
      return b;
    }
  }
  return Buffer.allocUnsafeSlow(size);
}

function giveBuffer(b: Buffer): void {
  if (b.length === 0 || spareBytes + b.length > SPARE_MAX_BYTES) return;
  spare.push(b);
  spareBytes += b.length;
}

/**
 * Keeps the first `limit` bytes of a body (copied: undici's chunks are views of socket buffers) in
 * one reused buffer: one copy per chunk, no concat. The record gets base64 at once when small, else
 * a one-byte string of the raw bytes that becomes base64 only when read (log/lazy.ts).
 */
export class Capture {
  #buf: Buffer = EMPTY;
  #size = 0;
  truncated = false;
  constructor(readonly limit: number) {}
  add(chunk: Buffer): void {
    const room = this.limit - this.#size;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    let n = chunk.length;
    if (n > room) {
      n = room;
      this.truncated = true;
    }
    // Small limits (and the first chunk of a large one) get a buffer of the whole limit.
    if (this.#buf.length === 0)
      this.#buf =
        this.limit <= SPARE_MAX_BYTES / 4
          ? takeBuffer(this.limit)
          : Buffer.allocUnsafe(Math.min(this.limit, Math.max(n, 16 * 1024)));
    const need = this.#size + n;
    if (need > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.limit, Math.max(need, this.#buf.length * 2)));
      this.#buf.copy(grown, 0, 0, this.#size);
      this.#buf = grown;
    }
    chunk.copy(this.#buf, this.#size, 0, n);
    this.#size = need;
  }
  /** Set record[key] to the kept bytes as base64 (decoded when read, for large bodies); frees the buffer. */
  store(record: object, key: 'requestBody' | 'responseBody'): void {
    const size = this.#size;
    if (size >= LAZY_MIN_BYTES) setLazy(record, key, this.#buf.toString('latin1', 0, size), 'base64');
    else (record as Record<string, string>)[key] = this.#buf.toString('base64', 0, size);
    this.release();
  }
  /** Give the buffer back for reuse (the request is over; nothing else holds it). */
  release(): void {
    if (this.#buf.length === this.limit) giveBuffer(this.#buf);
    this.#buf = EMPTY;
    this.#size = 0;
  }
}
