// Who may talk to the control server: token (header, cookie, ?token=), loopback Host, own Origin, JSON-only writes.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_COOKIE_PREFIX, TOKEN_QUERY } from '../../shared/api.ts';

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

export function cookieName(port: number): string {
  return `${TOKEN_COOKIE_PREFIX}${port}`;
}

/** Set-Cookie value that lets the browser UI (and its event stream) in after one ?token= visit. */
export function tokenCookie(port: number, token: string): string {
  return `${cookieName(port)}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

export type TokenSource = 'header' | 'cookie' | 'query';

/**
 * Which credential carries the right token, or a refusal. `allowQuery` for the UI page and the event
 * stream only (a token in a URL ends up in history; the page trades it for a cookie at once).
 */
export function checkToken(
  req: IncomingMessage,
  url: URL,
  token: string,
  port: number,
  allowQuery: boolean,
): TokenSource | Refused {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m && same(m[1]!, token)) return 'header';
    return { status: 401, code: 'BAD_TOKEN', message: 'the Authorization header does not carry the right token' };
  }
  if (allowQuery) {
    const q = url.searchParams.get(TOKEN_QUERY);
    if (q !== null) {
      if (same(q, token)) return 'query';
      return { status: 401, code: 'BAD_TOKEN', message: 'the ?token= in the URL is not the right token' };
    }
  }
  const c = readCookie(req.headers.cookie, cookieName(port));
  if (c !== undefined && same(c, token)) return 'cookie';
  return {
    status: 401,
    code: 'NO_TOKEN',
    message:
      'a token is required: send "Authorization: Bearer <token>", or open the control URL printed by loopgate (it carries ?token=)',
  };
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
