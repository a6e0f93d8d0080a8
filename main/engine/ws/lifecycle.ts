// The one writer of a WebSocket session record's lifecycle: opened (the 101), failed before opening, peer errors, closed (who, with what code).
import type { ErrorInfo, Headers, Side, WsSessionRecord } from '../../../shared/events.ts';

/** One side of a tunnel. */
export type Peer = 'client' | 'backend';

/** Set when Loopgate ended the session (idle timeout, user close, engine stop). */
export interface Closer {
  code?: number;
  reason?: string;
}

/** The first close frame the tap saw (FrameTap.firstClose). */
export type FirstClose = { from: Peer; code?: number; reason?: string } | null;

const joined = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v);

/** The backend answered 101: the session is open, with what was negotiated. */
export function recordOpened(record: WsSessionRecord, status: number, headers: Headers): void {
  record.state = 'open';
  record.status = status;
  record.responseHeaders = headers;
  record.subprotocol = joined(headers['sec-websocket-protocol']);
  record.extensions = joined(headers['sec-websocket-extensions']);
  record.openedAt = Date.now();
}

/** What a backend that refused the upgrade answered instead of 101 (relayed to the client as is). */
export interface RefusedAnswer {
  status: number;
  headers: Headers;
  /** The start of its body, when it had one. */
  body?: string;
}

/**
 * The session failed before it opened: refused by Loopgate (`status` its answer, 0 for none), the
 * handshake failed, or the backend answered something else than 101 (`answer`).
 */
export function recordFailed(
  record: WsSessionRecord,
  closedBy: Side,
  error: ErrorInfo,
  status = 0,
  answer?: RefusedAnswer,
): void {
  record.state = 'failed';
  if (answer) {
    record.status = answer.status;
    record.responseHeaders = answer.headers;
    if (answer.body !== undefined) record.responseBody = answer.body;
  } else if (status > 0) record.status = status;
  record.error = error;
  record.closedAt = Date.now();
  record.closedBy = closedBy;
}

/** Errors that are only the other half of a close already under way. */
const BENIGN = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/**
 * Record a socket error of one peer, unless one is recorded already or it is a benign one while the
 * session is closing (`closing`: Loopgate closed it, or a close frame went by).
 */
export function recordPeerError(
  record: WsSessionRecord,
  side: Peer,
  err: NodeJS.ErrnoException,
  origin: string,
  closing: boolean,
): void {
  const code = err.code ?? 'ERROR';
  if (record.error || (BENIGN.has(code) && closing)) return;
  const where = side === 'client' ? 'client connection' : `backend connection (${origin})`;
  record.error = { code, message: `${where} failed: ${err.message}`, side };
}

/** Mark the record closed: Loopgate's own close wins, then the first close frame, then the first peer to hang up. */
export function recordClosed(
  record: WsSessionRecord,
  closer: Closer | null,
  firstClose: FirstClose,
  firstEnd: Side | null,
): void {
  record.state = 'closed';
  record.closedAt = Date.now();
  if (closer) {
    record.closedBy = 'loopgate';
    record.closeCode = closer.code;
    record.closeReason = closer.reason;
  } else if (firstClose) {
    record.closedBy = firstClose.from;
    record.closeCode = firstClose.code;
    record.closeReason = firstClose.reason;
  } else {
    record.closedBy = firstEnd ?? 'loopgate';
  }
}
