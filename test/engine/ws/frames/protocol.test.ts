// Hand-crafted invalid frames: each is recorded with a problem, then its direction stops decoding but keeps counting.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { replay } from '../../../helpers/ws-frames.ts';
import { encodeClose, encodeFrame } from '../../../../main/engine/ws/frames/encode.ts';

const text = (s: string, mask = true) => encodeFrame({ opcode: 1, payload: Buffer.from(s), mask });
/** A valid frame with its first byte replaced (to carry what encodeFrame refuses to produce). */
function withByte0(b0: number, payload: Buffer, mask = true): Buffer {
  const f = encodeFrame({ opcode: 2, payload, mask });
  f[0] = b0;
  return f;
}

const cases: Array<[string, Buffer[], RegExp]> = [
  ['reserved opcode', [withByte0(0x83, Buffer.from('zz'))], /^reserved opcode 3$/],
  ['RSV2 bit', [withByte0(0xa1, Buffer.from('zz'))], /^reserved bit RSV2 set without a negotiated extension$/],
  [
    'control frame over 125 bytes',
    [withByte0(0x89, Buffer.alloc(126, 1))],
    /control frame \(opcode 9\) with 126 bytes/,
  ],
  ['fragmented control frame', [withByte0(0x09, Buffer.from('p'))], /^fragmented control frame/],
  [
    'continuation without start',
    [encodeFrame({ opcode: 0, payload: Buffer.from('c'), mask: true })],
    /^continuation frame without a message/,
  ],
  ['client frame not masked', [text('plain', false)], /^client frame is not masked$/],
  ['1-byte close payload', [withByte0(0x88, Buffer.from([3]))], /1-byte payload/],
  ['close code 1005 on the wire', [withByte0(0x88, Buffer.from([0x03, 0xed]))], /invalid close code 1005/],
];

describe('invalid frames from the client', () => {
  for (const [name, bad, problem] of cases) {
    test(name, async () => {
      const input = [text('before'), ...bad, text('after')];
      const r = await replay(input, [], undefined, {}, 2);
      assert.equal(r.frames.length, 2, 'nothing is decoded after the error');
      assert.equal(r.frames[0]!.data, 'before');
      const f = r.frames[1]!;
      assert.match(f.problems![0]!, problem);
      assert.match(f.problems!.at(-1)!, /decoding stopped/);
      // Counting goes on: every frame is counted, every byte too.
      assert.equal(r.session.counts.framesToBackend, input.length);
      assert.equal(
        r.session.counts.bytesToBackend,
        input.reduce((n, b) => n + b.length, 0),
      );
    });
  }

  test('a new message while a fragmented one is open: the half message is recorded too', async () => {
    const r = await replay(
      [encodeFrame({ opcode: 1, payload: Buffer.from('half'), mask: true, fin: false }), text('new')],
      [],
      undefined,
      {},
      2,
    );
    assert.equal(r.frames[0]!.data, 'half');
    assert.match(r.frames[0]!.problems![0]!, /interrupted by a protocol error/);
    assert.match(r.frames[1]!.problems![0]!, /new data frame \(opcode 1\) while a fragmented message is still open/);
  });

  test('after an error a close still tells who closed', async () => {
    const r = await replay([withByte0(0x83, Buffer.from('zz')), encodeClose(4100, 'x', true)], [], undefined, {}, 1);
    assert.equal(r.frames.length, 1);
    assert.deepEqual(r.tap.firstClose, { from: 'client', code: 4100, reason: 'x' });
  });

  test('a length with its most significant bit set stops frame counting, byte counting goes on', async () => {
    const bad = Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 9, 9, 9]);
    const r = await replay([text('ok'), bad, text('never')], [], undefined, {}, 2);
    assert.equal(r.frames.length, 2);
    assert.match(r.frames[1]!.problems![0]!, /most significant bit set; frame decoding and frame counting stopped/);
    assert.equal(r.session.counts.framesToBackend, 1);
    assert.equal(r.session.counts.bytesToBackend, text('ok').length + bad.length + text('never').length);
  });
});

describe('invalid frames from the backend', () => {
  test('a masked backend frame', async () => {
    const r = await replay([], [text('masked!', true), text('x', false)], undefined, {}, 1);
    assert.equal(r.frames.length, 1);
    assert.equal(r.frames[0]!.type, 'receive');
    assert.match(r.frames[0]!.problems![0]!, /^backend frame is masked$/);
    assert.equal(r.session.counts.framesToClient, 2);
  });

  test('an error in one direction does not stop the other', async () => {
    const r = await replay([withByte0(0x83, Buffer.from('zz')), text('c2')], [text('fine', false)], undefined, {}, 2);
    assert.deepEqual(
      r.frames.map((f) => [f.type, f.data]),
      [
        ['send', Buffer.from('zz').toString('base64')],
        ['receive', 'fine'],
      ],
    );
  });
});
