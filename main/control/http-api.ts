// The control server: the Controller over HTTP + the /api/events WebSocket, the UI bundle, loopback and token only.
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { TOKEN_QUERY } from '../../shared/api.ts';
import {
  checkHost,
  checkJsonWrite,
  checkOrigin,
  checkToken,
  isLoopbackAddress,
  tokenCookie,
  type Refused,
} from './auth.ts';
import type { Controller, Refusal } from './controller.ts';
import { EventsHub } from './events-ws.ts';
import { HttpError, readJson, sendError, sendJson, sendStream } from './respond.ts';
import { securityHeaders, serveUi } from './static.ts';

export interface ControlServerOptions {
  controller: Controller;
  /** Loopback only: 127.0.0.1 (default), ::1 or localhost. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  token: string;
  /** The built UI, served at /; without it only the API answers. */
  uiDir?: string;
  /** Event stream backpressure (tests). */
  eventsHighWater?: number;
}

export interface ControlServer {
  /** http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const JSON_LIMIT = 4 * 1024 * 1024;
const SEND_LIMIT = 24 * 1024 * 1024;
const IMPORT_LIMIT = 512 * 1024 * 1024;

const SESSION_PATH = /^\/api\/sessions\/(\d{1,15})(\/frames|\/send|\/close)?$/;

export async function createControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopbackAddress(host)) {
    throw new ControlError(
      'NOT_LOOPBACK',
      `the control server only binds loopback addresses (127.0.0.1, ::1, localhost), not "${host}"`,
    );
  }
  if (opts.token.length < 8) throw new ControlError('WEAK_TOKEN', 'the control token must have at least 8 characters');
  const { controller, token } = opts;
  let port = 0;
  const hub = new EventsHub(controller, { highWater: opts.eventsHighWater });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (err.status === 413) res.setHeader('connection', 'close');
        sendError(res, err.status, err.code, err.message);
      } else {
        sendError(res, 500, 'INTERNAL', `the control server failed: ${(err as Error)?.message ?? String(err)}`);
      }
    });
  });

  /** Host, Origin and token: a refusal, or where the token came from. */
  function guard(req: IncomingMessage, url: URL, allowQuery: boolean): Refused | { source: string } {
    const refused = checkHost(req.headers.host, port) ?? checkOrigin(req, port);
    if (refused) return refused;
    const source = checkToken(req, url, token, port, allowQuery);
    return typeof source === 'string' ? { source } : source;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://control.invalid');
    const method = req.method ?? 'GET';
    const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');
    const g = guard(req, url, !isApi);
    if ('status' in g) return sendError(res, g.status, g.code, g.message);
    if (!isApi) return page(req, res, url, g.source === 'query');
    const csrf = checkJsonWrite(req);
    if (csrf) return sendError(res, csrf.status, csrf.code, csrf.message);
    return api(req, res, url, method);
  }

  async function page(req: IncomingMessage, res: ServerResponse, url: URL, viaQuery: boolean): Promise<void> {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD')
      return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here`);
    if (viaQuery) {
      // Trade the token in the URL for a cookie, and drop it from the address bar and history.
      url.searchParams.delete(TOKEN_QUERY);
      securityHeaders(res, port);
      res.statusCode = 303;
      res.setHeader('set-cookie', tokenCookie(port, token));
      res.setHeader('location', url.pathname + url.search);
      res.setHeader('cache-control', 'no-store');
      res.end();
      return;
    }
    if (opts.uiDir && (await serveUi(res, opts.uiDir, url.pathname, port, method === 'HEAD'))) return;
    const message = opts.uiDir
      ? `no such file: ${url.pathname}`
      : 'this control server has no UI bundle (run "npm run build"); the API is under /api/';
    sendError(res, 404, 'NOT_FOUND', message);
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
    const path = url.pathname;
    const q = Object.fromEntries(url.searchParams);
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /api/status':
        return sendJson(res, 200, controller.status());
      case 'GET /api/config':
        return sendJson(res, 200, controller.getConfig());
      case 'PUT /api/config':
        return configAnswer(res, await controller.putConfig(await readJson(req, JSON_LIMIT)));
      case 'POST /api/profile': {
        const body = await readJson(req, JSON_LIMIT);
        const name = isObj(body) ? body.name : undefined;
        if (name === undefined)
          return sendError(res, 400, 'BAD_REQUEST', 'send {"name": "<profile>"} or {"name": null}');
        return configAnswer(res, await controller.setProfile(name));
      }
      case 'GET /api/requests':
        return pageAnswer(res, controller.listRequests(q));
      case 'GET /api/sessions':
        return pageAnswer(res, controller.listSessions(q));
      case 'GET /api/export.har': {
        const session = optionalId(q.session);
        const chunks = controller.exportHarChunks(session === undefined ? {} : { session });
        if (!chunks) return sendError(res, 404, 'NO_SESSION', `no WebSocket session ${q.session} in the log`);
        const name = session === undefined ? `loopgate-${stamp()}.har` : `loopgate-session-${session}.har`;
        return sendStream(res, 'application/json; charset=utf-8', chunks, name);
      }
      case 'GET /api/frames.jsonl': {
        const session = optionalId(q.session);
        const chunks = controller.framesJsonl(session);
        if (!chunks) return sendError(res, 404, 'NO_SESSION', `no WebSocket session ${q.session} in the log`);
        return sendStream(
          res,
          'application/x-ndjson; charset=utf-8',
          chunks,
          `loopgate-frames-${session ?? 'all'}.jsonl`,
        );
      }
      case 'POST /api/import.har': {
        const result = controller.importHar(await readJson(req, IMPORT_LIMIT));
        if (!result.ok) return sendError(res, 400, result.code, result.message);
        return sendJson(res, 200, result);
      }
      case 'POST /api/nginx/import': {
        const result = controller.importNginx(await readJson(req, JSON_LIMIT));
        if (result.ok) return sendJson(res, 200, result);
        return sendError(res, 400, result.code, result.message, result);
      }
      case 'GET /api/nginx/export':
        return pageAnswer(res, controller.exportNginx(q));
      case 'GET /api/events':
        return sendError(res, 426, 'UPGRADE_REQUIRED', '/api/events is a WebSocket: connect with ws://');
      case 'POST /api/clear':
        await readJson(req, JSON_LIMIT);
        controller.clear();
        return sendJson(res, 200, { ok: true });
    }
    const m = SESSION_PATH.exec(path);
    if (m) {
      const id = Number(m[1]);
      const sub = m[2] ?? '';
      if (method === 'GET' && sub === '') {
        const detail = controller.getSession(id);
        return detail
          ? sendJson(res, 200, detail)
          : sendError(res, 404, 'NO_SESSION', `no WebSocket session ${id} in the log`);
      }
      if (method === 'GET' && sub === '/frames') {
        const frames = controller.frames(id, { after: q.after, limit: q.limit });
        if (frames === null) return sendError(res, 404, 'NO_SESSION', `no WebSocket session ${id} in the log`);
        if ('ok' in frames) return sendError(res, 400, frames.code, frames.message);
        return sendJson(res, 200, frames);
      }
      if (method === 'POST' && (sub === '/send' || sub === '/close')) {
        const body = await readJson(req, sub === '/send' ? SEND_LIMIT : JSON_LIMIT);
        const result = sub === '/send' ? controller.send(id, body) : controller.close(id, body);
        if (result.ok) return sendJson(res, 200, result);
        return sendError(res, statusOf(result.code), result.code, result.message);
      }
    }
    const known = knownPath(path);
    if (known) return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
    return sendError(res, 404, 'NOT_FOUND', `no API route ${method} ${path}`);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://control.invalid');
    if (url.pathname !== '/api/events')
      return refuseUpgrade(socket, 404, 'NOT_FOUND', 'the only WebSocket here is /api/events');
    const g = guard(req, url, true);
    if ('status' in g) return refuseUpgrade(socket, g.status, g.code, g.message);
    wss.handleUpgrade(req, socket, head, (ws) => hub.add(ws));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new ControlError(
          err.code ?? 'LISTEN_FAILED',
          `the control server could not listen on ${host}:${opts.port ?? 0}: ${err.message}`,
        ),
      ),
    );
    server.listen(opts.port ?? 0, host === 'localhost' ? '127.0.0.1' : host.replace(/^\[|\]$/g, ''), () => resolve());
  });
  const addr = server.address() as AddressInfo;
  port = addr.port;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    async close() {
      hub.close();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function configAnswer(res: ServerResponse, result: import('../../shared/config.ts').ConfigResult): void {
  if (result.ok) return sendJson(res, 200, result);
  const first = result.errors[0];
  const message = first
    ? `the config is not valid: ${first.path}: ${first.message}${result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : ''}`
    : 'the config is not valid';
  sendError(res, 400, 'INVALID_CONFIG', message, result);
}

function pageAnswer(res: ServerResponse, result: object | Refusal): void {
  if ('ok' in result && result.ok === false) return sendError(res, 400, result.code, result.message);
  sendJson(res, 200, result);
}

/** HTTP status for a refusal code from the controller or the tunnel registry. */
export function statusOf(code: string): number {
  if (code === 'NO_SESSION' || code === 'NOT_FOUND') return 404;
  if (code === 'BAD_REQUEST') return 400;
  if (code === 'TOO_LARGE') return 413;
  return 409; // NOT_OPEN, BROKEN_STREAM: the session cannot take it now
}

function optionalId(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,15}$/.test(v)) throw new HttpError(400, 'BAD_REQUEST', `"${v.slice(0, 50)}" is not a session id`);
  return Number(v);
}

function knownPath(path: string): boolean {
  return (
    SESSION_PATH.test(path) ||
    [
      '/api/status',
      '/api/config',
      '/api/profile',
      '/api/requests',
      '/api/sessions',
      '/api/export.har',
      '/api/frames.jsonl',
      '/api/import.har',
      '/api/nginx/import',
      '/api/nginx/export',
      '/api/clear',
      '/api/events',
    ].includes(path)
  );
}

function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? code}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
