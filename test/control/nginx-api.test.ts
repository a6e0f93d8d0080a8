// nginx import/export over the control API: sites and placed warnings, skipped includes, syntax errors, the running config exported.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NginxExportResult, NginxImportResult } from '../../shared/api.ts';
import { Controller } from '../../main/control/controller.ts';
import { SessionLog } from '../../main/engine/log/store.ts';
import { call, startFixture, type Fixture } from '../helpers/control.ts';

const TWO_SERVERS = `# two sites in one file
http {
    gzip on;
    server {
        listen 127.0.0.1:8081;
        server_name app.test;
        include snippets/proxy-headers.conf;
        include conf.d/*.conf;
        location /api/ {
            proxy_pass http://127.0.0.1:9001/v2/;
            proxy_buffering off;
        }
    }
    server {
        listen 8082;
        location / { proxy_pass http://127.0.0.1:9002; }
    }
}
`;

describe('control API: nginx import and export', () => {
  let fx: Fixture;
  let port: number;

  before(async () => {
    fx = await startFixture();
    port = fx.server.port;
  });
  after(() => fx.close());

  it('imports several server blocks with warnings placed at file and line; includes are skipped, never read', async () => {
    const r = await call(port, 'POST', '/api/nginx/import', {
      body: { text: TWO_SERVERS, fileName: '/etc/nginx/sites-enabled/app.conf' },
    });
    assert.equal(r.status, 200);
    const body = r.json as NginxImportResult;
    assert.ok(body.ok);
    assert.deepEqual(
      body.sites.map((s) => s.name),
      ['app.test', 'server :8082'],
    );
    assert.deepEqual(body.sites[0]!.config.listen, { host: '127.0.0.1', port: 8081 });
    assert.deepEqual(
      body.sites[0]!.config.routes?.map((x) => [x.match, x.target]),
      [['/api/', 'http://127.0.0.1:9001/v2/']],
    );
    assert.deepEqual(
      body.sites[1]!.config.routes?.map((x) => [x.match, x.target]),
      [['/', 'http://127.0.0.1:9002']],
    );
    const at = (directive: string) => body.warnings.filter((w) => w.directive === directive);
    // The file is named by its base name only.
    assert.ok(
      body.warnings.every((w) => w.file === 'app.conf'),
      JSON.stringify(body.warnings),
    );
    assert.deepEqual(
      at('gzip').map((w) => w.line),
      [3],
    );
    assert.deepEqual(
      at('proxy_buffering').map((w) => w.line),
      [11],
    );
    const includes = at('include');
    assert.deepEqual(
      includes.map((w) => w.line),
      [7, 8],
    );
    assert.match(
      includes[0]!.message,
      /^include "snippets\/proxy-headers\.conf" skipped: files are not read from disk/,
    );
    assert.match(includes[1]!.message, /wildcard/);
    assert.deepEqual(
      fx.config.input.routes,
      [{ match: '/api', target: 'http://127.0.0.1:9000' }],
      'importing applies nothing',
    );
  });

  it('answers a syntax error with NGINX_SYNTAX, its line and column', async () => {
    const r = await call(port, 'POST', '/api/nginx/import', {
      body: { text: 'server {\n    listen 80\n    location / { }\n}\n' },
    });
    assert.equal(r.status, 400);
    assert.equal(r.json.ok, false);
    assert.equal(r.json.code, 'NGINX_SYNTAX');
    assert.equal(r.json.error.code, 'NGINX_SYNTAX');
    assert.equal(r.json.line, 3);
    assert.equal(typeof r.json.column, 'number');
    assert.match(r.json.message, /in pasted\.conf:3$/);
  });

  it('refuses a body without text, and other methods', async () => {
    for (const body of [{}, { text: 5 }, { text: 'server {}', fileName: ['a'] }, []]) {
      const r = await call(port, 'POST', '/api/nginx/import', { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.error.code, 'BAD_REQUEST');
    }
    assert.equal((await call(port, 'GET', '/api/nginx/import')).status, 405);
    assert.equal((await call(port, 'POST', '/api/nginx/export', { body: {} })).status, 405);
  });

  it('exports the running config: its routes as locations, server_name on request, warnings listed', async () => {
    fx.config.input = {
      root: '/srv/app/dist',
      timeouts: { read: 120 },
      routes: [{ match: '/api', target: 'http://localhost:8888/api' }],
      profiles: { staging: { routes: [] } },
    };
    const r = await call(port, 'GET', '/api/nginx/export');
    assert.equal(r.status, 200);
    const body = r.json as NginxExportResult;
    assert.match(body.text, /location \/api \{\n\s+proxy_pass http:\/\/localhost:8888\/api;/);
    assert.match(body.text, /root \/srv\/app\/dist;/);
    assert.match(body.text, /proxy_read_timeout 2m;/, '120 in loopgate.json is seconds');
    assert.match(body.text, /server_name localhost;/);
    assert.deepEqual(body.warnings, ['profiles are not exported (no activeProfile): staging']);
    const named = await call(port, 'GET', '/api/nginx/export?serverName=app.test%20www.app.test');
    assert.match((named.json as NginxExportResult).text, /server_name app\.test www\.app\.test;/);
    const bad = await call(port, 'GET', '/api/nginx/export?serverName=x%3B%20return%20200');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'BAD_REQUEST');
  });

  it('round trip: what export writes imports back to the same routes', async () => {
    fx.config.input = {
      routes: [
        { match: '/api/', target: 'http://127.0.0.1:9001/v2/' },
        { match: '= /health', target: 'http://127.0.0.1:9001/status' },
        { match: '~* \\.php$', target: 'http://127.0.0.1:9003' },
      ],
    };
    const exported = (await call(port, 'GET', '/api/nginx/export')).json as NginxExportResult;
    const r = await call(port, 'POST', '/api/nginx/import', {
      body: { text: exported.text, fileName: 'exported.conf' },
    });
    const body = r.json as NginxImportResult;
    assert.ok(body.ok);
    assert.equal(body.sites.length, 1);
    assert.deepEqual(
      body.sites[0]!.config.routes?.map((x) => [x.match, x.target]),
      fx.config.input.routes!.map((x) => [x.match, x.target]),
    );
  });

  it('exports a relative root as the folder the engine serves: next to the config file', () => {
    const c = new Controller({
      log: new SessionLog({}),
      tunnels: { send: () => ({ ok: true }), close: () => ({ ok: true }) },
      config: { get: () => ({ root: 'dist' }), put: async () => ({ ok: false, errors: [] }) },
      status: () => ({ configFile: '/home/dev/site/loopgate.json' }),
    });
    const r = c.exportNginx();
    assert.ok(!('ok' in r));
    assert.match(r.text, /root \/home\/dev\/site\/dist;/);
    assert.ok(!r.warnings.some((w) => /relative/.test(w)), r.warnings.join('; '));
  });
});
