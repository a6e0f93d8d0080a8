// Issue 4, CORS through the whole runtime: a page on another origin in Chromium, CORS toggled live, preflights, errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ConfigInput } from '../../shared/config.ts';
import type { ListPage, SessionView } from '../../shared/api.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import {
  headerCount,
  launchWithTestHosts,
  rawRequest,
  servePage,
  startLoopgate,
  until,
  type Loopgate,
} from '../helpers/integ.ts';
import { freePort } from '../helpers/net.ts';
import { HAVE_CHROMIUM } from '../helpers/ui-harness.ts';

const skip = HAVE_CHROMIUM ? false : 'Chromium is not installed at /usr/bin/chromium';

/** Page helpers: fetch that reports instead of throwing, named WebSockets with an echo round trip. */
const PAGE = `<!doctype html><title>app</title><script>
window.tryFetch = async (url, init) => {
  try { const r = await fetch(url, init); return { ok: true, status: r.status, body: await r.text() }; }
  catch (e) { return { ok: false, error: String(e) }; }
};
window.sockets = {};
window.tryWs = (name, url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  ws.got = [];
  window.sockets[name] = ws;
  ws.onmessage = (e) => ws.got.push(e.data);
  ws.onopen = () => resolve('open');
  ws.onerror = () => resolve('error');
});
window.echo = (name, text) => new Promise((resolve) => {
  const ws = window.sockets[name];
  if (!ws || ws.readyState !== 1) return resolve('not open: ' + (ws && ws.readyState));
  const start = ws.got.length;
  ws.send(text);
  const t = setInterval(() => { if (ws.got.length > start) { clearInterval(t); resolve(ws.got[start]); } }, 10);
  setTimeout(() => { clearInterval(t); resolve('no echo'); }, 3000);
});
</script>`;

type FetchResult = { ok: true; status: number; body: string } | { ok: false; error: string };

describe('CORS through the runtime, seen from a page on another origin', { skip, timeout: 60_000 }, () => {
  let backend: Backend;
  let lg: Loopgate;
  let browser: Browser;
  let app: Page;
  let local: Page;
  let pages: { port: number; close(): Promise<void> };
  let appOrigin: string;
  let api: string;
  let base: ConfigInput;

  const tryFetch = (page: Page, url: string, init: RequestInit = {}) =>
    page.evaluate(([u, i]) => (window as any).tryFetch(u, i), [url, init] as const) as Promise<FetchResult>;
  const tryWs = (page: Page, name: string, url: string) =>
    page.evaluate(([n, u]) => (window as any).tryWs(n, u), [name, url] as const) as Promise<string>;
  const echo = (page: Page, name: string, text: string) =>
    page.evaluate(([n, t]) => (window as any).echo(n, t), [name, text] as const) as Promise<string>;
  const withCors = (cors: NonNullable<ConfigInput['cors']>): ConfigInput => ({ ...base, cors });

  before(async () => {
    backend = await startBackend({
      handler: (req, res) => {
        if (!req.url!.startsWith('/api/dup')) return false;
        // A backend with its own CORS, sent twice (as some frameworks plus a proxy in front do).
        res.setHeader('access-control-allow-origin', ['*', 'http://backend.example']);
        res.setHeader('access-control-allow-credentials', 'true');
        res.end('dup');
        return true;
      },
    });
    pages = await servePage(PAGE);
    appOrigin = `http://app.test:${pages.port}`;
    base = {
      listen: { host: '127.0.0.1', port: 0 },
      allowedHosts: ['api.test'],
      routes: [
        { match: '/api', target: backend.url },
        { match: '/gone', target: `http://127.0.0.1:${await freePort()}` },
        // /late/x → /hang/x: the backend never answers.
        { match: '/late', target: `${backend.url}/hang`, timeouts: { read: '300ms' } },
      ],
    };
    lg = await startLoopgate(base);
    api = `http://api.test:${lg.port()}`;
    browser = await launchWithTestHosts();
    app = await browser.newPage();
    await app.goto(`${appOrigin}/`);
    local = await browser.newPage();
    await local.goto(`http://127.0.0.1:${pages.port}/`);
  });

  after(async () => {
    await browser?.close();
    await lg?.stop();
    await pages?.close();
    await backend?.close();
  });

  it('blocked with CORS off; allowed once CORS is turned on through PUT /api/config, while an older WebSocket keeps echoing', async () => {
    const port = lg.port();
    const plain = await tryFetch(app, `${api}/api/plain`);
    assert.equal(plain.ok, false, `CORS off: the page cannot read the answer (${JSON.stringify(plain)})`);
    assert.ok(
      backend.seen.some((s) => s.url === '/api/plain'),
      'the request itself went through: the browser refused to read it',
    );
    const cred = await tryFetch(app, `${api}/api/cred`, { credentials: 'include' });
    assert.equal(cred.ok, false);
    assert.equal(
      await tryWs(app, 'app1', `ws://api.test:${port}/api/ws`),
      'error',
      'the cross-site WebSocket is refused',
    );
    const refused = await until(async () => {
      const list = (await lg.api('GET', '/api/sessions')).json as ListPage<SessionView>;
      return list.items.find((s) => s.state === 'failed');
    }, 'the refused session in the log');
    assert.equal(refused.error?.code, 'ORIGIN_REFUSED');

    // A WebSocket from a loopback origin (always allowed) opened before the change.
    assert.equal(await tryWs(local, 'old', `ws://api.test:${port}/api/ws`), 'open');
    assert.equal(await echo(local, 'old', 'before'), 'before');

    await lg.put(withCors({ enabled: true, origins: [appOrigin], credentials: true }));

    assert.equal(lg.port(), port, 'no restart: same listener');
    const plain2 = await tryFetch(app, `${api}/api/plain2`);
    assert.ok(plain2.ok && plain2.status === 200, JSON.stringify(plain2));
    assert.equal(JSON.parse(plain2.body).url, '/api/plain2');
    const cred2 = await tryFetch(app, `${api}/api/cred2`, { credentials: 'include' });
    assert.ok(cred2.ok && cred2.status === 200, JSON.stringify(cred2));
    assert.equal(
      await tryWs(app, 'app2', `ws://api.test:${port}/api/ws`),
      'open',
      'the CORS origin may open WebSockets now',
    );
    assert.equal(await echo(app, 'app2', 'new'), 'new');
    assert.equal(await echo(local, 'old', 'after'), 'after', 'the WebSocket opened before the change still echoes');
  });

  it('preflight answered locally never reaches the backend; forwarded, the backend sees it', async () => {
    const init = { method: 'PUT', headers: { 'x-custom': '1' }, body: 'x' };
    const local1 = await tryFetch(app, `${api}/api/pre-local`, init);
    assert.ok(local1.ok && local1.status === 200, JSON.stringify(local1));
    assert.deepEqual(
      backend.seen.filter((s) => s.url === '/api/pre-local').map((s) => s.method),
      ['PUT'],
      'local: the backend never saw OPTIONS',
    );
    await lg.put(withCors({ enabled: true, origins: [appOrigin], credentials: true, preflight: 'forward' }));
    const fwd = await tryFetch(app, `${api}/api/pre-forward`, init);
    assert.ok(fwd.ok && fwd.status === 200, JSON.stringify(fwd));
    const seen = backend.seen.filter((s) => s.url === '/api/pre-forward');
    assert.deepEqual(
      seen.map((s) => s.method),
      ['OPTIONS', 'PUT'],
      'forward: the backend answered the preflight',
    );
    assert.equal(seen[0]!.headers['access-control-request-method'], 'PUT');
  });

  it("a backend's duplicated CORS headers come out as exactly one Access-Control-Allow-Origin", async () => {
    for (const backendHeaders of ['replace', 'keep'] as const) {
      await lg.put(withCors({ enabled: true, origins: [appOrigin], credentials: true, backendHeaders }));
      const raw = await rawRequest(lg.port(), 'GET', '/api/dup', { host: `api.test:${lg.port()}`, origin: appOrigin });
      assert.equal(raw.status, 200);
      assert.equal(
        headerCount(raw.rawHeaders, 'access-control-allow-origin'),
        1,
        `${backendHeaders}: ${JSON.stringify(raw.rawHeaders)}`,
      );
      const expected = backendHeaders === 'replace' ? appOrigin : '*';
      assert.equal(raw.headers['access-control-allow-origin'], expected, backendHeaders);
      if (backendHeaders === 'replace') {
        // The browser accepts it (two values would fail the request).
        const r = await tryFetch(app, `${api}/api/dup?b=${backendHeaders}`);
        assert.ok(r.ok && r.body === 'dup', JSON.stringify(r));
      }
    }
  });

  it("Loopgate's own 502 and 504 carry the CORS headers, so the page can read them", async () => {
    await lg.put(withCors({ enabled: true, origins: [appOrigin], credentials: true }));
    for (const [path, status] of [
      ['/gone/x', 502],
      ['/late/x', 504],
    ] as const) {
      const raw = await rawRequest(lg.port(), 'GET', path, { host: `api.test:${lg.port()}`, origin: appOrigin });
      assert.equal(raw.status, status, raw.body);
      assert.equal(raw.headers['access-control-allow-origin'], appOrigin, `${status}: ${JSON.stringify(raw.headers)}`);
      assert.equal(raw.headers['access-control-allow-credentials'], 'true');
      const seen = await tryFetch(app, `${api}${path}?page=1`, { credentials: 'include' });
      assert.ok(seen.ok && seen.status === status, `the page reads the ${status}: ${JSON.stringify(seen)}`);
      assert.match(seen.ok ? seen.body : '', /Loopgate/);
    }
  });
});
