// "Timeouts & limits" in Chromium over a fake bridge: the client-side timeouts (client_body_timeout, send_timeout) at server and route level, saved and refused by field.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { buildRenderer, HAVE_CHROMIUM, launchChromium, serveFolder } from '../helpers/ui-harness.ts';

const skip = HAVE_CHROMIUM ? false : 'Chromium is not installed at /usr/bin/chromium';

/**
 * Runs in the page before the app: a bridge holding one config; putConfig keeps every call in
 * `window.puts` and refuses a time it cannot read with the field named, as validateConfig does.
 */
function installFake(): void {
  const w = window as unknown as { puts: unknown[] };
  w.puts = [];
  let config: Record<string, unknown> = {
    root: '/srv/app',
    timeouts: { clientBody: '30s' },
    routes: [{ match: '/api', target: 'http://127.0.0.1:9000/api' }],
  };
  const isTime = (v: unknown) =>
    typeof v === 'number' || (typeof v === 'string' && /^\s*(\d+\s*(ms|s|m|h|d|w)?\s*)+$/.test(v));
  const empty = async () => ({ items: [], total: 0, more: false });
  (window as unknown as { loopgate: unknown }).loopgate = {
    status: async () => ({
      running: true,
      siteUrl: 'http://127.0.0.1:8080',
      controlUrl: null,
      configFile: '/p/loopgate.json',
      version: 1,
      activeProfile: null,
      profiles: [],
      lastError: null,
    }),
    getConfig: async () => ({
      config: structuredClone(config),
      version: 1,
      source: { origin: { kind: 'file', file: '/p/loopgate.json' }, file: '/p/loopgate.json', commandLine: [] },
      refusedEdit: null,
    }),
    putConfig: async (next: {
      timeouts?: Record<string, unknown>;
      routes?: Array<{ timeouts?: Record<string, unknown> }>;
    }) => {
      w.puts.push(next);
      const errors: Array<{ path: string; message: string }> = [];
      const check = (t: Record<string, unknown> | undefined, base: string) => {
        for (const [k, v] of Object.entries(t ?? {}))
          if (!isTime(v))
            errors.push({
              path: `${base}timeouts.${k}`,
              message: `"${String(v)}" is not a time: use seconds (90) or nginx units like "90s", "500ms", "2m"`,
            });
      };
      check(next.timeouts, '');
      next.routes?.forEach((r, i) => check(r.timeouts, `routes.${i}.`));
      if (errors.length) return { ok: false, errors };
      config = next as Record<string, unknown>;
      return { ok: true, config: next };
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
    subscribe: () => () => {},
  };
}

describe('Timeouts & limits: client-side timeouts (fake bridge)', { skip, timeout: 60_000 }, () => {
  let browser: Browser;
  let page: Page;
  let bundle: { dir: string; remove(): void };
  let server: { url: string; close(): Promise<void> };

  before(async () => {
    bundle = await buildRenderer();
    server = await serveFolder(bundle.dir);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // tsx keeps function names with a __name() helper; functions sent to the page need it there too.
    await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    await page.addInitScript(installFake);
    await page.goto(`${server.url}/?tab=configure`);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    bundle?.remove();
  });

  /** Playwright-core has no expect(): poll until `fn` holds (bounded). */
  const until = async (fn: () => Promise<boolean>, label: string) => {
    for (let i = 0; i < 100; i++) {
      if (await fn()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`timed out waiting for ${label}`);
  };
  const lastPut = () =>
    page.evaluate(
      () =>
        (window as unknown as { puts: unknown[] }).puts.at(-1) as
          | { timeouts?: unknown; routes?: Array<{ timeouts?: unknown }> }
          | undefined,
    );
  const field = (scope: Locator, label: string) =>
    scope.locator('.field', { has: page.getByLabel(label, { exact: false }) });

  it('shows both fields with their nginx directive, the value set, and the default of the other', async () => {
    const limits = page.locator('#limits');
    const body = limits.getByLabel('Client body timeout');
    await until(async () => (await body.inputValue()) === '30s', 'the saved clientBody shown');
    assert.match(
      await field(limits, 'Client body timeout').innerText(),
      /client_body_timeout[\s\S]*stalled upload[\s\S]*= 30s/,
    );
    const send = field(limits, 'Client send timeout');
    assert.match(await send.innerText(), /send_timeout[\s\S]*stops reading[\s\S]*default 60s/);
    assert.equal(await limits.getByLabel('Client send timeout').getAttribute('placeholder'), '60s');
  });

  it('an edit is saved in timeouts.clientSend; a value that is not a time is refused with the field named', async () => {
    const input = page.locator('#limits').getByLabel('Client send timeout');
    await input.fill('2m');
    await until(
      async () =>
        JSON.stringify((await lastPut())?.timeouts) === JSON.stringify({ clientBody: '30s', clientSend: '2m' }),
      'the put with clientSend',
    );
    await input.fill('soon');
    await page.locator('#limits .field-error', { hasText: '"soon" is not a time' }).waitFor();
    await page
      .getByRole('alert', { name: 'Config not saved' })
      .getByRole('button', { name: 'timeouts.clientSend' })
      .waitFor();
    await input.fill('90s');
    await page.getByRole('alert', { name: 'Config not saved' }).waitFor({ state: 'detached' });
  });

  it('a route shows what it inherits, and its own value goes in the route', async () => {
    await page.getByRole('button', { name: 'Details' }).first().click();
    const details = page.getByRole('region', { name: 'Route 1 details' });
    const body = details.getByLabel('Client body timeout');
    assert.equal(await body.getAttribute('placeholder'), '30s');
    assert.match(await field(details, 'Client body timeout').innerText(), /inherits 30s/);
    assert.equal(await details.getByLabel('Client send timeout').getAttribute('placeholder'), '90s');
    await body.fill('5m');
    await until(
      async () => JSON.stringify((await lastPut())?.routes?.[0]?.timeouts) === JSON.stringify({ clientBody: '5m' }),
      'the put with the route clientBody',
    );
  });
});
