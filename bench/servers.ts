// Benchmark servers, one per process: the backend, the peers (http-proxy-3 with and without a keep-alive agent,
// mockttp), and Loopgate's engine started directly (for profiling with --cpu-prof only: the bench itself
// runs Loopgate as shipped, `bin/loopgate.js serve`).
// Usage: node --import tsx bench/servers.ts backend | hp3 BACKEND_PORT | hp3-keepalive BACKEND_PORT
//        | mockttp BACKEND_PORT | loopgate BACKEND_PORT [--no-inspect]
import { Agent, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const [kind, backendPort, flag] = process.argv.slice(2);

// A clean exit on SIGTERM/SIGINT, so `node --cpu-prof bench/servers.ts ...` writes its profile.
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => process.exit(0));

function ready(port: number): void {
  process.stdout.write(`${JSON.stringify({ port, pid: process.pid })}\n`);
}

if (kind === 'backend') {
  const small = Buffer.from(JSON.stringify({ ok: true, items: [1, 2, 3], name: 'loopgate' }));
  const big = Buffer.alloc(1024 * 1024, 97);
  const server = createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length });
      res.end(big);
    } else {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': small.length });
      res.end(small);
    }
  });
  server.keepAliveTimeout = 60_000;
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
  server.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
} else if (kind === 'loopgate') {
  const { Engine } = await import('../main/engine/server.ts');
  const { SessionLog } = await import('../main/engine/log/store.ts');
  const { compileSnapshot } = await import('../main/engine/snapshot.ts');
  const { validateConfig } = await import('../shared/config.ts');
  const inspect = flag !== '--no-inspect';
  const parsed = validateConfig({
    listen: { host: '127.0.0.1', port: 0 },
    inspect: { frames: inspect, bodyBytes: inspect ? '64k' : 0 },
    routes: [
      {
        match: '/',
        target: `http://127.0.0.1:${backendPort}`,
        ws: true,
        forwarded: { realIp: false, forwardedFor: false, forwardedProto: false, forwardedHost: false },
      },
    ],
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const engine = new Engine(inspect ? { recorder: new SessionLog({ capBytes: 64 * 1024 * 1024 }) } : {});
  await engine.start(compileSnapshot(parsed.config, { baseDir: process.cwd() }));
  ready(engine.port!);
} else if (kind === 'hp3' || kind === 'hp3-keepalive') {
  // Without an agent (Vite's default) every proxied request opens a new backend connection; with a
  // keep-alive agent (what a tuned setup runs) they are reused.
  const { createProxyServer } = await import('http-proxy-3');
  const agent = kind === 'hp3-keepalive' ? new Agent({ keepAlive: true, maxSockets: 128 }) : undefined;
  const proxy = createProxyServer({ target: `http://127.0.0.1:${backendPort}`, ws: true, agent });
  proxy.on('error', () => {});
  const server = createServer((req, res) => proxy.web(req, res));
  server.keepAliveTimeout = 60_000;
  server.on('upgrade', (req, socket, head) => proxy.ws(req, socket, head));
  server.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
} else if (kind === 'mockttp') {
  // HTTP Toolkit's engine with its defaults (it records traffic), forwarding everything to the backend.
  // It logs each request the load generator cuts off when its run ends ("aborted"): noise, not a failure.
  const logError = console.error;
  console.error = (...args: unknown[]) => {
    if (String(args[0]).startsWith('Failed to handle request') && /abort/i.test(String(args[1]))) return;
    logError(...args);
  };
  const { getLocal } = await import('mockttp');
  const server = getLocal();
  await server.start();
  await server.forAnyRequest().thenForwardTo(`http://127.0.0.1:${backendPort}`);
  await server.forAnyWebSocket().thenForwardTo(`ws://127.0.0.1:${backendPort}`);
  ready(server.port);
} else {
  console.error(
    'usage: servers.ts backend | hp3 PORT | hp3-keepalive PORT | mockttp PORT | loopgate PORT [--no-inspect]',
  );
  process.exit(2);
}
