// Issue 3 end to end: Chromium's WebSocket through the whole runtime, seen, injected into and closed via the control API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { WebSocket } from 'ws';
import type { FramesPage, Har, ListPage, SessionView, StreamEvent } from '../../shared/api.ts';
import type { FrameRecord } from '../../shared/events.ts';
import {
  launchWithTestHosts,
  startDeflateBackend,
  startLoopgate,
  until,
  type DeflateBackend,
  type Loopgate,
} from '../helpers/integ.ts';
import { HAVE_CHROMIUM } from '../helpers/ui-harness.ts';

const skip = HAVE_CHROMIUM ? false : 'Chromium is not installed at /usr/bin/chromium';

const PAGE = `<!doctype html><title>ws</title><script>
window.got = [];
window.wsClosed = null;
window.openWs = (url) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  window.ws = ws;
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') window.got.push({ text: e.data });
    else { let s = ''; for (const b of new Uint8Array(e.data)) s += String.fromCharCode(b); window.got.push({ base64: btoa(s) }); }
  };
  ws.onopen = () => resolve(ws.extensions);
  ws.onerror = () => reject(new Error('the WebSocket failed'));
  ws.onclose = (e) => { window.wsClosed = { code: e.code, reason: e.reason }; };
});
</script>`;

const TEXT = 'hello through loopgate ✓';
const BINARY = [0, 1, 2, 255, 128, 64];
const BINARY_B64 = Buffer.from(BINARY).toString('base64');
/** About 200 KB of compressible text: many frames on the wire, one message. */
const LARGE = Array.from({ length: 20_000 }, (_, i) => `line ${i}\n`).join('');

describe('a browser WebSocket through Loopgate, inspected and driven (issue 3)', { skip, timeout: 60_000 }, () => {
  let lg: Loopgate;
  let backend: DeflateBackend;
  let browser: Browser;
  let page: Page;
  let events: WebSocket;
  const streamed: FrameRecord[] = [];
  let sessionId = 0;

  before(async () => {
    backend = await startDeflateBackend();
    lg = await startLoopgate(
      { root: 'site', routes: [{ match: '/ws', target: `ws://127.0.0.1:${backend.port}` }] },
      { files: { 'site/index.html': PAGE } },
    );
    events = new WebSocket(`${lg.rt.controlUrl!.replace('http:', 'ws:')}/api/events`, {
      headers: { authorization: `Bearer ${lg.rt.token}` },
    });
    events.on('message', (data) => {
      for (const e of JSON.parse(data.toString()) as StreamEvent[]) if (e.type === 'frame') streamed.push(e.frame);
    });
    await new Promise<void>((resolve, reject) => {
      events.once('open', () => resolve());
      events.once('error', reject);
    });
    browser = await launchWithTestHosts();
    page = await browser.newPage();
    await page.goto(`http://localhost:${lg.port()}/`);
  });

  after(async () => {
    events?.terminate();
    await browser?.close();
    await lg?.stop();
    await backend?.close();
  });

  it('Chromium negotiates permessage-deflate through the tunnel and the session says so', async () => {
    const extensions = await page.evaluate((url) => (window as any).openWs(url), `ws://localhost:${lg.port()}/ws`);
    assert.match(extensions, /permessage-deflate/, 'the browser sees the extension the backend accepted');
    const sessions = await until(async () => {
      const r = await lg.api('GET', '/api/sessions');
      const page = r.json as ListPage<SessionView>;
      return page.items.find((s) => s.url === '/ws' && s.state === 'open');
    }, 'the open session in the log');
    sessionId = sessions.id;
    assert.match(sessions.extensions ?? '', /permessage-deflate/);
    assert.match(
      String(sessions.requestHeaders['sec-websocket-extensions']),
      /permessage-deflate/,
      'Chromium offered it',
    );
  });

  it('text, binary and a large message are decoded in the frames API, flagged compressed, and streamed live', async () => {
    await page.evaluate(
      ({ text, binary, large }) => {
        const ws = (window as any).ws as WebSocket;
        ws.send(text);
        ws.send(new Uint8Array(binary));
        ws.send(large);
      },
      { text: TEXT, binary: BINARY, large: LARGE },
    );
    await until(() => page.evaluate(() => (window as any).got.length >= 3), 'three echoes in the page');
    const got = (await page.evaluate(() => (window as any).got)) as Array<{ text?: string; base64?: string }>;
    assert.deepEqual(got[0], { text: TEXT });
    assert.deepEqual(got[1], { base64: BINARY_B64 });
    assert.equal(got[2]!.text, LARGE);
    assert.deepEqual(
      backend.received.map((m) => (m.binary ? m.data.toString('base64') : m.data.toString('utf8'))),
      [TEXT, BINARY_B64, LARGE],
    );

    const frames = await until(async () => {
      const r = await lg.api('GET', `/api/sessions/${sessionId}/frames`);
      const fp = r.json as FramesPage;
      return fp.frames.filter((f) => f.opcode === 1 || f.opcode === 2).length >= 6 ? fp.frames : null;
    }, 'six data frames in the log');
    const data = frames.filter((f) => f.opcode === 1 || f.opcode === 2);
    const sent = data.filter((f) => f.type === 'send');
    const received = data.filter((f) => f.type === 'receive');
    assert.deepEqual(
      sent.map((f) => [f.opcode, f.encoding, f.data]),
      [
        [1, 'text', TEXT],
        [2, 'base64', BINARY_B64],
        [1, 'text', LARGE],
      ],
    );
    assert.deepEqual(
      received.map((f) => [f.opcode, f.encoding, f.data]),
      [
        [1, 'text', TEXT],
        [2, 'base64', BINARY_B64],
        [1, 'text', LARGE],
      ],
    );
    assert.equal(sent[2]!.length, Buffer.byteLength(LARGE));
    assert.ok(
      sent[2]!.wireLength < sent[2]!.length,
      `the large message went compressed (${sent[2]!.wireLength} wire bytes for ${sent[2]!.length})`,
    );
    for (const f of [...sent, ...received])
      assert.equal(f.compressed, true, `frame ${f.seq} (${f.type}) is flagged compressed`);
    assert.ok(!sent.some((f) => f.truncated), 'nothing truncated');

    // The same messages reached the /api/events stream.
    const live = await until(() => {
      const mine = streamed.filter((f) => f.session === sessionId && (f.opcode === 1 || f.opcode === 2));
      return mine.length >= 6 ? mine : null;
    }, 'six data frames on the event stream');
    assert.deepEqual(
      live.map((f) => [f.type, f.data]),
      data.map((f) => [f.type, f.data]),
    );
  });

  it('POST send delivers to the page and to the backend, recorded as injected', async () => {
    const toClient = await lg.api('POST', `/api/sessions/${sessionId}/send`, {
      to: 'client',
      text: 'pushed to the page',
    });
    assert.equal(toClient.status, 200, JSON.stringify(toClient.json));
    await until(
      () => page.evaluate(() => (window as any).got.some((m: { text?: string }) => m.text === 'pushed to the page')),
      'the page got the injected message',
    );

    const payload = Buffer.from('to the backend, binary \x00\x01').toString('base64');
    const toBackend = await lg.api('POST', `/api/sessions/${sessionId}/send`, { to: 'backend', base64: payload });
    assert.equal(toBackend.status, 200, JSON.stringify(toBackend.json));
    await until(
      () => backend.received.some((m) => m.binary && m.data.toString('base64') === payload),
      'the backend got the injected message',
    );
    // The echo backend sends it back: wait for that too, so the log's contents are settled.
    await until(
      () => page.evaluate((b64) => (window as any).got.some((m: { base64?: string }) => m.base64 === b64), payload),
      'the echo of the injected message',
    );

    const frames = await until(async () => {
      const fp = (await lg.api('GET', `/api/sessions/${sessionId}/frames`)).json as FramesPage;
      return fp.frames.filter((f) => f.opcode === 1 || f.opcode === 2).length >= 9 ? fp : null;
    }, 'nine data frames in the log');
    const injected = frames.frames.filter((f) => f.injected);
    assert.deepEqual(
      injected.map((f) => [f.type, f.data]),
      [
        ['receive', 'pushed to the page'],
        ['send', payload],
      ],
    );
    assert.ok(
      frames.frames.some((f) => f.type === 'receive' && !f.injected && f.data === payload),
      "the backend's echo of it is a plain frame",
    );
  });

  it('POST close with 4000 "bye" closes the page and the backend with that code', async () => {
    const r = await lg.api('POST', `/api/sessions/${sessionId}/close`, { code: 4000, reason: 'bye' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const closed = await until(() => page.evaluate(() => (window as any).wsClosed), 'the page saw the close');
    assert.deepEqual(closed, { code: 4000, reason: 'bye' });
    await until(() => backend.closes.length > 0, 'the backend saw the close');
    assert.deepEqual(backend.closes[0], { code: 4000, reason: 'bye' });
    const detail = await until(async () => {
      const d = (await lg.api('GET', `/api/sessions/${sessionId}`)).json as { session: SessionView };
      return d.session.state === 'closed' ? d.session : null;
    }, 'the session closed in the log');
    assert.equal(detail.closedBy, 'loopgate');
    assert.equal(detail.closeCode, 4000);
    assert.equal(detail.closeReason, 'bye');
  });

  it('the session HAR carries the same messages in _webSocketMessages', async () => {
    const har = (await lg.api('GET', `/api/export.har?session=${sessionId}`)).json as Har;
    assert.equal(har.log.entries.length, 1);
    const messages = har.log.entries[0]!._webSocketMessages ?? [];
    const frames = (await lg.api('GET', `/api/sessions/${sessionId}/frames`)).json as FramesPage;
    const asHar = (list: Array<{ type: string; opcode: number; data: string }>) =>
      list.filter((m) => m.opcode === 1 || m.opcode === 2).map((m) => [m.type, m.opcode, m.data]);
    // Six echoed, two injected, and the backend's echo of the one injected toward it.
    assert.equal(asHar(messages).length, 9);
    assert.deepEqual(asHar(messages), asHar(frames.frames));
    assert.ok(messages.some((m) => m.type === 'send' && m.opcode === 2 && m.data === BINARY_B64));
    assert.equal(har.log.entries[0]!._webSocketClose?.code, 4000);
  });
});
