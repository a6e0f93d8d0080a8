// Servers for the proxy tests: a front that runs one route through HttpProxy, backends, all closed after the file.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after } from 'node:test';
import type { RouteInput } from '../../shared/config.ts';
import { startBackend, type Backend, type EchoBody } from './backend.ts';
import { close, listen } from './net.ts';
import { startFront, type Front } from './proxy-front.ts';

/** Call once at the top of a test file: everything started through it is closed in that file's after(). */
export function proxyServers() {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  return {
    async front(route: RouteInput, config: Parameters<typeof startFront>[1] = {}): Promise<Front> {
      const f = await startFront(route, config);
      cleanups.push(() => f.close());
      return f;
    },
    async backend(handler?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => boolean): Promise<Backend> {
      const b = await startBackend({ handler });
      cleanups.push(() => b.close());
      return b;
    },
    /** A bare node:http server (the handler runs at once, before the request body is read). */
    async rawBackend(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
      const server = createServer(handler);
      const port = await listen(server);
      cleanups.push(() => close(server));
      return `http://127.0.0.1:${port}`;
    },
    /** Register any other cleanup. */
    onCleanup(fn: () => Promise<void>): void {
      cleanups.push(fn);
    },
  };
}

export const echo = (a: { body: Buffer }) => JSON.parse(a.body.toString()) as EchoBody;

export function assertDoneOnce(f: Front): void {
  assert.ok(f.doneCalls.size > 0, 'at least one request finished');
  for (const [id, n] of f.doneCalls) assert.equal(n, 1, `record ${id} reported done ${n} times`);
}
