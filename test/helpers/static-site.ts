// A static site tree for tests (root next to a secret file, escaping symlinks), a server calling serveStatic, raw requests.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { normalizePath } from '../../main/engine/router.ts';
import { serveStatic } from '../../main/engine/static/site.ts';
import type { StaticSite } from '../../main/engine/types.ts';
import { close, listen } from './net.ts';

export interface SiteTree {
  /** Folder holding root, the secret and a sibling folder whose name starts like the root's. */
  base: string;
  /** Real path of the served folder. */
  root: string;
  /** Text of a file next to root that must never be served. */
  secret: string;
  /** Contents of some files, by URL path. */
  files: Record<string, string | Buffer>;
  cleanup(): void;
}

/** Write `files` (URL path → content) under root; add `symlinks` (URL path → link target) when asked. */
export function makeSiteTree(files: Record<string, string | Buffer>, symlinks: Record<string, string> = {}): SiteTree {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'loopgate-static-')));
  const root = join(base, 'site');
  const secret = `TOP-SECRET-${Math.random().toString(36).slice(2)}`;
  mkdirSync(root);
  writeFileSync(join(base, 'secret.txt'), secret);
  mkdirSync(join(base, 'site-evil'));
  writeFileSync(join(base, 'site-evil', 'secret.txt'), secret);
  for (const [p, content] of Object.entries(files)) {
    const full = join(root, ...p.split('/').filter(Boolean));
    mkdirSync(join(full, '..'), { recursive: true });
    if (p.endsWith('/')) mkdirSync(full, { recursive: true });
    else writeFileSync(full, content);
  }
  for (const [p, target] of Object.entries(symlinks)) symlinkSync(target, join(root, ...p.split('/').filter(Boolean)));
  return { base, root, secret, files, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

export function siteOf(root: string, over: Partial<StaticSite> = {}): StaticSite {
  return {
    root,
    index: ['index.html'],
    spa: true,
    autoindex: false,
    charset: 'utf-8',
    codings: ['br', 'gzip'],
    expires: null,
    gzip: null,
    types: {},
    addHeaders: [],
    sendTimeout: 60_000,
    ...over,
  };
}

/**
 * How the test server turns the raw path into serveStatic's `path`: "router" is what the engine does
 * (the router's normalizePath; null → 400); "decode" only percent-decodes (so ".." segments reach
 * serveStatic, which must refuse them itself); "normalize" decodes and resolves dot segments lexically.
 */
export type PathMode = 'router' | 'decode' | 'normalize';

export interface StaticServer {
  port: number;
  server: Server;
  /** Swap the site (and extra headers) used for the next requests. */
  set(site: StaticSite, extra?: Array<[string, string]>): void;
  close(): Promise<void>;
}

function toPath(rawPath: string, mode: PathMode): string | null {
  if (mode === 'router') return normalizePath(rawPath);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  return mode === 'normalize' ? posix.normalize(path) : path;
}

export async function startStaticServer(
  site: StaticSite,
  mode: PathMode = 'router',
  extra: Array<[string, string]> = [],
): Promise<StaticServer> {
  let current = { site, extra };
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = toPath(q < 0 ? url : url.slice(0, q), mode);
    if (path === null) {
      res.writeHead(400).end('bad path');
      return;
    }
    serveStatic(req, res, current.site, path, current.extra).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500).end(`static threw: ${err.message}`);
      else res.destroy();
    });
  });
  const port = await listen(server);
  return {
    port,
    server,
    set: (s, e = []) => void (current = { site: s, extra: e }),
    close: () => close(server),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/** A request with a literal path (fetch would normalize it). */
export function raw(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body: buf, text: buf.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
