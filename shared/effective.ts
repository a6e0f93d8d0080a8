// Loopgate's defaults and how a route's settings merge over the server's: one source for the engine, the exporter and the UI.
import type { ConditionsConfig, Config, CorsConfig, CookieRewrite, RespondConfig, RouteConfig } from './config.ts';
import { targetHasPath } from './match.ts';

/** nginx's defaults, where nginx has one. */
export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  index: ['index.html'],
  charset: 'utf-8',
  // Loopgate serves precompressed .br/.gz siblings unless told otherwise (nginx: gzip_static / brotli_static off).
  gzipStatic: true,
  brotliStatic: true,
  maxBodySize: 1024 * 1024, // nginx client_max_body_size 1m
  // nginx: proxy_connect/send/read_timeout, client_body_timeout, send_timeout are 60s each.
  timeouts: { connect: 60_000, send: 60_000, read: 60_000, clientBody: 60_000, clientSend: 60_000 },
  corsMethods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS'],
  corsMaxAge: 600,
  inspect: { bodyBytes: 64 * 1024, storeBytes: 64 * 1024 * 1024, frameBytes: 256 * 1024, frames: true },
};

/** The cookie rewrites the `remote` preset turns on (a route's own cookies fields win). */
export const REMOTE_COOKIES = { domain: 'remove', secure: 'remove', sameSite: 'Lax' } as const;

export interface FullCors {
  origins: '*' | 'reflect' | string[];
  credentials: boolean;
  methods: string[];
  headers: 'reflect' | string[];
  exposeHeaders: string[];
  /** seconds */
  maxAge: number;
  preflight: 'local' | 'forward';
  privateNetwork: boolean;
  backendHeaders: 'replace' | 'keep';
}

export const CORS_DEFAULTS: FullCors = {
  origins: '*',
  credentials: false,
  methods: DEFAULTS.corsMethods,
  headers: 'reflect',
  exposeHeaders: [],
  maxAge: DEFAULTS.corsMaxAge,
  preflight: 'local',
  privateNetwork: false,
  backendHeaders: 'replace',
};

/** Route CORS over server CORS, field by field; null when off . */
export function fullCors(server: CorsConfig | undefined, route: CorsConfig | undefined): FullCors | null {
  const c = { ...server, ...route };
  if (!c.enabled) return null;
  return {
    origins: c.origins ?? CORS_DEFAULTS.origins,
    credentials: c.credentials ?? CORS_DEFAULTS.credentials,
    methods: c.methods ?? CORS_DEFAULTS.methods,
    headers: c.headers ?? CORS_DEFAULTS.headers,
    exposeHeaders: c.exposeHeaders ?? CORS_DEFAULTS.exposeHeaders,
    maxAge: c.maxAge !== undefined ? Math.round(c.maxAge / 1000) : CORS_DEFAULTS.maxAge,
    preflight: c.preflight ?? CORS_DEFAULTS.preflight,
    privateNetwork: c.privateNetwork ?? CORS_DEFAULTS.privateNetwork,
    backendHeaders: c.backendHeaders ?? CORS_DEFAULTS.backendHeaders,
  };
}

/** Network conditions in force on a route (ms, share 0–1). */
export interface FullConditions {
  latency: number;
  jitter: number;
  failRate: number;
}

/** Global conditions under the route's, field by field (as cors); null when they change nothing. */
export function fullConditions(
  server: ConditionsConfig | undefined,
  route: ConditionsConfig | undefined,
): FullConditions | null {
  const c = { ...server, ...route };
  const full = { latency: c.latency ?? 0, jitter: c.jitter ?? 0, failRate: c.failRate ?? 0 };
  return full.latency || full.jitter || full.failRate ? full : null;
}

export interface Timeouts {
  connect: number;
  send: number;
  read: number;
  /** nginx client_body_timeout: the client's longest pause while sending the request body (0 = off). */
  clientBody: number;
  /** nginx send_timeout: the client's longest pause while taking the answer (0 = off). */
  clientSend: number;
}

/** Every timeout key, in the order the config, the exporter and the UI list them. */
export const TIMEOUT_KEYS = ['connect', 'send', 'read', 'clientBody', 'clientSend'] as const;

/** The nginx directive of each timeout key. */
export const TIMEOUT_DIRECTIVES: Record<keyof Timeouts, string> = {
  connect: 'proxy_connect_timeout',
  send: 'proxy_send_timeout',
  read: 'proxy_read_timeout',
  clientBody: 'client_body_timeout',
  clientSend: 'send_timeout',
};

function mergeTimeouts(over: Partial<Timeouts> | undefined, base: Timeouts): Timeouts {
  const out = { ...base };
  for (const k of TIMEOUT_KEYS) if (over?.[k] !== undefined) out[k] = over[k]!;
  return out;
}

/** Everything a route does, defaults applied and the `remote` preset expanded. */
export interface FullRoute {
  match: string;
  name?: string;
  /** Target with ws:/wss: mapped to http:/https:. */
  target: string;
  /** More backends (host:port) taken in turn with the target's (nginx upstream round robin). */
  servers: string[];
  /** nginx `rewrite regex replacement break` rules, in order. */
  rewrite: Array<{ regex: string; replacement: string }>;
  hasPath: boolean;
  https: boolean;
  ws: boolean;
  remote: boolean;
  changeOrigin: boolean;
  secure: boolean;
  rewriteOrigin: boolean;
  setHeaders: Array<[string, string]>;
  removeHeaders: string[];
  forwarded: { realIp: boolean; forwardedFor: boolean; forwardedProto: boolean; forwardedHost: boolean };
  addHeaders: Array<[string, string]>;
  rewriteRedirects: boolean;
  cookies: CookieRewrite | null;
  timeouts: Timeouts;
  maxBodySize: number;
  keepAlivePing: number;
  cors: FullCors | null;
  /** A mock answer (the backend is not called), or null. */
  respond: RespondConfig | null;
  conditions: FullConditions | null;
}

export interface ServerLevel {
  timeouts: Timeouts;
  maxBodySize: number;
  cors: CorsConfig | undefined;
  /** Global network conditions (routes override field by field). */
  conditions?: ConditionsConfig;
}

export function serverLevel(config: Config): ServerLevel {
  return {
    timeouts: mergeTimeouts(config.timeouts, DEFAULTS.timeouts),
    maxBodySize: config.maxBodySize ?? DEFAULTS.maxBodySize,
    cors: config.cors,
    conditions: config.conditions,
  };
}

export function fullRoute(r: RouteConfig, server: ServerLevel): FullRoute {
  let target = r.target;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target)?.[1]?.toLowerCase();
  if (scheme === 'ws') target = `http${target.slice(2)}`;
  if (scheme === 'wss') target = `https${target.slice(3)}`;
  const remote = r.remote === true;
  const cookies = remote ? { ...REMOTE_COOKIES, ...r.cookies } : (r.cookies ?? null);
  return {
    match: r.match,
    name: r.name,
    target,
    servers: r.servers ?? [],
    rewrite: r.rewrite ?? [],
    hasPath: targetHasPath(target),
    https: /^https:/i.test(target),
    ws: r.ws ?? true,
    remote,
    changeOrigin: r.changeOrigin ?? true,
    secure: r.secure ?? true,
    rewriteOrigin: r.rewriteOrigin ?? remote,
    setHeaders: Object.entries(r.setHeaders ?? {}),
    removeHeaders: r.removeHeaders ?? [],
    forwarded: {
      realIp: r.forwarded?.realIp ?? true,
      forwardedFor: r.forwarded?.forwardedFor ?? true,
      forwardedProto: r.forwarded?.forwardedProto ?? true,
      forwardedHost: r.forwarded?.forwardedHost ?? true,
    },
    addHeaders: Object.entries(r.addHeaders ?? {}),
    rewriteRedirects: r.rewriteRedirects ?? true,
    cookies,
    timeouts: mergeTimeouts(r.timeouts, server.timeouts),
    maxBodySize: r.maxBodySize ?? server.maxBodySize,
    keepAlivePing: r.keepAlivePing ?? 0,
    cors: fullCors(server.cors, r.cors),
    respond: r.respond ?? null,
    conditions: fullConditions(server.conditions, r.conditions),
  };
}
