// SessionLog: queries, in-place updates, byte cap and eviction order, batching and coalescing, clear.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { LogEvent } from '../../../shared/events.ts';
import { SessionLog } from '../../../main/engine/log/store.ts';
import { waitFor } from '../../helpers/net.ts';
import { binaryFrame, countFrame, httpRecord, textFrame, wsRecord } from '../../helpers/records.ts';

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('SessionLog queries', () => {
  const log = new SessionLog();
  const ids = Array.from({ length: 6 }, () => log.nextId());
  log.http(httpRecord(ids[0]!, { status: 200 }));
  log.http(httpRecord(ids[1]!, { status: 404, route: '/static', handler: 'static', url: '/missing.png' }));
  log.http(
    httpRecord(ids[2]!, {
      status: 502,
      error: { code: 'ECONNREFUSED', message: 'backend refused the connection', side: 'backend' },
    }),
  );
  log.http(httpRecord(ids[3]!, { status: undefined, done: false, responseHeaders: undefined, timings: {} }));
  log.ws(wsRecord(ids[4]!, { state: 'open' }));
  log.ws(wsRecord(ids[5]!, { state: 'failed', status: 403 }));

  it('lists requests newest last, sessions apart, both with kind "all"', () => {
    assert.deepEqual(
      log.listHttp().items.map((r) => r.id),
      ids.slice(0, 4),
    );
    assert.deepEqual(
      log.listSessions().items.map((r) => r.id),
      ids.slice(4),
    );
    assert.equal(log.list({ kind: 'all' }).total, 6);
    assert.deepEqual(
      log.list({ wsOnly: true }).items.map((r) => r.id),
      ids.slice(4),
    );
  });

  it('filters by status class, route, handler and text', () => {
    assert.deepEqual(
      log.listHttp({ status: ['4xx', '5xx'] }).items.map((r) => r.id),
      [ids[1], ids[2]],
    );
    assert.deepEqual(
      log.list({ status: ['error'] }).items.map((r) => r.id),
      [ids[2], ids[5]],
    );
    assert.deepEqual(
      log.list({ status: ['pending'] }).items.map((r) => r.id),
      [ids[3], ids[4]],
    );
    assert.deepEqual(
      log.listHttp({ route: '/static' }).items.map((r) => r.id),
      [ids[1]],
    );
    assert.deepEqual(
      log.listHttp({ handler: 'static' }).items.map((r) => r.id),
      [ids[1]],
    );
    assert.deepEqual(
      log.listHttp({ text: 'REFUSED' }).items.map((r) => r.id),
      [ids[2]],
    );
    assert.deepEqual(
      log.listHttp({ text: 'missing.png' }).items.map((r) => r.id),
      [ids[1]],
    );
  });

  it('pages with limit (newest), after and before', () => {
    const newest = log.listHttp({ limit: 2 });
    assert.deepEqual(
      newest.items.map((r) => r.id),
      [ids[2], ids[3]],
    );
    assert.equal(newest.more, true);
    assert.equal(newest.total, 4);
    const after = log.listHttp({ after: ids[0], limit: 2 });
    assert.deepEqual(
      after.items.map((r) => r.id),
      [ids[1], ids[2]],
    );
    assert.equal(after.more, true);
    assert.deepEqual(
      log.listHttp({ before: ids[2] }).items.map((r) => r.id),
      [ids[0], ids[1]],
    );
  });
});

describe('SessionLog records and frames', () => {
  it('updates a record reported again (same object or a new one) without duplicating it', () => {
    const log = new SessionLog();
    const r = httpRecord(log.nextId(), { status: undefined, done: false, responseBody: undefined });
    log.http(r);
    const before = log.bytes;
    r.status = 200;
    r.done = true;
    r.responseBody = Buffer.alloc(3000, 1).toString('base64');
    log.http(r);
    assert.equal(log.listHttp().total, 1);
    assert.equal(log.listHttp().items[0]!.status, 200);
    assert.ok(log.bytes >= before + 4000, 'the body is counted once it arrives');
    log.http({ ...r, status: 201 });
    assert.equal(log.listHttp().items[0]!.status, 201);
    assert.equal(log.stats().records, 1);
  });

  it('pages frames by seq and describes the session', () => {
    const log = new SessionLog();
    const id = log.nextId();
    log.ws(wsRecord(id));
    for (let seq = 1; seq <= 25; seq++) log.frame(textFrame(id, seq, `m${seq}`));
    log.frame(textFrame(9999, 1, 'no such session'));
    const page = log.frames(id, { after: 10, limit: 5 })!;
    assert.deepEqual(
      page.frames.map((f) => f.seq),
      [11, 12, 13, 14, 15],
    );
    assert.equal(page.more, true);
    const last = log.frames(id, { after: 20 })!;
    assert.deepEqual(
      last.frames.map((f) => f.data),
      ['m21', 'm22', 'm23', 'm24', 'm25'],
    );
    assert.equal(last.more, false);
    assert.deepEqual(log.getSession(id), {
      session: log.get(id),
      framesKept: 25,
      firstSeq: 1,
      lastSeq: 25,
      framesEvicted: 0,
    });
    assert.equal(log.frames(9999), null);
    assert.equal(log.stats().frames, 25);
  });
});

describe('SessionLog byte cap', () => {
  it('keeps a session with 1 GiB of traffic under the cap, with exact counts and the eviction marked', () => {
    const gc = forceGc();
    const cap = 8 * 1024 * 1024;
    const log = new SessionLog({ capBytes: cap });
    const id = log.nextId();
    const session = wsRecord(id);
    log.ws(session);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const raw = 48 * 1024; // 64 KiB of base64 per frame
    const total = (1024 * 1024 * 1024) / (64 * 1024); // 16384 frames: 1 GiB held as data
    let maxBytes = 0;
    for (let seq = 1; seq <= total; seq++) {
      const f = binaryFrame(id, seq, Buffer.alloc(raw, seq & 0xff), seq % 2 ? 'send' : 'receive');
      countFrame(session, f);
      log.frame(f);
      if (seq % 64 === 0) log.ws(session);
      if (log.bytes > maxBytes) maxBytes = log.bytes;
    }
    assert.ok(maxBytes <= cap, `estimated bytes peaked at ${maxBytes} > cap ${cap}`);
    const detail = log.getSession(id)!;
    assert.equal(detail.session.counts.framesToBackend + detail.session.counts.framesToClient, total);
    assert.equal(detail.session.counts.bytesToBackend + detail.session.counts.bytesToClient, total * raw);
    assert.equal(detail.lastSeq, total);
    assert.ok(detail.framesKept > 50 && detail.framesKept < 200, `kept ${detail.framesKept} frames`);
    assert.equal(detail.framesEvicted + detail.framesKept, total);
    assert.equal(detail.firstSeq, detail.framesEvicted + 1);
    assert.equal(detail.session.framesEvicted, detail.framesEvicted);
    assert.equal(log.frames(id, { limit: 1 })!.frames[0]!.seq, detail.firstSeq);
    gc();
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 4 * cap, `heap grew by ${grown} bytes for a cap of ${cap}`);
  });

  it('evicts the oldest first: frames of the oldest session, then finished records; live ones stay', () => {
    const log = new SessionLog({ capBytes: 1024 * 1024 });
    const live = httpRecord(log.nextId(), { done: false, status: undefined });
    log.http(live);
    const oldSession = wsRecord(log.nextId(), { state: 'closed', closedAt: Date.now() });
    log.ws(oldSession);
    const big = 'x'.repeat(100 * 1024);
    for (let seq = 1; seq <= 5; seq++) log.frame(textFrame(oldSession.id, seq, big));
    const finished = Array.from({ length: 4 }, () => {
      const r = httpRecord(log.nextId(), { responseBody: Buffer.alloc(60 * 1024).toString('base64') });
      log.http(r);
      return r;
    });
    assert.equal(log.stats().evictedFrames, 0);
    // 500 KiB of frames + ~320 KiB of records; 300 KiB more forces frames of the old session out.
    const newer = wsRecord(log.nextId());
    log.ws(newer);
    for (let seq = 1; seq <= 3; seq++) log.frame(textFrame(newer.id, seq, big));
    assert.ok(log.bytes <= log.capBytes);
    const old = log.getSession(oldSession.id)!;
    assert.ok(old.framesEvicted >= 1, 'the old session lost frames first');
    assert.equal(log.get(finished[0]!.id)?.id, finished[0]!.id, 'newer records are still there');
    assert.equal(log.getSession(newer.id)!.framesKept, 3);
    // Lower the cap: the old session's frames, then the old session, then old finished requests go.
    log.setCap(300 * 1024);
    assert.ok(log.bytes <= 300 * 1024, `${log.bytes} bytes held`);
    assert.equal(log.get(oldSession.id), undefined, 'the finished old session went');
    assert.equal(log.get(finished[0]!.id), undefined, 'the oldest finished request went');
    assert.equal(log.get(live.id)?.id, live.id, 'a live request is never dropped');
    assert.equal(log.get(newer.id)?.id, newer.id, 'a live session is never dropped');
  });

  it('a long-lived record at the front does not stop eviction nor keep evicted records alive', async () => {
    const gc = forceGc();
    const log = new SessionLog({ capBytes: 256 * 1024 });
    const live = wsRecord(log.nextId(), { state: 'open' });
    log.ws(live);
    const refs: Array<WeakRef<object>> = [];
    const total = 20_000;
    for (let i = 0; i < total; i++) {
      const r = httpRecord(log.nextId());
      refs.push(new WeakRef(r));
      log.http(r);
      assert.ok(log.bytes <= log.capBytes);
    }
    const { records, evictedRecords } = log.stats();
    assert.ok(records < 1000, `${records} records held`);
    assert.equal(records + evictedRecords, total + 1);
    assert.equal(log.get(live.id)?.id, live.id, 'the live session stays');
    const ids = log.listHttp({ limit: 5000 }).items.map((r) => r.id);
    assert.equal(ids[ids.length - 1], live.id + total, 'the newest request is kept');
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    assert.equal(ids[0], live.id + total - ids.length + 1, 'what is kept is the newest, without gaps');
    // Evicted records are not held anywhere (no leak through the eviction order).
    await new Promise((r) => setTimeout(r, 0)); // one turn of the event loop before the collection, not a wait
    gc();
    const alive = refs.filter((w) => w.deref() !== undefined).length;
    assert.ok(alive <= records + 5, `${alive - records} of ${evictedRecords} evicted records still reachable`);
  });

  it('an evicted record is released at once, not when the eviction order is compacted', async () => {
    const gc = forceGc();
    const log = new SessionLog({ capBytes: 200 * 1024 });
    const refs: Array<WeakRef<object>> = [];
    for (let i = 0; i < 100; i++) {
      const r = httpRecord(log.nextId(), { responseBody: Buffer.alloc(30 * 1024, i).toString('base64') });
      refs.push(new WeakRef(r));
      log.http(r);
    }
    const { records, evictedRecords } = log.stats();
    assert.ok(evictedRecords > 80, `${evictedRecords} evicted`);
    await new Promise((r) => setTimeout(r, 0)); // one turn of the event loop before the collection, not a wait
    gc();
    const alive = refs.filter((w) => w.deref() !== undefined).length;
    assert.equal(
      alive,
      records,
      `${alive - records} of ${evictedRecords} evicted records (and their bodies) still reachable`,
    );
  });
});

describe('SessionLog events', () => {
  it('batches events, coalescing updates of the same record, flushed after ~50 ms', async () => {
    const log = new SessionLog();
    const batches: LogEvent[][] = [];
    const unsubscribe = log.subscribe((b) => batches.push(b));
    const r = httpRecord(log.nextId(), { status: undefined, done: false });
    log.http(r);
    const s = wsRecord(log.nextId());
    log.ws(s);
    r.status = 200;
    log.http(r);
    r.done = true;
    log.http(r);
    log.frame(textFrame(s.id, 1, 'hi'));
    log.frame(textFrame(s.id, 2, 'there'));
    assert.equal(batches.length, 0, 'nothing is sent synchronously');
    await waitFor(() => batches.length === 1, 'the batch');
    const [batch] = batches;
    assert.deepEqual(
      batch!.map((e) => e.type),
      ['http', 'ws', 'frame', 'frame'],
    );
    const first = batch![0] as Extract<LogEvent, { type: 'http' }>;
    assert.equal(first.record.done, true, 'the coalesced event carries the latest state');
    unsubscribe();
    log.http(httpRecord(log.nextId()));
    log.flush();
    assert.equal(batches.length, 1, 'no events after unsubscribe');
  });

  it('sends a batch at once when it reaches 500 events', () => {
    const log = new SessionLog();
    const batches: LogEvent[][] = [];
    log.subscribe((b) => batches.push(b));
    const s = wsRecord(log.nextId());
    log.ws(s);
    for (let seq = 1; seq <= 1200; seq++) log.frame(textFrame(s.id, seq, 'x'));
    assert.deepEqual(
      batches.map((b) => b.length),
      [500, 500],
    );
    log.flush();
    assert.equal(batches[2]!.length, 201);
  });

  it('clear() forgets finished records and frames, keeps live ones, and says so', () => {
    const log = new SessionLog();
    const batches: LogEvent[][] = [];
    log.subscribe((b) => batches.push(b));
    log.http(httpRecord(log.nextId()));
    const open = wsRecord(log.nextId());
    log.ws(open);
    log.frame(textFrame(open.id, 1, 'a'));
    log.ws(wsRecord(log.nextId(), { state: 'closed' }));
    log.clear();
    log.flush();
    assert.deepEqual(
      log.list().items.map((r) => r.id),
      [open.id],
    );
    assert.equal(log.getSession(open.id)!.framesKept, 0);
    assert.equal(log.stats().frames, 0);
    assert.deepEqual(
      batches.at(-1)!.map((e) => e.type),
      ['cleared', 'ws'],
    );
    log.frame(textFrame(open.id, 2, 'b'));
    assert.equal(log.getSession(open.id)!.firstSeq, 2, 'the live session keeps recording');
  });
});
