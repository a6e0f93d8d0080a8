// Hardening: the control token stays Loopgate's own: in Chromium, the site on the same host never receives, logs, exports or spoils it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Runtime } from '../../main/runtime.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { waitFor } from '../helpers/net.ts';
import { buildRenderer, HAVE_CHROMIUM, launchChromium } from '../helpers/ui-harness.ts';

const skip = HAVE_CHROMIUM ? false : 'Chromium is not installed at /usr/bin/chromium';
const YEAR = 365 * 24 * 3600;

describe('the control credential in Chromium (browser mode, site and UI on 127.0.0.1)', {
  skip,
  timeout: 120_000,
}, () => {
  let backend: Backend;
  let rt: Runtime;
  let browser: Browser;
  let context: BrowserContext;
  let ui: Page;
  let site: Page;
  let dir: string;
  let bundle: { dir: string; remove(): void };
  let siteUrl: string;
  let cookieName: string;
  /** Request heads of every WebSocket handshake the backend accepted. */
  const handshakes: IncomingHttpHeaders[] = [];

  /** Everything the backend was sent, the log and a HAR export, as one text to search for the token. */
  async function everywhere(): Promise<string> {
    const api = async (path: string) => {
      const r = await fetch(`${rt.controlUrl}${path}`, { headers: { authorization: `Bearer ${rt.token}` } });
      assert.equal(r.status, 200, path);
      return r.text();
    };
    return [
      JSON.stringify(backend.seen),
      JSON.stringify(handshakes),
      await api('/api/requests?limit=1000'),
      await api('/api/sessions?limit=1000'),
      await api('/api/export.har'),
    ].join('\n');
  }

  /** From a page on the site: one proxied fetch and one proxied WebSocket echo. */
  async function useSite(tag: string): Promise<void> {
    const got = await site.evaluate(async (t) => {
      const r = await fetch(`/api/echo-${t}`);
      const ws = new WebSocket(`ws://${location.host}/api/ws-${t}`);
      const echoed = await new Promise<string>((resolve, reject) => {
        ws.onopen = () => ws.send(`hi ${t}`);
        ws.onmessage = (m) => resolve(String(m.data));
        ws.onerror = () => reject(new Error('websocket failed'));
      });
      ws.close();
      return { status: r.status, echoed };
    }, tag);
    assert.deepEqual(got, { status: 200, echoed: `hi ${tag}` });
  }

  /** The UI works: config loaded, no error in the top bar, a request made now shows up live in the log. */
  async function uiWorks(page: Page, tag: string): Promise<void> {
    await page.locator('.save-state', { hasText: 'Saved' }).waitFor();
    assert.equal(await page.locator('.status .error-text').count(), 0, 'no error in the top bar');
    await useSite(tag);
    await page
      .locator('.log-body .vrow', { hasText: `/api/echo-${tag}` })
      .first()
      .waitFor();
  }

  before(async () => {
    bundle = await buildRenderer();
    backend = await startBackend({
      handler: (req, res) => {
        if (!req.url?.startsWith('/api/evict')) return false;
        // A backend on the site answering with a cookie named like Loopgate's, for a year.
        res.setHeader('set-cookie', `${cookieName}=from-backend; Path=/; Max-Age=${YEAR}`);
        res.end('ok');
        return true;
      },
    });
    backend.wss.on('connection', (ws, req) => {
      handshakes.push(req.headers);
      ws.on('message', (d) => ws.send(d.toString()));
    });
    dir = mkdtempSync(join(tmpdir(), 'loopgate-credential-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>the site</title><h1>site</h1>');
    const file = join(dir, 'loopgate.json');
    const config = {
      listen: { host: '127.0.0.1', port: 0 },
      root: '.',
      routes: [{ match: '/api/', target: backend.url, ws: true }],
    };
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
    rt = await Runtime.start({ configFile: file, watch: false, control: { port: 0, uiDir: bundle.dir } });
    siteUrl = `http://127.0.0.1:${rt.engine.port}`;
    cookieName = `loopgate_token_${new URL(rt.controlUrl!).port}`;
    browser = await launchChromium();
    context = await browser.newContext();
    ui = await context.newPage();
    site = await context.newPage();
    await site.goto(`${siteUrl}/`);
  });

  after(async () => {
    await browser?.close();
    await rt?.stop();
    await backend?.close();
    bundle?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the tokenized URL opens the UI; the token leaves the address bar and no cookie is set', async () => {
    await ui.goto(`${rt.controlUrl}/?token=${rt.token}&tab=watch`);
    await uiWorks(ui, 'first');
    assert.equal(ui.url(), `${rt.controlUrl}/?tab=watch`, 'the token is out of the address bar (and history)');
    assert.deepEqual(await context.cookies(), [], 'no cookie on 127.0.0.1');
    // The fragment form keeps the token off the wire entirely.
    const other = await context.newPage();
    await other.goto(`${rt.controlUrl}/#token=${rt.token}`);
    await uiWorks(other, 'fragment');
    assert.equal(other.url(), `${rt.controlUrl}/`);
    await other.close();
  });

  it('requests from the site carry no token: not forwarded (HTTP, WebSocket handshake), not logged, not exported, not shown', async () => {
    await useSite('clean');
    const all = await everywhere();
    assert.ok(backend.seen.length > 0 && handshakes.length > 0);
    assert.ok(!all.includes(rt.token), 'the token appears nowhere the site reaches');
    await ui.locator('.log-body .vrow', { hasText: '/api/echo-clean' }).first().click();
    assert.ok(!(await ui.locator('body').innerText()).includes(rt.token), 'the request view does not show it');
  });

  it('a control cookie left by an older version is dropped by the engine (defense in depth) and cleared by the UI', async () => {
    await context.addCookies([{ name: cookieName, value: rt.token, domain: '127.0.0.1', path: '/' }]);
    const before = backend.seen.length;
    await useSite('leftover');
    const sent = backend.seen.slice(before);
    assert.ok(sent.length > 0);
    for (const r of sent) assert.equal(r.headers.cookie, undefined, 'the cookie is not forwarded');
    assert.equal(handshakes.at(-1)!.cookie, undefined, 'nor on the WebSocket handshake');
    assert.ok(!(await everywhere()).includes(rt.token), 'nor logged or exported');
    await ui.reload();
    await uiWorks(ui, 'after-leftover');
    assert.deepEqual(
      (await context.cookies()).map((c) => c.name),
      [],
      'opening the UI cleared the old cookie',
    );
  });

  it('the site cannot spoil the credential: shadowing cookie, cookie flood, oversized cookies, a backend Set-Cookie for a year', async () => {
    // A page on the site sets cookies on 127.0.0.1 (they reach the control port too: cookies ignore ports).
    await site.evaluate((name) => {
      // biome-ignore lint/suspicious/noDocumentCookie: a page on the site setting cookies is the attack tested here
      document.cookie = `${name}=shadow; path=/api`;
      // biome-ignore lint/suspicious/noDocumentCookie: a page on the site setting cookies is the attack tested here
      document.cookie = `${name}=shadow-root; path=/`;
    }, cookieName);
    const evict = await site.evaluate(async () => (await fetch('/api/evict')).status);
    assert.equal(evict, 200);
    assert.ok((await context.cookies()).some((c) => c.name === cookieName && c.expires > Date.now() / 1000 + YEAR / 2));
    await ui.reload();
    await uiWorks(ui, 'after-shadow');
    // Flood: Chromium keeps at most ~180 cookies per host, each up to 4 KiB (name + value).
    const kept = await site.evaluate(() => {
      // biome-ignore lint/suspicious/noDocumentCookie: a page on the site setting cookies is the attack tested here
      for (let i = 0; i < 200; i++) document.cookie = `flood${i}=${'x'.repeat(4000)}; path=/`;
      return document.cookie.length;
    });
    assert.ok(kept > 100_000, `the browser now sends ~${kept} bytes of cookies to 127.0.0.1`);
    await ui.reload();
    await ui.locator('.save-state', { hasText: 'Saved' }).waitFor();
    assert.equal(await ui.locator('.status .error-text').count(), 0, 'the flood does not lock the UI out');
    // The events socket still opens through the flood: a control API change shows up live.
    const clear = await fetch(`${rt.controlUrl}/api/clear`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rt.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(clear.status, 200);
    await waitFor(async () => (await ui.locator('.log-body .vrow').count()) === 0, 'the UI saw the clear event');
  });

  it('re-opening the tokenized URL recovers a tab without the token; without it the UI says what to do', async () => {
    const lost = await context.newPage();
    await lost.goto(`${rt.controlUrl}/`);
    await lost.locator('.status .error-text', { hasText: 'control URL' }).waitFor();
    await lost.goto(`${rt.controlUrl}/?token=${rt.token}`);
    await lost.locator('.save-state', { hasText: 'Saved' }).waitFor();
    await waitFor(async () => (await lost.locator('.status .error-text').count()) === 0, 'the error is gone');
    await lost.close();
    // Back to a clean site so the proxied checks above hold for later runs.
    await context.clearCookies();
    await uiWorks(ui, 'recovered');
  });
});
