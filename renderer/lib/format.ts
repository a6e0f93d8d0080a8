// Display formatting for the log: sizes, durations, clock times, status classes, upgrade failure explanations.
import type { RecordView, SessionView } from '../../shared/api.ts';
import type { HttpRecord, Side } from '../../shared/events.ts';

export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} kB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1) return '<1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m ${Math.round((ms % 60_000) / 1000)}s`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Local clock time with milliseconds: "14:03:07.123". */
export function clock(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export type StatusTone = 'ok' | 'redirect' | 'client-error' | 'server-error' | 'error' | 'pending' | 'info';

export function statusTone(r: RecordView): StatusTone {
  if (r.kind === 'ws') {
    if (r.state === 'failed') return 'error';
    if (r.state === 'connecting') return 'pending';
    return r.state === 'open' ? 'ok' : 'info';
  }
  if (r.error && !r.status) return 'error';
  if (!r.done && r.status === undefined) return 'pending';
  const s = r.status ?? 0;
  if (s >= 500) return 'server-error';
  if (s >= 400) return 'client-error';
  if (s >= 300) return 'redirect';
  if (s >= 200) return 'ok';
  return 'info';
}

export function statusText(r: RecordView): string {
  if (r.kind === 'ws') {
    if (r.state === 'failed') return r.status ? String(r.status) : 'failed';
    if (r.state === 'connecting') return 'pending';
    return r.state === 'open' ? '101 open' : '101 closed';
  }
  if (r.status !== undefined) return String(r.status);
  if (r.error) return r.error.code;
  return 'pending';
}

/** Duration: request to response end, or session lifetime so far. */
export function durationOf(r: RecordView, now: number): number | undefined {
  if (r.kind === 'http') return r.timings.end ?? (r.done ? r.timings.headers : undefined);
  const start = r.startedAt;
  if (r.closedAt) return r.closedAt - start;
  if (r.state === 'open' || r.state === 'connecting') return now - start;
  return undefined;
}

export function sizeOf(r: RecordView): number {
  if (r.kind === 'http') return r.bytesOut;
  return r.counts.bytesToBackend + r.counts.bytesToClient;
}

export function methodOf(r: RecordView): string {
  return r.kind === 'http' ? r.method : 'WS';
}

const WHO: Record<Side, string> = { client: 'the client (browser)', loopgate: 'Loopgate', backend: 'the backend' };

export function who(side: Side | undefined): string {
  return side ? WHO[side] : 'unknown';
}

/** Why a WebSocket upgrade failed and who refused it, in one or two sentences. */
export function explainUpgrade(s: SessionView): string | null {
  if (s.state !== 'failed') return null;
  const parts: string[] = [];
  const refused = s.error?.code === 'UPGRADE_REFUSED' || (!s.error && s.status !== undefined && s.status !== 101);
  if (refused) {
    parts.push(
      `The backend refused the upgrade: it answered HTTP ${s.status ?? '?'} instead of 101 Switching Protocols, and Loopgate passed that answer to the browser.`,
    );
  } else if (s.error) {
    const answered = s.status ? ` Loopgate answered the browser with HTTP ${s.status}.` : '';
    parts.push(`Who: ${who(s.error.side)} (${s.error.code}). Why: ${sentence(s.error.message)}${answered}`);
  } else {
    parts.push('The upgrade did not complete (no answer from the backend was recorded).');
  }
  if (s.status === 401 || s.status === 403)
    parts.push('Check the Origin and cookies the backend expects: "Rewrite Origin" or the remote preset may help.');
  if (s.status === 404) parts.push('Check the route target path: the backend has no WebSocket endpoint at that URL.');
  return parts.join(' ');
}

export function explainHttpError(r: HttpRecord): string | null {
  if (!r.error) return null;
  const hints: Record<string, string> = {
    ECONNREFUSED: 'Nothing listens at the target address: start the backend, or check the port in the route target.',
    CONNECT_TIMEOUT: 'The backend did not accept the connection within the connect timeout (proxy_connect_timeout).',
    READ_TIMEOUT: 'The backend went quiet for longer than the read timeout (proxy_read_timeout).',
    SEND_TIMEOUT: 'The backend stopped reading the request for longer than the send timeout (proxy_send_timeout).',
    BODY_TOO_LARGE: 'The request body is over the body size limit (client_max_body_size): raise maxBodySize.',
    ENOTFOUND: 'The target host name does not resolve.',
    CLIENT_BODY_TIMEOUT:
      'The client paused its upload for longer than the client body timeout (client_body_timeout); nginx closes such a connection without an answer too.',
    CLIENT_SEND_TIMEOUT:
      'The client took none of the answer for longer than the client send timeout (send_timeout): a stalled tab or a client that stopped reading.',
  };
  const hint = hints[r.error.code];
  return `Who: ${who(r.error.side)} (${r.error.code}). Why: ${sentence(r.error.message)}${hint ? ` ${hint}` : ''}`;
}

/** A message as a sentence: a full stop unless it already ends in one (or in ? or !). */
function sentence(message: string): string {
  const m = message.trim();
  return /[.?!]$/.test(m) ? m : `${m}.`;
}

export function closeText(s: SessionView): string {
  if (s.state !== 'closed') return s.state;
  const by = s.closedBy ? ` by ${who(s.closedBy)}` : '';
  const code =
    s.closeCode !== undefined
      ? `${s.closeCode}${CLOSE_NAMES[s.closeCode] ? ` ${CLOSE_NAMES[s.closeCode]}` : ''}`
      : s.imported && !s.closedBy
        ? 'the HAR does not say how'
        : 'no code';
  return `closed${by}, ${code}${s.closeReason ? ` "${s.closeReason}"` : ''}`;
}

export const CLOSE_NAMES: Record<number, string> = {
  1000: 'Normal',
  1001: 'Going away',
  1002: 'Protocol error',
  1003: 'Unsupported data',
  1005: 'No status',
  1006: 'Abnormal',
  1007: 'Invalid payload',
  1008: 'Policy violation',
  1009: 'Too big',
  1010: 'Extension required',
  1011: 'Internal error',
  1012: 'Service restart',
  1013: 'Try again later',
  1015: 'TLS failure',
};

export const OPCODE_NAMES: Record<number, string> = {
  0: 'cont',
  1: 'text',
  2: 'binary',
  8: 'close',
  9: 'ping',
  10: 'pong',
};

export function headerLines(h: Record<string, string | string[]> | undefined): Array<[string, string]> {
  if (!h) return [];
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(h)) {
    if (Array.isArray(v)) for (const x of v) out.push([k, x]);
    else out.push([k, v]);
  }
  return out;
}
