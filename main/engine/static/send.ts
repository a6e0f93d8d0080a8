// Sends one regular file: Content-Type, validators and 304, Range/416, precompressed siblings, HEAD, streaming without fd leaks.
import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { describeClientTimeout, noteCut, sendError } from '../errors.ts';
import { SendWatch } from '../send-watch.ts';
import { notModified, rangeOf, validatorsOf } from './conditional.ts';
import { acceptedCodings, type Coding } from './encoding.ts';
import { contentType, isCompressible, mediaType } from './mime.ts';
import { expiresHeaders } from './expires.ts';
import { openedInRoot, resolvePath } from './resolve.ts';
import type { Expires } from '../../../shared/units.ts';
import type { StaticSite } from '../types.ts';
import { createGzip } from 'node:zlib';

export interface FileAnswer {
  root: string;
  /** Real path of the file (already checked to be inside root). */
  real: string;
  charset: string;
  /** Cache-Control: no-cache (index.html and the SPA fallback), when no `expires` is set. */
  noCache: boolean;
  /** nginx expires (null: none; noCache decides). */
  expires: Expires | null;
  /** Precompressed siblings allowed (nginx brotli_static / gzip_static). */
  codings: readonly Coding[];
  /** nginx types over the built-in table. */
  types: Record<string, string>;
  /** nginx gzip: compress on the fly (null: off). */
  gzip: StaticSite['gzip'];
  /** Headers put on every answer (CORS, add_header). */
  extra: Array<[string, string]>;
  /** nginx send_timeout (ms; 0 = off): a client that takes none of the file for this long is cut. */
  sendTimeout: number;
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
const SIBLING: Record<Coding, string> = { br: '.br', gzip: '.gz' };

/**
 * Answer with the file: 200, 206, 304 or 416. Resolves once the body is sent or the client went away;
 * returns false (having sent nothing) when the file vanished or stopped being a regular file, so the
 * caller can answer 404.
 */
export async function sendFile(req: IncomingMessage, res: ServerResponse, a: FileAnswer): Promise<boolean> {
  const type = mediaType(a.real, a.types);
  const compressible = a.codings.length > 0 && isCompressible(type);
  let opened: Opened | null = null;
  let coding: Coding | undefined;
  if (compressible) {
    for (const c of acceptedCodings(header(req.headers['accept-encoding']))) {
      if (!a.codings.includes(c)) continue;
      const sibling = await resolvePath(a.root, a.real + SIBLING[c]);
      if (sibling.kind === 'file' && (opened = await openRegular(a.root, sibling.real))) {
        coding = c;
        break;
      }
    }
  }
  opened ??= await openRegular(a.root, a.real);
  if (!opened) return false;
  const { fh, stats } = opened;
  let handedOff = false;
  try {
    if (res.destroyed) return true;
    const v = validatorsOf(stats);
    res.setHeader('etag', v.etag);
    res.setHeader('last-modified', v.lastModified);
    if (a.expires) {
      for (const [k, val] of expiresHeaders(a.expires, 200)) res.setHeader(k, val);
    } else if (a.noCache) res.setHeader('cache-control', 'no-cache');
    // nginx gzip: no precompressed sibling was sent, the type is listed and the file long enough.
    const gz = a.gzip;
    const eligible = gz !== null && (gz.types.has(type) || gz.types.has('*')) && stats.size >= gz.minLength;
    const onTheFly = !coding && eligible && acceptedCodings(header(req.headers['accept-encoding'])).includes('gzip');
    // gzip_vary marks the answers gzip would compress for a client that accepts it.
    if (compressible || (eligible && gz.vary)) res.setHeader('vary', 'Accept-Encoding');
    if (notModified(req.headers, v)) {
      res.statusCode = 304;
      for (const [k, val] of a.extra) res.appendHeader(k, val);
      res.end();
      return true;
    }
    res.setHeader('accept-ranges', 'bytes');
    const range = onTheFly ? ({ kind: 'whole' } as const) : rangeOf(req.headers, stats.size, v);
    if (range.kind === 'unsatisfiable') {
      res.setHeader('content-range', `bytes */${stats.size}`);
      sendError(res, 416, `the requested range is outside the file (${stats.size} bytes)`, a.extra);
      return true;
    }
    const start = range.kind === 'single' ? range.start : 0;
    const end = range.kind === 'single' ? range.end : stats.size - 1;
    res.statusCode = range.kind === 'single' ? 206 : 200;
    if (range.kind === 'single') res.setHeader('content-range', `bytes ${start}-${end}/${stats.size}`);
    res.setHeader('content-type', contentType(a.real, a.charset, a.types));
    if (coding) res.setHeader('content-encoding', coding);
    if (onTheFly) {
      res.setHeader('content-encoding', 'gzip');
      res.removeHeader('accept-ranges');
    } else res.setHeader('content-length', end - start + 1);
    for (const [k, val] of a.extra) res.appendHeader(k, val);
    if (req.method === 'HEAD' || end < start) {
      res.end();
      return true;
    }
    const file = fh.createReadStream({ start, end, autoClose: true });
    const stream = onTheFly ? file.pipe(createGzip()) : file;
    if (onTheFly) file.on('error', (err) => stream.destroy(err));
    handedOff = true;
    const watch = SendWatch.for(res, a.sendTimeout, cutStalled, { res, ms: a.sendTimeout });
    if (watch) {
      // pipe() pauses the file stream when the client's socket is full, and drain resumes it.
      stream.on('pause', () => watch.waiting());
      res.on('drain', () => watch.clear());
    }
    try {
      await pipeline(stream, res);
    } catch {
      // Client went away, send_timeout, or a read error: pipeline destroyed both sides and the handle is closed.
    } finally {
      watch?.clear();
    }
    return true;
  } finally {
    if (!handedOff) await fh.close().catch(() => {});
  }
}

/** send_timeout: the client took none of the file for `ms`; the connection is closed (nginx does the same). */
function cutStalled({ res, ms }: { res: ServerResponse; ms: number }): void {
  noteCut(res, describeClientTimeout('send', ms));
  res.destroy();
}

/**
 * Open a path that must still be a regular file inside root (not swapped for a symlink, FIFO or
 * directory since it was checked, nor reached through a folder or root swapped for a symlink).
 */
interface Opened {
  fh: FileHandle;
  stats: Stats;
}

async function openRegular(root: string, path: string): Promise<Opened | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, OPEN_FLAGS);
  } catch {
    return null;
  }
  try {
    const stats = await fh.stat();
    if (stats.isFile() && (await openedInRoot(root, fh.fd, path, stats))) return { fh, stats };
  } catch {
    /* fall through */
  }
  await fh.close().catch(() => {});
  return null;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}
