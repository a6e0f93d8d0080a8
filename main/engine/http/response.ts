// The proxy's side of the client answer: the backend's head relayed, Loopgate's own error answers, the record's closing figures.
import { applyCors, routeErrorHeaders } from '../cors.ts';
import { describeClientTimeout, describeUpstreamError, errorBody, sendError } from '../errors.ts';
import { appendHeaders, rewriteResponseHeaders, routeAddHeaders, type OutgoingHeaders } from './headers.ts';
import { Capture, recordedHeaders } from '../log/capture.ts';
import type { Exchange } from '../types.ts';

/**
 * Relay the backend's status line and headers to the client (header and cookie passes, CORS,
 * add_header) and note them in the record. Returns null, or node's reason when it refuses them.
 */
export function writeResponseHead(
  ex: Exchange,
  statusCode: number,
  headers: Record<string, string | string[] | undefined>,
  statusMessage: string | undefined,
): string | null {
  const { req, res, route, record } = ex;
  record.timings.headers = Date.now() - record.startedAt;
  const out = rewriteResponseHeaders(headers as OutgoingHeaders, route, req);
  if (route.cors) applyCors(route.cors, req, out);
  appendHeaders(out, routeAddHeaders(route));
  try {
    if (statusMessage) res.writeHead(statusCode, statusMessage, out);
    else res.writeHead(statusCode, out);
  } catch (err) {
    return (err as Error).message;
  }
  record.status = statusCode;
  record.responseHeaders = out as typeof record.responseHeaders;
  // Streamed answers (SSE, chunked) reach the client at once; the rest go out with their first chunk.
  const type = out['content-type'];
  if (
    (out['content-length'] === undefined || (typeof type === 'string' && type.startsWith('text/event-stream'))) &&
    req.method !== 'HEAD' &&
    statusCode !== 204 &&
    statusCode !== 304
  ) {
    res.flushHeaders();
  }
  return null;
}

/** Last resort when the proxy itself throws: a bug there must not take the engine down. Never throws. */
export function answerBug(ex: Exchange, err: unknown): void {
  try {
    const { status, error } = describeUpstreamError(err, ex.route.target.origin);
    ex.record.error = { ...error, side: 'loopgate' };
    ex.record.status = status;
    sendError(ex.res, status, error.message, routeErrorHeaders(ex.route, ex.req));
    const body = ex.req.method === 'HEAD' ? '' : errorBody(status, error.message);
    ex.record.responseHeaders = recordedHeaders(ex.res.getHeaders());
    const capture = ownBody(ex, body);
    finishRecord(ex, ex.record.bytesIn, Buffer.byteLength(body), null, capture);
  } catch {
    ex.res.destroy();
  }
}

/**
 * Answer with Loopgate's error when the answer has not started; else cut the response. Returns the
 * body's capture for the record (null when nothing was sent or nothing is kept) and its size.
 */
export function answerError(ex: Exchange, status: number, message: string): { capture: Capture | null; size: number } {
  const { res, req, route, record } = ex;
  if (!res.headersSent && !res.destroyed) {
    record.status = status;
    sendError(res, status, message, routeErrorHeaders(route, req));
    const body = req.method === 'HEAD' ? '' : errorBody(status, message);
    record.responseHeaders = recordedHeaders(res.getHeaders());
    record.timings.headers ??= Date.now() - record.startedAt;
    return { capture: ownBody(ex, body), size: Buffer.byteLength(body) };
  }
  res.destroy();
  return { capture: null, size: 0 };
}

/** Loopgate's own answer body, kept for the record like a backend's (inspect.bodyBytes). */
function ownBody(ex: Exchange, body: string): Capture | null {
  const keep = ex.snapshot.inspect.bodyBytes;
  if (body === '' || keep <= 0) return null;
  const capture = new Capture(keep);
  capture.add(Buffer.from(body));
  return capture;
}

/**
 * client_body_timeout fired: the record says so (408, as nginx logs it, though like nginx no answer
 * is sent). Returns the reason to abort the upstream request with.
 */
export function noteBodyTimeout(ex: Exchange): Error {
  const { route, record, res } = ex;
  const error = describeClientTimeout('body', route.timeouts.clientBody);
  const message = `route ${route.label}: ${error.message}`;
  record.error = { ...error, message };
  if (!res.headersSent) record.status = 408;
  return Object.assign(new Error(message), { code: error.code });
}

/** Close the record (byte counts, end time, body excerpts) and report it; once only. */
export function finishRecord(
  ex: Exchange,
  bytesIn: number,
  bytesOut: number,
  reqCapture: Capture | null,
  resCapture: Capture | null,
): void {
  const { record, recorder } = ex;
  if (record.done) return;
  record.bytesIn = bytesIn;
  record.bytesOut = bytesOut;
  record.timings.end = Date.now() - record.startedAt;
  if (reqCapture && bytesIn > 0) {
    reqCapture.store(record, 'requestBody');
    record.requestBodyTruncated = reqCapture.truncated;
  }
  if (resCapture && bytesOut > 0) {
    resCapture.store(record, 'responseBody');
    record.responseBodyTruncated = resCapture.truncated;
  }
  record.done = true;
  recorder.http(record);
}
