// One session's frames in the session log, oldest first, packed column-wise: a few numbers and the payload (bytes or a string) per frame, no object.

/*
 * Why packed: a log at its cap holds hundreds of thousands of small frames. As objects (a dozen
 * fields each, plus the data string) they are traced by every full garbage collection and copied
 * twice by the young-generation collector before they settle, which made a full log cost a
 * WebSocket tunnel a large share of its CPU. Packed, a frame is its data string plus a few slots
 * in typed arrays; the FrameRecord objects are rebuilt only when someone looks (a page of frames,
 * an export). A large payload kept as raw bytes (log/lazy.ts) is packed as those bytes, decoded when
 * the frame is rebuilt, and goes back to the payload pool when the frame is evicted. Frames that do
 * not fit the packed shape (close codes, problems, unusual fields, a payload someone else may
 * still read) are kept whole, as the objects they were.
 *
 * Small payloads handed over as bytes (pushBytes: the frame tap's usual way) are copied into a byte
 * arena of their block and decoded only when the frame is rebuilt: no string per frame for the
 * young-generation collector to copy while it waits to be evicted, no object at all.
 */
import type { FrameRecord, Opcode } from '../../../shared/events.ts';
import type { FrameBytes } from '../types.ts';
import { givePayloadBuffer, givePayloadMemory } from './buffers.ts';
import { lazyRaw, markExposed, reclaim, type LazyEncoding } from './lazy.ts';
import { frameSize } from './size.ts';

/** Frames per block: the first blocks of a session are small (most sessions carry few frames). */
const FIRST_BLOCK = 16;
const MAX_BLOCK = 256;
/** Memory of a packed frame besides its payload: 7 numbers (the columns), 1 array slot, a string or buffer header. */
export const PACKED_FRAME_OVERHEAD = 7 * 8 + 8 + 24;
/** Largest payload pushBytes copies into a block's arena (a block of 256 then holds at most 256 KiB of them). */
export const ARENA_MAX_BYTES = 1024;
/** Arena bytes per frame slot a block starts with (it doubles when full). */
const ARENA_START_PER_FRAME = 96;

// Bit field layout.
const OPCODE = 0x0f;
const RECEIVE = 0x10;
const BASE64 = 0x20;
const COMPRESSED = 0x40;
const TRUNCATED = 0x80;
const INJECTED = 0x100;
/** How a packed Buffer payload decodes (0: the item is the data string itself). */
const RAW = 0x600;
const RAW_ENCODINGS: LazyEncoding[] = ['base64', 'utf8', 'latin1'];
const RAW_BASE64 = 1 << 9;
const RAW_UTF8 = 2 << 9;
const EMPTY = Buffer.alloc(0);

// Columns of a block, interleaved in one Float64Array (one allocation per block): slot i * COLS + c.
const SEQ = 0;
const TIME = 1;
const LENGTH = 2;
const WIRE = 3;
const FRAGMENTS = 4;
const BITS = 5;
/** Bytes in the block's arena (an arena item: the item is their offset). */
const ARENA_LEN = 6;
const COLS = 7;

/**
 * A held item: the data of a packed frame (its string, or its raw bytes: as a Buffer, or as the whole
 * ArrayBuffer when the bytes are all of it from offset 0 up to the frame's length), or the whole frame.
 *
 * Why the ArrayBuffer: the bytes usually sit in a recycled pool buffer whose ArrayBuffer is an old
 * object, while the Buffer view over them was made for this one frame. Held until evicted, each such
 * view would survive the young generation only to die in the old one: under a steady stream of
 * large frames that garbage alone doubled the number of full collections (measured in-process).
 */
type Item = string | number | Buffer | ArrayBuffer | FrameRecord;

class Block {
  readonly n: Float64Array;
  /** A number item is the offset of the frame's payload bytes in `arena`. */
  item: Item[] = [];
  /** First live slot (earlier ones were shifted out). */
  start = 0;
  /** Payload bytes of arena items (allocated at the first one), filled up to arenaUsed. */
  arena: Buffer = EMPTY;
  arenaUsed = 0;
  constructor(readonly capacity: number) {
    this.n = new Float64Array(capacity * COLS);
  }
  seq(i: number): number {
    return this.n[i * COLS + SEQ]!;
  }
}

/**
 * Emptied full-size blocks, reused by the next ones (of any session): a log at its cap then
 * allocates no blocks at all. They never leave the log, so reuse is safe.
 */
const spareBlocks: Block[] = [];
const MAX_SPARE_BLOCKS = 64;

function newBlock(capacity: number): Block {
  if (capacity === MAX_BLOCK) {
    const b = spareBlocks.pop();
    if (b !== undefined) return b;
  }
  return new Block(capacity);
}

function dropBlock(b: Block): void {
  if (b.capacity !== MAX_BLOCK || spareBlocks.length >= MAX_SPARE_BLOCKS) return;
  b.item = [];
  b.start = 0;
  b.arenaUsed = 0;
  spareBlocks.push(b);
}

/**
 * What to keep of a frame: its data string or raw bytes when the frame can be packed without
 * losing anything a reader could see (FrameRecord fields only, the optional flags when true, no
 * close code, reason or problems), else null. Raw bytes only when `takeRaw` (nobody else holds the
 * frame) and they are a Buffer.
 */
function packedData(f: FrameRecord, takeRaw: boolean): string | { raw: Buffer; encoding: LazyEncoding } | null {
  if (
    ('compressed' in f && f.compressed !== true) ||
    ('truncated' in f && f.truncated !== true) ||
    ('injected' in f && f.injected !== true) ||
    'closeCode' in f ||
    'closeReason' in f ||
    'problems' in f
  )
    return null;
  const lazy = lazyRaw(f, 'data');
  if (lazy === undefined) return typeof f.data === 'string' ? f.data : null;
  return takeRaw && typeof lazy.raw !== 'string' ? { raw: lazy.raw, encoding: lazy.encoding } : null;
}

/** Bytes the item at slot i of b is counted as (an ArrayBuffer as the Buffer it stands for: its whole memory). */
function itemSize(b: Block, i: number): number {
  const item = b.item[i]!;
  if (typeof item === 'string') return PACKED_FRAME_OVERHEAD + item.length;
  if (typeof item === 'number') return PACKED_FRAME_OVERHEAD + b.n[i * COLS + ARENA_LEN]!;
  if (item instanceof ArrayBuffer) return PACKED_FRAME_OVERHEAD + item.byteLength;
  if (Buffer.isBuffer(item)) return PACKED_FRAME_OVERHEAD + Math.max(item.length, item.buffer.byteLength);
  return frameSize(item);
}

/** The raw bytes as held: the ArrayBuffer itself when the view is all of it up to `length` (see Item). */
function rawItem(raw: Buffer, length: number): Buffer | ArrayBuffer {
  const ab = raw.buffer;
  return raw.byteOffset === 0 && raw.length === length && ab instanceof ArrayBuffer ? ab : raw;
}

export class FrameQueue {
  #blocks: Block[] = [];
  #length = 0;

  constructor(readonly session: number) {}

  get length(): number {
    return this.#length;
  }

  /**
   * Append a frame (seq must grow); returns the bytes it is counted as holding. `takeRaw`: the
   * caller drops the frame after this (nobody else will read it), so a raw payload may be kept
   * packed and recycled on eviction.
   */
  push(f: FrameRecord, takeRaw = false): number {
    const b = this.#tail();
    const i = b.item.length;
    const n = b.n;
    const at = i * COLS;
    n[at + SEQ] = f.seq;
    const data = packedData(f, takeRaw);
    if (data !== null) {
      n[at + TIME] = f.time;
      n[at + LENGTH] = f.length;
      n[at + WIRE] = f.wireLength;
      n[at + FRAGMENTS] = f.fragments;
      n[at + BITS] =
        (f.opcode & OPCODE) |
        (f.type === 'receive' ? RECEIVE : 0) |
        (f.encoding === 'base64' ? BASE64 : 0) |
        (f.compressed ? COMPRESSED : 0) |
        (f.truncated ? TRUNCATED : 0) |
        (f.injected ? INJECTED : 0) |
        (typeof data === 'string' ? 0 : (RAW_ENCODINGS.indexOf(data.encoding) + 1) << 9);
      b.item.push(typeof data === 'string' ? data : rawItem(data.raw, f.length));
    } else {
      b.item.push(f);
    }
    this.#length++;
    return itemSize(b, i);
  }

  /**
   * Append a frame given as its fields and the payload bytes kept, src[start, end) (at most
   * ARENA_MAX_BYTES), which decode with `encoding` to its data: the same frame push() would pack
   * from the FrameRecord (no close code, reason or problems; not compressed or injected).
   * `frame` is only read during the call. Returns the bytes the frame is counted as holding.
   */
  pushBytes(frame: FrameBytes): number {
    const { seq, receive, opcode, time, length, wire, fragments, encoding, truncated, src, start, end } = frame;
    const b = this.#tail();
    const i = b.item.length;
    const n = b.n;
    const at = i * COLS;
    const size = end - start;
    n[at + SEQ] = seq;
    n[at + TIME] = time;
    n[at + LENGTH] = length;
    n[at + WIRE] = wire;
    n[at + FRAGMENTS] = fragments;
    n[at + BITS] =
      (opcode & OPCODE) |
      (receive ? RECEIVE : 0) |
      (encoding === 'base64' ? BASE64 | RAW_BASE64 : RAW_UTF8) |
      (truncated ? TRUNCATED : 0);
    n[at + ARENA_LEN] = size;
    const off = b.arenaUsed;
    if (off + size > b.arena.length) {
      const grown = Buffer.allocUnsafeSlow(
        Math.max(b.capacity * ARENA_START_PER_FRAME, 2 * b.arena.length, off + size),
      );
      b.arena.copy(grown, 0, 0, off);
      b.arena = grown;
    }
    // Measured for 64 bytes: Buffer#copy ~57 ns, a byte loop here ~90 ns, set() of a subarray ~58 ns.
    src.copy(b.arena, off, start, end);
    b.arenaUsed = off + size;
    b.item.push(off);
    this.#length++;
    return PACKED_FRAME_OVERHEAD + size;
  }

  /** The newest frame, rebuilt (as page() would give it); undefined when empty. */
  last(): FrameRecord | undefined {
    const b = this.#blocks[this.#blocks.length - 1];
    return b === undefined || this.#length === 0 ? undefined : this.#frame(b, b.item.length - 1);
  }

  /** The block the next frame goes to. */
  #tail(): Block {
    let b = this.#blocks[this.#blocks.length - 1];
    if (b === undefined || b.item.length === b.capacity) {
      b = newBlock(b === undefined ? FIRST_BLOCK : Math.min(MAX_BLOCK, b.capacity * 4));
      this.#blocks.push(b);
    }
    return b;
  }

  /** Drop the oldest frame; returns the bytes it was counted as. A payload nobody saw is recycled. */
  shift(): number {
    const b = this.#blocks[0];
    if (b === undefined || this.#length === 0) return 0;
    const i = b.start++;
    const item = b.item[i]!;
    const size = itemSize(b, i);
    if (typeof item !== 'string' && typeof item !== 'number') {
      if (item instanceof ArrayBuffer) givePayloadMemory(item);
      else if (Buffer.isBuffer(item)) givePayloadBuffer(item);
      else {
        const bytes = reclaim(item, 'data');
        if (bytes !== null) givePayloadBuffer(bytes);
      }
    }
    b.item[i] = '';
    this.#length--;
    if (b.start === b.capacity) dropBlock(this.#blocks.shift()!);
    return size;
  }

  firstSeq(): number {
    const b = this.#blocks[0];
    return b === undefined || this.#length === 0 ? 0 : b.seq(b.start);
  }

  lastSeq(): number {
    const b = this.#blocks[this.#blocks.length - 1];
    return b === undefined || this.#length === 0 ? 0 : b.seq(b.item.length - 1);
  }

  /** Up to `limit` frames with seq > after, oldest first, as FrameRecords; `more` when others follow. */
  page(after: number, limit: number): { frames: FrameRecord[]; more: boolean } {
    const frames: FrameRecord[] = [];
    const blocks = this.#blocks;
    // The first block whose last seq passes `after`, then the first slot in it that does.
    let bi = 0;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const b = blocks[mid]!;
      if (b.seq(b.item.length - 1) <= after) lo = mid + 1;
      else hi = mid;
    }
    bi = lo;
    if (bi >= blocks.length) return { frames, more: false };
    let b = blocks[bi]!;
    let i = b.start;
    while (i < b.item.length && b.seq(i) <= after) i++;
    for (;;) {
      if (i >= b.item.length) {
        bi++;
        if (bi >= blocks.length) return { frames, more: false };
        b = blocks[bi]!;
        i = b.start;
      }
      if (frames.length >= limit) return { frames, more: true };
      frames.push(this.#frame(b, i));
      i++;
    }
  }

  /** Every frame held, oldest first (export). */
  all(): FrameRecord[] {
    const out: FrameRecord[] = [];
    for (const b of this.#blocks) for (let i = b.start; i < b.item.length; i++) out.push(this.#frame(b, i));
    return out;
  }

  /** The frame at slot i of block b, rebuilt from its columns (or the whole frame, now exposed). */
  #frame(b: Block, i: number): FrameRecord {
    const item = b.item[i]!;
    if (
      typeof item !== 'string' &&
      typeof item !== 'number' &&
      !(item instanceof ArrayBuffer) &&
      !Buffer.isBuffer(item)
    ) {
      markExposed(item);
      return item;
    }
    const n = b.n;
    const at = i * COLS;
    const bits = n[at + BITS]!;
    const f: FrameRecord = {
      session: this.session,
      seq: n[at + SEQ]!,
      type: bits & RECEIVE ? 'receive' : 'send',
      time: n[at + TIME]!,
      opcode: (bits & OPCODE) as Opcode,
      // A raw payload is decoded now that someone looks.
      data:
        typeof item === 'string'
          ? item
          : typeof item === 'number'
            ? b.arena.toString(RAW_ENCODINGS[((bits & RAW) >> 9) - 1]!, item, item + n[at + ARENA_LEN]!)
            : rawString(item, n[at + LENGTH]!, RAW_ENCODINGS[((bits & RAW) >> 9) - 1]!),
      encoding: bits & BASE64 ? 'base64' : 'text',
      length: n[at + LENGTH]!,
      wireLength: n[at + WIRE]!,
      fragments: n[at + FRAGMENTS]!,
    };
    if (bits & COMPRESSED) f.compressed = true;
    if (bits & TRUNCATED) f.truncated = true;
    if (bits & INJECTED) f.injected = true;
    return f;
  }
}

/** A packed raw payload decoded (an ArrayBuffer item holds `length` bytes from its start). */
function rawString(item: Buffer | ArrayBuffer, length: number, encoding: LazyEncoding): string {
  return item instanceof ArrayBuffer ? Buffer.from(item, 0, length).toString(encoding) : item.toString(encoding);
}
