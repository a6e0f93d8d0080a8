// Frame list logic: incremental filtering, regex errors, row lookup, payload views, rates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FrameRecord } from '../../../shared/events.ts';
import {
  base64ToBytes,
  bytesToBase64,
  FrameIndex,
  frameJson,
  frameText,
  hexDump,
  parseHex,
  rates,
} from '../../../renderer/watch/frames.ts';

function frame(seq: number, over: Partial<FrameRecord> = {}): FrameRecord {
  const data = over.data ?? `message ${seq}`;
  return {
    session: 1,
    seq,
    type: seq % 2 ? 'send' : 'receive',
    time: 1000 + seq / 10,
    opcode: 1,
    data,
    encoding: 'text',
    length: data.length,
    wireLength: data.length + 2,
    fragments: 1,
    ...over,
  };
}

describe('FrameIndex', () => {
  it('filters by direction, opcode and regex, case-insensitively', () => {
    const frames = [
      frame(1),
      frame(2),
      frame(3, { opcode: 9, data: '' }),
      frame(4, { data: 'HELLO world' }),
      frame(5, { opcode: 2, encoding: 'base64', data: 'AQID' }),
    ];
    const ix = new FrameIndex();
    assert.equal(ix.update(frames, { direction: 'all', opcodes: [], search: '' }), 5);
    assert.equal(ix.update(frames, { direction: 'send', opcodes: [], search: '' }), 3);
    assert.equal(ix.update(frames, { direction: 'all', opcodes: [1], search: '' }), 3);
    assert.equal(ix.update(frames, { direction: 'all', opcodes: [], search: 'hello\\s+W' }), 1);
    assert.equal(ix.at(0), 3);
    assert.equal(ix.rowOf(3), 0);
    assert.equal(ix.rowOf(0), -1);
  });

  it('tests only new frames when the array grows, and starts over on a new filter', () => {
    const frames: FrameRecord[] = [];
    for (let i = 1; i <= 3000; i++) frames.push(frame(i));
    const ix = new FrameIndex();
    const filter = { direction: 'all' as const, opcodes: [], search: '7$' };
    assert.equal(ix.update(frames, filter), 300);
    frames.push(frame(3001, { data: 'x7' }), frame(3002));
    assert.equal(ix.update(frames, filter), 301);
    assert.equal(ix.at(300), 3000);
    assert.equal(ix.update(frames, { ...filter, search: '77$' }), 30);
  });

  it('reports a bad regex and shows everything meanwhile', () => {
    const ix = new FrameIndex();
    assert.equal(ix.update([frame(1), frame(2)], { direction: 'all', opcodes: [], search: '(' }), 2);
    assert.match(ix.error ?? '', /Invalid regular expression/);
  });

  it('searches close frames by code and reason', () => {
    const ix = new FrameIndex();
    assert.equal(
      ix.update([frame(1, { opcode: 8, data: '', closeCode: 4001, closeReason: 'bye' })], {
        direction: 'all',
        opcodes: [],
        search: '4001 bye',
      }),
      1,
    );
  });
});

describe('payload views', () => {
  it('hex dump, 16 bytes a line with ASCII', () => {
    const dump = hexDump(new TextEncoder().encode('{"kind":"json","n":42}'));
    const lines = dump.split('\n');
    assert.equal(lines.length, 2);
    assert.equal(lines[0], '00000000  7b 22 6b 69 6e 64 22 3a  22 6a 73 6f 6e 22 2c 22  |{"kind":"json","|');
    assert.match(lines[1]!, /^00000010 {2}6e 22 3a 34 32 7d {2,}\|n":42}\|$/);
    assert.match(hexDump(new Uint8Array(40), 16), /… 24 more bytes$/);
  });

  it('hex input and base64 round trip', () => {
    assert.deepEqual([...parseHex('de ad:BE,ef')!], [0xde, 0xad, 0xbe, 0xef]);
    assert.equal(parseHex('abc'), null);
    assert.equal(parseHex('zz'), null);
    const bytes = new Uint8Array([0, 1, 250, 255]);
    assert.deepEqual([...base64ToBytes(bytesToBase64(bytes))], [...bytes]);
  });

  it('text and JSON of frames', () => {
    assert.equal(frameText(frame(1, { encoding: 'base64', data: Buffer.from('héllo').toString('base64') })), 'héllo');
    assert.deepEqual(frameJson(frame(1, { data: ' {"a":[1,2]} ' })), { ok: true, value: { a: [1, 2] } });
    assert.deepEqual(frameJson(frame(1, { data: 'not json' })), { ok: false });
  });
});

describe('rates', () => {
  it('messages and wire bytes per second over the window', () => {
    const frames = [
      frame(1, { time: 95.5 }),
      frame(2, { time: 99.1 }),
      frame(3, { time: 99.9 }),
      frame(4, { time: 100.2 }),
    ];
    const r = rates(frames, 100.5, 5);
    // Window 96..100: the frame at 95.5 is out, 99.1 and 99.9 share a second.
    assert.deepEqual(r.messages, [0, 0, 0, 2, 1]);
    assert.equal(r.bytes[3], frames[1]!.wireLength + frames[2]!.wireLength);
  });
});
