// permessage-deflate decoding for one direction: synchronous per message with the context carried as a dictionary, streaming zlib for big ones.
import zlib from 'node:zlib';
import { copyUnmasked } from './mask.ts';

/*
 * Why this design (measured on Node 20, see the report of this module's author):
 * - zlib.createInflateRaw with write+flush per message costs ~55 µs of CPU per small message (two
 *   thread-pool round trips), far too slow to keep up with a tunnel.
 * - zlib.inflateRawSync per message costs ~3 µs, ~5.5 µs with a 32 KiB dictionary. The LZ77 context
 *   a sender keeps between messages is exactly the last 2^window_bits bytes it produced, so passing
 *   the tail of the previous output as `dictionary` reproduces context takeover without a persistent
 *   zlib handle. This is the path ordinary messages take.
 * - A message whose compressed size passes SYNC_MAX_INPUT, or whose output passes SYNC_MAX_OUTPUT,
 *   is streamed through createInflateRaw instead: output is counted and only the first `keep` bytes
 *   (plus the window tail) are retained, so memory stays bounded whatever the message inflates to.
 *   While such a stream is busy, later messages of the same direction go through it too (they need
 *   its context); once it drains, the direction returns to the synchronous path.
 * - Decompression bombs (docs/hardening.md): the inspector stops inflating a message past
 *   MESSAGE_CAP bytes (the record keeps its first bytes, its length so far and `inflateCapped`), and
 *   all inflaters of the process share a budget of inflated bytes (a bucket of BUDGET_BYTES refilled at
 *   BUDGET_BYTES per second) checked before each message: past it, messages are not inflated. Either way
 *   a direction with context takeover cannot decode later messages (their context was never produced),
 *   and says so. Forwarding never waits on any of this.
 */

export interface InflateResult {
  /** The first `keep` inflated bytes (only valid during the callback). */
  data: Buffer;
  /** Inflated length: exact when there is no error. */
  length: number;
  /** Why inflation failed (the data/length are then what could be decoded). */
  error?: string;
  /** Inflation stopped at MESSAGE_CAP bytes: `length` is what was inflated, the message is longer. */
  capped?: boolean;
}

export interface InflaterOptions {
  /** The sender resets its compression context after each message. */
  noContextTakeover: boolean;
  /** The sender's negotiated max window bits (8..15). */
  windowBits: number;
  /** How many inflated bytes of each message to hand back. */
  keep: number;
}

type Done = (result: InflateResult) => void;

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const EMPTY = Buffer.alloc(0);
const SYNC_MAX_INPUT = 256 * 1024;
const SYNC_MAX_OUTPUT = 4 * 1024 * 1024;
const STREAM_BATCH = 64 * 1024;
/** Input buffers bigger than this are dropped after their message. */
const RETAIN_BYTES = 64 * 1024;
/** Compressed bytes waiting in a zlib stream before the direction gives up decoding. */
export const STREAM_MAX_BACKLOG = 32 * 1024 * 1024;
/** Concurrent streams (only without context takeover can there be more than one). */
const MAX_JOBS = 4;
/** The inspector inflates at most this much of one message (or `keep`, if larger). */
export const MESSAGE_CAP = 16 * 1024 * 1024;
/** Inflated bytes per second the whole process may produce, and the burst it may spend at once. */
export const BUDGET_BYTES = 128 * 1024 * 1024;

const MiB = (n: number) => `${Math.round(n / (1024 * 1024))} MiB`;
const CONTEXT_LOST = 'compression context lost, later compressed messages not decoded';

/** The process-wide budget of inflated bytes (a token bucket shared by every direction of every session). */
const budget = { tokens: BUDGET_BYTES, at: 0 };

/** True when there is budget left to inflate a message (refilled for the time elapsed). */
function budgetLeft(): boolean {
  const now = performance.now();
  budget.tokens = Math.min(BUDGET_BYTES, budget.tokens + ((now - budget.at) / 1000) * BUDGET_BYTES);
  budget.at = now;
  return budget.tokens > 0;
}

/** Reset the shared budget (tests). */
export function resetInflateBudget(): void {
  budget.tokens = BUDGET_BYTES;
  budget.at = performance.now();
}

/** The output of one message inflated through a stream. */
class Collector {
  length = 0;
  kept: Buffer = EMPTY;
  keptLen = 0;
  done: Done | null = null;
  capped = false;
  constructor(private readonly keep: number) {}

  add(chunk: Buffer): void {
    this.length += chunk.length;
    const room = this.keep - this.keptLen;
    if (room <= 0) return;
    const n = Math.min(room, chunk.length);
    if (this.keptLen + n > this.kept.length) {
      const grown = Buffer.allocUnsafe(
        Math.min(this.keep, Math.max(this.kept.length * 2, this.keptLen + n, 16 * 1024)),
      );
      this.kept.copy(grown, 0, 0, this.keptLen);
      this.kept = grown;
    }
    chunk.copy(this.kept, this.keptLen, 0, n);
    this.keptLen += n;
  }

  result(error?: string): InflateResult {
    const r: InflateResult = { data: this.kept.subarray(0, this.keptLen), length: this.length };
    if (error !== undefined) r.error = error;
    if (this.capped) r.capped = true;
    return r;
  }
}

/** One zlib stream and the messages (in order) whose output it produces. */
interface Job {
  stream: zlib.InflateRaw;
  collectors: Collector[];
  /** Compressed bytes gathered for the next write (one zlib round trip per STREAM_BATCH bytes). */
  batch: Buffer | null;
  batchLen: number;
  closed: boolean;
}

export class Inflater {
  private readonly noContext: boolean;
  private readonly keep: number;
  private readonly cap: number;
  private readonly winSize: number;
  /** Last winSize bytes of inflated output (context takeover only), in win[winLen - winSize, winLen). */
  private win: Buffer = EMPTY;
  private winLen = 0;
  /** Compressed bytes of the current message (synchronous path), with 4 spare bytes for the tail. */
  private zbuf: Buffer = EMPTY;
  private zlen = 0;
  /** The stream the current message is written to, if it is being streamed. */
  private job: Job | null = null;
  private collector: Collector | null = null;
  /** With context takeover: the stream that holds the context while it is busy. */
  private activeJob: Job | null = null;
  private readonly jobs = new Set<Job>();
  /** Decoding cannot continue (lost context, memory pressure): every later message fails with it. */
  private failed: string | null = null;
  /** Only the current message failed (no context takeover: the next one starts afresh). */
  private messageFailed: string | null = null;
  /** The current message passed the cap while its frames were still arriving. */
  private cappedCurrent: Collector | null = null;

  constructor(opts: InflaterOptions) {
    this.noContext = opts.noContextTakeover;
    this.keep = opts.keep;
    this.cap = Math.max(MESSAGE_CAP, opts.keep);
    this.winSize = 1 << Math.min(15, Math.max(8, opts.windowBits));
  }

  /** Set once decoding can no longer continue (lost context); later messages fail with it. */
  get failure(): string | null {
    return this.failed;
  }

  /** True while some message is being inflated asynchronously. */
  get busy(): boolean {
    return this.jobs.size > 0;
  }

  /** Start a compressed message. */
  begin(): void {
    this.zlen = 0;
    this.messageFailed = null;
    this.job = null;
    this.collector = null;
    this.cappedCurrent = null;
    if (this.failed !== null) return;
    if (!budgetLeft()) {
      const why = `not inflated: the inspector's inflate budget (${MiB(BUDGET_BYTES)}/s for all sessions) is spent; forwarded unchanged`;
      if (this.noContext) this.messageFailed = why;
      else this.failed = `${why}; ${CONTEXT_LOST}`;
      return;
    }
    if (this.activeJob !== null) this.streamCurrent(this.activeJob);
  }

  /** Payload bytes src[start, end) of the current message; `mask`/`maskOff` as on the wire. */
  write(src: Buffer, start: number, end: number, mask: Buffer | null, maskOff: number): void {
    if (this.failed !== null || this.messageFailed !== null || this.cappedCurrent !== null) return;
    const n = end - start;
    if (this.job === null) {
      if (this.zlen + n <= SYNC_MAX_INPUT) {
        this.reserve(this.zlen + n + 4);
        copyUnmasked(this.zbuf, this.zlen, src, start, end, mask, maskOff);
        this.zlen += n;
        return;
      }
      const streamed = this.startStream(this.zbuf.subarray(0, this.zlen));
      this.zlen = 0;
      if (this.zbuf.length > RETAIN_BYTES) this.zbuf = EMPTY;
      if (!streamed) return;
    }
    this.queue(this.job!, src, start, end, mask, maskOff);
  }

  /**
   * End the current message. `done` is called synchronously when the message could be inflated in
   * place, later otherwise (in message order). `partial`: the connection ended mid-message, inflate
   * what arrived.
   */
  finish(done: Done, partial = false): void {
    if (this.cappedCurrent !== null) {
      const c = this.cappedCurrent;
      this.cappedCurrent = null;
      done(c.result(this.capNote()));
      return;
    }
    const failed = this.failed ?? this.messageFailed;
    if (failed !== null) {
      done({ data: EMPTY, length: 0, error: failed });
      return;
    }
    if (this.job === null) {
      if (!partial) TAIL.copy(this.reserve(this.zlen + 4), this.zlen);
      const input = this.zbuf.subarray(0, this.zlen + (partial ? 0 : 4));
      const out = this.inflateSync(input);
      if (out !== null) {
        if (this.zbuf.length > RETAIN_BYTES) this.zbuf = EMPTY; // idle sessions keep little
        if (typeof out === 'string') done({ data: EMPTY, length: 0, error: out });
        else done({ data: out.length > this.keep ? out.subarray(0, this.keep) : out, length: out.length });
        return;
      }
      // Too big to inflate in one go: stream it (the window is untouched by the failed attempt).
      const streamed = this.startStream(input);
      if (this.zbuf.length > RETAIN_BYTES) this.zbuf = EMPTY;
      if (!streamed) {
        done({ data: EMPTY, length: 0, error: this.messageFailed ?? 'could not inflate' });
        return;
      }
    } else if (!partial) {
      this.queue(this.job, TAIL, 0, 4, null, 0);
    }
    const job = this.job!;
    this.collector!.done = done;
    this.job = null;
    this.collector = null;
    this.sendBatch(job);
    job.stream.flush(zlib.constants.Z_SYNC_FLUSH, () => this.flushed(job));
  }

  /** Give up on everything in flight (memory pressure upstream): pending messages fail with `reason`. */
  abort(reason: string): void {
    if (this.failed === null) this.failed = reason;
    for (const job of [...this.jobs]) this.fail(job, reason);
  }

  /** No more messages: release zlib streams once what is in flight completes. */
  close(): void {
    for (const job of [...this.jobs]) if (job.collectors.length === 0) this.closeJob(job);
  }

  private reserve(size: number): Buffer {
    if (this.zbuf.length < size) {
      const grown = Buffer.allocUnsafe(Math.min(SYNC_MAX_INPUT + 4, Math.max(size, this.zbuf.length * 2, 1024)));
      this.zbuf.copy(grown, 0, 0, this.zlen);
      this.zbuf = grown;
    }
    return this.zbuf;
  }

  /** Inflate a whole message; null when its output passes SYNC_MAX_OUTPUT, a string on error. */
  private inflateSync(input: Buffer): Buffer | string | null {
    const opts: zlib.ZlibOptions = {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      maxOutputLength: Math.max(SYNC_MAX_OUTPUT, this.keep),
      chunkSize: Math.min(64 * 1024, Math.max(1024, input.length * 4)),
    };
    if (!this.noContext && this.winLen > 0) opts.dictionary = this.window();
    let out: Buffer;
    try {
      out = zlib.inflateRawSync(input, opts);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'ERR_BUFFER_TOO_LARGE') {
        budget.tokens -= opts.maxOutputLength!;
        return null;
      }
      const message = `inflate failed: ${e.message ?? String(err)}`;
      if (!this.noContext) this.failed = `${message}; compression context lost, later compressed messages not decoded`;
      return message;
    }
    budget.tokens -= out.length;
    if (!this.noContext) this.remember(out);
    return out;
  }

  private window(): Buffer {
    return this.win.subarray(Math.max(0, this.winLen - this.winSize), this.winLen);
  }

  /** Append inflated output to the window tail. */
  private remember(out: Buffer): void {
    const size = this.winSize;
    if (this.win.length === 0) this.win = Buffer.allocUnsafe(Math.max(size * 2, 4096));
    if (out.length >= size) {
      out.copy(this.win, 0, out.length - size);
      this.winLen = size;
      return;
    }
    if (this.winLen + out.length > this.win.length) {
      this.win.copyWithin(0, this.winLen - size, this.winLen);
      this.winLen = size;
    }
    out.copy(this.win, this.winLen);
    this.winLen += out.length;
  }

  /** Route the current message through a stream, seeded with what was already buffered. */
  private startStream(buffered: Buffer): boolean {
    let job = this.noContext ? null : this.activeJob;
    if (job === null) {
      if (this.jobs.size >= MAX_JOBS) {
        this.messageFailed = 'too many large compressed messages inflating at once; this one was not decoded';
        return false;
      }
      job = this.createJob();
      if (!this.noContext) this.activeJob = job;
    }
    this.streamCurrent(job);
    this.queue(job, buffered, 0, buffered.length, null, 0);
    return true;
  }

  private streamCurrent(job: Job): void {
    this.job = job;
    this.collector = new Collector(this.keep);
    job.collectors.push(this.collector);
  }

  private createJob(): Job {
    const dictionary = !this.noContext && this.winLen > 0 ? Buffer.from(this.window()) : undefined;
    const stream = zlib.createInflateRaw(dictionary ? { windowBits: 15, dictionary } : { windowBits: 15 });
    const job: Job = { stream, collectors: [], batch: null, batchLen: 0, closed: false };
    stream.on('data', (chunk: Buffer) => {
      if (job.closed) return;
      budget.tokens -= chunk.length;
      const c = job.collectors[0];
      if (c !== undefined) {
        c.add(chunk);
        if (c.length > this.cap) return this.capJob(job, c);
      }
      if (!this.noContext && this.activeJob === job) this.remember(chunk);
    });
    stream.on('error', (err: Error) => {
      const message = `inflate failed: ${err.message}`;
      if (this.noContext) this.fail(job, message);
      else this.abort(`${message}; compression context lost, later compressed messages not decoded`);
    });
    this.jobs.add(job);
    return job;
  }

  /** Copy (unmasking) src[start, end) into the job's batch, writing each full batch to zlib. */
  private queue(job: Job, src: Buffer, start: number, end: number, mask: Buffer | null, maskOff: number): void {
    while (start < end && !job.closed) {
      if (job.batch === null) {
        job.batch = Buffer.allocUnsafe(STREAM_BATCH);
        job.batchLen = 0;
      }
      const n = Math.min(end - start, STREAM_BATCH - job.batchLen);
      copyUnmasked(job.batch, job.batchLen, src, start, start + n, mask, maskOff);
      job.batchLen += n;
      start += n;
      maskOff += n;
      if (job.batchLen === STREAM_BATCH) this.sendBatch(job);
    }
  }

  private sendBatch(job: Job): void {
    if (job.batch === null || job.closed) return;
    const buf = job.batch.subarray(0, job.batchLen);
    job.batch = null;
    job.batchLen = 0;
    job.stream.write(buf);
    if (job.stream.writableLength > STREAM_MAX_BACKLOG) {
      this.abort('inflation fell behind the connection (over 32 MiB waiting); decoding stopped');
    }
  }

  private flushed(job: Job): void {
    if (job.closed) return;
    const c = job.collectors.shift();
    c?.done?.(c.result());
    if (job.collectors.length === 0 && this.job !== job) {
      if (this.activeJob === job) this.activeJob = null;
      this.closeJob(job);
    }
  }

  private capNote(): string {
    return `inflates to over ${MiB(this.cap)}: the inspector stopped inflating it there (forwarded unchanged)`;
  }

  /**
   * The job's first message passed the cap: it ends with what was inflated; the job's stream is
   * dropped, so with context takeover every later message fails (its context is never produced).
   */
  private capJob(job: Job, c: Collector): void {
    c.capped = true;
    job.collectors.shift();
    if (!this.noContext && this.failed === null) {
      this.failed = `an earlier message inflated past the inspector's ${MiB(this.cap)} cap; ${CONTEXT_LOST}`;
    }
    if (this.job === job && this.collector === c) {
      // Still arriving: finish() reports it; its remaining frames are not inflated.
      this.cappedCurrent = c;
      this.job = null;
      this.collector = null;
    } else {
      c.done?.(c.result(this.capNote()));
    }
    this.fail(job, this.failed ?? this.capNote());
  }

  private fail(job: Job, reason: string): void {
    if (job.closed) return;
    const pending = job.collectors;
    job.collectors = [];
    this.closeJob(job);
    if (this.job === job) {
      // The message being written fails too; finish() reports it.
      this.job = null;
      this.collector = null;
      this.messageFailed = reason;
    }
    if (this.activeJob === job) this.activeJob = null;
    for (const c of pending) c.done?.(c.result(reason));
  }

  private closeJob(job: Job): void {
    if (job.closed) return;
    job.closed = true;
    this.jobs.delete(job);
    job.stream.destroy();
  }
}
