// Decodes one direction of a WebSocket stream into FrameRecords: assembles messages, unmasks, inflates, checks the protocol.
import type { WsSessionRecord } from '../../../../shared/events.ts';
import { givePayloadBuffer, MIN_POOLED_BYTES, takePayloadBuffer } from '../../log/buffers.ts';
import { ARENA_MAX_BYTES } from '../../log/frame-queue.ts';
import type { InflateResult, Inflater } from './inflate.ts';
import { copyUnmasked } from './mask.ts';
import type { FrameBytes } from '../../types.ts';
import type { RecordQueue, Slot } from './order.ts';
import { FrameWalker, framingProblem, MAX_CONTROL_PAYLOAD, OP_CLOSE, OP_TEXT, type FrameSink } from './parser.ts';
import { addProblem, newRecord, parseClose, setPayload, textBytesEnd } from './record.ts';

const EMPTY = Buffer.alloc(0);
/** Assembly buffers bigger than this are dropped after their message. */
const RETAIN_BYTES = 64 * 1024;

const SKIP = 0;
const DATA = 1;
const CONTROL = 2;
/** A frame with a protocol error: recorded with its problem, then decoding stops. */
const ERROR = 3;
/** Decoding is off or stopped, but a close frame still tells who closed. */
const CLOSE_ONLY = 4;

export interface DirectionOptions {
  from: 'client' | 'backend';
  session: WsSessionRecord;
  queue: RecordQueue;
  /** Record messages at all (inspect.frames). */
  inspect: boolean;
  /** Payload bytes kept per message (inspect.frameBytes). */
  keep: number;
  /** Present when permessage-deflate was negotiated (with this sender's parameters). */
  inflater: Inflater | null;
  /** The first close frame of this direction (called once). */
  onClose: (code: number | undefined, reason: string | undefined) => void;
}

export class Direction implements FrameSink {
  private readonly walker = new FrameWalker();
  private readonly type: 'send' | 'receive';
  private readonly toBackend: boolean;
  private readonly counts: WsSessionRecord['counts'];
  private readonly sessionId: number;
  private readonly queue: RecordQueue;
  private readonly keep: number;
  private readonly inflater: Inflater | null;
  private readonly onClose: DirectionOptions['onClose'];
  private readonly inspect: boolean;
  /** Why decoding stopped (protocol error, crash); counting goes on while lengths can be read. */
  private stopped: string | null = null;
  private lengthsLost = false;
  private closeSeen = false;

  private mode = SKIP;
  private mask: Buffer | null = null;
  private fin = false;
  private frameLength = 0;
  /** An unmasked single-frame message that arrived in one piece: decoded from the chunk, no copy. */
  private direct: Buffer | null = null;
  private directStart = 0;
  /** The record the byte path hands over, reused from message to message (made at the first one). */
  private bytesFrame: FrameBytes | null = null;

  // The data message being assembled (msgOpcode -1: none).
  private msgOpcode = -1;
  private msgCompressed = false;
  private msgFragments = 0;
  private msgWire = 0;
  private msgLength = 0;
  private buf: Buffer = EMPTY;
  private bufLen = 0;

  // The control (or erroneous) frame being read.
  /** Allocated at the first control frame (many sessions never see one). */
  private ctl: Buffer = EMPTY;
  private ctlLen = 0;
  private ctlOpcode = 0;
  private ctlLength = 0;
  private ctlWire = 0;
  private ctlProblem = '';

  constructor(opts: DirectionOptions) {
    this.type = opts.from === 'client' ? 'send' : 'receive';
    this.toBackend = opts.from === 'client';
    this.counts = opts.session.counts;
    this.sessionId = opts.session.id;
    this.queue = opts.queue;
    this.inspect = opts.inspect;
    this.keep = Math.max(0, opts.keep);
    this.inflater = opts.inflater;
    this.onClose = opts.onClose;
  }

  feed(chunk: Buffer): void {
    if (this.toBackend) this.counts.bytesToBackend += chunk.length;
    else this.counts.bytesToClient += chunk.length;
    if (this.lengthsLost) return;
    this.walker.feed(chunk, this);
    if (this.walker.error !== null) this.loseLengths(this.walker.error);
  }

  /** The stream ended: record a half-assembled message (and a cut control frame) with a note. */
  end(): void {
    const midFrame = !this.walker.atFrameBoundary && !this.lengthsLost;
    if (this.stopped === null && this.inspect) {
      if (midFrame && this.mode === CONTROL) {
        this.emitControl('incomplete frame: the connection ended inside it');
      }
      if (this.msgOpcode !== -1) {
        this.finishMessage(
          midFrame && this.mode === DATA
            ? 'incomplete message: the connection ended inside one of its frames'
            : 'incomplete message: the connection ended before its final fragment',
        );
      }
    }
    this.msgOpcode = -1;
    this.mode = SKIP;
    this.inflater?.close();
  }

  /** Something threw inside the tap: stop decoding and counting this direction for good. */
  crash(err: unknown): void {
    if (this.lengthsLost && this.stopped?.startsWith('internal error')) return;
    const reason = `internal error while decoding frames: ${(err as Error)?.message ?? String(err)}`;
    const reported = this.stopped !== null || !this.inspect;
    this.lengthsLost = true;
    this.stop(reason);
    if (reported) return;
    try {
      const rec = newRecord(this.sessionId, this.type, 0, Date.now() / 1000, 0, 0);
      addProblem(rec, `${reason}; decoding and frame counting stopped for this direction`);
      this.queue.push(rec);
    } catch {
      // Nothing more can be done.
    }
  }

  header(w: FrameWalker): void {
    if (this.toBackend) this.counts.framesToBackend++;
    else this.counts.framesToClient++;
    this.mask = w.masked ? w.mask : null;
    this.fin = w.fin;
    this.frameLength = w.length;
    if (this.stopped !== null || !this.inspect) {
      this.mode = w.opcode === OP_CLOSE && !this.closeSeen && w.length <= MAX_CONTROL_PAYLOAD ? CLOSE_ONLY : SKIP;
      this.ctlLen = 0;
      return;
    }
    const problem = this.problemOf(w);
    if (problem !== null || w.opcode >= 8) {
      this.mode = problem === null ? CONTROL : ERROR;
      this.ctlProblem = problem ?? '';
      this.ctlOpcode = w.opcode;
      this.ctlLen = 0;
      this.ctlLength = 0;
      this.ctlWire = w.headerLength + w.length;
      return;
    }
    this.mode = DATA;
    if (w.opcode !== 0) {
      this.msgOpcode = w.opcode;
      this.msgCompressed = (w.rsv & 0x40) !== 0;
      this.msgFragments = 0;
      this.msgWire = 0;
      this.msgLength = 0;
      this.bufLen = 0;
      if (this.msgCompressed) this.inflater!.begin();
    }
    this.msgFragments++;
    this.msgWire += w.headerLength;
    if (!this.msgCompressed) {
      const want = Math.min(this.keep, this.msgLength + w.length);
      if (want > this.buf.length) this.grow(want);
    }
  }

  payload(chunk: Buffer, start: number, end: number, offset: number): void {
    const n = end - start;
    switch (this.mode) {
      case DATA:
        this.msgWire += n;
        this.msgLength += n;
        if (this.msgCompressed) {
          this.inflater!.write(chunk, start, end, this.mask, offset);
        } else if (this.mask === null && n === this.frameLength && this.fin && this.msgFragments === 1) {
          this.direct = chunk;
          this.directStart = start;
          this.bufLen = Math.min(this.keep, n);
        } else {
          const take = Math.min(this.keep - this.bufLen, n);
          if (take > 0) {
            copyUnmasked(this.buf, this.bufLen, chunk, start, start + take, this.mask, offset);
            this.bufLen += take;
          }
        }
        return;
      case SKIP:
        return;
      default: {
        this.ctlLength += n;
        const take = Math.min(MAX_CONTROL_PAYLOAD - this.ctlLen, n);
        if (take > 0) {
          if (this.ctl.length === 0) this.ctl = Buffer.allocUnsafe(MAX_CONTROL_PAYLOAD);
          copyUnmasked(this.ctl, this.ctlLen, chunk, start, start + take, this.mask, offset);
          this.ctlLen += take;
        }
      }
    }
  }

  frameEnd(): void {
    switch (this.mode) {
      case DATA:
        if (this.fin) this.finishMessage(null);
        return;
      case CONTROL:
        this.emitControl(null);
        return;
      case ERROR:
        this.protocolError();
        return;
      case CLOSE_ONLY:
        if (!this.closeSeen) {
          this.closeSeen = true;
          const info = parseClose(this.ctl, this.ctlLen);
          this.onClose(info.code, info.reason);
        }
    }
  }

  private problemOf(w: FrameWalker): string | null {
    const framing = framingProblem(w, this.msgOpcode !== -1);
    if (framing !== null) return framing;
    const allowed = this.inflater !== null && (w.opcode === 1 || w.opcode === 2) ? 0x40 : 0;
    const bad = w.rsv & ~allowed;
    if (bad !== 0) {
      const names = [0x40, 0x20, 0x10].filter((b) => bad & b).map((b) => `RSV${b === 0x40 ? 1 : b === 0x20 ? 2 : 3}`);
      const why =
        bad === 0x40 && this.inflater !== null
          ? 'on a continuation or control frame'
          : 'without a negotiated extension';
      return `reserved bit ${names.join('+')} set ${why}`;
    }
    if (this.toBackend && !w.masked) return 'client frame is not masked';
    if (!this.toBackend && w.masked) return 'backend frame is masked';
    return null;
  }

  private grow(want: number): void {
    const size = Math.min(this.keep, Math.max(want, this.buf.length * 2, 256));
    // Large ones come from (and go back to) the payload pool: the session log recycles what it evicts.
    const grown = size >= MIN_POOLED_BYTES ? takePayloadBuffer(size) : Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.bufLen);
    givePayloadBuffer(this.buf);
    this.buf = grown;
  }

  /** Record the assembled message (complete, or cut short with `note`). */
  private finishMessage(note: string | null): void {
    const opcode = this.msgOpcode;
    this.msgOpcode = -1;
    if (
      note === null &&
      !this.msgCompressed &&
      this.bufLen > 0 &&
      this.bufLen <= ARENA_MAX_BYTES &&
      this.queue.takesBytes &&
      this.recordBytes(opcode)
    )
      return;
    const rec = newRecord(this.sessionId, this.type, opcode, Date.now() / 1000, this.msgWire, this.msgFragments);
    if (this.direct !== null) {
      setPayload(rec, opcode, this.direct, this.directStart, this.bufLen, this.msgLength);
      this.direct = null;
      if (note !== null) addProblem(rec, note);
      this.queue.push(rec);
      return;
    }
    if (!this.msgCompressed) {
      // A large payload may keep the assembly buffer itself (no second copy): start a new one.
      if (setPayload(rec, opcode, this.buf, 0, this.bufLen, this.msgLength, true)) this.buf = EMPTY;
      // Idle sessions should not keep a big message's buffer alive.
      else if (this.buf.length > RETAIN_BYTES) {
        givePayloadBuffer(this.buf);
        this.buf = EMPTY;
      }
      if (note !== null) addProblem(rec, note);
      this.queue.push(rec);
      return;
    }
    rec.compressed = true;
    let slot: Slot | null = null;
    let ready = false;
    const keep = this.keep;
    const queue = this.queue;
    this.inflater!.finish((r: InflateResult) => {
      const kept = Math.min(keep, r.data.length);
      setPayload(rec, opcode, r.data, 0, kept, r.length);
      if (r.error !== undefined) addProblem(rec, r.error);
      if (r.capped === true) rec.inflateCapped = true;
      if (note !== null) addProblem(rec, note);
      if (slot !== null) queue.resolve(slot, rec);
      else ready = true;
    }, note !== null);
    if (ready) queue.push(rec);
    else slot = queue.reserve();
  }

  /**
   * Hand a small whole message to the session log as its bytes (no record object, no string: see
   * FrameQueue.pushBytes); false when it must be recorded the usual way (invalid UTF-8).
   */
  private recordBytes(opcode: number): boolean {
    const direct = this.direct;
    const src = direct ?? this.buf;
    const start = direct !== null ? this.directStart : 0;
    const truncated = this.bufLen < this.msgLength;
    let end = start + this.bufLen;
    if (opcode === OP_TEXT && (end = textBytesEnd(src, start, end, truncated)) < 0) return false;
    this.direct = null;
    const f = (this.bytesFrame ??= {
      session: this.sessionId,
      seq: 0,
      receive: !this.toBackend,
      opcode: 0,
      time: 0,
      length: 0,
      wire: 0,
      fragments: 0,
      encoding: 'utf8',
      truncated: false,
      src: EMPTY,
      start: 0,
      end: 0,
    });
    f.opcode = opcode;
    f.time = Date.now() / 1000;
    f.length = this.msgLength;
    f.wire = this.msgWire;
    f.fragments = this.msgFragments;
    f.encoding = opcode === OP_TEXT ? 'utf8' : 'base64';
    f.truncated = truncated;
    f.src = src;
    f.start = start;
    f.end = end;
    this.queue.pushBytes(f);
    f.src = EMPTY;
    // Idle sessions should not keep a big message's buffer alive.
    if (direct === null && this.buf.length > RETAIN_BYTES) {
      givePayloadBuffer(this.buf);
      this.buf = EMPTY;
    }
    return true;
  }

  private emitControl(note: string | null): void {
    const opcode = this.ctlOpcode;
    const rec = newRecord(this.sessionId, this.type, opcode, Date.now() / 1000, this.ctlWire, 1);
    setPayload(rec, opcode, this.ctl, 0, this.ctlLen, this.ctlLength);
    if (note !== null) addProblem(rec, note);
    if (opcode === OP_CLOSE && !this.closeSeen) {
      this.closeSeen = true;
      this.onClose(rec.closeCode, rec.closeReason);
    }
    const badClose = opcode === OP_CLOSE && note === null && rec.problems !== undefined;
    if (badClose) addProblem(rec, 'frame decoding stopped for this direction');
    this.queue.push(rec);
    if (badClose) this.stop(rec.problems![0]!);
  }

  /** Record the offending frame (after any message it interrupted), then stop decoding. */
  private protocolError(): void {
    const problem = this.ctlProblem;
    if (this.msgOpcode !== -1) this.finishMessage(`incomplete message: interrupted by a protocol error (${problem})`);
    const opcode = this.ctlOpcode;
    const rec = newRecord(this.sessionId, this.type, opcode, Date.now() / 1000, this.ctlWire, 1);
    // The payload is shown raw (first 125 bytes at most): it cannot be trusted to be text.
    rec.length = this.ctlLength;
    if (this.ctlLen > 0) {
      rec.data = this.ctl.toString('base64', 0, this.ctlLen);
      rec.encoding = 'base64';
    }
    if (this.ctlLen < this.ctlLength) rec.truncated = true;
    addProblem(rec, problem);
    addProblem(rec, 'frame decoding stopped for this direction');
    this.queue.push(rec);
    this.stop(problem);
  }

  private loseLengths(error: string): void {
    this.lengthsLost = true;
    if (this.stopped === null && this.inspect) {
      if (this.msgOpcode !== -1) this.finishMessage(`incomplete message: interrupted by a protocol error (${error})`);
      const rec = newRecord(
        this.sessionId,
        this.type,
        this.walker.opcode,
        Date.now() / 1000,
        this.walker.headerLength,
        1,
      );
      addProblem(rec, `${error}; frame decoding and frame counting stopped for this direction (byte counts go on)`);
      this.queue.push(rec);
    }
    this.stop(error);
  }

  private stop(reason: string): void {
    this.stopped = reason;
    this.msgOpcode = -1;
    this.inflater?.close();
  }
}
