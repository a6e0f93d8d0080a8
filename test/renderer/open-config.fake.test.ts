// "Open project…" in Chromium over a fake bridge: shown only when the app can open configs; a switch shows the new file and its config; a refusal shows inline.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { buildRenderer, HAVE_CHROMIUM, launchChromium, serveFolder } from '../helpers/ui-harness.ts';

const skip = HAVE_CHROMIUM ? false : 'Chromium is not installed at /usr/bin/chromium';
const ONE = '/home/dev/projects/one/loopgate.json';
const TWO = '/home/dev/projects/two/loopgate.json';

/** What the page's openConfig answers next: the dialog cancelled, a file opened, or a refusal ("CODE: message", as the IPC bridge rejects). */
type NextOpen = { cancel: true } | { file: string } | { error: string };

/**
 * Runs in the page before the app: a bridge whose config follows the open file, and whose openConfig
 * answers `window.nextOpen` (set by the test), counting calls in `window.openCalls`. A switch sends
 * "cleared", as the IPC event forwarder does when the controller changes.
 */
function installFake(opts: { canOpenConfig: boolean; one: string; two: string }): void {
  const w = window as unknown as {
    nextOpen: NextOpen | null;
    openCalls: unknown[];
    puts: Array<[string, unknown, unknown]>;
    trayOpen(f: string, announce: boolean): void;
    configs: unknown;
  };
  const configs: Record<string, { root: string; routes: unknown[] }> = {
    [opts.one]: { root: '/srv/one', routes: [] },
    [opts.two]: { root: '/srv/two', routes: [] },
  };
  let file = opts.one;
  let emit: ((batch: unknown[]) => void) | null = null;
  w.configs = configs;
  // The tray opening another project: main switches at once, the page hears of it only when announced.
  w.trayOpen = (f, announce) => {
    file = f;
    if (announce) emit?.([{ type: 'cleared' }]);
  };
  w.nextOpen = null;
  w.openCalls = [];
  w.puts = [];
  const empty = async () => ({ items: [], total: 0, more: false });
  (window as unknown as { loopgate: unknown }).loopgate = {
    status: async () => ({
      running: true,
      siteUrl: 'http://127.0.0.1:8080',
      controlUrl: null,
      configFile: file,
      version: 1,
      activeProfile: null,
      profiles: [],
      lastError: null,
      ...(opts.canOpenConfig ? { canOpenConfig: true } : {}),
    }),
    getConfig: async () => ({
      config: structuredClone(configs[file]),
      version: 1,
      source: { origin: { kind: 'file', file }, file, commandLine: [] },
      refusedEdit: null,
    }),
    putConfig: async (config: { root: string; routes: unknown[] }, expect?: { configFile?: string | null }) => {
      w.puts.push([file, config, expect]);
      // As the IPC handler does: an edit made for another file is refused, not written here.
      if (expect?.configFile !== undefined && expect.configFile !== file) {
        throw new Error(
          `CONFIG_SWITCHED: this edit was made for ${expect.configFile}, but ${file} is open now; it was not saved`,
        );
      }
      configs[file] = config;
      return { ok: true, config };
    },
    setProfile: async () => ({ ok: false, errors: [] }),
    listRequests: empty,
    listSessions: empty,
    getSession: async () => null,
    frames: async () => null,
    send: async () => ({ ok: true }),
    close: async () => ({ ok: true }),
    exportHar: async () => ({
      log: { version: '1.2', creator: { name: 'fake', version: '0' }, pages: [], entries: [] },
    }),
    importHar: async () => ({ ok: false, code: 'NO', message: 'fake' }),
    importNginx: async () => ({ ok: false, code: 'NO', message: 'fake' }),
    exportNginx: async () => ({ text: '', warnings: [] }),
    clear: async () => {},
    openConfig: async (request?: unknown) => {
      w.openCalls.push(request ?? null);
      const next = w.nextOpen;
      if (!next || 'cancel' in next) return { opened: false, configFile: file };
      if ('error' in next) throw new Error(next.error);
      file = next.file;
      setTimeout(() => emit?.([{ type: 'cleared' }]), 0);
      return { opened: true, configFile: file };
    },
    subscribe: (fn: (batch: unknown[]) => void) => {
      emit = fn;
      return () => {};
    },
  };
}

describe('Open project… (fake bridge)', { skip, timeout: 60_000 }, () => {
  let browser: Browser;
  let bundle: { dir: string; remove(): void };
  let server: { url: string; close(): Promise<void> };

  before(async () => {
    bundle = await buildRenderer();
    server = await serveFolder(bundle.dir);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    bundle?.remove();
  });

  async function open(canOpenConfig: boolean): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // tsx keeps function names with a __name() helper; functions sent to the page need it there too.
    await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    await page.addInitScript(installFake, { canOpenConfig, one: ONE, two: TWO });
    await page.goto(`${server.url}/?tab=configure`);
    await page.getByTestId('config-path').filter({ hasText: ONE }).waitFor();
    return page;
  }

  /** Playwright-core has no expect(): poll the input's value (bounded by the locator's timeout). */
  const waitValue = async (input: Locator, value: string) => {
    await input.waitFor();
    for (let i = 0; i < 100 && (await input.inputValue()) !== value; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await input.inputValue(), value);
  };
  const openCalls = (page: Page) =>
    page.evaluate(() => (window as unknown as { openCalls: unknown[] }).openCalls.length);
  const setNext = (page: Page, next: NextOpen) =>
    page.evaluate((n) => ((window as unknown as { nextOpen: NextOpen }).nextOpen = n), next);

  it('without canOpenConfig (browser mode): the full path is shown, no button', async () => {
    const page = await open(false);
    try {
      assert.equal(await page.getByTestId('config-path').getAttribute('title'), ONE);
      assert.equal(await page.getByTestId('config-path').textContent(), ONE, 'the whole path is readable');
      assert.equal(await page.getByRole('button', { name: 'Open project…' }).count(), 0);
      assert.equal(await page.locator('.side-foot [title]').getAttribute('title'), ONE);
    } finally {
      await page.close();
    }
  });

  it('with canOpenConfig: cancel shows nothing; a switch shows the new file and its config; a refusal shows inline', async () => {
    const page = await open(true);
    try {
      const root = page.getByLabel('Root folder');
      await waitValue(root, '/srv/one');
      const button = page.getByRole('button', { name: 'Open project…' });

      // Cancel: one call, nothing visible changes.
      await setNext(page, { cancel: true });
      await button.click();
      await page.waitForFunction(() => (window as unknown as { openCalls: unknown[] }).openCalls.length === 1);
      await button.waitFor();
      assert.equal(await page.getByRole('alert').count(), 0);
      assert.equal(await page.getByTestId('config-path').textContent(), ONE);
      assert.deepEqual(
        await page.evaluate(() => (window as unknown as { openCalls: unknown[] }).openCalls),
        [null],
        'the dialog: no path from the UI',
      );

      // An unsaved edit goes to the config it was made for, before the switch.
      await root.fill('/srv/one-edited');
      await setNext(page, { file: TWO });
      await button.click();
      await page.getByTestId('config-path').filter({ hasText: TWO }).waitFor();
      assert.equal(await page.locator('.side-foot [title]').getAttribute('title'), TWO);
      await waitValue(root, '/srv/two'); // the form shows the new project's config
      const puts = await page.evaluate(() =>
        (window as unknown as { puts: Array<[string, { root: string }, unknown]> }).puts.map(([f, c, e]) => [
          f,
          c.root,
          e,
        ]),
      );
      assert.deepEqual(
        puts,
        [[ONE, '/srv/one-edited', { configFile: ONE, version: 1 }]],
        'the put names the file it was made for',
      );

      // A refusal: shown inline with its message (without the code), the file shown stays.
      await setNext(page, {
        error: 'NOT_JSON: /home/dev/broken.json is not valid JSON: line 2, column 3: unexpected "}"',
      });
      await button.click();
      const alert = page.getByRole('alert', { name: 'Project not opened' });
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', /\/home\/dev\/broken\.json is not valid JSON: line 2, column 3/);
      assert.doesNotMatch((await alert.textContent()) ?? '', /NOT_JSON/);
      assert.equal(await page.getByTestId('config-path').textContent(), TWO);
      await alert.getByRole('button', { name: 'Dismiss' }).click();
      await alert.waitFor({ state: 'detached' });
      assert.equal(await openCalls(page), 3);
    } finally {
      await page.close();
    }
  });

  it('an edit waiting while the tray opens another project is refused, not written into the new one', async () => {
    const page = await open(true);
    try {
      const root = page.getByLabel('Root folder');
      await waitValue(root, '/srv/one');
      await root.fill('/srv/one-late');
      // The switch lands in main before the edit's pause is over; the page has not heard of it yet.
      await page.evaluate(
        (two) => (window as unknown as { trayOpen(f: string, a: boolean): void }).trayOpen(two, false),
        TWO,
      );
      await page.waitForFunction(() => (window as unknown as { puts: unknown[] }).puts.length === 1);
      const configs = await page.evaluate(
        () => (window as unknown as { configs: Record<string, { root: string }> }).configs,
      );
      assert.equal(configs[TWO]!.root, '/srv/two', 'the new project is untouched');
      assert.equal(configs[ONE]!.root, '/srv/one');
      await page
        .locator('.save-state', { hasText: 'Not saved' })
        .or(page.getByText(/it was not saved/))
        .first()
        .waitFor();
      // Once the switch is announced, the form shows the project now open.
      await page.evaluate(
        (two) => (window as unknown as { trayOpen(f: string, a: boolean): void }).trayOpen(two, true),
        TWO,
      );
      await page.getByTestId('config-path').filter({ hasText: TWO }).waitFor();
      await waitValue(root, '/srv/two');
    } finally {
      await page.close();
    }
  });
});
