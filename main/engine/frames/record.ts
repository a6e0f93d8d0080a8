// Builds FrameRecords from decoded payload bytes: text or base64, close code and reason, UTF-8 checks.
import { isUtf8 } from 'node:buffer';
import type { FrameRecord, Opcode } from '../../../shared/events.ts';
import { OP_CLOSE, OP_TEXT } from './parser.ts';

/** A record without its payload yet; `seq` is assigned when it is emitted. */
export function newRecord(
  session: number,
  type: 'send' | 'receive',
  opcode: number,
  time: number,
  wireLength: number,
  fragments: number,
): FrameRecord {
  return {
    session,
    seq: 0,
    type,
    time,
    // Reserved opcodes only reach a record together with a problem saying so.
    opcode: opcode as Opcode,
    data: '',
    encoding: 'text',
    length: 0,
    wireLength,
    fragments,
  };
}

export function addProblem(rec: FrameRecord, problem: string): void {
  if (rec.problems) rec.problems.push(problem);
  else rec.problems = [problem];
}

/**
 * Length of buf[0, len) without a UTF-8 sequence cut off at the end (for truncated text: a character
 * split by the cut is not an encoding error).
 */
function wholeCharsLength(buf: Buffer, len: number): number {
  let i = len - 1;
  const stop = Math.max(0, len - 4);
  while (i >= stop && (buf[i]! & 0xc0) === 0x80) i--;
  if (i < 0 || i < stop) return len;
  const b = buf[i]!;
  const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return len - i < need ? i : len;
}

/**
 * Fill data/encoding/length/truncated from the kept bytes buf[0, kept) of a payload of `length` bytes.
 * Text must be valid UTF-8 (else base64 plus a problem); binary is base64; control payloads are shown as
 * text when they are valid UTF-8; close frames also get closeCode/closeReason.
 */
export function setPayload(rec: FrameRecord, opcode: number, buf: Buffer, kept: number, length: number): void {
  rec.length = length;
  const truncated = kept < length;
  if (truncated) rec.truncated = true;
  if (kept === 0) return;
  if (opcode === OP_CLOSE) {
    // Shown as its reason; the raw payload only when there is no readable reason.
    setClose(rec, buf, kept);
    if (rec.closeReason !== undefined) {
      rec.data = rec.closeReason;
      return;
    }
    rec.data = buf.toString('base64', 0, kept);
    rec.encoding = 'base64';
    return;
  }
  if (opcode === OP_TEXT || opcode >= 8) {
    const end = truncated ? wholeCharsLength(buf, kept) : kept;
    if (isUtf8(buf.subarray(0, end))) {
      rec.data = buf.toString('utf8', 0, end);
      return;
    }
    if (opcode === OP_TEXT) addProblem(rec, 'invalid UTF-8 in a text message');
  }
  rec.data = buf.toString('base64', 0, kept);
  rec.encoding = 'base64';
}

/** WebSocket close codes a peer may send (RFC 6455 §7.4, IANA registry, 3000-4999 for applications). */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

export interface CloseInfo {
  code?: number;
  reason?: string;
  problem?: string;
}

/** Read a close frame's payload buf[0, len). */
export function parseClose(buf: Buffer, len: number): CloseInfo {
  if (len === 0) return {};
  if (len === 1) return { problem: 'close frame with a 1-byte payload (a status code takes 2)' };
  const code = buf.readUInt16BE(0);
  const info: CloseInfo = { code };
  const reasonBytes = buf.subarray(2, len);
  if (isUtf8(reasonBytes)) info.reason = reasonBytes.toString('utf8');
  else info.problem = 'close reason is not valid UTF-8';
  if (!isValidCloseCode(code)) info.problem = `invalid close code ${code}`;
  return info;
}

function setClose(rec: FrameRecord, buf: Buffer, len: number): void {
  const info = parseClose(buf, len);
  if (info.code !== undefined) rec.closeCode = info.code;
  if (info.reason !== undefined) rec.closeReason = info.reason;
  if (info.problem !== undefined) addProblem(rec, info.problem);
}
