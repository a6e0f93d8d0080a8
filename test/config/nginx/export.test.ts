// Export to nginx: the server block's content, real nginx accepting it, and the same behaviour after re-import.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { validateConfig, type Config, type ConfigInput } from '../../../shared/config.ts';
import { exportNginx } from '../../../main/config/nginx/export.ts';
import { importNginx } from '../../../main/config/nginx/import.ts';
import { fullCors, fullRoute, serverLevel, type FullRoute } from '../../../shared/effective.ts';
import { startBackend, type Backend } from '../../helpers/backend.ts';
import { freePort } from '../../helpers/net.ts';
import { nginxMissing } from '../../helpers/nginx.ts';
import { nginxTest, startNginxHttp } from '../../helpers/nginx-fixtures.ts';

const KITCHEN: ConfigInput = {
  listen: { host: '127.0.0.1', port: 8080 },
  root: '/srv/app/dist',
  index: ['index.html'],
  spa: true,
  charset: 'utf-8',
  maxBodySize: '15m',
  timeouts: { connect: '5s', read: '90s' },
  cors: { enabled: true, origins: ['https://a.example', 'https://b.example'], credentials: true },
  allowedHosts: ['app.test'],
  routes: [
    {
      name: 'api',
      match: '/api/',
      target: 'http://127.0.0.1:3000/v1/',
      setHeaders: { 'X-Env': 'dev', 'Accept-Encoding': '' },
      removeHeaders: ['Cookie'],
      addHeaders: { 'X-Frame-Options': 'DENY' },
      forwarded: { forwardedHost: false },
      timeouts: { read: '2m' },
      maxBodySize: '50m',
    },
    { match: '/socket', target: 'ws://127.0.0.1:3001', keepAlivePing: '25s', changeOrigin: false },
    {
      match: '^~ /remote/',
      target: 'https://staging.example.com',
      remote: true,
      secure: false,
      cors: { enabled: false },
    },
    {
      match: '~* \\.(png|jpg)$',
      target: 'http://127.0.0.1:3002',
      ws: false,
      rewriteRedirects: false,
      cookies: { path: { '/': '/img/' }, httpOnly: 'add' },
    },
    {
      match: '= /health',
      target: 'https://127.0.0.1:8443/status',
      cors: { origins: 'reflect', preflight: 'forward', exposeHeaders: ['X-Total'] },
    },
    { match: '~ ^/v[0-9]{1,2}/', target: 'http://127.0.0.1:3003', ws: false },
    { match: '/old/', target: 'http://127.0.0.1:1', enabled: false },
  ],
};

function validated(input: ConfigInput): Config {
  const v = validateConfig(input);
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  return v.config;
}

/** What a route does, in a form that ignores spelling (setHeaders "" vs removeHeaders, order, label). */
function behaviour(r: FullRoute) {
  const lower = (l: string[]) => [...new Set(l.map((h) => h.toLowerCase()))].sort();
  return {
    match: r.match,
    target: r.target,
    ws: r.ws,
    changeOrigin: r.changeOrigin,
    secure: r.https ? r.secure : true,
    rewriteOrigin: r.rewriteOrigin,
    set: r.setHeaders
      .filter(([, v]) => v !== '')
      .map(([k, v]) => [k.toLowerCase(), v])
      .sort(),
    removed: lower([...r.removeHeaders, ...r.setHeaders.filter(([, v]) => v === '').map(([k]) => k)]),
    forwarded: r.forwarded,
    addHeaders: [...r.addHeaders].sort(),
    rewriteRedirects: r.rewriteRedirects,
    cookies: r.cookies,
    timeouts: r.timeouts,
    maxBodySize: r.maxBodySize,
    cors: r.cors,
  };
}

function routesOf(config: Config) {
  const server = serverLevel(config);
  return (config.routes ?? []).filter((r) => r.enabled !== false).map((r) => behaviour(fullRoute(r, server)));
}

describe('exportNginx', () => {
  const out = exportNginx(KITCHEN);
  const text = out.text;
  const block = (match: string) => {
    const start = text.indexOf(`location ${match} {`);
    assert.ok(start >= 0, `no location ${match}`);
    return text.slice(start, text.indexOf('\n    }\n', start));
  };

  test('server level: listen, server_name, static site, body size, timeouts', () => {
    for (const line of [
      'listen 127.0.0.1:8080;',
      'server_name app.test;',
      'root /srv/app/dist;',
      'index index.html;',
      'charset utf-8;',
      'client_max_body_size 15m;',
      'proxy_connect_timeout 5s;',
      'proxy_read_timeout 90s;',
      'try_files $uri $uri/ /index.html;',
    ]) {
      assert.ok(text.includes(`    ${line}`), line);
    }
    assert.ok(!text.includes('proxy_send_timeout 60s'), 'defaults that were not set are not written');
  });

  test('route headers: Host by changeOrigin, forwarded, set/remove, add_header always', () => {
    const api = block('/api/');
    assert.match(api, /proxy_pass http:\/\/127\.0\.0\.1:3000\/v1\/;/);
    assert.match(api, /proxy_set_header Host \$proxy_host;/);
    assert.match(api, /proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
    assert.doesNotMatch(api, /X-Forwarded-Host/);
    assert.match(api, /proxy_set_header X-Env dev;/);
    assert.match(api, /proxy_set_header Accept-Encoding "";/);
    assert.match(api, /proxy_set_header Cookie "";/);
    assert.match(api, /add_header X-Frame-Options DENY always;/);
    assert.match(api, /proxy_read_timeout 2m;/);
    assert.match(api, /client_max_body_size 50m;/);
    assert.match(text, /^map \$http_upgrade \$connection_upgrade \{/m);
    const ws = block('/socket');
    assert.match(ws, /proxy_pass http:\/\/127\.0\.0\.1:3001;/);
    assert.match(
      ws,
      /proxy_http_version 1\.1;\n\s+proxy_set_header Host \$http_host;\n\s+proxy_set_header Upgrade \$http_upgrade;\n\s+proxy_set_header Connection \$connection_upgrade;/,
    );
    assert.match(ws, /# loopgate: keepAlivePing 25s/);
    assert.ok(out.warnings.some((w) => /keepAlivePing/.test(w)));
  });

  test('CORS: the preflight if repeats every header (nginx add_header-in-if trap), origins by map', () => {
    const api = block('/api/');
    const inIf = api.slice(api.indexOf('if ($request_method = OPTIONS) {'), api.indexOf('return 204;'));
    assert.match(inIf, /add_header Access-Control-Allow-Origin \$loopgate_cors_origin_1 always;/);
    assert.match(inIf, /add_header Access-Control-Allow-Credentials true always;/);
    assert.match(
      inIf,
      /add_header Access-Control-Allow-Methods "GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS" always;/,
    );
    assert.match(inIf, /add_header Access-Control-Allow-Headers \$http_access_control_request_headers always;/);
    assert.match(inIf, /add_header X-Frame-Options DENY always;/);
    assert.match(api, /proxy_hide_header Access-Control-Allow-Origin;/);
    assert.match(
      text,
      /map \$http_origin \$loopgate_cors_origin_1 \{\n\s+default "";\n\s+https:\/\/a\.example \$http_origin;\n\s+https:\/\/b\.example \$http_origin;\n\}/,
    );
    assert.doesNotMatch(block('^~ /remote/'), /Access-Control/);
    const health = block('= /health');
    assert.doesNotMatch(health, /if \(/, 'preflight: forward has no local answer');
    assert.match(health, /add_header Access-Control-Allow-Origin \$http_origin always;/);
    assert.match(health, /add_header Access-Control-Expose-Headers X-Total always;/);
  });

  test('remote preset expanded with a comment; TLS, cookies, redirects', () => {
    const remote = block('^~ /remote/');
    assert.match(text, /# loopgate: "remote": true is expanded below/);
    assert.match(remote, /proxy_set_header Origin https:\/\/staging\.example\.com;/);
    assert.match(remote, /proxy_ssl_server_name on;/);
    assert.match(remote, /proxy_ssl_verify off;/);
    assert.match(remote, /proxy_cookie_domain ~\.\+ "";/);
    assert.match(remote, /proxy_cookie_flags ~ nosecure samesite=lax;/);
    const health = block('= /health');
    assert.match(health, /proxy_ssl_verify on;\n.*\n\s+proxy_ssl_trusted_certificate /);
    const img = block('~* "\\\\.(png|jpg)$"'.replace('"\\\\.(png|jpg)$"', '\\.(png|jpg)$'));
    assert.match(img, /proxy_redirect off;/);
    assert.match(img, /proxy_cookie_path \/ \/img\/;/);
    assert.match(img, /proxy_cookie_flags ~ httponly;/);
    assert.match(text, /location ~ "\^\/v\[0-9\]\{1,2\}\/" \{/, 'a regex with braces is quoted');
    assert.match(text, /# loopgate: route \/old\/ is disabled/);
  });

  test('a validated Config and its input give the same text', () => {
    assert.equal(exportNginx(validated(KITCHEN)).text, text);
  });

  test('an invalid config exports nothing and says why', () => {
    const bad = exportNginx({ routes: [{ match: 'api', target: 'nope' }] } as ConfigInput, { units: 'input' });
    assert.equal(bad.text, '');
    assert.match(bad.warnings[0]!, /routes\.0\.match/);
  });

  test('serverName option, no root, active profile', () => {
    const o = exportNginx(
      {
        profiles: { a: { routes: [{ match: '/a/', target: 'http://127.0.0.1:1' }] }, b: { routes: [] } },
        activeProfile: 'a',
      },
      { serverName: 'example.com www.example.com' },
    );
    assert.match(o.text, /server_name example\.com www\.example\.com;/);
    assert.match(o.text, /location \/ \{\n\s+# no root: Loopgate serves no files\n\s+return 404;/);
    assert.match(o.text, /location \/a\/ \{/);
    assert.ok(o.warnings.some((w) => /only the active profile "a"/.test(w)));
  });

  test('real nginx accepts the export', { skip: nginxMissing }, () => {
    const r = nginxTest(text);
    assert.ok(r.ok, `${r.stderr}\n${r.conf}`);
  });

  test('import of the export behaves like the original config (routes and site CORS)', () => {
    const back = importNginx(text, { file: 'export.conf' });
    assert.equal(back.sites.length, 1);
    const again = validated(back.sites[0]!.config);
    const original = validated(KITCHEN);
    assert.deepEqual(routesOf(again), routesOf(original));
    assert.deepEqual(fullCors(again.cors, undefined), fullCors(original.cors, undefined));
    for (const k of ['listen', 'root', 'index', 'charset', 'maxBodySize', 'timeouts', 'allowedHosts'] as const) {
      assert.deepEqual(again[k], original[k], k);
    }
    assert.equal(again.spa ?? true, original.spa ?? true);
  });
});

describe('exported CORS through real nginx', { skip: nginxMissing }, () => {
  let backend: Backend;
  let port: number;
  let nginx: { stop(): Promise<void> };

  before(async () => {
    backend = await startBackend();
    port = await freePort();
    const { text } = exportNginx({
      listen: { host: '127.0.0.1', port },
      routes: [
        {
          match: '/api/',
          target: `${backend.url}/`,
          addHeaders: { 'X-Frame-Options': 'DENY' },
          cors: {
            enabled: true,
            origins: ['http://a.test', 'http://b.test'],
            credentials: true,
            methods: ['GET', 'POST'],
          },
        },
      ],
    });
    nginx = await startNginxHttp(text, port);
  });
  after(async () => {
    await nginx?.stop();
    await backend?.close();
  });

  const send = (method: string, path: string, headers: Record<string, string>) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
      (resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        });
        req.on('error', reject);
        req.end();
      },
    );

  test('a preflight is answered by nginx with CORS and the route headers; the backend never sees it', async () => {
    const seen = backend.seen.length;
    const r = await send('OPTIONS', '/api/items', {
      origin: 'http://b.test',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'x-token',
    });
    assert.equal(r.status, 204);
    assert.equal(r.headers['access-control-allow-origin'], 'http://b.test');
    assert.equal(r.headers['access-control-allow-credentials'], 'true');
    assert.equal(r.headers['access-control-allow-methods'], 'GET, POST');
    assert.equal(r.headers['access-control-allow-headers'], 'x-token');
    assert.equal(r.headers['x-frame-options'], 'DENY');
    assert.equal(backend.seen.length, seen);
  });

  test('other requests reach the backend (prefix replaced) and carry the headers; unknown origins get none', async () => {
    const ok = await send('GET', '/api/items?x=1', { origin: 'http://a.test' });
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).url, '/items?x=1');
    assert.equal(ok.headers['access-control-allow-origin'], 'http://a.test');
    assert.equal(ok.headers['x-frame-options'], 'DENY');
    const other = await send('GET', '/api/items', { origin: 'http://evil.test' });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    const missing = await send('GET', '/api/status/404', { origin: 'http://a.test' });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['access-control-allow-origin'], 'http://a.test', '"always" adds CORS to errors too');
  });
});

test('a route with servers exports as an nginx upstream (round robin) that nginx -t accepts, and imports back', () => {
  const { text } = exportNginx({
    routes: [{ match: '/api/', target: 'http://127.0.0.1:9001/v1/', servers: ['127.0.0.1:9002'] }],
  });
  assert.match(text, /upstream loopgate_upstream_1 \{\s+server 127\.0\.0\.1:9001;\s+server 127\.0\.0\.1:9002;/);
  assert.match(text, /proxy_pass http:\/\/loopgate_upstream_1\/v1\/;/);
  const t = nginxTest(text);
  assert.ok(t.ok, t.stderr);
  const back = importNginx(text, { file: 'export.conf' }).sites[0]!.config.routes![0]!;
  assert.equal(back.target, 'http://127.0.0.1:9001/v1/');
  assert.deepEqual(back.servers, ['127.0.0.1:9002']);
});
