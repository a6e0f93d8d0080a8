// Request-stage breakpoint step (issue #17): buffer a matched request, hold it, then forward it (edited), answer it or drop it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Breakpoint, PausedEdits } from '../../../shared/breakpoints.ts';
import type { ErrorInfo, HttpRecord } from '../../../shared/events.ts';
import { CLIENT_ABORTED, describeBodyTooLarge, describeClientTimeout } from '../errors.ts';
import { type Breakpoints, bodyView, editedBody } from './breakpoints.ts';

export interface RequestStop {
  registry: Breakpoints;
  bp: Breakpoint;
  req: IncomingMessage;
  res: ServerResponse;
  record: HttpRecord;
  /** The route's maxBodySize (0: no limit) and label, for the 413. */
  maxBodySize: number;
  routeLabel: string;
  /** The route's timeouts.clientBody: a client that stops sending its body is cut, as the proxy does. */
  clientBodyMs: number;
  /** Go on through the proxy with this request (the original, or a replay of the edited one). */
  forward(req: IncomingMessage): void;
  /** Answer locally (respond). */
  answer(status: number, headers: Record<string, string | string[]>, body: Buffer): void;
  /** Answer with Loopgate's error (drop: 502, too large: 413). */
  fail(status: number, code: string, message: string, side: 'client' | 'loopgate'): void;
  /** The exchange ended without an answer (client gone, body timeout): close the record, cut the connection. */
  cut(error: ErrorInfo, status?: number): void;
}

/** Read the whole body (within maxBodySize), then hold the request in the registry. */
export function pauseRequest(s: RequestStop): void {
  const { req, res } = s;
  const limit = s.maxBodySize;
  const tooLarge = () => {
    const e = describeBodyTooLarge(limit, s.routeLabel);
    s.fail(413, e.code, e.message, 'client');
  };
  const cl = req.headers['content-length'];
  if (limit > 0 && cl !== undefined && Number(cl) > limit) return tooLarge();
  if (req.headers.expect !== undefined && /^100-continue$/i.test(String(req.headers.expect)) && !res.headersSent)
    res.writeContinue();
  const chunks: Buffer[] = [];
  let size = 0;
  /** reading the body → held → settled (answered, cut or passed on). */
  let state: 'reading' | 'held' | 'settled' = 'reading';
  let pausedId = 0;
  let bodyTimer: NodeJS.Timeout | null = null;
  const armBodyTimer = () => {
    if (s.clientBodyMs <= 0 || req.complete) return;
    if (bodyTimer) bodyTimer.refresh();
    else
      bodyTimer = setTimeout(() => {
        if (state !== 'reading') return;
        state = 'settled';
        const e = describeClientTimeout('body', s.clientBodyMs);
        s.cut({ ...e, message: `route ${s.routeLabel}: ${e.message}` }, 408);
      }, s.clientBodyMs);
  };
  armBodyTimer();
  res.once('close', () => {
    if (bodyTimer) clearTimeout(bodyTimer);
    if (state === 'settled') return;
    if (state === 'held') s.registry.forget(pausedId);
    state = 'settled';
    s.cut({ ...CLIENT_ABORTED });
  });
  req.on('data', (chunk: Buffer) => {
    if (state !== 'reading') return;
    size += chunk.length;
    if (limit > 0 && size > limit) {
      state = 'settled';
      chunks.length = 0;
      return tooLarge();
    }
    chunks.push(chunk);
    armBodyTimer();
  });
  req.once('end', () => {
    if (bodyTimer) clearTimeout(bodyTimer);
    if (state !== 'reading' || res.destroyed) return;
    state = 'held';
    const body = Buffer.concat(chunks);
    pausedId = s.registry.hold(
      {
        at: 'request',
        breakpoint: s.bp.id,
        requestId: s.record.id,
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers as Record<string, string | string[]>,
        ...bodyView(body),
      },
      (action, edits) => {
        state = 'settled';
        s.record.breakpoint = s.bp.id;
        if (action === 'drop') {
          s.record.intervened = 'dropped';
          return s.fail(502, 'BREAKPOINT_DROPPED', `dropped at breakpoint ${s.bp.id}`, 'loopgate');
        }
        if (action === 'respond') {
          s.record.intervened = 'answered';
          return s.answer(edits.status!, edits.headers ?? {}, editedBody(edits, body));
        }
        if (Object.keys(edits).length) s.record.intervened = 'edited';
        s.forward(replay(req, body, edits));
      },
    ).id;
  });
}

/**
 * The request as the proxy reads it, with its buffered (maybe edited) body: a stream carrying the
 * fields the proxy looks at, so that the client's own request is never touched again.
 */
export function replay(req: IncomingMessage, original: Buffer, edits: PausedEdits): IncomingMessage {
  const body = editedBody(edits, original);
  const headers: Record<string, string | string[]> = {
    ...(edits.headers ?? (req.headers as Record<string, string | string[]>)),
  };
  const hadBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  delete headers['transfer-encoding'];
  delete headers['content-length'];
  // The body is whole now: Loopgate asked for it (100 Continue) already.
  delete headers.expect;
  if (body.length > 0 || hadBody) headers['content-length'] = String(body.length);
  const rawHeaders: string[] = [];
  for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) rawHeaders.push(k, one);
  const stream = new Readable({ read() {} });
  const out = Object.assign(stream, {
    headers,
    rawHeaders,
    method: edits.method ?? req.method,
    url: edits.url ?? req.url,
    socket: req.socket,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    complete: false,
  });
  stream.prependOnceListener('end', () => {
    out.complete = true;
  });
  if (body.length > 0) stream.push(body);
  stream.push(null);
  return out as unknown as IncomingMessage;
}
