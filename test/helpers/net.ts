// Test helpers for sockets: free loopback ports, listening, closing, waiting.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A loopback port that was free a moment ago (for servers that cannot take port 0, like nginx). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, resolve);
  });
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Listen on 127.0.0.1:0 and return the port. Works for http, https and net servers. */
export async function listen(
  server: { listen: Server['listen']; address: Server['address']; once: Server['once'] },
  host = '127.0.0.1',
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Close a server and destroy its open connections. */
export async function close(server: {
  close(cb?: (err?: Error) => void): unknown;
  closeAllConnections?: () => void;
}): Promise<void> {
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll until fn returns a truthy value or the deadline passes (then throw with the label). */
export async function waitFor<T>(fn: () => T | Promise<T>, label: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(10);
  }
}

/**
 * Resolve once `server` holds no open connection: whatever was sent to it has arrived or been cut, so
 * a test can then assert that something did not happen (instead of sleeping "long enough").
 */
export function drained(
  server: { getConnections(cb: (err: Error | null, count: number) => void): unknown },
  label: string,
  timeoutMs = 5000,
): Promise<void> {
  const count = () => new Promise<number>((r) => server.getConnections((_, n) => r(n)));
  return waitFor(async () => (await count()) === 0, `${label}: connections to close`, timeoutMs).then(() => {});
}
