// nginx `return` in a location: a status with a text body, or a redirect to a URL.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from '../errors.ts';
import { mediaType } from './mime.ts';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Answer `return status [text|URL]` as nginx does (a redirect's URL goes in Location; a text is the body). */
export function answerReturn(
  req: IncomingMessage,
  res: ServerResponse,
  r: { status: number; text?: string },
  extra: Array<[string, string]>,
  path: string,
): void {
  req.resume();
  if (REDIRECTS.has(r.status) && r.text !== undefined) {
    res.statusCode = r.status;
    res.setHeader('location', r.text);
    res.setHeader('content-length', 0);
    for (const [k, v] of extra) res.appendHeader(k, v);
    res.end();
    return;
  }
  if (r.text === undefined)
    return sendError(res, r.status, `return ${r.status} (nginx return in this location)`, extra);
  res.statusCode = r.status;
  // nginx types the body by the URI's extension, else default_type.
  res.setHeader('content-type', mediaType(path));
  res.setHeader('content-length', Buffer.byteLength(r.text));
  for (const [k, v] of extra) res.appendHeader(k, v);
  res.end(req.method === 'HEAD' ? undefined : r.text);
}
