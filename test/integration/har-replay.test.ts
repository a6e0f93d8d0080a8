// HAR of real traffic: passes the HAR 1.2 schema, records Loopgate's own answers and the headers sent upstream, and Playwright's routeFromHAR replays the page in Chromium with everything stopped.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { WebSocket } from 'ws';
import type { Har } from '../../shared/api.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { assertValidHar } from '../helpers/har-schema.ts';
import { launchWithTestHosts, rawRequest, startLoopgate, until, type Loopgate } from '../helpers/integ.ts';
import { freePort } from '../helpers/net.ts';
import { HAVE_CHROMIUM } from '../helpers/ui-harness.ts';

type Obj = Record<string, any>;

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Replay me</title>
<link rel="stylesheet" href="/style.css"></head><body><h1 id="title">…</h1><ul id="items"></ul>
<script src="/app.js"></script></body></html>`;
const APP = `fetch('/api/items?x=1').then((r) => r.json()).then((d) => {
  document.getElementById('title').textContent = 'Items from ' + d.url;
  for (const name of ['café', 'naïve']) {
    const li = document.createElement('li'); li.textContent = name; document.getElementById('items').appendChild(li);
  }
  document.body.dataset.ready = 'yes';
});`;
const CSS = 'h1 { color: rgb(200, 10, 20); }';

describe('HAR of real traffic', { skip: !HAVE_CHROMIUM && 'Chromium is not installed' }, () => {
  let backend: Backend;
  let lg: Loopgate;
  let browser: Browser;
  let deadPort: number;

  before(async () => {
    backend = await startBackend();
    deadPort = await freePort();
    lg = await startLoopgate(
      {
        root: 'dist',
        spa: false,
        inspect: { bodyBytes: '4k' },
        routes: [
          { match: '/api', target: `${backend.url}/api`, keepAlivePing: '50ms' },
          { match: '/dead', target: `http://127.0.0.1:${deadPort}` },
          { match: '/hang', target: `${backend.url}/hang`, timeouts: { read: '200ms' } },
          { match: '/small', target: backend.url, maxBodySize: '1k' },
        ],
      },
      {
        files: {
          'dist/index.html': PAGE,
          'dist/app.js': APP,
          'dist/style.css': CSS,
          'dist/big.txt': 'x'.repeat(10_000),
        },
      },
    );
    browser = await launchWithTestHosts();
  });

  after(async () => {
    await browser?.close();
    await lg?.stop();
    await backend?.close();
  });

  it('passes the HAR 1.2 schema, with the sizes and bodies of Loopgate’s own answers and what the backend was sent', async () => {
    const port = lg.port();
    await lg.api('POST', '/api/clear');
    const dead = await rawRequest(port, 'GET', '/dead/x');
    const hang = await rawRequest(port, 'GET', '/hang');
    const big = await fetch(`http://127.0.0.1:${port}/small/upload`, { method: 'POST', body: 'y'.repeat(5000) });
    await big.arrayBuffer();
    await rawRequest(port, 'GET', '/big.txt');
    await rawRequest(port, 'GET', '/api/users', { origin: 'http://app.test' });
    // A WebSocket that lives through a few keep-alive pings, then closes.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/socket`);
    await new Promise((r) => ws.once('open', r));
    ws.send('hello');
    await new Promise((r) => ws.once('message', r));
    await until(async () => {
      const s = (await lg.api('GET', '/api/sessions')).json.items[0];
      const f = s && (await lg.api('GET', `/api/sessions/${s.id}/frames`)).json.frames;
      return f?.some((x: Obj) => x.opcode === 10);
    }, 'a pong through the session');
    ws.close(1000, 'done');
    await new Promise((r) => ws.once('close', r));
    await until(async () => (await lg.api('GET', '/api/sessions')).json.items[0]?.state === 'closed', 'closed');

    const res = await fetch(`${lg.rt.controlUrl}/api/export.har`, {
      headers: { authorization: `Bearer ${lg.rt.token}` },
    });
    const har = (await res.json()) as Har;
    assertValidHar(har, 'export of live traffic');
    const entries = har.log.entries as unknown as Obj[];
    const byUrl = (suffix: string) => entries.find((e) => (e.request.url as string).endsWith(suffix))!;
    assert.equal(dead.status, 502);
    assert.equal(hang.status, 504);
    assert.equal(big.status, 413);
    for (const [suffix, status, answer] of [
      ['/dead/x', 502, dead.body],
      ['/hang', 504, hang.body],
      ['/small/upload', 413, null],
    ] as const) {
      const e = byUrl(suffix);
      assert.equal(e.response.status, status);
      const length = e.response.headers.find((h: Obj) => h.name === 'content-length').value;
      assert.equal(typeof length, 'string', 'header values are strings');
      assert.ok(Number(length) > 60, `${suffix}: ${length}`);
      assert.equal(e.response.content.size, Number(length), `${suffix}: content.size is the body's`);
      assert.equal(e.response.bodySize, Number(length), `${suffix}: bodySize`);
      assert.match(e.response.content.text, new RegExp(`^${status} .*\\(Loopgate\\)\\n$`, 's'));
      if (answer !== null) assert.equal(e.response.content.text, answer);
    }
    // The log and the UI read the same record: not 0 B.
    const list = (await lg.api('GET', '/api/requests?limit=50')).json.items as Obj[];
    const rec = list.find((r) => r.url === '/dead/x')!;
    assert.equal(rec.bytesOut, Buffer.byteLength(dead.body));
    assert.equal(Buffer.from(rec.responseBody, 'base64').toString(), dead.body);
    // A static body over inspect.bodyBytes: no partial text, a comment saying why.
    const cut = byUrl('/big.txt').response.content;
    assert.equal(cut.text, undefined);
    assert.match(cut.comment, /only its first 4096 bytes were kept \(inspect\.bodyBytes\)/);
    assert.equal(cut.size, 10_000);
    // The headers as sent to the backend, beside the client's.
    const users = byUrl('/api/users');
    const sent = users._loopgate.upstreamHeaders as Obj[];
    assert.ok(
      sent.some((h) => /^x-forwarded-for$/i.test(h.name) && h.value === '127.0.0.1'),
      JSON.stringify(sent),
    );
    assert.ok(sent.some((h) => /^host$/i.test(h.name)));
    assert.ok(
      !users.request.headers.some((h: Obj) => /^x-forwarded-for$/i.test(h.name)),
      'not in what the client sent',
    );
    const userRec = list.find((r) => r.url === '/api/users')!;
    assert.ok(Object.keys(userRec.upstreamHeaders).some((k) => /^x-forwarded-for$/i.test(k)));
    // WebSocket: data frames only in _webSocketMessages, control frames under _loopgate.
    const session = entries.find((e) => e._resourceType === 'websocket')!;
    assert.deepEqual(
      session._webSocketMessages.map((m: Obj) => [m.type, m.opcode, m.data]),
      [
        ['send', 1, 'hello'],
        ['receive', 1, 'hello'],
      ],
    );
    const controls = session._loopgate.controlFrames.map((m: Obj) => m.opcode) as number[];
    assert.ok(controls.includes(9) && controls.includes(10) && controls.includes(8), `${controls}`);
    assert.ok(session._loopgate.upstreamHeaders.some((h: Obj) => /^x-forwarded-for$/i.test(h.name)));
    // And Loopgate reads its export back whole (control frames merged back in order).
    const again = await lg.api('POST', '/api/import.har', har);
    assert.equal(again.status, 200, JSON.stringify(again.json));
    assert.equal(again.json.imported.sessions, 1);
    assert.equal(again.json.imported.frames, session._webSocketMessages.length + controls.length);
  });

  it('replays the page with routeFromHAR in Chromium, with the backend and Loopgate stopped', async () => {
    const port = lg.port();
    await lg.api('POST', '/api/clear');
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('body[data-ready="yes"]');
    const live = await page.textContent('#title');
    await ctx.close();
    assert.match(live!, /^Items from \/api\/items\?x=1$/);
    const res = await fetch(`${lg.rt.controlUrl}/api/export.har`, {
      headers: { authorization: `Bearer ${lg.rt.token}` },
    });
    const har = (await res.json()) as Har;
    assertValidHar(har, 'export of a page load');
    const file = join(mkdtempSync(join(tmpdir(), 'loopgate-har-')), 'page.har');
    writeFileSync(file, JSON.stringify(har));
    // Everything goes: nothing answers on the site's port any more.
    await lg.stop();
    await backend.close();
    const down = await fetch(`http://127.0.0.1:${port}/`).then(
      () => 'answered',
      () => 'refused',
    );
    assert.equal(down, 'refused');
    const replay = await browser.newContext();
    await replay.routeFromHAR(file, { notFound: 'abort' });
    const again = await replay.newPage();
    await again.goto(`http://127.0.0.1:${port}/`);
    await again.waitForSelector('body[data-ready="yes"]', { timeout: 10_000 });
    assert.equal(await again.textContent('#title'), live);
    assert.deepEqual(await again.$$eval('#items li', (els) => els.map((e) => e.textContent)), ['café', 'naïve']);
    assert.equal(await again.$eval('h1', (e) => getComputedStyle(e).color), 'rgb(200, 10, 20)');
    await replay.close();
    rmSync(join(file, '..'), { recursive: true, force: true });
  });
});
