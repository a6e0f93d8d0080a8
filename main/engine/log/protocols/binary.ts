// Binary payloads read as JSON trees: MessagePack and CBOR (small decoders of our own), gzip/zlib and base64-wrapped JSON unwrapped when they clearly are.
import { gunzipSync, inflateSync } from 'node:zlib';
import type { DecodedMessage } from '../../../../shared/events.ts';
import { binaryNode, bytesOf, parseJson } from './payload.ts';
import type { Decoded, FrameLike } from './types.ts';

export type BinaryFormat = 'msgpack' | 'cbor';

/** Largest output gzip/deflate is inflated to here (the frame is a dev tool's view, not a data path). */
const MAX_INFLATED = 4 * 1024 * 1024;
const MAX_DEPTH = 64;

class Malformed extends Error {}

/** A cursor over bytes that refuses to read past the end. */
class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length)
      throw new Malformed(`needs ${n} bytes at ${this.pos}, ends at ${this.buf.length}`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number | string {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  }
  i64(): number | string {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** A count of items that each take at least one byte: no more than the bytes left. */
  count(n: number | string): number {
    if (typeof n !== 'number' || n > this.buf.length - this.pos)
      throw new Malformed(`a count of ${n} items past the end`);
    return n;
  }
}

function keyOf(k: unknown): string {
  return typeof k === 'string' ? k : (JSON.stringify(k) ?? String(k));
}

// ---- MessagePack ----

export function decodeMsgpack(buf: Buffer): unknown {
  const r = new Reader(buf);
  const v = mp(r, 0);
  if (r.pos !== buf.length) throw new Malformed(`${buf.length - r.pos} bytes after the value`);
  return v;
}

function mp(r: Reader, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Malformed('nested too deep');
  const b = r.u8();
  if (b <= 0x7f) return b;
  if (b >= 0xe0) return b - 0x100;
  if (b <= 0x8f) return mpMap(r, b & 0x0f, depth);
  if (b <= 0x9f) return mpArray(r, b & 0x0f, depth);
  if (b <= 0xbf) return r.bytes(b & 0x1f).toString('utf8');
  switch (b) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return binaryNode(r.bytes(r.u8()));
    case 0xc5:
      return binaryNode(r.bytes(r.u16()));
    case 0xc6:
      return binaryNode(r.bytes(r.u32()));
    case 0xc7:
      return mpExt(r, r.u8());
    case 0xc8:
      return mpExt(r, r.u16());
    case 0xc9:
      return mpExt(r, r.u32());
    case 0xca: {
      const v = r.bytes(4).readFloatBE(0);
      return v;
    }
    case 0xcb:
      return r.bytes(8).readDoubleBE(0);
    case 0xcc:
      return r.u8();
    case 0xcd:
      return r.u16();
    case 0xce:
      return r.u32();
    case 0xcf:
      return r.u64();
    case 0xd0:
      return r.bytes(1).readInt8(0);
    case 0xd1:
      return r.bytes(2).readInt16BE(0);
    case 0xd2:
      return r.bytes(4).readInt32BE(0);
    case 0xd3:
      return r.i64();
    case 0xd4:
      return mpExt(r, 1);
    case 0xd5:
      return mpExt(r, 2);
    case 0xd6:
      return mpExt(r, 4);
    case 0xd7:
      return mpExt(r, 8);
    case 0xd8:
      return mpExt(r, 16);
    case 0xd9:
      return r.bytes(r.u8()).toString('utf8');
    case 0xda:
      return r.bytes(r.u16()).toString('utf8');
    case 0xdb:
      return r.bytes(r.u32()).toString('utf8');
    case 0xdc:
      return mpArray(r, r.u16(), depth);
    case 0xdd:
      return mpArray(r, r.u32(), depth);
    case 0xde:
      return mpMap(r, r.u16(), depth);
    case 0xdf:
      return mpMap(r, r.u32(), depth);
    default:
      throw new Malformed(`0x${b.toString(16)} is no MessagePack type`);
  }
}

function mpArray(r: Reader, n: number, depth: number): unknown[] {
  const out: unknown[] = [];
  for (let i = r.count(n); i > 0; i--) out.push(mp(r, depth + 1));
  return out;
}

function mpMap(r: Reader, n: number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = r.count(n * 2) / 2; i > 0; i--) {
    const k = keyOf(mp(r, depth + 1));
    out[k] = mp(r, depth + 1);
  }
  return out;
}

function mpExt(r: Reader, n: number): unknown {
  const type = r.bytes(1).readInt8(0);
  const data = r.bytes(n);
  if (type === -1) {
    // The timestamp extension: 32-bit seconds; 30-bit ns + 34-bit seconds; 32-bit ns + 64-bit seconds.
    let sec: number;
    let ns = 0;
    if (n === 4) sec = data.readUInt32BE(0);
    else if (n === 8) {
      const hi = data.readUInt32BE(0);
      ns = hi >>> 2;
      sec = (hi & 3) * 2 ** 32 + data.readUInt32BE(4);
    } else if (n === 12) {
      ns = data.readUInt32BE(0);
      sec = Number(data.readBigInt64BE(4));
    } else return { $ext: type, ...binaryNode(data) };
    return { $timestamp: new Date(sec * 1000 + Math.floor(ns / 1e6)).toISOString() };
  }
  return { $ext: type, ...binaryNode(data) };
}

// ---- CBOR (RFC 8949) ----

const BREAK = Symbol('break');

export function decodeCbor(buf: Buffer): unknown {
  const r = new Reader(buf);
  const v = cb(r, 0);
  if (v === BREAK) throw new Malformed('a break outside an indefinite item');
  if (r.pos !== buf.length) throw new Malformed(`${buf.length - r.pos} bytes after the value`);
  return v;
}

function cbArg(r: Reader, info: number): number | string {
  if (info < 24) return info;
  if (info === 24) return r.u8();
  if (info === 25) return r.u16();
  if (info === 26) return r.u32();
  if (info === 27) return r.u64();
  throw new Malformed(`additional information ${info} is reserved`);
}

function cb(r: Reader, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Malformed('nested too deep');
  const b = r.u8();
  const major = b >> 5;
  const info = b & 0x1f;
  if (info === 31) {
    switch (major) {
      case 2:
      case 3: {
        // Definite chunks of the same major type until the break.
        const parts: Buffer[] = [];
        for (;;) {
          const c = r.u8();
          if (c === 0xff) break;
          if (c >> 5 !== major || (c & 0x1f) === 31) throw new Malformed('an indefinite string with a bad chunk');
          parts.push(r.bytes(r.count(cbArg(r, c & 0x1f))));
        }
        const all = Buffer.concat(parts);
        return major === 3 ? all.toString('utf8') : binaryNode(all);
      }
      case 4: {
        const out: unknown[] = [];
        for (;;) {
          const v = cb(r, depth + 1);
          if (v === BREAK) return out;
          out.push(v);
        }
      }
      case 5: {
        const out: Record<string, unknown> = {};
        for (;;) {
          const k = cb(r, depth + 1);
          if (k === BREAK) return out;
          out[keyOf(k)] = cb(r, depth + 1);
        }
      }
      case 7:
        return BREAK;
      default:
        throw new Malformed(`major type ${major} cannot be indefinite`);
    }
  }
  if (major === 7) {
    if (info === 20) return false;
    if (info === 21) return true;
    if (info === 22) return null;
    if (info === 23) return { $undefined: true };
    if (info === 25) return halfFloat(r.u16());
    if (info === 26) return r.bytes(4).readFloatBE(0);
    if (info === 27) return r.bytes(8).readDoubleBE(0);
    return { $simple: cbArg(r, info) };
  }
  const arg = cbArg(r, info);
  switch (major) {
    case 0:
      return arg;
    case 1:
      return typeof arg === 'number' ? -1 - arg : `-1-${arg}`;
    case 2:
      return binaryNode(r.bytes(r.count(arg)));
    case 3:
      return r.bytes(r.count(arg)).toString('utf8');
    case 4: {
      const out: unknown[] = [];
      for (let i = r.count(arg); i > 0; i--) out.push(cb(r, depth + 1));
      return out;
    }
    case 5: {
      const out: Record<string, unknown> = {};
      for (let i = r.count(typeof arg === 'number' ? arg * 2 : arg) / 2; i > 0; i--) {
        const k = keyOf(cb(r, depth + 1));
        out[k] = cb(r, depth + 1);
      }
      return out;
    }
    default: {
      // major 6: a tag. 0/1: dates; 55799: the self-describe mark; others shown with their number.
      const v = cb(r, depth + 1);
      if (arg === 55799) return v;
      if (arg === 1 && typeof v === 'number') return { $date: new Date(v * 1000).toISOString() };
      if (arg === 0 && typeof v === 'string') return { $date: v };
      return { $tag: arg, value: v };
    }
  }
}

function halfFloat(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * 2 ** -14 * (mant / 1024);
  if (exp === 31) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + mant / 1024);
}

// ---- what a payload clearly is ----

export interface BinaryReading {
  /** json, msgpack or cbor: how the value was read. */
  format: 'json' | BinaryFormat;
  /** Unwrapping steps before that, outermost first (gzip, deflate, base64). */
  unwrapped: string[];
  value: unknown;
}

/** A MessagePack or CBOR value that is a map or an array and takes every byte. */
function structured(buf: Buffer, prefer?: BinaryFormat): BinaryReading | undefined {
  const order: BinaryFormat[] = prefer === 'cbor' ? ['cbor', 'msgpack'] : ['msgpack', 'cbor'];
  for (const format of order) {
    if (!startsStructured(buf, format)) continue;
    try {
      const value = format === 'msgpack' ? decodeMsgpack(buf) : decodeCbor(buf);
      return { format, unwrapped: [], value };
    } catch {
      // not this one
    }
  }
  return undefined;
}

function startsStructured(buf: Buffer, format: BinaryFormat): boolean {
  if (buf.length === 0) return false;
  const b = buf[0]!;
  if (format === 'msgpack') return (b >= 0x80 && b <= 0x9f) || (b >= 0xdc && b <= 0xdf);
  // CBOR arrays and maps (major 4, 5), or the self-describe tag d9 d9 f7.
  return (b >= 0x80 && b <= 0xbf) || (b === 0xd9 && buf[1] === 0xd9 && buf[2] === 0xf7);
}

function inflated(buf: Buffer): { kind: string; out: Buffer } | undefined {
  try {
    if (buf.length > 18 && buf[0] === 0x1f && buf[1] === 0x8b && buf[2] === 8) {
      return { kind: 'gzip', out: gunzipSync(buf, { maxOutputLength: MAX_INFLATED }) };
    }
    // A zlib header: CM 8, and the two bytes a multiple of 31.
    if (buf.length > 6 && (buf[0]! & 0x0f) === 8 && buf[0]! >> 4 <= 7 && ((buf[0]! << 8) | buf[1]!) % 31 === 0) {
      return { kind: 'deflate', out: inflateSync(buf, { maxOutputLength: MAX_INFLATED }) };
    }
  } catch {
    // not compressed after all (or larger than we inflate for a view)
  }
  return undefined;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function jsonText(buf: Buffer): unknown | undefined {
  const text = buf.toString('utf8');
  const t = text.trimStart();
  if (t[0] !== '{' && t[0] !== '[') return undefined;
  const j = parseJson(text);
  return j?.value;
}

/** Read bytes as what they clearly are: a JSON/MessagePack/CBOR document, maybe gzip'd or zlib'd. */
export function readBinary(buf: Buffer, prefer?: BinaryFormat, depth = 0): BinaryReading | undefined {
  const direct = structured(buf, prefer);
  if (direct) return direct;
  const json = jsonText(buf);
  if (json !== undefined) return { format: 'json', unwrapped: [], value: json };
  if (depth > 1) return undefined;
  const inf = inflated(buf);
  if (inf) {
    const inner = readBinary(inf.out, prefer, depth + 1);
    if (inner) return { ...inner, unwrapped: [inf.kind, ...inner.unwrapped] };
  }
  return undefined;
}

/** Read text that is all base64 of JSON / MessagePack / CBOR / gzip (at least 8 characters). */
export function readBase64Text(text: string, prefer?: BinaryFormat): BinaryReading | undefined {
  const t = text.trim();
  if (t.length < 8 || !BASE64.test(t)) return undefined;
  const inner = readBinary(Buffer.from(t, 'base64'), prefer);
  return inner ? { ...inner, unwrapped: ['base64', ...inner.unwrapped] } : undefined;
}

/** A frame with no application protocol: binary read as MessagePack / CBOR / JSON, base64 text unwrapped. */
export function decodeBinaryFrame(frame: FrameLike, prefer?: BinaryFormat): Decoded | undefined {
  let reading: BinaryReading | undefined;
  if (frame.opcode === 2) reading = readBinary(bytesOf(frame), prefer);
  else if (frame.opcode === 1 && frame.encoding === 'text') reading = readBase64Text(frame.data, prefer);
  if (!reading) return undefined;
  const encoding = [...reading.unwrapped, ...(reading.format === 'json' ? [] : [reading.format])].join('+');
  const message: DecodedMessage = {
    protocol: reading.format,
    type: frame.opcode === 2 ? 'binary' : 'text',
    payload: reading.value,
  };
  if (encoding) message.encoding = encoding;
  return { message };
}
