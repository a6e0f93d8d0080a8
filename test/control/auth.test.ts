// Control server security: token, Host (DNS rebinding), Origin (CSRF, WebSocket hijack), JSON-only writes, UI page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { call, startFixture, TOKEN, type Fixture } from '../helpers/control.ts';
import { httpRecord } from '../helpers/records.ts';

/** Try the events WebSocket; resolve with "open" or the refusal's status. */
function tryEvents(
  port: number,
  opts: { path?: string; headers?: Record<string, string>; origin?: string } = {},
): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${opts.path ?? '/api/events'}`, {
      headers: opts.headers,
      origin: opts.origin,
    });
    ws.on('open', () => {
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

  it('trades ?token= on the UI page for an HttpOnly SameSite=Strict cookie, then serves the UI with a strict CSP', async () => {
    const noToken = await call(port, 'GET', '/', { auth: null });
    assert.equal(noToken.status, 401);
    const first = await call(port, 'GET', `/?token=${TOKEN}&tab=ws`, { auth: null });
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, '/?tab=ws');
    const cookie = String(first.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const pair = cookie.split(';')[0]!;
    const page = await call(port, 'GET', '/', { auth: null, headers: { cookie: pair } });
    assert.equal(page.status, 200);
    assert.match(page.text, /<title>Loopgate<\/title>/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    // CSP host sources cannot be IPv6 literals: Chromium logs `ws://[::1]:PORT` as an invalid source.
    assert.match(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${port} ws://localhost:${port};`));
    assert.doesNotMatch(csp, /\[/);
    const js = await call(port, 'GET', '/app.js', { auth: null, headers: { cookie: pair } });
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    const spa = await call(port, 'GET', '/sessions/12', { auth: null, headers: { cookie: pair } });
    assert.match(spa.text, /<title>Loopgate<\/title>/, 'page paths fall back to index.html');
    const missing = await call(port, 'GET', '/nope.js', { auth: null, headers: { cookie: pair } });
    assert.equal(missing.status, 404);
    for (const path of ['/../package.json', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fapp.js']) {
      const r = await call(port, 'GET', path, { auth: null, headers: { cookie: pair } });
      assert.notEqual(r.status, 500, path);
      assert.doesNotMatch(r.text, /"name": "loopgate"|root:/, path);
    }
    const api = await call(port, 'GET', '/api/status', { auth: null, headers: { cookie: pair } });
    assert.equal(api.status, 200, 'the cookie also lets the browser UI call the API');
    const wrongCookie = await call(port, 'GET', '/api/status', {
      auth: null,
      headers: { cookie: pair.replace(/=.*/, '=nope') },
    });
    assert.equal(wrongCookie.status, 401);
  });

  it('guards the events WebSocket: token (header, cookie or ?token=), Host and Origin', async () => {
    assert.equal(await tryEvents(port), 401);
    assert.equal(await tryEvents(port, { path: '/api/events?token=wrong' }), 401);
    assert.equal(await tryEvents(port, { headers: { authorization: `Bearer ${TOKEN}` } }), 'open');
    assert.equal(await tryEvents(port, { path: `/api/events?token=${TOKEN}` }), 'open');
    const cookie = `loopgate_token_${port}=${TOKEN}`;
    assert.equal(await tryEvents(port, { headers: { cookie } }), 'open');
    assert.equal(
      await tryEvents(port, { headers: { cookie }, origin: 'http://evil.example' }),
      403,
      'cross-site WebSocket hijack',
    );
    assert.equal(await tryEvents(port, { headers: { cookie }, origin: `http://127.0.0.1:${port}` }), 'open');
    assert.equal(await tryEvents(port, { headers: { cookie, host: 'evil.example' } }), 421);
    assert.equal(await tryEvents(port, { path: '/api/other', headers: { cookie } }), 404);
  });
});
