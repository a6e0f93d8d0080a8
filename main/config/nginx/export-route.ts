// Writes one Loopgate route as an nginx `location` block (headers, TLS, cookies, CORS with a local preflight;
// stand-ins: a mock as `return status "body"` where nginx can say it, conditions as a comment).
import { splitMatch } from '../../../shared/config.ts';
import { formatDuration, formatSize } from '../../../shared/units.ts';
import { CORS_RESPONSE_HEADERS, corsPreflightHeaders, corsResponseHeaders } from './cors.ts';
import {
  TIMEOUT_DIRECTIVES,
  TIMEOUT_KEYS,
  type FullCors,
  type FullRoute,
  type ServerLevel,
} from '../../../shared/effective.ts';
import { hasVariable, quote, targetOrigin } from './values.ts';

/** Lines of text with indentation. */
export class Lines {
  readonly out: string[] = [];
  private depth = 0;
  line(text: string): void {
    this.out.push(text === '' ? '' : `${'    '.repeat(this.depth)}${text}`);
  }
  directive(name: string, ...args: string[]): void {
    this.line(`${[name, ...args.map(quote)].join(' ')};`);
  }
  open(head: string): void {
    this.line(`${head} {`);
    this.depth++;
  }
  close(): void {
    this.depth--;
    this.line('}');
  }
}

export interface RouteExport {
  /** Variable of the `map $http_origin` for this route's list of origins. */
  originVar(origins: string[]): string;
  warn(message: string): void;
  /** Set when the `map $http_upgrade $connection_upgrade` is needed. */
  needUpgradeMap(): void;
  /** Name of an `upstream` block with these servers (host:port), written at http level. */
  upstream(servers: string[]): string;
}

const SYSTEM_CA = '/etc/ssl/certs/ca-certificates.crt';

/** Add the CORS headers (and the preflight `if`) of a policy to the current block. */
export function writeCors(o: Lines, c: FullCors, extra: Array<[string, string]>, x: RouteExport): void {
  const originVar = Array.isArray(c.origins) && c.origins.length > 1 ? x.originVar(c.origins) : undefined;
  if (c.preflight === 'local') {
    o.line('# CORS preflight answered here. add_header inside "if" replaces the location\'s add_headers,');
    o.line('# so every header the answer needs is repeated inside the block.');
    o.open('if ($request_method = OPTIONS)');
    for (const [k, v] of [...corsPreflightHeaders(c, originVar), ...extra]) o.directive('add_header', k, v, 'always');
    o.directive('return', '204');
    o.close();
  }
  for (const [k, v] of corsResponseHeaders(c, originVar)) o.directive('add_header', k, v, 'always');
}

export function writeRoute(o: Lines, r: FullRoute, server: ServerLevel, x: RouteExport): void {
  const label = r.name ? `route "${r.name}"` : `route ${r.match}`;
  if (r.name) o.line(`# ${r.name}`);
  if (r.remote) {
    o.line('# loopgate: "remote": true is expanded below (Host and TLS name of the target, Origin rewrite,');
    o.line('# cookie Domain and Secure removed, SameSite=Lax, redirects rewritten)');
  }
  const { modifier, pattern } = splitMatch(r.match);
  o.open(`location ${modifier ? `${modifier} ` : ''}${quote(pattern)}`);
  for (const rw of r.rewrite) o.directive('rewrite', rw.regex, rw.replacement, 'break');
  if (r.servers.length) {
    // Round robin over the target's backend and the route's servers, as an nginx upstream.
    const t = new URL(r.target);
    const name = x.upstream([t.port ? t.host : `${t.host}:${t.protocol === 'https:' ? 443 : 80}`, ...r.servers]);
    o.directive('proxy_pass', `${t.protocol}//${name}${r.hasPath ? t.pathname : ''}`);
    if (r.changeOrigin && !r.setHeaders.some(([k]) => k.toLowerCase() === 'host'))
      o.directive('proxy_set_header', 'Host', t.host);
  } else o.directive('proxy_pass', r.target);

  const set = new Map(r.setHeaders.map(([k, v]) => [k.toLowerCase(), [k, v] as [string, string]]));
  const removed = new Set(r.removeHeaders.map((h) => h.toLowerCase()));
  const header = (name: string, value: string) => {
    const l = name.toLowerCase();
    if (set.has(l) || removed.has(l)) return;
    o.directive('proxy_set_header', name, value);
  };
  if (r.ws) {
    x.needUpgradeMap();
    o.directive('proxy_http_version', '1.1');
  }
  // Loopgate sends the client's Host as received (port included): $http_host, not $host.
  header('Host', r.changeOrigin ? '$proxy_host' : '$http_host');
  if (r.ws) {
    header('Upgrade', '$http_upgrade');
    header('Connection', '$connection_upgrade');
  }
  if (r.forwarded.realIp) header('X-Real-IP', '$remote_addr');
  if (r.forwarded.forwardedFor) header('X-Forwarded-For', '$proxy_add_x_forwarded_for');
  if (r.forwarded.forwardedProto) header('X-Forwarded-Proto', '$scheme');
  if (r.forwarded.forwardedHost) header('X-Forwarded-Host', '$http_host');
  if (r.rewriteOrigin) {
    const origin = targetOrigin(r.target);
    if (origin) header('Origin', origin);
    o.line("# loopgate: Loopgate also rewrites Referer to the target's origin; nginx passes it unchanged");
    x.warn(`${label}: the Referer rewrite of rewriteOrigin has no plain nginx equivalent (Origin is rewritten)`);
  }
  for (const [k, v] of set.values()) {
    if (hasVariable(v)) x.warn(`${label}: header ${k} "${v}" contains "$": nginx reads it as a variable`);
    o.directive('proxy_set_header', k, v);
  }
  for (const h of r.removeHeaders) if (!set.has(h.toLowerCase())) o.directive('proxy_set_header', h, '');

  if (r.https) {
    o.directive('proxy_ssl_server_name', 'on');
    if (!r.changeOrigin) o.directive('proxy_ssl_name', '$host');
    if (r.secure) {
      o.directive('proxy_ssl_verify', 'on');
      o.line(`# the system CA bundle (Debian/Ubuntu path; adjust for your distribution)`);
      o.directive('proxy_ssl_trusted_certificate', SYSTEM_CA);
    } else {
      o.directive('proxy_ssl_verify', 'off');
    }
  }
  for (const key of TIMEOUT_KEYS) {
    if (r.timeouts[key] !== server.timeouts[key]) o.directive(TIMEOUT_DIRECTIVES[key], formatDuration(r.timeouts[key]));
  }
  if (r.maxBodySize !== server.maxBodySize) o.directive('client_max_body_size', formatSize(r.maxBodySize));
  if (!r.rewriteRedirects) o.directive('proxy_redirect', 'off');
  writeCookies(o, r);

  const extra: Array<[string, string]> = r.addHeaders;
  for (const [k, v] of extra) {
    if (hasVariable(v)) x.warn(`${label}: response header ${k} "${v}" contains "$": nginx reads it as a variable`);
  }
  if (r.cors) {
    if (r.cors.backendHeaders === 'replace') {
      for (const h of CORS_RESPONSE_HEADERS) o.directive('proxy_hide_header', h);
    } else {
      o.line('# loopgate: cors.backendHeaders "keep" (prefer the backend\'s CORS headers) has no nginx equivalent');
      x.warn(
        `${label}: cors.backendHeaders "keep" cannot be expressed; nginx sends the backend's and these CORS headers`,
      );
    }
    writeCors(o, r.cors, extra, x);
  }
  for (const [k, v] of extra) o.directive('add_header', k, v, 'always');
  if (r.keepAlivePing) {
    o.line(`# loopgate: keepAlivePing ${formatDuration(r.keepAlivePing)} (WebSocket pings to both peers) has no nginx`);
    o.line('# equivalent: proxy_read_timeout must outlast idle periods of the socket');
    x.warn(`${label}: keepAlivePing cannot be expressed in nginx (commented in the output)`);
  }
  writeStandIns(o, r, label, x);
  o.close();
}

function writeCookies(o: Lines, r: FullRoute): void {
  const c = r.cookies;
  if (!c) return;
  if (c.domain !== undefined) o.directive('proxy_cookie_domain', '~.+', c.domain === 'remove' ? '' : c.domain);
  for (const [from, to] of Object.entries(c.path ?? {})) o.directive('proxy_cookie_path', from, to);
  const flags: string[] = [];
  if (c.secure === 'add') flags.push('secure');
  if (c.secure === 'remove') flags.push('nosecure');
  if (c.httpOnly === 'add') flags.push('httponly');
  if (c.httpOnly === 'remove') flags.push('nohttponly');
  if (c.sameSite === 'remove') flags.push('nosamesite');
  else if (c.sameSite && c.sameSite !== 'keep') flags.push(`samesite=${c.sameSite.toLowerCase()}`);
  if (flags.length) o.directive('proxy_cookie_flags', '~', ...flags);
}

// Stand-ins (issue #18).
/** A time as written (the export keeps the input's own units) or formatted from ms. */
const time = (v: number | string): string => (typeof v === 'string' ? v : formatDuration(v));

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Write the mock answer (or why it cannot be) and the conditions' comment at the end of a route's location. */
export function writeStandIns(o: Lines, r: FullRoute, label: string, x: RouteExport): void {
  if (r.conditions) {
    const c = r.conditions;
    const parts = [
      c.latency ? `latency ${time(c.latency)}` : '',
      c.jitter ? `jitter ${time(c.jitter)}` : '',
      c.failRate ? `failRate ${c.failRate}` : '',
    ].filter(Boolean);
    o.line(`# loopgate: conditions (${parts.join(', ')}) are Loopgate's test conditions; nginx cannot express them`);
    x.warn(`${label}: conditions (${parts.join(', ')}) cannot be expressed in nginx (commented in the output)`);
  }
  const m = r.respond;
  if (!m) return;
  const status = m.status ?? 200;
  const why =
    m.file !== undefined
      ? `respond.file "${m.file}" (a file as the answer) is not exported: nginx would need its absolute path in an alias`
      : REDIRECTS.has(status)
        ? `respond with status ${status}: nginx's return reads the text of a redirect as its Location, not a body`
        : null;
  const text = m.body === undefined ? '' : typeof m.body === 'string' ? m.body : JSON.stringify(m.body);
  const headers = Object.entries(m.headers ?? {});
  const dollar = hasVariable(text) || headers.some(([, v]) => hasVariable(v));
  const reason = why ?? (dollar ? 'respond holds "$": nginx would read it as a variable' : null);
  if (reason) {
    o.line(`# loopgate: ${reason}; nginx cannot express this mock answer, so nginx calls the backend here`);
    x.warn(`${label}: ${reason}`);
    return;
  }
  o.line('# loopgate: respond (a mock answer): the backend is not called');
  const typeHeader = headers.find(([k]) => k.toLowerCase() === 'content-type');
  const type =
    typeHeader?.[1] ?? (m.body === undefined || typeof m.body === 'string' ? 'text/plain' : 'application/json');
  o.directive('default_type', type);
  for (const [k, v] of headers) if (k.toLowerCase() !== 'content-type') o.directive('add_header', k, v, 'always');
  if (text === '') o.directive('return', String(status));
  else o.directive('return', String(status), text);
}
