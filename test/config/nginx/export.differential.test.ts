// The exported nginx config, run by real nginx, answers a request corpus the way Loopgate does with the same loopgate.json.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { validateConfig, type ConfigInput } from '../../../shared/config.ts';
import { exportNginx } from '../../../main/config/nginx/export.ts';
import { Engine } from '../../../main/engine/server.ts';
import { compileSnapshot } from '../../../main/engine/snapshot.ts';
import { startBackend, type Backend, type EchoBody } from '../../helpers/backend.ts';
import { freePort } from '../../helpers/net.ts';
import { nginxMissing } from '../../helpers/nginx.ts';
import { startNginxHttp } from '../../helpers/nginx-fixtures.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          host: `localhost:${port}`,
          ...headers,
          ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
        },
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

/** What a user (and a browser) can tell apart. */
function view(a: Answer, port: number, origin: string | undefined) {
  const acao = a.headers['access-control-allow-origin'];
  const location = a.headers.location as string | undefined;
  let backend: Record<string, unknown> | undefined;
  if (a.headers['x-backend'] === 'yes') {
    const echo = JSON.parse(a.body) as EchoBody;
    backend = { method: echo.method, url: echo.url, env: echo.headers['x-env'], bodyLength: echo.bodyLength };
  }
  return {
    status: a.status,
    backend,
    servedBy: a.headers['x-served-by'],
    // Loopgate sends no Allow-Origin to a foreign origin; nginx sends its fixed one: browsers block both.
    browserAllows: origin ? acao === '*' || acao === origin : undefined,
    location: location ? new URL(location, `http://localhost:${port}`).pathname : undefined,
    staticBody: backend || a.status !== 200 ? undefined : a.body,
  };
}

describe('exported nginx config vs Loopgate', { skip: nginxMissing }, () => {
  let backend: Backend;
  let dir: string;
  let engine: Engine;
  let nginx: { stop(): Promise<void> };
  let nginxPort: number;

  before(async () => {
    backend = await startBackend();
    dir = mkdtempSync(join(tmpdir(), 'loopgate-export-diff-'));
    mkdirSync(join(dir, 'dist/assets'), { recursive: true });
    writeFileSync(join(dir, 'dist/index.html'), '<!doctype html><title>exported</title>\n');
    writeFileSync(join(dir, 'dist/assets/app.js'), 'console.log("exported")\n');
    const input: ConfigInput = {
      listen: { host: '127.0.0.1', port: 0 },
      root: join(dir, 'dist'),
      spa: true,
      maxBodySize: '1k',
      cors: { enabled: true, origins: ['http://app.test'] },
      routes: [
        { match: '= /api/health', target: `${backend.url}/status/204` },
        {
          match: '/api/',
          target: `${backend.url}/v1/`,
          setHeaders: { 'X-Env': 'dev' },
          addHeaders: { 'X-Served-By': 'loopgate' },
        },
        { match: '^~ /static/', target: backend.url },
        { match: '~* \\.php$', target: backend.url },
        { match: '/redirect', target: backend.url },
        { match: '/status/', target: backend.url, addHeaders: { 'X-Served-By': 'loopgate' } },
        { match: '/ws', target: backend.url, ws: true },
      ],
    };
    const parsed = validateConfig(input);
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors));
    engine = new Engine();
    await engine.start(compileSnapshot(parsed.config, { baseDir: dir }));
    nginxPort = await freePort();
    const { text } = exportNginx(input);
    nginx = await startNginxHttp(text.replace(/listen [^;]+;/, `listen 127.0.0.1:${nginxPort};`), nginxPort);
  });

  after(async () => {
    await engine?.stop({ drainMs: 200 });
    await nginx?.stop();
    await backend?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const good = { origin: 'http://app.test' };
  const corpus: Array<{
    name: string;
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: string;
  }> = [
    { name: 'index', path: '/', headers: good },
    { name: 'asset', path: '/assets/app.js', headers: good },
    { name: 'SPA navigation', path: '/users/42', headers: { accept: 'text/html' } },
    { name: 'exact beats prefix', path: '/api/health' },
    { name: 'prefix rewrite + set/add headers + CORS', path: '/api/users?x=1', headers: good },
    { name: 'regex beats a plain prefix', path: '/api/x.PHP' },
    { name: '^~ beats the regex', path: '/static/x.php' },
    { name: 'foreign origin is not allowed', path: '/api/users', headers: { origin: 'http://evil.test' } },
    {
      name: 'preflight answered locally',
      method: 'OPTIONS',
      path: '/api/users',
      headers: { ...good, 'access-control-request-method': 'PUT' },
    },
    { name: 'body over the limit', method: 'POST', path: '/api/upload', body: 'x'.repeat(2048) },
    { name: 'body under the limit', method: 'POST', path: '/api/upload', body: 'x'.repeat(100) },
    { name: 'redirect back to the local origin', path: '/redirect?to=PLACEHOLDER' },
    { name: 'backend 404 keeps add_header and CORS', path: '/status/404', headers: good },
  ];

  for (const c of corpus) {
    test(c.name, async () => {
      const path = c.path.replace('PLACEHOLDER', encodeURIComponent(`${backend.url}/elsewhere`));
      const [n, l] = await Promise.all([
        send(nginxPort, c.method ?? 'GET', path, c.headers, c.body),
        send(engine.port!, c.method ?? 'GET', path, c.headers, c.body),
      ]);
      const expected = view(n, nginxPort, c.headers?.origin);
      if (process.env.DIFF_VERBOSE) console.log(c.name, JSON.stringify(expected));
      assert.deepEqual(view(l, engine.port!, c.headers?.origin), expected);
    });
  }

  test('WebSocket echo through both', async () => {
    for (const port of [nginxPort, engine.port!]) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/chat`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const got = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
      ws.send('ping through');
      assert.equal(await got, 'ping through');
      ws.close();
    }
  });
});
