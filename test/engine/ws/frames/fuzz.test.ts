// Bounded fuzz (~3 s): random bytes and mutated real ws streams through the tap and the boundary tracker; nothing throws, records stay consistent.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FrameRecord } from '../../../../shared/events.ts';
import { BoundaryTracker } from '../../../../main/engine/ws/frames/boundary.ts';
import { parseDeflate } from '../../../../main/engine/ws/frames/extensions.ts';
import { createFrameTap } from '../../../../main/engine/ws/frames/tap.ts';
import { sleep, waitFor } from '../../../helpers/net.ts';
import {
  collectingRecorder,
  inspectOptions,
  sessionRecord,
  startTappedPair,
  type TappedPair,
} from '../../../helpers/ws-frames.ts';

const EXTENSIONS = [
  undefined,
  'permessage-deflate',
  'permessage-deflate; client_no_context_takeover; server_no_context_takeover',
  'permessage-deflate; server_max_window_bits=9; client_max_window_bits=10',
];

const rnd = (n: number) => Math.floor(Math.random() * n);

function mutate(stream: Buffer): Buffer {
  let b = Buffer.from(stream);
  const edits = 1 + rnd(4);
  for (let e = 0; e < edits && b.length > 0; e++) {
    const at = rnd(b.length);
    switch (rnd(5)) {
      case 0:
        b[at] = b[at]! ^ (1 << rnd(8));
        break;
      case 1:
        b[at] = rnd(256);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), randomBytes(1 + rnd(8)), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rnd(8)))]);
        break;
      default:
        b = b.subarray(0, at);
    }
  }
  return b;
}

function feedChunked(stream: Buffer, feed: (c: Buffer) => void): void {
  const max = [1, 7, 64, 4096][rnd(4)]!;
  for (let i = 0; i < stream.length; ) {
    const n = 1 + rnd(max);
    feed(stream.subarray(i, i + n));
    i += n;
  }
}

function checkRecord(f: FrameRecord): void {
  assert.ok(!f.problems?.some((p) => p.includes('internal error')), `internal error: ${f.problems}`);
  assert.ok([0, 1, 2, 8, 9, 10].includes(f.opcode) || f.problems !== undefined, `opcode ${f.opcode} without a problem`);
  assert.ok(f.length >= 0 && f.wireLength >= 0);
  if (f.opcode !== 8 && !f.truncated) {
    const bytes = f.encoding === 'base64' ? Buffer.from(f.data, 'base64').length : Buffer.byteLength(f.data);
    assert.equal(bytes, f.length, `data matches length: ${JSON.stringify(f)}`);
  }
}

let plain: TappedPair;
let deflated: TappedPair;
const samples: Array<{ ext: string | undefined; toBackend: Buffer; toClient: Buffer }> = [];

before(async () => {
  plain = await startTappedPair();
  deflated = await startTappedPair({ deflate: { threshold: 0 } });
  for (const p of [plain, deflated]) {
    p.client.send('hello fuzz');
    p.client.send('frag', { fin: false });
    p.client.ping('x');
    p.client.send(Buffer.from([1, 2, 3]), { fin: true });
    p.client.send(Buffer.alloc(300, 9));
    p.server.send('answer one');
    p.server.send(Buffer.alloc(70_000, 5), { binary: true });
    p.server.ping();
    await waitFor(() => p.serverGot.length === 3 && p.clientGot.length === 2, 'traffic');
    p.client.close(1000, 'bye');
    await waitFor(() => p.frames.filter((f) => f.opcode === 8).length === 2, 'closes');
    samples.push({
      ext: p.conn.extensions,
      toBackend: Buffer.concat(p.conn.toBackend),
      toClient: Buffer.concat(p.conn.toClient),
    });
  }
});
after(async () => {
  await plain.close();
  await deflated.close();
});

test('random and mutated streams: nothing throws, counts exact, records consistent (~3 s)', async () => {
  const { recorder, frames: all } = collectingRecorder();
  let checked = 0;
  const deadline = Date.now() + 3000;
  let runs = 0;
  while (Date.now() < deadline && runs < 200_000) {
    runs++;
    const sample = samples[rnd(samples.length)]!;
    const random = rnd(4) === 0;
    const ext = random
      ? EXTENSIONS[rnd(EXTENSIONS.length)]
      : rnd(5) === 0
        ? EXTENSIONS[rnd(EXTENSIONS.length)]
        : sample.ext;
    const toBackend = random ? randomBytes(rnd(2000)) : mutate(sample.toBackend);
    const toClient = random ? randomBytes(rnd(2000)) : mutate(sample.toClient);
    const session = sessionRecord(runs);
    const tap = createFrameTap({
      session,
      deflate: parseDeflate(ext),
      recorder,
      inspect: inspectOptions({ frameBytes: [0, 5, 200, 256 * 1024][rnd(4)]!, frames: rnd(10) !== 0 }),
    });
    const trackers = [new BoundaryTracker(), new BoundaryTracker()];
    feedChunked(toBackend, (c) => {
      tap.client(c);
      const o = trackers[0]!.feed(c);
      assert.ok(o === -1 || (o >= 1 && o <= c.length));
    });
    feedChunked(toClient, (c) => {
      tap.backend(c);
      const o = trackers[1]!.feed(c);
      assert.ok(o === -1 || (o >= 1 && o <= c.length));
    });
    tap.end();
    assert.equal(session.counts.bytesToBackend, toBackend.length);
    assert.equal(session.counts.bytesToClient, toClient.length);
    for (; checked < all.length; checked++) checkRecord(all[checked]!);
    if (runs % 200 === 0) await sleep(0);
  }
  await sleep(200); // records of messages still inflating asynchronously
  for (; checked < all.length; checked++) checkRecord(all[checked]!);
  assert.ok(all.length > 1000, `only ${all.length} records`);
  assert.ok(runs > 100, `only ${runs} runs`);
});
