// HAR import: Loopgate's own exports and Chrome/HTTP Toolkit HARs become log records marked as imported.
import type { HttpView, ImportCounts, ImportResult, SessionView } from '../../../shared/api.ts';
import type {
  ErrorInfo,
  FrameRecord,
  Handler,
  StandIn,
  HarFigures,
  Headers,
  Opcode,
  SessionState,
  Side,
} from '../../../shared/events.ts';
import type { SessionLog } from '../../engine/log/store.ts';
import type { Recorder } from '../../engine/types.ts';

type Obj = Record<string, unknown>;

export class HarError extends Error {}

const HANDLERS: Handler[] = ['proxy', 'static', 'preflight', 'refused', 'not-found'];
const STAND_INS: StandIn[] = ['mocked', 'delayed', 'failed by rule'];
const STATES: SessionState[] = ['connecting', 'open', 'closed', 'failed'];
const SIDES: Side[] = ['client', 'loopgate', 'backend'];
const OPCODES = new Set([0, 1, 2, 8, 9, 10]);

export interface Parsed {
  record: HttpView | SessionView;
  frames: Array<Omit<FrameRecord, 'session'>>;
}

/**
 * Add a HAR's entries to the log (all of them or, when anything is malformed, none). Accepts the
 * parsed JSON or its text. WebSocket entries (`_resourceType: "websocket"` or a ws: URL) keep their
 * `_webSocketMessages`; Loopgate's `_loopgate` extras restore what plain HAR has no field for.
 */
export function importHar(log: Recorder, input: unknown): ImportResult {
  let parsed: Parsed[];
  let skipped = 0;
  try {
    const doc = typeof input === 'string' ? parseJson(input) : input;
    const entries = harEntries(doc);
    // Array.from visits holes too (a sparse array can arrive over IPC's structured clone).
    parsed = Array.from(entries as unknown[], (e, i) => {
      try {
        if (e === null || typeof e !== 'object') throw new HarError('not an object');
        const p = parseEntry(e as Parameters<typeof parseEntry>[0]);
        skipped += p.skipped;
        return p;
      } catch (err) {
        throw new HarError(`entry ${i}: ${(err as Error).message}`);
      }
    });
  } catch (err) {
    if (err instanceof HarError) return { ok: false, code: 'BAD_HAR', message: `not a valid HAR file: ${err.message}` };
    throw err;
  }
  return { ok: true, imported: commit(log, parsed, skipped) };
}

/**
 * Add parsed entries to the log. An entry already imported earlier (same kind, start, method, URL,
 * status, duration and sizes) is left out and counted as a duplicate: importing a file twice adds nothing.
 */
export function commit(
  log: Recorder,
  parsed: Iterable<Parsed>,
  skipped: number,
  seen: Set<string> = importedKeys(log),
): ImportCounts {
  const counts: ImportCounts = { requests: 0, sessions: 0, frames: 0, skipped };
  let duplicates = 0;
  for (const p of parsed) {
    const key = recordKey(p.record, p.frames.length);
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    const id = log.nextId();
    p.record.id = id;
    if (p.record.kind === 'http') {
      log.http(p.record);
      counts.requests++;
      continue;
    }
    log.ws(p.record);
    counts.sessions++;
    for (const f of p.frames) {
      log.frame({ ...f, session: id });
      counts.frames++;
    }
  }
  if (duplicates > 0) counts.duplicates = duplicates;
  return counts;
}

/** What tells one imported entry from another (ids differ between imports; these do not). */
function recordKey(r: HttpView | SessionView, frames: number): string {
  if (r.kind === 'http')
    return `h ${r.startedAt} ${r.method} ${r.secure ? 's' : ''}${r.host}${r.url} ${r.status ?? 0} ${r.timings.end ?? ''} ${r.bytesIn} ${r.bytesOut}`;
  return `w ${r.startedAt} ${r.secure ? 's' : ''}${r.host}${r.url} ${r.status ?? 0} ${r.closedAt ?? ''} ${frames}`;
}

/** Keys of the imported records the log holds now (a log that keeps nothing has none). */
export function importedKeys(log: Recorder): Set<string> {
  const keys = new Set<string>();
  const held = log as Partial<Pick<SessionLog, 'records' | 'getSession'>>;
  if (typeof held.records !== 'function') return keys;
  for (const r of held.records()) {
    if (!r.imported) continue;
    const frames = r.kind === 'ws' ? (held.getSession?.(r.id)?.lastSeq ?? 0) : 0;
    keys.add(recordKey(r, r.kind === 'ws' ? frameCountOf(held as SessionLog, r.id, frames) : 0));
  }
  return keys;
}

function frameCountOf(log: SessionLog, id: number, fallback: number): number {
  const d = log.getSession(id);
  return d ? d.framesKept + d.framesEvicted : fallback;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HarError(`the file is not JSON (${(err as Error).message})`);
  }
}

function harEntries(doc: unknown): unknown[] {
  if (!isObj(doc)) throw new HarError('expected a JSON object with a "log" property');
  if (!isObj(doc.log)) throw new HarError('"log" is missing or not an object');
  if (!Array.isArray(doc.log.entries)) throw new HarError('"log.entries" is missing or not an array');
  return doc.log.entries;
}

export function parseEntry(e: unknown): Parsed & { skipped: number } {
  if (!isObj(e)) throw new HarError('not an object');
  const req = e.request;
  const res = e.response;
  if (!isObj(req)) throw new HarError('"request" is missing or not an object');
  if (!isObj(res)) throw new HarError('"response" is missing or not an object');
  if (typeof req.url !== 'string' || req.url === '') throw new HarError('"request.url" is missing');
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw new HarError(`"request.url" is not an absolute URL: ${JSON.stringify(req.url.slice(0, 200))}`);
  }
  const startedAt = typeof e.startedDateTime === 'string' ? Date.parse(e.startedDateTime) : NaN;
  if (Number.isNaN(startedAt)) throw new HarError('"startedDateTime" is missing or not a date');
  const status = res.status === undefined ? 0 : Number(res.status);
  if (!Number.isInteger(status) || status < 0 || status > 999)
    throw new HarError('"response.status" is not a status code');
  const requestHeaders = headers(req.headers, 'request.headers');
  const responseHeaders = headers(res.headers, 'response.headers');
  const lg = isObj(e._loopgate) ? e._loopgate : {};
  const error =
    errorInfo(lg.error) ??
    (typeof res._error === 'string' && res._error
      ? { code: 'ERROR', message: res._error, side: 'backend' as Side }
      : undefined);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  // Another tool's figures are kept for a faithful re-export; Loopgate's own exports round-trip without them.
  const har = isObj(e._loopgate) ? undefined : harFigures(e, req, res);
  const common = {
    id: 0,
    startedAt,
    url: url.pathname + url.search,
    host: url.host || str(first(requestHeaders['host'])) || str(first(requestHeaders[':authority'])) || '',
    ...(secure ? { secure: true } : {}),
    ...(har ? { har } : {}),
    clientAddress: str(lg.clientAddress) ?? '',
    route: str(lg.route),
    routeIndex: num(lg.routeIndex),
    target: str(lg.target),
    requestHeaders,
    ...(Array.isArray(lg.upstreamHeaders)
      ? { upstreamHeaders: headers(lg.upstreamHeaders, '_loopgate.upstreamHeaders') }
      : {}),
    ...(error ? { error } : {}),
    imported: true,
  };
  const ws =
    e._resourceType === 'websocket' ||
    Array.isArray(e._webSocketMessages) ||
    /^wss?:$/.test(url.protocol) ||
    lg.kind === 'ws';
  if (ws) return parseSession(e, res, common, status, responseHeaders, lg);

  const timings = isObj(e.timings) ? e.timings : {};
  const before = ['blocked', 'dns', 'connect', 'send', 'wait'].reduce(
    (n, k) => n + Math.max(0, num(timings[k]) ?? 0),
    0,
  );
  const total = num(e.time);
  const postData = isObj(req.postData) ? req.postData : undefined;
  const content = isObj(res.content) ? res.content : {};
  const requestBody = postData ? bodyOf(postData, 'request.postData', postData._encoding) : undefined;
  const responseBody = bodyOf(content, 'response.content', content.encoding);
  const record: HttpView = {
    ...common,
    kind: 'http',
    method: typeof req.method === 'string' && req.method ? req.method : 'GET',
    handler: HANDLERS.includes(lg.handler as Handler) ? (lg.handler as Handler) : 'proxy',
    ...(status > 0 ? { status, responseHeaders } : {}),
    timings: status > 0 ? { headers: before, end: total !== undefined && total >= 0 ? total : before } : {},
    bytesIn: num(lg.bytesIn) ?? nonNeg(req.bodySize) ?? (requestBody ? Buffer.byteLength(requestBody, 'base64') : 0),
    bytesOut: num(lg.bytesOut) ?? nonNeg(res.bodySize) ?? nonNeg(content.size) ?? 0,
    ...(lg.retried === true ? { retried: true } : {}),
    ...(STAND_INS.includes(lg.standIn as StandIn) ? { standIn: lg.standIn as StandIn } : {}),
    ...(requestBody !== undefined ? { requestBody } : {}),
    ...(responseBody !== undefined ? { responseBody } : {}),
    ...(lg.requestBodyTruncated === true ? { requestBodyTruncated: true } : {}),
    ...(lg.responseBodyTruncated === true ? { responseBodyTruncated: true } : {}),
    done: true,
  };
  dropUndefined(record);
  return { record, frames: [], skipped: 0 };
}

function parseSession(
  e: Obj,
  res: Obj,
  common: Omit<SessionView, 'kind' | 'state' | 'counts'>,
  status: number,
  responseHeaders: Headers,
  lg: Obj,
): Parsed & { skipped: number } {
  const frames: Array<Omit<FrameRecord, 'session'>> = [];
  let skipped = 0;
  const counts = { framesToBackend: 0, framesToClient: 0, bytesToBackend: 0, bytesToClient: 0 };
  const data = e._webSocketMessages === undefined ? [] : e._webSocketMessages;
  if (!Array.isArray(data)) throw new HarError('"_webSocketMessages" is not an array');
  // Loopgate's exports keep control frames (ping, pong, close) apart, as Chrome has none: merged back by seq.
  const controls = Array.isArray(lg.controlFrames) ? lg.controlFrames : [];
  const all: unknown[] = controls.length > 0 ? [...data, ...controls] : data;
  let order = all.map((_, i) => i);
  if (controls.length > 0) {
    const seqOf = (m: unknown) => (isObj(m) && isObj(m._loopgate) ? (num(m._loopgate.seq) ?? Infinity) : Infinity);
    const seqs = all.map(seqOf);
    order = order.sort((a, b) => seqs[a]! - seqs[b]! || a - b);
  }
  const name = (i: number) =>
    i < data.length ? `_webSocketMessages[${i}]` : `_loopgate.controlFrames[${i - data.length}]`;
  let lastSeq = 0;
  order.forEach((at) => {
    const m = all[at];
    const i = at;
    if (!isObj(m)) throw new HarError(`${name(i)} is not an object`);
    const opcode = Number(m.opcode);
    if ((m.type !== 'send' && m.type !== 'receive') || !OPCODES.has(opcode)) {
      skipped++; // Chrome's "error" pseudo-frames and anything we cannot replay
      return;
    }
    const time = Number(m.time);
    if (!Number.isFinite(time)) throw new HarError(`${name(i)}.time is not a number`);
    if (typeof m.data !== 'string') throw new HarError(`${name(i)}.data is not a string`);
    const x = isObj(m._loopgate) ? m._loopgate : {};
    const encoding = x.encoding === 'text' || x.encoding === 'base64' ? x.encoding : opcode === 1 ? 'text' : 'base64';
    if (encoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(m.data)) {
      throw new HarError(`${name(i)}.data is not base64 (opcode ${opcode})`);
    }
    const length =
      num(x.length) ?? (encoding === 'text' ? Buffer.byteLength(m.data) : Buffer.byteLength(m.data, 'base64'));
    const seqIn = num(x.seq);
    const seq = seqIn !== undefined && seqIn > lastSeq ? seqIn : lastSeq + 1;
    lastSeq = seq;
    const f: Omit<FrameRecord, 'session'> = {
      seq,
      type: m.type,
      time,
      opcode: opcode as Opcode,
      data: m.data,
      encoding,
      length,
      wireLength: num(x.wireLength) ?? length + headerBytes(length, m.type === 'send'),
      fragments: num(x.fragments) ?? 1,
    };
    if (x.compressed === true) f.compressed = true;
    if (x.truncated === true) f.truncated = true;
    if (x.injected === true) f.injected = true;
    if (num(x.closeCode) !== undefined) f.closeCode = num(x.closeCode);
    if (typeof x.closeReason === 'string') f.closeReason = x.closeReason;
    if (Array.isArray(x.problems)) f.problems = x.problems.filter((p): p is string => typeof p === 'string');
    frames.push(f);
    if (f.type === 'send') {
      counts.framesToBackend++;
      counts.bytesToBackend += f.length;
    } else {
      counts.framesToClient++;
      counts.bytesToClient += f.length;
    }
  });
  const close = isObj(e._webSocketClose) ? e._webSocketClose : {};
  const lgCounts = isObj(lg.counts) ? lg.counts : {};
  const content = isObj(res.content) ? res.content : {};
  // A refusal's body excerpt is kept as text (the engine's record holds it so).
  const excerpt = bodyOf(content, 'response.content', content.encoding);
  const responseBody = excerpt === undefined ? undefined : Buffer.from(excerpt, 'base64').toString('utf8');
  const record: SessionView = {
    ...common,
    kind: 'ws',
    state: STATES.includes(lg.state as SessionState)
      ? (lg.state as SessionState)
      : status === 101
        ? 'closed'
        : 'failed',
    ...(status > 0 ? { status, responseHeaders } : {}),
    ...(responseBody !== undefined && status !== 101 ? { responseBody } : {}),
    // Chrome's HAR has no such fields: the 101's headers say what was negotiated.
    subprotocol:
      str(lg.subprotocol) ?? (status === 101 ? str(first(responseHeaders['sec-websocket-protocol'])) : undefined),
    extensions:
      str(lg.extensions) ?? (status === 101 ? str(first(responseHeaders['sec-websocket-extensions'])) : undefined),
    openedAt: num(lg.openedAt),
    closedAt: num(lg.closedAt),
    closeCode: num(close.code),
    closeReason: str(close.reason),
    closedBy: SIDES.includes(close.by as Side) ? (close.by as Side) : undefined,
    counts: {
      framesToBackend: num(lgCounts.framesToBackend) ?? counts.framesToBackend,
      framesToClient: num(lgCounts.framesToClient) ?? counts.framesToClient,
      bytesToBackend: num(lgCounts.bytesToBackend) ?? counts.bytesToBackend,
      bytesToClient: num(lgCounts.bytesToClient) ?? counts.bytesToClient,
    },
  };
  if (record.openedAt === undefined && status === 101) {
    const t = isObj(e.timings) ? num(e.timings.wait) : undefined;
    record.openedAt = common.startedAt + Math.max(0, t ?? 0);
  }
  if (record.closedAt === undefined && record.state !== 'open' && record.state !== 'connecting') {
    // A HAR from another tool says nothing of the end: the session lasted until its last message.
    const last = frames.reduce((t, f) => Math.max(t, f.time * 1000), 0);
    record.closedAt = Math.max(record.openedAt ?? common.startedAt, Math.round(last));
  }
  if (num(lg.framesEvicted)) record.framesEvicted = num(lg.framesEvicted);
  dropUndefined(record);
  return { record, frames, skipped };
}

/** Bytes of a frame header: 2, +2 or +8 for the length, +4 for a client's mask. */
function headerBytes(len: number, masked: boolean): number {
  return (len < 126 ? 2 : len < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

function headers(v: unknown, where: string): Headers {
  const out: Headers = {};
  if (v === undefined) return out;
  if (!Array.isArray(v)) throw new HarError(`"${where}" is not an array`);
  for (const h of v) {
    if (!isObj(h) || typeof h.name !== 'string') throw new HarError(`"${where}" has an entry without a name`);
    const name = h.name.toLowerCase();
    const value = String(h.value ?? '');
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/**
 * A HAR body (content or postData) as base64: its text, or — for a Loopgate export that left out a
 * body cut at inspect.bodyBytes — the excerpt it kept under _loopgate.
 */
function bodyOf(o: Obj, where: string, encoding: unknown): string | undefined {
  const kept = isObj(o._loopgate) ? o._loopgate : undefined;
  if (kept && typeof kept.excerpt === 'string')
    return toBase64(kept.excerpt, kept.encoding, `${where}._loopgate.excerpt`);
  if (o.text === '' && typeof o.comment === 'string' && o.comment.startsWith('body not')) return undefined;
  return toBase64(o.text, encoding, `${where}.text`);
}

/** Another tool's entry figures (sizes, times, versions), for a faithful re-export. */
function harFigures(e: Obj, req: Obj, res: Obj): HarFigures {
  const content = isObj(res.content) ? res.content : {};
  const timings: Record<string, number> = {};
  if (isObj(e.timings))
    for (const [k, v] of Object.entries(e.timings)) if (num(v) !== undefined) timings[k] = v as number;
  const f: HarFigures = {
    time: num(e.time),
    timings,
    requestHttpVersion: str(req.httpVersion),
    responseHttpVersion: str(res.httpVersion),
    requestHeadersSize: int(req.headersSize),
    requestBodySize: int(req.bodySize),
    responseHeadersSize: int(res.headersSize),
    responseBodySize: int(res.bodySize),
    contentSize: int(content.size),
    transferSize: int(res._transferSize),
  };
  dropUndefined(f);
  return f;
}

function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

function toBase64(text: unknown, encoding: unknown, where: string): string | undefined {
  if (text === undefined || text === null) return undefined;
  if (typeof text !== 'string') throw new HarError(`"${where}" is not a string`);
  if (encoding === 'base64') {
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(text)) throw new HarError(`"${where}" says base64 but is not`);
    return Buffer.from(text, 'base64').toString('base64');
  }
  return Buffer.from(text, 'utf8').toString('base64');
}

function errorInfo(v: unknown): ErrorInfo | undefined {
  if (!isObj(v) || typeof v.code !== 'string' || typeof v.message !== 'string') return undefined;
  return { code: v.code, message: v.message, side: SIDES.includes(v.side as Side) ? (v.side as Side) : 'backend' };
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function nonNeg(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && n >= 0 ? n : undefined;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function dropUndefined(o: object): void {
  for (const [k, v] of Object.entries(o)) if (v === undefined) delete (o as Record<string, unknown>)[k];
}
