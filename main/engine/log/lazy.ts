// Record fields kept as raw bytes and decoded only when read (base64 bodies and frame payloads): cheap to record, compact to keep.

/*
 * Why: most records are never looked at. Turning every captured body or frame payload into a
 * base64 or UTF-16 string at record time costs CPU on the hot path and puts large strings on the V8
 * heap, where the garbage collector copies them around until they are evicted. A lazy field is an
 * own, enumerable accessor property: JSON.stringify, object spread, structured clone, deep equality
 * and plain reads all see the decoded string, while the record holds only the raw bytes.
 * Assigning the field replaces the accessor with a plain value.
 */

/**
 * Fields of at least this many bytes are worth keeping lazy. Defining the accessor costs ~1 µs
 * (the object leaves V8's fast mode), as much as base64-encoding ~2 KiB; below this size, decoding
 * at once is cheaper.
 */
export const LAZY_MIN_BYTES = 8 * 1024;

/** How a lazy field turns its bytes into the string it stands for. */
export type LazyEncoding = 'base64' | 'utf8' | 'latin1';

interface LazyField {
  /** The raw bytes: a Buffer, or a one-byte string holding one byte per character. */
  raw: Buffer | string;
  encoding: LazyEncoding;
}

function decode(f: LazyField): string {
  const raw = f.raw;
  if (typeof raw !== 'string') return raw.toString(f.encoding);
  return f.encoding === 'latin1' ? raw : Buffer.from(raw, 'latin1').toString(f.encoding);
}

/** Hidden (non-enumerable symbol) slot of a record with its lazy fields, by property name. */
const LAZY = Symbol('loopgate.lazy');

/** Set (in the hidden slot) once the record may be seen outside the session log. */
const EXPOSED = Symbol('loopgate.exposed');

type Lazy = Record<string, LazyField> & { [EXPOSED]?: true };
type WithLazy = { [LAZY]?: Lazy };

const getters = new Map<string, PropertyDescriptor>();

function descriptor(key: string): PropertyDescriptor {
  let d = getters.get(key);
  if (d) return d;
  d = {
    enumerable: true,
    configurable: true,
    get(this: WithLazy): string | undefined {
      const f = this[LAZY]?.[key];
      return f === undefined ? undefined : decode(f);
    },
    set(this: WithLazy, value: unknown): void {
      const lazy = this[LAZY];
      if (lazy) delete lazy[key];
      Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
    },
  };
  getters.set(key, d);
  return d;
}

/**
 * Make `obj[key]` read as `raw` decoded with `encoding`. `raw` is a Buffer owned by the record (a
 * copy, never a view of a socket chunk or a reused buffer), or a one-byte string of the bytes
 * (`buf.toString('latin1')`).
 *
 * Which to pass: a Buffer lives outside the V8 heap, so the young-generation collector never copies
 * it, but many retained Buffers make V8 run full collections often when other Buffers churn fast
 * (HTTP bodies under load); a string is copied once or twice by the young-generation collector and
 * then sits in the old generation. Measured (bench, Node 20): frames are cheaper as Buffers, HTTP
 * bodies as strings.
 */
export function setLazy(obj: object, key: string, raw: Buffer | string, encoding: LazyEncoding): void {
  const o = obj as WithLazy;
  let lazy = o[LAZY];
  if (lazy === undefined) {
    lazy = {};
    Object.defineProperty(o, LAZY, { value: lazy, enumerable: false, writable: false, configurable: true });
  }
  lazy[key] = { raw, encoding };
  Object.defineProperty(o, key, descriptor(key));
}

/**
 * The length in UTF-16 code units `obj[key]` has (or would have once decoded), without decoding
 * it; 0 when the field is absent. Exact for base64 and latin1, an upper bound for utf8.
 */
export function lazyLength(obj: object, key: string): number {
  const f = (obj as WithLazy)[LAZY]?.[key];
  if (f !== undefined) return f.encoding === 'base64' ? Math.ceil(f.raw.length / 3) * 4 : f.raw.length;
  const v = (obj as Record<string, unknown>)[key];
  return typeof v === 'string' ? v.length : 0;
}

/**
 * Bytes of memory the field holds: while lazy, its raw bytes (for a Buffer, the whole memory block
 * behind it: a pooled buffer may be larger than the payload); else about one byte per character of
 * its string (two for non-Latin-1 text is not worth scanning for; the estimate stays conservative
 * for the common ASCII and base64 cases).
 */
export function heldBytes(obj: object, key: string): number {
  const f = (obj as WithLazy)[LAZY]?.[key];
  if (f !== undefined)
    return typeof f.raw === 'string' ? f.raw.length : Math.max(f.raw.length, f.raw.buffer.byteLength);
  const v = (obj as Record<string, unknown>)[key];
  return typeof v === 'string' ? v.length : 0;
}

/** True while `obj[key]` is still held as bytes. */
export function isLazy(obj: object, key: string): boolean {
  return (obj as WithLazy)[LAZY]?.[key] !== undefined;
}

/** Note that `obj` is handed outside the session log (a query, an event): its bytes are never reclaimed. */
export function markExposed(obj: object): void {
  const lazy = (obj as WithLazy)[LAZY];
  if (lazy !== undefined) lazy[EXPOSED] = true;
}

/**
 * Take back the Buffer behind `obj[key]` for reuse, when nothing outside the session log can have
 * seen the record (never marked exposed): the field becomes undefined and the Buffer is returned.
 * Null when the field is not a lazy Buffer or the record was exposed.
 */
export function reclaim(obj: object, key: string): Buffer | null {
  const lazy = (obj as WithLazy)[LAZY];
  if (lazy === undefined || lazy[EXPOSED] === true) return null;
  const f = lazy[key];
  if (f === undefined || typeof f.raw === 'string') return null;
  delete lazy[key];
  return f.raw;
}

/** The raw bytes and encoding behind a lazy `obj[key]`, or undefined when it is a plain value. */
export function lazyRaw(obj: object, key: string): { raw: Buffer | string; encoding: LazyEncoding } | undefined {
  return (obj as WithLazy)[LAZY]?.[key];
}
