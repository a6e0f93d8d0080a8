// Resend a logged request (issue #17): a real HTTP request to the engine's own listener on loopback, marked so its record says resentFrom.
import { request } from 'node:http';
import type { PausedEdits } from '../../shared/breakpoints.ts';
import type { Headers, HttpRecord } from '../../shared/events.ts';
import { connectionTokens, isHopByHop } from '../engine/http/headers.ts';
import { checkEdits, editedBody } from '../engine/steps/breakpoints.ts';
import { RESEND_HEADER, type ResendMarks } from '../engine/steps/resend-mark.ts';

/** What the controller needs of the engine to resend: where it listens and its resend marks. */
export interface ResendTarget {
  readonly url: string | null;
  readonly resends: ResendMarks;
}

export type ResendResult = { ok: true; id: number; status: number } | { ok: false; code: string; message: string };

const refuse = (code: string, message: string): ResendResult => ({ ok: false, code, message });

/** The request as the resend sends it (edits applied), or a refusal naming why it cannot be sent. */
export function prepareResend(
  record: HttpRecord,
  edits: PausedEdits,
): { method: string; url: string; headers: Headers; body: Buffer } | Extract<ResendResult, { ok: false }> {
  const bodyEdited = edits.text !== undefined || edits.base64 !== undefined;
  if (!bodyEdited) {
    if (record.requestBodyTruncated) {
      return refuse(
        'BODY_CUT',
        `request ${record.id}'s body was cut at inspect.bodyBytes (${Buffer.from(record.requestBody ?? '', 'base64').length} of ${record.bytesIn} bytes kept): resend it with the whole body as "text" or "base64", or raise inspect.bodyBytes`,
      ) as Extract<ResendResult, { ok: false }>;
    }
    if (record.bytesIn > 0 && record.requestBody === undefined) {
      return refuse(
        'BODY_NOT_KEPT',
        `request ${record.id}'s body (${record.bytesIn} bytes) was not kept in the log: resend it with the body as "text" or "base64"`,
      ) as Extract<ResendResult, { ok: false }>;
    }
  }
  const original = Buffer.from(record.requestBody ?? '', 'base64');
  const body = editedBody(edits, original);
  const headers = withoutHopByHop(edits.headers ?? record.requestHeaders);
  const hadLength = Object.keys(edits.headers ?? record.requestHeaders).some(
    (k) => k.toLowerCase() === 'content-length' || k.toLowerCase() === 'transfer-encoding',
  );
  if (body.length > 0 || hadLength) headers['content-length'] = String(body.length);
  return { method: edits.method ?? record.method, url: edits.url ?? record.url, headers, body };
}

/** The client's headers minus those of one connection only (the proxy's rule), Content-Length (set again from the body) and the resend mark. */
function withoutHopByHop(h: Headers): Headers {
  const named = connectionTokens(h.connection);
  const out: Headers = {};
  for (const [k, v] of Object.entries(h)) {
    const lower = k.toLowerCase();
    if (!isHopByHop(lower, named) && lower !== 'content-length' && lower !== RESEND_HEADER) out[lower] = v;
  }
  return out;
}

/** Check the edits, send the request through the engine's listener, answer the new record's id and status. */
export async function resend(target: ResendTarget, record: HttpRecord, input: unknown): Promise<ResendResult> {
  const edits = checkEdits(input ?? {}, 'continue', 'request');
  if ('ok' in edits) return edits;
  const out = prepareResend(record, edits);
  if ('ok' in out) return out;
  const url = target.url;
  if (url === null) return refuse('NOT_RUNNING', 'Loopgate is not listening: nothing to resend through');
  const { hostname, port } = new URL(url);
  // A wildcard listener shows as localhost: its IPv4 loopback address reaches it.
  const host = hostname === 'localhost' ? '127.0.0.1' : hostname.replace(/^\[|\]$/g, '');
  const ticket = target.resends.issue(record.id);
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host,
        port: Number(port),
        method: out.method,
        path: out.url,
        headers: { ...out.headers, [RESEND_HEADER]: ticket.header },
        agent: false,
      });
      req.once('error', reject);
      req.once('response', (res) => {
        res.resume(); // the log keeps what the body shows; the answer here is the record's id and status
        res.once('error', () => {});
        resolve(res.statusCode ?? 0);
      });
      req.end(out.body);
    });
    if (ticket.recordId === undefined)
      return refuse('RESEND_FAILED', 'the listener answered but did not log the resend');
    return { ok: true, id: ticket.recordId, status };
  } catch (err) {
    return refuse('RESEND_FAILED', `the resend could not reach Loopgate's listener: ${(err as Error).message}`);
  } finally {
    target.resends.done(ticket);
  }
}
