// Turns one proxying `location` (with nginx inheritance applied) into a Loopgate route.
import type { RouteInput } from '../../../shared/config.ts';
import { headerValueProblem, targetHasPath } from '../../../shared/config.ts';
import { formatDuration, formatSize, parseDuration, parseSize } from '../../../shared/units.ts';
import { isCorsHeader, readCors, type AddHeader, type OriginMaps } from './cors.ts';
import { TIMEOUT_DIRECTIVES, TIMEOUT_KEYS, type FullCors, type Timeouts } from '../../../shared/effective.ts';
import { headerFields, readRequestHeaders } from './headers.ts';
import type { LocNode } from './locations.ts';
import type { Directive } from './parse.ts';
import { readCookies, readRedirects } from './rewrites.ts';
import { list, scalar, type Chain, type Used } from './scope.ts';
import { foldRewrite, resolveTarget, type Upstream } from './target.ts';
import { HEADER_NAME, hasVariable, targetOrigin } from './values.ts';
import type { Warnings } from './warnings.ts';

export interface ImportContext {
  w: Warnings;
  used: Used;
  upstreams: Map<string, Upstream>;
  originMaps: OriginMaps;
  upgradeVars: Set<string>;
}

export interface ServerContext {
  http: Directive[];
  server: Directive[];
  /** ms, effective at server level */
  timeouts: Timeouts;
  /** bytes, effective at server level */
  maxBodySize: number;
  /** nginx's $server_name: the first name of the first server_name ("" when none). */
  serverName: string;
  /** A server-level `if ($request_method = OPTIONS) { ... return 204; }`. */
  preflight: Directive | undefined;
}

export interface ImportedRoute {
  route: RouteInput;
  cors: FullCors | null;
}

const SYSTEM_CA = new Set([
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/cert.pem',
]);

/** The preflight `if` of a block, marked as understood, or undefined. */
export function findPreflight(block: Directive[], used: Used): Directive | undefined {
  for (const d of block) {
    if (d.name !== 'if' || !d.block) continue;
    const test = d.args.join(' ').replace(/\s+/g, ' ');
    if (!/^\( ?\$request_method ?= ?OPTIONS ?\)$/i.test(test)) continue;
    const ret = d.block.find((x) => x.name === 'return' && (x.args[0] === '204' || x.args[0] === '200'));
    if (!ret) continue;
    used.mark(d, ret);
    for (const h of d.block) {
      const n = h.name === 'add_header' ? h.args[0]?.toLowerCase() : undefined;
      if (n === 'content-type' || n === 'content-length') used.mark(h);
    }
    return d;
  }
  return undefined;
}

/** add_header directives as (name, value, always); invalid ones are warned about and left out. */
export function toAddHeaders(items: Directive[], w: Warnings): AddHeader[] {
  const out: AddHeader[] = [];
  for (const d of items) {
    const [name, value, flag] = d.args;
    if (name === undefined || value === undefined || d.args.length > 3 || (flag !== undefined && flag !== 'always')) {
      w.at(d, 'add_header takes a name, a value and optionally "always": ignored');
      continue;
    }
    if (!HEADER_NAME.test(name)) {
      w.at(d, `"${name}" is not a valid header name: ignored`);
      continue;
    }
    const problem = headerValueProblem(value, true);
    if (problem !== null) {
      w.at(d, `add_header ${name}: ${problem}: ignored`);
      continue;
    }
    out.push({ name, value, always: flag === 'always', d });
  }
  return out;
}

/** Preflight answer headers: the if block's own add_headers, or (nginx inheritance) the location's. */
export function preflightHeaders(
  ifd: Directive | undefined,
  inherited: AddHeader[],
  w: Warnings,
  used: Used,
): AddHeader[] | undefined {
  if (!ifd?.block) return undefined;
  const own = ifd.block.filter((d) => d.name === 'add_header');
  used.mark(...own);
  return own.length ? toAddHeaders(own, w) : inherited;
}

/** Non-CORS add_headers → addHeaders (literal values only). */
export function plainHeaders(rest: AddHeader[], w: Warnings): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const h of rest) {
    if (hasVariable(h.value)) {
      w.at(h.d, `add_header ${h.name} ${h.value}: variables are not supported: header not added`);
      continue;
    }
    if (!h.always && !isCorsHeader(h.name)) {
      w.at(
        h.d,
        `add_header ${h.name} without "always": nginx adds it only to 2xx/3xx answers, Loopgate to every status`,
      );
    }
    const dup = Object.keys(out).find((k) => k.toLowerCase() === h.name.toLowerCase());
    if (dup) {
      w.at(h.d, `add_header ${h.name} appears twice: Loopgate keeps one value (the last)`);
      delete out[dup];
    }
    out[h.name] = h.value;
  }
  return Object.keys(out).length ? out : undefined;
}

export function importRoute(
  node: LocNode,
  pass: Directive,
  ctx: ImportContext,
  srv: ServerContext,
): ImportedRoute | undefined {
  const { w, used } = ctx;
  const block = node.d.block ?? [];
  const resolved = resolveTarget(pass, ctx.upstreams, w, used);
  if (!resolved) return undefined;
  let target = resolved.target;
  const isRegex = node.flatModifier === '~' || node.flatModifier === '~*';
  if (isRegex) {
    try {
      new RegExp(node.flatPattern, node.flatModifier === '~*' ? 'i' : '');
    } catch (e) {
      w.at(
        node.d,
        `regex "${node.flatPattern}" is not valid in JavaScript (${(e as Error).message}): location skipped`,
      );
      return undefined;
    }
  }
  const prefixLike = node.flatModifier === '' || node.flatModifier === '^~';
  const folded = foldRewrite(block, prefixLike ? node.flatPattern : undefined, target, used);
  if (folded) target = folded;
  if (isRegex && targetHasPath(target)) {
    const bare = target.replace(/^([a-z]+:\/\/[^/]+).*$/i, '$1');
    w.at(
      pass,
      `proxy_pass cannot have a URI part in a regex location (nginx rejects it): "${target}" becomes "${bare}"`,
    );
    target = bare;
  }

  const chain: Chain = [srv.http, srv.server, ...node.blocks];
  const psh = list(chain, 'proxy_set_header', used);
  if (psh.shadowed.length && psh.level >= 2) {
    const names = [...new Set(psh.shadowed.map((d) => d.args[0] ?? ''))].join(', ');
    w.at(
      psh.items[0]!,
      `this proxy_set_header replaces the outer ones (${names}) for this location: nginx does not merge them`,
    );
  }
  const headers = readRequestHeaders(psh.items, targetOrigin(target), ctx.upgradeVars, w, srv.serverName);
  if (
    resolved.upstream &&
    headers.hostVariable === 'proxy' &&
    !Object.keys(headers.setHeaders).some((h) => h.toLowerCase() === 'host')
  ) {
    // nginx's $proxy_host is the upstream's name, not the server it picked.
    headers.setHeaders.Host = resolved.upstream;
  }
  const version = scalar(chain, 'proxy_http_version', used)?.args[0] ?? '1.0';
  const ws = headers.upgrade && headers.connectionUpgrade;
  if (headers.upgrade !== headers.connectionUpgrade) {
    w.at(
      node.d,
      'WebSocket upgrades need both "proxy_set_header Upgrade $http_upgrade" and "Connection $connection_upgrade": ws is off',
    );
  } else if (ws && version !== '1.1') {
    w.at(node.d, 'nginx needs "proxy_http_version 1.1" to proxy WebSocket upgrades; Loopgate proxies them (ws: true)');
  }

  const route: RouteInput = {
    match: node.match,
    target,
    ...(resolved.servers ? { servers: resolved.servers } : {}),
    ws,
    ...headerFields(headers),
  };
  // rewrite ... break before proxy_pass (what foldRewrite could not turn into a target path) runs as written.
  const rewrites = folded ? [] : block.filter((d) => d.name === 'rewrite');
  if (
    rewrites.length &&
    rewrites.every((d) => d.args.length === 3 && d.args[2] === 'break' && d.args[1]!.startsWith('/'))
  ) {
    const rules = [];
    for (const d of rewrites) {
      try {
        new RegExp(d.args[0]!);
        rules.push({ regex: d.args[0]!, replacement: d.args[1]! });
        used.mark(d);
      } catch (e) {
        w.at(
          d,
          `rewrite ${d.args[0]}: not a valid regular expression in JavaScript (${(e as Error).message}): ignored`,
        );
      }
    }
    if (rules.length) route.rewrite = rules;
  }
  const https = /^https:/i.test(target);

  const verify = scalar(chain, 'proxy_ssl_verify', used);
  scalar(chain, 'proxy_ssl_server_name', used);
  scalar(chain, 'proxy_ssl_verify_depth', used);
  const trusted = scalar(chain, 'proxy_ssl_trusted_certificate', used);
  const sslName = scalar(chain, 'proxy_ssl_name', used);
  if (https) {
    if (verify?.args[0] !== 'on') route.secure = false;
    const name = sslName?.args[0];
    if (
      sslName &&
      name !== '$proxy_host' &&
      !(name && ['$host', '$http_host'].includes(name) && route.changeOrigin === false)
    ) {
      w.at(
        sslName,
        `proxy_ssl_name ${name ?? ''}: Loopgate sends the TLS name that goes with the Host it sends (changeOrigin)`,
      );
    }
    if (trusted && verify?.args[0] === 'on' && !SYSTEM_CA.has(trusted.args[0] ?? '')) {
      w.at(trusted, 'Loopgate verifies backends against the system CA store: this bundle is not used');
    }
  }

  const adds = list(chain, 'add_header', used);
  if (adds.shadowed.length && adds.level >= 2) {
    const names = [...new Set(adds.shadowed.map((d) => d.args[0] ?? ''))].join(', ');
    w.at(
      adds.items[0]!,
      `this add_header replaces the outer ones (${names}) for this location: nginx does not merge them`,
    );
  }
  const main = toAddHeaders(adds.items, w);
  const ownIf = findPreflight(block, used);
  const inherited = ownIf ? main : toAddHeaders(list([srv.http, srv.server], 'add_header', used).items, w);
  const pre = preflightHeaders(ownIf ?? srv.preflight, inherited, w, used);
  const { cors, rest } = readCors(main, pre, ctx.originMaps, w);
  const addHeaders = plainHeaders(rest, w);
  if (addHeaders) route.addHeaders = addHeaders;
  for (const d of list(chain, 'proxy_hide_header', used).items) {
    if (!isCorsHeader(d.args[0] ?? ''))
      w.at(d, `proxy_hide_header ${d.args[0] ?? ''}: hiding backend response headers is not supported`);
  }

  const redirects = readRedirects(list(chain, 'proxy_redirect', used).items, target, w);
  if (redirects === false) route.rewriteRedirects = false;
  else if (resolved.upstream && !list(chain, 'proxy_redirect', used).items.some((d) => d.args.length === 2)) {
    // proxy_redirect default rewrites only Locations that start with the proxy_pass URL, here
    // "http://<upstream name>/...", which backends do not send: redirects pass through unchanged.
    route.rewriteRedirects = false;
  }
  const cookies = readCookies(
    list(chain, 'proxy_cookie_domain', used).items,
    list(chain, 'proxy_cookie_path', used).items,
    list(chain, 'proxy_cookie_flags', used).items,
    w,
  );
  if (cookies) route.cookies = cookies;

  const timeouts: NonNullable<RouteInput['timeouts']> = {};
  for (const key of TIMEOUT_KEYS) {
    const d = scalar(chain, TIMEOUT_DIRECTIVES[key], used);
    const ms = d ? readDuration(d, w) : undefined;
    if (ms !== undefined && ms !== srv.timeouts[key]) timeouts[key] = formatDuration(ms);
  }
  if (Object.keys(timeouts).length) route.timeouts = timeouts;
  const body = scalar(chain, 'client_max_body_size', used);
  const bytes = body ? readSize(body, w) : undefined;
  if (bytes !== undefined && bytes !== srv.maxBodySize) route.maxBodySize = formatSize(bytes);
  return { route, cors };
}

export function readDuration(d: Directive, w: Warnings): number | undefined {
  const ms = d.args.length === 1 ? parseDuration(d.args[0]!.replace(/\s+/g, '')) : undefined;
  if (ms === undefined) w.at(d, `${d.name} ${d.args.join(' ')}: not a time (use 90, 90s, 2m, 1h): ignored`);
  return ms;
}

export function readSize(d: Directive, w: Warnings): number | undefined {
  const bytes = d.args.length === 1 ? parseSize(d.args[0]!) : undefined;
  if (bytes === undefined) w.at(d, `${d.name} ${d.args.join(' ')}: not a size (use 512k, 15m, 1g): ignored`);
  return bytes;
}
