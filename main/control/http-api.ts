// The control server: the Controller over HTTP + the /api/events WebSocket, the UI bundle, loopback and token only.
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import {
  API_BODY_LIMIT,
  API_METHODS,
  HTTP_ONLY_ROUTES,
  EVENTS_PROTOCOL,
  type ApiAnswer,
  type ApiMethod,
} from '../../shared/api.ts';
import { configWriteStatus, type ConfigWriteResult } from '../../shared/config-state.ts';
import {
  checkHost,
  checkJsonWrite,
  checkOrigin,
  checkPageToken,
  checkToken,
  expireCookie,
  isLoopbackAddress,
  leftoverCookies,
  type Refused,
} from './auth.ts';
import type { Controller, Refusal } from './controller.ts';
import { EventsHub } from './events-ws.ts';
import { HttpError, readJson, sendError, sendJson, sendStream } from './respond.ts';
import { serveUi } from './static.ts';

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

/** Head limit of the control server (Node's default is 16 KiB). */
const CONTROL_MAX_HEADER = 1024 * 1024;

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
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 64 * 1024,
    // The UI offers [EVENTS_PROTOCOL, its token]: the answer names the first, never the token.
    handleProtocols: (offered) => (offered.has(EVENTS_PROTOCOL) ? EVENTS_PROTOCOL : false),
  });

  // Pages on the site's port can flood 127.0.0.1 with cookies (they ignore ports) that the browser then
  // sends here too: a roomy head limit keeps the UI reachable (Chromium's cap is ~180 cookies × 4 KiB).
  const server = createServer({ maxHeaderSize: CONTROL_MAX_HEADER }, (req, res) => {
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
    const source = checkToken(req, url, token, allowQuery);
    return typeof source === 'string' ? { source } : source;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://control.invalid');
    const method = req.method ?? 'GET';
    const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');
    if (!isApi) {
      // The UI shell holds no data: it needs no token to load (the token stays in the page, never in a
      // cookie); every API call and the event stream do. A wrong ?token= is refused at once.
      const refused = checkHost(req.headers.host, port) ?? checkOrigin(req, port) ?? checkPageToken(url, token);
      if (refused) return sendError(res, refused.status, refused.code, refused.message);
      return page(req, res, url);
    }
    const g = guard(req, url, false);
    if ('status' in g) return sendError(res, g.status, g.code, g.message);
    const csrf = checkJsonWrite(req);
    if (csrf) return sendError(res, csrf.status, csrf.code, csrf.message);
    return api(req, res, url, method);
  }

  async function page(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD')
      return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here`);
    // A control cookie left by an older version would ride along to the site: clear it.
    const leftover = leftoverCookies(req);
    if (leftover.length) res.setHeader('set-cookie', leftover.map(expireCookie));
    if (opts.uiDir && (await serveUi(res, opts.uiDir, url.pathname, port, method === 'HEAD'))) return;
    const message = opts.uiDir
      ? `no such file: ${url.pathname}`
      : 'this control server has no UI bundle (run "npm run build"); the API is under /api/';
    sendError(res, 404, 'NOT_FOUND', message);
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
    const path = url.pathname;
    const q = Object.fromEntries(url.searchParams);
    const found = ROUTES.find((r) => r.method === method && r.path.test(path));
    if (!found) {
      if (ROUTES.some((r) => r.path.test(path)))
        return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
      return sendError(res, 404, 'NOT_FOUND', `no API route ${method} ${path}`);
    }
    const id = Number(found.path.exec(path)?.[1]);
    switch (found.name) {
      case 'events':
        return sendError(res, 426, 'UPGRADE_REQUIRED', '/api/events is a WebSocket: connect with ws://');
      case 'framesJsonl': {
        const session = optionalId(q.session);
        const chunks = controller.framesJsonl(session);
        if (!chunks) return sendError(res, 404, 'NO_SESSION', `no WebSocket session ${q.session} in the log`);
        const name = `loopgate-frames-${session ?? 'all'}.jsonl`;
        return sendStream(res, 'application/x-ndjson; charset=utf-8', chunks, name);
      }
      case 'config':
        // The running config alone; its version as the ETag (PUT takes it back as If-Match).
        res.setHeader('etag', `"${controller.getConfig().version}"`);
        return sendJson(res, 200, controller.getConfig().config);
      case 'getConfig': {
        const state = controller.getConfig();
        res.setHeader('etag', `"${state.version}"`);
        return sendJson(res, 200, state);
      }
      case 'putConfig': {
        const body = await readJson(req, API_BODY_LIMIT);
        return configAnswer(res, await controller.putConfig(body, writeQuery(q, req.headers['if-match'])));
      }
      case 'importHar': {
        // Read entry by entry as the body arrives, the proxy answering meanwhile (har/import-stream.ts).
        const result = await controller.importHarStream(req, Number(req.headers['content-length']) || undefined);
        if (!result.ok && result.code === 'IMPORT_TOO_LARGE') res.setHeader('connection', 'close');
        return answer(res, 'outcome', result, id);
      }
      case 'exportHar': {
        // Streamed: a big log is never one string.
        const session = optionalId(q.session);
        const chunks = controller.exportHarChunks(session === undefined ? {} : { session });
        if (!chunks) return sendError(res, 404, 'NO_SESSION', `no WebSocket session ${q.session} in the log`);
        const name = session === undefined ? `loopgate-${stamp()}.har` : `loopgate-session-${session}.har`;
        return sendStream(res, 'application/json; charset=utf-8', chunks, name);
      }
    }
    const spec: ApiMethod = API_METHODS[found.name];
    const body = method === 'GET' ? undefined : await readJson(req, spec.bodyLimit ?? API_BODY_LIMIT);
    const args: unknown[] = [];
    for (const arg of spec.args) {
      if (arg === 'id') args.push(id);
      else if (arg === 'query' || arg === 'options') args.push(q);
      else if (arg === 'body' && spec.bodyKey === undefined) args.push(body);
      else if (arg === 'body' && spec.bodyKey !== undefined) {
        const key = spec.bodyKey;
        const value = isObj(body) ? body[key] : undefined;
        if (value === undefined) return sendError(res, 400, 'BAD_REQUEST', `send {"${key}": …}`);
        args.push(value);
      }
    }
    const call = (controller as unknown as Record<string, (...a: unknown[]) => unknown>)[found.name]!;
    answer(res, spec.answer, await call.apply(controller, args), id, spec.status);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://control.invalid');
    if (`GET ${url.pathname}` !== HTTP_ONLY_ROUTES.events)
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

/** A controller answer over HTTP, by the method's answer kind (shared/api.ts). */
function answer(res: ServerResponse, kind: ApiAnswer, result: unknown, id: number, status = 200): void {
  if (kind === 'none') return sendJson(res, 200, { ok: true });
  if (kind === 'config') return configAnswer(res, result as ConfigWriteResult);
  if (kind === 'found' && result === null)
    return sendError(res, 404, 'NO_SESSION', `no WebSocket session ${id} in the log`);
  const refusal = result as Partial<Refusal> | null;
  if (refusal?.ok === false && typeof refusal.code === 'string') {
    const extra = kind === 'result' ? refusal : {};
    return sendError(res, statusOf(refusal.code), refusal.code, String(refusal.message), extra);
  }
  sendJson(res, status, result);
}

function configAnswer(res: ServerResponse, result: ConfigWriteResult): void {
  if (result.ok) {
    if (result.version !== undefined) res.setHeader('etag', `"${result.version}"`);
    return sendJson(res, 200, result);
  }
  const code = result.code ?? 'INVALID_CONFIG';
  const first = result.errors[0];
  const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
  const message =
    code !== 'INVALID_CONFIG'
      ? (first?.message ?? code)
      : first
        ? `the config is not valid: ${first.path}: ${first.message}${more}`
        : 'the config is not valid';
  sendError(res, configWriteStatus(code), code, message, result);
}

/** PUT /api/config's ?version=N&overwrite=true, or If-Match: "N" (an ETag of GET /api/config). */
function writeQuery(q: Record<string, string>, ifMatch: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const tag = ifMatch
    ?.trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
  const version = q.version ?? (tag && tag !== '*' ? tag : undefined);
  if (version !== undefined) out.version = /^\d{1,15}$/.test(version) ? Number(version) : version;
  if (q.overwrite !== undefined)
    out.overwrite =
      q.overwrite === 'true' || q.overwrite === '1'
        ? true
        : q.overwrite === 'false' || q.overwrite === '0'
          ? false
          : q.overwrite;
  return out;
}

/** HTTP status for a refusal code from the controller or the tunnel registry. */
export function statusOf(code: string): number {
  if (code === 'NO_SESSION' || code === 'NOT_FOUND') return 404;
  if (code === 'BAD_REQUEST' || code === 'BAD_HAR' || code === 'NGINX_SYNTAX' || code === 'IMPORT_FAILED') return 400;
  if (code === 'TOO_LARGE' || code === 'IMPORT_TOO_LARGE') return 413;
  return 409; // NOT_OPEN, BROKEN_STREAM: the session cannot take it now
}

function optionalId(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,15}$/.test(v)) throw new HttpError(400, 'BAD_REQUEST', `"${v.slice(0, 50)}" is not a session id`);
  return Number(v);
}

type RouteName = keyof typeof API_METHODS | keyof typeof HTTP_ONLY_ROUTES;

/** The routes of API_METHODS and HTTP_ONLY_ROUTES, each as its method and a path pattern (`:id`: a session id). */
const ROUTES: { name: RouteName; method: string; path: RegExp }[] = [
  ...Object.entries(API_METHODS).map(([name, spec]) => [name, spec.route] as const),
  ...Object.entries(HTTP_ONLY_ROUTES),
].flatMap(([name, route]) => {
  if (!route) return [];
  const [method, path] = route.split(' ') as [string, string];
  const pattern = path.replace(/[.]/g, '\\.').replace(':id', '(\\d{1,15})');
  return [{ name: name as RouteName, method, path: new RegExp(`^${pattern}$`) }];
});

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
