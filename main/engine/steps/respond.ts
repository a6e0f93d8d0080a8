// Mock answers (routes[].respond): the route answers with configured status, headers and body; the backend is not called.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { routeErrorHeaders } from '../cors.ts';
import { sendError } from '../errors.ts';
import type { CompiledRespond, CompiledRoute } from '../types.ts';

/** Send the route's mock answer; a `file` is read per request, so edits to it show at once. */
export function answerMock(req: IncomingMessage, res: ServerResponse, route: CompiledRoute): void {
  req.resume();
  const mock = route.respond!;
  const extra = routeErrorHeaders(route, req);
  if (mock.body) return send(req, res, mock, extra, mock.body);
  readFile(mock.file!).then(
    (bytes) => send(req, res, mock, extra, bytes),
    (err: NodeJS.ErrnoException) =>
      sendError(
        res,
        500,
        `respond.file of route ${route.label} cannot be read: ${mock.file} (${err.code ?? err.message})`,
        extra,
      ),
  );
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  mock: CompiledRespond,
  extra: Array<[string, string]>,
  body: Buffer,
): void {
  if (res.destroyed || res.headersSent) return;
  res.statusCode = mock.status;
  // CORS and add_header first; the mock's own headers (validated as response headers) win.
  for (const [k, v] of extra) res.appendHeader(k, v);
  for (const [k, v] of mock.headers) res.setHeader(k, v);
  const empty = mock.status === 204 || mock.status === 304;
  if (empty) return void res.end();
  if (!res.hasHeader('content-type')) res.setHeader('content-type', mock.type);
  res.setHeader('content-length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}
