// Screenshots for the README (docs/screenshots/*.png, 1280x800, light and dark) from a real running Loopgate.
// Only with LOOPGATE_SCREENSHOTS=1: node --import tsx --test test/renderer/screenshots.test.ts
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { Runtime } from '../../main/runtime.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { freePort } from '../helpers/net.ts';
import { buildRenderer, HAVE_CHROMIUM, launchChromium } from '../helpers/ui-harness.ts';

const OUT = new URL('../../docs/screenshots/', import.meta.url).pathname;
const skip =
  process.env.LOOPGATE_SCREENSHOTS !== '1'
    ? 'set LOOPGATE_SCREENSHOTS=1 to write docs/screenshots'
    : HAVE_CHROMIUM
      ? false
      : 'Chromium is not installed at /usr/bin/chromium';

const SEED = (
  port: number,
) => `client_max_body_size 15m;  proxy_connect_timeout 90;  proxy_send_timeout 120;  proxy_read_timeout 120;
proxy_http_version 1.1;  proxy_set_header Upgrade $http_upgrade;  proxy_set_header Connection "upgrade";
proxy_set_header X-real-ip $remote_addr;  proxy_set_header X-Forwarded-For $remote_addr;
add_header Access-Control-Allow-Origin *;
root /srv/app/dist;  location / { index index.html; autoindex off; }
location /api { proxy_pass http://localhost:${port}/api; }
include snippets/security-headers.conf;
`;

describe('README screenshots', { skip, timeout: 120_000 }, () => {
  let backend: Backend;
  let rt: Runtime;
  let browser: Browser;
  let dir: string;
  let bundle: { dir: string; remove(): void };

  before(async () => {
    bundle = await buildRenderer();
    backend = await startBackend();
    const dead = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'loopgate-shots-'));
    const be = backend.url;
    writeFileSync(
      join(dir, 'loopgate.json'),
      JSON.stringify(
        {
          listen: { host: '127.0.0.1', port: 0 },
          maxBodySize: '15m',
          timeouts: { connect: 90, send: '120s', read: '2m' },
          cors: { enabled: true, origins: 'reflect', credentials: true },
          routes: [
            { name: 'api', match: '/api/', target: `${be}/`, setHeaders: { 'X-Real-IP': '$remote_addr' } },
            { match: '= /health', target: `${be}/status/204` },
            { match: '^~ /assets/', target: be },
            { match: '~* \\.(png|jpg)$', target: be, enabled: false },
            {
              name: 'live',
              match: '/live/',
              target: be.replace('http', 'ws') + '/',
              remote: true,
              keepAlivePing: '25s',
            },
            { name: 'legacy', match: '/legacy/', target: `ws://127.0.0.1:${dead}/` },
            { match: '/', target: be },
          ],
          profiles: { staging: { routes: [{ match: '/api/', target: 'https://staging.example.com/v2/' }] } },
        },
        null,
        2,
      ),
    );
    rt = await Runtime.start({
      configFile: join(dir, 'loopgate.json'),
      watch: false,
      control: { port: 0, uiDir: bundle.dir },
    });
    browser = await launchChromium();
    mkdirSync(OUT, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await rt?.stop();
    await backend?.close();
    bundle?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function traffic(): Promise<void> {
    const site = rt.siteUrl!;
    const paths = [
      '/',
      '/assets/app.3f9c1.js',
      '/assets/app.3f9c1.css',
      '/api/users?page=1',
      '/api/users/42',
      '/api/status/404',
      '/api/orders',
      '/api/status/500',
      '/health',
      '/api/slow/120',
      '/api/session',
    ];
    for (const p of paths)
      await fetch(
        site + p,
        p === '/api/orders'
          ? { method: 'POST', body: '{"sku":"A-1","qty":2}', headers: { 'content-type': 'application/json' } }
          : {},
      ).then((r) => r.arrayBuffer());
    const page = await browser.newPage();
    await page.goto(`${site}/`);
    await page.evaluate(async (base) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/live/quotes`, ['quotes.v2']);
      await new Promise((r) => (ws.onopen = r));
      for (let i = 0; i < 60; i++) {
        ws.send(
          JSON.stringify({
            op: i % 10 === 0 ? 'subscribe' : 'quote',
            id: i,
            symbol: ['ACME', 'GLOBX', 'INITECH'][i % 3],
            bid: 100 + (i % 7) * 0.25,
            ask: 100.5 + (i % 5) * 0.25,
            depth: { levels: [1, 2, 3], venue: 'XNAS' },
          }),
        );
        await new Promise((r) => setTimeout(r, 15 + (i % 4) * 10)); // the stimulus: frames spread in time
      }
      ws.send(new Uint8Array([0x82, 0x01, 0xff, 0x00, 0x10, 0x20, 0x7f, 0x41, 0x42]));
      const failed = new WebSocket(`${base.replace('http', 'ws')}/legacy/feed`);
      await new Promise((r) => (failed.onclose = r));
    }, site);
  }

  async function shoot(page: Page, name: string): Promise<void> {
    // Kept: lets transitions finish before the picture; nothing to wait on (spinners animate forever), and
    // this file writes pictures to look at, it asserts no timing.
    await page.waitForTimeout(300);
    const path = join(OUT, `${name}.png`);
    await page.screenshot({ path });
    assert.ok(statSync(path).size > 10_000, `${name}.png was written`);
  }

  it('writes the main screens in light and dark', async () => {
    await traffic();
    for (const scheme of ['light', 'dark'] as const) {
      const ui = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: scheme });
      await ui.goto(`${rt.controlUrl}/?token=${rt.token}&tab=watch`);
      const session = ui.locator('.log-body .vrow', { hasText: '/live/quotes' });
      await session.waitFor();
      await session.click();
      await ui.locator('.frames .vrow', { hasText: 'INITECH' }).last().click();
      await ui.getByRole('tab', { name: 'JSON' }).click();
      await shoot(ui, `watch-session-${scheme}`);

      await ui.locator('.log-body .vrow', { hasText: '/legacy/feed' }).click();
      await ui.locator('.banner.error', { hasText: 'Upgrade failed' }).waitFor();
      await shoot(ui, `watch-failed-upgrade-${scheme}`);

      await ui.locator('.log-body .vrow', { hasText: '/api/orders' }).click();
      await shoot(ui, `watch-request-${scheme}`);

      await ui.getByRole('tab', { name: 'Configure' }).click();
      await ui.locator('#site').scrollIntoViewIfNeeded();
      await shoot(ui, `configure-${scheme}`);

      await ui.locator('.routes .main-row').nth(4).getByRole('button', { name: 'Details' }).click();
      await ui.locator('#routes').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await ui.locator('#configure-main').evaluate((el) => el.scrollBy(0, 330));
      await shoot(ui, `configure-route-${scheme}`);

      await ui.locator('#limits').getByLabel('Connect timeout').fill('soon');
      await ui.locator('#limits .field-error').waitFor();
      await ui
        .getByRole('alert', { name: 'Config not saved' })
        .getByRole('button', { name: 'timeouts.connect' })
        .click();
      await shoot(ui, `configure-error-${scheme}`);
      await ui.getByRole('button', { name: 'Undo my edits' }).click();

      // nginx import: the developers' seed block pasted and read (not applied), its warnings by line.
      await ui.getByRole('button', { name: 'Import nginx config…' }).click();
      await ui.getByRole('textbox', { name: 'nginx config to import' }).fill(SEED(backend.port));
      await ui.getByRole('button', { name: 'Read config' }).click();
      await ui.getByRole('list', { name: 'Import warnings' }).waitFor();
      await ui.locator('#export').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await shoot(ui, `configure-nginx-import-${scheme}`);

      await ui.getByRole('button', { name: 'Export nginx config' }).click();
      await ui.getByLabel('Exported nginx config').waitFor();
      await ui.locator('#export').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await shoot(ui, `configure-nginx-export-${scheme}`);
      await ui.close();
    }
  });
});
