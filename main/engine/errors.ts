// Loopgate's own error answers (400, 403, 404, 405, 413, 501, 502, 504): short bodies that name route and target.
import type { ServerResponse } from 'node:http';
import type { ErrorInfo, Side } from '../../shared/events.ts';
import { formatDuration } from '../../shared/units.ts';
import { headerProblem } from './http/header-value.ts';

export const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  416: 'Range Not Satisfiable',
  421: 'Misdirected Request',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
};

/** Map a socket or undici error to a stable code, a side and a sentence a user can act on. */
export function describeUpstreamError(err: unknown, target: string): { status: number; error: ErrorInfo } {
  const e = err as { code?: string; message?: string; name?: string };
  const code = e?.code ?? e?.name ?? 'ERROR';
  const side: Side = 'backend';
  switch (code) {
    case 'ECONNREFUSED':
      return {
        status: 502,
        error: { code, side, message: `backend refused the connection (${target}): is it running?` },
      };
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return {
        status: 502,
        error: { code: 'ECONNRESET', side, message: `backend closed the connection unexpectedly (${target})` },
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { status: 502, error: { code, side, message: `backend host not found (${target})` } };
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'CONNECT_TIMEOUT':
      return {
        status: 504,
        error: {
          code: 'CONNECT_TIMEOUT',
          side,
          message: `backend did not accept the connection within the connect timeout (${target})`,
        },
      };
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'READ_TIMEOUT':
      return {
        status: 504,
        error: { code: 'READ_TIMEOUT', side, message: `backend sent nothing within the read timeout (${target})` },
      };
    case 'SEND_TIMEOUT':
      return {
        status: 504,
        error: { code, side, message: `backend did not take the request body within the send timeout (${target})` },
      };
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return {
        status: 502,
        error: {
          code,
          side,
          message: `backend TLS certificate rejected (${target}): ${e.message ?? code}; turn off "secure" on the route for self-signed backends`,
        },
      };
    default:
      return { status: 502, error: { code, side, message: `${e?.message ?? String(err)} (${target})` } };
  }
}

/**
 * The client went quiet: while sending the request body (nginx client_body_timeout; like nginx,
 * the connection is closed without an answer, and the log says 408) or while bytes of the answer
 * waited for it (nginx send_timeout).
 */
export function describeClientTimeout(kind: 'body' | 'send' | 'session', ms: number): ErrorInfo {
  const after = formatDuration(ms);
  return kind === 'body'
    ? {
        code: 'CLIENT_BODY_TIMEOUT',
        side: 'client',
        message: `client sent nothing more of the request body for ${after} (timeouts.clientBody, nginx client_body_timeout): connection closed without an answer, as nginx does`,
      }
    : {
        code: 'CLIENT_SEND_TIMEOUT',
        side: 'client',
        message: `client took none of the ${kind === 'send' ? 'answer' : "session's data"} for ${after} (timeouts.clientSend, nginx send_timeout): connection closed`,
      };
}

/** The client went away before its answer was complete. */
export const CLIENT_ABORTED: Readonly<ErrorInfo> = Object.freeze({
  code: 'CLIENT_ABORTED',
  side: 'client',
  message: 'client closed the connection before the answer was complete',
});

/** client_max_body_size exceeded, naming the setting to raise. */
export function describeBodyTooLarge(maxBodySize: number, routeLabel: string): ErrorInfo {
  return {
    code: 'BODY_TOO_LARGE',
    side: 'client',
    message: `request body is larger than the route's maxBodySize (${maxBodySize} bytes): raise maxBodySize on route ${routeLabel}`,
  };
}

/** Why Loopgate itself cut a response it answers (static files), for the record the listener keeps. */
const cutReasons = new WeakMap<ServerResponse, ErrorInfo>();

export function noteCut(res: ServerResponse, error: ErrorInfo): void {
  cutReasons.set(res, error);
}

export function cutReason(res: ServerResponse): ErrorInfo | undefined {
  return cutReasons.get(res);
}

/**
 * Answer with Loopgate's own error. `extra` headers (CORS, add_header) are applied so errors carry
 * them too (nginx's `always`). Does nothing useful if headers were already sent: the caller then
 * destroys the response instead. The body is errorBody(status, message).
 */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  extra: Array<[string, string]> = [],
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = errorBody(status, message);
  res.statusCode = status;
  const left = appendSendable(res, extra);
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  const shown = left === null ? message : `${message} (${left})`;
  res.setHeader('x-loopgate-error', shown.slice(0, 200).replace(/[^\x20-\x7e]/g, '?'));
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** The text of Loopgate's own error answers (HTTP and the upgrade path alike). */
export function errorBody(status: number, message: string): string {
  return `${status} ${REASONS[status] ?? ''}\n${message}\n(Loopgate)\n`;
}

/**
 * Append the headers Node can send; one it refuses (a configured value that got past validation) is
 * left out rather than thrown, since this runs on error paths where a throw would end the process.
 * Returns a sentence naming what was left out, or null.
 */
function appendSendable(res: ServerResponse, extra: Array<[string, string]>): string | null {
  let left: string | null = null;
  for (const [k, v] of extra) {
    const problem = headerProblem(k, v);
    if (problem === null) res.appendHeader(k, v);
    else left ??= `header left out: ${problem}`;
  }
  return left;
}
