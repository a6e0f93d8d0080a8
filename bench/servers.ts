// Benchmark servers, one per process: the backend, Loopgate (inspection on/off) and a bare http-proxy-3.
// Usage: node --import tsx bench/servers.ts backend | loopgate BACKEND_PORT [--no-inspect] | hp3 BACKEND_PORT
import { createServer } from 'node:http';
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
} else if (kind === 'hp3') {
  const { createProxyServer } = await import('http-proxy-3');
  const proxy = createProxyServer({ target: `http://127.0.0.1:${backendPort}`, ws: true });
  proxy.on('error', () => {});
  const server = createServer((req, res) => proxy.web(req, res));
  server.keepAliveTimeout = 60_000;
  server.on('upgrade', (req, socket, head) => proxy.ws(req, socket, head));
  server.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
} else {
  console.error('usage: servers.ts backend | loopgate PORT [--no-inspect] | hp3 PORT');
  process.exit(2);
}
