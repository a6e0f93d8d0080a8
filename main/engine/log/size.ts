// Estimates how many bytes of memory a record or frame holds, for the session log's cap.
import type { ErrorInfo, FrameRecord, Headers, HttpRecord, WsSessionRecord } from '../../../shared/events.ts';
import { heldBytes } from './lazy.ts';

/** Fixed cost of an object with its fields (V8 object, hidden class, numbers, map entry). */
const RECORD_OVERHEAD = 480;
const FRAME_OVERHEAD = 160;
const ENTRY_OVERHEAD = 48;

const str = (s: string | undefined): number => (s === undefined ? 0 : s.length + 16);
/** A field that may be held as raw bytes (log/lazy.ts): what it holds, without decoding it. */
const held = (o: object, key: string): number => {
  const n = heldBytes(o, key);
  return n === 0 ? 0 : n + 16;
};

export function headersSize(h: Headers | undefined): number {
  if (!h) return 0;
  let n = 64;
  for (const k in h) {
    const v = h[k]!;
    n += ENTRY_OVERHEAD + k.length;
    if (Array.isArray(v)) for (const x of v) n += String(x).length + 16;
    else n += String(v).length;
  }
  return n;
}

function errorSize(e: ErrorInfo | undefined): number {
  return e ? 64 + e.code.length + e.message.length : 0;
}

export function httpSize(r: HttpRecord): number {
  return (
    RECORD_OVERHEAD +
    str(r.method) +
    str(r.url) +
    str(r.host) +
    str(r.clientAddress) +
    str(r.route) +
    str(r.target) +
    headersSize(r.requestHeaders) +
    headersSize(r.upstreamHeaders) +
    headersSize(r.responseHeaders) +
    held(r, 'requestBody') +
    held(r, 'responseBody') +
    errorSize(r.error)
  );
}

export function sessionSize(r: WsSessionRecord): number {
  return (
    RECORD_OVERHEAD +
    96 +
    str(r.url) +
    str(r.host) +
    str(r.clientAddress) +
    str(r.route) +
    str(r.target) +
    headersSize(r.requestHeaders) +
    headersSize(r.upstreamHeaders) +
    headersSize(r.responseHeaders) +
    str(r.responseBody) +
    str(r.subprotocol) +
    str(r.extensions) +
    str(r.closeReason) +
    errorSize(r.error)
  );
}

export function frameSize(f: FrameRecord): number {
  let n = FRAME_OVERHEAD + heldBytes(f, 'data') + str(f.closeReason);
  if (f.problems) for (const p of f.problems) n += p.length + 16;
  return n;
}
