// Record ordering behind asynchronous inflation, the overflow valve, and aborting an inflation in flight.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateRawSync, constants } from 'node:zlib';
import { test } from 'node:test';
import type { FrameRecord } from '../../../../shared/events.ts';
import { Inflater, type InflateResult } from '../../../../main/engine/ws/frames/inflate.ts';
import { MAX_HELD_RECORDS, RecordQueue } from '../../../../main/engine/ws/frames/order.ts';
import { newRecord } from '../../../../main/engine/ws/frames/record.ts';
import { waitFor } from '../../../helpers/net.ts';
import { collectingRecorder } from '../../../helpers/ws-frames.ts';

const rec = (data: string): FrameRecord => ({ ...newRecord(1, 'send', 1, 0, 0, 1), data });

test('records wait behind a reserved slot and leave in order with sequence numbers', () => {
  const { recorder, frames } = collectingRecorder();
  const q = new RecordQueue(recorder, () => assert.fail('no overflow'));
  q.push(rec('a'));
  const slot = q.reserve();
  q.push(rec('c'));
  const slot2 = q.reserve();
  q.push(rec('e'));
  assert.deepEqual(
    frames.map((f) => f.data),
    ['a'],
  );
  q.resolve(slot2, rec('d'));
  assert.deepEqual(
    frames.map((f) => f.data),
    ['a'],
  );
  q.resolve(slot, rec('b'));
  assert.deepEqual(
    frames.map((f) => [f.data, f.seq]),
    [
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 4],
      ['e', 5],
    ],
  );
});

test('too many held records ask for pending work to be abandoned; a throwing recorder is contained', () => {
  let overflows = 0;
  let seen = 0;
  const q = new RecordQueue(
    {
      nextId: () => 1,
      http() {},
      ws() {},
      frame: () => {
        seen++;
        throw new Error('store failed');
      },
    },
    () => {
      overflows++;
      q.resolve(slot, rec('late'));
    },
  );
  const slot = q.reserve();
  for (let i = 0; i <= MAX_HELD_RECORDS; i++) q.push(rec(String(i)));
  assert.equal(overflows, 1);
  assert.equal(seen, MAX_HELD_RECORDS + 2);
});

test('aborting a streamed inflation resolves it with the reason, and later messages fail fast', async () => {
  // Random data does not compress: over 256 KiB of input takes the streaming path.
  const raw = randomBytes(600 * 1024);
  const z = deflateRawSync(raw, { finishFlush: constants.Z_SYNC_FLUSH });
  const inf = new Inflater({ noContextTakeover: false, windowBits: 15, keep: 100 });
  inf.begin();
  inf.write(z, 0, z.length - 4, null, 0);
  assert.equal(inf.busy, true);
  const results: InflateResult[] = [];
  inf.finish((r) => results.push({ ...r, data: Buffer.from(r.data) }));
  inf.abort('given up');
  await waitFor(() => results.length === 1, 'aborted result');
  assert.equal(results[0]!.error, 'given up');
  assert.equal(inf.busy, false);
  inf.begin();
  inf.write(Buffer.from([0x4b, 0x04, 0x00]), 0, 3, null, 0);
  inf.finish((r) => results.push(r));
  assert.equal(results[1]!.error, 'given up');
});

test('a streamed inflation delivers exact length and the first bytes, then frees its stream', async () => {
  const raw = randomBytes(600 * 1024);
  const z = deflateRawSync(raw, { finishFlush: constants.Z_SYNC_FLUSH });
  const inf = new Inflater({ noContextTakeover: true, windowBits: 15, keep: 100 });
  inf.begin();
  for (let i = 0; i < z.length - 4; i += 1000) inf.write(z, i, Math.min(i + 1000, z.length - 4), null, 0);
  let result: InflateResult | null = null;
  inf.finish((r) => (result = { ...r, data: Buffer.from(r.data) }));
  assert.equal(result, null, 'asynchronous');
  await waitFor(() => result, 'result');
  assert.equal(result!.length, raw.length);
  assert.deepEqual(result!.data, raw.subarray(0, 100));
  assert.equal(result!.error, undefined);
  assert.equal(inf.busy, false);
});
