// Control server security: token (never a cookie), Host (DNS rebinding), Origin (CSRF, WebSocket hijack), JSON-only writes, UI page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { call, startFixture, TOKEN, type Fixture } from '../helpers/control.ts';
import { httpRecord } from '../helpers/records.ts';

/** Try the events WebSocket; resolve with "open" or the refusal's status. */
function tryEvents(
  port: number,
  opts: { path?: string; headers?: Record<string, string>; origin?: string; protocols?: string[] } = {},
): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${opts.path ?? '/api/events'}`, opts.protocols ?? [], {
      headers: opts.headers,
      origin: opts.origin,
    });
    ws.on('open', () => {
      // The server names the events protocol, never the token.
      if (opts.protocols?.length) assert.equal(ws.protocol, 'loopgate.events');
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode!);
      res.resume();
    });
    ws.on('error', (err) => reject(err));
  });
}

describe('control server security', () => {
  let fx: Fixture;
  let port: number;

  before(async () => {
    fx = await startFixture();
    port = fx.server.port;
    fx.log.http(httpRecord(fx.log.nextId()));
  });
  after(() => fx.close());

  it('requires the token on every API call', async () => {
    const none = await call(port, 'GET', '/api/status', { auth: null });
    assert.equal(none.status, 401);
    assert.equal(none.json.error.code, 'NO_TOKEN');
    const wrong = await call(port, 'GET', '/api/requests', { auth: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.error.code, 'BAD_TOKEN');
    const inQuery = await call(port, 'GET', `/api/requests?token=${TOKEN}`, { auth: null });
    assert.equal(inQuery.status, 401, 'API calls do not take the token from the URL');
    assert.equal((await call(port, 'GET', '/api/requests')).status, 200);
  });

  it('refuses Host names other than loopback (DNS rebinding)', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `127.0.0.1:${port + 1}`,
      '',
    ]) {
      const r = await call(port, 'GET', '/api/status', { headers: { host } });
      assert.equal(r.status, 421, host);
      assert.equal(r.json.error.code, 'BAD_HOST');
    }
    for (const host of [`localhost:${port}`, `[::1]:${port}`, '127.0.0.1']) {
      assert.equal((await call(port, 'GET', '/api/status', { headers: { host } })).status, 200, host);
    }
  });

  it('refuses foreign Origins and cross-site fetches (CSRF)', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${port + 1}`, 'null', `https://127.0.0.1:${port}`]) {
      const r = await call(port, 'POST', '/api/clear', { headers: { origin }, body: {} });
      assert.equal(r.status, 403, origin);
      assert.equal(r.json.error.code, 'BAD_ORIGIN');
    }
    const site = await call(port, 'GET', '/api/status', { headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(site.status, 403);
    assert.equal(fx.log.stats().records, 1, 'nothing was cleared');
    const own = await call(port, 'GET', '/api/status', { headers: { origin: `http://localhost:${port}` } });
    assert.equal(own.status, 200);
  });

  it('refuses writes that are not JSON (simple cross-site POSTs)', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await call(port, 'POST', '/api/clear', { raw: '{}', headers: { 'content-type': type } });
      assert.equal(r.status, 415, type);
      assert.equal(r.json.error.code, 'JSON_REQUIRED');
    }
    const none = await call(port, 'POST', '/api/clear', { raw: '' });
    assert.equal(none.status, 415);
    assert.equal(fx.log.stats().records, 1, 'nothing was cleared');
  });

  it('serves the UI shell without a token or a cookie (it holds no data), under a strict CSP; a wrong ?token= is refused', async () => {
    const shell = await call(port, 'GET', '/', { auth: null });
    assert.equal(shell.status, 200);
    assert.match(shell.text, /<title>Loopgate<\/title>/);
    assert.equal(shell.headers['set-cookie'], undefined, 'no cookie: the token stays in the page');
    const withToken = await call(port, 'GET', `/?token=${TOKEN}&tab=ws`, { auth: null });
    assert.equal(withToken.status, 200, 'the page takes the token from its own URL');
    assert.equal(withToken.headers['set-cookie'], undefined);
    const wrong = await call(port, 'GET', '/?token=nope', { auth: null });
    assert.equal(wrong.status, 401);
    assert.match(wrong.json.error.message, /control URL/);
    const csp = String(shell.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    // CSP host sources cannot be IPv6 literals: Chromium logs `ws://[::1]:PORT` as an invalid source.
    assert.match(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${port} ws://localhost:${port};`));
    assert.doesNotMatch(csp, /\[/);
    const js = await call(port, 'GET', '/app.js', { auth: null });
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    const spa = await call(port, 'GET', '/sessions/12', { auth: null });
    assert.match(spa.text, /<title>Loopgate<\/title>/, 'page paths fall back to index.html');
    const missing = await call(port, 'GET', '/nope.js', { auth: null });
    assert.equal(missing.status, 404);
    for (const path of ['/../package.json', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fapp.js']) {
      const r = await call(port, 'GET', path, { auth: null });
      assert.notEqual(r.status, 500, path);
      assert.doesNotMatch(r.text, /"name": "loopgate"|root:/, path);
    }
    for (const host of ['evil.example', `localhost.evil.example:${port}`]) {
      assert.equal((await call(port, 'GET', '/', { auth: null, headers: { host } })).status, 421, host);
    }
  });

  it('never takes the token from a cookie, and clears a control cookie an older version left', async () => {
    const cookie = `loopgate_token_${port}=${TOKEN}`;
    const api = await call(port, 'GET', '/api/status', { auth: null, headers: { cookie } });
    assert.equal(api.status, 401, 'a cookie is no credential: the site on another port could set or read it');
    assert.equal(api.json.error.code, 'NO_TOKEN');
    assert.equal(await tryEvents(port, { headers: { cookie } }), 401);
    const page = await call(port, 'GET', '/', { auth: null, headers: { cookie: `a=1; ${cookie}; b=2` } });
    assert.equal(page.status, 200);
    assert.deepEqual(page.headers['set-cookie'], [
      `loopgate_token_${port}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict`,
    ]);
  });

  it('answers through a flood of cookies on 127.0.0.1 (180 × 4 KiB, as a page on the site port can set)', async () => {
    const flood = Array.from({ length: 180 }, (_, i) => `c${i}=${'x'.repeat(4000)}`).join('; ');
    assert.equal((await call(port, 'GET', '/api/status', { headers: { cookie: flood } })).status, 200);
    assert.equal((await call(port, 'GET', '/', { auth: null, headers: { cookie: flood } })).status, 200);
    assert.equal(await tryEvents(port, { headers: { cookie: flood, authorization: `Bearer ${TOKEN}` } }), 'open');
  });

  it('guards the events WebSocket: token (header, subprotocol or ?token=), Host and Origin', async () => {
    const bearer = (t: string) => `loopgate.bearer.${Buffer.from(t).toString('base64url')}`;
    assert.equal(await tryEvents(port), 401);
    assert.equal(await tryEvents(port, { path: '/api/events?token=wrong' }), 401);
    assert.equal(await tryEvents(port, { headers: { authorization: `Bearer ${TOKEN}` } }), 'open');
    assert.equal(await tryEvents(port, { path: `/api/events?token=${TOKEN}` }), 'open');
    assert.equal(await tryEvents(port, { protocols: ['loopgate.events', bearer('wrong-token-1234')] }), 401);
    assert.equal(await tryEvents(port, { protocols: ['loopgate.events', bearer(TOKEN)] }), 'open');
    const proto = { protocols: ['loopgate.events', bearer(TOKEN)] };
    assert.equal(
      await tryEvents(port, { ...proto, origin: 'http://evil.example' }),
      403,
      'cross-site WebSocket hijack',
    );
    assert.equal(await tryEvents(port, { ...proto, origin: `http://127.0.0.1:${port}` }), 'open');
    assert.equal(await tryEvents(port, { ...proto, headers: { host: 'evil.example' } }), 421);
    assert.equal(await tryEvents(port, { ...proto, path: '/api/other' }), 404);
  });
});
