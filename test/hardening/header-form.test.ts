// Hardening: the Configure form refuses header values that cannot be sent, with the schema's reason beside the field, and saves nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { Runtime } from '../../main/runtime.ts';
import { buildRenderer, HAVE_CHROMIUM, launchChromium } from '../helpers/ui-harness.ts';

const skip = HAVE_CHROMIUM ? false : 'Chromium is not installed at /usr/bin/chromium';

describe('header values in the Configure form (#14)', { skip, timeout: 90_000 }, () => {
  let rt: Runtime;
  let browser: Browser;
  let ui: Page;
  let dir: string;
  let file: string;
  let bundle: { dir: string; remove(): void };

  before(async () => {
    bundle = await buildRenderer();
    dir = mkdtempSync(join(tmpdir(), 'loopgate-header-form-'));
    file = join(dir, 'loopgate.json');
    const config = {
      listen: { host: '127.0.0.1', port: 0 },
      routes: [{ match: '/api/', target: 'http://127.0.0.1:9' }],
    };
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
    rt = await Runtime.start({ configFile: file, watch: false, control: { port: 0, uiDir: bundle.dir } });
    browser = await launchChromium();
    ui = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await ui.goto(`${rt.controlUrl}/?tab=configure#token=${rt.token}`);
    await ui.locator('.save-state', { hasText: 'Saved' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await rt?.stop();
    bundle?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a non-ASCII response header and a bad header name are refused beside their fields; a UTF-8 request header is saved', async () => {
    await ui.getByRole('button', { name: 'Details' }).first().click();
    const add = 'Add response headers';
    await ui.locator('fieldset.kv', { hasText: add }).getByRole('button', { name: '+ Add' }).click();
    await ui.getByLabel(`${add}: name 1`).fill('X-Team');
    await ui.getByLabel(`${add}: value 1`).fill('Dév — café');
    const addError = ui.locator('fieldset.kv', { hasText: add }).locator('.field-error');
    await addError.waitFor();
    assert.match(await addError.innerText(), /response header values must be ASCII/);
    await ui.locator('.save-state', { hasText: 'Not saved' }).waitFor();
    if (process.env.HARDENING_SHOTS) await ui.screenshot({ path: '/tmp/lg/header-form.png', fullPage: true });
    assert.doesNotMatch(
      readFileSync(file, 'utf8'),
      /Dév/,
      'the refused value is not on disk (the form saves valid states only)',
    );
    await ui.getByLabel(`${add}: value 1`).fill('Dev team');
    await ui.getByLabel(`${add}: name 1`).fill('X Team');
    await addError.filter({ hasText: 'not a valid HTTP header name' }).waitFor();
    await ui.getByRole('button', { name: 'Remove X Team' }).click();
    const set = 'Set request headers';
    await ui.locator('fieldset.kv', { hasText: set }).getByRole('button', { name: '+ Add' }).click();
    await ui.getByLabel(`${set}: name 1`).fill('X-Team');
    await ui.getByLabel(`${set}: value 1`).fill('Dév — café');
    await ui.locator('.save-state', { hasText: 'Saved' }).waitFor();
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(saved.routes[0].setHeaders, { 'X-Team': 'Dév — café' });
  });
});
