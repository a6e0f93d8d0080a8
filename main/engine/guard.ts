// The front door: Host allow-list (DNS rebinding), WebSocket Origin check (cross-site hijack), raw refusals.
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { originAllowed } from './cors.ts';
import { REASONS } from './errors.ts';
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
  if (name === undefined) return false;
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
  const cors = route.cors ?? snapshot.cors;
  return cors !== null && originAllowed(cors, origin);
}

/** Answer on a raw socket (upgrade path) and close it. */
export function refuseSocket(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = `${status} ${REASONS[status] ?? ''}\n${message}\n(Loopgate)\n`;
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}
