// Keeps the first bytes of an HTTP body (and the headers as sent) for the session log; large bodies stay raw until read.
import type { ServerResponse } from 'node:http';
import type { Headers } from '../../../shared/events.ts';
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
  /** Bytes kept so far. */
  get size(): number {
    return this.#size;
  }
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

/** Outgoing headers as the log keeps them: strings (Node lets Content-Length be set as a number). */
export function recordedHeaders(h: Record<string, number | string | string[] | undefined>): Headers {
  const out: Headers = {};
  for (const k in h) {
    const v = h[k];
    if (v !== undefined) out[k] = Array.isArray(v) ? v.map(String) : String(v);
  }
  return out;
}

/** A flat [name, value, name, value, …] list (what is sent upstream) as the log's headers: names as sent. */
export function headersFromList(list: readonly string[]): Headers {
  const out: Headers = {};
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i]!;
    const value = list[i + 1]!;
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/** An HTTP request head as text ("GET / HTTP/1.1\r\nName: value\r\n…") → its headers, names as sent. */
export function headersFromHead(head: string): Headers {
  const list: string[] = [];
  const lines = head.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon > 0) list.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return headersFromList(list);
}

type Write = (chunk: unknown, ...rest: unknown[]) => unknown;

/**
 * Keep the first `limit` bytes of what Loopgate itself answers on `res` (static files, its own error
 * pages): res.write and res.end are wrapped for this response only. Null when nothing is to be kept.
 */
export function captureAnswer(res: ServerResponse, limit: number): Capture | null {
  if (limit <= 0 || res.req?.method === 'HEAD') return null;
  const capture = new Capture(limit);
  const keep = (chunk: unknown, enc: unknown) => {
    if (capture.truncated || chunk === undefined || chunk === null || typeof chunk === 'function') return;
    if (typeof chunk === 'string') {
      if (chunk.length > 0) capture.add(Buffer.from(chunk, typeof enc === 'string' ? (enc as BufferEncoding) : 'utf8'));
    } else if (chunk instanceof Uint8Array && chunk.length > 0) {
      capture.add(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    }
  };
  const write = res.write as unknown as Write;
  const end = res.end as unknown as Write;
  (res as unknown as { write: Write }).write = function (this: ServerResponse, chunk, ...rest) {
    keep(chunk, rest[0]);
    return write.call(this, chunk, ...rest);
  };
  (res as unknown as { end: Write }).end = function (this: ServerResponse, chunk, ...rest) {
    keep(chunk, rest[0]);
    return end.call(this, chunk, ...rest);
  };
  return capture;
}
