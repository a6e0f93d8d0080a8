// Reuse of large frame payload buffers: the session log gives back what it evicts, the frame tap takes from here.

/*
 * A session at the log's cap evicts one old message for every new one. Without reuse, each large
 * message is a fresh allocation (malloc, page faults as glibc hands memory back and forth with the
 * kernel) and each eviction leaves garbage the collector must find; V8 then runs full collections
 * often because external memory keeps growing. With reuse, a steady stream allocates nothing.
 * Buffers are sized in powers of two so that any freed one fits a later message of the same class.
 */

/** Smallest buffer handled here (smaller payloads are decoded at once and need none). */
export const MIN_POOLED_BYTES = 8 * 1024;
/** Largest buffer kept for reuse. */
const MAX_POOLED_BYTES = 1024 * 1024;
/** Bytes kept waiting for reuse, all classes together. */
const MAX_FREE_BYTES = 8 * 1024 * 1024;

const free = new Map<number, Buffer[]>();
let freeBytes = 0;
/** Memory handed out by takePayloadBuffer: the only memory ever taken back (never Node's shared pool). */
const ours = new WeakSet<ArrayBufferLike>();
/** Memory now in the free lists (a second give of the same buffer is ignored). */
const waiting = new WeakSet<ArrayBufferLike>();

/** The size class of `size`: the next power of two (at least MIN_POOLED_BYTES). */
export function sizeClass(size: number): number {
  let c = MIN_POOLED_BYTES;
  while (c < size) c *= 2;
  return c;
}

/**
 * A buffer of at least `size` bytes that the caller owns outright (its own ArrayBuffer): of the
 * size class when it may be reused later, else exactly `size`.
 */
export function takePayloadBuffer(size: number): Buffer {
  if (size < MIN_POOLED_BYTES || size > MAX_POOLED_BYTES) return Buffer.allocUnsafeSlow(size);
  const c = sizeClass(size);
  const list = free.get(c);
  const b = list?.pop();
  if (b !== undefined) {
    freeBytes -= c;
    waiting.delete(b.buffer);
    return b;
  }
  const fresh = Buffer.allocUnsafeSlow(c);
  ours.add(fresh.buffer);
  return fresh;
}

/**
 * Give back a buffer (or any view of it) that came from takePayloadBuffer and that nothing else
 * references any more. Any other buffer is left to the garbage collector.
 */
export function givePayloadBuffer(view: Buffer): void {
  givePayloadMemory(view.buffer);
}

/** givePayloadBuffer for the memory itself (the session log may hold a payload as its ArrayBuffer). */
export function givePayloadMemory(ab: ArrayBufferLike): void {
  if (!ours.has(ab) || waiting.has(ab)) return;
  const c = ab.byteLength;
  if (freeBytes + c > MAX_FREE_BYTES) return;
  waiting.add(ab);
  let list = free.get(c);
  if (list === undefined) free.set(c, (list = []));
  list.push(Buffer.from(ab, 0, c));
  freeBytes += c;
}

/** Bytes currently waiting for reuse (tests). */
export function pooledBytes(): number {
  return freeBytes;
}
