// The passive frame tap of one WebSocket session: decodes copies of both directions into FrameRecords and counts.
import type { WsSessionRecord } from '../../../shared/events.ts';
import type { InspectOptions, Recorder } from '../types.ts';
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
  private readonly toBackend: Direction;
  private readonly toClient: Direction;
  private readonly inflaters: Inflater[] = [];
  private ended = false;

  constructor(opts: FrameTapOptions) {
    this.session = opts.session;
    this.inspect = opts.inspect;
    this.queue = new RecordQueue(opts.recorder, () => {
      for (const inf of this.inflaters) inf.abort('too many records waiting behind a message being inflated; decoding stopped');
    });
    const decode = opts.inspect.frames !== false;
    const keep = opts.inspect.frameBytes;
    const d = opts.deflate;
    const clientInflater = decode && d ? new Inflater({ noContextTakeover: d.clientNoContextTakeover, windowBits: d.clientMaxWindowBits, keep }) : null;
    const backendInflater = decode && d ? new Inflater({ noContextTakeover: d.serverNoContextTakeover, windowBits: d.serverMaxWindowBits, keep }) : null;
    if (clientInflater) this.inflaters.push(clientInflater);
    if (backendInflater) this.inflaters.push(backendInflater);
    const common = { session: opts.session, queue: this.queue, inspect: decode, keep };
    this.toBackend = new Direction({
      ...common,
      from: 'client',
      inflater: clientInflater,
      onClose: closeSeenBy(this, 'client'),
    });
    this.toClient = new Direction({
      ...common,
      from: 'backend',
      inflater: backendInflater,
      onClose: closeSeenBy(this, 'backend'),
    });
  }

  client(chunk: Buffer): void {
    if (this.ended) return;
    try {
      this.toBackend.feed(chunk);
    } catch (err) {
      this.toBackend.crash(err);
    }
  }

  backend(chunk: Buffer): void {
    if (this.ended) return;
    try {
      this.toClient.feed(chunk);
    } catch (err) {
      this.toClient.crash(err);
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
      setPayload(rec, opcode, payload, 0, Math.min(payload.length, Math.max(0, this.inspect.frameBytes)), payload.length);
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
