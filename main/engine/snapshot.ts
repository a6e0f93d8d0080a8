// Turns a validated config into an immutable Snapshot: defaults applied, overrides merged, routes compiled.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config, CorsConfig, RouteConfig } from '../../shared/config.ts';
import { splitMatch, targetHasPath } from '../../shared/config.ts';
import type { CompiledRoute, CorsPolicy, MatchKind, Snapshot, Timeouts } from './types.ts';

/** nginx's defaults, where nginx has one. */
export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  index: ['index.html'],
  charset: 'utf-8',
  maxBodySize: 1024 * 1024, // nginx client_max_body_size 1m
  timeouts: { connect: 60_000, send: 60_000, read: 60_000 } as Timeouts,
  corsMethods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS'],
  corsMaxAge: 600,
  inspect: { bodyBytes: 64 * 1024, storeBytes: 64 * 1024 * 1024, frameBytes: 256 * 1024, frames: true },
};

export interface CompileOptions {
  /** Folder relative paths (root) are resolved against: the config file's folder. */
  baseDir: string;
  version?: number;
}

export function compileSnapshot(config: Config, opts: CompileOptions): Snapshot {
  const timeouts: Timeouts = {
    connect: config.timeouts?.connect ?? DEFAULTS.timeouts.connect,
    send: config.timeouts?.send ?? DEFAULTS.timeouts.send,
    read: config.timeouts?.read ?? DEFAULTS.timeouts.read,
  };
  const maxBodySize = config.maxBodySize ?? DEFAULTS.maxBodySize;
  const routesIn = config.activeProfile ? config.profiles![config.activeProfile]!.routes : (config.routes ?? []);
  const routes = routesIn
    .map((r, index) => ({ r, index }))
    .filter(({ r }) => r.enabled !== false)
    .map(({ r, index }) => compileRoute(r, index, { timeouts, maxBodySize, cors: config.cors }));
  return {
    version: opts.version ?? 1,
    listen: { host: config.listen?.host ?? DEFAULTS.host, port: config.listen?.port ?? DEFAULTS.port },
    site: config.root
      ? {
          root: realOrResolved(resolve(opts.baseDir, config.root)),
          index: config.index ?? DEFAULTS.index,
          spa: config.spa ?? true,
          autoindex: config.autoindex ?? false,
          charset: config.charset ?? DEFAULTS.charset,
          addHeaders: [],
        }
      : null,
    routes,
    maxBodySize,
    timeouts,
    cors: mergeCors(config.cors, undefined),
    allowedHosts: new Set((config.allowedHosts ?? []).map((h) => h.toLowerCase())),
    inspect: {
      bodyBytes: config.inspect?.bodyBytes ?? DEFAULTS.inspect.bodyBytes,
      storeBytes: config.inspect?.storeBytes ?? DEFAULTS.inspect.storeBytes,
      frameBytes: config.inspect?.frameBytes ?? DEFAULTS.inspect.frameBytes,
      frames: config.inspect?.frames ?? DEFAULTS.inspect.frames,
    },
  };
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

const KINDS: Record<string, MatchKind> = { '': 'prefix', '=': 'exact', '^~': 'prefix-stop', '~': 'regex', '~*': 'regex' };

interface ServerDefaults {
  timeouts: Timeouts;
  maxBodySize: number;
  cors: CorsConfig | undefined;
}

export function compileRoute(r: RouteConfig, index: number, server: ServerDefaults): CompiledRoute {
  const { modifier, pattern } = splitMatch(r.match);
  const target = new URL(r.target);
  if (target.protocol === 'ws:') target.protocol = 'http:';
  if (target.protocol === 'wss:') target.protocol = 'https:';
  const remote = r.remote === true;
  const cookies = remote
    ? { domain: 'remove', secure: 'remove' as const, sameSite: 'Lax' as const, ...r.cookies }
    : (r.cookies ?? null);
  return {
    index,
    label: r.name ?? r.match,
    match: r.match,
    kind: KINDS[modifier]!,
    pattern,
    regex: modifier === '~' || modifier === '~*' ? new RegExp(pattern, modifier === '~*' ? 'i' : '') : undefined,
    target,
    targetPath: targetHasPath(r.target) ? target.pathname : null,
    ws: r.ws ?? true,
    changeOrigin: r.changeOrigin ?? true,
    secure: r.secure ?? true,
    rewriteOrigin: r.rewriteOrigin ?? remote,
    setHeaders: Object.entries(r.setHeaders ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    removeHeaders: new Set((r.removeHeaders ?? []).map((h) => h.toLowerCase())),
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
    cors: mergeCors(server.cors, r.cors),
  };
}

/** Route CORS fields override the server's, field by field; null when CORS ends up off. */
export function mergeCors(server: CorsConfig | undefined, route: CorsConfig | undefined): CorsPolicy | null {
  const c = { ...server, ...route };
  if (!c.enabled) return null;
  return {
    origins: c.origins ?? '*',
    credentials: c.credentials ?? false,
    methods: c.methods ?? DEFAULTS.corsMethods,
    headers: c.headers ?? 'reflect',
    exposeHeaders: c.exposeHeaders ?? [],
    maxAge: c.maxAge !== undefined ? Math.round(c.maxAge / 1000) : DEFAULTS.corsMaxAge,
    preflight: c.preflight ?? 'local',
    privateNetwork: c.privateNetwork ?? false,
    backendHeaders: c.backendHeaders ?? 'replace',
  };
}
