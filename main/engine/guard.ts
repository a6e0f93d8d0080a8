// The front door: Host allow-list (DNS rebinding) and the WebSocket Origin check (cross-site hijack).
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { originAllowed } from './cors.ts';
import type { CompiledRoute, Snapshot } from './types.ts';

/** "example.com:8080" → "example.com"; "[::1]:80" → "::1"; undefined for a malformed value. */
export function hostName(host: string): string | undefined {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return undefined;
    const rest = h.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return h.slice(1, end);
  }
  const m = /^([a-z0-9._-]+)(?::(\d{1,5}))?$/.exec(h);
  return m ? m[1]!.replace(/\.$/, '') : undefined;
}

function isLocalName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

function isLoopbackIp(name: string): boolean {
  return name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * Is this Host header acceptable? IP literals always are (a rebinding attack needs a DNS name);
 * localhost names always are; other names only when listed in allowedHosts. A request with no Host
 * (HTTP/1.0) passes. Malformed values are refused.
 */
export function hostAllowed(host: string | undefined, snapshot: Snapshot): boolean {
  if (host === undefined) return true;
  const name = hostName(host);
  return name !== undefined && nameAllowed(name, snapshot);
}

/** Why the front door turns a request away before routing: a status, a stable code, a sentence. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  /** Close the connection after answering (the framing of what follows cannot be trusted). */
  close: boolean;
}

const refusal = (status: number, code: string, message: string, close = false): Refusal => ({
  status,
  code,
  message,
  close,
});

/**
 * Everything checked before a request (or upgrade) is routed, where nginx would refuse too:
 * HTTP/1.1 without Host or with two Hosts (400), a malformed Host (400), a Host not on the allow-list
 * (403, DNS rebinding), a Transfer-Encoding other than plain "chunked" (501) or on HTTP/1.0 (400),
 * and TRACE (405). Node's parser already refuses CL+TE, conflicting Content-Lengths and bad chunks.
 */
export function checkRequest(req: IncomingMessage, snapshot: Snapshot): Refusal | null {
  const host = req.headers.host;
  if (host === undefined) {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
      return refusal(400, 'MISSING_HOST', 'an HTTP/1.1 request needs a Host header', true);
    }
  } else {
    const raw = req.rawHeaders;
    let hosts = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
    }
    if (hosts > 1) return refusal(400, 'DUPLICATE_HOST', 'the request has more than one Host header', true);
    const name = hostName(host);
    if (name === undefined) return refusal(400, 'BAD_HOST', `Host "${printable(host)}" is not a valid host name`, true);
    if (!nameAllowed(name, snapshot)) {
      return refusal(
        403,
        'HOST_REFUSED',
        `Host "${printable(host)}" is not allowed (DNS-rebinding guard): add it to allowedHosts`,
      );
    }
  }
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) {
      return refusal(400, 'BAD_TRANSFER_ENCODING', 'Transfer-Encoding is not allowed on an HTTP/1.0 request', true);
    }
    if (te.trim().toLowerCase() !== 'chunked') {
      return refusal(
        501,
        'BAD_TRANSFER_ENCODING',
        `Transfer-Encoding "${printable(te)}" is not supported: only "chunked"`,
        true,
      );
    }
  }
  if (req.method === 'TRACE') return refusal(405, 'TRACE_REFUSED', 'TRACE is not allowed (nginx refuses it too)');
  return null;
}

/**
 * Is this a WebSocket handshake Loopgate may pass on? Only "Upgrade: websocket" on an HTTP/1.1 GET
 * (RFC 6455 4.1): other protocols (h2c, ...) are not proxied, and a POST must not reach the backend as a GET.
 */
export function checkUpgrade(req: IncomingMessage): Refusal | null {
  const upgrade = req.headers.upgrade ?? '';
  if (upgrade.toLowerCase() !== 'websocket') {
    return refusal(
      400,
      'BAD_UPGRADE',
      `only WebSocket upgrades are proxied (got Upgrade: ${printable(upgrade)})`,
      true,
    );
  }
  if (req.method !== 'GET') {
    return refusal(
      400,
      'BAD_UPGRADE',
      `a WebSocket handshake must be a GET request (got ${printable(req.method ?? '')})`,
      true,
    );
  }
  if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) {
    return refusal(400, 'BAD_UPGRADE', 'a WebSocket handshake needs HTTP/1.1 (got HTTP/1.0)', true);
  }
  return null;
}

/** A header value safe to quote in a message: printable ASCII, at most 100 characters. */
function printable(v: string): string {
  return v.slice(0, 100).replace(/[^\x20-\x7e]/g, '?');
}

function nameAllowed(name: string, snapshot: Snapshot): boolean {
  return isIP(name) !== 0 || isLocalName(name) || snapshot.allowedHosts.has(name);
}

/**
 * May a WebSocket upgrade with this Origin go through? No Origin (non-browser client), a local
 * origin, an allowed host, the route's own target origin, or an origin the route's CORS policy
 * allows. Everything else is a cross-site WebSocket hijack attempt.
 */
export function wsOriginAllowed(origin: string | undefined, snapshot: Snapshot, route: CompiledRoute): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const name = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLocalName(name) || isLoopbackIp(name) || snapshot.allowedHosts.has(name)) return true;
  if (url.origin === route.target.origin) return true;
  // route.cors already has the server's CORS merged in; null means CORS is off for this route (even
  // when the server has it on), so no foreign origin may open a WebSocket on it.
  return route.cors !== null && originAllowed(route.cors, origin);
}
