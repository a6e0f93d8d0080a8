// UI test harness: builds the renderer bundle into a temp folder, launches Debian's Chromium, serves a folder.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { close, listen } from './net.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
const root = new URL('../../', import.meta.url).pathname;

/** The renderer bundle as build/build.mjs makes it, into a fresh temp folder (no race with dist/). */
export async function buildRenderer(): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-ui-'));
  await build({
    entryPoints: [join(root, 'renderer/main.tsx')],
    outfile: join(dir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'renderer', f), join(dir, f));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
};

/** Serve a folder on 127.0.0.1 (the bundle with a fake bridge, for the benchmark and screenshots). */
export async function serveFolder(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://x').pathname).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, close: () => close(server) };
}

/**
 * Runs in the page before the app: window.loopgate with one closed session (id 2, /ws/ticker) of `n`
 * frames — JSON text, every thousandth binary — and one HTTP request; window.emit(batch) pushes events.
 */
export function installFakeBridge(n: number): void {
  const now = Date.now();
  const frames: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const send = i % 2 === 0;
    const time = (now - (n - i) * 3) / 1000;
    if (i % 1000 === 999) {
      // Every thousandth message is binary: 4 bytes, base64.
      frames[i] = {
        session: 2,
        seq: i + 1,
        type: 'receive',
        time,
        opcode: 2,
        data: 'AAEC/w==',
        encoding: 'base64',
        length: 4,
        wireLength: 6,
        fragments: 1,
      };
      continue;
    }
    const data = JSON.stringify({
      type: send ? 'subscribe' : 'tick',
      id: i,
      topic: `ticker.${i % 50}`,
      price: ((i * 7919) % 100_000) / 100,
    });
    frames[i] = {
      session: 2,
      seq: i + 1,
      type: send ? 'send' : 'receive',
      time,
      opcode: 1,
      data,
      encoding: 'text',
      length: data.length,
      wireLength: data.length + 6,
      fragments: 1,
    };
  }
  const headers = { host: '127.0.0.1:8080', upgrade: 'websocket' };
  const counts = { framesToBackend: n / 2, framesToClient: n / 2, bytesToBackend: n * 40, bytesToClient: n * 40 };
  const session = {
    kind: 'ws',
    id: 2,
    startedAt: now - n * 3,
    url: '/ws/ticker',
    host: '127.0.0.1:8080',
    clientAddress: '127.0.0.1',
    route: '/ws',
    target: 'ws://127.0.0.1:9000/ws/ticker',
    state: 'closed',
    requestHeaders: headers,
    status: 101,
    responseHeaders: {},
    openedAt: now - n * 3,
    closedAt: now,
    closeCode: 1000,
    closedBy: 'client',
    counts,
  };
  const http = {
    kind: 'http',
    id: 1,
    startedAt: now - n * 3 - 50,
    method: 'GET',
    url: '/',
    host: '127.0.0.1:8080',
    clientAddress: '127.0.0.1',
    handler: 'static',
    status: 200,
    timings: { headers: 1, end: 2 },
    bytesIn: 0,
    bytesOut: 512,
    requestHeaders: headers,
    done: true,
  };
  const ok = async () => ({ ok: true });
  (window as unknown as { loopgate: unknown }).loopgate = {
    status: async () => ({
      running: true,
      siteUrl: 'http://127.0.0.1:8080',
      controlUrl: null,
      version: 1,
      activeProfile: null,
      profiles: [],
      lastError: null,
    }),
    getConfig: async () => ({
      config: { routes: [{ match: '/ws', target: 'ws://127.0.0.1:9000' }] },
      version: 1,
      source: { origin: { kind: 'file', file: '/p/loopgate.json' }, file: '/p/loopgate.json', commandLine: [] },
      refusedEdit: null,
    }),
    putConfig: async (config: unknown) => ({ ok: true, config, version: 2, saved: true }),
    setProfile: async () => ({ ok: false, errors: [] }),
    listRequests: async () => ({ items: [http, session], total: 2, more: false }),
    listSessions: async () => ({ items: [session], total: 1, more: false }),
    getSession: async () => ({ session, framesKept: n, firstSeq: 1, lastSeq: n, framesEvicted: 0 }),
    frames: async (_id: number, q: { after?: number; limit?: number } = {}) => {
      const after = q.after ?? 0;
      const limit = q.limit ?? 1000;
      return {
        frames: frames.slice(after, after + limit),
        more: after + limit < n,
        framesEvicted: 0,
        firstSeq: 1,
        lastSeq: n,
      };
    },
    send: ok,
    close: ok,
    exportHar: async () => ({
      log: { version: '1.2', creator: { name: 'fake', version: '0' }, pages: [], entries: [] },
    }),
    importHar: async () => ({ ok: false, code: 'NO', message: 'fake' }),
    clear: async () => {},
    // Tests push events with window.emit(batch).
    subscribe: (fn: (batch: unknown[]) => void) => {
      (window as unknown as { emit: typeof fn }).emit = fn;
      return () => {};
    },
  };
}

/** A 1280x800 page of the UI at `url` with the fake bridge holding `frames` frames, its session row shown. */
export async function openWithFakeBridge(browser: Browser, url: string, frames: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // tsx keeps function names with a __name() helper; functions sent to the page need it there too.
  await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  await page.addInitScript(installFakeBridge, frames);
  await page.goto(url);
  await page.locator('.log-body .vrow', { hasText: '/ws/ticker' }).waitFor();
  return page;
}
