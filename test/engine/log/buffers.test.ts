// The payload buffer pool: reuse by size class, only its own memory, no double hand-out; the session log recycles only what nobody saw.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  givePayloadBuffer,
  MIN_POOLED_BYTES,
  pooledBytes,
  sizeClass,
  takePayloadBuffer,
} from '../../../main/engine/log/buffers.ts';
import { isLazy, setLazy } from '../../../main/engine/log/lazy.ts';
import { SessionLog } from '../../../main/engine/log/store.ts';
import { binaryFrame, wsRecord } from '../../helpers/records.ts';

describe('payload buffer pool', () => {
  it('rounds sizes up to powers of two from 8 KiB', () => {
    assert.equal(sizeClass(1), MIN_POOLED_BYTES);
    assert.equal(sizeClass(MIN_POOLED_BYTES + 1), MIN_POOLED_BYTES * 2);
    assert.equal(sizeClass(65536), 65536);
    assert.equal(takePayloadBuffer(40_000).length, 65536);
  });

  it('hands a given-back buffer out again, once', () => {
    const a = takePayloadBuffer(20_000);
    const before = pooledBytes();
    givePayloadBuffer(a.subarray(0, 100));
    givePayloadBuffer(a); // a second give of the same memory is ignored
    assert.equal(pooledBytes(), before + a.length);
    const b = takePayloadBuffer(30_000);
    assert.equal(b.buffer, a.buffer);
    const c = takePayloadBuffer(30_000);
    assert.notEqual(c.buffer, a.buffer);
    assert.equal(pooledBytes(), before);
  });

  it('ignores memory it did not hand out (Node pool slices, plain buffers)', () => {
    const before = pooledBytes();
    givePayloadBuffer(Buffer.allocUnsafe(100)); // a slice of Node's shared 8 KiB pool
    givePayloadBuffer(Buffer.allocUnsafeSlow(16 * 1024));
    givePayloadBuffer(Buffer.alloc(8192));
    assert.equal(pooledBytes(), before);
  });
});

describe('SessionLog recycling', () => {
  const handedOut: ArrayBufferLike[] = [];
  const lazyFrame = (session: number, seq: number, fill: number) => {
    const f = binaryFrame(session, seq, Buffer.alloc(0));
    const bytes = takePayloadBuffer(16 * 1024).fill(fill);
    handedOut.push(bytes.buffer);
    f.length = bytes.length;
    setLazy(f, 'data', bytes, 'base64');
    return f;
  };

  it('keeps raw payloads packed, decodes them when read, and recycles them on eviction', () => {
    const log = new SessionLog({ capBytes: 64 * 1024 });
    const id = log.nextId();
    log.ws(wsRecord(id));
    const first = lazyFrame(id, 1, 1);
    const firstMemory = handedOut[handedOut.length - 1]!;
    log.frame(first);
    const seen = log.frames(id)!.frames[0]!;
    assert.notEqual(seen, first, 'a rebuilt copy');
    assert.equal(isLazy(seen, 'data'), false, 'decoded when read');
    assert.deepStrictEqual(seen, first);
    for (let seq = 2; seq <= 10; seq++) log.frame(lazyFrame(id, seq, seq));
    assert.ok(log.getSession(id)!.framesEvicted >= 2, 'the first ones were evicted');
    for (let i = 0; i < 4; i++) handedOut.push(takePayloadBuffer(16 * 1024).fill(0xee).buffer);
    assert.ok(handedOut.slice(1).includes(firstMemory), 'the evicted payload memory was reused');
    // What a reader got stays what it was.
    assert.equal(Buffer.from(seen.data, 'base64')[0], 1);
    const last = log.frames(id, { after: 9 })!.frames[0]!;
    assert.equal(Buffer.from(last.data, 'base64')[5], 10);
  });

  it('frames sent to subscribers are never recycled', () => {
    const log = new SessionLog({ capBytes: 64 * 1024 });
    const got: unknown[] = [];
    const off = log.subscribe((batch) => got.push(...batch));
    const id = log.nextId();
    log.ws(wsRecord(id));
    const frames = Array.from({ length: 8 }, (_, i) => lazyFrame(id, i + 1, i + 1));
    for (const f of frames) log.frame(f);
    log.flush();
    off();
    for (const [i, f] of frames.entries()) assert.equal(Buffer.from(f.data, 'base64')[100], i + 1);
  });
});
