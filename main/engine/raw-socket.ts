// Sockets without a ServerResponse (upgrades, parse errors, CONNECT): the raw answers written on them, and the one lingering rule.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, REASONS } from './errors.ts';

/** How long a socket Loopgate ended (or is closing) may take to close before it is destroyed. */
export const LINGER_MS = 2000;

/**
 * Destroy `sock` after `ms` unless it closes first. Returns what cancels that (a keep-alive socket
 * that goes on serving). The timer never keeps the process alive.
 */
export function linger(sock: Duplex, ms = LINGER_MS): () => void {
  const timer = setTimeout(() => sock.destroy(), ms).unref();
  const cancel = (): void => {
    clearTimeout(timer);
    sock.off('close', cancel);
  };
  sock.once('close', cancel);
  return cancel;
}

/** end() a socket (after `data`), and destroy it if the peer has not closed within LINGER_MS. */
export function endThenDestroy(sock: Duplex, data?: string | Buffer): void {
  if (sock.destroyed) return;
  if (!sock.writable) {
    sock.destroy();
    return;
  }
  sock.end(data);
  linger(sock);
}

/** An HTTP/1.1 answer to write on a raw socket (always Connection: close). */
export function rawResponse(status: number, headers: Record<string, string>, body = ''): string {
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? STATUS_CODES[status] ?? 'Error'}\r\n`;
  for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
  return `${head}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** Loopgate's own error answer on a raw socket: the body and X-Loopgate-Error that sendError gives. */
export function rawError(status: number, message: string): string {
  const headers = {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Loopgate-Error': message.slice(0, 200).replace(/[^\x20-\x7e]/g, '?'),
  };
  return rawResponse(status, headers, errorBody(status, message));
}

/** Answer Loopgate's error on a raw socket and close it. */
export function refuseSocket(socket: Duplex, status: number, message: string): void {
  endThenDestroy(socket, rawError(status, message));
}
