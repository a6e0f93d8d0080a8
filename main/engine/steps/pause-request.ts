// Request-stage breakpoint step (issue #17): buffer a matched request, hold it, then forward it (edited), answer it or drop it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Breakpoint, PausedEdits } from '../../../shared/breakpoints.ts';
import type { HttpRecord } from '../../../shared/events.ts';
import { describeBodyTooLarge } from '../errors.ts';
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
  /** Go on through the proxy with this request (the original, or a replay of the edited one). */
  forward(req: IncomingMessage): void;
  /** Answer locally (respond). */
  answer(status: number, headers: Record<string, string | string[]>, body: Buffer): void;
  /** Answer with Loopgate's error (drop: 502, too large: 413). */
  fail(status: number, code: string, message: string, side: 'client' | 'loopgate'): void;
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
  let over = false;
  req.on('data', (chunk: Buffer) => {
    if (over) return;
    size += chunk.length;
    if (limit > 0 && size > limit) {
      over = true;
      chunks.length = 0;
      return tooLarge();
    }
    chunks.push(chunk);
  });
  req.once('end', () => {
    if (over || res.destroyed) return;
    const body = Buffer.concat(chunks);
    let held = true;
    const paused = s.registry.hold(
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
        held = false;
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
    );
    res.once('close', () => {
      if (held) s.registry.forget(paused.id);
    });
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
