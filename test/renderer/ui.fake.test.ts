// The Watch tab in Chromium over a fake bridge: virtualization at 100,000 frames, filters, keyboard, pause, follow.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  buildRenderer,
  HAVE_CHROMIUM,
  launchChromium,
  openWithFakeBridge,
  serveFolder,
} from '../helpers/ui-harness.ts';

const skip = HAVE_CHROMIUM ? false : 'Chromium is not installed at /usr/bin/chromium';
const N = 100_000;

describe('Watch tab with 100,000 frames (fake bridge)', { skip, timeout: 90_000 }, () => {
  let browser: Browser;
  let page: Page;
  let bundle: { dir: string; remove(): void };
  let server: { url: string; close(): Promise<void> };
  const count = () => page.locator('[data-testid="frame-count"]');

  before(async () => {
    bundle = await buildRenderer();
    server = await serveFolder(bundle.dir);
    browser = await launchChromium();
    page = await openWithFakeBridge(browser, `${server.url}/?tab=watch`, N);
    await page.locator('.log-body .vrow', { hasText: '/ws/ticker' }).click();
    await count().filter({ hasText: '100,000 / 100,000' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    bundle?.remove();
  });

  it('renders only the visible rows, following the newest', async () => {
    const rows = await page.locator('.frames .vrow').count();
    assert.ok(rows > 5 && rows < 80, `${rows} rows in the DOM`);
    await page.locator('#frame-row-99999').waitFor();
    assert.equal(await page.locator('.frames').getAttribute('role'), 'listbox');
    assert.equal(await page.locator('#frame-row-99999').getAttribute('aria-setsize'), String(N));
  });

  it('filters by regex, opcode and direction; a bad regex is reported', async () => {
    const search = page.getByLabel('Search frames (regular expression)');
    await search.fill('"id":4242,');
    await count()
      .filter({ hasText: /^1 \/ 100,000/ })
      .waitFor();
    await page.locator('.frames .vrow', { hasText: '"id":4242,' }).waitFor();
    await search.fill('(');
    await page.locator('.inspector .error-text[role="alert"]').waitFor();
    await search.fill('');
    await page.getByRole('button', { name: 'binary', exact: true }).click();
    await count()
      .filter({ hasText: /^100 \/ 100,000/ })
      .waitFor();
    await page.getByRole('button', { name: 'binary', exact: true }).click();
    await page.getByRole('radio', { name: '↑ Sent' }).click();
    await count()
      .filter({ hasText: /^50,000 \/ 100,000/ })
      .waitFor();
    await page.getByRole('radio', { name: 'All' }).click();
    await count()
      .filter({ hasText: /^100,000 \/ 100,000/ })
      .waitFor();
  });

  it('shows a binary frame as hex and base64', async () => {
    await page.getByRole('button', { name: 'binary', exact: true }).click();
    await page.locator('.frames .vrow').last().click();
    await page.getByRole('tab', { name: 'Hex' }).click();
    assert.match((await page.locator('.frame-body pre').textContent()) ?? '', /^00000000 {2}00 01 02 ff/);
    await page.getByRole('tab', { name: 'Base64' }).click();
    assert.equal(await page.locator('.frame-body pre').textContent(), 'AAEC/w==');
    await page.getByRole('button', { name: 'binary', exact: true }).click();
  });

  it('keyboard: arrows move the selection, / focuses the search, Esc closes the details', async () => {
    await page.locator('#frame-row-99999').click();
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.locator('#frame-row-99998').getAttribute('aria-selected'), 'true');
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'frame-search');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.locator('.split-side').waitFor({ state: 'detached' });
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'log-search');
    await page.keyboard.press('Escape');
  });

  it('pause holds new rows until resumed', async () => {
    const emit = (id: number) =>
      page.evaluate((id) => {
        const rec = {
          kind: 'http',
          id,
          startedAt: Date.now(),
          method: 'GET',
          url: `/pushed/${id}`,
          host: 'h',
          clientAddress: '127.0.0.1',
          handler: 'proxy',
          status: 200,
          timings: { end: 3 },
          bytesIn: 0,
          bytesOut: 10,
          requestHeaders: {},
          done: true,
        };
        (window as unknown as { emit: (b: unknown[]) => void }).emit([{ type: 'http', record: rec }]);
      }, id);
    await page.getByRole('button', { name: /Pause/ }).click();
    await emit(10);
    await page.getByRole('button', { name: 'Resume (1)' }).waitFor();
    assert.equal(await page.locator('.log-body .vrow', { hasText: '/pushed/10' }).count(), 0);
    await page.getByRole('button', { name: /Resume/ }).click();
    await page.locator('.log-body .vrow', { hasText: '/pushed/10' }).waitFor();
  });

  it('follows new rows until the user scrolls up', async () => {
    await page.evaluate(() => {
      const batch = [];
      for (let id = 100; id < 400; id++) {
        batch.push({
          type: 'http',
          record: {
            kind: 'http',
            id,
            startedAt: Date.now(),
            method: 'GET',
            url: `/many/${id}`,
            host: 'h',
            clientAddress: '127.0.0.1',
            handler: 'proxy',
            status: 200,
            timings: { end: 1 },
            bytesIn: 0,
            bytesOut: 1,
            requestHeaders: {},
            done: true,
          },
        });
      }
      (window as unknown as { emit: (b: unknown[]) => void }).emit(batch);
    });
    await page.locator('.log-body .vrow', { hasText: '/many/399' }).waitFor();
    const list = page.locator('.log-body');
    await list.evaluate((el) => el.scrollTo({ top: 0 }));
    await page.getByRole('button', { name: '↓ Follow new requests' }).waitFor();
    const heightBefore = await list.evaluate((el) => el.scrollHeight);
    await page.evaluate(() => {
      const rec = {
        kind: 'http',
        id: 500,
        startedAt: Date.now(),
        method: 'GET',
        url: '/late/500',
        host: 'h',
        clientAddress: '127.0.0.1',
        handler: 'proxy',
        status: 200,
        timings: { end: 1 },
        bytesIn: 0,
        bytesOut: 1,
        requestHeaders: {},
        done: true,
      };
      (window as unknown as { emit: (b: unknown[]) => void }).emit([{ type: 'http', record: rec }]);
    });
    // The new row is in the list (it grew), instead of waiting 100 ms for it.
    await page.waitForFunction((h) => document.querySelector('.log-body')!.scrollHeight > h, heightBefore);
    assert.equal(await list.evaluate((el) => el.scrollTop), 0, 'stays where the user scrolled');
    await page.getByRole('button', { name: '↓ Follow new requests' }).click();
    await page.locator('.log-body .vrow', { hasText: '/late/500' }).waitFor();
    assert.ok(await list.evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 2), 'back at the end');
  });

  it('a request sent twice (a lost keep-alive connection) says so in its details', async () => {
    await page.evaluate(() => {
      const rec = (id: number, retried: boolean) => ({
        kind: 'http',
        id,
        startedAt: Date.now(),
        method: 'GET',
        url: `/twice/${id}`,
        host: 'h',
        clientAddress: '127.0.0.1',
        handler: 'proxy',
        route: '/',
        target: `http://127.0.0.1:9/twice/${id}`,
        status: 200,
        timings: { end: 1 },
        bytesIn: 0,
        bytesOut: 1,
        requestHeaders: {},
        done: true,
        ...(retried ? { retried: true } : {}),
      });
      (window as unknown as { emit: (b: unknown[]) => void }).emit([
        { type: 'http', record: rec(600, true) },
        { type: 'http', record: rec(601, false) },
      ]);
    });
    await page.locator('.log-body .vrow', { hasText: '/twice/600' }).click();
    assert.match((await page.getByTestId('retried').textContent()) ?? '', /^once, on a fresh connection/);
    await page.locator('.log-body .vrow', { hasText: '/twice/601' }).click();
    await page.locator('dd', { hasText: 'http://127.0.0.1:9/twice/601' }).waitFor();
    assert.equal(await page.getByTestId('retried').count(), 0);
  });
});
