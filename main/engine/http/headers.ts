// Request and response header passes of the HTTP proxy: hop-by-hop, Host, X-Forwarded-*, set/remove, rewrites.
import type { IncomingMessage } from 'node:http';
import { TOKEN_COOKIE_PREFIX } from '../../../shared/api.ts';
import { rewriteSetCookies } from './cookies.ts';
import { clientOrigin, redirectRule, rewriteLocation, rewriteRefresh, type RedirectRule } from './redirects.ts';
import type { CompiledRoute } from '../types.ts';
import { expandVariables, hasRequestVariable } from './variables.ts';

/** A response header object as node's writeHead takes it (lower-case names). */
export type OutgoingHeaders = Record<string, string | string[] | number | undefined>;

/**
 * Hop-by-hop headers (RFC 9110 7.6.1) plus Expect, which the proxy answers itself (node sends
 * 100 Continue) and nginx does not forward either. Proxy-* is handled by prefix.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);

/** Header names listed in a Connection header ("close, X-Foo" → {"close", "x-foo"}). */
export function connectionTokens(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null;
  const text = Array.isArray(value) ? value.join(',') : value;
  const out = new Set<string>();
  for (const t of text.split(',')) {
    const name = t.trim().toLowerCase();
    if (name) out.add(name);
  }
  return out;
}

export function isHopByHop(lowerName: string, named: Set<string> | null): boolean {
  return HOP_BY_HOP.has(lowerName) || lowerName.startsWith('proxy-') || named?.has(lowerName) === true;
}

/** A `name=value` pair of a Cookie header that is Loopgate's own control cookie (an older UI set it on the site's host). */
function isControlCookie(pair: string): boolean {
  return pair.trimStart().startsWith(TOKEN_COOKIE_PREFIX);
}

/**
 * Defense in depth for the control credential: the UI no longer sets a cookie, but one left by an older
 * Loopgate (cookies ignore ports, so the site's requests carry it) is taken out of the request before
 * anything reads it: never forwarded (HTTP or WebSocket handshake), never logged, never exported.
 * The raw list keeps its length (node builds `req.headers` from it by count): an emptied Cookie stays
 * as "" and the forwarders skip it.
 */
export function dropControlCookie(req: IncomingMessage): void {
  const raw = req.rawHeaders;
  let found = false;
  for (let i = 0; i < raw.length && !found; i += 2) {
    found = raw[i]!.length === 6 && raw[i]!.toLowerCase() === 'cookie' && raw[i + 1]!.includes(TOKEN_COOKIE_PREFIX);
  }
  if (!found) return;
  const headers = req.headers; // built from the list as received, before it changes below
  const kept: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'cookie') continue;
    raw[i + 1] = raw[i + 1]!.split(';')
      .filter((p) => !isControlCookie(p))
      .join(';')
      .trim();
    if (raw[i + 1] !== '') kept.push(raw[i + 1]!);
  }
  if (kept.length) headers.cookie = kept.join('; ');
  else delete headers.cookie;
}

/** Per-route values derived once (routes are immutable within a snapshot). */
interface Prepared {
  /** Names the proxy sets itself, so the client's copy is dropped. */
  replaced: Set<string>;
  /** Names in setHeaders (they win over the forwarded headers too). */
  setNames: Set<string>;
  /** setHeaders with a value (the "" ones only remove); `true` when the value names a variable ($host…). */
  set: Array<[string, string, boolean]>;
  redirect: RedirectRule;
  add: Array<[string, string]>;
}

const prepared = new WeakMap<CompiledRoute, Prepared>();

function prepare(route: CompiledRoute): Prepared {
  let p = prepared.get(route);
  if (p) return p;
  const setNames = new Set<string>(route.setHeaders.map(([k]) => k));
  const replaced = new Set<string>(setNames);
  if (route.forwarded.realIp) replaced.add('x-real-ip');
  if (route.forwarded.forwardedProto) replaced.add('x-forwarded-proto');
  if (route.forwarded.forwardedHost) replaced.add('x-forwarded-host');
  p = {
    replaced,
    setNames,
    set: route.setHeaders.filter(([, v]) => v !== '').map(([k, v]) => [k, v, hasRequestVariable(v)]),
    redirect: redirectRule(route),
    add: route.addHeaders.map(([k, v]) => [k.toLowerCase(), v]),
  };
  prepared.set(route, p);
  return p;
}

function rewriteReferer(value: string, targetOrigin: string): string {
  try {
    const u = new URL(value);
    return targetOrigin + u.pathname + u.search;
  } catch {
    return value;
  }
}

/**
 * The request headers sent upstream, as a flat [name, value, ...] list keeping the client's casing
 * and order. Host is the target's host:port with changeOrigin, else the client's; forwarded headers
 * follow nginx (`X-Forwarded-For $proxy_add_x_forwarded_for`, `X-Real-IP $remote_addr`,
 * `X-Forwarded-Proto $scheme`, `X-Forwarded-Host $http_host`); then setHeaders, removeHeaders.
 */
export function buildRequestHeaders(req: IncomingMessage, route: CompiledRoute): string[] {
  const p = prepare(route);
  const raw = req.rawHeaders;
  const named = connectionTokens(req.headers.connection);
  const remove = route.removeHeaders;
  const fwd = route.forwarded;
  const out: string[] = [];
  let sawHost = false;
  let xff: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (isHopByHop(lower, named) || remove.has(lower) || p.replaced.has(lower)) continue;
    let value = raw[i + 1]!;
    if (value === '' && lower === 'cookie') continue; // emptied by dropControlCookie
    if (lower === 'host') {
      if (sawHost) continue;
      sawHost = true;
      if (route.changeOrigin) value = route.target.host;
    } else if (lower === 'x-forwarded-for' && fwd.forwardedFor) {
      xff = xff === undefined ? value : `${xff}, ${value}`;
      continue;
    } else if (route.rewriteOrigin) {
      if (lower === 'origin') value = route.target.origin;
      else if (lower === 'referer') value = rewriteReferer(value, route.target.origin);
    }
    out.push(name, value);
  }
  // A Host from setHeaders replaces this one (two Host headers make backends answer 400).
  if (!sawHost && route.changeOrigin && !remove.has('host') && !p.setNames.has('host'))
    out.unshift('Host', route.target.host);
  const remote = req.socket.remoteAddress;
  if (fwd.realIp) addForwarded(out, p, remove, 'X-Real-IP', 'x-real-ip', remote);
  if (fwd.forwardedFor)
    addForwarded(
      out,
      p,
      remove,
      'X-Forwarded-For',
      'x-forwarded-for',
      xff === undefined ? remote : remote ? `${xff}, ${remote}` : xff,
    );
  if (fwd.forwardedProto)
    addForwarded(
      out,
      p,
      remove,
      'X-Forwarded-Proto',
      'x-forwarded-proto',
      (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
    );
  if (fwd.forwardedHost) addForwarded(out, p, remove, 'X-Forwarded-Host', 'x-forwarded-host', req.headers.host);
  for (const [k, v, variable] of p.set) if (!remove.has(k)) out.push(k, variable ? expandVariables(v, req, route) : v);
  return out;
}

/** One forwarded header, unless empty, removed, or set by the route (setHeaders win). */
function addForwarded(
  out: string[],
  p: Prepared,
  remove: Set<string>,
  name: string,
  lower: string,
  value: string | undefined,
): void {
  if (value !== undefined && value !== '' && !remove.has(lower) && !p.setNames.has(lower)) out.push(name, value);
}

/**
 * The response pass before CORS: hop-by-hop headers dropped, Location/Refresh pointed back at the
 * client (rewriteRedirects), Set-Cookie rewritten (cookies). Mutates and returns `headers`.
 */
export function rewriteResponseHeaders(
  headers: OutgoingHeaders,
  route: CompiledRoute,
  req: IncomingMessage,
): OutgoingHeaders {
  const conn = headers.connection;
  const named = connectionTokens(typeof conn === 'number' ? String(conn) : conn);
  for (const name of Object.keys(headers)) {
    if (isHopByHop(name, named)) delete headers[name];
  }
  if (route.rewriteRedirects && (headers.location !== undefined || headers.refresh !== undefined)) {
    const rule = prepare(route).redirect;
    const origin = clientOrigin(req.headers.host, Boolean((req.socket as { encrypted?: boolean }).encrypted));
    const loc = headers.location;
    if (typeof loc === 'string') headers.location = rewriteLocation(loc, rule, origin);
    const refresh = headers.refresh;
    if (typeof refresh === 'string') headers.refresh = rewriteRefresh(refresh, rule, origin);
  }
  const cookies = headers['set-cookie'];
  if (route.cookies && cookies !== undefined && typeof cookies !== 'number') {
    headers['set-cookie'] = rewriteSetCookies(cookies, route.cookies);
  }
  return headers;
}

/** Append (never replace) headers, like nginx `add_header ... always`. Names must be lower-case. */
export function appendHeaders(headers: OutgoingHeaders, add: Array<[string, string]>): void {
  for (const [k, v] of add) {
    const cur = headers[k];
    if (cur === undefined) headers[k] = v;
    else if (Array.isArray(cur)) cur.push(v);
    else headers[k] = [String(cur), v];
  }
}

/** The route's addHeaders with lower-case names (cached). */
export function routeAddHeaders(route: CompiledRoute): Array<[string, string]> {
  return prepare(route).add;
}
