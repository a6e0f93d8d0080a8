// Frame list logic: direction/opcode/regex filtering (incremental), payload decoding, hex dump, base64.
import type { FrameRecord } from '../../shared/events.ts';
import { hasQuantifier, regexHazard } from '../../shared/regex-safety.ts';

export type Direction = 'all' | 'send' | 'receive';

export interface FrameFilter {
  direction: Direction;
  /** Opcodes to show; empty shows all. */
  opcodes: readonly number[];
  /** Regex source (case-insensitive); empty matches everything. */
  search: string;
  /** Only frames whose decoded message has this name (event, operation, method, destination); a reply counts under its request's. */
  name?: string;
  /** Leave out keep-alive messages (Engine.IO ping/pong, GraphQL ka, STOMP heart-beats, SignalR pings). */
  hideHeartbeats?: boolean;
}

export const NO_FILTER: FrameFilter = { direction: 'all', opcodes: [], search: '' };

/*
 * ReDoS guard (docs/hardening.md): a pattern regexHazard finds super-linear is refused with its reason;
 * a pattern that repeats anything looks at the first SEARCH_TEXT_MAX characters of each payload
 * (quantifier-free ones, plain words included, search it all); and update() works in slices of
 * SLICE_MS, so the page keeps answering while a slow search runs.
 */

/** Characters of each payload a pattern with quantifiers is tried on. */
export const SEARCH_TEXT_MAX = 8 * 1024;
/** Time one update() may spend testing frames before it hands back with `pending`. */
export const SLICE_MS = 25;

export function compileSearch(search: string): { re: RegExp | null; error?: string; capped?: boolean } {
  if (search === '') return { re: null };
  let re: RegExp;
  try {
    re = new RegExp(search, 'i');
  } catch (e) {
    return { re: null, error: (e as Error).message };
  }
  const hazard = regexHazard(search, 'i');
  if (hazard) return { re: null, error: `refused, it could freeze the page: ${hazard.reason}` };
  return hasQuantifier(search) ? { re, capped: true } : { re };
}

export function isIdentity(f: FrameFilter): boolean {
  return f.direction === 'all' && f.opcodes.length === 0 && f.search === '' && !f.name && !f.hideHeartbeats;
}

/**
 * Indices of the frames that pass a filter, kept up to date as frames are appended: only new frames
 * are tested. A changed filter or a replaced array starts over.
 */
export class FrameIndex {
  #frames: readonly FrameRecord[] = [];
  #filter: FrameFilter = NO_FILTER;
  #seen = 0;
  #indices: Int32Array = new Int32Array(1024);
  #count = 0;
  error: string | undefined;
  /** The last update() ran out of its time slice: call it again (soon) to go on. */
  pending = false;

  /**
   * Bring the index up to date, for at most `sliceMs` of testing (then `pending` is set: call again
   * to go on); returns the number of matching frames so far.
   */
  update(frames: readonly FrameRecord[], filter: FrameFilter, sliceMs = SLICE_MS): number {
    if (frames !== this.#frames || !sameFilter(filter, this.#filter) || frames.length < this.#seen) {
      this.#frames = frames;
      this.#filter = filter;
      this.#seen = 0;
      this.#count = 0;
    }
    this.pending = false;
    if (this.#seen === frames.length) return this.#count;
    const { re, error, capped } = compileSearch(filter.search);
    this.error = error;
    const identity =
      isIdentity(filter) ||
      (error !== undefined &&
        filter.direction === 'all' &&
        filter.opcodes.length === 0 &&
        !filter.name &&
        !filter.hideHeartbeats);
    const ops = filter.opcodes.length ? new Set(filter.opcodes) : null;
    this.#ensure(this.#count + frames.length - this.#seen);
    const out = this.#indices;
    let n = this.#count;
    const start = performance.now();
    let i = this.#seen;
    for (; i < frames.length; i++) {
      // Out of time (checked per frame with a pattern that repeats, per 64 frames otherwise): hand back (`pending`).
      if (re && (capped || (i & 63) === 63) && i > this.#seen && performance.now() - start > sliceMs) {
        this.pending = true;
        break;
      }
      if (!identity) {
        const f = frames[i]!;
        if (filter.direction !== 'all' && f.type !== filter.direction) continue;
        if (ops && !ops.has(f.opcode)) continue;
        if (filter.hideHeartbeats && f.decoded?.heartbeat) continue;
        if (filter.name && f.decoded?.name !== filter.name) continue;
        if (re && !re.test(capped ? searchText(f).slice(0, SEARCH_TEXT_MAX) : searchText(f))) continue;
      }
      out[n++] = i;
    }
    this.#count = n;
    this.#seen = i;
    return n;
  }

  get count(): number {
    return this.#count;
  }

  /** Index into the frames array of the n-th visible row. */
  at(row: number): number {
    return row >= 0 && row < this.#count ? this.#indices[row]! : -1;
  }

  /** The row showing frames[index], or -1 when filtered out. */
  rowOf(index: number): number {
    let lo = 0;
    let hi = this.#count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.#indices[mid]!;
      if (v === index) return mid;
      if (v < index) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  #ensure(size: number): void {
    if (size <= this.#indices.length) return;
    let cap = this.#indices.length;
    while (cap < size) cap *= 2;
    const next = new Int32Array(cap);
    next.set(this.#indices.subarray(0, this.#count));
    this.#indices = next;
  }
}

function sameFilter(a: FrameFilter, b: FrameFilter): boolean {
  return (
    a.direction === b.direction &&
    a.search === b.search &&
    a.name === b.name &&
    !!a.hideHeartbeats === !!b.hideHeartbeats &&
    a.opcodes.length === b.opcodes.length &&
    a.opcodes.every((o, i) => b.opcodes[i] === o)
  );
}

/** What a search looks at: text as is, close frames' code and reason, binary as base64. */
export function searchText(f: FrameRecord): string {
  if (f.opcode === 8) return `${f.closeCode ?? ''} ${f.closeReason ?? ''}`;
  return f.data;
}

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export function frameBytes(f: FrameRecord): Uint8Array {
  return f.encoding === 'base64' ? base64ToBytes(f.data) : new TextEncoder().encode(f.data);
}

export function frameText(f: FrameRecord): string {
  if (f.encoding === 'text') return f.data;
  return new TextDecoder('utf-8', { fatal: false }).decode(base64ToBytes(f.data));
}

export function frameBase64(f: FrameRecord): string {
  return f.encoding === 'base64' ? f.data : bytesToBase64(new TextEncoder().encode(f.data));
}

/** Parsed JSON of a text frame, or undefined when it is not JSON. */
export function frameJson(f: FrameRecord): { ok: true; value: unknown } | { ok: false } {
  const t = frameText(f).trim();
  if (!t || (!'{["'.includes(t[0]!) && !/^(-?\d|true|false|null)/.test(t))) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(t) };
  } catch {
    return { ok: false };
  }
}

/** Classic hex dump, 16 bytes a line: "00000010  de ad be ef ...  |....|". */
export function hexDump(bytes: Uint8Array, maxBytes = 64 * 1024): string {
  const n = Math.min(bytes.length, maxBytes);
  const lines: string[] = [];
  for (let off = 0; off < n; off += 16) {
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      if (off + i < n) {
        const b = bytes[off + i]!;
        hex += b.toString(16).padStart(2, '0') + (i === 7 ? '  ' : ' ');
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      } else {
        hex += i === 7 ? '    ' : '   ';
      }
    }
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex} |${ascii}|`);
  }
  if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`);
  return lines.join('\n');
}

/** "de ad be ef" or "deadbeef" → bytes; null when it is not hex. */
export function parseHex(text: string): Uint8Array | null {
  const clean = text.replace(/0x/gi, '').replace(/[\s,:]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(clean)) return null;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Messages and bytes per second over the last `seconds` seconds, oldest first, from frame times. */
export function rates(
  frames: readonly FrameRecord[],
  nowSec: number,
  seconds = 60,
): { messages: number[]; bytes: number[] } {
  const messages = new Array<number>(seconds).fill(0);
  const bytes = new Array<number>(seconds).fill(0);
  const start = Math.floor(nowSec) - seconds + 1;
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i]!;
    const bucket = Math.floor(f.time) - start;
    if (bucket < 0) break;
    if (bucket >= seconds) continue;
    messages[bucket]!++;
    bytes[bucket]! += f.wireLength;
  }
  return { messages, bytes };
}

/** A frame's decoded message in a few words: "event chat", "ack getUser", "SEND /queue/a". */
export function decodedLabel(f: FrameRecord): string {
  const d = f.decoded;
  if (!d) return '';
  return d.name ? `${d.type} ${d.name}` : d.type;
}

/** The seqs of each request's replies (from the replies' replyTo), oldest first. */
export function repliesBySeq(frames: readonly FrameRecord[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const f of frames) {
    if (f.replyTo === undefined) continue;
    const list = out.get(f.replyTo);
    if (list) list.push(f.seq);
    else out.set(f.replyTo, [f.seq]);
  }
  return out;
}

/** Index of the frame with this seq (frames are in seq order), or -1. */
export function indexOfSeq(frames: readonly FrameRecord[], seq: number): number {
  let lo = 0;
  let hi = frames.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = frames[mid]!.seq;
    if (v === seq) return mid;
    if (v < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Names of decoded messages seen, most frequent first (the frame list's name filter). */
export function decodedNames(frames: readonly FrameRecord[]): string[] {
  const counts = new Map<string, number>();
  for (const f of frames) {
    const n = f.decoded?.name;
    if (n !== undefined) counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([n]) => n);
}
