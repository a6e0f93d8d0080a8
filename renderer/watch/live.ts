// The Watch tab's model: records from the event stream (upserted by id, capped), pause, and per-session frames.
import type { LoopgateBridge, RecordView, StreamEvent } from '../../shared/api.ts';
import type { FrameRecord } from '../../shared/events.ts';

type Listener = () => void;

/** Records held by the UI, oldest first; the log itself may hold more (fetch pages for those). */
export class LiveLog {
  records: RecordView[] = [];
  /** Bumped on every change; views compare it to know when to recompute. */
  version = 0;
  paused = false;
  /** Events held while paused (applied on resume; past the cap, resume refetches instead). */
  #held: StreamEvent[] = [];
  #heldOverflow = false;
  readonly #listeners = new Set<Listener>();
  readonly #frameListeners = new Set<(frames: FrameRecord[]) => void>();
  readonly #bridge: LoopgateBridge;
  readonly #max: number;
  #loading: Promise<void> | null = null;

  constructor(bridge: LoopgateBridge, opts: { maxRecords?: number } = {}) {
    this.#bridge = bridge;
    this.#max = opts.maxRecords ?? 20_000;
  }

  subscribe(fn: Listener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Frame events for every session (the inspector keeps the selected one's). */
  onFrames(fn: (frames: FrameRecord[]) => void): () => void {
    this.#frameListeners.add(fn);
    return () => this.#frameListeners.delete(fn);
  }

  /** Load the newest records (the event stream fills in from there). */
  reload(): Promise<void> {
    this.#loading ??= (async () => {
      try {
        const page = await this.#bridge.listRequests({ kind: 'all', limit: 5000 });
        const merged = new Map<number, RecordView>();
        for (const r of page.items) merged.set(r.id, r);
        // Anything newer that arrived on the stream while the page was on its way stays.
        const newest = page.items.length ? page.items[page.items.length - 1]!.id : 0;
        for (const r of this.records) if (r.id > newest) merged.set(r.id, r);
        this.records = [...merged.values()].sort((a, b) => a.id - b.id);
        this.#trim();
        this.#changed();
      } finally {
        this.#loading = null;
      }
    })();
    return this.#loading;
  }

  /** Apply a batch from the stream. */
  apply(batch: StreamEvent[]): void {
    const frames: FrameRecord[] = [];
    let changed = false;
    for (const e of batch) {
      if (e.type === 'frame') {
        frames.push(e.frame);
        continue;
      }
      if (this.paused && e.type !== 'config') {
        if (this.#held.length < 50_000) this.#held.push(e);
        else this.#heldOverflow = true;
        continue;
      }
      changed = this.#applyOne(e) || changed;
    }
    if (frames.length) for (const fn of this.#frameListeners) fn(frames);
    if (changed) this.#changed();
  }

  #applyOne(e: StreamEvent): boolean {
    switch (e.type) {
      case 'http':
      case 'ws':
        this.#upsert(e.record);
        return true;
      case 'cleared':
        this.records = [];
        return true;
      case 'overflow':
        void this.reload();
        return false;
      default:
        return false;
    }
  }

  /** Insert or replace a record fetched on the side (a session's fresh counters), and tell the views. */
  upsert(record: RecordView): void {
    this.#upsert(record);
    this.#changed();
  }

  /** Insert or replace by id, keeping id order. */
  #upsert(record: RecordView): void {
    const list = this.records;
    const last = list[list.length - 1];
    if (!last || record.id > last.id) {
      list.push(record);
      this.#trim();
      return;
    }
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const id = list[mid]!.id;
      if (id === record.id) {
        list[mid] = { ...list[mid], ...record } as RecordView;
        return;
      }
      if (id < record.id) lo = mid + 1;
      else hi = mid - 1;
    }
    list.splice(lo, 0, record);
    this.#trim();
  }

  get(id: number): RecordView | undefined {
    const list = this.records;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = list[mid]!;
      if (r.id === id) return r;
      if (r.id < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    if (!paused) {
      const held = this.#held;
      const overflow = this.#heldOverflow;
      this.#held = [];
      this.#heldOverflow = false;
      if (overflow) void this.reload();
      else for (const e of held) this.#applyOne(e);
    }
    this.#changed();
  }

  get heldCount(): number {
    return this.#held.length;
  }

  /** Clear the log; sessions still open stay (the log keeps them), so the list is refetched. */
  async clear(): Promise<void> {
    await this.#bridge.clear();
    this.records = [];
    this.#held = [];
    this.#changed();
    await this.reload();
  }

  #trim(): void {
    if (this.records.length > this.#max) this.records.splice(0, this.records.length - this.#max);
  }

  #changed(): void {
    this.version++;
    for (const fn of this.#listeners) fn();
  }
}

/** One session's frames: the held history (paged in) plus live frames from the stream, in seq order. */
export class SessionFrames {
  readonly session: number;
  /** Appended in place (the filter index tests only new ones); replaced on reload. */
  frames: FrameRecord[] = [];
  evicted = 0;
  loading = false;
  error: string | null = null;
  version = 0;
  readonly #bridge: LoopgateBridge;
  #pending: FrameRecord[] = [];
  #stopped = false;
  readonly #listeners = new Set<Listener>();
  /** Live frames are read back from the log (decoded, paired) rather than taken raw from the stream. */
  readonly #readLive: boolean;
  /** Stream frames waiting for their read-back (appended raw if it fails). */
  #raw: FrameRecord[] = [];
  #pulling = false;
  #again = false;

  constructor(bridge: LoopgateBridge, session: number, opts: { readLive?: boolean } = {}) {
    this.#bridge = bridge;
    this.session = session;
    this.#readLive = opts.readLive ?? false;
  }

  subscribe(fn: Listener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Page through the held frames (10,000 at a time); live frames seen meanwhile are merged after. */
  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    const next: FrameRecord[] = [];
    let after = 0;
    try {
      for (let guard = 0; guard < 10_000 && !this.#stopped; guard++) {
        const page = await this.#bridge.frames(this.session, { after, limit: 10_000 });
        if (!page) break;
        this.evicted = page.framesEvicted;
        for (const f of page.frames) next.push(f);
        if (!page.more || page.frames.length === 0) break;
        after = page.frames[page.frames.length - 1]!.seq;
      }
    } catch (err) {
      this.error = (err as Error).message;
    }
    const lastSeq = next.length ? next[next.length - 1]!.seq : 0;
    for (const f of this.#pending) if (f.seq > lastSeq) next.push(f);
    this.#pending = [];
    this.frames = next;
    this.loading = false;
    this.#changed();
  }

  /** Frames from the stream (any session; others are ignored). */
  add(frames: FrameRecord[]): void {
    let added = false;
    for (const f of frames) {
      if (f.session !== this.session) continue;
      if (this.loading) {
        this.#pending.push(f);
        continue;
      }
      const last = this.frames[this.frames.length - 1];
      if (last && f.seq <= last.seq) continue;
      if (this.#readLive) {
        this.#raw.push(f);
        continue;
      }
      this.frames.push(f);
      added = true;
    }
    if (added) this.#changed();
    if (this.#raw.length > 0) void this.#pull();
  }

  /** Read the frames after the last one held from the log, decoded and paired; one request at a time. */
  async #pull(): Promise<void> {
    if (this.#pulling) {
      this.#again = true;
      return;
    }
    this.#pulling = true;
    try {
      let more = true;
      while ((more || this.#again) && !this.#stopped && this.#raw.length > 0) {
        this.#again = false;
        const after = this.frames[this.frames.length - 1]?.seq ?? 0;
        const page = await this.#bridge.frames(this.session, { after, limit: 10_000 });
        if (!page || this.#stopped) break;
        if (page.frames.length === 0) throw new Error('not in the log');
        const last = this.frames[this.frames.length - 1]?.seq ?? 0;
        for (const f of page.frames) if (f.seq > last) this.frames.push(f);
        const upTo = this.frames[this.frames.length - 1]?.seq ?? 0;
        this.#raw = this.#raw.filter((f) => f.seq > upTo);
        more = page.more;
        if (page.frames.length > 0) this.#changed();
      }
    } catch {
      // The log could not be read: show the stream's frames as they came.
      const last = this.frames[this.frames.length - 1]?.seq ?? 0;
      for (const f of this.#raw) if (f.seq > last) this.frames.push(f);
      this.#raw = [];
      this.#changed();
    } finally {
      this.#pulling = false;
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#listeners.clear();
  }

  #changed(): void {
    this.version++;
    for (const fn of this.#listeners) fn();
  }
}
