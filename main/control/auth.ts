// Who may talk to the control server: token (header, events subprotocol, ?token=; never a cookie), loopback Host, own Origin, JSON-only writes.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_COOKIE_PREFIX, TOKEN_PROTOCOL_PREFIX, TOKEN_QUERY } from '../../shared/api.ts';

export interface Refused {
  status: number;
  code: string;
  message: string;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** May the control server bind this address? Loopback only. */
export function isLoopbackAddress(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Host must name this machine's loopback (with our port, when a port is given): no DNS rebinding. */
export function checkHost(host: string | undefined, port: number): Refused | null {
  const bad = (message: string): Refused => ({ status: 421, code: 'BAD_HOST', message });
  if (!host) return bad('a Host header is required');
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.trim().toLowerCase());
  if (!m || !LOOPBACK_NAMES.has(m[1]!)) {
    return bad(
      `Host "${host.slice(0, 100)}" is not localhost, 127.0.0.1 or [::1]: the control API answers loopback names only`,
    );
  }
  if (m[2] !== undefined && Number(m[2]) !== port) return bad(`Host port ${m[2]} is not this server's port ${port}`);
  return null;
}

/** A browser's Origin, when sent, must be this server's own; cross-site fetches are refused too. */
export function checkOrigin(req: IncomingMessage, port: number): Refused | null {
  const bad = (message: string): Refused => ({ status: 403, code: 'BAD_ORIGIN', message });
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site')
    return bad('requests from other sites are refused (Sec-Fetch-Site)');
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return bad(`Origin "${origin.slice(0, 100)}" is not this server's origin`);
  }
  const ownPort = url.port === '' ? 80 : Number(url.port);
  if (url.protocol !== 'http:' || !LOOPBACK_NAMES.has(url.hostname) || ownPort !== port || url.origin !== origin) {
    return bad(`Origin "${origin.slice(0, 100)}" is not this server's origin`);
  }
  return null;
}

/** Writes must say they are JSON: a cross-site form or a "simple" fetch cannot (no CSRF). */
export function checkJsonWrite(req: IncomingMessage): Refused | null {
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') return null;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    return { status: 415, code: 'JSON_REQUIRED', message: `${method} requests need "content-type: application/json"` };
  }
  return null;
}

/**
 * Names of old control cookies this request still carries (older versions set `loopgate_token_<port>`
 * on 127.0.0.1), for the page to clear them. Nothing reads them as a credential any more.
 */
export function leftoverCookies(req: IncomingMessage): string[] {
  const header = req.headers.cookie;
  if (!header?.includes(TOKEN_COOKIE_PREFIX)) return [];
  const names = new Set<string>();
  for (const part of header.split(';')) {
    const name = part.split('=')[0]!.trim();
    if (name.startsWith(TOKEN_COOKIE_PREFIX) && /^[\w.-]+$/.test(name)) names.add(name);
  }
  return [...names];
}

/** Set-Cookie that removes an old control cookie (same name and Path=/ as it was set with). */
export function expireCookie(name: string): string {
  return `${name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict`;
}

export type TokenSource = 'header' | 'protocol' | 'query';

/**
 * Which credential carries the right token, or a refusal. Never a cookie: cookies ignore ports, so a
 * cookie on 127.0.0.1 would ride along on every request to the site Loopgate serves (forwarded, logged,
 * exported) and could be shadowed or evicted by that site. The UI page keeps the token and sends it as
 * `Authorization: Bearer`; a browser WebSocket cannot send headers, so the events socket takes it as a
 * subprotocol (`loopgate.bearer.<base64url>`), or `?token=` (`allowQuery`: the events socket only).
 */
export function checkToken(req: IncomingMessage, url: URL, token: string, allowQuery: boolean): TokenSource | Refused {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m && same(m[1]!, token)) return 'header';
    return { status: 401, code: 'BAD_TOKEN', message: 'the Authorization header does not carry the right token' };
  }
  const offered = protocolToken(req.headers['sec-websocket-protocol']);
  if (offered !== undefined) {
    if (same(offered, token)) return 'protocol';
    return { status: 401, code: 'BAD_TOKEN', message: 'the WebSocket subprotocol does not carry the right token' };
  }
  if (allowQuery) {
    const q = url.searchParams.get(TOKEN_QUERY);
    if (q !== null) {
      if (same(q, token)) return 'query';
      return { status: 401, code: 'BAD_TOKEN', message: 'the ?token= in the URL is not the right token' };
    }
  }
  return {
    status: 401,
    code: 'NO_TOKEN',
    message:
      'a token is required: open the control URL printed by loopgate again (it carries the token), or send "Authorization: Bearer <token>"',
  };
}

/** A `?token=` on the UI page, when given, must be right (a wrong one is said at once, not after loading). */
export function checkPageToken(url: URL, token: string): Refused | null {
  const q = url.searchParams.get(TOKEN_QUERY);
  if (q === null || same(q, token)) return null;
  return {
    status: 401,
    code: 'BAD_TOKEN',
    message: 'the ?token= in the URL is not the right token: open the control URL loopgate printed this time',
  };
}

/** The token in a `loopgate.bearer.<base64url>` subprotocol, if one is offered. */
function protocolToken(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const p of String(header).split(',')) {
    const v = p.trim();
    if (v.startsWith(TOKEN_PROTOCOL_PREFIX))
      return Buffer.from(v.slice(TOKEN_PROTOCOL_PREFIX.length), 'base64url').toString();
  }
  return undefined;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
