// "Copy as" in Chromium (issue #17): a request proxied by a real Loopgate, its curl line copied from the
// request detail and run in bash, must reach the backend with the same method, path, headers and body.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { WebSocket } from 'ws';
import type { Runtime } from '../../../main/runtime.ts';
import type { Backend } from '../../helpers/backend.ts';
import { HAVE_CHROMIUM } from '../../helpers/ui-harness.ts';
import { startUiStack, type UiStack } from '../../helpers/ui-stack.ts';

describe('Copy as (Chromium)', { skip: HAVE_CHROMIUM ? false : 'no Chromium', timeout: 90_000 }, () => {
  let stack: UiStack;
  let backend: Backend;
  let rt: Runtime;
  let browser: Browser;

  before(async () => {
    stack = await startUiStack('copyas');
    ({ backend, rt, browser } = stack);
  });
  after(() => stack?.stop());

  it('copies a curl line that replays the request to the backend', async () => {
    const body = `{"q": "it's $HOME \`x\`"}\nü`;
    const res = await fetch(`${rt.siteUrl}/orders/7?x=1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-note': `a 'b' "c"` },
      body,
    });
    await res.arrayBuffer();
    const first = backend.seen.at(-1)!;

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: rt.controlUrl! });
    const ui = await context.newPage();
    await ui.goto(`${rt.controlUrl}/?token=${rt.token}&tab=watch`);
    await ui.locator('.log-body .vrow', { hasText: '/orders/7' }).click();
    const group = ui.getByRole('group', { name: 'Copy as' });
    await group.getByRole('button', { name: 'curl' }).click();
    await group.getByRole('status').filter({ hasText: 'curl copied' }).waitFor();
    await ui.screenshot({ path: join(stack.dir, 'copy-as.png') });
    if (process.env.LOOPGATE_KEEP_SHOT) writeFileSync(process.env.LOOPGATE_KEEP_SHOT, await ui.screenshot());
    const line = await ui.evaluate(() => navigator.clipboard.readText());
    await context.close();
    assert.match(line, /^curl -X PUT /);

    const count = backend.seen.length;
    await new Promise<void>((resolve, reject) =>
      execFile('bash', ['-c', `${line} --silent --show-error`], (err, _out, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(),
      ),
    );
    assert.equal(backend.seen.length, count + 1);
    const again = backend.seen.at(-1)!;
    assert.equal(again.method, 'PUT');
    assert.equal(again.url, first.url);
    assert.equal(again.body, body);
    const pairs = (raw: string[]) => {
      const out: string[] = [];
      for (let i = 0; i < raw.length; i += 2) {
        if (!['connection', 'content-length'].includes(raw[i].toLowerCase()))
          // curl writes Host itself (as "Host"); every other name as logged.
          out.push(`${raw[i].toLowerCase() === 'host' ? 'host' : raw[i]}: ${raw[i + 1]}`);
      }
      return out;
    };
    assert.deepEqual(pairs(again.rawHeaders), pairs(first.rawHeaders));
  });

  it('copies a websocat line for a WebSocket session, aimed at the backend', async () => {
    const ws = new WebSocket(`${rt.siteUrl!.replace('http', 'ws')}/live/feed?t=1`, ['chat.v1'], {
      headers: { 'X-Token': "it's" },
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: rt.controlUrl! });
    const ui = await context.newPage();
    await ui.goto(`${rt.controlUrl}/?token=${rt.token}&tab=watch`);
    await ui.locator('.log-body .vrow', { hasText: '/live/feed' }).click();
    const group = ui.getByRole('group', { name: 'Copy as' });
    await group.getByRole('button', { name: 'websocat' }).click();
    await group.getByRole('status').filter({ hasText: 'websocat copied' }).waitFor();
    if (process.env.LOOPGATE_KEEP_SHOT)
      writeFileSync(`${process.env.LOOPGATE_KEEP_SHOT}.ws.png`, await ui.screenshot());
    const line = await ui.evaluate(() => navigator.clipboard.readText());
    await context.close();
    ws.close();
    assert.match(line, /^websocat --protocol chat\.v1 /);
    assert.match(line, / -H 'X-Token: it'\\''s' /i);
    assert.ok(line.endsWith(` 'ws://127.0.0.1:${backend.port}/live/feed?t=1'`), line);
    assert.doesNotMatch(line, /sec-websocket-key|upgrade/i);
  });
});
