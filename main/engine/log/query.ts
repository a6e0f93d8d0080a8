// List filters of the session log: kind, route, handler, status class and free text over a record.
import type { ListQuery, RecordView, StatusClass } from '../../../shared/api.ts';

export const DEFAULT_LIMIT = 500;
export const MAX_LIMIT = 5000;

/** The status classes a record belongs to (a 502 with an error is both "5xx" and "error"). */
export function statusClasses(r: RecordView): StatusClass[] {
  const out: StatusClass[] = [];
  if (r.kind === 'http' ? !r.done : r.state === 'connecting' || r.state === 'open') out.push('pending');
  if (r.status !== undefined && r.status >= 100 && r.status < 600)
    out.push(`${Math.floor(r.status / 100)}xx` as StatusClass);
  const failed =
    r.kind === 'http'
      ? r.done && (r.error !== undefined || r.status === undefined)
      : r.state === 'failed' || r.error !== undefined;
  if (failed) out.push('error');
  return out;
}

export function kindOf(q: ListQuery, fallback: 'http' | 'ws' | 'all'): 'http' | 'ws' | 'all' {
  if (q.wsOnly) return 'ws';
  return q.kind ?? fallback;
}

/** Does the record pass every filter of the query (kind, route, handler, status, text)? */
export function matches(r: RecordView, q: ListQuery, kind: 'http' | 'ws' | 'all', text: string | undefined): boolean {
  if (kind !== 'all' && r.kind !== kind) return false;
  if (q.route !== undefined && r.route !== q.route) return false;
  if (q.handler !== undefined && (r.kind !== 'http' || r.handler !== q.handler)) return false;
  if (q.status && q.status.length > 0) {
    const classes = statusClasses(r);
    if (!q.status.some((c) => classes.includes(c))) return false;
  }
  if (text !== undefined && text !== '' && !haystack(r).includes(text)) return false;
  return true;
}

function haystack(r: RecordView): string {
  const parts = [
    r.url,
    r.host,
    r.clientAddress,
    r.target ?? '',
    r.route ?? '',
    r.status === undefined ? '' : String(r.status),
  ];
  if (r.kind === 'http') parts.push(r.method, r.handler);
  else parts.push('GET', 'websocket', r.state, r.closeReason ?? '');
  if (r.error) parts.push(r.error.code, r.error.message);
  return parts.join('\n').toLowerCase();
}

export function clampLimit(limit: number | undefined, def: number, max: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return def;
  return Math.max(1, Math.min(max, Math.floor(limit)));
}
