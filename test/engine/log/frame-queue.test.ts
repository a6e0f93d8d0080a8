// The packed frame queue: frames come back exactly as they went in, paged by seq across blocks, sizes add up.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FrameRecord } from '../../../shared/events.ts';
import { pooledBytes, sizeClass, takePayloadBuffer } from '../../../main/engine/log/buffers.ts';
import { FrameQueue, PACKED_FRAME_OVERHEAD } from '../../../main/engine/log/frame-queue.ts';
import { setLazy, type LazyEncoding } from '../../../main/engine/log/lazy.ts';
import { frameSize } from '../../../main/engine/log/size.ts';
import { binaryFrame, textFrame } from '../../helpers/records.ts';

/** A mix of every shape a frame can have, seq 1..n. */
function frames(n: number): FrameRecord[] {
  const out: FrameRecord[] = [];
  for (let seq = 1; seq <= n; seq++) {
    let f: FrameRecord;
    switch (seq % 7) {
      case 0:
        f = binaryFrame(9, seq, Buffer.from([seq & 0xff, 1, 2]));
        break;
      case 1:
        f = { ...textFrame(9, seq, `msg ${seq} é`), compressed: true, truncated: true };
        break;
      case 2:
        f = { ...textFrame(9, seq, 'bye', 'receive'), opcode: 8, closeCode: 1000, closeReason: 'bye' };
        break;
      case 3:
        f = { ...textFrame(9, seq, '', 'send'), encoding: 'base64', problems: ['invalid UTF-8 in a text message'] };
        break;
      case 4:
        f = { ...textFrame(9, seq, 'ping', 'receive'), opcode: 9, injected: true };
        break;
      case 5: {
        f = binaryFrame(9, seq, Buffer.alloc(0));
        setLazy(f, 'data', Buffer.alloc(10_000, seq & 0xff), 'base64');
        break;
      }
      default:
        f = { ...textFrame(9, seq, 'x'), compressed: false };
    }
    f.time = 1_700_000_000 + seq / 7;
    out.push(f);
  }
  return out;
}

describe('FrameQueue', () => {
  it('gives every frame back equal to what was pushed, across blocks', () => {
    const q = new FrameQueue(9);
    const input = frames(700);
    let bytes = 0;
    for (const f of input) bytes += q.push(f);
    assert.equal(q.length, 700);
    assert.equal(q.firstSeq(), 1);
    assert.equal(q.lastSeq(), 700);
    assert.deepStrictEqual(q.all(), input);
    assert.equal(JSON.stringify(q.all().map((f) => f.data)), JSON.stringify(input.map((f) => f.data)));
    // Packed frames count their data and a fixed overhead; whole ones what frameSize says.
    const expected = input.reduce(
      (n, f) =>
        n +
        (f.seq % 7 === 2 || f.seq % 7 === 3 || f.seq % 7 === 5 || f.seq % 7 === 6
          ? frameSize(f)
          : PACKED_FRAME_OVERHEAD + f.data.length),
      0,
    );
    assert.equal(bytes, expected);
    let shifted = 0;
    while (q.length > 0) shifted += q.shift();
    assert.equal(shifted, bytes);
    assert.equal(q.shift(), 0);
    assert.deepStrictEqual(q.all(), []);
  });

  it('pages by seq with after and limit, after dropping from the front', () => {
    const q = new FrameQueue(9);
    const input = frames(600);
    for (const f of input) q.push(f);
    for (let i = 0; i < 250; i++) q.shift();
    assert.equal(q.firstSeq(), 251);
    const first = q.page(0, 10);
    assert.deepEqual(
      first.frames.map((f) => f.seq),
      [251, 252, 253, 254, 255, 256, 257, 258, 259, 260],
    );
    assert.equal(first.more, true);
    const mid = q.page(333, 100);
    assert.deepEqual(
      mid.frames.map((f) => f.seq),
      Array.from({ length: 100 }, (_, i) => 334 + i),
    );
    assert.deepStrictEqual(mid.frames, input.slice(333, 433));
    const tail = q.page(590, 100);
    assert.deepEqual(
      tail.frames.map((f) => f.seq),
      [591, 592, 593, 594, 595, 596, 597, 598, 599, 600],
    );
    assert.equal(tail.more, false);
    assert.deepEqual(q.page(600, 5), { frames: [], more: false });
    // Exactly `limit` left: no more.
    assert.equal(q.page(590, 10).more, false);
    // Push after draining keeps working.
    while (q.length > 0) q.shift();
    q.push(textFrame(9, 601, 'again'));
    assert.deepEqual(
      q.page(0, 5).frames.map((f) => f.data),
      ['again'],
    );
    assert.equal(q.firstSeq(), 601);
  });

  it('blocks emptied by one session are reused by another without leaking old frames', () => {
    const a = new FrameQueue(1);
    for (let seq = 1; seq <= 2000; seq++) a.push({ ...textFrame(1, seq, `a${seq}`), compressed: true });
    while (a.length > 1000) a.shift(); // several full blocks emptied
    const b = new FrameQueue(2);
    const input = Array.from({ length: 900 }, (_, i) => textFrame(2, i + 1, `b${i + 1}`, i % 2 ? 'send' : 'receive'));
    for (const f of input) b.push(f);
    assert.deepStrictEqual(b.all(), input);
    assert.deepStrictEqual(b.page(450, 3).frames, input.slice(450, 453));
    // The first session is untouched by the reuse.
    assert.equal(a.firstSeq(), 1001);
    assert.deepStrictEqual(a.page(1999, 5).frames, [{ ...textFrame(1, 2000, 'a2000'), compressed: true }]);
  });

  it('with takeRaw, raw payloads are packed and decoded when read (text, utf8, base64)', () => {
    const q = new FrameQueue(9);
    const input: FrameRecord[] = [];
    const kinds = [
      { bytes: Buffer.from('a'.repeat(9000)), encoding: 'latin1', as: 'text' },
      { bytes: Buffer.from('é✓'.repeat(3000)), encoding: 'utf8', as: 'text' },
      { bytes: Buffer.alloc(9000, 7), encoding: 'base64', as: 'base64' },
    ] as const;
    for (const [i, k] of kinds.entries()) {
      const f = textFrame(9, i + 1, '');
      f.encoding = k.as;
      f.length = k.bytes.length;
      setLazy(f, 'data', Buffer.from(k.bytes), k.encoding);
      input.push(f);
      assert.equal(q.push(f, true), PACKED_FRAME_OVERHEAD + k.bytes.length);
    }
    const out = q.all();
    assert.deepStrictEqual(out, input);
    assert.equal(out[1]!.data, 'é✓'.repeat(3000));
    assert.equal(out[2]!.data, Buffer.alloc(9000, 7).toString('base64'));
  });

  it('raw payloads are held as their memory or as a view alike: same frames, same sizes, pool memory recycled', () => {
    // Seeded, so a failure can be replayed.
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const q = new FrameQueue(9);
    const input: FrameRecord[] = [];
    const sizes: number[] = [];
    const pooled: number[] = [];
    for (let seq = 1; seq <= 160; seq++) {
      const length = 8192 + rand(24_000);
      let raw: Buffer;
      let truncated = false;
      switch (rand(4)) {
        case 0: // all of a pool buffer's kept bytes, from its start (held as the ArrayBuffer)
          raw = takePayloadBuffer(length).subarray(0, length);
          pooled.push(seq);
          break;
        case 1: // a view that does not start at its memory's start
          raw = Buffer.allocUnsafeSlow(length + 64).subarray(64);
          break;
        case 2: // cut short: fewer bytes kept than the payload had
          raw = takePayloadBuffer(length).subarray(0, length - 1 - rand(100));
          truncated = true;
          pooled.push(seq);
          break;
        default: // a plain Buffer of its own
          raw = Buffer.allocUnsafeSlow(length);
      }
      for (let i = 0; i < raw.length; i += 97) raw[i] = rand(128);
      const encoding: LazyEncoding = (['base64', 'latin1', 'utf8'] as const)[rand(3)]!;
      const f = textFrame(9, seq, '', rand(2) ? 'send' : 'receive');
      f.encoding = encoding === 'base64' ? 'base64' : 'text';
      f.length = length;
      if (truncated) f.truncated = true;
      setLazy(f, 'data', raw, encoding);
      const size = q.push(f, true);
      assert.equal(size, PACKED_FRAME_OVERHEAD + Math.max(raw.length, raw.buffer.byteLength), `size of frame ${seq}`);
      sizes.push(size);
      input.push(f);
    }
    assert.deepStrictEqual(q.all(), input);
    assert.deepStrictEqual(q.page(100, 3).frames, input.slice(100, 103));
    const before = pooledBytes();
    let given = 0;
    for (const [i, size] of sizes.entries()) {
      assert.equal(q.shift(), size);
      if (pooled.includes(i + 1)) given += sizeClass(input[i]!.length);
    }
    // Every pool buffer came back, whether it was held as its memory or as a view (all fit in the pool's 8 MiB).
    assert.ok(before + given <= 8 * 1024 * 1024, `${before} + ${given} bytes fit the pool`);
    assert.equal(pooledBytes() - before, given);
  });

  it('rebuilt frames are new objects: changing one does not change the log', () => {
    const q = new FrameQueue(9);
    q.push(textFrame(9, 1, 'original'));
    const a = q.page(0, 1).frames[0]!;
    a.data = 'changed';
    assert.equal(q.page(0, 1).frames[0]!.data, 'original');
  });

  it('frames pushed as bytes come back decoded, sized by their bytes, with whole frames among them, and blocks reused after eviction stay correct', () => {
    const q = new FrameQueue(9);
    const expected: FrameRecord[] = [];
    const sizes: number[] = [];
    let seq = 0;
    const pushSome = (n: number) => {
      for (let k = 0; k < n; k++) {
        seq++;
        if (seq % 5 === 0) {
          const f = { ...textFrame(9, seq, 'bye', 'receive'), opcode: 8 as const, closeCode: 1000, closeReason: 'bye' };
          sizes.push(q.push(f));
          expected.push(f);
          continue;
        }
        const text = seq % 2 === 0;
        const bytes = text
          ? Buffer.from(`é${'x'.repeat(seq % 700)}`)
          : Buffer.from([seq & 0xff, 0, 255, 7].concat(Array(seq % 900).fill(seq & 0x7f)));
        // A source larger than the kept bytes: only src[start, end) is kept.
        const src = Buffer.concat([Buffer.from('[['), bytes, Buffer.from(']]')]);
        const truncated = seq % 3 === 0;
        const length = bytes.length + (truncated ? 10 : 0);
        sizes.push(
          q.pushBytes({
            session: 9,
            seq,
            receive: seq % 4 === 1,
            opcode: text ? 1 : 2,
            time: 1_700_000_000 + seq / 3,
            length,
            wire: length + 4,
            fragments: 1 + (seq % 2),
            encoding: text ? 'utf8' : 'base64',
            truncated,
            src,
            start: 2,
            end: 2 + bytes.length,
          }),
        );
        src.fill(0);
        const f: FrameRecord = {
          session: 9,
          seq,
          type: seq % 4 === 1 ? 'receive' : 'send',
          time: 1_700_000_000 + seq / 3,
          opcode: text ? 1 : 2,
          data: bytes.toString(text ? 'utf8' : 'base64'),
          encoding: text ? 'text' : 'base64',
          length,
          wireLength: length + 4,
          fragments: 1 + (seq % 2),
        };
        if (truncated) f.truncated = true;
        assert.equal(sizes[sizes.length - 1], PACKED_FRAME_OVERHEAD + bytes.length);
        expected.push(f);
      }
    };
    pushSome(1500);
    assert.deepStrictEqual(q.all(), expected);
    assert.equal(JSON.stringify(q.all()), JSON.stringify(expected));
    assert.deepStrictEqual(q.last(), expected[expected.length - 1]);
    // Evict most of them (whole blocks go back as spares), then fill again: reused arenas hold the new bytes.
    for (let i = 0; i < 1200; i++) assert.equal(q.shift(), sizes[i]);
    pushSome(1500);
    assert.deepStrictEqual(q.all(), expected.slice(1200));
    assert.deepStrictEqual(q.page(2000, 5).frames, expected.slice(2000, 2005));
  });
});
