// The app:// protocol: serves dist/renderer under a strict CSP, confined to that folder (no file://).
import { readFile as readFileCb, realpath as realpathCb, stat as statCb } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { promisify } from 'node:util';
import { APP_HOST, APP_SCHEME } from './app-origin.ts';
import { UI_TYPES } from '../../control/static.ts';

/** Privileges for protocol.registerSchemesAsPrivileged (before app ready): a secure standard origin. */
export const APP_SCHEME_PRIVILEGES = {
  scheme: APP_SCHEME,
  privileges: {
    standard: true,
    secure: true,
    supportFetchAPI: true,
    codeCache: true,
    corsEnabled: false,
    bypassCSP: false,
    allowServiceWorkers: false,
    stream: false,
  },
};

/** No inline script or style, nothing from elsewhere, no network: the UI talks to the main process over IPC. */
export const APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// The callback forms: Electron's asar support patches them for sure (files inside app.asar).
const readFile = promisify(readFileCb);
const realpath = promisify(realpathCb);
const stat = promisify(statCb);

export type AppFile =
  | { ok: true; file: string }
  | { ok: false; status: 400 | 403 | 404; code: string; message: string };

/**
 * Map an app:// URL to a file inside `root`. Refused: another scheme or host, undecodable or NUL
 * paths, any ".." or backslash segment after decoding, and anything whose real path (symlinks
 * followed) lies outside root's real path. "/" and folders give their index.html; a path without an
 * extension that names nothing gives /index.html (the UI routes with the History API).
 */
export async function resolveAppFile(root: string, url: string): Promise<AppFile> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, status: 400, code: 'BAD_URL', message: `not a URL: ${url}` };
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host.toLowerCase() !== APP_HOST) {
    return { ok: false, status: 403, code: 'FOREIGN_ORIGIN', message: `only ${APP_SCHEME}://${APP_HOST}/ is served` };
  }
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return { ok: false, status: 400, code: 'BAD_PATH', message: 'the path is not valid percent-encoded UTF-8' };
  }
  if (rel.includes('\0') || rel.includes('\\') || rel.split('/').includes('..')) {
    return { ok: false, status: 403, code: 'OUTSIDE_ROOT', message: 'the path leaves the UI folder' };
  }
  const realRoot = await realpath(root).catch(() => null);
  if (!realRoot)
    return {
      ok: false,
      status: 404,
      code: 'NO_UI',
      message: `the UI is not built (${root} is missing): run npm run build`,
    };
  const found = await inside(realRoot, rel === '/' || rel === '' ? '/index.html' : rel);
  if (found.ok || found.status === 403) return found;
  if (extname(rel) === '') {
    const index = await inside(realRoot, '/index.html');
    if (index.ok) return index;
  }
  return found;
}

async function inside(realRoot: string, rel: string, depth = 0): Promise<AppFile> {
  let real: string;
  try {
    real = await realpath(join(realRoot, rel));
  } catch {
    return { ok: false, status: 404, code: 'NOT_FOUND', message: `${rel} is not part of the UI` };
  }
  if (real !== realRoot && !real.startsWith(realRoot + sep)) {
    return { ok: false, status: 403, code: 'OUTSIDE_ROOT', message: 'the path leaves the UI folder' };
  }
  const s = await stat(real);
  if (s.isDirectory() && depth === 0) return inside(realRoot, join(rel, 'index.html'), 1);
  if (!s.isFile()) return { ok: false, status: 404, code: 'NOT_FOUND', message: `${rel} is not a file` };
  return { ok: true, file: real };
}

/** Headers of every app:// answer, errors included. */
export function appHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'content-security-policy': APP_CSP,
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
}

/** The handler for protocol.handle('app', …): GET/HEAD of files under root, anything else refused. */
export function createAppProtocolHandler(root: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('method not allowed\n', {
        status: 405,
        headers: { ...appHeaders('text/plain; charset=utf-8'), allow: 'GET, HEAD' },
      });
    }
    const found = await resolveAppFile(root, request.url);
    if (!found.ok) {
      return new Response(`${found.code}: ${found.message}\n`, {
        status: found.status,
        headers: appHeaders('text/plain; charset=utf-8'),
      });
    }
    let body: Buffer;
    try {
      body = await readFile(found.file);
    } catch {
      return new Response('NOT_FOUND: the file could not be read\n', {
        status: 404,
        headers: appHeaders('text/plain; charset=utf-8'),
      });
    }
    const type = UI_TYPES[extname(found.file).toLowerCase()] ?? 'application/octet-stream';
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: { ...appHeaders(type), 'content-length': String(body.length) },
    });
  };
}
