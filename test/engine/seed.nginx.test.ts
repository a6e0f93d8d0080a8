// The developers' seed server block, run by real nginx and by Loopgate: the same corpus, the same answers.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { validateConfig } from '../../shared/config.ts';
import { Engine } from '../../main/engine/server.ts';
import { compileSnapshot } from '../../main/engine/snapshot.ts';
import { startBackend, type Backend, type EchoBody } from '../helpers/backend.ts';
import { freePort } from '../helpers/net.ts';
import { nginxMissing, startNginx, type Nginx } from '../helpers/nginx.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(port: number, method: string, path: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { host: `localhost:${port}`, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** What to compare: status, CORS header, and for proxied answers what the backend received. */
function view(a: Answer) {
  let backend: Partial<EchoBody> & { seenHeaders?: Record<string, unknown> } = {};
  if (a.headers['x-backend'] === 'yes') {
    const echo = JSON.parse(a.body) as EchoBody;
    backend = {
      method: echo.method,
      url: echo.url,
      bodyLength: echo.bodyLength,
      seenHeaders: {
        'x-real-ip': echo.headers['x-real-ip'],
        'x-forwarded-for': echo.headers['x-forwarded-for'],
        host: echo.headers.host,
        upgrade: echo.headers.upgrade,
      },
    };
  }
  return {
    status: a.status,
    acao: a.headers['access-control-allow-origin'],
    static: a.status === 200 && a.headers['x-backend'] !== 'yes' ? a.body : undefined,
    backend,
  };
}

describe('seed config: nginx vs Loopgate', { skip: nginxMissing }, () => {
  let backend: Backend;
  let nginx: Nginx;
  let engine: Engine;
  let dir: string;
  let deadPort: number;

  before(async () => {
    backend = await startBackend();
    deadPort = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'loopgate-seed-'));
    mkdirSync(join(dir, 'dist/assets'), { recursive: true });
    mkdirSync(join(dir, 'dist/empty'));
    writeFileSync(join(dir, 'dist/index.html'), '<!doctype html><title>seed</title>\n');
    writeFileSync(join(dir, 'dist/assets/app.js'), 'console.log("seed")\n');
    const root = join(dir, 'dist');
    nginx = await startNginx(
      await freePort(),
      `client_max_body_size 1k;  proxy_connect_timeout 90;  proxy_send_timeout 120;  proxy_read_timeout 1;
       proxy_http_version 1.1;  proxy_set_header Upgrade $http_upgrade;  proxy_set_header Connection "upgrade";
       proxy_set_header X-real-ip $remote_addr;  proxy_set_header X-Forwarded-For $remote_addr;
       add_header Access-Control-Allow-Origin * always;
       root ${root};  location / { index index.html; autoindex off; }
       location /api { proxy_pass http://127.0.0.1:${backend.port}/api; }
       location /down { proxy_pass http://127.0.0.1:${deadPort}/; }`,
    );
    const parsed = validateConfig({
      listen: { host: '127.0.0.1', port: 0 },
      root,
      spa: false,
      maxBodySize: '1k',
      timeouts: { connect: 90, send: 120, read: 1 },
      cors: { enabled: true, origins: '*' },
      routes: [
        {
          match: '/api',
          target: `http://127.0.0.1:${backend.port}/api`,
          ws: true,
          forwarded: { forwardedProto: false, forwardedHost: false },
        },
        { match: '/down', target: `http://127.0.0.1:${deadPort}/` },
      ],
    });
    assert.ok(parsed.ok);
    engine = new Engine();
    await engine.start(compileSnapshot(parsed.config, { baseDir: dir }));
  });

  after(async () => {
    await engine?.stop({ drainMs: 200 });
    await nginx?.stop();
    await backend?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const corpus: Array<[string, string, string?]> = [
    ['GET', '/'],
    ['GET', '/index.html'],
    ['GET', '/assets/app.js'],
    ['HEAD', '/assets/app.js'],
    ['GET', '/missing.js'],
    ['GET', '/empty/'],
    ['GET', '/api'],
    ['GET', '/api/users?x=1&y=%20z'],
    ['GET', '/apix/y'],
    ['GET', '/api//a/./b/../c'],
    ['DELETE', '/api/items/7'],
    ['POST', '/api/upload', 'x'.repeat(500)],
    ['POST', '/api/upload', 'x'.repeat(2048)],
    ['GET', '/api/status/404'],
    ['GET', '/api/status/500'],
    ['GET', '/down/x'],
    ['GET', '/api/hang'],
  ];

  for (const [method, path, body] of corpus) {
    test(`${method} ${path}${body ? ` (${body.length} B body)` : ''}`, async () => {
      const [fromNginx, fromLoopgate] = await Promise.all([
        send(nginx.port, method, path, body),
        send(engine.port!, method, path, body),
      ]);
      const expected = view(fromNginx);
      const actual = view(fromLoopgate);
      // nginx sends Host as given in proxy_pass ($proxy_host); so does Loopgate with changeOrigin.
      assert.deepEqual(actual, expected);
    });
  }

  test('WebSocket through /api: both tunnel and echo', async () => {
    for (const port of [nginx.port, engine.port!]) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/socket`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const got = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
      ws.send('whoami');
      const info = JSON.parse(await got) as { url: string; headers: Record<string, string> };
      assert.equal(info.url, '/api/socket');
      assert.equal(info.headers['x-real-ip'], '127.0.0.1');
      assert.equal(info.headers.upgrade?.toLowerCase(), 'websocket');
      ws.close();
    }
  });
});
