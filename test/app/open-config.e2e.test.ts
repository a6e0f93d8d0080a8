// "Open project…" end to end: the real renderer in Chromium over the real preload and IPC handlers of an AppShell running real Runtimes.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { parseLaunchArgs } from '../../main/app/launch-args.ts';
import { SettingsFile } from '../../main/app/settings.ts';
import { AppShell } from '../../main/app/shell.ts';
import { Runtime } from '../../main/runtime.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { openDesktopPage, type DesktopPage } from '../helpers/desktop-page.ts';
import { buildRenderer, HAVE_CHROMIUM, launchChromium } from '../helpers/ui-harness.ts';

const skip = HAVE_CHROMIUM ? false : 'Chromium is not installed at /usr/bin/chromium';

describe('Open project… in the desktop window (real IPC, real runtimes)', { skip, timeout: 90_000 }, () => {
  let backend: Backend;
  let bundle: { dir: string; remove(): void };
  let browser: Browser;
  let desktop: DesktopPage;
  let ui: Page;
  let shell: AppShell;
  let dir: string;
  let pick: string | null = null;
  let one: string;
  let twoFolder: string;
  let broken: string;

  const project = (name: string, prefix: string): string => {
    const folder = join(dir, name);
    mkdirSync(join(folder, 'dist'), { recursive: true });
    const config = {
      listen: { host: '127.0.0.1', port: 0 },
      root: join(folder, 'dist'),
      routes: [{ match: '/api', target: `${backend.url}/${prefix}` }],
    };
    writeFileSync(join(folder, 'loopgate.json'), `${JSON.stringify(config, null, 2)}\n`);
    return folder;
  };
  const served = async () => ((await (await fetch(`${shell.runtime!.siteUrl}/api/x`)).json()) as { url: string }).url;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loopgate-open-e2e-'));
    backend = await startBackend();
    one = join(project('one', 'one'), 'loopgate.json');
    twoFolder = project('two', 'two');
    broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "routes": [ { "match": "api", "target": "http://127.0.0.1:1" } ] }\n');
    bundle = await buildRenderer();
    browser = await launchChromium();
    shell = new AppShell({
      startRuntime: (o) => Runtime.start(o),
      settings: new SettingsFile(join(dir, 'userData')),
      launchAtLogin: { get: async () => false, set: async () => {} },
      platform: process.platform,
      renderTray: () => {},
      openWindow: () => {},
      openExternal: () => {},
      copyText: () => {},
      chooseConfig: async () => pick,
      quit: () => {},
      log: () => {},
    });
    await shell.start(parseLaunchArgs(['--config', one], dir));
    desktop = await openDesktopPage(browser, { source: shell, uiDir: bundle.dir });
    ui = desktop.page;
    await ui.goto(desktop.url('/index.html?tab=configure'));
    await ui.locator('.save-state', { hasText: 'Saved' }).waitFor();
  });

  after(async () => {
    await desktop?.close();
    await browser?.close();
    await shell?.stop();
    await backend?.close();
    bundle?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const path = () => ui.getByTestId('config-path');
  const rootValue = () => ui.getByLabel('Root folder').inputValue();

  it('shows the running config, and the button (the app can open configs)', async () => {
    await path().filter({ hasText: one }).waitFor();
    assert.equal(await path().getAttribute('title'), one);
    assert.equal(await rootValue(), join(dir, 'one', 'dist'));
    assert.equal(await served(), '/one/x');
  });

  it('cancel: nothing changes', async () => {
    pick = null;
    const before = shell.controller();
    await ui.getByRole('button', { name: 'Open project…' }).click();
    await ui.getByRole('button', { name: 'Open project…' }).waitFor();
    assert.equal(shell.controller(), before);
    assert.equal(await ui.getByRole('alert').count(), 0);
    assert.equal(await path().textContent(), one);
  });

  it('a project folder: the app runs its loopgate.json, the window shows the file and its config', async () => {
    pick = twoFolder;
    await ui.getByRole('button', { name: 'Open project…' }).click();
    const two = join(twoFolder, 'loopgate.json');
    await path().filter({ hasText: two }).waitFor();
    for (let i = 0; i < 100 && (await rootValue()) !== join(twoFolder, 'dist'); i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(await rootValue(), join(twoFolder, 'dist'));
    await ui.locator('.status a', { hasText: shell.runtime!.siteUrl! }).waitFor();
    assert.equal(await served(), '/two/x');
  });

  it('a broken file: refused inline with the problem named, the previous project keeps serving', async () => {
    pick = broken;
    const before = shell.controller();
    await ui.getByRole('button', { name: 'Open project…' }).click();
    const alert = ui.getByRole('alert', { name: 'Project not opened' });
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    assert.match(text, /broken\.json is not a valid Loopgate config/);
    assert.match(text, /routes\.0\.match/);
    assert.equal(shell.controller(), before);
    assert.equal(await path().textContent(), join(twoFolder, 'loopgate.json'));
    assert.equal(await served(), '/two/x');
    assert.deepEqual(desktop.errors, []);
    assert.deepEqual(desktop.cspViolations, []);
  });
});
