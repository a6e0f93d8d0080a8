// End to end through the UI in Chromium, the same cases in both modes: browser (HTTP bridge to the control server) and desktop (preload → IPC handlers, app:// under the CSP).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { BRIDGE_METHODS } from '../../main/app/bridge/bridge-methods.ts';
import type { AppShell } from '../../main/app/shell.ts';
import { Runtime } from '../../main/runtime.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { DESKTOP_ORIGIN, openDesktopPage, startDesktopShell, type DesktopPage } from '../helpers/desktop-page.ts';
import { close, listen, waitFor } from '../helpers/net.ts';
import { buildRenderer, HAVE_CHROMIUM, launchChromium } from '../helpers/ui-harness.ts';

const skip = HAVE_CHROMIUM ? false : 'Chromium is not installed at /usr/bin/chromium';

type Mode = 'browser' | 'desktop';
const TITLES: Record<Mode, string> = {
  browser: 'UI in browser mode (HTTP bridge)',
  desktop: 'UI in desktop mode (preload bridge → IPC handlers, app:// + CSP)',
};

function uiSuite(mode: Mode): void {
  describe(TITLES[mode], { skip, timeout: 90_000 }, () => {
    let backend: Backend;
    let rt: Runtime;
    let shell: AppShell | null = null;
    let desktop: DesktopPage | null = null;
    let browser: Browser;
    let ui: Page;
    let site: Page;
    let dir: string;
    let file: string;
    let bundle: { dir: string; remove(): void };
    let other: Server;
    let otherUrl: string;
    const backendGot: string[] = [];

    before(async () => {
      bundle = await buildRenderer();
      backend = await startBackend({
        handler: (req, res) => {
          if (!req.url?.startsWith('/v2/page')) return false;
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end('<!doctype html><title>through loopgate</title><h1>page from the backend</h1>');
          return true;
        },
      });
      backend.wss.on('connection', (ws) => ws.on('message', (d) => backendGot.push(d.toString())));
      other = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><title>other origin</title>');
      });
      otherUrl = `http://127.0.0.1:${await listen(other)}`;
      dir = mkdtempSync(join(tmpdir(), `loopgate-ui-e2e-${mode}-`));
      file = join(dir, 'loopgate.json');
      // A catch-all route: the favicon and anything unrouted go to the backend too.
      writeFileSync(
        file,
        `${JSON.stringify({ listen: { host: '127.0.0.1', port: 0 }, routes: [{ match: '/', target: backend.url }] }, null, 2)}\n`,
      );
      browser = await launchChromium();
      if (mode === 'browser') {
        rt = await Runtime.start({ configFile: file, watch: false, control: { port: 0, uiDir: bundle.dir } });
        ui = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        await ui.goto(`${rt.controlUrl}/?token=${rt.token}&tab=configure`);
      } else {
        // As `loopgate start --config FILE` runs the app: the shell's Runtime, no control server, the file watched.
        shell = (await startDesktopShell(file, join(dir, 'userData'))).shell;
        assert.equal(shell.configFile, file);
        rt = shell.runtime!;
        assert.ok(rt, 'the shell started its runtime');
        assert.equal(rt.controlUrl, null, 'no control API in the app');
        desktop = await openDesktopPage(browser, { source: shell, uiDir: bundle.dir });
        ui = desktop.page;
        await ui.goto(desktop.url('/index.html?tab=configure'));
      }
      site = await browser.newPage();
      await ui.locator('.save-state', { hasText: 'Saved' }).waitFor();
    });

    after(async () => {
      await desktop?.close();
      await browser?.close();
      if (shell) await shell.stop();
      else await rt?.stop();
      await backend?.close();
      if (other) await close(other);
      bundle?.remove();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const onDisk = () =>
      JSON.parse(readFileSync(file, 'utf8')) as {
        routes: Array<{ match: string; target: string }>;
        cors?: { enabled?: boolean };
        timeouts?: { read?: unknown };
      };

    it('adds a route in the form; it is saved and serves a page at once', async () => {
      await ui.getByRole('button', { name: '+ Add route' }).click();
      await ui.locator('input[name="new-route-match"]').fill('/app/');
      await ui.locator('input[name="new-route-target"]').fill(`${backend.url}/v2/`);
      await ui.getByRole('button', { name: 'Add route', exact: true }).click();
      await waitFor(
        () => onDisk().routes.some((r) => r.match === '/app/' && r.target === `${backend.url}/v2/`),
        'the route on disk',
      );
      await ui.locator('.save-state', { hasText: 'Saved' }).waitFor();
      // The rewrite preview follows nginx's proxy_pass rule.
      await ui.locator('.preview', { hasText: `/app/users → ${backend.url}/v2/users` }).waitFor();

      await site.goto(`${rt.siteUrl}/app/page.html`);
      assert.equal(await site.locator('h1').textContent(), 'page from the backend');
      assert.ok(
        backend.seen.some((s) => s.url === '/v2/page.html'),
        'the backend saw the rewritten path',
      );
    });

    it('shows the request in the live log', async () => {
      await ui.getByRole('tab', { name: 'Watch' }).click();
      const row = ui.locator('.log-body .vrow', { hasText: '/app/page.html' });
      await row.first().waitFor();
      assert.match((await row.first().textContent()) ?? '', /^200GET\/app\/page\.html/);
    });

    it('decodes a WebSocket session and sends a message from the composer', async () => {
      const wsUrl = `${rt.siteUrl!.replace('http', 'ws')}/app/socket`;
      await site.evaluate(
        (url) =>
          new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(url, ['chat.v1']);
            const w = window as unknown as { got: string[]; ws: WebSocket };
            w.got = [];
            w.ws = ws;
            ws.onmessage = (e) => w.got.push(String(e.data));
            ws.onerror = () => reject(new Error('WebSocket failed'));
            ws.onopen = () => {
              ws.send('hello from page');
              ws.send(JSON.stringify({ kind: 'json', n: 42 }));
              resolve();
            };
          }),
        wsUrl,
      );
      await ui.locator('.log-body .vrow', { hasText: '/app/socket' }).first().click();
      await ui.locator('[data-testid="frame-count"]', { hasText: '4 / 4' }).waitFor();
      await ui.locator('.facts', { hasText: 'chat.v1' }).waitFor();
      await ui.locator('.frames .vrow', { hasText: 'hello from page' }).first().waitFor();

      await ui.locator('.frames .vrow', { hasText: '"kind":"json"' }).first().click();
      await ui.getByRole('tab', { name: 'JSON' }).click();
      await ui.locator('.json-tree .j-key', { hasText: 'kind' }).waitFor();
      await ui.getByRole('tab', { name: 'Hex' }).click();
      assert.match((await ui.locator('.frame-body pre').textContent()) ?? '', /^00000000 {2}7b 22 6b 69 6e 64/);

      await ui.getByLabel('Message to send').fill('from composer');
      await ui.getByRole('button', { name: 'Send ↑ backend' }).click();
      await waitFor(() => backendGot.includes('from composer'), 'the backend to receive the composed message');
      await waitFor(
        () => site.evaluate(() => (window as unknown as { got: string[] }).got.includes('from composer')),
        'the echo to reach the page',
      );
      await ui.locator('[data-testid="frame-count"]', { hasText: '6 / 6' }).waitFor();
    });

    it('turns CORS on: a cross-origin fetch goes from blocked to allowed', async () => {
      const page2 = await browser.newPage();
      try {
        await page2.goto(otherUrl);
        const attempt = () =>
          page2.evaluate(async (u) => {
            try {
              const r = await fetch(u);
              return `ok ${r.status}`;
            } catch {
              return 'blocked';
            }
          }, `${rt.siteUrl}/app/data`);
        assert.equal(await attempt(), 'blocked');
        await ui.getByRole('tab', { name: 'Configure' }).click();
        await ui.getByRole('switch', { name: 'Answer CORS for every route' }).check();
        await waitFor(() => onDisk().cors?.enabled === true, 'cors.enabled on disk');
        await waitFor(async () => (await attempt()) === 'ok 200', 'the cross-origin fetch to be allowed');
        await ui
          .locator('#cors .field-hint', { hasText: 'Credentials never with *: Loopgate reflects the Origin' })
          .waitFor();
      } finally {
        await page2.close();
      }
    });

    it('refuses a bad value: inline error, text kept, file and running config unchanged', async () => {
      const before = readFileSync(file, 'utf8');
      const read = ui.locator('#limits').getByLabel('Read timeout');
      await read.fill('soon');
      const error = ui.locator('#limits .field-error');
      await error.waitFor();
      assert.match((await error.textContent()) ?? '', /"soon" is not a time/);
      await ui.getByRole('alert', { name: 'Config not saved' }).waitFor();
      await ui.locator('.save-state', { hasText: 'Not saved' }).waitFor();
      assert.equal(await read.inputValue(), 'soon');
      assert.equal(readFileSync(file, 'utf8'), before);
      assert.equal((rt.store.input as { timeouts?: unknown }).timeouts, undefined);
      const res = await fetch(`${rt.siteUrl}/app/still`);
      assert.equal(res.status, 200);
      await res.text();

      await read.fill('2m');
      await waitFor(() => onDisk().timeouts?.read === '2m', 'the fixed value on disk');
      await ui.locator('#limits .field-error').waitFor({ state: 'detached' });
    });

    if (mode === 'desktop') {
      it('the preload exposed exactly the bridge: a frozen, read-only window.loopgate', async () => {
        const shape = await ui.evaluate(() => {
          const d = Object.getOwnPropertyDescriptor(window, 'loopgate');
          const b = window.loopgate as unknown as Record<string, unknown>;
          return {
            keys: Object.keys(b),
            fns: Object.values(b).every((v) => typeof v === 'function'),
            frozen: Object.isFrozen(b),
            writable: d?.writable,
            configurable: d?.configurable,
          };
        });
        assert.deepEqual(shape, {
          keys: [...BRIDGE_METHODS],
          fns: true,
          frozen: true,
          writable: false,
          configurable: false,
        });
      });

      it('never fell back to the HTTP bridge, no CSP violation, no page error', () => {
        const d = desktop!;
        assert.ok(d.requests.length >= 3, 'the page, its script and its style were requested');
        assert.deepEqual(
          d.requests.filter((u) => !u.startsWith(`${DESKTOP_ORIGIN}/`)),
          [],
          'every request stays on the app origin',
        );
        for (const f of ['/index.html', '/app.js', '/style.css'])
          assert.ok(
            d.requests.some((u) => new URL(u).pathname === f),
            f,
          );
        for (const m of ['getConfig', 'putConfig', 'subscribe', 'listRequests', 'getSession', 'frames', 'send'])
          assert.ok(d.calls.includes(`loopgate:${m}`), `${m} went over IPC`);
        assert.deepEqual(d.cspViolations, []);
        assert.deepEqual(d.errors, []);
      });

      it('IPC copies as Electron does: a non-cloneable argument fails in the page; a foreign sender is refused by the handler', async () => {
        // (The function is made by a call so that tsx gives it no __name() wrapper, which the page lacks.)
        const cloned = await ui.evaluate(() =>
          window
            .loopgate!.putConfig({
              routes: [],
              f: (
                () => () =>
                  1
              )(),
            } as never)
            .then(
              () => 'resolved',
              (e: Error) => e.message,
            ),
        );
        assert.equal(cloned, 'An object could not be cloned.');
        const elsewhere = await openDesktopPage(browser, { source: shell!, uiDir: bundle.dir });
        try {
          await elsewhere.context.route('http://elsewhere.test/**', (r) =>
            r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>elsewhere</title>' }),
          );
          await elsewhere.page.goto('http://elsewhere.test/page');
          const refused = await elsewhere.page.evaluate(() =>
            window.loopgate!.status().then(
              () => 'resolved',
              (e: Error) => e.message,
            ),
          );
          assert.equal(
            refused,
            "Error invoking remote method 'loopgate:status': Error: FORBIDDEN: status may only be called by Loopgate's own window (sender http://elsewhere.test/page)",
          );
        } finally {
          await elsewhere.close();
        }
      });

      it('the CSP is really enforced (so the check above can fail): an inline script is refused and reported', async () => {
        // (Not eval: DevTools' evaluate lets eval through the CSP.)
        const ran = await ui.evaluate(() => {
          const s = document.createElement('script');
          s.textContent = 'window.inlineRan = true';
          document.head.append(s);
          return (window as unknown as { inlineRan?: boolean }).inlineRan === true;
        });
        assert.equal(ran, false);
        await waitFor(() => desktop!.cspViolations.length > 0, 'the violation to be reported');
        assert.match(desktop!.cspViolations.join('\n'), /script-src/);
      });
    }
  });
}

uiSuite('browser');
uiSuite('desktop');
