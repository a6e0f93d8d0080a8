// Shared rig for the tunnel test files: servers and clients started here are closed after the file's tests.
import type { Socket } from 'node:net';
import { after } from 'node:test';
import type WebSocket from 'ws';
import type { ServerOptions, WebSocketServer } from 'ws';
import { startBackend, type Backend } from '../../helpers/backend.ts';
import { startRawBackend, startRig, startWss, type Rig } from '../../helpers/tunnel-harness.ts';

export const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});
export async function rig(
  target: string,
  route: Parameters<typeof startRig>[1] = {},
  inspect: Parameters<typeof startRig>[2] = {},
): Promise<Rig> {
  const r = await startRig(target, route, inspect);
  cleanups.push(() => r.close());
  return r;
}
export async function backend(): Promise<Backend> {
  const b = await startBackend();
  cleanups.push(() => b.close());
  return b;
}
export async function rawBackend(onHead: (s: Socket, head: string) => void): Promise<number> {
  const b = await startRawBackend(onHead);
  cleanups.push(() => b.close());
  return b.port;
}
export async function wssBackend(opts: ServerOptions = {}): Promise<{ wss: WebSocketServer; port: number }> {
  const w = await startWss(opts);
  cleanups.push(() => w.close());
  return w;
}
export const messages = (ws: WebSocket, out: string[]) =>
  ws.on('message', (d, bin) => out.push(bin ? `bin:${(d as Buffer).length}` : d.toString()));
