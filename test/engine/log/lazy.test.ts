// Lazy record fields: every way a record leaves the engine sees the decoded string; sizes come from the raw bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { heldBytes, isLazy, lazyLength, setLazy } from '../../../main/engine/log/lazy.ts';
import { frameSize, httpSize } from '../../../main/engine/log/size.ts';
import { binaryFrame, httpRecord } from '../../helpers/records.ts';

const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255, 104, 105]);

describe('lazy fields', () => {
  it('read, JSON, spread, structured clone, v8 serialization and deep equality all see the decoded value', () => {
    const plain = binaryFrame(1, 1, bytes);
    const lazy = binaryFrame(1, 1, Buffer.alloc(0));
    lazy.length = bytes.length;
    lazy.wireLength = plain.wireLength;
    setLazy(lazy, 'data', Buffer.from(bytes), 'base64');
    assert.equal(lazy.data, bytes.toString('base64'));
    assert.equal(JSON.stringify(lazy), JSON.stringify(plain));
    assert.deepStrictEqual({ ...lazy }, plain);
    assert.deepStrictEqual(structuredClone(lazy), plain);
    assert.deepStrictEqual(deserialize(serialize(lazy)), plain);
    assert.deepStrictEqual(lazy, plain);
    assert.deepEqual(Object.keys(lazy), Object.keys(plain));
  });

  it('decodes utf8 and latin1 text as such', () => {
    const o = { data: '' };
    setLazy(o, 'data', Buffer.from('héllo ✓', 'utf8'), 'utf8');
    assert.equal(o.data, 'héllo ✓');
    setLazy(o, 'data', Buffer.from('plain ascii'), 'latin1');
    assert.equal(o.data, 'plain ascii');
  });

  it('an assignment replaces the lazy value with a plain one', () => {
    const o: { data?: string } = {};
    setLazy(o, 'data', Buffer.from('abc'), 'base64');
    assert.equal(isLazy(o, 'data'), true);
    o.data = 'replaced';
    assert.equal(o.data, 'replaced');
    assert.equal(isLazy(o, 'data'), false);
    assert.equal(Object.getOwnPropertyDescriptor(o, 'data')!.value, 'replaced');
    assert.equal(JSON.stringify(o), '{"data":"replaced"}');
  });

  it('measures without decoding: base64 length exactly, bytes held as raw', () => {
    const raw = Buffer.alloc(30_000, 7);
    const f = binaryFrame(1, 1, Buffer.alloc(0));
    setLazy(f, 'data', raw, 'base64');
    assert.equal(lazyLength(f, 'data'), raw.toString('base64').length);
    assert.equal(heldBytes(f, 'data'), raw.length);
    // The store's estimate counts the raw bytes held, not the (larger) base64 string.
    assert.ok(frameSize(f) >= raw.length && frameSize(f) < raw.length + 1024, `frameSize ${frameSize(f)}`);
    const plain = binaryFrame(1, 1, raw);
    assert.ok(frameSize(plain) >= plain.data.length);
    assert.equal(lazyLength(plain, 'data'), plain.data.length);
    assert.equal(lazyLength({}, 'data'), 0);
  });

  it('counts lazy HTTP bodies by their raw size', () => {
    const r = httpRecord(1, { responseBody: undefined });
    const before = httpSize(r);
    setLazy(r, 'responseBody', Buffer.alloc(20_000), 'base64');
    const after = httpSize(r);
    assert.ok(after - before >= 20_000 && after - before < 20_100, `grew by ${after - before}`);
    assert.equal(Buffer.from(r.responseBody!, 'base64').length, 20_000);
  });
});
