// Validators and conditions of a static answer: ETag, Last-Modified, If-None-Match/If-Modified-Since (304), Range and If-Range.
import type { IncomingHttpHeaders } from 'node:http';

export interface Validators {
  /** Strong ETag in nginx's format: "mtime-size" in hex. */
  etag: string;
  /** HTTP date of the modification time (whole seconds). */
  lastModified: string;
  /** Modification time in whole seconds since the epoch. */
  mtimeSec: number;
}

export function validatorsOf(stats: { mtimeMs: number; size: number }): Validators {
  const mtimeSec = Math.floor(stats.mtimeMs / 1000);
  return {
    etag: `"${mtimeSec.toString(16)}-${stats.size.toString(16)}"`,
    lastModified: new Date(mtimeSec * 1000).toUTCString(),
    mtimeSec,
  };
}

function opaque(tag: string): string {
  const t = tag.trim();
  return t.startsWith('W/') ? t.slice(2) : t;
}

/**
 * Should a GET/HEAD answer 304? If-None-Match (weak comparison, "*" matches) wins over
 * If-Modified-Since, which holds when the file is not newer than the date given (RFC 9110 §13.2.2).
 */
export function notModified(headers: IncomingHttpHeaders, v: Validators): boolean {
  const inm = headers['if-none-match'];
  if (inm !== undefined) {
    const mine = opaque(v.etag);
    return inm.split(',').some((t) => t.trim() === '*' || opaque(t) === mine);
  }
  const ims = headers['if-modified-since'];
  if (ims !== undefined) {
    const since = Date.parse(ims);
    return !Number.isNaN(since) && v.mtimeSec * 1000 <= since;
  }
  return false;
}

export type RangeResult =
  /** No usable Range: answer 200 with the whole file. */
  | { kind: 'whole' }
  /** One satisfiable range: 206 with bytes start..end (inclusive). */
  | { kind: 'single'; start: number; end: number }
  /** Nothing satisfiable: 416 with Content-Range bytes *\/size. */
  | { kind: 'unsatisfiable' };

/**
 * Interpret Range (and If-Range) for a file of `size` bytes. A header that does not parse is
 * ignored (200), as RFC 9110 allows. Several satisfiable ranges answer 200 with the whole file
 * (no multipart/byteranges; nginx would send multipart). If-Range that does not match the current
 * ETag (strong comparison) or Last-Modified date means "send it all".
 */
export function rangeOf(headers: IncomingHttpHeaders, size: number, v: Validators): RangeResult {
  const header = headers.range;
  if (header === undefined) return { kind: 'whole' };
  const ifRange = headers['if-range'];
  if (ifRange !== undefined) {
    const t = String(ifRange).trim();
    const matches = t.startsWith('"') || t.startsWith('W/') ? t === v.etag : t === v.lastModified;
    if (!matches) return { kind: 'whole' };
  }
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m) return { kind: 'whole' };
  const ranges: Array<{ start: number; end: number }> = [];
  for (const part of m[1]!.split(',')) {
    const spec = part.trim();
    if (spec === '') continue;
    const r = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
    if (!r || (r[1] === '' && r[2] === '')) return { kind: 'whole' };
    if (r[1] === '') {
      const suffix = Number(r[2]);
      if (suffix > 0 && size > 0) ranges.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    const start = Number(r[1]);
    const end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1);
    if (r[2] !== '' && Number(r[2]) < start) return { kind: 'whole' };
    if (start < size) ranges.push({ start, end });
  }
  if (ranges.length === 0) return { kind: 'unsatisfiable' };
  if (ranges.length > 1) return { kind: 'whole' };
  return { kind: 'single', ...ranges[0]! };
}
