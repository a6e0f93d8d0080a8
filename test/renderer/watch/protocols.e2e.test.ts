// The Watch view speaks Socket.IO in Chromium: decoded column, heartbeats hidden, name filter, request ↔ reply jumps, the protocol table, the composer's emit.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { Server as SocketIoServer } from 'socket.io';
import { io as socketIoClient, type Socket } from 'socket.io-client';
import { Runtime } from '../../../main/runtime.ts';
import { listen, waitFor } from '../../helpers/net.ts';
import { buildRenderer, HAVE_CHROMIUM, launchChromium } from '../../helpers/ui-harness.ts';

const skip = HAVE_CHROMIUM ? false : 'Chromium is not installed at /usr/bin/chromium';
const SHOTS = '/tmp/lg';

describe('Watch: frames in their protocol (Socket.IO)', { skip, timeout: 90_000 }, () => {
  let rt: Runtime;
  let sio: SocketIoServer;
  let client: Socket;
  let browser: Browser;
  let ui: Page;
  let dir: string;
  let bundle: { dir: string; remove(): void };
  const serverGot: unknown[] = [];

  before(async () => {
    bundle = await buildRenderer();
    const server = createServer();
    sio = new SocketIoServer(server, { pingInterval: 1000, pingTimeout: 2000 });
    sio.on('connection', (socket) => {
      socket.on('getUser', (id: number, ack: (u: unknown) => void) =>
        setTimeout(() => ack({ id, name: `user ${id}` }), 5),
      );
      socket.on('chat', (msg: unknown) => {
        serverGot.push(msg);
        socket.emit('chat', { echo: msg });
      });
    });
    const port = await listen(server);
    dir = mkdtempSync(join(tmpdir(), 'loopgate-ui-protocols-'));
    const file = join(dir, 'loopgate.json');
    writeFileSync(
      file,
      JSON.stringify({
        listen: { host: '127.0.0.1', port: 0 },
        routes: [{ match: '/socket.io/', target: `http://127.0.0.1:${port}`, ws: true }],
      }),
    );
    rt = await Runtime.start({ configFile: file, watch: false, control: { port: 0, uiDir: bundle.dir } });
    // Long-polling first, then the upgrade: one conversation over HTTP requests and a WebSocket session.
    client = socketIoClient(`http://127.0.0.1:${rt.engine.port}`, {
      transports: ['polling', 'websocket'],
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => {
      client.io.engine.on('upgrade', () => resolve());
      client.on('connect_error', reject);
    });
    for (let i = 1; i <= 4; i++) await client.emitWithAck('getUser', i);
    client.emit('chat', 'hello');
    // Two heartbeats at 1 s: wait on the server's pings reaching the client.
    let pings = 0;
    client.io.engine.on('ping', () => pings++);
    await waitFor(() => pings >= 2, 'two Engine.IO pings', 5000);
    browser = await launchChromium();
    ui = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await ui.goto(`${rt.controlUrl}/?token=${rt.token}`);
  });

  after(async () => {
    client?.close();
    await browser?.close();
    await rt?.stop();
    sio?.close();
    bundle?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows decoded frames, hides heartbeats, filters by name, jumps between a request and its reply', async () => {
    await ui.getByRole('tab', { name: 'Watch' }).click();
    await ui.locator('.log-body .vrow', { hasText: 'transport=websocket' }).first().click();
    const rows = ui.locator('.frames .vrow');
    await waitFor(async () => (await rows.count()) >= 10, 'the frame list');
    // Heartbeats are marked (and dimmed), then hidden: the rest fits on screen.
    const heartbeats = rows.filter({ has: ui.locator('.msg-type.hb') });
    await waitFor(async () => (await heartbeats.count()) >= 4, 'pings and pongs marked as heartbeats');
    await ui.screenshot({ path: join(SHOTS, 'protocols-heartbeats.png') });
    await ui.getByRole('button', { name: 'Hide heartbeats' }).click();
    await waitFor(async () => (await heartbeats.count()) === 0, 'heartbeats hidden');
    // The decoded column: the event name with its type badge, and the ack with its request's seq and latency.
    const ask = rows.filter({ hasText: 'getUser' }).filter({ has: ui.locator('.msg-type', { hasText: /^event$/ }) });
    await waitFor(async () => (await ask.count()) === 4, 'four getUser events');
    const acks = rows.filter({ has: ui.locator('.msg-type', { hasText: /^ack$/ }) });
    assert.equal(await acks.count(), 4);
    assert.match((await acks.first().locator('.msg').textContent()) ?? '', /ack\s*getUser\s*↩ #\d+ · [\d.]+ (ms|s)/);
    await ui.screenshot({ path: join(SHOTS, 'protocols-frames.png') });

    await ui.getByRole('combobox', { name: 'Filter by event, operation or method' }).selectOption('getUser');
    await waitFor(async () => (await rows.count()) === 8, 'only getUser events and their acks');

    // From a request to its reply and back.
    await ask.first().click();
    const view = ui.getByTestId('decoded-view');
    await view.waitFor();
    assert.match((await view.textContent()) ?? '', /reply: #\d+/);
    await view
      .getByRole('button', { name: /^#\d+$/ })
      .first()
      .click();
    await waitFor(
      async () => /reply to #\d+ after [\d.]+ ms/.test((await view.textContent()) ?? ''),
      'the reply selected',
    );
    assert.match(
      (await ui.locator('.frames .vrow.selected, .frames [aria-selected="true"]').first().textContent()) ?? '',
      /ack/,
    );
    await view
      .getByRole('button', { name: /^#\d+$/ })
      .first()
      .click();
    await waitFor(async () => /reply: #\d+/.test((await view.textContent()) ?? ''), 'back at the request');
    await ui.screenshot({ path: join(SHOTS, 'protocols-jump.png') });
  });

  it('shows the protocol table and emits an event with an ack from the composer', async () => {
    await ui.getByRole('tab', { name: /Protocol · socket\.io/ }).click();
    const table = ui.getByTestId('protocol-table');
    await table.waitFor();
    const row = table.locator('tr', { hasText: 'getUser' });
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[0], 'getUser');
    assert.deepEqual(cells.slice(2, 3), ['4'], 'sent');
    assert.equal(cells[5], '4', 'answered');
    assert.match(cells[6]!, /ms/);
    // The long-polling requests before the upgrade, read as packets.
    const polling = ui.getByRole('region', { name: 'Long-polling before the upgrade' });
    await polling.waitFor();
    const text = (await polling.textContent()) ?? '';
    assert.match(text, /open.*connect/s, 'the handshake (open) and the connect, in order');
    assert.doesNotMatch(text, /unknown/);
    await ui.screenshot({ path: join(SHOTS, 'protocols-table.png') });

    // Clicking a name shows its frames.
    await row.getByRole('button', { name: 'getUser' }).click();
    await ui.locator('.frames .vrow').first().waitFor();
    assert.equal(
      await ui.getByRole('combobox', { name: 'Filter by event, operation or method' }).inputValue(),
      'getUser',
    );

    // The composer writes the Socket.IO envelope; the backend gets the event, the ack pairs in the list.
    await ui.getByRole('textbox', { name: 'Event' }).fill('chat');
    await ui.getByRole('textbox', { name: 'Arguments (JSON array)' }).fill('["from the composer"]');
    await ui.getByRole('button', { name: 'Send ↑ backend' }).click();
    await ui
      .getByRole('status')
      .filter({ hasText: /Sent to the backend: 42\d+\["chat","from the composer"\]/ })
      .waitFor();
    await waitFor(() => serverGot.includes('from the composer'), 'the backend got the composed event');
    await ui.getByRole('combobox', { name: 'Filter by event, operation or method' }).selectOption('chat');
    await waitFor(
      async () => (await ui.locator('.frames .vrow', { hasText: 'from the composer' }).count()) >= 1,
      'the composed event in the list',
    );
    await ui.screenshot({ path: join(SHOTS, 'protocols-composer.png') });
  });
});
