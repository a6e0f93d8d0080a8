// End to end in Chromium: import the developers' seed block in Configure, apply it, proxy through it, export it; no CSP errors.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import type { ConfigInput } from '../../shared/config.ts';
import { Runtime } from '../../main/runtime.ts';
import { startBackend, type Backend, type EchoBody } from '../helpers/backend.ts';
import { waitFor } from '../helpers/net.ts';
import { buildRenderer, HAVE_CHROMIUM, launchChromium } from '../helpers/ui-harness.ts';

const skip = HAVE_CHROMIUM ? false : 'Chromium is not installed at /usr/bin/chromium';

/** The developers' seed server body, with their backend port swapped for the test backend's. */
const seed = (
  port: number,
) => `client_max_body_size 15m;  proxy_connect_timeout 90;  proxy_send_timeout 120;  proxy_read_timeout 120;
proxy_http_version 1.1;  proxy_set_header Upgrade $http_upgrade;  proxy_set_header Connection "upgrade";
proxy_set_header X-real-ip $remote_addr;  proxy_set_header X-Forwarded-For $remote_addr;
add_header Access-Control-Allow-Origin *;
root /srv/app/dist;  location / { index index.html; autoindex off; }
location /api { proxy_pass http://localhost:${port}/api; }
`;

describe('nginx import and export in the UI', { skip, timeout: 90_000 }, () => {
  let backend: Backend;
  let rt: Runtime;
  let browser: Browser;
  let ui: Page;
  let dir: string;
  let file: string;
  let bundle: { dir: string; remove(): void };
  const consoleErrors: string[] = [];
  let wsOpened = false;

  before(async () => {
    bundle = await buildRenderer();
    backend = await startBackend();
    dir = mkdtempSync(join(tmpdir(), 'loopgate-nginx-ui-'));
    file = join(dir, 'loopgate.json');
    writeFileSync(
      file,
      `${JSON.stringify({ listen: { host: '127.0.0.1', port: 0 }, inspect: { frames: true }, routes: [] }, null, 2)}\n`,
    );
    // The UI on [::1]: its event stream connects to ws://[::1]:PORT, which only 'self' can allow (CSP has no IPv6 host sources).
    rt = await Runtime.start({ configFile: file, watch: false, control: { host: '::1', port: 0, uiDir: bundle.dir } });
    assert.match(rt.controlUrl!, /^http:\/\/\[::1\]:\d+$/);
    browser = await launchChromium();
    ui = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // CSP problems (an invalid source, a refused connection) and script errors; not the 4xx answers the API gives on purpose.
    const keep = (m: ConsoleMessage) => {
      if (/Content[- ]Security[- ]Policy|Refused to connect/i.test(m.text())) consoleErrors.push(m.text());
    };
    ui.on('console', keep);
    ui.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    ui.on('websocket', (ws) => {
      if (ws.url().startsWith(`${rt.controlUrl!.replace('http', 'ws')}/api/events`)) wsOpened = true;
    });
    await ui.goto(`${rt.controlUrl}/?token=${rt.token}&tab=configure`);
    await ui.locator('.save-state', { hasText: 'Saved' }).waitFor();
    await ui.getByRole('button', { name: 'Import nginx config…' }).click();
  });

  after(async () => {
    await browser?.close();
    await rt?.stop();
    await backend?.close();
    bundle?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const onDisk = () => JSON.parse(readFileSync(file, 'utf8')) as ConfigInput;
  const textarea = () => ui.getByRole('textbox', { name: 'nginx config to import' });

  it('shows a syntax error with its line and column', async () => {
    await textarea().fill('location /api {\n    proxy_pass http://localhost:1/api\n}\n');
    await ui.getByRole('button', { name: 'Read config' }).click();
    const alert = ui.getByRole('alert', { name: 'nginx syntax error' });
    await alert.waitFor();
    assert.match(
      (await alert.textContent()) ?? '',
      /Syntax error\s*line 3, column 1.*unexpected "}" in pasted\.conf:3/,
    );
  });

  it('reads the seed block: its warnings by line, its route; Apply makes /api reach the backend', async () => {
    await textarea().fill(seed(backend.port));
    await ui.getByRole('button', { name: 'Read config' }).click();
    const warnings = ui.getByRole('list', { name: 'Import warnings' });
    await warnings.waitFor();
    const warningText = (await warnings.textContent()) ?? '';
    assert.match(warningText, /line 4\s*add_header Access-Control-Allow-Origin without "always"/);
    assert.match(warningText, /line 3\s*proxy_set_header X-Forwarded-For \$remote_addr/);
    const routes = ui.getByRole('list', { name: 'Imported routes' });
    assert.equal(
      (await routes.textContent())?.replace(/\s+/g, ' ').trim(),
      `/api → http://localhost:${backend.port}/api`,
    );
    assert.equal(await ui.locator('.site-pick').count(), 0, 'one server block: nothing to pick');

    // A warning's line link selects that line in the text.
    await warnings.getByRole('button', { name: 'line 4' }).first().click();
    assert.equal(
      await textarea().evaluate((t: HTMLTextAreaElement) => t.value.slice(t.selectionStart, t.selectionEnd)),
      'add_header Access-Control-Allow-Origin *;',
    );

    await ui.getByRole('button', { name: 'Apply', exact: true }).click();
    await waitFor(
      () =>
        onDisk().routes?.some((r) => r.match === '/api' && r.target === `http://localhost:${backend.port}/api`) ??
        false,
      'the imported route on disk',
    );
    await ui.locator('.import-done', { hasText: 'applied' }).waitFor();
    const saved = onDisk();
    assert.deepEqual(
      [saved.root, saved.maxBodySize, saved.timeouts, saved.listen],
      ['/srv/app/dist', '15m', { connect: '90s', send: '2m', read: '2m' }, { host: '127.0.0.1', port: 0 }],
    );
    assert.deepEqual(saved.inspect, { frames: true }, 'Loopgate-only settings stay');

    const res = await fetch(`${rt.siteUrl}/api/users?page=2`, { headers: { origin: 'http://app.test' } });
    assert.equal(res.status, 200);
    const echo = (await res.json()) as EchoBody;
    assert.equal(echo.url, '/api/users?page=2');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.ok(
      backend.seen.some((s) => s.url === '/api/users?page=2'),
      'the backend saw the request',
    );
    // The page's own route table shows the imported route.
    await waitFor(
      async () => (await ui.locator('input[name="route-0-pattern"]').inputValue()) === '/api',
      'the route in the table',
    );
  });

  it('exports the running config: location /api with its proxy_pass, Copy and Download', async () => {
    await ui.getByRole('button', { name: 'Export nginx config' }).click();
    const code = ui.getByLabel('Exported nginx config');
    await code.waitFor();
    const text = (await code.textContent()) ?? '';
    assert.match(text, new RegExp(`location /api \\{\\n\\s+proxy_pass http://localhost:${backend.port}/api;`));
    assert.match(text, /root \/srv\/app\/dist;/);
    assert.match(text, /client_max_body_size 15m;/);
    const [download] = await Promise.all([
      ui.waitForEvent('download'),
      ui.getByRole('button', { name: 'Download', exact: true }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'loopgate-nginx.conf');
    assert.equal(readFileSync((await download.path())!, 'utf8'), text);
    await ui.getByRole('button', { name: 'Copy' }).click();
    await ui.getByRole('button', { name: /^Cop(ied|y failed)$/ }).waitFor();

    await ui.getByRole('textbox', { name: 'server_name' }).fill('app.test');
    await ui.getByRole('button', { name: 'Use' }).click();
    await ui.locator('.code-view', { hasText: 'server_name app.test;' }).waitFor();
  });

  it('several server blocks: pick one, add it as a profile', async () => {
    await ui.getByRole('button', { name: 'Import nginx config…' }).click();
    await textarea().fill(
      `server {\n    server_name one.test;\n    location /one/ { proxy_pass http://127.0.0.1:${backend.port}/v1/; }\n}\nserver {\n    server_name two.test;\n    location /two/ { proxy_pass http://127.0.0.1:${backend.port}/v2/; }\n    location /ws { proxy_pass http://127.0.0.1:${backend.port}; }\n}\n`,
    );
    await ui.getByRole('button', { name: 'Read config' }).click();
    const pick = ui.locator('.site-pick');
    await pick.waitFor();
    assert.equal(await pick.getByRole('radio').count(), 2);
    await pick.getByText('two.test').click();
    const routes = ui.getByRole('list', { name: 'Imported routes' });
    await routes.filter({ hasText: '/two/' }).waitFor();
    assert.equal(await ui.getByRole('textbox', { name: 'Profile name', exact: true }).inputValue(), 'two.test');
    await ui.getByRole('button', { name: 'Add as profile' }).click();
    await waitFor(() => onDisk().profiles?.['two.test'] !== undefined, 'the profile on disk');
    assert.deepEqual(
      onDisk().profiles!['two.test']!.routes.map((r) => [r.match, r.target]),
      [
        ['/two/', `http://127.0.0.1:${backend.port}/v2/`],
        ['/ws', `http://127.0.0.1:${backend.port}`],
      ],
    );
    assert.equal(onDisk().routes?.[0]?.match, '/api', 'the default routes are unchanged');
    await ui.locator('.import-done', { hasText: 'Profile "two.test" added' }).waitFor();
  });

  it('the page logged no CSP errors, and its event stream works from [::1]', async () => {
    assert.ok(wsOpened, 'the event stream connected to ws://[::1]:PORT/api/events');
    await ui.getByRole('tab', { name: 'Watch' }).click();
    await fetch(`${rt.siteUrl}/api/streamed`).then((r) => r.arrayBuffer());
    await ui.locator('.log-body .vrow', { hasText: '/api/streamed' }).first().waitFor();
    assert.deepEqual(consoleErrors, []);
  });
});
