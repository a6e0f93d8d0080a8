// The session log: every request, WebSocket session and frame, bounded in bytes, queryable, streamed in batches.
import type {
  FramesPage,
  FramesQuery,
  ListPage,
  ListQuery,
  LogStats,
  RecordView,
  SessionDetail,
  SessionView,
} from '../../../shared/api.ts';
import { DEFAULTS } from '../../../shared/effective.ts';
import type { FrameRecord, HttpRecord, LogEvent, WsSessionRecord } from '../../../shared/events.ts';
import type { FrameBytes, Recorder } from '../types.ts';
import { EventBatcher, type BatchListener, type BatcherOptions } from './batcher.ts';
import { FrameQueue } from './frame-queue.ts';
import { markExposed } from './lazy.ts';
import { clampLimit, DEFAULT_LIMIT, kindOf, matches, MAX_LIMIT } from './query.ts';
import { httpSize, sessionSize } from './size.ts';

/** inspect.storeBytes default (64 MiB). */
export const DEFAULT_CAP_BYTES = DEFAULTS.inspect.storeBytes;
export const DEFAULT_FRAMES_LIMIT = 1000;
export const MAX_FRAMES_LIMIT = 10_000;

interface Entry {
  record: HttpRecord | WsSessionRecord;
  /** Estimated bytes of the record itself (frames are counted separately). */
  bytes: number;
  frames: FrameQueue | null;
  framesBytes: number;
  framesEvicted: number;
  /** Dropped from the log (its slot in the eviction order is skipped). */
  gone: boolean;
  /** Set on the placeholder left in the eviction order for an entry that went behind a live one. */
  behind: boolean;
}

export interface SessionLogOptions extends BatcherOptions {
  /** Memory cap in estimated bytes (inspect.storeBytes). */
  capBytes?: number;
}

export class SessionLog implements Recorder {
  #cap: number;
  #bytes = 0;
  #frameCount = 0;
  #lastId = 0;
  #evictedRecords = 0;
  #evictedFrames = 0;
  /** Insertion order is id order (ids are handed out before a record is first reported). */
  readonly #entries = new Map<number, Entry>();
  /**
   * The entries in insertion order, oldest first from #head: where eviction starts. (Iterating
   * the Map from its start after many deletions walks over their holes every time.)
   */
  #order: Entry[] = [];
  #head = 0;
  /** Entries in #order past #head that are gone (a live entry near the head keeps them there). */
  #goneBehind = 0;
  readonly #batcher: EventBatcher;

  constructor(opts: SessionLogOptions = {}) {
    this.#cap = opts.capBytes ?? DEFAULT_CAP_BYTES;
    this.#batcher = new EventBatcher(opts);
  }

  // ---- Recorder ----

  nextId(): number {
    return ++this.#lastId;
  }

  http(record: HttpRecord): void {
    this.#upsert(record, httpSize);
    this.#batcher.push({ type: 'http', record });
  }

  ws(record: WsSessionRecord): void {
    this.#upsert(record, sessionSize);
    this.#batcher.push({ type: 'ws', record });
  }

  frame(frame: FrameRecord): void {
    const entry = this.#entries.get(frame.session);
    // Frames of a session the log does not hold (cleared, or never reported) have nowhere to go.
    if (entry?.record.kind !== 'ws') return;
    const queue = (entry.frames ??= new FrameQueue(frame.session));
    if (queue.length > 0 && queue.lastSeq() >= frame.seq) return; // replayed or out of order: keep the queue sorted
    // Without subscribers nobody else holds the frame: a raw payload can be kept packed and recycled.
    const size = queue.push(frame, !this.#batcher.hasListeners);
    entry.framesBytes += size;
    this.#bytes += size;
    this.#frameCount++;
    if (this.#bytes > this.#cap) this.#evict();
    if (this.#batcher.hasListeners) {
      // Subscribers get the object itself: its payload must never be recycled.
      markExposed(frame);
      this.#batcher.push({ type: 'frame', frame });
    }
  }

  /**
   * frame() for a frame given as its fields and payload bytes (FrameQueue.pushBytes says which
   * frames may come this way): the log keeps the bytes, and builds the record only for subscribers.
   */
  frameBytes(frame: FrameBytes): void {
    const entry = this.#entries.get(frame.session);
    if (entry?.record.kind !== 'ws') return;
    const queue = (entry.frames ??= new FrameQueue(frame.session));
    if (queue.length > 0 && queue.lastSeq() >= frame.seq) return;
    const size = queue.pushBytes(frame);
    entry.framesBytes += size;
    this.#bytes += size;
    this.#frameCount++;
    // Built before eviction, which may take the frame itself at a tiny cap.
    const built = this.#batcher.hasListeners ? queue.last()! : null;
    if (this.#bytes > this.#cap) this.#evict();
    if (built !== null) this.#batcher.push({ type: 'frame', frame: built });
  }

  // ---- size ----

  get capBytes(): number {
    return this.#cap;
  }

  /** Estimated bytes held (records and frames). */
  get bytes(): number {
    return this.#bytes;
  }

  setCap(bytes: number): void {
    this.#cap = Math.max(0, bytes);
    if (this.#bytes > this.#cap) this.#evict();
  }

  stats(): LogStats {
    return {
      records: this.#entries.size,
      frames: this.#frameCount,
      bytes: this.#bytes,
      capBytes: this.#cap,
      evictedRecords: this.#evictedRecords,
      evictedFrames: this.#evictedFrames,
    };
  }

  // ---- events ----

  /** Batches of events (flushed every ~50 ms or 500 events). Returns the unsubscribe function. */
  subscribe(listener: BatchListener): () => void {
    return this.#batcher.subscribe(listener);
  }

  /** Send an event that is not a record (config changes) to subscribers. */
  publish(event: LogEvent): void {
    this.#batcher.push(event);
  }

  /** Send pending events now (tests, shutdown). */
  flush(): void {
    this.#batcher.flush();
  }

  // ---- queries ----

  get(id: number): RecordView | undefined {
    const e = this.#entries.get(id);
    return e ? view(e) : undefined;
  }

  /** Requests and/or sessions, oldest first. See ListQuery for the filters. */
  list(query: ListQuery = {}, fallbackKind: 'http' | 'ws' | 'all' = 'all'): ListPage<RecordView> {
    const kind = kindOf(query, fallbackKind);
    const text = query.text?.toLowerCase();
    const limit = clampLimit(query.limit, DEFAULT_LIMIT, MAX_LIMIT);
    const items: RecordView[] = [];
    let total = 0;
    let more = false;
    for (const e of this.#entries.values()) {
      if (!matches(e.record, query, kind, text)) continue;
      total++;
      const id = e.record.id;
      if (query.after !== undefined && id <= query.after) continue;
      if (query.before !== undefined && id >= query.before) continue;
      if (query.after !== undefined && items.length >= limit) {
        more = true;
        continue;
      }
      items.push(view(e));
    }
    if (query.after === undefined && items.length > limit) {
      more = true;
      items.splice(0, items.length - limit);
    }
    return { items, total, more };
  }

  listHttp(query: ListQuery = {}): ListPage<HttpRecord> {
    return this.list({ ...query, wsOnly: false, kind: 'http' }) as ListPage<HttpRecord>;
  }

  listSessions(query: ListQuery = {}): ListPage<SessionView> {
    return this.list({ ...query, wsOnly: false, kind: 'ws' }) as ListPage<SessionView>;
  }

  getSession(id: number): SessionDetail | null {
    const e = this.#entries.get(id);
    if (e?.record.kind !== 'ws') return null;
    return {
      session: view(e) as SessionView,
      framesKept: e.frames?.length ?? 0,
      firstSeq: e.frames?.firstSeq() ?? 0,
      lastSeq: e.frames?.lastSeq() ?? 0,
      framesEvicted: e.framesEvicted,
    };
  }

  /** A page of a session's frames in seq order; null when the log holds no such session. */
  frames(sessionId: number, query: FramesQuery = {}): FramesPage | null {
    const e = this.#entries.get(sessionId);
    if (e?.record.kind !== 'ws') return null;
    const q = e.frames;
    const limit = clampLimit(query.limit, DEFAULT_FRAMES_LIMIT, MAX_FRAMES_LIMIT);
    const { frames, more } = q ? q.page(query.after ?? 0, limit) : { frames: [], more: false };
    return {
      frames,
      more,
      framesEvicted: e.framesEvicted,
      firstSeq: q?.firstSeq() ?? 0,
      lastSeq: q?.lastSeq() ?? 0,
    };
  }

  /** Every record, oldest first (HAR export). */
  *records(): Generator<RecordView> {
    for (const e of this.#entries.values()) yield view(e);
  }

  /** Every frame held for one session, in seq order. */
  *sessionFrames(sessionId: number): Generator<FrameRecord> {
    const q = this.#entries.get(sessionId)?.frames;
    if (!q) return;
    // Taken at once: the queue may change while a slow exporter is suspended.
    yield* q.all();
  }

  /**
   * Forget everything that is finished. Live requests and sessions stay (so they can still be
   * watched, sent to and closed), without their past frames.
   */
  clear(): void {
    const kept: Entry[] = [];
    for (const e of this.#entries.values()) {
      if (!finished(e.record)) {
        if (e.frames) e.framesEvicted += e.frames.length;
        e.frames = null;
        e.framesBytes = 0;
        kept.push(e);
      }
    }
    for (const e of this.#entries.values()) e.gone = true;
    this.#entries.clear();
    this.#order = [];
    this.#head = 0;
    this.#goneBehind = 0;
    this.#bytes = 0;
    this.#frameCount = 0;
    this.#evictedRecords = 0;
    this.#evictedFrames = 0;
    for (const e of kept) {
      e.gone = false;
      this.#entries.set(e.record.id, e);
      this.#order.push(e);
      this.#bytes += e.bytes;
    }
    this.#batcher.push({ type: 'cleared' });
    for (const e of kept) {
      this.#batcher.push(
        e.record.kind === 'http' ? { type: 'http', record: e.record } : { type: 'ws', record: e.record },
      );
    }
  }

  // ---- internals ----

  /**
   * Insert or update a record. Its size is measured when it is first reported, when it is
   * reported as a new object, and once it is finished; the updates in between (an in-flight
   * record reported again as its state changes) keep the first estimate, which spares the hot path
   * a walk over every header on each update.
   */
  #upsert<R extends HttpRecord | WsSessionRecord>(record: R, size: (r: R) => number): void {
    const e = this.#entries.get(record.id);
    if (e) {
      if (e.record !== record || finished(record)) {
        const bytes = size(record);
        this.#bytes += bytes - e.bytes;
        e.bytes = bytes;
        e.record = record;
      }
    } else {
      const bytes = size(record);
      const entry: Entry = {
        record,
        bytes,
        frames: null,
        framesBytes: 0,
        framesEvicted: 0,
        gone: false,
        behind: false,
      };
      this.#entries.set(record.id, entry);
      this.#order.push(entry);
      this.#bytes += bytes;
      if (record.id > this.#lastId) this.#lastId = record.id;
    }
    if (this.#bytes > this.#cap) this.#evict();
  }

  /**
   * Oldest first until under the cap: the frames of the oldest session go first (the session record
   * and its counts stay, marked with how many frames went); finished records with no frames left go
   * next. Live records are never dropped: the engine still reports to them.
   */
  #evict(): void {
    const order = this.#order;
    for (let i = this.#head; i < order.length && this.#bytes > this.#cap; i++) {
      const e = order[i]!;
      if (!e.gone) {
        const q = e.frames;
        if (q) {
          while (q.length > 0 && this.#bytes > this.#cap) {
            // A payload nobody outside the log has seen goes back to the pool for the next message.
            const size = q.shift();
            e.framesBytes -= size;
            this.#bytes -= size;
            this.#frameCount--;
            this.#evictedFrames++;
            e.framesEvicted++;
          }
        }
        if (this.#bytes <= this.#cap) break;
        if ((!q || q.length === 0) && finished(e.record)) {
          this.#entries.delete(e.record.id);
          e.gone = true;
          this.#bytes -= e.bytes + e.framesBytes;
          this.#evictedRecords++;
          // Its slot must not keep the record (and its body) alive until the array is compacted.
          order[i] = i === this.#head ? GONE : GONE_BEHIND;
          if (i !== this.#head) this.#goneBehind++;
        }
      }
      // Leading entries that are gone are never looked at again.
      const slot = order[i]!;
      if (slot.gone && i === this.#head) {
        this.#head++;
        if (slot.behind) this.#goneBehind--;
      }
    }
    const live = order.length - this.#head;
    if (this.#goneBehind > 1024 && this.#goneBehind * 2 > live) {
      // Entries behind a long-lived one at the front: drop the gone ones (and the records they hold).
      this.#order = order.slice(this.#head).filter((e) => !e.gone);
      this.#head = 0;
      this.#goneBehind = 0;
    } else if (this.#head > 1024 && this.#head * 2 > order.length) {
      this.#order = order.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** What an evicted entry's slot in the eviction order holds instead (at the head, or behind a live one). */
const GONE: Entry = {
  record: null as unknown as HttpRecord,
  bytes: 0,
  frames: null,
  framesBytes: 0,
  framesEvicted: 0,
  gone: true,
  behind: false,
};
const GONE_BEHIND: Entry = { ...GONE, behind: true };

function finished(r: RecordView): boolean {
  if (r.imported) return true;
  return r.kind === 'http' ? r.done : r.state === 'closed' || r.state === 'failed';
}

/** The record as listed: the engine's own object, or a shallow copy carrying the eviction mark. */
function view(e: Entry): RecordView {
  if (e.record.kind === 'ws' && e.framesEvicted > 0) return { ...e.record, framesEvicted: e.framesEvicted };
  return e.record;
}
