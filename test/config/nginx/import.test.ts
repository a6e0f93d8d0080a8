// Import of nginx configs: the fixture corpus (hand-checked snapshots, validity, warnings) and each mapping rule.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateConfig, type ConfigInput } from '../../../shared/config.ts';
import { exportNginx } from '../../../main/config/nginx/export.ts';
import { importNginx, NginxSyntaxError, type ImportResult } from '../../../main/config/nginx/import.ts';
import { fixtureFiles, importFixture, NGINX_FIXTURES as FIXTURES } from '../../helpers/nginx-fixtures.ts';

function one(text: string): { config: ConfigInput; result: ImportResult } {
  const result = importNginx(text, { file: '/etc/nginx/test.conf' });
  assert.equal(result.sites.length, 1, 'one site');
  return { config: result.sites[0]!.config, result };
}

const warned = (r: ImportResult, re: RegExp) => r.warnings.filter((w) => re.test(w.message));
const NO_FORWARDED = { realIp: false, forwardedFor: false, forwardedProto: false, forwardedHost: false };

describe('fixture corpus', () => {
  test('the corpus has the expected fixtures', () => {
    assert.ok(fixtureFiles.length >= 10, fixtureFiles.join(', '));
  });

  for (const name of fixtureFiles) {
    test(`${name}: every site passes validateConfig and every warning is placed`, () => {
      const r = importFixture(name);
      assert.ok(r.sites.length >= 1);
      for (const s of r.sites) {
        const v = validateConfig(s.config);
        assert.ok(v.ok, `${s.name}: ${JSON.stringify(!v.ok && v.errors)}`);
      }
      for (const w of r.warnings) {
        assert.ok(w.file.startsWith(FIXTURES), w.file);
        assert.ok(w.line >= 1 && w.directive && w.message, JSON.stringify(w));
      }
    });
  }

  test('vue-spa-api.conf (the README block)', () => {
    const r = importFixture('vue-spa-api.conf');
    assert.deepEqual(r.sites, [
      {
        name: 'localhost',
        config: {
          listen: { port: 8080 },
          root: '/srv/app/dist',
          index: ['index.html'],
          spa: false,
          autoindex: false,
          charset: 'off',
          gzipStatic: false,
          brotliStatic: false,
          expires: 'off',
          types: { js: 'application/javascript', xml: 'text/xml' },
          maxBodySize: '15m',
          timeouts: { connect: '90s', send: '2m', read: '2m' },
          cors: { enabled: true, preflight: 'forward' },
          routes: [
            {
              match: '/api',
              target: 'http://localhost:8888/api',
              ws: false,
              forwarded: { forwardedProto: false, forwardedHost: false },
            },
          ],
        },
      },
    ]);
    const lines = r.warnings.map((w) => `${w.line}:${w.directive}`);
    assert.deepEqual(lines.sort(), ['11:proxy_set_header', '12:add_header', '12:add_header']);
    assert.ok(warned(r, /no Access-Control-Max-Age here/).length);
  });

  test('react-spa-websocket.conf', () => {
    const r = importFixture('react-spa-websocket.conf');
    assert.deepEqual(r.sites[0]!.config, {
      listen: { host: '127.0.0.1', port: 3000 },
      root: '/home/dev/shop/build',
      index: ['index.html'],
      spa: true,
      tryFiles: ['$uri', '$uri/', '/index.html'],
      charset: 'utf-8',
      gzipStatic: false,
      brotliStatic: false,
      expires: 'off',
      types: { js: 'application/javascript', xml: 'text/xml' },
      allowedHosts: ['app.local'],
      routes: [
        {
          match: '/api/',
          target: 'http://127.0.0.1:5000/',
          ws: false,
          changeOrigin: false,
          setHeaders: { Host: '$host' },
          forwarded: { forwardedHost: false },
        },
        {
          match: '/socket.io/',
          target: 'http://127.0.0.1:5000',
          ws: true,
          changeOrigin: false,
          setHeaders: { Host: '$host' },
          forwarded: NO_FORWARDED,
          timeouts: { send: '1h', read: '1h' },
        },
        {
          match: '= /ws',
          target: 'http://127.0.0.1:5001/live',
          ws: true,
          forwarded: NO_FORWARDED,
          timeouts: { read: '24h' },
        },
      ],
    });
    assert.deepEqual(
      r.warnings.map((w) => [w.line, w.directive, w.message]),
      [
        [
          12,
          'charset',
          'charset utf-8: nginx adds it only to text/html, text/plain, text/xml, application/javascript and RSS (charset_types); Loopgate to every text type (CSS, JSON, SVG too)',
        ],
        [34, 'proxy_buffering', 'not needed: Loopgate streams'],
      ],
    );
  });

  test('upstreams.conf: upstream servers resolved, http-level headers inherited, Connection "" noted', () => {
    const r = importFixture('upstreams.conf');
    assert.deepEqual(r.sites[0]!.config.routes, [
      {
        match: '/api/',
        target: 'http://127.0.0.1:8081',
        ws: false,
        rewriteRedirects: false,
        changeOrigin: false,
        setHeaders: { Host: '$host' },
        forwarded: { realIp: false, forwardedProto: false, forwardedHost: false },
      },
      {
        match: '/auth/',
        target: 'http://127.0.0.1:9001/oauth/',
        ws: false,
        rewriteRedirects: false,
        changeOrigin: false,
        setHeaders: { Host: '$host' },
        forwarded: { realIp: false, forwardedProto: false, forwardedHost: false },
      },
      {
        match: '^~ /legacy/',
        target: 'http://localhost:80',
        ws: false,
        rewriteRedirects: false,
        changeOrigin: false,
        setHeaders: { Host: '$host' },
        forwarded: { realIp: false, forwardedProto: false, forwardedHost: false },
      },
    ]);
    // auth_backend: its backup server is not taken in turn; the weights of the first are not kept.
    assert.deepEqual(
      warned(r, /backup server is not taken in turn|plain turn/).map((w) => [w.line, w.directive]),
      [
        [8, 'server'],
        [7, 'server'],
      ],
    );
    assert.deepEqual(
      warned(r, /keeps upstream connections/).map((w) => w.line),
      [4],
    );
  });

  test('cors-always.conf: server policy, a local preflight that inherits it, an origin map, a plain "*"', () => {
    const c = importFixture('cors-always.conf').sites[0]!.config;
    assert.equal(c.root, undefined, 'location / { return 404; } serves no files');
    assert.deepEqual(c.cors, { enabled: true, origins: 'reflect', credentials: true, preflight: 'forward' });
    const [api, partners, pub] = c.routes!;
    assert.deepEqual(api!.cors, {
      enabled: true,
      methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
      maxAge: '1h',
      preflight: 'local',
    });
    assert.deepEqual(partners!.cors, {
      enabled: true,
      origins: ['https://app.example.com', 'http://localhost:5173'],
      credentials: false,
      exposeHeaders: ['X-Total-Count', 'Link'],
    });
    assert.deepEqual(partners!.addHeaders, { 'X-Robots-Tag': 'noindex' });
    assert.deepEqual(pub!.cors, { enabled: true, origins: '*', credentials: false });
    assert.deepEqual(pub!.addHeaders, { 'Cache-Control': 'no-store' });
  });

  test('full-nginx.conf: includes resolved from the main file, warnings point into the included file', () => {
    const r = importFixture('full-nginx.conf');
    const c = r.sites[0]!.config;
    assert.equal(r.sites[0]!.name, 'shop.example.com');
    assert.deepEqual(c.routes, [
      {
        match: '/api/',
        target: 'http://127.0.0.1:8080/api/',
        ws: false,
        changeOrigin: false,
        setHeaders: { Host: '$host', 'X-Forwarded-Host': '$host' },
        forwarded: { forwardedHost: false },
      },
    ]);
    const inc = r.warnings.filter((w) => w.file.endsWith('app-server.inc'));
    assert.ok(inc.some((w) => w.line === 3 && w.directive === 'listen'));
    // The regex location that serves files is kept (locations); its add_header without always is warned.
    assert.ok(inc.some((w) => w.line === 17 && w.directive === 'add_header'));
    assert.deepEqual(r.sites[0]!.config.locations, [
      {
        match: '~* \\.(?:css|js|woff2?|svg|png|jpg)$',
        expires: '1y',
        addHeaders: { 'Cache-Control': 'public, immutable' },
      },
    ]);
    assert.ok(
      r.warnings.some((w) => w.file.endsWith('full-nginx.conf') && w.line === 14 && /mime\.types/.test(w.message)),
    );
    assert.ok(r.warnings.some((w) => w.line === 2 && w.directive === 'user'));
  });

  test('multi-server.conf: one site per server block, named by server_name', () => {
    const r = importFixture('multi-server.conf');
    assert.deepEqual(
      r.sites.map((s) => s.name),
      ['example.com', 'example.com:443', 'admin.example.com'],
    );
    assert.deepEqual(r.sites[1]!.config.routes, [
      { match: '/api/', target: 'http://127.0.0.1:3000/', ws: false, forwarded: NO_FORWARDED },
    ]);
    assert.equal(r.sites[2]!.config.autoindex, true);
    assert.deepEqual(r.sites[2]!.config.routes![0]!.setHeaders, { 'X-Forwarded-Proto': 'https' });
    assert.ok(warned(r, /return is not supported/).some((w) => w.line === 5));
    assert.ok(r.warnings.some((w) => w.directive === 'ssl_certificate' && w.line === 11));
  });
});

describe('nginx inheritance', () => {
  test('a location that sets any proxy_set_header loses all the outer ones (and is told so)', () => {
    const { config, result } = one(`server {
      proxy_set_header Host $host;
      proxy_set_header X-Real-IP $remote_addr;
      location /a/ { proxy_pass http://127.0.0.1:1; }
      location /b/ { proxy_pass http://127.0.0.1:2; proxy_set_header X-Forwarded-Proto $scheme; }
    }`);
    const [a, b] = config.routes!;
    assert.equal(a!.changeOrigin, false);
    assert.deepEqual(a!.forwarded, { forwardedFor: false, forwardedProto: false, forwardedHost: false });
    assert.equal(b!.changeOrigin, undefined);
    assert.deepEqual(b!.forwarded, { realIp: false, forwardedFor: false, forwardedHost: false });
    assert.deepEqual(
      warned(result, /replaces the outer ones \(Host, X-Real-IP\)/).map((w) => w.line),
      [5],
    );
  });

  test('add_header: same rule; server-level headers reach locations without their own', () => {
    const { config } = one(`server {
      add_header X-Frame-Options DENY always;
      location /a/ { proxy_pass http://127.0.0.1:1; }
      location /b/ { proxy_pass http://127.0.0.1:2; add_header X-B 1 always; }
    }`);
    assert.deepEqual(
      config.routes!.map((r) => r.addHeaders),
      [{ 'X-Frame-Options': 'DENY' }, { 'X-B': '1' }],
    );
  });

  test('timeouts and body size: server level becomes the default, locations only where they differ', () => {
    const { config } = one(`http { proxy_read_timeout 300; server {
      client_max_body_size 10M;
      location /a/ { proxy_pass http://127.0.0.1:1; proxy_read_timeout 5m; }
      location /b/ { proxy_pass http://127.0.0.1:2; proxy_read_timeout 10m; client_max_body_size 0; proxy_connect_timeout 500ms; }
    } }`);
    assert.deepEqual(config.timeouts, { read: '5m' });
    assert.equal(config.maxBodySize, '10m');
    assert.equal(config.routes![0]!.timeouts, undefined);
    assert.deepEqual(config.routes![1]!.timeouts, { connect: '500ms', read: '10m' });
    assert.equal(config.routes![1]!.maxBodySize, '0');
  });
});

describe('locations', () => {
  test('nested prefixes and regexes are flattened; inner regexes come first; a regex nested in a prefix keeps the prefix', () => {
    const { config, result } = one(`server {
      location ~ \\.php$ { proxy_pass http://127.0.0.1:9; }
      location /api/ {
        proxy_pass http://127.0.0.1:1;
        location /api/v2/ { proxy_pass http://127.0.0.1:2; }
        location ~ \\.csv$ { proxy_pass http://127.0.0.1:3; }
        location ~ ^/api/raw/ { proxy_pass http://127.0.0.1:4; }
      }
    }`);
    assert.deepEqual(
      config.routes!.map((r) => r.match),
      ['~ ^(?=\\/api\\/).*?(?:\\.csv$)', '/api/', '/api/v2/', '~ ^/api/raw/', '~ \\.php$'],
    );
    const flat = /^(?=\/api\/).*?(?:\.csv$)/;
    assert.ok(flat.test('/api/x/report.csv'));
    assert.ok(!flat.test('/other/report.csv'), 'the outer prefix still applies');
    assert.deepEqual(result.warnings, []);
  });

  test('a plain location nested in ^~ becomes ^~ (nginx skips the server regexes for it)', () => {
    const { config, result } = one(`server {
      location ~ \\.js$ { proxy_pass http://127.0.0.1:9; }
      location ^~ /static/ { location /static/app/ { proxy_pass http://127.0.0.1:1; } }
    }`);
    assert.deepEqual(
      config.routes!.map((r) => r.match),
      ['~ \\.js$', '^~ /static/app/'],
    );
    assert.equal(warned(result, /keeps regex locations away/).length, 1);
  });

  test('mixed ^~ levels that no flat modifier reproduces are warned about', () => {
    const { result } = one(`server {
      location ~ \\.js$ { proxy_pass http://127.0.0.1:9; }
      location ^~ /s/ { proxy_pass http://127.0.0.1:1; location ~ \\.map$ { proxy_pass http://127.0.0.1:2; } }
    }`);
    assert.equal(warned(result, /checks some regex locations here and skips others/).length, 1);
  });

  test('a nested location shadowed by a longer sibling prefix is warned about', () => {
    const { result } = one(`server {
      location /a/ { location /a/b/c/ { proxy_pass http://127.0.0.1:1; } }
      location /a/b/ { proxy_pass http://127.0.0.1:2; }
    }`);
    assert.deepEqual(
      warned(result, /nginx sends URIs under "\/a\/b\/"/).map((w) => w.line),
      [2],
    );
  });

  test('named locations, variables in proxy_pass and URI parts in regex locations', () => {
    const { config, result } = one(`server {
      location @app { proxy_pass http://127.0.0.1:1; }
      location /v/ { proxy_pass http://$upstream; }
      location ~ ^/r/ { proxy_pass http://127.0.0.1:3/x/; }
    }`);
    assert.deepEqual(config.routes, [
      { match: '~ ^/r/', target: 'http://127.0.0.1:3', ws: false, forwarded: NO_FORWARDED },
    ]);
    assert.equal(warned(result, /named location @app/).length, 1);
    assert.equal(warned(result, /variables in proxy_pass/).length, 1);
    assert.equal(warned(result, /cannot have a URI part/).length, 1);
  });

  test('rewrite ... break before a proxy_pass without URI folds into the target path', () => {
    const { config, result } = one(`server {
      location /api/ { rewrite ^/api/(.*)$ /$1 break; proxy_pass http://127.0.0.1:1; }
      location /b/ { rewrite ^/other/(.*)$ /$1 break; proxy_pass http://127.0.0.1:2; }
    }`);
    assert.deepEqual(
      config.routes!.map((r) => r.target),
      ['http://127.0.0.1:1/', 'http://127.0.0.1:2'],
    );
    // One that does not fold runs as written (route.rewrite), as nginx runs it.
    assert.deepEqual(config.routes![1]!.rewrite, [{ regex: '^/other/(.*)$', replacement: '/$1' }]);
    assert.deepEqual(warned(result, /rewrite/), []);
    const last = one(`server { location /c/ { rewrite ^/c/(.*)$ /$1 last; proxy_pass http://127.0.0.1:3; } }`);
    assert.equal(last.config.routes![0]!.rewrite, undefined);
    assert.equal(warned(last.result, /rewrite is not supported/).length, 1);
  });
});

describe('static site', () => {
  const spa = (tryFiles: string) => one(`server { root /s; location / { try_files ${tryFiles}; } }`);
  test('try_files forms', () => {
    assert.equal(spa('$uri $uri/ /index.html').config.spa, true);
    assert.equal(spa('$uri /index.html').config.spa, true);
    assert.equal(spa('$uri $uri/ =404').config.spa, false);
    // try_files runs as written (tryFiles), so other fallbacks and =404 need no warning.
    const other = spa('$uri $uri/ /app.html');
    assert.equal(other.config.spa, true);
    assert.deepEqual(other.config.tryFiles, ['$uri', '$uri/', '/app.html']);
    assert.equal(warned(other.result, /falls back to \/app\.html/).length, 0);
    assert.deepEqual(spa('$uri /index.html?$args').config.tryFiles, ['$uri', '/index.html?$args']);
    const named = spa('$uri @backend');
    assert.deepEqual(named.config.tryFiles, ['$uri', '@backend']);
    assert.equal(warned(named.result, /named location @backend/).length, 1);
    const unknown = spa('$fastcgi_script_name =404');
    assert.equal(unknown.config.tryFiles, undefined);
    assert.equal(warned(unknown.result, /not supported/).length, 1);
  });

  test('no try_files: no SPA fallback (nginx semantics); no root: no static fields', () => {
    assert.equal(one('server { root /s; }').config.spa, false);
    assert.deepEqual(one('server { listen 9000; }').config, { listen: { port: 9000 } });
  });
});

describe('headers, cookies, TLS', () => {
  test('variables map to Loopgate switches; unknown variables warn and are not sent as text', () => {
    const { config, result } = one(`map $http_upgrade $conn { default upgrade; '' close; } server {
      location / {
        proxy_pass https://api.example.com;
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Host $host;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $conn;
        proxy_set_header X-Request-Id $request_id;
        proxy_set_header X-Env staging;
        proxy_set_header Cookie "";
        proxy_ssl_verify on;
        proxy_ssl_name $host;
      }
    }`);
    assert.deepEqual(config.routes![0], {
      match: '/',
      target: 'https://api.example.com',
      ws: true,
      changeOrigin: false,
      setHeaders: { Host: '$host', 'X-Forwarded-Host': '$host', 'X-Env': 'staging' },
      removeHeaders: ['Cookie'],
      forwarded: { realIp: false, forwardedFor: false, forwardedProto: false, forwardedHost: false },
    });
    assert.deepEqual(
      warned(result, /X-Request-Id/).map((w) => w.line),
      [9],
    );
  });

  test('CORS "*" with credentials (refused by browsers) becomes "reflect", as the engine answers it', () => {
    const { config, result } = one(`server { location /a/ { proxy_pass http://127.0.0.1:1;
      add_header Access-Control-Allow-Origin * always; add_header Access-Control-Allow-Credentials true always; } }`);
    assert.deepEqual(config.routes![0]!.cors, {
      enabled: true,
      origins: 'reflect',
      credentials: true,
      preflight: 'forward',
    });
    assert.equal(warned(result, /refused by browsers/).length, 1);
    const out = exportNginx({ cors: { enabled: true, origins: '*', credentials: true } }).text;
    assert.match(out, /add_header Access-Control-Allow-Origin \$http_origin always;/);
    assert.match(out, /add_header Vary Origin always;/);
  });

  test('WebSocket headers without the map, or without HTTP/1.1, are explained', () => {
    const noMap = one(
      'server { location /ws { proxy_pass http://127.0.0.1:1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; } }',
    );
    assert.equal(noMap.config.routes![0]!.ws, false);
    assert.equal(warned(noMap.result, /not defined by a "map \$http_upgrade"/).length, 1);
    const http10 = one(
      'server { location /ws { proxy_pass http://127.0.0.1:1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection upgrade; } }',
    );
    assert.equal(http10.config.routes![0]!.ws, true);
    assert.equal(warned(http10.result, /proxy_http_version 1\.1/).length, 1);
  });

  test('remote-backend.conf: cookies, Origin rewrite, redirects, TLS verification', () => {
    const [api, auth] = importFixture('remote-backend.conf').sites[0]!.config.routes!;
    assert.deepEqual(api, {
      match: '/api/',
      target: 'https://staging.example.com/api/',
      ws: false,
      rewriteOrigin: true,
      setHeaders: { 'X-Debug-Client': 'loopgate-dev' },
      removeHeaders: ['Accept-Encoding'],
      forwarded: { realIp: false, forwardedProto: false, forwardedHost: false },
      secure: false,
      cookies: { domain: 'localhost', path: { '/api/': '/' }, secure: 'remove', sameSite: 'Lax' },
    });
    assert.deepEqual(auth, {
      match: '/auth/',
      target: 'https://login.example.com',
      ws: false,
      forwarded: NO_FORWARDED,
      rewriteRedirects: false,
      cookies: { domain: 'remove', httpOnly: 'add', secure: 'add' },
    });
  });
});

describe('input forms and errors', () => {
  test('a pasted server body without server {} is one site', () => {
    const r = importNginx('listen 8085;\nlocation /api/ { proxy_pass http://127.0.0.1:1/; }\n', { file: 'paste' });
    assert.deepEqual(r.sites[0]!.config, {
      listen: { port: 8085 },
      routes: [{ match: '/api/', target: 'http://127.0.0.1:1/', ws: false, forwarded: NO_FORWARDED }],
    });
  });

  test('nothing to import is a warning, not an error', () => {
    const r = importNginx('# just a comment\n', { file: 'empty.conf' });
    assert.deepEqual(r.sites, []);
    assert.equal(r.warnings[0]!.directive, 'server');
  });

  test('syntax errors throw NginxSyntaxError with file, line and column', () => {
    assert.throws(
      () => importNginx('server {\n  location / {\n    proxy_pass http://x;\n  }}\n}\n', { file: 'site.conf' }),
      (e: unknown) =>
        e instanceof NginxSyntaxError &&
        e.message === 'unexpected "}" in site.conf:5' &&
        e.line === 5 &&
        e.column === 1,
    );
  });

  test('readFile is used for includes (UI paste)', () => {
    const seen: string[] = [];
    const r = importNginx('server { include h.conf; location / { proxy_pass http://127.0.0.1:1; } }', {
      file: '/conf/main.conf',
      readFile: (p) => {
        seen.push(p);
        return 'proxy_set_header X-Real-IP $remote_addr;';
      },
    });
    assert.ok(seen.includes('/conf/h.conf'));
    assert.deepEqual(r.sites[0]!.config.routes![0]!.forwarded, {
      forwardedFor: false,
      forwardedProto: false,
      forwardedHost: false,
    });
  });
});

test('Host: $host, $http_host, $host:$server_port, $server_name and an upstream name are four different things', () => {
  const r = importNginx(
    `upstream api { server 127.0.0.1:9000; server 127.0.0.1:9001; }
    server { server_name shop.test; listen 8080;
      location /a/ { proxy_pass http://127.0.0.1:1; proxy_set_header Host $host; }
      location /b/ { proxy_pass http://127.0.0.1:1; proxy_set_header Host $http_host; }
      location /c/ { proxy_pass http://127.0.0.1:1; proxy_set_header Host $host:$server_port; }
      location /d/ { proxy_pass http://127.0.0.1:1; proxy_set_header Host $server_name; }
      location /e/ { proxy_pass http://api; }
    }`,
    { file: 'hosts.conf' },
  );
  const routes = r.sites[0]!.config.routes!;
  const host = (i: number) => [routes[i]!.changeOrigin, routes[i]!.setHeaders?.Host];
  assert.deepEqual(host(0), [false, '$host']);
  assert.deepEqual(host(1), [false, undefined]);
  assert.deepEqual(host(2), [false, '$host:$server_port']);
  assert.deepEqual(host(3), [false, 'shop.test']);
  assert.deepEqual(host(4), [undefined, 'api']);
});

test('one fixed Allow-Origin without a preflight block stays a plain header, sent to every origin as nginx does', () => {
  const r = importNginx(
    `server { listen 8080; location / { proxy_pass http://127.0.0.1:1;
      add_header Access-Control-Allow-Origin 'http://app.test'; add_header Access-Control-Max-Age 86400; } }`,
    { file: 'fixed.conf' },
  );
  const route = r.sites[0]!.config.routes![0]!;
  assert.equal(route.cors, undefined);
  assert.deepEqual(route.addHeaders, {
    'Access-Control-Allow-Origin': 'http://app.test',
    'Access-Control-Max-Age': '86400',
  });
  assert.equal(r.warnings.filter((w) => /one fixed origin/.test(w.message)).length, 1);
});

test('an upstream with several servers: requests go to each in turn (round robin), Host is the upstream name', () => {
  const r = importNginx(
    `upstream api { server 127.0.0.1:9001; server 127.0.0.1:9002; server localhost; }
    server { listen 8080; location / { proxy_pass http://api; } }`,
    { file: 'rr.conf' },
  );
  const route = r.sites[0]!.config.routes![0]!;
  assert.equal(route.target, 'http://127.0.0.1:9001');
  assert.deepEqual(route.servers, ['127.0.0.1:9002', 'localhost:80']);
  assert.deepEqual(route.setHeaders, { Host: 'api' });
});

test('add_header of the server or location / goes on the static files (addHeaders), and exports back', () => {
  const r = importNginx(
    `server { listen 8080; root /srv; add_header X-Frame-Options SAMEORIGIN always; location / { } }`,
    {
      file: 'site-headers.conf',
    },
  );
  const c = r.sites[0]!.config;
  assert.deepEqual(c.addHeaders, { 'X-Frame-Options': 'SAMEORIGIN' });
  assert.match(exportNginx(c).text, /add_header X-Frame-Options SAMEORIGIN always;/);
});

describe('a file location Loopgate cannot serve says where its URIs go instead (issue #16)', () => {
  const media = 'location /media/ { alias /srv/media/$arg_v/; }';
  const say = (text: string) => {
    const r = importNginx(`server { listen 8080; ${text} }`, { file: '/etc/nginx/test.conf' });
    return warned(r, /^location \/media\/ has no proxy_pass/).map((w) => w.message);
  };

  test('under a "/" proxy route they go to its backend (not files "wherever no route matches")', () => {
    const [msg, ...rest] = say(`location / { proxy_pass http://127.0.0.1:3000; } ${media}`);
    assert.equal(rest.length, 0);
    assert.match(msg!, /in Loopgate the route "\/" sends these URIs to its backend/);
    assert.doesNotMatch(msg!, /wherever no route matches/);
    const r = importNginx(`server { listen 8080; ${media} }`, { file: '/etc/nginx/test.conf' });
    assert.deepEqual(
      warned(r, /alias/).map((w) => w.message),
      ['this alias is not supported (a variable or capture, nested locations or if): Loopgate serves no files from it'],
    );
  });

  test('the longest covering prefix route is named', () => {
    const [msg] = say(
      `location / { proxy_pass http://127.0.0.1:3000; } location /me { proxy_pass http://127.0.0.1:3001; } ${media}`,
    );
    assert.match(msg!, /the route "\/me" sends/);
  });

  test('with no covering route: the server root serves them, or nothing does (404)', () => {
    const [withRoot] = say(`root /srv/www; location /api/ { proxy_pass http://127.0.0.1:3000; } ${media}`);
    assert.match(withRoot!, /Loopgate serves these URIs from the server's root .* where no route matches/);
    const [noRoot] = say(`location /api/ { proxy_pass http://127.0.0.1:3000; } ${media}`);
    assert.match(noRoot!, /Loopgate has no root here and answers these URIs 404/);
  });

  test('a regex file location is covered only by a "/" route', () => {
    const r = importNginx(
      'server { listen 8080; location / { proxy_pass http://127.0.0.1:3000; } location ~ \\.php$ { if ($x) { } } }',
      { file: '/etc/nginx/test.conf' },
    );
    assert.ok(
      warned(r, /location ~ \\\.php\$ has no proxy_pass: .*the route "\/" sends these URIs/).length,
      JSON.stringify(r.warnings),
    );
  });
});

describe('CORS and charset differences are said at import (issue #16)', () => {
  test('a preflight block with add_header lines of its own: nginx drops the outer Allow-Origin there', () => {
    const { result } = one(`server { listen 8080; location /api/ {
      add_header Access-Control-Allow-Origin *;
      if ($request_method = OPTIONS) { add_header Access-Control-Max-Age 100; return 204; }
      proxy_pass http://127.0.0.1:1; } }`);
    assert.equal(warned(result, /the preflight block has add_header lines of its own/).length, 1);
  });

  test('a preflight block that only returns inherits the outer headers: no such warning', () => {
    const { result } = one(`server { listen 8080; location /api/ {
      add_header Access-Control-Allow-Origin *;
      add_header Access-Control-Max-Age 100;
      if ($request_method = OPTIONS) { return 204; }
      proxy_pass http://127.0.0.1:1; } }`);
    assert.equal(warned(result, /preflight block has add_header|no Access-Control-Max-Age/).length, 0);
  });

  test('no Max-Age: Loopgate sends its default, said on Allow-Origin; a list without spaces is respaced, said', () => {
    const { result } = one(`server { listen 8080; location / {
      add_header Access-Control-Allow-Origin *;
      add_header Access-Control-Allow-Headers 'A,B';
      add_header Access-Control-Allow-Methods 'GET, POST';
      proxy_pass http://127.0.0.1:1; } }`);
    assert.deepEqual(
      warned(result, /Max-Age here|sends the list as/).map((w) => [w.line, w.message]),
      [
        [2, 'no Access-Control-Max-Age here: nginx sends none on preflight answers, Loopgate its default (600)'],
        [3, 'add_header Access-Control-Allow-Headers "A,B": Loopgate sends the list as "A, B" (the same to browsers)'],
      ],
    );
  });

  test('charset: nginx limits it to charset_types, said on the line', () => {
    const { result } = one('server { listen 8080; root /srv; charset utf-8; }');
    assert.equal(warned(result, /nginx adds it only to text\/html/).length, 1);
    assert.equal(warned(one('server { listen 8080; root /srv; charset off; }').result, /charset/).length, 0);
  });
});
