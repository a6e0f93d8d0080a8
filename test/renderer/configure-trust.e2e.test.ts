// Configure in Chromium against a real `serve`-like Runtime: command-line routes visible and editable, in-memory save, Add route as a draft, undo delete, a refused hand edit's three choices, a stale save's conflict.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ConfigInput } from '../../shared/config.ts';
import type { AppShell } from '../../main/app/shell.ts';
import { Runtime } from '../../main/runtime.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { openDesktopPage, startDesktopShell, type DesktopPage } from '../helpers/desktop-page.ts';
import { waitFor } from '../helpers/net.ts';
import { buildRenderer, HAVE_CHROMIUM, launchChromium } from '../helpers/ui-harness.ts';

const skip = HAVE_CHROMIUM ? false : 'Chromium is not installed at /usr/bin/chromium';
/** Screenshots of the states below, to look at (not compared). */
const SHOTS = '/tmp/lg';

describe('Configure: what runs is what you see, nothing written is lost', { skip, timeout: 120_000 }, () => {
  let dir: string;
  let backend: Backend;
  let rt: Runtime;
  let browser: Browser;
  let ui: Page;
  let bundle: { dir: string; remove(): void };
  const file = () => join(dir, 'loopgate.json');
  const onDisk = () => JSON.parse(readFileSync(file(), 'utf8')) as ConfigInput;
  const matches = () => (rt.store.input.routes ?? []).map((r) => r.match);
  const shot = (name: string) => ui.screenshot({ path: join(SHOTS, `configure-${name}.png`), fullPage: false });
  const editorSave = (content: string) => {
    writeFileSync(`${file()}.swp`, content);
    renameSync(`${file()}.swp`, file());
  };

  before(async () => {
    bundle = await buildRenderer();
    backend = await startBackend();
    dir = mkdtempSync(join(tmpdir(), 'loopgate-configure-trust-'));
    // The README's first example: `loopgate serve --root dist --route /api=… --route /ws=…`, no loopgate.json.
    rt = await Runtime.start({
      baseDir: dir,
      overlay: {
        listen: { host: '127.0.0.1', port: 0 },
        root: dir,
        routes: [
          { match: '/api', target: `${backend.url}/api` },
          { match: '/ws', target: backend.url.replace('http', 'ws') },
        ],
      },
      control: { port: 0, uiDir: bundle.dir },
    });
    browser = await launchChromium();
    ui = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await ui.goto(`${rt.controlUrl}/?token=${rt.token}&tab=configure`);
    await ui.locator('.save-state', { hasText: 'Live · not saved' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await rt?.stop();
    await backend?.close();
    bundle?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the command line’s routes, root and port, says changes live in memory, and lets them be edited', async () => {
    assert.equal(await ui.locator('input[name="route-0-pattern"]').inputValue(), '/api');
    assert.equal(await ui.locator('input[name="route-1-target"]').inputValue(), backend.url.replace('http', 'ws'));
    assert.equal(await ui.locator('input[name="root"]').inputValue(), dir);
    assert.equal(await ui.locator('input[name="port"]').inputValue(), '0');
    assert.equal(await ui.locator('#routes .badge.cli', { hasText: 'command line' }).count(), 2);
    assert.equal(await ui.locator('#site .badge.cli', { hasText: 'command line' }).count(), 3, 'root, host, port');
    await ui.getByRole('status', { name: 'Config in memory only' }).waitFor();
    assert.match(await ui.getByTestId('config-origin').innerText(), /command line/);
    // The path tester sees the route that runs.
    assert.match(await ui.locator('.probe-out').innerText(), /route 1 \/api/);
    await ui.locator('#routes').scrollIntoViewIfNeeded();
    await shot('cli-in-memory');

    await ui.locator('input[name="route-0-target"]').fill(`${backend.url}/api/v2`);
    await waitFor(() => rt.store.input.routes?.[0]?.target === `${backend.url}/api/v2`, 'the edit running');
    await ui.locator('.save-state', { hasText: 'Live · not saved' }).waitFor();
    const echo = (await (await fetch(`${rt.siteUrl}/api/hello`)).json()) as { url: string };
    assert.equal(echo.url, '/api/v2/hello');
    assert.equal(existsSync(file()), false, 'nothing written');

    await ui.getByRole('button', { name: `Save as ${file()}` }).click();
    await ui.locator('.save-state', { hasText: 'Saved · live' }).waitFor();
    await ui.getByRole('status', { name: 'Config in memory only' }).waitFor({ state: 'detached' });
    assert.equal(onDisk().routes?.[0]?.target, `${backend.url}/api/v2`);
    assert.equal(await ui.getByTestId('config-path').innerText(), file());
  });

  it('"+ Add route" opens a draft that routes nothing until it is added', async () => {
    await ui.getByRole('button', { name: '+ Add route' }).click();
    const draft = ui.getByRole('form', { name: 'New route' });
    await draft.waitFor();
    assert.equal(await draft.getByRole('button', { name: 'Add route' }).isDisabled(), true);
    await draft.locator('input[name="new-route-match"]').fill('/api/');
    await draft.locator('input[name="new-route-target"]').fill('http://127.0.0.1:1');
    await shot('add-route-draft');
    // A draft is not live: the config and the answers are what they were.
    assert.deepEqual(matches(), ['/api', '/ws']);
    const res = await fetch(`${rt.siteUrl}/api/hello`);
    assert.equal(res.status, 200);
    await res.text();
    await draft.getByRole('button', { name: 'Cancel' }).click();
    await draft.waitFor({ state: 'detached' });
    assert.deepEqual(matches(), ['/api', '/ws']);

    await ui.getByRole('button', { name: '+ Add route' }).click();
    await draft.locator('input[name="new-route-match"]').fill('/app/');
    await draft.locator('input[name="new-route-target"]').fill(`${backend.url}/v2/`);
    await draft.getByRole('button', { name: 'Add route' }).click();
    await waitFor(() => matches().includes('/app/'), 'the added route running');
    assert.ok(onDisk().routes?.some((r) => r.match === '/app/'));
  });

  it('a deleted route can be undone, back in its place', async () => {
    await ui.getByRole('button', { name: 'Delete route /ws' }).click();
    await waitFor(() => !matches().includes('/ws'), 'the route deleted');
    const bar = ui.getByRole('status', { name: 'Route deleted' });
    await bar.waitFor();
    await shot('undo-delete');
    await bar.getByRole('button', { name: 'Undo' }).click();
    await waitFor(() => matches().join() === '/api,/ws,/app/', 'the route back at index 1');
    assert.deepEqual(
      onDisk().routes?.map((r) => r.match),
      ['/api', '/ws', '/app/'],
    );
  });

  it('a hand edit that fails validation is shown with its fields, and the file is left alone until the user chooses', async () => {
    const good = rt.store.input;
    const bad = `${JSON.stringify({ ...good, routes: [{ match: '/api', taget: backend.url }] }, null, 2)}\n`;
    editorSave(bad);
    const banner = ui.getByRole('alert', { name: 'Hand edit refused' });
    await banner.waitFor();
    const text = await banner.innerText();
    assert.match(text, /routes\.0\.taget/);
    assert.match(text, /did you mean "target"\?/);
    for (const name of ['Reload from disk', 'Keep the form', 'Save the form over it (keep a copy)'])
      assert.equal(await banner.getByRole('button', { name }).count(), 1, name);
    await shot('refused-hand-edit');

    // Keep the form: edits run, the file keeps the hand edit.
    await banner.getByRole('button', { name: 'Keep the form' }).click();
    await ui.getByRole('status', { name: 'Hand edit kept aside' }).waitFor();
    await ui.getByRole('switch', { name: 'Directory listing' }).click();
    await waitFor(() => rt.store.config.autoindex === true, 'the form edit running');
    await ui.locator('.save-state', { hasText: 'Live · not saved' }).waitFor();
    assert.equal(readFileSync(file(), 'utf8'), bad, 'not written over');

    // Save the form over it: the hand edit is kept as a copy.
    await ui
      .getByRole('status', { name: 'Hand edit kept aside' })
      .getByRole('button', { name: 'Save the form over it (keep a copy)' })
      .click();
    await ui.locator('.save-state', { hasText: 'Saved · live' }).waitFor();
    assert.equal(onDisk().autoindex, true);
    const copy = (await ui.getByRole('status', { name: 'Copy kept' }).locator('code').innerText()).trim();
    assert.equal(readFileSync(copy, 'utf8'), bad);
  });

  it('a save made from an older version is refused; the conflict is shown and the user can write over it with a copy', async () => {
    const charset = ui.locator('#site').getByLabel('Charset');
    // Another tab saves while this one has an edit waiting (the debounce): this one's save is then stale.
    await charset.fill('latin1');
    const other = await fetch(`${rt.controlUrl}/api/config`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${rt.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...rt.store.input, spa: false }),
    });
    assert.equal(other.status, 200);
    const banner = ui.getByRole('alert', { name: 'Config changed elsewhere' });
    await banner.waitFor();
    await ui.locator('.save-state', { hasText: 'Not saved: changed elsewhere' }).waitFor();
    assert.equal(onDisk().spa, false, 'the other tab’s save stands');
    assert.equal(onDisk().charset, undefined);
    await shot('conflict');

    await banner.getByRole('button', { name: 'Save mine over it (keep a copy)' }).click();
    await ui.locator('.save-state', { hasText: 'Saved · live' }).waitFor();
    assert.equal(onDisk().charset, 'latin1');
    const copy = (await ui.getByRole('status', { name: 'Copy kept' }).locator('code').innerText()).trim();
    assert.equal((JSON.parse(readFileSync(copy, 'utf8')) as ConfigInput).spa, false);
  });
});

describe('Configure in desktop mode (preload → IPC): refused hand edit and stale save', {
  skip,
  timeout: 120_000,
}, () => {
  let dir: string;
  let file: string;
  let shell: AppShell;
  let desktop: DesktopPage;
  let browser: Browser;
  let bundle: { dir: string; remove(): void };
  const onDisk = () => JSON.parse(readFileSync(file, 'utf8')) as ConfigInput;
  const editorSave = (content: string) => {
    writeFileSync(`${file}.swp`, content);
    renameSync(`${file}.swp`, file);
  };

  before(async () => {
    bundle = await buildRenderer();
    dir = mkdtempSync(join(tmpdir(), 'loopgate-configure-desktop-'));
    file = join(dir, 'loopgate.json');
    writeFileSync(file, `${JSON.stringify({ listen: { port: 0 }, routes: [] }, null, 2)}\n`);
    shell = (await startDesktopShell(file, join(dir, 'userData'))).shell;
    browser = await launchChromium();
    desktop = await openDesktopPage(browser, { source: shell, uiDir: bundle.dir });
    await desktop.page.goto(desktop.url('/index.html?tab=configure'));
    await desktop.page.locator('.save-state', { hasText: 'Saved · live' }).waitFor();
  });
  after(async () => {
    await desktop?.close();
    await browser?.close();
    await shell?.stop();
    bundle?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a refused hand edit: shown with its fields; "Reload from disk" after the fix runs the file', async () => {
    const ui = desktop.page;
    editorSave('{ "listen": { "prot": 0 } }\n');
    const banner = ui.getByRole('alert', { name: 'Hand edit refused' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /listen\.prot.*did you mean "port"\?/);
    await ui.getByRole('switch', { name: 'Directory listing' }).click();
    await waitFor(() => shell.runtime?.store.config.autoindex === true, 'the form edit running');
    assert.equal(readFileSync(file, 'utf8'), '{ "listen": { "prot": 0 } }\n', 'not written over');
    editorSave(`${JSON.stringify({ listen: { port: 0 }, charset: 'utf-8' }, null, 2)}\n`);
    await banner.getByRole('button', { name: 'Reload from disk' }).click();
    await banner.waitFor({ state: 'detached' });
    await ui.locator('.save-state', { hasText: 'Saved · live' }).waitFor();
    assert.equal(shell.runtime?.store.config.charset, 'utf-8');
  });

  it('a stale save is refused over IPC too; "Load the current config" takes the newer one', async () => {
    const ui = desktop.page;
    await ui.locator('#site').getByLabel('Charset').fill('latin1');
    const rt = shell.runtime!;
    const other = await rt.controller.putConfig({ ...rt.store.input, spa: false });
    assert.ok(other.ok);
    const banner = ui.getByRole('alert', { name: 'Config changed elsewhere' });
    await banner.waitFor();
    assert.equal(onDisk().charset, 'utf-8');
    await banner.getByRole('button', { name: 'Load the current config (drop my edits)' }).click();
    await banner.waitFor({ state: 'detached' });
    assert.equal(await ui.locator('#site').getByLabel('Charset').inputValue(), 'utf-8');
    assert.equal(onDisk().spa, false);
  });
});
