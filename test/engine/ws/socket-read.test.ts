// Backend sockets that read into a reused buffer (handshake-read.ts): byte-exact reads, a new buffer once a view is kept, growth, end and pause.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { keepRead, readsReused, setReadConsumer, withReusedReads } from '../../../main/engine/ws/socket-read.ts';
import { close, listen, sleep, waitFor } from '../../helpers/net.ts';
import { closed, openClient } from '../../helpers/tunnel-harness.ts';
import { rig, wssBackend } from './fixtures.ts';

const servers: Server[] = [];
after(async () => {
  for (const s of servers) await close(s);
});

/** A server that writes `parts` to each connection one by one (pausing so that each arrives as its own read), then ends. */
async function sender(parts: Buffer[], gapMs = 5): Promise<number> {
  const server = createServer(async (s) => {
    for (const p of parts) {
      s.write(p);
      await sleep(gapMs);
    }
    s.end();
  });
  servers.push(server);
  return listen(server);
}

function reading(port: number): Socket {
  return withReusedReads((onread) => connect({ host: '127.0.0.1', port, onread }));
}

describe('reused reads', () => {
  test('hand each read to the consumer as a view; a view kept with keepRead is never overwritten by later reads', async () => {
    const parts = Array.from({ length: 40 }, (_, i) => randomBytes(1 + ((i * 97) % 900)));
    const sock = reading(await sender(parts));
    assert.equal(readsReused(sock), true);
    const kept: Buffer[] = [];
    setReadConsumer(sock, (s, chunk) => {
      assert.equal(s, sock);
      kept.push(chunk);
      keepRead(s);
    });
    let dataEvents = 0;
    sock.on('data', () => dataEvents++);
    await new Promise((r) => sock.once('end', r));
    assert.ok(Buffer.concat(kept).equals(Buffer.concat(parts)), 'every kept view still holds its bytes');
    assert.equal(dataEvents, 0, "no 'data' events: the bytes go to the consumer");
    sock.destroy();
  });

  test('a view not kept is reused by the next read (the consumer must copy or keep what it holds on to)', async () => {
    const parts = [Buffer.from('first read'), Buffer.from('second')];
    const sock = reading(await sender(parts, 30));
    const views: Buffer[] = [];
    const copies: Buffer[] = [];
    setReadConsumer(sock, (_s, chunk) => {
      views.push(chunk);
      copies.push(Buffer.from(chunk));
    });
    await new Promise((r) => sock.once('end', r));
    assert.deepEqual(copies.map(String), ['first read', 'second']);
    assert.equal(views[0]!.buffer, views[1]!.buffer, 'both reads landed in the same memory');
    assert.equal(String(views[0]), 'secondread', 'the first view now shows the second read over it');
    sock.destroy();
  });

  test('the buffer grows when reads fill it, and pause() stops the consumer until resume()', async () => {
    const big = randomBytes(512 * 1024);
    const sock = reading(await sender([big], 0));
    const got: Buffer[] = [];
    let largest = 0;
    setReadConsumer(sock, (s, chunk) => {
      got.push(Buffer.from(chunk));
      largest = Math.max(largest, chunk.length);
      if (got.length === 3) {
        s.pause();
        setTimeout(() => s.resume(), 100);
      }
    });
    await waitFor(() => got.length >= 3, 'three reads');
    await sleep(50); // inside the 100 ms pause (the stimulus): nothing to wait on when asserting that nothing came
    assert.equal(got.length, 3, 'no reads while paused');
    await new Promise((r) => sock.once('end', r));
    assert.ok(Buffer.concat(got).equals(big));
    assert.ok(largest > 1024, `reads grew past the first buffer (largest ${largest})`);
    assert.ok(largest <= 64 * 1024, `reads stay within 64 KiB (largest ${largest})`);
    sock.destroy();
  });

  test('a tunnel whose client stops reading delivers every byte of the backend stream intact once it reads again', async () => {
    // While the client does not read, writes toward it cannot finish at once: the read views they hold must survive later reads.
    const { wss, port } = await wssBackend();
    const r = await rig(`http://127.0.0.1:${port}`);
    const ws = await openClient(r.url);
    const raw = (ws as unknown as { _socket: Socket })._socket;
    raw.pause();
    await waitFor(() => wss.clients.size === 1, 'server socket');
    const server = [...wss.clients][0]!;
    // Small messages, each its own read: writes toward the client then stall with less than the
    // socket's high-water mark waiting, so Loopgate keeps reading while earlier reads are still held.
    const sent = Array.from({ length: 3000 }, (_, i) => randomBytes(1000 + ((i * 7919) % 3000)));
    for (const m of sent) {
      server.send(m);
      await new Promise((res) => setImmediate(res));
    }
    await sleep(100); // the stimulus: time for Loopgate to read ahead while the client holds; no event marks "enough"
    const got: Buffer[] = [];
    ws.on('message', (d) => got.push(d as Buffer));
    raw.resume();
    await waitFor(() => got.length === sent.length, 'all messages delivered', 15_000);
    for (let i = 0; i < sent.length; i++) assert.ok(got[i]!.equals(sent[i]!), `message ${i} arrived intact`);
    ws.close();
    await closed(ws);
  });
});
