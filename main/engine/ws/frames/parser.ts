// Incremental, allocation-free walker over WebSocket frame headers (RFC 6455 §5.2), shared by the tap and the boundary tracker.

export const OP_CONTINUATION = 0;
export const OP_TEXT = 1;
export const OP_BINARY = 2;
export const OP_CLOSE = 8;
export const OP_PING = 9;
export const OP_PONG = 10;

/** Largest payload a control frame may carry. */
export const MAX_CONTROL_PAYLOAD = 125;

const NO_BYTES = Buffer.alloc(0);

/** What the walker reports to; the current header is read from the walker's fields. */
export interface FrameSink {
  /** A whole header was read (walker.fin, .rsv, .opcode, .masked, .mask, .length, .headerLength). */
  header(walker: FrameWalker): void;
  /** Payload bytes chunk[start, end) of the current frame; `offset` = payload bytes of this frame before them. */
  payload(chunk: Buffer, start: number, end: number, offset: number): void;
  /** The current frame ended right before chunk offset `end` (payload complete, or empty payload). */
  frameEnd(end: number): void;
}

/**
 * Reads frame headers across arbitrary chunk splits and hands payload slices to a sink, in place.
 * Stops for good when a length cannot be decoded (`error` is then set): nothing after it can be framed.
 */
export class FrameWalker {
  fin = false;
  /** RSV bits as in the first byte (0x40 = RSV1, 0x20 = RSV2, 0x10 = RSV3). */
  rsv = 0;
  opcode = 0;
  masked = false;
  /**
   * Masking key of the current frame (valid when masked, and only for a walker made with
   * keepMask). Allocated at the first masked frame: every open session has four walkers.
   */
  mask: Buffer = NO_BYTES;
  /** Payload length of the current frame. */
  length = 0;
  headerLength = 0;
  /** Set once a header could not be decoded; the walker then ignores all input. */
  error: string | null = null;

  private inPayload = false;
  private remaining = 0;
  private offset = 0;
  /** A header split across chunks is gathered here (allocated the first time one is). */
  private hdr: Buffer = NO_BYTES;
  private hdrLen = 0;

  /** keepMask: read masking keys into `mask` (a walker that never unmasks can skip them). */
  constructor(private readonly keepMask = true) {}

  /** True when everything fed so far ends exactly at a frame boundary. */
  get atFrameBoundary(): boolean {
    return !this.inPayload && this.hdrLen === 0;
  }

  feed(chunk: Buffer, sink: FrameSink): void {
    const n = chunk.length;
    let i = 0;
    while (i < n && this.error === null) {
      if (this.inPayload) {
        const take = Math.min(this.remaining, n - i);
        sink.payload(chunk, i, i + take, this.offset);
        this.offset += take;
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) {
          this.inPayload = false;
          sink.frameEnd(i);
        }
        continue;
      }
      let used: number;
      if (this.hdrLen === 0) {
        const h = this.parse(chunk, i, n - i);
        if (h === 0) {
          if (this.hdr.length === 0) this.hdr = Buffer.allocUnsafe(14);
          chunk.copy(this.hdr, 0, i, n);
          this.hdrLen = n - i;
          return;
        }
        used = h;
      } else {
        const before = this.hdrLen;
        const add = Math.min(14 - before, n - i);
        chunk.copy(this.hdr, before, i, i + add);
        this.hdrLen += add;
        const h = this.parse(this.hdr, 0, this.hdrLen);
        if (h === 0) return;
        this.hdrLen = 0;
        used = h - before;
      }
      if (this.error !== null) return;
      i += used;
      sink.header(this);
      if (this.error !== null) return;
      if (this.length === 0) {
        sink.frameEnd(i);
      } else {
        this.inPayload = true;
        this.remaining = this.length;
        this.offset = 0;
      }
    }
  }

  /** Decode a header at buf[off, off+avail): its length, or 0 when more bytes are needed. */
  private parse(buf: Buffer, off: number, avail: number): number {
    if (avail < 2) return 0;
    const b0 = buf[off]!;
    const b1 = buf[off + 1]!;
    const masked = (b1 & 0x80) !== 0;
    let len = b1 & 0x7f;
    let size = 2;
    if (len === 126) size = 4;
    else if (len === 127) size = 10;
    if (masked) size += 4;
    if (avail < size) return 0;
    if (len === 126) {
      len = buf.readUInt16BE(off + 2);
    } else if (len === 127) {
      const hi = buf.readUInt32BE(off + 2);
      // RFC 6455: the most significant bit must be 0; beyond 2^53 - 1 we cannot count exactly.
      if (hi > 0x1fffff) {
        this.error =
          hi & 0x80000000 ? 'frame length has its most significant bit set' : 'frame length beyond 2^53 bytes';
        this.setHeader(b0, masked, 0, size);
        return size;
      }
      len = hi * 0x100000000 + buf.readUInt32BE(off + 6);
    }
    if (masked && this.keepMask) {
      // Four assignments beat Buffer#copy's call overhead on this per-frame path.
      if (this.mask.length === 0) this.mask = Buffer.allocUnsafe(4);
      const m = this.mask;
      const k = off + size - 4;
      m[0] = buf[k]!;
      m[1] = buf[k + 1]!;
      m[2] = buf[k + 2]!;
      m[3] = buf[k + 3]!;
    }
    this.setHeader(b0, masked, len, size);
    return size;
  }

  private setHeader(b0: number, masked: boolean, length: number, size: number): void {
    this.fin = (b0 & 0x80) !== 0;
    this.rsv = b0 & 0x70;
    this.opcode = b0 & 0x0f;
    this.masked = masked;
    this.length = length;
    this.headerLength = size;
  }
}

export function isControl(opcode: number): boolean {
  return opcode >= 8;
}

/** Known opcodes (0, 1, 2, 8, 9, 10). */
export function isKnownOpcode(opcode: number): boolean {
  return opcode <= 2 || (opcode >= 8 && opcode <= 10);
}

/**
 * Framing-level protocol problem of the current header given whether a fragmented data message is
 * open: reserved opcode, oversized or fragmented control frame, orphan continuation, nested start.
 * RSV bits and masking are the caller's business (they depend on the negotiated extension and side).
 */
export function framingProblem(w: FrameWalker, messageOpen: boolean): string | null {
  const op = w.opcode;
  if (!isKnownOpcode(op)) return `reserved opcode ${op}`;
  if (op >= 8) {
    if (w.length > MAX_CONTROL_PAYLOAD)
      return `control frame (opcode ${op}) with ${w.length} bytes of payload (max 125)`;
    if (!w.fin) return `fragmented control frame (opcode ${op})`;
    return null;
  }
  if (op === OP_CONTINUATION) return messageOpen ? null : 'continuation frame without a message to continue';
  return messageOpen ? `new data frame (opcode ${op}) while a fragmented message is still open` : null;
}
