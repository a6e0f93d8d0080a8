// nginx send_timeout on a WebSocket tunnel: a client that takes nothing of what waits for it is cut with its backend; a slow reader that keeps taking is not.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket, { type WebSocketServer } from 'ws';
import { rawClient } from '../../helpers/ws-raw.ts';
import { waitFor } from '../../helpers/net.ts';
import { cleanups, rig, wssBackend } from './fixtures.ts';

/** A backend that floods every connection with 64 KiB binary messages, keeping ~1 MiB of its own buffered. */
async function floodingBackend(): Promise<{ wss: WebSocketServer; port: number; closes: number[] }> {
  const w = await wssBackend();
  const closes: number[] = [];
  const chunk = Buffer.alloc(64 * 1024, 7);
  w.wss.on('connection', (ws) => {
    const pump = () => {
      while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < 1 << 20) ws.send(chunk);
      if (ws.readyState === WebSocket.OPEN) setTimeout(pump, 5).unref();
    };
    pump();
    ws.on('close', (code) => closes.push(code));
  });
  return { ...w, closes };
}

describe('tunnel: send_timeout (timeouts.clientSend)', () => {
  test('a client that reads nothing is cut after the timeout, its backend too; the record says why', async () => {
    const b = await floodingBackend();
    // No read timeout: before send_timeout, nothing ended such a session.
    const r = await rig(`http://127.0.0.1:${b.port}`, { timeouts: { read: 0, clientSend: '300ms' } });
    const sock = await rawClient(r.port);
    sock.pause();
    cleanups.push(async () => void sock.destroy());
    // Listened for from the start: a cut with bytes unsent may reset the connection, closing the socket while paused.
    const closed = new Promise((res) => sock.once('close', res));
    await waitFor(() => r.records[0]?.state === 'closed', 'the session to end', 10_000);
    const rec = r.records[0]!;
    assert.equal(rec.closedBy, 'loopgate');
    assert.equal(rec.closeReason, 'send timeout');
    assert.equal(rec.error?.code, 'CLIENT_SEND_TIMEOUT');
    assert.equal(rec.error?.side, 'client');
    assert.match(
      rec.error!.message,
      /^client took none of the session's data for 300ms \(timeouts\.clientSend, nginx send_timeout\): connection closed$/,
    );
    await waitFor(() => b.closes.length === 1, 'the backend to see its connection end');
    sock.resume();
    await closed;
  });

  test('a slow reader that keeps taking some is not cut; clientSend 0 is off', async () => {
    const b = await floodingBackend();
    for (const clientSend of ['300ms', 0] as const) {
      const r = await rig(`http://127.0.0.1:${b.port}`, { timeouts: { read: 0, clientSend } });
      const sock = await rawClient(r.port);
      sock.pause();
      let taken = 0;
      sock.on('data', (d: Buffer) => (taken += d.length));
      // Reads in bursts of 20 ms every 100 ms, none for the rest: a slow tab, taking some within every
      // 300 ms. (Kernel buffers on loopback are large; a reader taking a few KiB now and then may not
      // free enough window for the sender to see any progress, for nginx neither.)
      const reader = setInterval(
        () => {
          sock.resume();
          setTimeout(() => sock.pause(), 20);
        },
        clientSend === 0 ? 1000 : 100,
      );
      try {
        await new Promise((res) => setTimeout(res, 1500)); // the observation window (5 × the timeout), not a wait
        assert.equal(
          r.records[0]!.state,
          'open',
          `clientSend ${clientSend}: still open after 1.5 s (${JSON.stringify(r.records[0]!.error)} ${taken})`,
        );
        if (clientSend !== 0) assert.ok(taken >= 1 << 20, `the reader took ${taken} bytes`);
        assert.equal(r.records[0]!.error, undefined);
      } finally {
        clearInterval(reader);
        sock.destroy();
      }
      await waitFor(() => r.records[0]!.state === 'closed', 'the session to end with its client');
      assert.equal(r.records[0]!.closedBy, 'client');
    }
  });
});
