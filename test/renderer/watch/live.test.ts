// The Watch model: upserts by id, pause/resume, clear, overflow refetch, per-session frame paging + live merge.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FramesPage, ListPage, RecordView } from '../../../shared/api.ts';
import type { FrameRecord } from '../../../shared/events.ts';
import { LiveLog, SessionFrames } from '../../../renderer/watch/live.ts';
import { filterLog, statusClassOf } from '../../../renderer/watch/log-filter.ts';
import { fakeBridge } from '../../helpers/fake-bridge.ts';
import { httpRecord, textFrame, wsRecord } from '../../helpers/records.ts';

const page = (items: RecordView[]): ListPage<RecordView> => ({ items, total: items.length, more: false });

describe('LiveLog', () => {
  it('upserts by id in id order and notifies', () => {
    const live = new LiveLog(fakeBridge({}));
    let calls = 0;
    live.subscribe(() => calls++);
    live.apply([
      { type: 'http', record: httpRecord(2, { url: '/b' }) },
      { type: 'http', record: httpRecord(1, { url: '/a' }) },
    ]);
    live.apply([{ type: 'http', record: httpRecord(2, { url: '/b', status: 404, done: true }) }]);
    assert.deepEqual(
      live.records.map((r) => r.id),
      [1, 2],
    );
    assert.equal((live.get(2) as { status?: number }).status, 404);
    assert.equal(calls, 2);
  });

  it('caps the records it holds, oldest out', () => {
    const live = new LiveLog(fakeBridge({}), { maxRecords: 3 });
    live.apply([1, 2, 3, 4, 5].map((id) => ({ type: 'http' as const, record: httpRecord(id) })));
    assert.deepEqual(
      live.records.map((r) => r.id),
      [3, 4, 5],
    );
  });

  it('holds events while paused and applies them on resume; frames keep flowing', () => {
    const live = new LiveLog(fakeBridge({}));
    const frames: FrameRecord[] = [];
    live.onFrames((f) => frames.push(...f));
    live.setPaused(true);
    live.apply([
      { type: 'http', record: httpRecord(1) },
      { type: 'frame', frame: textFrame(1, 1, 'x') },
    ]);
    assert.equal(live.records.length, 0);
    assert.equal(live.heldCount, 1);
    assert.equal(frames.length, 1);
    live.setPaused(false);
    assert.deepEqual(
      live.records.map((r) => r.id),
      [1],
    );
  });

  it('"cleared" empties it; an overflow marker refetches', async () => {
    let fetched = 0;
    const live = new LiveLog(fakeBridge({ listRequests: async () => (fetched++, page([httpRecord(7), wsRecord(8)])) }));
    live.apply([{ type: 'http', record: httpRecord(1) }, { type: 'cleared' }]);
    assert.equal(live.records.length, 0);
    live.apply([{ type: 'overflow', dropped: 3 }]);
    await live.reload();
    assert.equal(fetched, 1, 'concurrent reloads share one fetch');
    assert.deepEqual(
      live.records.map((r) => r.id),
      [7, 8],
    );
  });

  it('reload keeps newer records that arrived while it was fetching', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const live = new LiveLog(
      fakeBridge({ listRequests: async () => (await gate, page([httpRecord(1), httpRecord(2)])) }),
    );
    const loading = live.reload();
    live.apply([{ type: 'http', record: httpRecord(3) }]);
    release();
    await loading;
    assert.deepEqual(
      live.records.map((r) => r.id),
      [1, 2, 3],
    );
  });
});

describe('SessionFrames', () => {
  it('pages through held frames, then merges live frames without duplicates', async () => {
    const held = Array.from({ length: 25 }, (_, i) => textFrame(5, i + 1, `f${i + 1}`));
    const asked: Array<number | undefined> = [];
    let model!: SessionFrames;
    const bridge = fakeBridge({
      async frames(_id, q): Promise<FramesPage> {
        asked.push(q?.after);
        // A live frame arrives mid-load, and one the page already has.
        if (q?.after === 10)
          model.add([textFrame(5, 26, 'live'), textFrame(5, 20, 'dup'), textFrame(6, 1, 'other session')]);
        const start = held.findIndex((f) => f.seq > (q?.after ?? 0));
        const frames = held.slice(start, start + 10);
        return { frames, more: start + 10 < held.length, framesEvicted: 0, firstSeq: 1, lastSeq: 25 };
      },
    });
    model = new SessionFrames(bridge, 5);
    await model.load();
    assert.deepEqual(asked, [0, 10, 20]);
    assert.equal(model.frames.length, 26);
    assert.equal(model.frames.at(-1)!.data, 'live');
    model.add([textFrame(5, 26, 'again'), textFrame(5, 27, 'next')]);
    assert.deepEqual(
      model.frames.slice(-2).map((f) => f.data),
      ['live', 'next'],
    );
  });
});

describe('log filters', () => {
  it('by status class, route, text and WS only', () => {
    const records: RecordView[] = [
      httpRecord(1, { status: 200, done: true, route: '/api/', url: '/api/users' }),
      httpRecord(2, {
        status: 502,
        done: true,
        route: '/api/',
        url: '/api/x',
        error: { code: 'ECONNREFUSED', message: 'refused', side: 'backend' },
      }),
      wsRecord(3, { state: 'failed', status: 403, route: '/ws' }),
      wsRecord(4, { state: 'open', route: '/ws' }),
      httpRecord(5, { done: false, status: undefined }),
    ];
    assert.deepEqual(records.map(statusClassOf), ['2xx', '5xx', '4xx', '1xx', 'pending']);
    const ids = (f: Partial<Parameters<typeof filterLog>[1]>) =>
      filterLog(records, { text: '', route: '', status: [], wsOnly: false, ...f }).map((r) => r.id);
    assert.deepEqual(ids({ status: ['4xx', '5xx'] }), [2, 3]);
    assert.deepEqual(ids({ route: '/ws' }), [3, 4]);
    assert.deepEqual(ids({ text: 'econnrefused' }), [2]);
    assert.deepEqual(ids({ wsOnly: true }), [3, 4]);
  });
});
