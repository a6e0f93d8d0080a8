// Issue 4, the "remote" preset in Chromium: a local page logs in to a self-signed HTTPS backend through Loopgate.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RouteInput } from '../../shared/config.ts';
import {
  launchWithTestHosts,
  startHttpsBackend,
  startLoopgate,
  type HttpsBackend,
  type Loopgate,
} from '../helpers/integ.ts';
import { HAVE_CHROMIUM } from '../helpers/ui-harness.ts';

const skip = HAVE_CHROMIUM ? false : 'Chromium is not installed at /usr/bin/chromium';

/** The backend's host: a loopback address that is not the page's (so its cookie Domain cannot match localhost). */
const BACKEND_HOST = '127.0.0.2';

const PAGE = `<!doctype html><title>local build</title><script>
window.call = async (path, init) => {
  const r = await fetch(path, init);
  return { status: r.status, url: r.url, redirected: r.redirected, body: await r.text() };
};
</script>`;

describe('the remote preset: local page, remote HTTPS backend with a self-signed certificate', {
  skip,
  timeout: 60_000,
}, () => {
  let backend: HttpsBackend;
  let lg: Loopgate;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let site: string;

  const call = (path: string, init: RequestInit = {}) =>
    page.evaluate(([p, i]) => (window as any).call(p, i), [path, init] as const) as Promise<{
      status: number;
      url: string;
      redirected: boolean;
      body: string;
    }>;
  const routes = (route: Partial<RouteInput>): RouteInput[] => [{ match: '/api', target: backend.origin, ...route }];

  before(async () => {
    backend = await startHttpsBackend(BACKEND_HOST, (req, res, origin) => {
      const path = req.url!.split('?')[0];
      if (path === '/api/login') {
        res.setHeader('set-cookie', `sid=s3cret; Domain=${BACKEND_HOST}; Path=/; Secure; HttpOnly; SameSite=None`);
        res.setHeader('content-type', 'application/json');
        res.end('{"ok":true}');
      } else if (path === '/api/go') {
        res.writeHead(302, { location: `${origin}/api/landed?from=go` });
        res.end();
      } else if (path === '/api/landed') {
        res.setHeader('content-type', 'text/html');
        res.end('<!doctype html><title>landed</title><p id="where">landed</p>');
      } else {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ cookie: req.headers.cookie ?? null }));
      }
    });
    lg = await startLoopgate(
      { root: 'site', routes: routes({ remote: true, secure: false }) },
      { files: { 'site/index.html': PAGE } },
    );
    site = `http://localhost:${lg.port()}`;
    browser = await launchWithTestHosts();
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${site}/`);
  });

  after(async () => {
    await browser?.close();
    await lg?.stop();
    await backend?.close();
  });

  it('the browser keeps the login cookie and sends it back; the backend gets it on the next request', async () => {
    const login = await call('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"user":"me"}',
    });
    assert.equal(login.status, 200, login.body);
    const cookies = await context.cookies(site);
    const sid = cookies.find((c) => c.name === 'sid');
    assert.ok(sid, `the browser kept the cookie: ${JSON.stringify(cookies)}`);
    assert.equal(sid.value, 's3cret');
    assert.equal(sid.domain, 'localhost');
    assert.equal(sid.httpOnly, true);
    assert.equal(sid.secure, false);
    assert.equal(sid.sameSite, 'Lax');

    const me = await call('/api/me');
    assert.equal(JSON.parse(me.body).cookie, 'sid=s3cret');
    assert.equal(backend.seen.at(-1)!.headers.cookie, 'sid=s3cret', 'the backend saw the cookie');
  });

  it('Origin and Referer reach the backend rewritten to the target', async () => {
    await call('/api/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const seen = backend.seen.filter((s) => s.url === '/api/echo').at(-1)!;
    assert.equal(seen.headers.origin, backend.origin);
    assert.equal(seen.headers.referer, `${backend.origin}/`);
    assert.equal(seen.headers.host, `${BACKEND_HOST}:${backend.port}`);
  });

  it("a redirect to the backend's own absolute URL lands back on Loopgate's origin", async () => {
    const viaFetch = await call('/api/go');
    assert.equal(viaFetch.redirected, true);
    assert.equal(viaFetch.url, `${site}/api/landed?from=go`);
    assert.equal(viaFetch.status, 200);

    await page.goto(`${site}/api/go`);
    assert.equal(page.url(), `${site}/api/landed?from=go`);
    assert.equal(await page.locator('#where').textContent(), 'landed');
    await page.goto(`${site}/`);
  });

  it('control: without the preset the same cookie is dropped by the browser', async () => {
    await lg.put({ listen: { host: '127.0.0.1', port: lg.port() }, root: 'site', routes: routes({ secure: false }) });
    await context.clearCookies();
    const login = await call('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(login.status, 200);
    assert.equal(
      (await context.cookies(site)).find((c) => c.name === 'sid'),
      undefined,
      'Domain=127.0.0.2 does not fit localhost',
    );
    const me = await call('/api/me');
    assert.equal(JSON.parse(me.body).cookie, null);
  });
});
