// The WebSocket tunnel's lifetime against real sockets: idle timeout, keep-alive pings, close(id), resets and closes from either side, closeAll.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { sleep, waitFor } from '../../helpers/net.ts';
import { closed, openClient, settled } from '../../helpers/tunnel-harness.ts';
import { rig, backend } from './fixtures.ts';

describe('tunnel close', () => {
  test('an idle tunnel is closed with 1001 after the read timeout; traffic keeps it open', async () => {
    const b = await backend();
    const r = await rig(b.url, { timeouts: { read: '400ms' } });
    const ws = await openClient(r.url);
    const done = closed(ws);
    let open = true;
    ws.once('close', () => (open = false));
    for (let i = 0; i < 16; i++) {
      ws.send(`tick ${i}`);
      await sleep(60); // the stimulus: traffic every 60 ms
    }
    assert.ok(open, 'a message every 60 ms keeps a 400 ms read timeout from firing');
    const server = b.sockets.at(-1)!;
    const serverClosed = closed(server);
    assert.deepEqual(await done, { code: 1001, reason: 'idle timeout' });
    assert.deepEqual(await serverClosed, { code: 1001, reason: 'idle timeout' });
    await settled(r);
    const rec = r.records[0]!;
    assert.equal(rec.closedBy, 'loopgate');
    assert.equal(rec.closeCode, 1001);
  });

  test('keepAlivePing keeps an idle tunnel open past several read timeouts', async () => {
    const b = await backend();
    const r = await rig(b.url, { timeouts: { read: '300ms' }, keepAlivePing: '100ms' });
    const ws = await openClient(r.url);
    let clientPings = 0;
    let serverPings = 0;
    ws.on('ping', () => clientPings++);
    await waitFor(() => b.sockets.length > 0, 'server socket');
    b.sockets.at(-1)!.on('ping', () => serverPings++);
    // Ten pings each way at 100 ms: a second, past three read timeouts (or the tunnel closed before).
    await waitFor(
      () => (clientPings >= 10 && serverPings >= 10) || ws.readyState !== WebSocket.OPEN,
      'ten pings both ways',
    );
    assert.equal(ws.readyState, WebSocket.OPEN);
    const echo = new Promise<string>((res) => ws.once('message', (d) => res(d.toString())));
    ws.send('still here');
    assert.equal(await echo, 'still here');
    ws.close();
    await closed(ws);
  });

  test('close(id) sends the close code to both ends; unknown ids and closed sessions are refused', async () => {
    const b = await backend();
    const r = await rig(b.url);
    const ws = await openClient(r.url);
    await waitFor(() => b.sockets.length > 0, 'server socket');
    const id = r.records[0]!.id;
    assert.deepEqual(r.registry.openIds, [id]);
    const both = Promise.all([closed(ws), closed(b.sockets.at(-1)!)]);
    assert.deepEqual(r.registry.close(id, 4000, 'bye'), { ok: true });
    assert.equal(
      r.registry.send(id, 'client', Buffer.from('late'), false).ok,
      false,
      'no sending into a closing session',
    );
    assert.deepEqual(await both, [
      { code: 4000, reason: 'bye' },
      { code: 4000, reason: 'bye' },
    ]);
    await settled(r);
    assert.equal(r.records[0]!.closedBy, 'loopgate');
    assert.equal(r.records[0]!.closeCode, 4000);
    assert.equal(r.registry.send(id, 'client', Buffer.from('x'), false).ok, false);
    const res = r.registry.close(12345678, 1000, '');
    assert.equal(res.ok === false && res.code, 'NO_SESSION');
  });

  test('resets and closes from either side end the tunnel without crashing; who closed is recorded', async () => {
    const b = await backend();
    const r = await rig(b.url);
    const c1 = await openClient(r.url);
    await waitFor(() => b.sockets.length === 1, 'server socket 1');
    const s1 = closed(b.sockets[0]!);
    (c1 as unknown as { _socket: Socket })._socket.resetAndDestroy();
    assert.equal((await s1).code, 1006);

    const c2 = await openClient(r.url);
    await waitFor(() => b.sockets.length === 2, 'server socket 2');
    const d2 = closed(c2);
    (b.sockets[1] as unknown as { _socket: Socket })._socket.resetAndDestroy();
    assert.equal((await d2).code, 1006);

    const c3 = await openClient(r.url);
    await waitFor(() => b.sockets.length === 3, 'server socket 3');
    const d3 = closed(c3);
    b.sockets[2]!.close(1000, 'server done');
    assert.deepEqual(await d3, { code: 1000, reason: 'server done' });

    await settled(r);
    const [r1, r2, r3] = r.records;
    assert.equal(r1!.closedBy, 'client');
    assert.equal(r2!.closedBy, 'backend');
    assert.equal(r2!.error?.side, 'backend');
    assert.equal(r3!.closedBy, 'backend');
    assert.equal(r3!.closeCode, 1000);
    assert.ok(r.records.every((x) => x.state === 'closed'));
  });

  test('closeAll(true) sends 1001 to every open session and resolves once all are gone', async () => {
    const b = await backend();
    const r = await rig(b.url);
    const clients = await Promise.all([0, 1, 2].map(() => openClient(r.url)));
    const codes = Promise.all(clients.map(closed));
    await r.registry.closeAll(true);
    assert.deepEqual(
      (await codes).map((c) => c.code),
      [1001, 1001, 1001],
    );
    assert.deepEqual(r.registry.openIds, []);
  });
});
