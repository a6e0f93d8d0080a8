// Resend in Chromium (issue #17): from a request's detail, "Resend" and "Edit and resend" reach the real backend
// through Loopgate; the new entry says "resent from #id" and its link opens the original.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Runtime } from '../../../main/runtime.ts';
import type { Backend } from '../../helpers/backend.ts';
import { HAVE_CHROMIUM } from '../../helpers/ui-harness.ts';
import { startUiStack, type UiStack } from '../../helpers/ui-stack.ts';

describe('Resend (Chromium)', { skip: HAVE_CHROMIUM ? false : 'no Chromium', timeout: 90_000 }, () => {
  let stack: UiStack;
  let backend: Backend;
  let rt: Runtime;
  let browser: Browser;

  before(async () => {
    stack = await startUiStack('resend');
    ({ backend, rt, browser } = stack);
  });
  after(() => stack?.stop());

  it('resends as is and edited; the new entry links back to the original', async () => {
    const res = await fetch(`${rt.siteUrl}/orders/7`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-note': 'first' },
      body: 'hello',
    });
    await res.arrayBuffer();
    const original = backend.seen.length;

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const ui = await context.newPage();
    await ui.goto(`${rt.controlUrl}/?token=${rt.token}&tab=watch`);
    await ui.locator('.log-body .vrow', { hasText: '/orders/7' }).first().click();
    const panel = ui.getByTestId('resend');
    await panel.getByRole('button', { name: 'Resend', exact: true }).click();
    await panel.getByRole('status').filter({ hasText: '→ 200' }).waitFor();
    assert.equal(backend.seen.length, original + 1);
    assert.equal(backend.seen.at(-1)!.body, 'hello');
    assert.equal(backend.seen.at(-1)!.headers['x-note'], 'first');

    await panel.getByRole('button', { name: 'Edit and resend' }).click();
    await panel.getByLabel('Method').fill('PUT');
    await panel.getByLabel('URL (path and query)').fill('/orders/8?edited=1');
    const headers = panel.getByLabel(/^Headers/);
    await headers.fill((await headers.inputValue()).replace('x-note: first', 'x-note: second'));
    await panel.getByLabel(/^Body/).fill('changed body');
    await ui.screenshot({ path: join(stack.dir, 'resend-form.png') });
    if (process.env.LOOPGATE_KEEP_SHOT)
      writeFileSync(`${process.env.LOOPGATE_KEEP_SHOT}-form.png`, await ui.screenshot());
    await panel.getByRole('button', { name: 'Send', exact: true }).click();
    const sent = panel.getByRole('status').filter({ hasText: '→ 200' });
    await sent.waitFor();
    const got = backend.seen.at(-1)!;
    assert.equal(backend.seen.length, original + 2);
    assert.equal(got.method, 'PUT');
    assert.equal(got.url, '/orders/8?edited=1');
    assert.equal(got.headers['x-note'], 'second');
    assert.equal(got.body, 'changed body');

    // open the new entry: it says where it came from, and the link goes back
    const newId = Number((await sent.getByRole('button').textContent())!.replace('#', ''));
    await sent.getByRole('button').click();
    await ui.locator('.url-title', { hasText: '/orders/8?edited=1' }).waitFor();
    const from = ui.getByTestId('resent-from');
    const firstId = Number((await from.textContent())!.replace('#', ''));
    assert.ok(firstId < newId);
    await ui.screenshot({ path: join(stack.dir, 'resent-from.png') });
    if (process.env.LOOPGATE_KEEP_SHOT)
      writeFileSync(`${process.env.LOOPGATE_KEEP_SHOT}-from.png`, await ui.screenshot());
    await from.getByRole('button').click();
    await ui.locator('.url-title', { hasText: '/orders/7' }).waitFor();
    assert.equal(await ui.getByTestId('resent-from').count(), 0);
    await context.close();
  });
});
