// Encodes WebSocket frames Loopgate injects: masked toward the backend, unmasked toward the client.
import { randomFillSync } from 'node:crypto';
import { unmaskInPlace } from './mask.ts';
import { isKnownOpcode, MAX_CONTROL_PAYLOAD, OP_CLOSE } from './parser.ts';

export interface EncodeOptions {
  opcode: number;
  payload: Buffer;
  /** Mask the payload (required for frames going to a server). */
  mask: boolean;
  /** Default true. */
  fin?: boolean;
  /** Set RSV1 (a permessage-deflate compressed payload). Default false. */
  rsv1?: boolean;
}

/** Why a frame cannot be sent as asked, or null. Lets callers refuse with a message instead of throwing. */
export function frameError(
  opcode: number,
  payloadLength: number,
  fin = true,
): { code: string; message: string } | null {
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 15 || !isKnownOpcode(opcode)) {
    return { code: 'WS_BAD_OPCODE', message: `opcode ${opcode} is not a WebSocket opcode (0, 1, 2, 8, 9, 10)` };
  }
  if (opcode >= 8 && payloadLength > MAX_CONTROL_PAYLOAD) {
    return {
      code: 'WS_CONTROL_TOO_LARGE',
      message: `control frames carry at most 125 bytes; this one has ${payloadLength}`,
    };
  }
  if (opcode >= 8 && !fin) return { code: 'WS_CONTROL_FRAGMENTED', message: 'control frames cannot be fragmented' };
  return null;
}

/** Encode one frame. Throws RangeError for what frameError() reports (check it first for user input). */
export function encodeFrame(opts: EncodeOptions): Buffer {
  const { opcode, payload, mask } = opts;
  const fin = opts.fin ?? true;
  const err = frameError(opcode, payload.length, fin);
  if (err) throw new RangeError(err.message);
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 0x10000 ? 2 : 8;
  const headerLength = 2 + ext + (mask ? 4 : 0);
  const out = Buffer.allocUnsafe(headerLength + len);
  out[0] = (fin ? 0x80 : 0) | (opts.rsv1 ? 0x40 : 0) | opcode;
  const maskBit = mask ? 0x80 : 0;
  if (ext === 0) {
    out[1] = maskBit | len;
  } else if (ext === 2) {
    out[1] = maskBit | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = maskBit | 127;
    out.writeUInt32BE(Math.floor(len / 0x100000000), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  payload.copy(out, headerLength);
  if (mask) {
    const key = out.subarray(headerLength - 4, headerLength);
    randomFillSync(key);
    unmaskInPlace(out, headerLength, headerLength + len, key, 0); // XOR: masking and unmasking are the same
  }
  return out;
}

/** Wire length of a frame with this payload length (what encodeFrame would produce). */
export function frameWireLength(payloadLength: number, mask: boolean): number {
  const ext = payloadLength < 126 ? 0 : payloadLength < 0x10000 ? 2 : 8;
  return 2 + ext + (mask ? 4 : 0) + payloadLength;
}

/**
 * Encode a close frame. Code 1005 ("no status") sends an empty payload. The reason is cut at a
 * character boundary so the payload stays within 125 bytes.
 */
export function encodeClose(code: number, reason: string, mask: boolean): Buffer {
  if (code === 1005) return encodeFrame({ opcode: OP_CLOSE, payload: Buffer.alloc(0), mask });
  let text = Buffer.from(reason, 'utf8');
  if (text.length > MAX_CONTROL_PAYLOAD - 2) {
    let cut = MAX_CONTROL_PAYLOAD - 2;
    while (cut > 0 && (text[cut]! & 0xc0) === 0x80) cut--;
    text = text.subarray(0, cut);
  }
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code & 0xffff, 0);
  text.copy(payload, 2);
  return encodeFrame({ opcode: OP_CLOSE, payload, mask });
}
