// Serves the built UI (uiDir) under a strict Content-Security-Policy; unknown paths get index.html (SPA).
import { readFile, realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';

/** Content types of the UI bundle's files (also used by the Electron app:// protocol). */
export const UI_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * No inline script or style, nothing from elsewhere; the event stream may connect back to us only.
 * CSP host sources cannot name an IPv6 literal (Chromium rejects `ws://[::1]:PORT` as an invalid
 * source and logs an error), so [::1] is not listed: there 'self' covers the page's own ws:// origin
 * (CSP Level 3, as Chromium and Firefox implement it). The names listed are for browsers without that.
 */
export function contentSecurityPolicy(port: number): string {
  const ws = ['127.0.0.1', 'localhost'].map((h) => `ws://${h}:${port}`).join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${ws}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(res: ServerResponse, port: number): void {
  res.setHeader('content-security-policy', contentSecurityPolicy(port));
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cross-origin-resource-policy', 'same-origin');
}

/**
 * Answer a GET for `pathname` from uiDir. Files must resolve inside uiDir (no "..", no symlinks out).
 * Returns false when there is nothing to serve (the caller answers 404).
 */
export async function serveUi(
  res: ServerResponse,
  uiDir: string,
  pathname: string,
  port: number,
  head: boolean,
): Promise<boolean> {
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return false;
  }
  if (rel.includes('\0') || rel.split('/').includes('..')) return false;
  const root = await realpath(uiDir).catch(() => null);
  if (!root) return false;
  let file = await resolveInside(root, rel === '/' ? '/index.html' : rel);
  // SPA: a path that looks like a page (no extension) falls back to index.html.
  if (!file && extname(rel) === '') file = await resolveInside(root, '/index.html');
  if (!file && rel === '/favicon.ico') return sendFavicon(res, port, head);
  if (!file) return false;
  const body = await readFile(file);
  securityHeaders(res, port);
  res.statusCode = 200;
  res.setHeader('content-type', UI_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream');
  res.setHeader('content-length', body.length);
  res.setHeader('cache-control', file.endsWith('.html') ? 'no-store' : 'no-cache');
  res.end(head ? undefined : body);
  return true;
}

/** Loopgate's mark (a gate over a loop), answered for /favicon.ico so the browser logs no 404. */
const FAVICON = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f6feb"/>' +
    '<path d="M9 24V12a7 7 0 0 1 14 0v12" fill="none" stroke="#fff" stroke-width="3"/>' +
    '<path d="M6 24h20" stroke="#fff" stroke-width="3"/></svg>',
);

function sendFavicon(res: ServerResponse, port: number, head: boolean): true {
  securityHeaders(res, port);
  res.statusCode = 200;
  res.setHeader('content-type', 'image/svg+xml');
  res.setHeader('content-length', FAVICON.length);
  res.setHeader('cache-control', 'max-age=86400');
  res.end(head ? undefined : FAVICON);
  return true;
}

async function resolveInside(root: string, rel: string): Promise<string | null> {
  try {
    const real = await realpath(join(root, rel));
    if (real !== root && !real.startsWith(root + sep)) return null;
    const s = await stat(real);
    if (s.isDirectory()) return resolveInside(root, join(rel, 'index.html'));
    return s.isFile() ? real : null;
  } catch {
    return null;
  }
}
