// JSON answers, JSON error bodies and bounded request-body reading for the control server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function common(res: ServerResponse): void {
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-content-type-options', 'nosniff');
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  common(res);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** `{"error":{"code","message"}}` with the given status (plus any extra fields, e.g. config errors). */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: object = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { ...extra, error: { code, message } });
}

/** Stream text pieces with backpressure (a big HAR is never one string). */
export async function sendStream(
  res: ServerResponse,
  type: string,
  chunks: Iterable<string>,
  filename?: string,
): Promise<void> {
  common(res);
  res.statusCode = 200;
  res.setHeader('content-type', type);
  if (filename) res.setHeader('content-disposition', `attachment; filename="${filename}"`);
  if (res.req?.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(Readable.from(chunks, { objectMode: false }), res);
}

/** The request body, refused with 413 past `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(req, limit);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, 'BAD_JSON', `the request body is not JSON: ${(err as Error).message}`);
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'TOO_LARGE', `the request body is larger than ${limit} bytes`);
}
