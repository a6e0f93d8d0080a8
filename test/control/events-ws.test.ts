// The /api/events WebSocket: batches as JSON arrays, shared subscription, overflow marker for a paused reader.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { StreamEvent } from '../../shared/api.ts';
import { waitFor } from '../helpers/net.ts';
import { startFixture, TOKEN, type Fixture } from '../helpers/control.ts';
import { binaryFrame, httpRecord, textFrame, wsRecord } from '../helpers/records.ts';

async function connect(port: number): Promise<{ ws: WebSocket; batches: StreamEvent[][] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const batches: StreamEvent[][] = [];
  ws.on('message', (data) => batches.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, batches };
}

describe('events WebSocket', () => {
  let fx: Fixture;

  before(async () => {
    fx = await startFixture();
  });
  after(() => fx.close());

  it('streams batches of log events as JSON arrays to every client', async () => {
    const a = await connect(fx.server.port);
    const b = await connect(fx.server.port);
    try {
      const r = httpRecord(fx.log.nextId(), { done: false, status: undefined });
      fx.log.http(r);
      r.status = 204;
      r.done = true;
      fx.log.http(r);
      const s = wsRecord(fx.log.nextId());
      fx.log.ws(s);
      fx.log.frame(textFrame(s.id, 1, 'hi'));
      await waitFor(() => a.batches.length > 0 && b.batches.length > 0, 'a batch on both clients');
      assert.deepEqual(a.batches, b.batches);
      const batch = a.batches[0]!;
      assert.deepEqual(
        batch.map((e) => e.type),
        ['http', 'ws', 'frame'],
      );
      assert.equal((batch[0] as { record: { status: number } }).record.status, 204, 'coalesced to the latest state');
      fx.log.clear();
      await waitFor(() => a.batches.some((x) => x.some((e) => e.type === 'cleared')), 'the cleared event');
    } finally {
      a.ws.close();
      b.ws.close();
    }
  });

  it('drops batches for a paused client, then sends an overflow marker and resumes', async () => {
    const slow = await startFixture({ eventsHighWater: 256 * 1024 });
    const client = await connect(slow.server.port);
    try {
      const s = wsRecord(slow.log.nextId());
      slow.log.ws(s);
      slow.log.flush();
      await waitFor(() => client.batches.length === 1, 'the session event');
      client.ws.pause();
      // 48 MiB of frame events: far more than the kernel's socket buffers and the high water mark.
      const payload = Buffer.alloc(48 * 1024, 7);
      const rounds = 96;
      let seq = 0;
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < 8; i++) slow.log.frame(binaryFrame(s.id, ++seq, payload));
        slow.log.flush();
        await new Promise((r) => setImmediate(r));
      }
      const fed = seq;
      client.ws.resume();
      await waitFor(() => client.batches.some((b) => b[0]?.type === 'overflow'), 'the overflow marker', 15_000);
      // After the marker, events flow again, in order.
      slow.log.frame(textFrame(s.id, ++seq, 'after the overflow'));
      slow.log.flush();
      await waitFor(
        () => client.batches.some((b) => b.some((e) => e.type === 'frame' && e.frame.data === 'after the overflow')),
        'events after the marker',
        15_000,
      );
      const markerAt = client.batches.findIndex((b) => b[0]?.type === 'overflow');
      const marker = client.batches[markerAt]![0] as { type: 'overflow'; dropped: number };
      assert.ok(marker.dropped > 0, 'the marker says how many batches were dropped');
      const received = client.batches.flat().filter((e) => e.type === 'frame').length;
      assert.ok(received < fed, `received ${received} of ${fed} frame events`);
      assert.equal(received, fed - marker.dropped * 8 + 1, 'only whole batches were dropped');
      const lastAt = client.batches.findIndex((b) =>
        b.some((e) => e.type === 'frame' && e.frame.data === 'after the overflow'),
      );
      assert.ok(lastAt > markerAt, 'new events come after the marker');
      assert.equal(
        client.batches
          .slice(markerAt + 1)
          .flat()
          .filter((e) => e.type === 'overflow').length,
        0,
      );
    } finally {
      const gone = new Promise((r) => client.ws.once('close', r));
      client.ws.terminate();
      await gone;
      await slow.close();
    }
  });

  it('holds one log subscription while clients are connected, none after the last leaves', async () => {
    const own = await startFixture();
    let active = 0;
    let taken = 0;
    const original = own.controller.subscribe.bind(own.controller);
    own.controller.subscribe = (listener) => {
      active++;
      taken++;
      const off = original(listener);
      return () => {
        active--;
        off();
      };
    };
    try {
      const a = await connect(own.server.port);
      const b = await connect(own.server.port);
      await waitFor(() => active === 1, 'one subscription');
      // The close handshake done: the server has taken a's leave before we look.
      const aClosed = new Promise((r) => a.ws.once('close', r));
      a.ws.close();
      await aClosed;
      // …and a round trip on b after it, so that the server has run whatever a's leave set off.
      await new Promise((r) => b.ws.once('pong', r).ping());
      assert.equal(active, 1, 'still subscribed for the other client');
      b.ws.close();
      await waitFor(() => active === 0, 'the subscription released');
      assert.equal(taken, 1);
    } finally {
      await own.close();
    }
  });
});
