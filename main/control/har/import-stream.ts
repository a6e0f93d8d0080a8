// HAR import from a stream or a long text: entries are cut out and parsed one at a time, the event loop keeps turning, memory stays bounded.
import { StringDecoder } from 'node:string_decoder';
import type { ImportCounts, ImportResult } from '../../../shared/api.ts';
import type { SessionLog } from '../../engine/log/store.ts';
import { frameSize, httpSize, sessionSize } from '../../engine/log/size.ts';
import { commit, HarError, importedKeys, parseEntry, type Parsed } from './import.ts';

/** Largest HAR accepted (bytes of JSON). Past it the import is refused with IMPORT_TOO_LARGE. */
export const MAX_IMPORT_BYTES = 512 * 1024 * 1024;
/** Text scanned between two turns of the event loop (the proxy answers in between). */
const SLICE_CHARS = 1 << 20;
/** Longest run of work before yielding to the event loop. */
const YIELD_MS = 8;

const QUOTE = 34;
const BACKSLASH = 92;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;
const COMMA = 44;
const COLON = 58;

interface Frame {
  array: boolean;
  /** The key this container sits under in its parent object (null in an array or at the top). */
  key: string | null;
  /** Objects: the last key read, and whether a key comes next. */
  pending: string | null;
  expectKey: boolean;
}

/**
 * Cuts the entries out of a HAR document given in text pieces: tracks only the structure (strings,
 * braces) down to log.entries, and hands each entry's JSON text on whole. Everything else of the
 * document (creator, pages) is skipped without being kept.
 */
export class EntryScanner {
  #stack: Frame[] = [];
  #inString = false;
  #escape = false;
  /** A key of the top two levels being read ("log", "entries"). */
  #key: string[] | null = null;
  /** Pieces of the entry being cut out, and the depth it started at. */
  #entry: string[] | null = null;
  #started = false;
  #sawLog = false;
  #sawEntries = false;
  #done = false;
  #count = 0;

  constructor(readonly onEntry: (json: string, index: number) => void) {}

  get entries(): number {
    return this.#count;
  }

  write(text: string): void {
    const n = text.length;
    let i = 0;
    let entryFrom = this.#entry ? 0 : -1;
    while (i < n) {
      if (this.#inString) {
        if (this.#key) {
          // Keys of the top two levels are read a character at a time (short, and may hold escapes).
          const c = text.charCodeAt(i);
          if (this.#escape) {
            this.#escape = false;
            this.#key.push(text[i]!);
          } else if (c === BACKSLASH) this.#escape = true;
          else if (c === QUOTE) this.#endString();
          else this.#key.push(text[i]!);
          i++;
          continue;
        }
        if (this.#escape) {
          this.#escape = false;
          i++;
          continue;
        }
        // Jump to the next quote or backslash (bodies are long strings: this is where the time goes).
        const q = text.indexOf('"', i);
        const b = text.indexOf('\\', i);
        if (b >= 0 && (q < 0 || b < q)) {
          this.#escape = true;
          i = b + 1;
          continue;
        }
        if (q < 0) {
          i = n;
          break;
        }
        i = q + 1;
        this.#inString = false;
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) {
        i++;
        continue;
      }
      if (!this.#started) {
        if (c !== LBRACE) throw new HarError('expected a JSON object with a "log" property');
        this.#started = true;
      } else if (this.#done) {
        throw new HarError('the file is not JSON (text after the end of the document)');
      }
      const depth = this.#stack.length;
      const top = this.#stack[depth - 1];
      // An element of log.entries starts here.
      if (this.#inEntries() && this.#entry === null && c !== COMMA && c !== RBRACKET) {
        if (c !== LBRACE) throw new HarError(`entry ${this.#count}: not an object`);
        this.#entry = [];
        entryFrom = i;
      }
      switch (c) {
        case QUOTE:
          this.#inString = true;
          if (top && !top.array && top.expectKey && depth <= 2) this.#key = [];
          break;
        case LBRACE:
        case LBRACKET: {
          const key = top && !top.array ? top.pending : null;
          this.#stack.push({ array: c === LBRACKET, key, pending: null, expectKey: c === LBRACE });
          if (depth === 1 && key === 'log') {
            if (c !== LBRACE) throw new HarError('"log" is missing or not an object');
            this.#sawLog = true;
          }
          if (depth === 2 && key === 'entries' && this.#stack[1]?.key === 'log') {
            if (c !== LBRACKET) throw new HarError('"log.entries" is missing or not an array');
            this.#sawEntries = true;
          }
          break;
        }
        case RBRACE:
        case RBRACKET: {
          if (!top || top.array !== (c === RBRACKET)) throw new HarError('the file is not JSON (unbalanced brackets)');
          this.#stack.pop();
          if (this.#entry !== null && this.#stack.length === 3 && this.#inEntries()) {
            this.#entry.push(text.slice(entryFrom, i + 1));
            const json = this.#entry.length === 1 ? this.#entry[0]! : this.#entry.join('');
            this.#entry = null;
            entryFrom = -1;
            this.onEntry(json, this.#count++);
          }
          if (this.#stack.length === 0) this.#done = true;
          break;
        }
        case COMMA:
          if (top && !top.array) top.expectKey = true;
          break;
        case COLON:
          if (top && !top.array) top.expectKey = false;
          break;
        default:
          if (depth === 0) throw new HarError('expected a JSON object with a "log" property');
      }
      i++;
    }
    if (this.#entry !== null) this.#entry.push(entryFrom <= 0 ? text : text.slice(entryFrom));
  }

  /** The document ended: was it whole, with a log and its entries? */
  end(): void {
    if (!this.#started) throw new HarError('the file is empty: expected a JSON object with a "log" property');
    if (!this.#done || this.#inString) throw new HarError('the file is not JSON (it ends in the middle)');
    if (!this.#sawLog) throw new HarError('"log" is missing or not an object');
    if (!this.#sawEntries) throw new HarError('"log.entries" is missing or not an array');
  }

  #endString(): void {
    this.#inString = false;
    const top = this.#stack[this.#stack.length - 1]!;
    top.pending = this.#key!.join('');
    this.#key = null;
  }

  #inEntries(): boolean {
    const s = this.#stack;
    return s.length === 3 && s[1]!.key === 'log' && !s[1]!.array && s[2]!.key === 'entries' && s[2]!.array;
  }
}

export interface StreamImportOptions {
  /** Refuse past this many bytes (default MAX_IMPORT_BYTES). */
  maxBytes?: number;
  /** The size the sender announced (Content-Length): over the limit, refused before a byte is read. */
  declaredBytes?: number;
}

/**
 * Import a HAR given as a byte stream (the control API's request body) or as text (the desktop
 * bridge). All of it or, when anything is malformed, none. Entries that the log could not keep anyway
 * (past inspect.storeBytes, oldest first) are dropped as soon as they are read, so memory stays near
 * the log's cap whatever the file's size; the event loop turns every few milliseconds meanwhile.
 */
export async function importHarStream(
  log: SessionLog,
  source: AsyncIterable<Buffer | string> | string,
  opts: StreamImportOptions = {},
): Promise<ImportResult> {
  const maxBytes = opts.maxBytes ?? MAX_IMPORT_BYTES;
  const kept: Array<{ parsed: Parsed; bytes: number }> = [];
  let head = 0;
  let keptBytes = 0;
  let dropped = 0;
  let skipped = 0;
  const cap = log.capBytes;
  const scanner = new EntryScanner((json, index) => {
    let e: unknown;
    try {
      e = JSON.parse(json);
    } catch (err) {
      throw new HarError(`entry ${index}: not JSON (${(err as Error).message})`);
    }
    let p: ReturnType<typeof parseEntry>;
    try {
      p = parseEntry(e);
    } catch (err) {
      throw new HarError(`entry ${index}: ${(err as Error).message}`);
    }
    skipped += p.skipped;
    const bytes = estimate(p);
    kept.push({ parsed: p, bytes });
    keptBytes += bytes;
    // The log would evict these first: let them go now.
    while (keptBytes - kept[head]!.bytes > cap && head < kept.length - 1) {
      keptBytes -= kept[head]!.bytes;
      kept[head] = undefined as never;
      head++;
      dropped++;
    }
    if (head > 1024 && head * 2 > kept.length) {
      kept.splice(0, head);
      head = 0;
    }
  });
  let last = Date.now();
  const breathe = async () => {
    if (Date.now() - last < YIELD_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    last = Date.now();
  };
  try {
    if (opts.declaredBytes !== undefined && opts.declaredBytes > maxBytes)
      throw tooLarge(opts.declaredBytes, maxBytes, true);
    if (typeof source === 'string') {
      if (source.length > maxBytes) throw tooLarge(source.length, maxBytes);
      for (let at = 0; at < source.length; at += SLICE_CHARS) {
        scanner.write(source.slice(at, at + SLICE_CHARS));
        await breathe();
      }
    } else {
      const decoder = new StringDecoder('utf8');
      let size = 0;
      for await (const chunk of source) {
        if (typeof chunk === 'string') {
          size += chunk.length;
          if (size > maxBytes) throw tooLarge(size, maxBytes);
          scanner.write(chunk);
        } else {
          size += chunk.length;
          if (size > maxBytes) throw tooLarge(size, maxBytes);
          scanner.write(decoder.write(chunk));
        }
        await breathe();
      }
      scanner.write(decoder.end());
    }
    scanner.end();
  } catch (err) {
    if (err instanceof TooLarge) return { ok: false, code: 'IMPORT_TOO_LARGE', message: err.message };
    if (err instanceof HarError) return { ok: false, code: 'BAD_HAR', message: `not a valid HAR file: ${err.message}` };
    throw err;
  }
  // Added in slices, the event loop turning in between; each entry is let go once it is in the log.
  const seen = importedKeys(log);
  const counts: ImportCounts = { requests: 0, sessions: 0, frames: 0, skipped };
  let until = Date.now() + YIELD_MS;
  for (let at = head; at < kept.length; at++) {
    add(counts, commit(log, [kept[at]!.parsed], 0, seen));
    kept[at] = undefined as never;
    if (Date.now() >= until) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      until = Date.now() + YIELD_MS;
    }
  }
  if (dropped > 0) counts.dropped = dropped;
  return { ok: true, imported: counts };
}

function add(into: ImportCounts, c: ImportCounts): void {
  into.requests += c.requests;
  into.sessions += c.sessions;
  into.frames += c.frames;
  if (c.duplicates) into.duplicates = (into.duplicates ?? 0) + c.duplicates;
}

class TooLarge extends Error {}

function tooLarge(size: number, max: number, declared = false): TooLarge {
  const mb = (n: number) => `${Math.round(n / (1024 * 1024))} MiB`;
  const seen = declared ? `it is ${mb(size)}` : `read ${mb(size)} so far`;
  return new TooLarge(
    `the HAR file is larger than Loopgate imports (${seen}; the limit is ${mb(max)}): split it, or export a shorter capture`,
  );
}

/** What an entry will weigh in the log (its cap counts the same estimates). */
function estimate(p: Parsed): number {
  let n = p.record.kind === 'http' ? httpSize(p.record) : sessionSize(p.record);
  for (const f of p.frames) n += frameSize(f as Parameters<typeof frameSize>[0]);
  return n;
}
