// nginx location selection over the compiled routes, proxy_pass path rewrite, auto-redirect and route warnings.
import { setFlagsFromString } from 'node:v8';
import type { CompiledRoute, FileLocationCompiled } from './types.ts';
import { escapePath, normalizePath, rawQuery } from './uri.ts';

export { normalizePath };

/*
 * ReDoS (docs/hardening.md): validateConfig refuses route regexes that regexHazard (shared/regex-safety.ts)
 * finds super-linear. Behind it, a regex that still backtracks too much is finished by V8's linear-time
 * engine (for patterns without backreferences or lookarounds; process-wide, the same matches), and
 * regex locations are not tried on paths longer than nginx accepts in a request line.
 */
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');

/** nginx answers 414 to a request line over 8 KiB (large_client_header_buffers 4 8k): regexes never see longer paths there. */
export const REGEX_PATH_MAX = 8 * 1024;

/** What matchRoute needs, computed once per routes array (snapshots are immutable). */
interface RouteIndex {
  /** "= /x" locations by pattern; the first in config order wins a duplicate. */
  exact: Map<string, CompiledRoute>;
  /** Prefix and "^~" locations, longest pattern first (config order among equals). */
  prefixes: CompiledRoute[];
  /** "~" and "~*" locations in config order, each with a regex safe to .test() repeatedly. */
  regexes: Array<{ route: CompiledRoute; regex: RegExp }>;
  /** Static location names (exact and prefix): these are never auto-redirected. */
  names: Set<string>;
  /** "/api" → the route whose location is "/api/" (nginx answers 301 to "/api/"). */
  redirects: Map<string, CompiledRoute>;
}

const indexes = new WeakMap<readonly CompiledRoute[], RouteIndex>();

function indexOf(routes: readonly CompiledRoute[]): RouteIndex {
  let ix = indexes.get(routes);
  if (ix) return ix;
  ix = { exact: new Map(), prefixes: [], regexes: [], names: new Set(), redirects: new Map() };
  for (const r of routes) {
    if (r.kind === 'regex') {
      const re = r.regex ?? new RegExp(r.pattern);
      // A /g or /y regex keeps lastIndex between calls; matching must not depend on the previous request.
      const regex = re.global || re.sticky ? new RegExp(re.source, re.flags.replace(/[gy]/g, '')) : re;
      ix.regexes.push({ route: r, regex });
      continue;
    }
    if (r.kind === 'exact') {
      if (!ix.exact.has(r.pattern)) ix.exact.set(r.pattern, r);
    } else {
      ix.prefixes.push(r);
    }
    ix.names.add(r.pattern);
    if (r.pattern.length > 1 && r.pattern.endsWith('/')) {
      const bare = r.pattern.slice(0, -1);
      if (!ix.redirects.has(bare)) ix.redirects.set(bare, r);
    }
  }
  // Array.prototype.sort is stable: equal lengths keep config order.
  ix.prefixes.sort((a, b) => b.pattern.length - a.pattern.length);
  indexes.set(routes, ix);
  return ix;
}

/** nginx location selection over CompiledRoute[] (config order): exact "=" first; otherwise the longest
 *  matching prefix is remembered; if it is "^~" it wins; else regexes ("~", "~*") are tried in config
 *  order and the first match wins; else the longest prefix; null when nothing matches.
 *
 *  `path` is the normalized path (normalizePath). Prefixes compare case-sensitively and by plain
 *  string prefix, so "/api" matches "/apix" exactly as in nginx. The routes array must not be mutated
 *  after its first use (the precomputed index is cached per array). Regexes are not tried on paths
 *  over REGEX_PATH_MAX (nginx would have answered 414). */
export function matchRoute(routes: CompiledRoute[], path: string): CompiledRoute | null {
  const ix = indexOf(routes);
  const exact = ix.exact.get(path);
  if (exact) return exact;
  let prefix: CompiledRoute | null = null;
  const prefixes = ix.prefixes;
  for (let i = 0; i < prefixes.length; i++) {
    if (path.startsWith(prefixes[i]!.pattern)) {
      prefix = prefixes[i]!;
      break;
    }
  }
  if (prefix !== null && prefix.kind === 'prefix-stop') return prefix;
  if (path.length > REGEX_PATH_MAX) return prefix;
  const regexes = ix.regexes;
  for (let i = 0; i < regexes.length; i++) {
    if (regexes[i]!.regex.test(path)) return regexes[i]!.route;
  }
  return prefix;
}

/**
 * nginx's auto-redirect for proxied locations ending in "/": a request for "/api" when some location is
 * "/api/" ("= /api/", "^~ /api/" too) and no location is named "/api" gets `301 Location: /api/`
 * (plus "?query" when there is one) — before any regex is tried. Returns that Location (a path; nginx
 * makes it absolute), or null when nginx would route the request normally. Call it before matchRoute.
 */
export function slashRedirect(routes: CompiledRoute[], rawUrl: string, normalizedPath: string): string | null {
  const ix = indexOf(routes);
  if (ix.redirects.size === 0) return null;
  const route = ix.redirects.get(normalizedPath);
  if (!route || ix.names.has(normalizedPath)) return null;
  const query = rawQuery(rawUrl);
  // nginx sends the location name as written; escaping keeps a non-ASCII name a valid header value.
  return escapePath(route.pattern) + (query ? `?${query}` : '');
}

/** nginx proxy_pass rewrite: target with a URI part replaces the matched prefix of the NORMALIZED path
 *  (then re-escaped the way nginx does) and appends the original query; without a URI part the ORIGINAL
 *  raw request URI (path+query, unnormalized) passes unchanged. Returns path+query to send upstream.
 *
 *  An empty query ("/x?") is dropped and a "#fragment" is cut, as nginx does. A regex route cannot
 *  have a URI part (config validation refuses it); if one does anyway, the whole path is appended. */
export function upstreamPath(route: CompiledRoute, rawUrl: string, normalizedPath: string): string {
  if (route.rewrite) {
    const rewritten = rewriteUri(route.rewrite, rawUrl, normalizedPath);
    if (rewritten !== null) return rewritten;
  }
  const targetPath = route.targetPath;
  if (targetPath === null) return rawUrl;
  const cut = route.kind !== 'regex' && normalizedPath.startsWith(route.pattern) ? route.pattern.length : 0;
  const rest = escapePath(normalizedPath.slice(cut));
  const query = rawQuery(rawUrl);
  return query ? `${targetPath}${rest}?${query}` : targetPath + rest;
}

/**
 * Where a sample request on this route goes upstream, for previews in the UI and CLI:
 * { from: "/api/users", to: "/v2/users" }. Regex routes have no sample path (null).
 */
export function routePreview(route: CompiledRoute, sample = 'users'): { from: string; to: string } | null {
  if (route.kind === 'regex') return null;
  const from =
    route.kind === 'exact'
      ? route.pattern
      : route.pattern.endsWith('/')
        ? route.pattern + sample
        : `${route.pattern}/${sample}`;
  return { from, to: upstreamPath(route, from, from) };
}

/** Human-readable previews/warnings for the UI and CLI: e.g. match "/api/" with target ".../v2" gives
 *  "/api/users" → "/v2users" — warn; match "/api" + target ".../v2/" gives "//" — warn. */
export function routeWarnings(route: CompiledRoute): string[] {
  const warnings: string[] = [];
  const { pattern, targetPath } = route;
  if (route.kind === 'regex') {
    if (targetPath !== null) {
      warnings.push(
        `a regex location cannot have a path in its target (nginx refuses "proxy_pass" with a URI here); drop "${targetPath}" from the target`,
      );
    }
    return warnings;
  }
  if (/%[0-9a-f]{2}/i.test(pattern)) {
    warnings.push(
      `"${pattern}" contains a %XX escape, but locations are matched against the decoded path: write the character itself`,
    );
  }
  if (/\/\/|\/\.\.?(\/|$)|#/.test(pattern)) {
    warnings.push(
      `"${pattern}" contains "//", "/./", "/../" or "#": request paths are normalized first, so this route never matches`,
    );
  }
  if (targetPath !== null && route.kind !== 'exact') {
    const preview = routePreview(route)!;
    const example = `"${preview.from}" → "${preview.to}"`;
    if (pattern.endsWith('/') && !targetPath.endsWith('/')) {
      warnings.push(
        `${example}: the match ends with "/" but the target path "${targetPath}" does not, so the two run together; write "${targetPath}/"`,
      );
    } else if (!pattern.endsWith('/') && targetPath.endsWith('/')) {
      warnings.push(
        `${example}: the target path "${targetPath}" ends with "/" but the match does not, so paths get "//"; write the match as "${pattern}/" or the target without the trailing "/"`,
      );
    }
  }
  return warnings;
}

/** The route for this request: itself, or (nginx upstream round robin) its next server's copy. */
export function takeTurn(route: CompiledRoute): CompiledRoute {
  const s = route.servers;
  if (!s) return route;
  const picked = s.all[s.next]!;
  s.next = (s.next + 1) % s.all.length;
  return picked;
}

/**
 * nginx `rewrite regex replacement break` before proxy_pass: the first regex that matches the
 * (normalized) path gives the new URI, $1…$9 filled in; proxy_pass's own URI part is then not used.
 * The request's query follows, after the replacement's own (a replacement ending in "?" drops it).
 * Returns null when no regex matches.
 */
export function rewriteUri(
  rules: Array<{ regex: RegExp; replacement: string }>,
  rawUrl: string,
  path: string,
): string | null {
  for (const { regex, replacement } of rules) {
    const m = regex.exec(path);
    if (!m) continue;
    const uri = replacement.replace(/\$(\d)/g, (_, n: string) => m[Number(n)] ?? '');
    const query = rawQuery(rawUrl);
    const q = uri.indexOf('?');
    const uriPath = escapePath(q < 0 ? uri : uri.slice(0, q));
    if (q >= 0) {
      const own = uri.slice(q + 1);
      if (own === '') return uriPath;
      return query ? `${uriPath}?${own}&${query}` : `${uriPath}?${own}`;
    }
    return query ? `${uriPath}?${query}` : uriPath;
  }
  return null;
}

/** What a request path goes to: a proxied route, a file location, or neither (the site's own files). */
export type Located =
  | { route: CompiledRoute; files?: undefined }
  | { files: FileLocationCompiled; route?: undefined }
  | null;

/**
 * nginx location selection over routes and file locations together: "=" first, then the longest
 * prefix ("^~" stops there), then regexes — the file locations' in their order, then the routes' —
 * else that prefix. Without file locations this is matchRoute.
 */
export function matchLocation(routes: CompiledRoute[], files: FileLocationCompiled[], path: string): Located {
  if (files.length === 0) {
    const r = matchRoute(routes, path);
    return r ? { route: r } : null;
  }
  const ix = indexOf(routes);
  const exactRoute = ix.exact.get(path);
  if (exactRoute) return { route: exactRoute };
  const exactFile = files.find((f) => f.kind === 'exact' && f.pattern === path);
  if (exactFile) return { files: exactFile };
  let best: Located = null;
  let bestLength = -1;
  let stop = false;
  for (const r of ix.prefixes) {
    if (path.startsWith(r.pattern)) {
      best = { route: r };
      bestLength = r.pattern.length;
      stop = r.kind === 'prefix-stop';
      break;
    }
  }
  for (const f of files) {
    if (
      (f.kind === 'prefix' || f.kind === 'prefix-stop') &&
      path.startsWith(f.pattern) &&
      f.pattern.length > bestLength
    ) {
      best = { files: f };
      bestLength = f.pattern.length;
      stop = f.kind === 'prefix-stop';
    }
  }
  if (stop) return best;
  for (const f of files) if (f.regex?.test(path)) return { files: f };
  for (const { route, regex } of ix.regexes) if (regex.test(path)) return { route };
  return best;
}
