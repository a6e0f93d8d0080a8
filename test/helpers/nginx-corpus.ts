// The real-world nginx corpus (test/fixtures/nginx-corpus/): fixtures, files, backends, requests and what to compare.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import WebSocket from 'ws';
import { startBackend, type Backend, type EchoBody } from './backend.ts';

export const CORPUS_DIR = new URL('../fixtures/nginx-corpus/', import.meta.url).pathname;

export interface CorpusEntry {
  name: string;
  text: string;
  source: string;
  /** Prefix the API requests go to ("/api/"). */
  api: string;
  /** Path of the WebSocket request; undefined: the config has no WebSocket location (one is tried on the API). */
  ws: string | undefined;
  extra: string[];
  /** Placeholders __PORT__, __PORT2__… the config listens on, in order. */
  ports: string[];
}

export function loadCorpus(): CorpusEntry[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.conf'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(CORPUS_DIR, file), 'utf8');
      const header = (key: string) => new RegExp(`^# ${key}: (.*)$`, 'm').exec(text)?.[1]?.trim();
      const ports = [...new Set(text.match(/__PORT\d*__/g) ?? [])].sort(
        (a, b) => Number(a.slice(6, -2) || 1) - Number(b.slice(6, -2) || 1),
      );
      return {
        name: file.replace(/\.conf$/, ''),
        text,
        source: header('source') ?? '?',
        api: header('api') ?? '/api/',
        ws: header('ws'),
        extra: (header('extra') ?? '').split(/\s+/).filter(Boolean),
        ports,
      };
    });
}

/** The fixture with its placeholders filled in. */
export function render(text: string, vars: Record<string, string | number>): string {
  return text.replace(/__[A-Z0-9]+__/g, (m) => (m.slice(2, -2) in vars ? String(vars[m.slice(2, -2)]) : m));
}

const INDEX = '<!doctype html><title>corpus app</title><div id="app"></div>\n';
const APP_JS = `console.log("corpus app: ${'x'.repeat(1200)}");\n`;

/** A built SPA with the files the corpus configs point at (root, aliases, error pages, precompressed siblings). */
export function makeDist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-corpus-'));
  const root = join(dir, 'dist');
  const files: Record<string, string | Buffer> = {
    'index.html': INDEX,
    'assets/app.js': APP_JS,
    'assets/app.js.gz': gzipSync(APP_JS),
    'assets/app.js.br': brotliCompressSync(APP_JS),
    'assets/style.css': 'body { margin: 0 }\n',
    'logo.png': Buffer.from('89504e470d0a1a0a', 'hex'),
    'favicon.ico': Buffer.from('00000100', 'hex'),
    'robots.txt': 'User-agent: *\n',
    '50x.html': '<!doctype html><title>50x</title>\n',
    '404.html': '<!doctype html><title>404</title>\n',
    'config/env.json': '{"API":"/api"}\n',
    'static/app.css': '.static { color: red }\n',
    'media/photo.png': Buffer.from('89504e470d0a1a0a00', 'hex'),
    'api/docs/redoc.html': '<!doctype html><title>redoc</title>\n',
  };
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  return root;
}

/**
 * Three echo backends. Any path containing /status/N answers N; a path ending in /redirect answers 302 to
 * an absolute URL on the backend itself (what proxy_redirect default rewrites). Every answer says which
 * backend gave it (x-which), so round robin shows.
 */
export async function startCorpusBackends(): Promise<Backend[]> {
  const out: Backend[] = [];
  for (let n = 1; n <= 3; n++) {
    const which = String(n);
    const holder: { port?: number } = {};
    const b = await startBackend({
      handler: (req, res) => {
        res.setHeader('x-which', which);
        const path = new URL(req.url!, 'http://x').pathname;
        const status = /\/status\/(\d{3})/.exec(path);
        if (status) {
          res.writeHead(Number(status[1]), { 'content-type': 'application/json', 'x-backend': 'yes' });
          res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyLength: 0 }));
          return true;
        }
        if (path.endsWith('/redirect')) {
          res.writeHead(302, { location: `http://127.0.0.1:${holder.port}/api/login?next=1` });
          res.end();
          return true;
        }
        return false;
      },
    });
    holder.port = b.port;
    out.push(b);
  }
  return out;
}

export interface CorpusRequest {
  label: string;
  method: string;
  path: string;
  /** Index into the entry's ports (0: the first server). */
  server: number;
  headers?: Record<string, string>;
  body?: string;
  ws?: boolean;
}

const ORIGIN = 'http://app.test';

/** The requests every config gets: files, SPA paths, API, CORS, errors, redirects, a WebSocket, the other servers. */
export function corpusRequests(e: CorpusEntry): CorpusRequest[] {
  const api = e.api.endsWith('/') ? e.api : `${e.api}/`;
  const list: CorpusRequest[] = [
    { label: 'index', method: 'GET', path: '/', server: 0 },
    { label: 'index.html', method: 'GET', path: '/index.html', server: 0 },
    { label: 'asset js', method: 'GET', path: '/assets/app.js', server: 0 },
    { label: 'asset css', method: 'GET', path: '/assets/style.css', server: 0 },
    { label: 'deep SPA path', method: 'GET', path: '/settings/profile?tab=2', server: 0 },
    { label: 'missing asset', method: 'GET', path: '/assets/missing.js', server: 0 },
    { label: 'dir without slash', method: 'GET', path: '/assets', server: 0 },
    { label: 'POST to a page', method: 'POST', path: '/settings', server: 0, body: 'a=1' },
    { label: 'API GET', method: 'GET', path: `${api}users?id=7`, server: 0, headers: { origin: ORIGIN } },
    {
      label: 'API POST',
      method: 'POST',
      path: `${api}items`,
      server: 0,
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: '{"name":"x"}',
    },
    {
      label: 'CORS preflight',
      method: 'OPTIONS',
      path: `${api}items`,
      server: 0,
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type,x-token',
      },
    },
    { label: 'API error', method: 'GET', path: `${api}status/500`, server: 0, headers: { origin: ORIGIN } },
    { label: 'API redirect', method: 'GET', path: `${api}redirect`, server: 0 },
    { label: 'WebSocket', method: 'GET', path: e.ws ?? `${api}ws`, server: 0, ws: true },
  ];
  for (const path of e.extra) list.push({ label: `extra ${path}`, method: 'GET', path, server: 0 });
  for (let s = 1; s < e.ports.length; s++) {
    list.push({ label: `server ${s + 1} /`, method: 'GET', path: '/', server: s });
    list.push({ label: `server ${s + 1} deep path`, method: 'GET', path: '/settings/profile', server: s });
  }
  return list;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** WebSocket: the backend's whoami answer after the upgrade. */
  ws?: { url: string; headers: Record<string, string> };
}

/** One request on a fresh connection, the body decoded (gzip/br) so contents compare. */
export function send(port: number, r: CorpusRequest): Promise<Answer> {
  if (r.ws) return wsProbe(port, r.path);
  return new Promise((resolve) => {
    const headers: Record<string, string> = {
      host: `localhost:${port}`,
      'accept-encoding': 'gzip, br',
      'user-agent': 'Mozilla/5.0 corpus',
      ...r.headers,
    };
    if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
    const req = request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let buf = Buffer.concat(chunks);
        try {
          if (res.headers['content-encoding'] === 'gzip') buf = gunzipSync(buf);
          if (res.headers['content-encoding'] === 'br') buf = brotliDecompressSync(buf);
        } catch {
          /* compared as is */
        }
        resolve({ status: res.statusCode!, headers: res.headers, body: buf.toString('utf8') });
      });
      res.on('error', () => resolve({ status: -1, headers: {}, body: 'response error' }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', (err) =>
      resolve({
        status: -1,
        headers: {},
        body: `request failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`,
      }),
    );
    req.end(r.body);
  });
}

function wsProbe(port: number, path: string): Promise<Answer> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, {
      headers: { origin: `http://localhost:${port}` },
      handshakeTimeout: 5000,
    });
    let done = false;
    const finish = (a: Answer) => {
      if (done) return;
      done = true;
      ws.terminate();
      resolve(a);
    };
    ws.on('upgrade', (res) => {
      ws.once('open', () => {
        ws.send('whoami');
        ws.once('message', (d) => {
          const info = JSON.parse(d.toString()) as { url: string; headers: Record<string, string> };
          finish({ status: 101, headers: res.headers, body: '', ws: info });
        });
      });
    });
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        finish({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    ws.on('error', (err) => finish({ status: -1, headers: {}, body: `websocket failed: ${err.message}` }));
  });
}

const COMPARED_HEADERS = ['content-type', 'location', 'cache-control', 'vary', 'content-encoding'];
const BACKEND_HEADERS = [
  'host',
  'x-real-ip',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'origin',
];

/** Header names a fixture sets itself (add_header, proxy_set_header), compared too. */
export function namedHeaders(text: string): { response: string[]; request: string[] } {
  const names = (directive: string) =>
    [...text.matchAll(new RegExp(`^\\s*${directive}\\s+['"]?([A-Za-z0-9_-]+)`, 'gm'))].map((m) => m[1]!.toLowerCase());
  return {
    response: [...new Set(names('add_header'))].filter(
      (n) => n !== 'content-length' && !n.startsWith('access-control-'),
    ),
    request: [...new Set(names('proxy_set_header'))].filter((n) => !['connection', 'upgrade'].includes(n)),
  };
}

const isNginxErrorPage = (body: string) => /<hr><center>nginx/.test(body);

/**
 * What a user (and a browser) can tell apart, with each side's own port numbers replaced by names so that
 * the two sides compare. `ports` maps a port number to its placeholder name.
 */
export function view(
  a: Answer,
  ports: Map<number, string>,
  named: { response: string[]; request: string[] },
  self: string,
  r: CorpusRequest,
): Record<string, unknown> {
  const norm = (v: unknown): unknown => {
    if (typeof v !== 'string') return Array.isArray(v) ? v.map(norm) : v;
    return v.replace(/(localhost|127\.0\.0\.1):(\d+)/g, (m, host: string, port: string) => {
      const name = ports.get(Number(port));
      return name ? `${host}:${name}` : m;
    });
  };
  const out: Record<string, unknown> = { status: a.status };
  for (const h of new Set([...COMPARED_HEADERS, ...named.response])) {
    const v = a.headers[h];
    if (v !== undefined) out[h] = norm(Array.isArray(v) ? v.join(', ') : v);
  }
  // A relative Location and nginx's absolute one lead the browser to the same place.
  if (typeof out.location === 'string' && out.location.startsWith('/'))
    out.location = `http://localhost:${self}${out.location}`;
  if (a.headers.expires !== undefined) out.expires = 'set';
  // CORS as a browser reads it: does it allow this origin (with credentials), and for a preflight what it grants.
  const origin = r.headers?.origin;
  const acao = a.headers['access-control-allow-origin'];
  if (origin && a.status > 0) {
    const allows = acao === '*' || acao === origin;
    const cors: Record<string, unknown> = { allows };
    if (allows && a.headers['access-control-allow-credentials'] === 'true') cors.credentials = true;
    if (allows && r.method === 'OPTIONS') {
      cors.methods = a.headers['access-control-allow-methods'];
      cors.headers = a.headers['access-control-allow-headers'];
      cors.maxAge = a.headers['access-control-max-age'];
    }
    out.cors = cors;
  }
  if (a.headers['x-which'] !== undefined) out.backend = `#${a.headers['x-which']}`;
  const echo =
    a.ws ?? (a.headers['x-backend'] === 'yes' && /^\{/.test(a.body) ? (JSON.parse(a.body) as EchoBody) : undefined);
  if (echo) {
    const seen: Record<string, unknown> = { url: echo.url };
    if ('method' in echo) seen.method = echo.method;
    if ('bodyLength' in echo) seen.bodyLength = echo.bodyLength;
    for (const h of new Set([...BACKEND_HEADERS, ...named.request])) {
      const v = echo.headers[h];
      if (v !== undefined) seen[h] = norm(v);
    }
    if (!a.ws) seen.upgrade = echo.headers.upgrade;
    out.received = seen;
  } else if (a.status >= 400 && (isNginxErrorPage(a.body) || /\(Loopgate\)\n$/.test(a.body))) {
    // Each server's own error page (nginx's HTML, Loopgate's text naming the cause): the status is what counts.
    out.body = '(server error page)';
    delete out['content-type'];
  } else if (a.status < 300 || a.status >= 400) {
    out.body = norm(a.body);
  }
  return out;
}

/** The keys whose values differ between two views ("status", "received.host", ...). */
export function differences(expected: Record<string, unknown>, actual: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    const e = expected[k];
    const a = actual[k];
    if (e && a && typeof e === 'object' && typeof a === 'object')
      out.push(...differences(e as Record<string, unknown>, a as Record<string, unknown>, `${prefix}${k}.`));
    else if (JSON.stringify(e) !== JSON.stringify(a)) out.push(`${prefix}${k}`);
  }
  return out;
}
