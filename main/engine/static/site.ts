// The static site (nginx root/index/try_files/autoindex): decides what a request for the site's folder gets.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from '../errors.ts';
import { readListing, renderListing } from './autoindex.ts';
import { sendFile } from './send.ts';
import { checkPath, resolveInRoot, rootExists, type SafePath } from './resolve.ts';
import { tryFiles } from './try-files.ts';
import type { StaticSite } from '../types.ts';

type Extra = Array<[string, string]>;

/** Answer a request from the site's folder. `path` is already percent-decoded and normalized (no "..",
 *  starts with "/"); `rawPath` is the undecoded path as the client sent it. Always answers (200/206/304/
 *  404/405/416...). `extraHeaders` (CORS) go on EVERY answer, errors included; the site's own addHeaders
 *  (nginx add_header) on 2xx/3xx answers only. */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  site: StaticSite,
  path: string,
  extraHeaders: Array<[string, string]>,
  /** nginx's internal redirect of a try_files fallback URI: another location may take it (false: not taken). */
  redirect?: (path: string) => boolean,
): Promise<void> {
  // nginx add_header (without always) goes on 2xx/3xx answers; errors carry only the caller's (CORS).
  const extra = mergeHeaders(site.addHeaders, extraHeaders);
  req.resume(); // a body on GET/HEAD (or on a refused POST) is read and dropped so keep-alive keeps working
  if (site.tryFiles) {
    // nginx try_files: the probes decide which path is served (then the plain way, without the SPA guess).
    const tried = await tryFiles(site.root, site.tryFiles, path);
    if (tried.kind === 'status')
      return sendError(res, tried.status, `${path}: try_files answers ${tried.status}`, extraHeaders);
    if (tried.fallback && redirect?.(tried.path)) return;
    return serveStatic(req, res, { ...site, tryFiles: undefined, spa: false }, tried.path, extraHeaders);
  }
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    // nginx's static module: methods but GET, HEAD and POST are 405 at once; a POST to a missing file is 404.
    const asked = checkPath(path);
    const there = asked ? (await resolveInRoot(site.root, asked.segments)).kind !== 'missing' : false;
    if (method === 'POST' && !there && !site.spa) return notFound(res, site, path, extraHeaders);
    res.setHeader('allow', 'GET, HEAD');
    return sendError(
      res,
      405,
      `${method} is not allowed on static files (only GET and HEAD); is a route for ${path} missing?`,
      extraHeaders,
    );
  }
  const safe = checkPath(path);
  if (!safe)
    return sendError(
      res,
      404,
      `${JSON.stringify(path)} is refused: dotfiles and paths with "..", "\\" or NUL are never served`,
      extraHeaders,
    );

  const hit = await resolveInRoot(site.root, safe.segments);
  if (hit.kind === 'outside') {
    return sendError(
      res,
      404,
      `${path} resolves (through a symlink) outside the root folder, so it is not served`,
      extraHeaders,
    );
  }
  if (hit.kind === 'file' && !safe.trailingSlash) {
    const sent = await sendFile(req, res, {
      root: site.root,
      real: hit.real,
      charset: site.charset,
      expires: site.expires,
      codings: site.codings,
      types: site.types,
      gzip: site.gzip,
      noCache: isIndexName(site, safe),
      extra,
      sendTimeout: site.sendTimeout,
    });
    if (sent) return;
  } else if (hit.kind === 'dir') {
    if (!safe.trailingSlash) return redirectToSlash(req, res, safe, extra);
    for (const name of site.index) {
      const index = checkPath(`/${name}`);
      if (!index) continue;
      const found = await resolveInRoot(site.root, [...safe.segments, ...index.segments]);
      if (found.kind !== 'file') continue;
      const sent = await sendFile(req, res, {
        root: site.root,
        real: found.real,
        charset: site.charset,
        expires: site.expires,
        codings: site.codings,
        types: site.types,
        gzip: site.gzip,
        noCache: true,
        extra,
        sendTimeout: site.sendTimeout,
      });
      if (sent) return;
    }
    if (site.autoindex) return sendListing(req, res, site, hit.real, safe, extra);
    if (site.spa) return fallback(req, res, site, path, extra);
    return sendError(
      res,
      403,
      `${path} is a folder without ${site.index.join(' or ')}: add one, or turn on "autoindex" for a listing`,
      extraHeaders,
    );
  }
  if (site.spa && isNavigation(req, safe)) return fallback(req, res, site, path, extra);
  return notFound(res, site, path, extraHeaders);
}

/** SPA history fallback (try_files ... /index.html): the root's index file, 200, never cached. */
async function fallback(
  req: IncomingMessage,
  res: ServerResponse,
  site: StaticSite,
  path: string,
  extra: Extra,
): Promise<void> {
  for (const name of site.index) {
    const index = checkPath(`/${name}`);
    if (!index) continue;
    const found = await resolveInRoot(site.root, index.segments);
    if (found.kind !== 'file') continue;
    if (
      await sendFile(req, res, {
        root: site.root,
        real: found.real,
        charset: site.charset,
        expires: site.expires,
        codings: site.codings,
        types: site.types,
        gzip: site.gzip,
        noCache: true,
        extra,
        sendTimeout: site.sendTimeout,
      })
    )
      return;
  }
  if (!(await rootExists(site.root))) return rootMissing(res, site, extra);
  return sendError(
    res,
    404,
    `${path} not found, and the SPA fallback has no ${site.index.join(' or ')} in ${site.root}`,
    extra,
  );
}

async function notFound(res: ServerResponse, site: StaticSite, path: string, extra: Extra): Promise<void> {
  if (!(await rootExists(site.root))) return rootMissing(res, site, extra);
  return sendError(res, 404, `${path} not found in ${site.root}`, extra);
}

function rootMissing(res: ServerResponse, site: StaticSite, extra: Extra): void {
  sendError(
    res,
    404,
    `the root folder ${site.root} does not exist: build your app first, or fix "root" in loopgate.json`,
    extra,
  );
}

/**
 * Does this look like a page navigation (so the SPA fallback applies)? Accept mentions text/html,
 * or the last path segment has no extension. A missing /x.js or /img/a.png fetched as an asset 404s.
 */
export function isNavigation(req: IncomingMessage, safe: SafePath): boolean {
  const accept = req.headers.accept;
  if (accept?.toLowerCase().includes('text/html')) return true;
  const last = safe.trailingSlash ? '' : (safe.segments[safe.segments.length - 1] ?? '');
  return !last.includes('.');
}

function isIndexName(site: StaticSite, safe: SafePath): boolean {
  const last = safe.segments[safe.segments.length - 1];
  return last !== undefined && (last === 'index.html' || site.index.includes(last));
}

/** A folder asked for without its trailing slash: 301 to path + "/" (query kept), like nginx. */
function redirectToSlash(req: IncomingMessage, res: ServerResponse, safe: SafePath, extra: Extra): void {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  // Built from the checked segments, never from the raw URL: "//evil.example/x" must not become an open redirect.
  const location = '/' + safe.segments.map(encodeSegment).join('/') + '/' + (q < 0 ? '' : url.slice(q));
  const body = `<!doctype html><title>301 Moved Permanently</title><a href="${location.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)}">Moved here</a>\n`;
  res.statusCode = 301;
  res.setHeader('location', location);
  // nginx's own 301 page carries no charset, whatever `charset` says.
  res.setHeader('content-type', 'text/html');
  res.setHeader('content-length', Buffer.byteLength(body));
  for (const [k, v] of extra) res.appendHeader(k, v);
  res.end(req.method === 'HEAD' ? undefined : body);
}

function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/%(?:40|3A|2C|3B|3D|2B|24|26)/g, (m) => decodeURIComponent(m));
}

async function sendListing(
  req: IncomingMessage,
  res: ServerResponse,
  site: StaticSite,
  dir: string,
  safe: SafePath,
  extra: Extra,
): Promise<void> {
  let html: string;
  try {
    const urlPath = '/' + safe.segments.map((s) => s + '/').join('');
    html = renderListing(urlPath, await readListing(site.root, dir));
  } catch (err) {
    return sendError(res, 403, `cannot list ${dir}: ${(err as Error).message}`, extra);
  }
  res.statusCode = 200;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(html));
  res.setHeader('cache-control', 'no-cache');
  for (const [k, v] of extra) res.appendHeader(k, v);
  res.end(req.method === 'HEAD' ? undefined : html);
}

/** The site's own add_header list plus the caller's, without exact duplicates (the caller may already include them). */
function mergeHeaders(a: Extra, b: Extra): Extra {
  if (a.length === 0) return b;
  const seen = new Set(b.map(([k, v]) => `${k.toLowerCase()}\n${v}`));
  return [...a.filter(([k, v]) => !seen.has(`${k.toLowerCase()}\n${v}`)), ...b];
}
