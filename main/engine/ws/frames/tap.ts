// The passive frame tap of one WebSocket session: decodes copies of both directions into FrameRecords and counts.
import type { WsSessionRecord } from '../../../../shared/events.ts';
import type { InspectOptions, Recorder } from '../../types.ts';
import { Direction, type DirectionOptions } from './direction.ts';
import { frameWireLength } from './encode.ts';
import type { Deflate } from './extensions.ts';
import { Inflater } from './inflate.ts';
import { RecordQueue } from './order.ts';
import { newRecord, setPayload } from './record.ts';

export interface FrameTap {
  /** Bytes client → backend (masked). Never modified. */
  client(chunk: Buffer): void;
  /** Bytes backend → client. Never modified. */
  backend(chunk: Buffer): void;
  /** Record a message Loopgate injected (marked injected: true); its bytes must not also be fed above. */
  injected(to: 'client' | 'backend', opcode: number, payload: Buffer): void;
  /** First close frame seen: who sent it, code, reason (for "who closed"). */
  readonly firstClose: { from: 'client' | 'backend'; code?: number; reason?: string } | null;
  /** Flush: any half-assembled message is recorded with a problem note. Later input is ignored. */
  end(): void;
}

export interface FrameTapOptions {
  session: WsSessionRecord;
  deflate: Deflate | null;
  recorder: Recorder;
  inspect: InspectOptions;
}

type CloseInfo = { from: 'client' | 'backend'; code?: number; reason?: string };

class Tap implements FrameTap {
  firstClose: CloseInfo | null = null;
  private readonly session: WsSessionRecord;
  private readonly inspect: InspectOptions;
  private readonly queue: RecordQueue;
  private readonly deflate: Deflate | null;
  /** Each direction (and its inflater) is made at its first bytes: idle sessions stay small. */
  private toBackend: Direction | null = null;
  private toClient: Direction | null = null;
  private readonly inflaters: Inflater[] = [];
  private ended = false;

  constructor(opts: FrameTapOptions) {
    this.session = opts.session;
    this.inspect = opts.inspect;
    this.deflate = opts.deflate;
    this.queue = new RecordQueue(opts.recorder, () => {
      for (const inf of this.inflaters)
        inf.abort('too many records waiting behind a message being inflated; decoding stopped');
    });
  }

  private direction(from: 'client' | 'backend'): Direction {
    const decode = this.inspect.frames !== false;
    const keep = this.inspect.frameBytes;
    const d = this.deflate;
    let inflater: Inflater | null = null;
    if (decode && d) {
      inflater =
        from === 'client'
          ? new Inflater({ noContextTakeover: d.clientNoContextTakeover, windowBits: d.clientMaxWindowBits, keep })
          : new Inflater({ noContextTakeover: d.serverNoContextTakeover, windowBits: d.serverMaxWindowBits, keep });
      this.inflaters.push(inflater);
    }
    return new Direction({
      session: this.session,
      queue: this.queue,
      inspect: decode,
      keep,
      from,
      inflater,
      onClose: closeSeenBy(this, from),
    });
  }

  client(chunk: Buffer): void {
    if (this.ended) return;
    let dir = this.toBackend;
    try {
      dir ??= this.toBackend = this.direction('client');
      dir.feed(chunk);
    } catch (err) {
      dir?.crash(err);
    }
  }

  backend(chunk: Buffer): void {
    if (this.ended) return;
    let dir = this.toClient;
    try {
      dir ??= this.toClient = this.direction('backend');
      dir.feed(chunk);
    } catch (err) {
      dir?.crash(err);
    }
  }

  injected(to: 'client' | 'backend', opcode: number, payload: Buffer): void {
    if (this.ended) return;
    try {
      const masked = to === 'backend';
      const wire = frameWireLength(payload.length, masked);
      const counts = this.session.counts;
      if (masked) {
        counts.framesToBackend++;
        counts.bytesToBackend += wire;
      } else {
        counts.framesToClient++;
        counts.bytesToClient += wire;
      }
      if (this.inspect.frames === false) return;
      const rec = newRecord(this.session.id, masked ? 'send' : 'receive', opcode, Date.now() / 1000, wire, 1);
      setPayload(
        rec,
        opcode,
        payload,
        0,
        Math.min(payload.length, Math.max(0, this.inspect.frameBytes)),
        payload.length,
      );
      rec.injected = true;
      this.queue.push(rec);
    } catch {
      // Recording an injected message is best effort.
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const dir of [this.toBackend, this.toClient]) {
      if (dir === null) continue;
      try {
        dir.end();
      } catch (err) {
        dir.crash(err);
      }
    }
  }

  closeSeen(from: 'client' | 'backend', code: number | undefined, reason: string | undefined): void {
    if (this.firstClose !== null) return;
    const info: CloseInfo = { from };
    if (code !== undefined) info.code = code;
    if (reason !== undefined) info.reason = reason;
    this.firstClose = info;
  }
}

/** A Direction's onClose for one side (a plain returned arrow: no per-session function naming under tsx). */
function closeSeenBy(tap: Tap, from: 'client' | 'backend'): DirectionOptions['onClose'] {
  return (code, reason) => tap.closeSeen(from, code, reason);
}

/** The passive tap for one session. Never throws, never touches the bytes it is given. */
export function createFrameTap(opts: FrameTapOptions): FrameTap {
  return new Tap(opts);
}
