// The listener: one node:http server per site; routes each request and upgrade to static, proxy or tunnel.
import { createServer, type IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Breakpoint } from '../../shared/breakpoints.ts';
import type { HttpRecord, WsSessionRecord } from '../../shared/events.ts';
import { answerPreflight, corsHeaders, isPreflight } from './cors.ts';
import { cutReason, sendError } from './errors.ts';
import { checkRequest, checkUpgrade, wsOriginAllowed } from './guard.ts';
import { dropControlCookie } from './http/headers.ts';
import { HttpProxy } from './http/proxy.ts';
import { rawResponse, refuseSocket } from './raw-socket.ts';
import { captureAnswer, recordedHeaders } from './log/capture.ts';
import { matchLocation, normalizePath, slashRedirect, takeTurn, upstreamPath } from './router.ts';
import { answerReturn } from './static/return.ts';
import { serveStatic } from './static/site.ts';
import { recordFailed } from './ws/lifecycle.ts';
import { TunnelRegistry } from './ws/tunnel.ts';
import { Breakpoints } from './steps/breakpoints.ts';
import { pauseRequest } from './steps/pause-request.ts';
import { ResendMarks } from './steps/resend-mark.ts';
import { standIn } from './steps/stand-in.ts';
import {
  nullRecorder,
  type CompiledRoute,
  type Exchange,
  type FileLocationCompiled,
  type Recorder,
  type Snapshot,
} from './types.ts';

export interface EngineOptions {
  recorder?: Recorder;
  /**
   * ms a client has to send a whole request head (nginx client_header_timeout is 60 s); a slowloris
   * connection is cut after it with 408. Default 30 s; tests shorten it.
   */
  headersTimeoutMs?: number;
}

/** Default head timeout: half of nginx's client_header_timeout, generous for any real client. */
export const HEADERS_TIMEOUT_MS = 30_000;

/** Extra header on refusals after which the connection's framing cannot be trusted. */
const CLOSE: Array<[string, string]> = [['connection', 'close']];

/** How long stop() lets in-flight requests finish before cutting them. */
const DRAIN_MS = 5000;

export class Engine {
  readonly recorder: Recorder;
  readonly proxy = new HttpProxy();
  readonly tunnels = new TunnelRegistry();
  /** Breakpoints (issue #17): looked at only while it holds any. */
  readonly breakpoints = new Breakpoints();
  /** Resends from the control API (issue #17): their mark header is stripped before anything else. */
  readonly resends = new ResendMarks();
  #snapshot: Snapshot | null = null;
  #server: Server | null = null;
  #sockets = new Set<Socket>();
  readonly #headersTimeout: number;

  constructor(opts: EngineOptions = {}) {
    this.recorder = opts.recorder ?? nullRecorder;
    this.#headersTimeout = opts.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
    this.proxy.breakpoints = this.breakpoints;
  }

  get snapshot(): Snapshot | null {
    return this.#snapshot;
  }

  /** The URL the site answers on, once started. */
  get url(): string | null {
    const a = this.#server?.address() as AddressInfo | null | undefined;
    if (!a) return null;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    const shown = host === '0.0.0.0' || host === '[::]' ? 'localhost' : host;
    return `http://${shown}:${a.port}`;
  }

  get port(): number | null {
    return (this.#server?.address() as AddressInfo | null | undefined)?.port ?? null;
  }

  async start(snapshot: Snapshot): Promise<string> {
    this.#snapshot = snapshot;
    this.#server = await this.#listen(snapshot.listen);
    return this.url!;
  }

  /**
   * Swap to a new config. New requests use it at once; in-flight requests and open WebSocket sessions
   * keep the snapshot they started with. A changed listen address rebinds: the new listener is up
   * before the old one stops accepting, and the old one's connections finish in their own time.
   */
  async update(snapshot: Snapshot): Promise<void> {
    const old = this.#snapshot;
    this.#snapshot = snapshot;
    if (!this.#server || !old) return;
    if (old.listen.host === snapshot.listen.host && old.listen.port === snapshot.listen.port) return;
    let next: Server;
    try {
      next = await this.#listen(snapshot.listen);
    } catch (err) {
      this.#snapshot = { ...snapshot, listen: old.listen };
      throw err;
    }
    const previous = this.#server;
    this.#server = next;
    previous.close();
    previous.closeIdleConnections();
  }

  /** Stop accepting, let in-flight requests finish (up to DRAIN_MS), close sessions, free pools. */
  async stop(opts: { drainMs?: number } = {}): Promise<void> {
    const server = this.#server;
    this.#server = null;
    this.breakpoints.releaseAll();
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await this.tunnels.closeAll(true);
      const timer = setTimeout(() => {
        for (const s of this.#sockets) s.destroy();
      }, opts.drainMs ?? DRAIN_MS);
      await closed;
      clearTimeout(timer);
    } else {
      await this.tunnels.closeAll(false);
    }
    await this.proxy.close();
  }

  #listen(listen: { host: string; port: number }): Promise<Server> {
    // Node only looks for expired head timeouts every connectionsCheckingInterval (30 s by default, so a
    // slowloris connection could live twice the timeout): look every second, or sooner for short timeouts.
    const headersTimeout = this.#headersTimeout;
    const server = createServer(
      {
        requireHostHeader: false,
        headersTimeout,
        requestTimeout: 0,
        connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
      },
      (req, res) => this.#onRequest(req, res),
    );
    server.keepAliveTimeout = 65_000;
    // Expect: 100-continue is answered by the proxy once it wants the body (not for a body over
    // maxBodySize, which gets its 413 at once, as nginx does); the other handlers never read one.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => this.#onRequest(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
    server.on('connection', (s: Socket) => {
      s.setNoDelay(true);
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
    // A forward-proxy CONNECT would otherwise get no answer at all (Node drops it when nobody listens).
    server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
      socket.on('error', () => socket.destroy());
      refuseSocket(socket, 405, 'CONNECT is not supported: Loopgate is a reverse proxy, not a forward proxy');
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (socket.writable && err.code !== 'ECONNRESET') {
        const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
        socket.end(rawResponse(status, {}));
      }
      socket.destroy();
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  /** One plain HTTP answer on an upgrade's socket (detached from the parser: the connection closes after it). */
  #upgradeAsPlainRequest(req: IncomingMessage, socket: Duplex, head: Buffer, why: string): void {
    if (head.length) socket.unshift(head);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.once('finish', () => {
      res.detachSocket(socket as Socket);
      socket.end();
    });
    this.#onRequest(req, res, why);
  }

  #onRequest(req: IncomingMessage, res: ServerResponse, upgradeNote?: string): void {
    const resend = this.resends.take(req);
    dropControlCookie(req);
    const snapshot = this.#snapshot!;
    const rawUrl = req.url ?? '/';
    const record: HttpRecord = {
      kind: 'http',
      id: this.recorder.nextId(),
      startedAt: Date.now(),
      method: req.method ?? 'GET',
      url: rawUrl,
      host: req.headers.host ?? '',
      clientAddress: req.socket.remoteAddress ?? '',
      handler: 'not-found',
      timings: {},
      bytesIn: 0,
      bytesOut: 0,
      requestHeaders: req.headers as HttpRecord['requestHeaders'],
      done: false,
    };
    if (resend) ResendMarks.claim(resend, record);
    if (upgradeNote) record.error = { code: 'UPGRADE_AS_GET', message: upgradeNote, side: 'loopgate' };
    const refused = checkRequest(req, snapshot);
    if (refused !== null) {
      return this.#answer(
        res,
        record,
        'refused',
        refused.status,
        refused.message,
        refused.close ? CLOSE : [],
        refused.code,
      );
    }
    const q = rawUrl.indexOf('?');
    const path = normalizePath(q < 0 ? rawUrl : rawUrl.slice(0, q));
    if (path === null) {
      return this.#answer(
        res,
        record,
        'refused',
        400,
        `invalid request path "${rawUrl.slice(0, 200)}"`,
        [],
        'BAD_PATH',
      );
    }
    const redirect = slashRedirect(snapshot.routes, rawUrl, path);
    if (redirect !== null) {
      // nginx: a request for "/api" when only "/api/" is a location gets 301 to "/api/".
      record.handler = 'static';
      this.#track(res, record);
      res.writeHead(301, { location: redirect, 'content-length': 0 }).end();
      return;
    }
    const located = matchLocation(snapshot.routes, snapshot.files, path);
    if (located?.files) {
      record.handler = 'static';
      record.route = located.files.match;
      this.#track(res, record);
      this.#serveLocation(req, res, snapshot, located.files, path, 0);
      return;
    }
    const route = located?.route && takeTurn(located.route);
    if (route) {
      const upstream = upstreamPath(route, rawUrl, path);
      record.route = route.label;
      record.routeIndex = route.index;
      record.target = route.target.origin + upstream;
      if (route.cors && route.cors.preflight === 'local' && isPreflight(req)) {
        record.handler = 'preflight';
        this.#track(res, record);
        answerPreflight(route.cors, req, res, route.addHeaders);
        return;
      }
      record.handler = 'proxy';
      this.recorder.http(record);
      const bp = this.breakpoints.size > 0 && this.breakpoints.match('request', route.label, record.method, path);
      if (bp) return this.#pauseRequest(req, res, snapshot, route, record, bp);
      this.#proxyStep({ req, res, snapshot, route, record, recorder: this.recorder, upstreamPath: upstream });
      return;
    }
    const extra = snapshot.cors ? corsHeaders(snapshot.cors, req) : [];
    if (snapshot.cors && isPreflight(req)) {
      record.handler = 'preflight';
      this.#track(res, record);
      answerPreflight(snapshot.cors, req, res, []);
      return;
    }
    if (snapshot.site) {
      record.handler = 'static';
      this.#track(res, record);
      const redirect = (next: string): boolean => {
        const again = matchLocation(snapshot.routes, snapshot.files, next);
        if (!again?.files) return false;
        this.#serveLocation(req, res, snapshot, again.files, next, 1);
        return true;
      };
      serveStatic(req, res, snapshot.site, path, extra, redirect).catch((err: Error) =>
        sendError(res, 500, `static file error: ${err.message}`, extra),
      );
      return;
    }
    this.#answer(
      res,
      record,
      'not-found',
      // nginx's static module (it serves its own html folder here) refuses methods but GET/HEAD/POST first.
      ['GET', 'HEAD', 'POST'].includes(req.method ?? 'GET') ? 404 : 405,
      `no route matches ${path} and no root folder is set`,
      extra,
      'NO_ROUTE',
    );
  }

  /** Mock answers and network conditions (issue #18), looked at only on routes that have them; then the proxy. */
  #proxyStep(ex: Exchange): void {
    if (ex.route.respond || ex.route.conditions) {
      return standIn(
        ex,
        () => this.#track(ex.res, ex.record),
        () => this.proxy.handle(ex),
      );
    }
    this.proxy.handle(ex);
  }

  /** A request breakpoint matched: hold it (steps/pause-request.ts), then proxy, answer or drop it. */
  #pauseRequest(
    req: IncomingMessage,
    res: ServerResponse,
    snapshot: Snapshot,
    route: CompiledRoute,
    record: HttpRecord,
    bp: Breakpoint,
  ): void {
    pauseRequest({
      registry: this.breakpoints,
      bp,
      req,
      res,
      record,
      maxBodySize: route.maxBodySize,
      routeLabel: route.label,
      clientBodyMs: route.timeouts.clientBody,
      forward: (sent) => {
        const url = sent.url ?? '/';
        const q = url.indexOf('?');
        const path = normalizePath(q < 0 ? url : url.slice(0, q));
        if (path === null)
          return this.#answer(res, record, 'proxy', 400, `invalid edited path "${url.slice(0, 200)}"`, [], 'BAD_PATH');
        const upstream = upstreamPath(route, url, path);
        record.target = route.target.origin + upstream;
        this.#proxyStep({ req: sent, res, snapshot, route, record, recorder: this.recorder, upstreamPath: upstream });
      },
      answer: (status, headers, body) => {
        this.#track(res, record);
        res.writeHead(status, { ...headers, 'content-length': body.length }).end(body);
      },
      fail: (status, code, message) => this.#answer(res, record, 'proxy', status, message, [], code),
      cut: (error, status) => {
        record.error = error;
        if (status !== undefined) record.status = status;
        record.timings.end = Date.now() - record.startedAt;
        record.done = true;
        this.recorder.http(record);
        res.destroy();
      },
    });
  }

  /**
   * An nginx location that serves files: its own folder, try_files, expires, headers or return. A
   * try_files fallback URI is matched again against the file locations, as nginx's internal redirect.
   */
  #serveLocation(
    req: IncomingMessage,
    res: ServerResponse,
    snapshot: Snapshot,
    loc: FileLocationCompiled,
    path: string,
    depth: number,
  ): void {
    const extra = snapshot.cors ? corsHeaders(snapshot.cors, req) : [];
    if (loc.return) return answerReturn(req, res, loc.return, loc.site.addHeaders, path);
    const rest = path.slice(loc.pattern.length);
    // alias: the folder replaces the prefix (as nginx: "/static/" + alias "/x/static" gives "/x/staticapp.css").
    const aliased = loc.aliasName === '' ? `/${rest.replace(/^\//, '')}` : loc.aliasName + rest;
    const filePath = loc.alias && loc.kind !== 'regex' ? aliased : path;
    const redirect = (next: string): boolean => {
      const again = depth < 10 ? matchLocation(snapshot.routes, snapshot.files, next) : null;
      if (!again?.files || again.files === loc) return false;
      this.#serveLocation(req, res, snapshot, again.files, next, depth + 1);
      return true;
    };
    serveStatic(req, res, loc.site, filePath, extra, redirect).catch((err: Error) =>
      sendError(res, 500, `static file error: ${err.message}`, extra),
    );
  }

  #answer(
    res: ServerResponse,
    record: HttpRecord,
    handler: HttpRecord['handler'],
    status: number,
    message: string,
    extra: Array<[string, string]>,
    code: string,
  ): void {
    record.handler = handler;
    record.error = { code, message, side: handler === 'not-found' ? 'client' : 'loopgate' };
    this.#track(res, record);
    res.req.resume();
    sendError(res, status, message, extra);
  }

  /** Fill a record from a response Loopgate answers itself (static, preflight, errors). */
  #track(res: ServerResponse, record: HttpRecord): void {
    this.recorder.http(record);
    const capture = captureAnswer(res, this.#snapshot?.inspect.bodyBytes ?? 0);
    const finish = (aborted: boolean) => {
      if (record.done) return;
      record.done = true;
      record.status = res.statusCode;
      record.responseHeaders = recordedHeaders(res.getHeaders());
      if (capture && capture.size > 0) {
        capture.store(record, 'responseBody');
        record.responseBodyTruncated = capture.truncated;
      } else capture?.release();
      record.bytesOut = Number(res.getHeader('content-length') ?? 0) || 0;
      record.timings.end = Date.now() - record.startedAt;
      record.timings.headers ??= record.timings.end;
      if (aborted && !record.error)
        record.error = cutReason(res) ?? {
          code: 'CLIENT_ABORTED',
          message: 'client closed the connection before the answer was sent',
          side: 'client',
        };
      this.recorder.http(record);
    };
    res.once('finish', () => finish(false));
    res.once('close', () => finish(!res.writableFinished));
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    dropControlCookie(req);
    const snapshot = this.#snapshot!;
    const rawUrl = req.url ?? '/';
    const record: WsSessionRecord = {
      kind: 'ws',
      id: this.recorder.nextId(),
      startedAt: Date.now(),
      url: rawUrl,
      host: req.headers.host ?? '',
      clientAddress: req.socket.remoteAddress ?? '',
      state: 'connecting',
      requestHeaders: req.headers as WsSessionRecord['requestHeaders'],
      counts: { framesToBackend: 0, framesToClient: 0, bytesToBackend: 0, bytesToClient: 0 },
    };
    const fail = (status: number, code: string, message: string, route?: CompiledRoute) => {
      if (route) {
        record.route = route.label;
        record.routeIndex = route.index;
      }
      recordFailed(record, 'loopgate', { code, message, side: 'loopgate' }, status);
      this.recorder.ws(record);
      refuseSocket(socket, status, message);
    };
    const refused = checkRequest(req, snapshot);
    if (refused !== null) return fail(refused.status, refused.code, refused.message);
    const badUpgrade = checkUpgrade(req);
    if (badUpgrade !== null) return fail(badUpgrade.status, badUpgrade.code, badUpgrade.message);
    const q = rawUrl.indexOf('?');
    const path = normalizePath(q < 0 ? rawUrl : rawUrl.slice(0, q));
    if (path === null) return fail(400, 'BAD_PATH', `invalid request path "${rawUrl.slice(0, 200)}"`);
    const matched = matchLocation(snapshot.routes, snapshot.files, path)?.route;
    // The turn (round robin) is taken by the request that goes: the tunnel here, or the plain GET below.
    const route = matched?.ws ? takeTurn(matched) : matched;
    if (!route?.ws) {
      // nginx answers an upgrade it does not proxy as the plain GET it also is (static files, or the
      // backend without Upgrade/Connection); so does Loopgate, and the log says why it was no WebSocket.
      const why = route
        ? `route ${route.label} does not proxy WebSockets ("ws" is off; in nginx: no Upgrade/Connection proxy_set_header), so the upgrade went on as a plain GET, as nginx sends it`
        : `no route matches ${path} for a WebSocket upgrade, so it was answered as a plain GET, as nginx does`;
      return this.#upgradeAsPlainRequest(req, socket, head, why);
    }
    const origin = req.headers.origin;
    if (!wsOriginAllowed(origin, snapshot, route)) {
      return fail(
        403,
        'ORIGIN_REFUSED',
        `WebSocket from Origin ${origin} refused (cross-site WebSocket hijack guard): allow it in the route's CORS origins`,
        route,
      );
    }
    const upstream = upstreamPath(route, rawUrl, path);
    record.route = route.label;
    record.routeIndex = route.index;
    record.target = `${route.target.protocol === 'https:' ? 'wss:' : 'ws:'}//${route.target.host}${upstream}`;
    this.recorder.ws(record);
    this.tunnels.open({ req, socket, head, snapshot, route, record, recorder: this.recorder, upstreamPath: upstream });
  }
}
