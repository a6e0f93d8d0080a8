// FrameRecord payloads: large ones are kept as bytes and decoded when read, with the same result as small ones decoded at once.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { newRecord, setPayload } from '../../../../main/engine/ws/frames/record.ts';
import { isLazy, LAZY_MIN_BYTES } from '../../../../main/engine/log/lazy.ts';
import { waitFor } from '../../../helpers/net.ts';
import { ofType, replay, rechunk, stable, startTappedPair, type TappedPair } from '../../../helpers/ws-frames.ts';

function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

/** The record a payload gets, decoded at once or lazily (by padding it past the lazy threshold). */
function record(opcode: number, payload: Buffer, kept = payload.length, owned = false) {
  const rec = newRecord(1, 'send', opcode, 1, payload.length + 6, 1);
  const took = setPayload(rec, opcode, payload, 0, kept, payload.length, owned);
  return { rec, took };
}

describe('setPayload above the lazy threshold', () => {
  const N = LAZY_MIN_BYTES + 1000;
  const cases: Array<[string, number, Buffer, string, 'text' | 'base64', string[] | undefined]> = [
    ['ascii text', 1, Buffer.from('a'.repeat(N)), 'a'.repeat(N), 'text', undefined],
    ['utf8 text', 1, Buffer.from('é✓😀'.repeat(N / 9)), 'é✓😀'.repeat(N / 9), 'text', undefined],
    ['binary', 2, pattern(N), pattern(N).toString('base64'), 'base64', undefined],
    [
      'invalid utf8 text',
      1,
      Buffer.concat([Buffer.from('x'.repeat(N)), Buffer.from([0xff, 0xfe])]),
      '',
      'base64',
      ['invalid UTF-8 in a text message'],
    ],
  ];
  for (const [name, opcode, payload, want, encoding, problems] of cases) {
    test(`${name}: lazy, decoded on read, same as the bytes say`, () => {
      const { rec } = record(opcode, payload);
      assert.equal(isLazy(rec, 'data'), true);
      assert.equal(rec.encoding, encoding);
      assert.deepEqual(rec.problems, problems);
      assert.equal(rec.data, encoding === 'base64' ? payload.toString('base64') : want);
      assert.equal(rec.length, payload.length);
      assert.equal(JSON.parse(JSON.stringify(rec)).data, rec.data);
    });
  }

  test('truncated utf8 text drops the character cut in half, as below the threshold', () => {
    const payload = Buffer.from('😀'.repeat(N));
    const kept = LAZY_MIN_BYTES + 2; // cuts the 4-byte character in the middle
    const { rec } = record(1, payload, kept);
    assert.equal(rec.truncated, true);
    assert.equal(rec.data, '😀'.repeat(Math.floor(kept / 4)));
    assert.equal(rec.encoding, 'text');
    const small = record(1, Buffer.from('😀'.repeat(10)), 6).rec;
    assert.equal(small.data, '😀');
  });

  test('below the threshold the data is a plain string', () => {
    const { rec, took } = record(2, pattern(LAZY_MIN_BYTES - 1), LAZY_MIN_BYTES - 1, true);
    assert.equal(isLazy(rec, 'data'), false);
    assert.equal(took, false);
    assert.equal(rec.data, pattern(LAZY_MIN_BYTES - 1).toString('base64'));
  });

  test('an owned buffer is kept (not copied) and the caller is told; a borrowed one is copied', () => {
    const buf = pattern(N);
    const owned = record(2, buf, N, true);
    assert.equal(owned.took, true);
    buf.fill(0);
    assert.equal(owned.rec.data, buf.toString('base64'), 'the record reads the given buffer');
    const buf2 = pattern(N);
    const borrowed = record(2, buf2, N, false);
    assert.equal(borrowed.took, false);
    buf2.fill(0);
    assert.equal(borrowed.rec.data, pattern(N).toString('base64'), 'a copy survives reuse of the buffer');
    // A buffer mostly unused is not kept whole for a small part of it.
    const big = pattern(N * 3);
    assert.equal(record(2, big.subarray(0, N * 3), N, true).took, false);
  });
});

describe('large messages through a live tapped pair', () => {
  const pairs: TappedPair[] = [];
  after(async () => {
    for (const p of pairs) await p.close();
  });

  test('masked and unmasked, single and fragmented, text and binary: data exact, replays agree', async () => {
    const p = await startTappedPair({ inspect: { frameBytes: 40_000 } });
    pairs.push(p);
    const text = 'ü'.repeat(15_000); // 30,000 bytes
    const bin = pattern(100_000); // truncated to 40,000
    p.client.send(text);
    p.client.send(bin);
    p.client.send(bin.subarray(0, 20_000), { fin: false });
    p.client.send(bin.subarray(20_000, 30_000), { fin: true });
    await waitFor(() => p.serverGot.length === 3, 'server got 3', 10_000);
    p.server.send(text);
    p.server.send(bin);
    await waitFor(() => p.frames.length === 5, '5 records', 10_000);
    const send = ofType(p.frames, 'send');
    const recv = ofType(p.frames, 'receive');
    for (const [f, want] of [
      [send[0]!, text],
      [recv[0]!, text],
    ] as const) {
      assert.equal(isLazy(f, 'data'), true);
      assert.equal(f.data, want);
      assert.equal(f.encoding, 'text');
    }
    for (const f of [send[1]!, recv[1]!]) {
      assert.equal(f.data, bin.subarray(0, 40_000).toString('base64'));
      assert.equal(f.truncated, true);
      assert.equal(f.length, 100_000);
    }
    assert.equal(send[2]!.fragments, 2);
    assert.equal(send[2]!.data, bin.subarray(0, 30_000).toString('base64'));
    // The same bytes in 1..5000-byte pieces decode to the same records.
    const r = await replay(
      rechunk(p.conn.toBackend, () => 1 + Math.floor(Math.random() * 5000)),
      rechunk(p.conn.toClient, () => 1 + Math.floor(Math.random() * 5000)),
      p.conn.extensions,
      { frameBytes: 40_000 },
      p.frames.length,
    );
    assert.deepEqual(ofType(r.frames, 'send').map(stable), send.map(stable));
    assert.deepEqual(ofType(r.frames, 'receive').map(stable), recv.map(stable));
  });
});
