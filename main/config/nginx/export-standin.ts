// nginx export of a route's stand-ins (issue #18): a mock as `return status "body"` where nginx can say it, conditions as a comment.
import type { FullRoute } from '../../../shared/effective.ts';
import { formatDuration } from '../../../shared/units.ts';
import type { Lines, RouteExport } from './export-route.ts';
import { hasVariable } from './values.ts';

/** A time as written (the export keeps the input's own units) or formatted from ms. */
const time = (v: number | string): string => (typeof v === 'string' ? v : formatDuration(v));

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Write the mock answer (or why it cannot be) and the conditions' comment at the end of a route's location. */
export function writeStandIns(o: Lines, r: FullRoute, label: string, x: RouteExport): void {
  if (r.conditions) {
    const c = r.conditions;
    const parts = [
      c.latency ? `latency ${time(c.latency)}` : '',
      c.jitter ? `jitter ${time(c.jitter)}` : '',
      c.failRate ? `failRate ${c.failRate}` : '',
    ].filter(Boolean);
    o.line(`# loopgate: conditions (${parts.join(', ')}) are Loopgate's test conditions; nginx cannot express them`);
    x.warn(`${label}: conditions (${parts.join(', ')}) cannot be expressed in nginx (commented in the output)`);
  }
  const m = r.respond;
  if (!m) return;
  const status = m.status ?? 200;
  const why =
    m.file !== undefined
      ? `respond.file "${m.file}" (a file as the answer) is not exported: nginx would need its absolute path in an alias`
      : REDIRECTS.has(status)
        ? `respond with status ${status}: nginx's return reads the text of a redirect as its Location, not a body`
        : null;
  const text = m.body === undefined ? '' : typeof m.body === 'string' ? m.body : JSON.stringify(m.body);
  const headers = Object.entries(m.headers ?? {});
  const dollar = hasVariable(text) || headers.some(([, v]) => hasVariable(v));
  const reason = why ?? (dollar ? 'respond holds "$": nginx would read it as a variable' : null);
  if (reason) {
    o.line(`# loopgate: ${reason}; nginx cannot express this mock answer, so nginx calls the backend here`);
    x.warn(`${label}: ${reason}`);
    return;
  }
  o.line('# loopgate: respond (a mock answer): the backend is not called');
  const typeHeader = headers.find(([k]) => k.toLowerCase() === 'content-type');
  const type =
    typeHeader?.[1] ?? (m.body === undefined || typeof m.body === 'string' ? 'text/plain' : 'application/json');
  o.directive('default_type', type);
  for (const [k, v] of headers) if (k.toLowerCase() !== 'content-type') o.directive('add_header', k, v, 'always');
  if (text === '') o.directive('return', String(status));
  else o.directive('return', String(status), text);
}
