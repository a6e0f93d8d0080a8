// nginx `expires` for static answers: the Expires and Cache-Control headers it adds, and on which statuses.
import type { Expires } from '../../../shared/units.ts';

/** nginx adds them only to these statuses. */
const STATUSES = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);
const MAX_EXPIRES = 'Thu, 31 Dec 2037 23:55:55 GMT';
const EPOCH = 'Thu, 01 Jan 1970 00:00:01 GMT';

/** The headers `expires` adds to an answer with this status (none for "off" or other statuses). */
export function expiresHeaders(e: Expires, status: number, now = Date.now()): Array<[string, string]> {
  if (e.kind === 'off' || !STATUSES.has(status)) return [];
  if (e.kind === 'epoch')
    return [
      ['Expires', EPOCH],
      ['Cache-Control', 'no-cache'],
    ];
  if (e.kind === 'max')
    return [
      ['Expires', MAX_EXPIRES],
      ['Cache-Control', 'max-age=315360000'],
    ];
  const at = new Date(Math.floor(now / 1000) * 1000 + e.seconds * 1000).toUTCString();
  return [
    ['Expires', at],
    ['Cache-Control', e.seconds <= 0 ? 'no-cache' : `max-age=${e.seconds}`],
  ];
}
