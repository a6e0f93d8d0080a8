// Client-side filters of the live log: route, status class, text, WebSocket only.
import type { RecordView, StatusClass } from '../../shared/api.ts';

export interface LogFilter {
  text: string;
  route: string;
  status: StatusClass[];
  wsOnly: boolean;
}

export const EMPTY_LOG_FILTER: LogFilter = { text: '', route: '', status: [], wsOnly: false };

export function statusClassOf(r: RecordView): StatusClass {
  if (r.kind === 'ws') {
    if (r.state === 'failed')
      return r.status && r.status >= 400 ? (`${Math.floor(r.status / 100)}xx` as StatusClass) : 'error';
    if (r.state === 'connecting') return 'pending';
    return '1xx';
  }
  if (r.status === undefined) return r.error ? 'error' : 'pending';
  const c = Math.floor(r.status / 100);
  return c >= 1 && c <= 5 ? (`${c}xx` as StatusClass) : 'error';
}

function haystack(r: RecordView): string {
  const parts = [
    r.url,
    r.host,
    r.target ?? '',
    r.route ?? '',
    r.clientAddress,
    r.error?.message ?? '',
    r.error?.code ?? '',
  ];
  if (r.kind === 'http') parts.push(r.method, String(r.status ?? ''));
  else parts.push('ws', r.state, String(r.status ?? ''), r.closeReason ?? '');
  return parts.join(' ').toLowerCase();
}

export function matchesLog(r: RecordView, f: LogFilter, text = f.text.toLowerCase()): boolean {
  if (f.wsOnly && r.kind !== 'ws') return false;
  if (f.route && (r.route ?? '') !== f.route) return false;
  if (f.status.length && !f.status.includes(statusClassOf(r))) return false;
  if (text && !haystack(r).includes(text)) return false;
  return true;
}

export function filterLog(records: readonly RecordView[], f: LogFilter): RecordView[] {
  if (!f.text && !f.route && !f.status.length && !f.wsOnly) return records as RecordView[];
  const text = f.text.toLowerCase();
  return records.filter((r) => matchesLog(r, f, text));
}

/** Route labels seen in the records, for the route filter. */
export function routeLabels(records: readonly RecordView[]): string[] {
  const set = new Set<string>();
  for (const r of records) if (r.route) set.add(r.route);
  return [...set].sort();
}
