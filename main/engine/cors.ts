// CORS policy on the hot path: preflight answers, headers for actual responses, backend header merge, origin checks.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './errors.ts';
import { headerProblem } from './http/header-value.ts';
import type { CompiledRoute, CorsPolicy } from './types.ts';

/**
 * One entry of `origins` (a list), parsed once. Entries are origins ("https://app.example.com",
 * "http://localhost:3000") compared case-insensitively, with two wildcards:
 *  - host: "*.example.com" (or "https://*.example.com") matches any subdomain, at any depth, but
 *    not example.com itself;
 *  - port: "http://localhost:*" matches any port.
 * An entry without a scheme ("*.example.com", "localhost:5173") matches http and https. An entry
 * without a port matches the scheme's default port only, as in a browser's Origin. "*" in the list
 * allows every origin (echoed back). Anything that is not host-like ("null") is compared as is.
 */
interface OriginPattern {
  scheme: string | null;
  /** Exact lower-case host, or the suffix (".example.com") for a wildcard entry. */
  host: string;
  wildcardHost: boolean;
  /** '' = default port, '*' = any, else the digits. */
  port: string;
}

interface Compiled {
  allowAll: boolean;
  exact: Set<string>;
  patterns: OriginPattern[];
  /** Is the answer a function of the request's Origin (so caches need Vary: Origin)? */
  varyOrigin: boolean;
  methods: string;
  headers: string | null;
  expose: string;
  maxAge: string;
}

const compiled = new WeakMap<CorsPolicy, Compiled>();

const ORIGIN_RE = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\[[0-9a-f:.]+\]|[^/:[\]\s]+)(?::(\d+|\*))?\/?$/;
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443', ws: '80', wss: '443' };

function parsePattern(entry: string): OriginPattern | null {
  const m = ORIGIN_RE.exec(entry.trim().toLowerCase());
  if (!m) return null;
  const scheme = m[1] ?? null;
  let host = m[2]!;
  let port = m[3] ?? '';
  if (scheme && port === DEFAULT_PORTS[scheme]) port = '';
  const wildcardHost = host.startsWith('*.');
  if (wildcardHost) host = host.slice(1);
  if (host.includes('*')) return null;
  return { scheme, host, wildcardHost, port };
}

function compile(policy: CorsPolicy): Compiled {
  let c = compiled.get(policy);
  if (c) return c;
  const exact = new Set<string>();
  const patterns: OriginPattern[] = [];
  let allowAll = policy.origins === '*' || policy.origins === 'reflect';
  if (Array.isArray(policy.origins)) {
    for (const entry of policy.origins) {
      const e = entry.trim();
      if (e === '*') {
        allowAll = true;
        continue;
      }
      // The entry as written is always a Set lookup ("null" included); a plain origin with a scheme
      // is also normalized (default port dropped); scheme-less and wildcard entries are scanned.
      exact.add(e.toLowerCase());
      const p = parsePattern(e);
      if (p?.scheme && !p.wildcardHost && p.port !== '*')
        exact.add(`${p.scheme}://${p.host}${p.port ? `:${p.port}` : ''}`);
      else if (p) patterns.push(p);
    }
  }
  c = {
    allowAll,
    exact,
    patterns,
    // "*" without credentials answers the same `*` to everyone; every other mode echoes the Origin.
    varyOrigin: !(policy.origins === '*' && !policy.credentials),
    methods: policy.methods.join(', '),
    headers: policy.headers === 'reflect' ? null : policy.headers.join(', '),
    expose: policy.exposeHeaders.join(', '),
    maxAge: String(policy.maxAge),
  };
  compiled.set(policy, c);
  return c;
}

function matches(c: Compiled, origin: string): boolean {
  if (c.allowAll) return true;
  const lower = origin.toLowerCase();
  if (c.exact.has(lower)) return true;
  if (c.patterns.length === 0) return false;
  const m = ORIGIN_RE.exec(lower);
  if (!m?.[1] || m[3] === '*' || m[2]!.startsWith('*')) return false;
  const scheme = m[1];
  const host = m[2]!;
  const port = m[3] && m[3] !== DEFAULT_PORTS[scheme] ? m[3] : '';
  if (c.exact.has(`${scheme}://${host}${port ? `:${port}` : ''}`)) return true;
  for (const p of c.patterns) {
    if (p.scheme !== null && p.scheme !== scheme) continue;
    if (p.scheme === null && scheme !== 'http' && scheme !== 'https') continue;
    if (p.port !== '*' && p.port !== port) continue;
    if (p.wildcardHost ? host.endsWith(p.host) && host.length > p.host.length : host === p.host) return true;
  }
  return false;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The Access-Control-Allow-Origin value for this request, or null when the origin is not allowed.
 * With credentials the answer is never `*` (browsers refuse that): the Origin is echoed instead.
 */
function allowOrigin(policy: CorsPolicy, c: Compiled, origin: string | undefined): string | null {
  if (origin === undefined) return policy.origins === '*' && !policy.credentials ? '*' : null;
  if (policy.origins === '*' && !policy.credentials) return '*';
  return matches(c, origin) ? origin : null;
}

/** Browsers' CORS preflight: OPTIONS with an Origin and Access-Control-Request-Method. */
export function isPreflight(req: IncomingMessage): boolean {
  return (
    req.method === 'OPTIONS' &&
    req.headers.origin !== undefined &&
    req.headers['access-control-request-method'] !== undefined
  );
}

/** The preflight answer's CORS headers (allowed origin) and its Vary tokens. */
function preflightHeaders(
  policy: CorsPolicy,
  c: Compiled,
  req: IncomingMessage,
  allowed: string,
): { headers: Array<[string, string]>; vary: string[] } {
  const headers: Array<[string, string]> = [['access-control-allow-origin', allowed]];
  const vary: string[] = c.varyOrigin ? ['Origin'] : [];
  if (policy.credentials) headers.push(['access-control-allow-credentials', 'true']);
  headers.push(['access-control-allow-methods', c.methods]);
  if (c.headers !== null) {
    if (c.headers) headers.push(['access-control-allow-headers', c.headers]);
  } else {
    vary.push('Access-Control-Request-Headers');
    const asked = headerValue(req, 'access-control-request-headers');
    if (asked) headers.push(['access-control-allow-headers', asked]);
  }
  headers.push(['access-control-max-age', c.maxAge]);
  if (policy.privateNetwork) {
    vary.push('Access-Control-Request-Private-Network');
    if (headerValue(req, 'access-control-request-private-network')?.toLowerCase() === 'true') {
      headers.push(['access-control-allow-private-network', 'true']);
    }
  }
  return { headers, vary };
}

/**
 * Answer a preflight locally: 204 with Allow-Origin/Methods/Headers/Max-Age/Credentials, Vary, and
 * Access-Control-Allow-Private-Network when asked and policy.privateNetwork; plus `extra` headers.
 *
 * A disallowed origin gets a 403 without any CORS header. The browser fails the preflight either
 * way (no Allow-Origin), but a 403 with a sentence naming the origin and the setting to change
 * shows up as such in the devtools network panel and in Loopgate's log, where a bare 204 would look
 * like success and leave the developer guessing.
 */
export function answerPreflight(
  policy: CorsPolicy,
  req: IncomingMessage,
  res: ServerResponse,
  extra: Array<[string, string]>,
): void {
  const c = compile(policy);
  const origin = headerValue(req, 'origin');
  const allowed = allowOrigin(policy, c, origin);
  if (allowed === null) {
    const headers: Array<[string, string]> = [...extra];
    if (c.varyOrigin) headers.push(['vary', 'Origin']);
    sendError(res, 403, `CORS: origin ${JSON.stringify(origin ?? '')} is not allowed: add it to cors.origins`, headers);
    return;
  }
  const { headers, vary } = preflightHeaders(policy, c, req, allowed);
  // A configured value Node cannot send (it got past validation) fails this one answer, not the process.
  for (const [k, v] of [...headers, ...extra]) {
    const problem = headerProblem(k, v);
    if (problem === null) continue;
    sendError(res, 500, `the CORS preflight answer cannot be sent: ${problem}`);
    return;
  }
  res.statusCode = 204;
  for (const [k, v] of headers) res.setHeader(k, v);
  if (vary.length) res.setHeader('vary', vary.join(', '));
  for (const [k, v] of extra) res.appendHeader(k, v);
  res.setHeader('content-length', '0');
  res.end();
}

/** CORS headers for an actual (non-preflight) response; [] when the origin is not allowed. */
export function corsHeaders(policy: CorsPolicy, req: IncomingMessage): Array<[string, string]> {
  const c = compile(policy);
  const allowed = allowOrigin(policy, c, headerValue(req, 'origin'));
  if (allowed === null) return [];
  const out: Array<[string, string]> = [['access-control-allow-origin', allowed]];
  if (policy.credentials) out.push(['access-control-allow-credentials', 'true']);
  if (c.expose) out.push(['access-control-expose-headers', c.expose]);
  if (c.varyOrigin) out.push(['vary', 'Origin']);
  return out;
}

type HeaderObject = Record<string, string | string[] | number | undefined>;

/** Add Vary tokens to a header object, case-insensitively, without duplicates; `*` stays `*`. */
export function mergeVary(headers: HeaderObject, tokens: string[]): void {
  if (tokens.length === 0) return;
  const current = headers.vary;
  const list =
    current === undefined ? [] : (Array.isArray(current) ? current : [String(current)]).flatMap((v) => v.split(','));
  const out: string[] = [];
  const seen = new Set<string>();
  for (const t of [...list, ...tokens]) {
    const token = t.trim();
    const key = token.toLowerCase();
    if (!token || seen.has(key)) continue;
    if (key === '*') {
      headers.vary = '*';
      return;
    }
    seen.add(key);
    out.push(token);
  }
  headers.vary = out.join(', ');
}

/**
 * Mutates an outgoing header object (lower-case keys): backendHeaders 'replace' strips every
 * access-control-* header the backend sent and adds ours; 'keep' keeps the backend's when it sent
 * Access-Control-Allow-Origin, else adds ours. Never two Allow-Origin values. Merges Vary.
 * On a forwarded preflight (an OPTIONS preflight the backend answered) "ours" is the whole
 * preflight set (methods, headers, max age, private network). Vary: Origin is added whenever our answer depends on the Origin, even when it was refused, so a
 * cache never serves one origin's answer to another.
 */
export function applyCors(policy: CorsPolicy, req: IncomingMessage, headers: HeaderObject): void {
  const c = compile(policy);
  const backendOrigin = headers['access-control-allow-origin'];
  if (policy.backendHeaders === 'keep' && backendOrigin !== undefined) {
    // Backends that send it twice (an array, or Node's ", "-joined string) make browsers fail the
    // request: keep the first value only. An origin never contains a comma.
    const first = String(Array.isArray(backendOrigin) ? backendOrigin[0] : backendOrigin)
      .split(',')[0]!
      .trim();
    headers['access-control-allow-origin'] = first;
    return;
  }
  if (policy.backendHeaders === 'replace') {
    for (const key of Object.keys(headers)) {
      if (key.startsWith('access-control-')) delete headers[key];
    }
  }
  const allowed = allowOrigin(policy, c, headerValue(req, 'origin'));
  if (allowed === null) {
    mergeVary(headers, c.varyOrigin ? ['Origin'] : []);
    return;
  }
  // A preflight the backend answered (preflight "forward") gets our full preflight answer.
  const ours = isPreflight(req)
    ? preflightHeaders(policy, c, req, allowed)
    : { headers: corsHeaders(policy, req), vary: [] };
  for (const [k, v] of ours.headers) {
    if (k === 'vary') ours.vary.push(v);
    else headers[k] = v;
  }
  mergeVary(headers, ours.vary);
}

/** For the WebSocket origin check (cross-site WebSocket hijack guard): does this policy allow Origin? */
export function originAllowed(policy: CorsPolicy | null, origin: string): boolean {
  if (policy === null) return false;
  return matches(compile(policy), origin);
}

/** Headers Loopgate's own error answers carry on a route: CORS, then add_header (nginx `always`). */
export function routeErrorHeaders(route: CompiledRoute, req: IncomingMessage): Array<[string, string]> {
  const cors = route.cors ? corsHeaders(route.cors, req) : [];
  return cors.length ? [...cors, ...route.addHeaders] : route.addHeaders;
}
