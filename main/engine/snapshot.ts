// Turns a validated config into an immutable Snapshot: defaults applied, overrides merged, routes compiled.
import { realpathSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Config, RespondConfig, RouteConfig } from '../../shared/config.ts';
import { splitMatch } from '../../shared/config.ts';
import { DEFAULTS, fullCors, fullRoute, serverLevel, type ServerLevel } from '../../shared/effective.ts';
import { parseExpires } from '../../shared/units.ts';
import { wireValue } from './http/header-value.ts';
import { contentType } from './static/mime.ts';
import type { CompiledRespond, CompiledRoute, MatchKind, Snapshot, StaticSite } from './types.ts';

export { DEFAULTS };

export interface CompileOptions {
  /** Folder relative paths (root) are resolved against: the config file's folder. */
  baseDir: string;
  version?: number;
}

export function compileSnapshot(config: Config, opts: CompileOptions): Snapshot {
  const server = serverLevel(config);
  const routesIn = config.activeProfile ? config.profiles![config.activeProfile]!.routes : (config.routes ?? []);
  const routes = routesIn
    .map((r, index) => ({ r, index }))
    .filter(({ r }) => r.enabled !== false)
    .map(({ r, index }) => compileRoute(r, index, server, opts.baseDir));
  const site = siteOf(
    config,
    config.root ? realOrResolved(resolve(opts.baseDir, config.root)) : '',
    server.timeouts.clientSend,
  );
  const files = (config.locations ?? []).map((l) => {
    const { modifier, pattern } = splitMatch(l.match);
    // alias "/x/static" (no slash): the prefix maps to that name inside /x, so a file alias works too.
    const aliasFile = l.alias !== undefined && !l.alias.endsWith('/');
    const folder = aliasFile ? dirname(l.alias!) : (l.alias ?? l.root);
    return {
      match: l.match,
      kind: KINDS[modifier]!,
      pattern,
      regex: modifier === '~' || modifier === '~*' ? new RegExp(pattern, modifier === '~*' ? 'i' : '') : undefined,
      alias: l.alias !== undefined,
      aliasName: aliasFile ? `/${basename(l.alias!)}` : '',
      return: l.return ?? null,
      site: {
        ...site,
        root: folder ? realOrResolved(resolve(opts.baseDir, folder)) : site.root,
        index: l.index ?? site.index,
        spa: false,
        tryFiles: l.tryFiles,
        expires: l.expires !== undefined ? (parseExpires(l.expires) ?? null) : site.expires,
        // nginx: a location's own add_header list replaces the outer one.
        addHeaders: l.addHeaders ? Object.entries(l.addHeaders) : site.addHeaders,
      },
    };
  });
  return {
    version: opts.version ?? 1,
    listen: { host: config.listen?.host ?? DEFAULTS.host, port: config.listen?.port ?? DEFAULTS.port },
    files,
    site: config.root ? site : null,
    ...rest(config, server, routes),
  };
}

function siteOf(config: Config, root: string, sendTimeout: number): StaticSite {
  return {
    root,
    index: config.index ?? DEFAULTS.index,
    spa: config.spa ?? true,
    autoindex: config.autoindex ?? false,
    charset: config.charset === 'off' ? '' : (config.charset ?? DEFAULTS.charset),
    codings: [
      ...((config.brotliStatic ?? DEFAULTS.brotliStatic) ? (['br'] as const) : []),
      ...((config.gzipStatic ?? DEFAULTS.gzipStatic) ? (['gzip'] as const) : []),
    ],
    expires: config.expires !== undefined ? (parseExpires(config.expires) ?? null) : null,
    tryFiles: config.tryFiles,
    gzip: config.gzip
      ? {
          types: new Set(['text/html', ...(config.gzip.types ?? [])]),
          minLength: config.gzip.minLength ?? 20,
          vary: config.gzip.vary ?? false,
        }
      : null,
    types: Object.fromEntries(Object.entries(config.types ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    addHeaders: Object.entries(config.addHeaders ?? {}),
    sendTimeout,
  };
}

function rest(config: Config, server: ServerLevel, routes: CompiledRoute[]) {
  return {
    routes,
    maxBodySize: server.maxBodySize,
    timeouts: server.timeouts,
    cors: fullCors(config.cors, undefined),
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

const KINDS: Record<string, MatchKind> = {
  '': 'prefix',
  '=': 'exact',
  '^~': 'prefix-stop',
  '~': 'regex',
  '~*': 'regex',
};

/** A route for the hot path: shared/effective.ts decides every value; here they become URLs, regexes, sets. */
export function compileRoute(r: RouteConfig, index: number, server: ServerLevel, baseDir = '.'): CompiledRoute {
  const route = compileOne(r, index, server, baseDir);
  if (!r.servers?.length) return route;
  // Round robin: the same route once per backend, only the target's host:port differing.
  const all = [route];
  for (const hostPort of r.servers) {
    const target = new URL(route.target.href);
    target.host = hostPort;
    all.push({ ...route, target });
  }
  route.servers = { all, next: 0 };
  return route;
}

function compileOne(r: RouteConfig, index: number, server: ServerLevel, baseDir: string): CompiledRoute {
  const { modifier, pattern } = splitMatch(r.match);
  const full = fullRoute(r, server);
  const target = new URL(full.target);
  return {
    index,
    label: r.name ?? r.match,
    match: r.match,
    kind: KINDS[modifier]!,
    pattern,
    regex: modifier === '~' || modifier === '~*' ? new RegExp(pattern, modifier === '~*' ? 'i' : '') : undefined,
    target,
    targetPath: full.hasPath ? target.pathname : null,
    ws: full.ws,
    changeOrigin: full.changeOrigin,
    secure: full.secure,
    rewriteOrigin: full.rewriteOrigin,
    // Request header values go out as their UTF-8 bytes, as nginx sends its config's (http/header-value.ts).
    setHeaders: full.setHeaders.map(([k, v]) => [k.toLowerCase(), wireValue(v)]),
    removeHeaders: new Set(full.removeHeaders.map((h) => h.toLowerCase())),
    forwarded: full.forwarded,
    addHeaders: full.addHeaders,
    rewriteRedirects: full.rewriteRedirects,
    cookies: full.cookies,
    timeouts: full.timeouts,
    maxBodySize: full.maxBodySize,
    keepAlivePing: full.keepAlivePing,
    cors: full.cors,
    ...(full.respond ? { respond: compileRespond(full.respond, baseDir) } : {}),
    ...(full.conditions ? { conditions: full.conditions } : {}),
    ...(r.rewrite?.length
      ? { rewrite: r.rewrite.map((w) => ({ regex: new RegExp(w.regex), replacement: w.replacement })) }
      : {}),
  };
}

/** A mock answer's bytes and type, decided once: text as text/plain, any other JSON value as application/json. */
function compileRespond(r: RespondConfig, baseDir: string): CompiledRespond {
  const file = r.file !== undefined ? realOrResolved(resolve(baseDir, r.file)) : null;
  const text = typeof r.body === 'string';
  const body =
    r.body === undefined
      ? file
        ? null
        : Buffer.alloc(0)
      : Buffer.from(text ? (r.body as string) : JSON.stringify(r.body));
  const type = file
    ? contentType(file, DEFAULTS.charset)
    : r.body === undefined || text
      ? 'text/plain; charset=utf-8'
      : 'application/json';
  return { status: r.status ?? 200, headers: Object.entries(r.headers ?? {}), body, type, file };
}

/** Route CORS fields override the server's, field by field; null when CORS ends up off. */
export const mergeCors = fullCors;
