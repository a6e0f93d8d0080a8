// HAR import: Loopgate's own exports and Chrome/HTTP Toolkit HARs become log records marked as imported.
import type { HttpView, ImportCounts, ImportResult, SessionView } from '../../../shared/api.ts';
import type { ErrorInfo, FrameRecord, Handler, Headers, Opcode, SessionState, Side } from '../../../shared/events.ts';
import type { Recorder } from '../../engine/types.ts';

type Obj = Record<string, unknown>;

class HarError extends Error {}

const HANDLERS: Handler[] = ['proxy', 'static', 'preflight', 'refused', 'not-found'];
const STATES: SessionState[] = ['connecting', 'open', 'closed', 'failed'];
const SIDES: Side[] = ['client', 'loopgate', 'backend'];
const OPCODES = new Set([0, 1, 2, 8, 9, 10]);

interface Parsed {
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
  const counts: ImportCounts = { requests: 0, sessions: 0, frames: 0, skipped };
  for (const p of parsed) {
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
  return { ok: true, imported: counts };
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

function parseEntry(e: unknown): Parsed & { skipped: number } {
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
  const common = {
    id: 0,
    startedAt,
    url: url.pathname + url.search,
    host: url.host || str(first(requestHeaders['host'])) || '',
    clientAddress: str(lg.clientAddress) ?? '',
    route: str(lg.route),
    routeIndex: num(lg.routeIndex),
    target: str(lg.target),
    requestHeaders,
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
  const requestBody = postData
    ? toBase64(postData.text, postData._encoding ?? postData.encoding, 'request.postData.text')
    : undefined;
  const responseBody = toBase64(content.text, content.encoding, 'response.content.text');
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
  const messages = e._webSocketMessages === undefined ? [] : e._webSocketMessages;
  if (!Array.isArray(messages)) throw new HarError('"_webSocketMessages" is not an array');
  let lastSeq = 0;
  messages.forEach((m, i) => {
    if (!isObj(m)) throw new HarError(`_webSocketMessages[${i}] is not an object`);
    const opcode = Number(m.opcode);
    if ((m.type !== 'send' && m.type !== 'receive') || !OPCODES.has(opcode)) {
      skipped++; // Chrome's "error" pseudo-frames and anything we cannot replay
      return;
    }
    const time = Number(m.time);
    if (!Number.isFinite(time)) throw new HarError(`_webSocketMessages[${i}].time is not a number`);
    if (typeof m.data !== 'string') throw new HarError(`_webSocketMessages[${i}].data is not a string`);
    const x = isObj(m._loopgate) ? m._loopgate : {};
    const encoding = x.encoding === 'text' || x.encoding === 'base64' ? x.encoding : opcode === 1 ? 'text' : 'base64';
    if (encoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(m.data)) {
      throw new HarError(`_webSocketMessages[${i}].data is not base64 (opcode ${opcode})`);
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
  const responseBody = toBase64(content.text, content.encoding, 'response.content.text');
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
    subprotocol: str(lg.subprotocol),
    extensions: str(lg.extensions),
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
