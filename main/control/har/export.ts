// HAR 1.2 export of the log (Chrome DevTools' format, WebSocket messages included) and JSON Lines of frames.
import { STATUS_CODES } from 'node:http';
import type { Har, HarEntry, HarWebSocketMessage, HttpView, RecordView, SessionView } from '../../../shared/api.ts';
import type { FrameRecord, Headers } from '../../../shared/events.ts';
import type { SessionLog } from '../../engine/log/store.ts';
import type { ProtocolReader } from '../../engine/log/protocols/reader.ts';

export { importHar } from './import.ts';

export interface HarOptions {
  /** Only this WebSocket session. */
  session?: number;
  /** Loopgate's version, for log.creator. */
  version?: string;
  /** Reads frames in their protocol: `decoded`, `replyTo`, `latencyMs` go under each message's `_loopgate`. */
  protocols?: ProtocolReader;
}

/** Messages serialized per chunk when streaming a session's frames. */
const CHUNK_FRAMES = 256;

/** The HAR of the log (or of one session); null when the session is not in the log. */
export function buildHar(log: SessionLog, opts: HarOptions = {}): Har | null {
  const records = pick(log, opts);
  if (!records) return null;
  const entries = records.map((r) => (r.kind === 'http' ? httpEntry(r) : wsEntry(r, readFrames(log, opts, r.id))));
  return { log: { version: '1.2', creator: creator(opts), pages: [], entries } };
}

/**
 * The same HAR as JSON text, in pieces (a long session's messages are not held as one string).
 * Null when the session is not in the log.
 */
export function harChunks(log: SessionLog, opts: HarOptions = {}): Iterable<string> | null {
  const records = pick(log, opts);
  if (!records) return null;
  return (function* () {
    yield `{"log":{"version":"1.2","creator":${JSON.stringify(creator(opts))},"pages":[],"entries":[`;
    let first = true;
    for (const r of records) {
      if (!first) yield ',';
      first = false;
      if (r.kind === 'http') {
        yield JSON.stringify(httpEntry(r));
        continue;
      }
      const head = JSON.stringify(wsEntry(r, []));
      // Re-open the entry's empty message list and stream the data messages into it; control frames
      // (few: pings, pongs, the close) are held and written under _loopgate after it.
      const marker = '"_webSocketMessages":[]';
      const at = head.lastIndexOf(marker);
      yield head.slice(0, at + marker.length - 1);
      const controls: FrameRecord[] = [];
      let batch: string[] = [];
      let n = 0;
      for (const f of readFrames(log, opts, r.id)) {
        if (f.opcode >= 8) {
          controls.push(f);
          continue;
        }
        batch.push(JSON.stringify(message(f)));
        if (batch.length === CHUNK_FRAMES) {
          yield (n > 0 ? ',' : '') + batch.join(',');
          n += batch.length;
          batch = [];
        }
      }
      if (batch.length) yield (n > 0 ? ',' : '') + batch.join(',');
      const tail = controls.length ? JSON.stringify(wsEntry(r, controls, true)) : head;
      yield tail.slice(tail.lastIndexOf(marker) + marker.length - 1);
    }
    yield ']}}';
  })();
}

/** Frames as JSON Lines (one FrameRecord per line), of one session or of every session. */
export function* framesJsonl(log: SessionLog, session?: number): Generator<string> {
  const ids = session !== undefined ? [session] : [...log.records()].filter((r) => r.kind === 'ws').map((r) => r.id);
  for (const id of ids) {
    let batch: string[] = [];
    for (const f of log.sessionFrames(id)) {
      batch.push(JSON.stringify(f));
      if (batch.length === CHUNK_FRAMES) {
        yield batch.join('\n') + '\n';
        batch = [];
      }
    }
    if (batch.length) yield batch.join('\n') + '\n';
  }
}

function pick(log: SessionLog, opts: HarOptions): RecordView[] | null {
  const read = (r: RecordView) => opts.protocols?.record(r) ?? r;
  if (opts.session === undefined) return [...log.records()].map(read);
  const r = log.get(opts.session);
  return r && r.kind === 'ws' ? [read(r)] : null;
}

/** A session's frames, read in its protocol when the export has a reader (in batches, in seq order). */
function* readFrames(log: SessionLog, opts: HarOptions, id: number): Generator<FrameRecord> {
  const reader = opts.protocols;
  if (!reader) return yield* log.sessionFrames(id);
  let batch: FrameRecord[] = [];
  for (const f of log.sessionFrames(id)) {
    batch.push(f);
    if (batch.length === 1024) {
      yield* reader.frames(id, batch);
      batch = [];
    }
  }
  if (batch.length) yield* reader.frames(id, batch);
}

function creator(opts: HarOptions) {
  return { name: 'Loopgate', version: opts.version ?? '0' };
}

export function httpEntry(r: HttpView): HarEntry {
  const reqType = first(r.requestHeaders['content-type']);
  const resType = r.responseHeaders ? first(r.responseHeaders['content-type']) : undefined;
  const headersAt = r.timings.headers;
  const endAt = r.timings.end;
  const wait = Math.max(0, headersAt ?? endAt ?? 0);
  const receive = headersAt !== undefined && endAt !== undefined ? Math.max(0, endAt - headersAt) : 0;
  const url = absoluteUrl(r.secure ? 'https' : 'http', r.host, r.url);
  const fig = r.har ?? {};
  const request: Record<string, unknown> = {
    method: r.method,
    url,
    httpVersion: fig.requestHttpVersion ?? 'HTTP/1.1',
    headers: harHeaders(r.requestHeaders),
    queryString: queryString(url),
    cookies: requestCookies(r.requestHeaders),
    headersSize: fig.requestHeadersSize ?? -1,
    bodySize: fig.requestBodySize ?? r.bytesIn,
  };
  if (r.requestBody !== undefined || r.bytesIn > 0) {
    // postData needs a text: '' where the body is not included, with a comment saying why.
    const { encoding, ...body } = bodyText(r.requestBody, r.requestBodyTruncated);
    request.postData = {
      mimeType: reqType ?? 'application/octet-stream',
      text: '',
      ...body,
      ...(encoding ? { _encoding: encoding } : {}),
      ...(body.text === undefined && !body.comment ? { comment: absentWhy(r.bytesIn) } : {}),
    };
  }
  const answered = r.status !== undefined;
  const response: Record<string, unknown> = {
    status: r.status ?? 0,
    statusText: answered ? (STATUS_CODES[r.status!] ?? '') : '',
    httpVersion: answered ? (fig.responseHttpVersion ?? 'HTTP/1.1') : '',
    headers: harHeaders(r.responseHeaders),
    cookies: responseCookies(r.responseHeaders),
    content: content(fig.contentSize ?? r.bytesOut, resType, r.responseBody, r.responseBodyTruncated, r.bytesOut),
    redirectURL: (r.responseHeaders && first(r.responseHeaders['location'])) ?? '',
    headersSize: fig.responseHeadersSize ?? -1,
    bodySize: fig.responseBodySize ?? (answered ? r.bytesOut : -1),
    _transferSize: fig.transferSize ?? r.bytesOut,
    _error: r.error?.message ?? null,
  };
  return {
    startedDateTime: new Date(r.startedAt).toISOString(),
    time: fig.time ?? wait + receive,
    request,
    response,
    cache: {},
    timings: harTimings(fig.timings, wait, receive),
    _resourceType: resourceType(resType),
    _loopgate: {
      id: r.id,
      kind: 'http',
      handler: r.handler,
      route: r.route,
      routeIndex: r.routeIndex,
      target: r.target,
      clientAddress: r.clientAddress,
      ...(r.upstreamHeaders ? { upstreamHeaders: harHeaders(r.upstreamHeaders) } : {}),
      bytesIn: r.bytesIn,
      bytesOut: r.bytesOut,
      requestBodyTruncated: r.requestBodyTruncated,
      responseBodyTruncated: r.responseBodyTruncated,
      error: r.error,
      ...(r.retried ? { retried: true } : {}),
      // A stand-in's answer (issue #18), so nobody mistakes it for the backend's: mocked, delayed, failed by rule.
      ...(r.standIn ? { standIn: r.standIn } : {}),
      ...(r.protocol ? { protocol: r.protocol, decoded: r.decoded } : {}),
      done: r.done,
      imported: r.imported,
    },
  };
}

/**
 * A session's entry. `_webSocketMessages` holds the data messages only, as Chrome's HAR does; control
 * frames (ping, pong, close) go under `_loopgate.controlFrames` — all of them when `onlyControls`
 * says `frames` are just those (the streamed export), else the ones among `frames`.
 */
export function wsEntry(r: SessionView, frames: Iterable<FrameRecord>, onlyControls = false): HarEntry {
  const messages: HarWebSocketMessage[] = [];
  const controls: HarWebSocketMessage[] = [];
  for (const f of frames) (f.opcode >= 8 ? controls : onlyControls ? controls : messages).push(message(f));
  const opened = r.openedAt !== undefined ? Math.max(0, r.openedAt - r.startedAt) : 0;
  const endAt = r.closedAt ?? r.openedAt ?? r.startedAt;
  const receive = r.openedAt !== undefined ? Math.max(0, endAt - r.openedAt) : 0;
  const url = absoluteUrl(r.secure ? 'wss' : 'ws', r.host, r.url);
  const resType = r.responseHeaders ? first(r.responseHeaders['content-type']) : undefined;
  const fig = r.har ?? {};
  // The excerpt of a refusal's body is kept as text.
  const excerpt = r.responseBody ? Buffer.from(r.responseBody, 'utf8') : undefined;
  const entry: HarEntry = {
    startedDateTime: new Date(r.startedAt).toISOString(),
    time: fig.time ?? opened + receive,
    request: {
      method: 'GET',
      url,
      httpVersion: fig.requestHttpVersion ?? 'HTTP/1.1',
      headers: harHeaders(r.requestHeaders),
      queryString: queryString(url),
      cookies: requestCookies(r.requestHeaders),
      headersSize: fig.requestHeadersSize ?? -1,
      bodySize: fig.requestBodySize ?? 0,
    },
    response: {
      status: r.status ?? 0,
      statusText: r.status !== undefined ? (STATUS_CODES[r.status] ?? '') : '',
      httpVersion: r.status !== undefined ? (fig.responseHttpVersion ?? 'HTTP/1.1') : '',
      headers: harHeaders(r.responseHeaders),
      cookies: responseCookies(r.responseHeaders),
      content: content(
        fig.contentSize ?? excerpt?.length ?? 0,
        resType,
        excerpt?.toString('base64'),
        false,
        excerpt?.length ?? 0,
      ),
      redirectURL: '',
      headersSize: fig.responseHeadersSize ?? -1,
      bodySize: fig.responseBodySize ?? -1,
      _transferSize: fig.transferSize ?? r.counts.bytesToClient,
      _error: r.error?.message ?? null,
    },
    cache: {},
    timings: harTimings(fig.timings, opened, receive),
    _resourceType: 'websocket',
    _webSocketMessages: messages,
  };
  if (r.closeCode !== undefined || r.closedAt !== undefined || r.closedBy !== undefined) {
    entry._webSocketClose = { code: r.closeCode, reason: r.closeReason, by: r.closedBy };
  }
  entry._loopgate = {
    id: r.id,
    kind: 'ws',
    state: r.state,
    route: r.route,
    routeIndex: r.routeIndex,
    target: r.target,
    clientAddress: r.clientAddress,
    ...(r.upstreamHeaders ? { upstreamHeaders: harHeaders(r.upstreamHeaders) } : {}),
    subprotocol: r.subprotocol,
    extensions: r.extensions,
    protocol: r.protocol,
    openedAt: r.openedAt,
    closedAt: r.closedAt,
    closedBy: r.closedBy,
    error: r.error,
    counts: r.counts,
    framesEvicted: r.framesEvicted,
    imported: r.imported,
    controlFrames: controls,
  };
  return entry;
}

/** Chrome's message shape, with Loopgate's exact frame details under `_loopgate`. */
function message(f: FrameRecord): HarWebSocketMessage {
  return {
    type: f.type,
    time: f.time,
    opcode: f.opcode,
    data: f.data,
    _loopgate: {
      seq: f.seq,
      encoding: f.encoding,
      length: f.length,
      wireLength: f.wireLength,
      fragments: f.fragments,
      compressed: f.compressed,
      truncated: f.truncated,
      injected: f.injected,
      closeCode: f.closeCode,
      closeReason: f.closeReason,
      problems: f.problems,
      decoded: f.decoded,
      replyTo: f.replyTo,
      latencyMs: f.latencyMs,
    },
  };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function absoluteUrl(scheme: 'http' | 'https' | 'ws' | 'wss', host: string, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  return `${scheme}://${host || 'localhost'}${path.startsWith('/') ? '' : '/'}${path}`;
}

export function harHeaders(h: Headers | undefined): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  if (!h) return out;
  for (const [name, v] of Object.entries(h)) {
    // String(): a number (Node's Content-Length) must not reach the HAR, whose values are strings.
    if (Array.isArray(v)) for (const value of v) out.push({ name, value: String(value) });
    else out.push({ name, value: String(v) });
  }
  return out;
}

function queryString(url: string): Array<{ name: string; value: string }> {
  try {
    return [...new URL(url).searchParams].map(([name, value]) => ({ name, value }));
  } catch {
    return [];
  }
}

function requestCookies(h: Headers): Array<{ name: string; value: string }> {
  const raw = h['cookie'];
  const text = Array.isArray(raw) ? raw.join('; ') : raw;
  if (!text) return [];
  return text
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p.includes('='))
    .map((p) => ({ name: p.slice(0, p.indexOf('=')).trim(), value: p.slice(p.indexOf('=') + 1).trim() }));
}

function responseCookies(h: Headers | undefined): Array<Record<string, unknown>> {
  const raw = h?.['set-cookie'];
  if (!raw) return [];
  return (Array.isArray(raw) ? raw : [raw]).flatMap((line) => {
    const [pair, ...attrs] = line.split(';');
    const eq = pair!.indexOf('=');
    if (eq < 1) return [];
    const cookie: Record<string, unknown> = { name: pair!.slice(0, eq).trim(), value: pair!.slice(eq + 1).trim() };
    for (const a of attrs) {
      const [k, ...rest] = a.split('=');
      const key = k!.trim().toLowerCase();
      const val = rest.join('=').trim();
      if (key === 'path') cookie.path = val;
      else if (key === 'domain') cookie.domain = val;
      else if (key === 'expires' && !Number.isNaN(Date.parse(val))) cookie.expires = new Date(val).toISOString();
      else if (key === 'httponly') cookie.httpOnly = true;
      else if (key === 'secure') cookie.secure = true;
      else if (key === 'samesite') cookie.sameSite = val;
    }
    return [cookie];
  });
}

/**
 * A recorded body for the HAR: its text (UTF-8 as is, else base64) when the whole body was kept. A body
 * cut at inspect.bodyBytes is not given as `text` (a replaying tool would serve it as if it were whole):
 * a `comment` says why, and the kept first bytes go under `_loopgate.excerpt` for Loopgate's own import.
 */
function bodyText(
  base64: string | undefined,
  truncated: boolean | undefined,
): { text?: string; encoding?: 'base64'; comment?: string; _loopgate?: { excerpt: string; encoding?: 'base64' } } {
  if (base64 === undefined) return {};
  const buf = Buffer.from(base64, 'base64');
  let decoded: { text: string; encoding?: 'base64' } = { text: base64, encoding: 'base64' };
  try {
    // stream: true tolerates a multi-byte character cut in half at the end of a truncated excerpt.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(buf, { stream: truncated === true });
    if (!/[\x00-\x08\x0e-\x1f\x7f]/.test(text)) decoded = { text };
  } catch {
    // not UTF-8: keep it base64
  }
  if (!truncated) return decoded;
  return {
    comment: `body not included: only its first ${buf.length} bytes were kept (inspect.bodyBytes); they are in _loopgate.excerpt`,
    _loopgate: { excerpt: decoded.text, ...(decoded.encoding ? { encoding: decoded.encoding } : {}) },
  };
}

/** Why a body the record counts has no text in the HAR. */
function absentWhy(size: number): string {
  return `body not recorded (${size} bytes; inspect.bodyBytes is 0, or the answer was cut before any byte was kept)`;
}

function content(
  size: number,
  mimeType: string | undefined,
  body: string | undefined,
  truncated: boolean | undefined,
  bytes: number,
) {
  const c: Record<string, unknown> = { size, mimeType: mimeType ?? 'x-unknown' };
  if (body !== undefined) {
    const b = bodyText(body, truncated);
    if (b.text !== undefined) c.text = b.text;
    if (b.encoding) c.encoding = b.encoding;
    if (b.comment) c.comment = b.comment;
    if (b._loopgate) c._loopgate = b._loopgate;
  } else if (bytes > 0) {
    c.comment = absentWhy(bytes);
  }
  return c;
}

/** HAR timings: an imported entry's own, else Loopgate's (wait = until the answer's head, receive = the rest). */
function harTimings(own: Record<string, number> | undefined, wait: number, receive: number): HarEntry['timings'] {
  const base = { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait, receive };
  return own ? { ...base, ...own } : base;
}

function resourceType(mime: string | undefined): string {
  const m = (mime ?? '').toLowerCase();
  if (m.startsWith('text/html')) return 'document';
  if (m.startsWith('text/css')) return 'stylesheet';
  if (m.includes('javascript') || m.includes('ecmascript')) return 'script';
  if (m.startsWith('image/')) return 'image';
  if (m.startsWith('font/') || m.includes('font-')) return 'font';
  if (m.startsWith('audio/') || m.startsWith('video/')) return 'media';
  if (m.startsWith('text/event-stream')) return 'eventsource';
  if (m.includes('manifest')) return 'manifest';
  return 'fetch';
}
