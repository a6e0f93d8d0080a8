// A minimal front server for HTTP proxy tests: compiles one route and hands every request to HttpProxy.
import { createServer, request, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { ConfigInput, RouteInput } from '../../shared/config.ts';
import { validateConfig } from '../../shared/config.ts';
import type { HttpRecord } from '../../shared/events.ts';
import { HttpProxy } from '../../main/engine/http/proxy.ts';
import { compileSnapshot } from '../../main/engine/snapshot.ts';
import type { CompiledRoute, Recorder, Snapshot } from '../../main/engine/types.ts';
import { close, listen } from './net.ts';

export interface Front {
  port: number;
  url: string;
  server: Server;
  proxy: HttpProxy;
  route: CompiledRoute;
  snapshot: Snapshot;
  /** Every record the proxy reported, newest last (the same object may appear more than once). */
  records: HttpRecord[];
  /** How many times each record id was reported with done=true. */
  doneCalls: Map<number, number>;
  close(): Promise<void>;
}

/** nginx's URI replacement for a prefix route whose target has a path (the router's job in the app). */
function upstreamPath(route: CompiledRoute, url: string): string {
  if (route.targetPath === null || route.kind === 'regex') return url;
  if (!url.startsWith(route.pattern)) return url;
  return route.targetPath + url.slice(route.pattern.length);
}

export async function startFront(route: RouteInput, config: Omit<ConfigInput, 'routes'> = {}): Promise<Front> {
  const checked = validateConfig({ ...config, routes: [route] });
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  const snapshot = compileSnapshot(checked.config, { baseDir: process.cwd() });
  const compiled = snapshot.routes[0]!;
  const records: HttpRecord[] = [];
  const doneCalls = new Map<number, number>();
  let id = 0;
  const recorder: Recorder = {
    nextId: () => ++id,
    http(r) {
      records.push(r);
      if (r.done) doneCalls.set(r.id, (doneCalls.get(r.id) ?? 0) + 1);
    },
    ws() {},
    frame() {},
  };
  const proxy = new HttpProxy();
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const record: HttpRecord = {
      kind: 'http',
      id: recorder.nextId(),
      startedAt: Date.now(),
      method: req.method ?? 'GET',
      url,
      host: req.headers.host ?? '',
      clientAddress: req.socket.remoteAddress ?? '',
      handler: 'proxy',
      route: compiled.label,
      routeIndex: compiled.index,
      target: compiled.target.origin + upstreamPath(compiled, url),
      timings: {},
      bytesIn: 0,
      bytesOut: 0,
      requestHeaders: req.headers as HttpRecord['requestHeaders'],
      done: false,
    };
    proxy.handle({ req, res, snapshot, route: compiled, record, recorder, upstreamPath: upstreamPath(compiled, url) });
  });
  server.on('connection', (s) => s.setNoDelay(true));
  const port = await listen(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    server,
    proxy,
    route: compiled,
    snapshot,
    records,
    doneCalls,
    async close() {
      await close(server);
      await proxy.close();
    },
  };
}

/** The last record reported for the request with this url. */
export function lastRecord(front: Front, url: string): HttpRecord | undefined {
  for (let i = front.records.length - 1; i >= 0; i--) if (front.records[i]!.url === url) return front.records[i];
  return undefined;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** One request on its own connection (no pooling): resolves with the full answer, rejects on socket errors. */
export function hit(
  url: string,
  opts: { method?: string; headers?: OutgoingHttpHeaders | string[]; body?: string | Buffer; setHost?: boolean } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers, agent: false, setHost: opts.setHost },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
