// Builds FrameRecords from decoded payload bytes: text or base64, close code and reason, UTF-8 checks.
import { isAscii, isUtf8, transcode } from 'node:buffer';
import type { FrameRecord, Opcode } from '../../../../shared/events.ts';
import { takePayloadBuffer } from '../../log/buffers.ts';
import { LAZY_MIN_BYTES, setLazy } from '../../log/lazy.ts';
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
 * End of buf[start, end) without a UTF-8 sequence cut off at the end (for truncated text: a character
 * split by the cut is not an encoding error).
 */
function wholeCharsEnd(buf: Buffer, start: number, end: number): number {
  let i = end - 1;
  const stop = Math.max(start, end - 4);
  while (i >= stop && (buf[i]! & 0xc0) === 0x80) i--;
  if (i < stop) return end;
  const b = buf[i]!;
  const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return end - i < need ? i : end;
}

/**
 * For text kept as bytes (the session log's byte path): the end of the bytes of buf[start, end) its
 * data decodes from, as setPayload would show it (a character cut by truncation left out), or -1
 * when they are not valid UTF-8 (setPayload then shows base64 with a problem).
 */
export function textBytesEnd(buf: Buffer, start: number, end: number, truncated: boolean): number {
  const textEnd = truncated ? wholeCharsEnd(buf, start, end) : end;
  return isUtf8(buf.subarray(start, textEnd)) ? textEnd : -1;
}

/**
 * buf[start, end) as a string, or null when it is not valid UTF-8. Large non-ASCII payloads go
 * through ICU's transcoder: on Node 20 that is ~10× faster than Buffer#toString('utf8') for them.
 */
function decodeUtf8(buf: Buffer, start: number, end: number): string | null {
  if (end - start < 256) {
    // Node's decoder turns every invalid sequence into U+FFFD: without one, the bytes were valid.
    const text = buf.toString('utf8', start, end);
    return text.indexOf('\ufffd') === -1 || isUtf8(buf.subarray(start, end)) ? text : null;
  }
  const view = buf.subarray(start, end);
  if (isAscii(view)) return buf.toString('latin1', start, end);
  if (!isUtf8(view)) return null;
  return transcode(view, 'utf8', 'ucs2').toString('ucs2');
}

/**
 * Fill data/encoding/length/truncated from the kept bytes buf[start, start + kept) of a payload of
 * `length` bytes. Text must be valid UTF-8 (else base64 plus a problem); binary is base64; control
 * payloads are shown as text when they are valid UTF-8; close frames also get closeCode/closeReason.
 * `owned`: buf is the caller's to give away; a large payload then keeps a view of it instead of a
 * copy, and true is returned (the caller must not reuse buf).
 */
export function setPayload(
  rec: FrameRecord,
  opcode: number,
  buf: Buffer,
  start: number,
  kept: number,
  length: number,
  owned = false,
): boolean {
  rec.length = length;
  const truncated = kept < length;
  if (truncated) rec.truncated = true;
  if (kept === 0) return false;
  const end = start + kept;
  if (opcode === OP_CLOSE) {
    // Shown as its reason; the raw payload only when there is no readable reason.
    setClose(rec, buf.subarray(start, end));
    if (rec.closeReason !== undefined) {
      rec.data = rec.closeReason;
      return false;
    }
  } else if (kept >= LAZY_MIN_BYTES) {
    // Not decoded now: `data` decodes the kept bytes when read (log/lazy.ts).
    // Only data frames get here (control payloads are at most 125 bytes).
    // A view is kept only when it is most of the buffer (the rest would be held for nothing).
    const take = owned && kept * 2 >= buf.length;
    const keep = (from: number, to: number): Buffer => {
      if (take) return buf.subarray(from, to);
      // A copy in pooled memory, which the session log can recycle once it evicts the frame.
      const copy = takePayloadBuffer(to - from);
      buf.copy(copy, 0, from, to);
      return copy.subarray(0, to - from);
    };
    if (opcode === OP_TEXT) {
      const textEnd = truncated ? wholeCharsEnd(buf, start, end) : end;
      const view = buf.subarray(start, textEnd);
      if (isAscii(view)) {
        setLazy(rec, 'data', keep(start, textEnd), 'latin1');
        return take;
      }
      if (isUtf8(view)) {
        setLazy(rec, 'data', keep(start, textEnd), 'utf8');
        return take;
      }
      addProblem(rec, 'invalid UTF-8 in a text message');
    }
    rec.encoding = 'base64';
    setLazy(rec, 'data', keep(start, end), 'base64');
    return take;
  } else if (opcode === OP_TEXT || opcode >= 8) {
    const text = decodeUtf8(buf, start, truncated ? wholeCharsEnd(buf, start, end) : end);
    if (text !== null) {
      rec.data = text;
      return false;
    }
    if (opcode === OP_TEXT) addProblem(rec, 'invalid UTF-8 in a text message');
  }
  rec.data = buf.toString('base64', start, end);
  rec.encoding = 'base64';
  return false;
}

/** WebSocket close codes a peer may send (RFC 6455 §7.4, IANA registry, 3000-4999 for applications). */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999)
  );
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

function setClose(rec: FrameRecord, payload: Buffer): void {
  const info = parseClose(payload, payload.length);
  if (info.code !== undefined) rec.closeCode = info.code;
  if (info.reason !== undefined) rec.closeReason = info.reason;
  if (info.problem !== undefined) addProblem(rec, info.problem);
}
