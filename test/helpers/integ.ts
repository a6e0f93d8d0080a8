// Integration-test fixtures: a whole Runtime on a temp loopgate.json, Chromium with *.test names, small real servers.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ConfigInput } from '../../shared/config.ts';
import { Runtime } from '../../main/runtime.ts';
import { close, listen, waitFor } from './net.ts';
import { CHROMIUM } from './ui-harness.ts';
import { selfSigned } from './tls-cert.ts';

export interface Loopgate {
  rt: Runtime;
  dir: string;
  file: string;
  /** The site's current port (changes when listen.port is changed at run time). */
  port(): number;
  /** A control API call with the token; JSON body in, parsed JSON out. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** PUT /api/config; throws unless it is accepted. */
  put(config: ConfigInput): Promise<void>;
  /** loopgate.json as it is on disk now. */
  onDisk(): any;
  stop(): Promise<void>;
}

/**
 * Start a Runtime on a fresh temp folder holding loopgate.json = `config` (listen port 0 unless
 * given). `files` are written into the folder first (for a root), relative to it.
 */
export async function startLoopgate(
  config: ConfigInput,
  opts: { files?: Record<string, string>; watch?: boolean } = {},
): Promise<Loopgate> {
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-integ-'));
  for (const [name, text] of Object.entries(opts.files ?? {})) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  const file = join(dir, 'loopgate.json');
  writeFileSync(file, `${JSON.stringify({ listen: { host: '127.0.0.1', port: 0 }, ...config }, null, 2)}\n`);
  const rt = await Runtime.start({ configFile: file, watch: opts.watch ?? false, control: { port: 0 } });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${rt.controlUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${rt.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json };
  };
  return {
    rt,
    dir,
    file,
    port: () => rt.engine.port!,
    api,
    async put(next) {
      const r = await api('PUT', '/api/config', next);
      if (r.status !== 200) throw new Error(`PUT /api/config refused: ${r.status} ${JSON.stringify(r.json)}`);
    },
    onDisk: () => JSON.parse(readFileSync(file, 'utf8')),
    async stop() {
      await rt.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Chromium where every *.test name resolves to 127.0.0.1 (pages on origins that are not loopback names). */
export async function launchWithTestHosts(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP *.test 127.0.0.1',
    ],
  });
}

/** A tiny page server on 127.0.0.1: every path answers `html`. */
export async function servePage(html: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  });
  const port = await listen(server);
  return { port, close: () => close(server) };
}

export interface WsMessage {
  data: Buffer;
  binary: boolean;
}

export interface DeflateBackend {
  port: number;
  url: string;
  /** Messages each server-side socket received, in order. */
  received: WsMessage[];
  sockets: WebSocket[];
  /** Close events seen by server-side sockets. */
  closes: Array<{ code: number; reason: string }>;
  close(): Promise<void>;
}

/** A WebSocket echo backend that accepts permessage-deflate (compresses every message it sends). */
export async function startDeflateBackend(): Promise<DeflateBackend> {
  const server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, perMessageDeflate: { threshold: 0 } });
  const received: WsMessage[] = [];
  const sockets: WebSocket[] = [];
  const closes: Array<{ code: number; reason: string }> = [];
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (data, binary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      received.push({ data: buf, binary });
      ws.send(buf, { binary });
    });
    ws.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
    ws.on('error', () => {});
  });
  const port = await listen(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    received,
    sockets,
    closes,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await close(server);
    },
  };
}

export interface HttpsBackend {
  port: number;
  /** https://HOST:PORT */
  origin: string;
  seen: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }>;
  close(): Promise<void>;
}

/** An HTTPS backend with a self-signed certificate on `host` (a loopback address); `handler` answers. */
export async function startHttpsBackend(
  host: string,
  handler: (req: IncomingMessage, res: ServerResponse, origin: string) => void,
): Promise<HttpsBackend> {
  const { key, cert } = selfSigned(['localhost']);
  const seen: HttpsBackend['seen'] = [];
  let origin = '';
  const server: HttpsServer = createHttpsServer({ key, cert }, (req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    req.resume();
    req.on('end', () => handler(req, res, origin));
  });
  const port = await listen(server, host);
  origin = `https://${host}:${port}`;
  return { port, origin, seen, close: () => close(server) };
}

export interface RawAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: string;
}

/** One request on a fresh connection (no keep-alive pool), headers exactly as given. */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { connection: 'close', ...headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** How many times a header (any case) appears in a raw header list. */
export function headerCount(raw: string[], name: string): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) n++;
  return n;
}

/** waitFor with a non-null result type: poll until fn gives a value (not null, undefined, false, 0, ""). */
export async function until<T>(fn: () => T | Promise<T>, label: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  return (await waitFor(fn, label, timeoutMs)) as NonNullable<T>;
}
