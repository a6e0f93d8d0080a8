// Loopgate's defaults and per-route merging as the engine applies them (mirrors main/engine/snapshot.ts).
import type { Config, CorsConfig, CookieRewrite, RouteConfig } from '../../../shared/config.ts';
import { targetHasPath } from '../../../shared/config.ts';

// Kept equal to DEFAULTS in main/engine/snapshot.ts (a test checks it); main/config may not import the engine.
export const LOOPGATE = {
  port: 8080,
  index: ['index.html'],
  maxBodySize: 1024 * 1024,
  timeouts: { connect: 60_000, send: 60_000, read: 60_000 },
  corsMethods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS'],
  corsMaxAge: 600,
};

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
  methods: LOOPGATE.corsMethods,
  headers: 'reflect',
  exposeHeaders: [],
  maxAge: LOOPGATE.corsMaxAge,
  preflight: 'local',
  privateNetwork: false,
  backendHeaders: 'replace',
};

/** Route CORS over server CORS, field by field; null when off (as the engine's mergeCors). */
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

export interface Timeouts {
  connect: number;
  send: number;
  read: number;
}

/** Everything a route does, defaults applied and the `remote` preset expanded. */
export interface FullRoute {
  match: string;
  name?: string;
  /** Target with ws:/wss: mapped to http:/https:. */
  target: string;
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
}

export interface ServerLevel {
  timeouts: Timeouts;
  maxBodySize: number;
  cors: CorsConfig | undefined;
}

export function serverLevel(config: Config): ServerLevel {
  return {
    timeouts: {
      connect: config.timeouts?.connect ?? LOOPGATE.timeouts.connect,
      send: config.timeouts?.send ?? LOOPGATE.timeouts.send,
      read: config.timeouts?.read ?? LOOPGATE.timeouts.read,
    },
    maxBodySize: config.maxBodySize ?? LOOPGATE.maxBodySize,
    cors: config.cors,
  };
}

export function fullRoute(r: RouteConfig, server: ServerLevel): FullRoute {
  let target = r.target;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target)?.[1]?.toLowerCase();
  if (scheme === 'ws') target = `http${target.slice(2)}`;
  if (scheme === 'wss') target = `https${target.slice(3)}`;
  const remote = r.remote === true;
  const cookies = remote
    ? { domain: 'remove', secure: 'remove' as const, sameSite: 'Lax' as const, ...r.cookies }
    : (r.cookies ?? null);
  return {
    match: r.match,
    name: r.name,
    target,
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
    timeouts: {
      connect: r.timeouts?.connect ?? server.timeouts.connect,
      send: r.timeouts?.send ?? server.timeouts.send,
      read: r.timeouts?.read ?? server.timeouts.read,
    },
    maxBodySize: r.maxBodySize ?? server.maxBodySize,
    keepAlivePing: r.keepAlivePing ?? 0,
    cors: fullCors(server.cors, r.cors),
  };
}
