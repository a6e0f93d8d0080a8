// The bridge contract between the UI and the main process: one interface, its HTTP routes and JSON shapes.
import type { Breakpoint, BreakpointInput, Paused, PausedEdits, Resolution } from './breakpoints.ts';
import type { ConfigInput, ConfigResult } from './config.ts';
import type { ConfigState, ConfigWriteOptions, ConfigWriteResult } from './config-state.ts';

export type * from './config-state.ts';
import type {
  AppProtocol,
  DecodedMessage,
  FrameRecord,
  Handler,
  HttpRecord,
  LogEvent,
  WsSessionRecord,
} from './events.ts';

/** A request as listed: the engine's record, plus marks the log adds. */
export type HttpView = HttpRecord & {
  /** Came from an imported HAR, not from live traffic. */
  imported?: boolean;
  /** An Engine.IO long-polling request (socket.io): its bodies' packets, read when the record is read. */
  protocol?: AppProtocol;
  decoded?: { send: DecodedMessage[]; receive: DecodedMessage[] };
};

/** A WebSocket session as listed: the engine's record, plus marks the log adds. */
export type SessionView = WsSessionRecord & {
  imported?: boolean;
  /** How many of the session's first frames were dropped to keep the log under its memory cap. */
  framesEvicted?: number;
  /** The application protocol its frames are read in (detected, or the route's `protocol`), once known. */
  protocol?: AppProtocol;
};

export type RecordView = HttpView | SessionView;

/** Status classes a list can be filtered by. "error": failed; "pending": not finished yet. */
export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'error' | 'pending';

export interface ListQuery {
  /** "http" requests, "ws" sessions, or both ("all"). listRequests defaults to "http". */
  kind?: 'http' | 'ws' | 'all';
  /** Shorthand for kind "ws". */
  wsOnly?: boolean;
  /** The route's label (its name, or its match string) as recorded. */
  route?: string;
  handler?: Handler;
  /** Any of these classes. */
  status?: StatusClass[];
  /** Case-insensitive substring of method, URL, host, target, route, status, error or client. */
  text?: string;
  /** Only ids greater than this (oldest first from there). */
  after?: number;
  /** Only ids smaller than this (the newest `limit` of them). */
  before?: number;
  /** At most this many (default 500, max 5000). Without `after`, the newest ones. */
  limit?: number;
}

export interface ListPage<T> {
  /** Oldest first, newest last. */
  items: T[];
  /** How many records match the filter in the whole log. */
  total: number;
  /** More matches exist beyond this page (in the direction asked for). */
  more: boolean;
}

export interface SessionDetail {
  session: SessionView;
  /** Frames still held for this session. */
  framesKept: number;
  /** Sequence numbers held: [firstSeq, lastSeq], both 0 when none. */
  firstSeq: number;
  lastSeq: number;
  /** Frames dropped from the start of the session to stay under the memory cap. */
  framesEvicted: number;
}

export interface FramesQuery {
  /** Only frames with seq greater than this. */
  after?: number;
  /** At most this many (default 1000, max 10000). */
  limit?: number;
}

export interface FramesPage {
  frames: FrameRecord[];
  /** More frames follow the last one returned. */
  more: boolean;
  /** Frames dropped from the start of the session (their seqs are below firstSeq). */
  framesEvicted: number;
  firstSeq: number;
  lastSeq: number;
}

/** One line of a session's protocol table: an event, operation, method or destination. */
export interface ProtocolStatsRow {
  /** Event name, operation, method or destination; the message type when it has none. */
  name: string;
  /** The request's message type (event, subscribe, request, SEND, invocation, ...). */
  type: string;
  /** Messages client → backend and backend → client under this name (replies count under their request's name). */
  sent: number;
  received: number;
  /** Payload bytes of those messages. */
  bytes: number;
  /** Requests that got a reply, and the latency to their first reply (ms, nearest rank). */
  answered: number;
  p50Ms?: number;
  p95Ms?: number;
}

export interface ProtocolStats {
  session: number;
  /** null: no protocol recognised (yet). */
  protocol: AppProtocol | null;
  /** Busiest first. */
  rows: ProtocolStatsRow[];
  /** Keep-alive messages (not in rows). */
  heartbeats: number;
  /** Requests still waiting for their first reply. */
  pending: number;
  /** Frames read so far (the table covers these). */
  frames: number;
}

/** Inject a message into a live session: exactly one of text, base64 and compose. */
export interface SendRequest {
  to: 'client' | 'backend';
  text?: string;
  base64?: string;
  /** A message in the session's protocol: Loopgate writes the envelope. */
  compose?: ComposeRequest;
}

/** What the composer asks Loopgate to write in a protocol's envelope (ids are Loopgate's own: "loopgate-N"). */
export type ComposeRequest =
  /** An EVENT packet; `ack`: with an ack id, so the server's ack is paired. */
  | { protocol: 'socket.io'; name: string; args?: unknown[]; namespace?: string; ack?: boolean }
  /** subscribe (graphql-transport-ws) or start (graphql-ws) with a fresh id. */
  | {
      protocol: 'graphql-transport-ws' | 'graphql-ws';
      query: string;
      variables?: Record<string, unknown>;
      operationName?: string;
    }
  /** A SEND frame; `receipt`: asks for a RECEIPT, which is paired. */
  | { protocol: 'stomp'; destination: string; body?: string; headers?: Record<string, string>; receipt?: boolean }
  /** An invocation with an invocationId (its completion is paired). */
  | { protocol: 'signalr'; target: string; args?: unknown[] }
  /** A request with an id (or a notification without one). */
  | { protocol: 'json-rpc'; method: string; params?: unknown; notify?: boolean };

export interface CloseRequest {
  /** 1000, or an application code 3000-4999. Default 1000. */
  code?: number;
  /** At most 123 bytes of UTF-8. */
  reason?: string;
}

export type SendResult =
  /** `sent`: the text a compose request was written as; `id`: the ack / operation / request id it carries. */
  { ok: true; sent?: string; id?: string } | { ok: false; code: string; message: string };

export interface ImportCounts {
  requests: number;
  sessions: number;
  frames: number;
  /** WebSocket messages left out (Chrome's "error" pseudo-frames, unknown opcodes). */
  skipped: number;
  /** Entries left out because the log already holds them from an earlier import of the same file. */
  duplicates?: number;
  /** Entries read but dropped at once: the log keeps at most inspect.storeBytes, newest first. */
  dropped?: number;
}

export type ImportResult = { ok: true; imported: ImportCounts } | { ok: false; code: string; message: string };

export interface LogStats {
  /** Records held (requests + sessions) and frames held. */
  records: number;
  frames: number;
  /** Estimated bytes held and the cap (inspect.storeBytes). */
  bytes: number;
  capBytes: number;
  /** Records and frames dropped since start (or the last clear) to stay under the cap. */
  evictedRecords: number;
  evictedFrames: number;
}

export interface StatusInfo {
  running: boolean;
  /** The site Loopgate serves (listen URL), null while stopped. */
  siteUrl: string | null;
  controlUrl: string | null;
  configFile?: string | null;
  /** Config version (increments on each applied change). */
  version: number;
  activeProfile: string | null;
  profiles: string[];
  lastError: string | null;
  /** Loopgate's own version. */
  appVersion?: string;
  log?: LogStats;
  /** openConfig can switch to another loopgate.json: true in the desktop app only (browser mode runs the one given to `loopgate serve`). */
  canOpenConfig?: boolean;
}

/** Sent on the event stream when batches were dropped for a slow reader: refetch lists and frames. */
export interface OverflowMarker {
  type: 'overflow';
  /** Batches dropped. */
  dropped: number;
}

export type StreamEvent = LogEvent | OverflowMarker;

/** HAR 1.2 document (loosely typed: the log follows Chrome's export, with `_`-prefixed extras). */
export interface Har {
  log: {
    version: string;
    creator: { name: string; version: string };
    pages: unknown[];
    entries: HarEntry[];
  };
}

export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: Record<string, unknown>;
  response: Record<string, unknown>;
  cache: Record<string, never>;
  timings: { blocked: number; dns: number; ssl: number; connect: number; send: number; wait: number; receive: number };
  _resourceType: string;
  _webSocketMessages?: HarWebSocketMessage[];
  _webSocketClose?: { code?: number; reason?: string; by?: string };
  [extra: `_${string}`]: unknown;
}

/** Chrome's shape: time in epoch seconds; text as is, binary as base64. */
export interface HarWebSocketMessage {
  type: 'send' | 'receive';
  time: number;
  opcode: number;
  data: string;
  [extra: `_${string}`]: unknown;
}

/** Paste or file content of an nginx config for importNginx. Includes are never read from disk here. */
export interface NginxImportRequest {
  text: string;
  /** The file's name (shown in warnings); "pasted.conf" when omitted. */
  fileName?: string;
}

/** Something of the nginx config Loopgate does differently or not at all, placed at its line. */
export interface NginxImportWarning {
  file: string;
  line: number;
  /** The directive's name ("proxy_buffering", "include", ...). */
  directive: string;
  message: string;
}

/** One server{} block of the imported config, as a loopgate.json (times and sizes with units). */
export interface NginxSite {
  /** server_name, or "server :PORT", or "server N": unique within one import. */
  name: string;
  config: ConfigInput;
}

export type NginxImportResult =
  | { ok: true; sites: NginxSite[]; warnings: NginxImportWarning[] }
  /** NGINX_SYNTAX (line, column: 1-based, where `nginx -t` would point) or BAD_REQUEST (no text). */
  | { ok: false; code: string; message: string; line?: number; column?: number };

export interface NginxExportOptions {
  /** server_name to write (space-separated names); default: allowedHosts, else localhost. */
  serverName?: string;
}

/** The running config as an nginx server{} block (plus the maps it needs), and what did not carry over. */
export interface NginxExportResult {
  text: string;
  warnings: string[];
}

/** Which loopgate.json to open: without `path`, the desktop app asks with its file dialog. */
export interface OpenConfigRequest {
  /** Absolute path of a loopgate.json, or of a project folder (its loopgate.json, created with defaults when missing). */
  path?: string;
}

export interface OpenConfigResult {
  /** false: the dialog was cancelled (nothing changed). */
  opened: boolean;
  /** The config now running (the previous one when nothing was opened). */
  configFile: string | null;
}

/** What a putConfig was made against (see LoopgateBridge.putConfig). */
export interface PutConfigExpect extends ConfigWriteOptions {
  configFile?: string | null;
}

/**
 * Everything the UI can ask of the main process. The browser bridge implements it over the HTTP
 * routes below; the Electron preload bridge over IPC calling the same Controller. Both the same.
 */
export interface LoopgateBridge {
  status(): Promise<StatusInfo>;
  /** The running config (command-line values included), its version, where it came from, a refused hand edit. */
  getConfig(): Promise<ConfigState>;
  /**
   * Validate, save and apply. `{ ok: false, errors }` leaves everything as it was. `expect.configFile`:
   * the file the edit was made for; where another config can be opened (the desktop app) a put made
   * for a file no longer running is refused (CONFIG_SWITCHED) rather than written into the new one.
   */
  putConfig(input: unknown, expect?: PutConfigExpect): Promise<ConfigWriteResult>;
  /**
   * Write the running config to disk. In memory: create loopgate.json beside where Loopgate runs
   * (FILE_EXISTS when there is one, unless overwrite). A refused hand edit waiting: overwrite writes
   * over it. Whatever is written over is backed up first (`backup`).
   */
  saveConfig(request?: ConfigWriteOptions): Promise<ConfigWriteResult>;
  /** Read loopgate.json again and run it (changes kept in memory are dropped); still invalid → its errors. */
  reloadConfig(): Promise<ConfigWriteResult>;
  /** Switch the active profile (null: the top-level routes). */
  setProfile(name: string | null): Promise<ConfigResult>;
  listRequests(query?: ListQuery): Promise<ListPage<RecordView>>;
  listSessions(query?: ListQuery): Promise<ListPage<SessionView>>;
  getSession(id: number): Promise<SessionDetail | null>;
  frames(sessionId: number, query?: FramesQuery): Promise<FramesPage | null>;
  /** The session's table of events / operations / methods (count, bytes, p50/p95 latency). */
  protocolStats(sessionId: number): Promise<ProtocolStats | null>;
  send(sessionId: number, message: SendRequest): Promise<SendResult>;
  close(sessionId: number, request: CloseRequest): Promise<SendResult>;
  /** HAR of the whole log, or of one session. */
  exportHar(options?: { session?: number }): Promise<Har>;
  importHar(har: unknown): Promise<ImportResult>;
  /** Read an nginx config into Loopgate sites (nothing is applied: the UI applies a site with putConfig). */
  importNginx(request: NginxImportRequest): Promise<NginxImportResult>;
  /** The running config as nginx config. Rejects (BAD_REQUEST) on a server name nginx cannot take. */
  exportNginx(options?: NginxExportOptions): Promise<NginxExportResult>;
  clear(): Promise<void>;
  /**
   * Run another project's loopgate.json (desktop app only: see StatusInfo.canOpenConfig). A file that
   * is missing, not JSON, invalid or cannot start is refused ("CODE: message") and the previous config
   * keeps running. Browser mode rejects with NOT_SUPPORTED.
   */
  openConfig(request?: OpenConfigRequest): Promise<OpenConfigResult>;
  /** Breakpoints (issue #17): the list, add one (checked: a refusal names the problem), delete one (what it holds goes on). */
  listBreakpoints(): Promise<Breakpoint[]>;
  addBreakpoint(breakpoint: BreakpointInput): Promise<Breakpoint>;
  deleteBreakpoint(id: number): Promise<{ ok: true }>;
  /** What breakpoints hold now; then continue it (with optional edits), answer it locally (request stage), or drop it (502). */
  listPaused(): Promise<Paused[]>;
  continuePaused(id: number, edits?: PausedEdits): Promise<{ ok: true; resolution: Resolution }>;
  respondPaused(id: number, answer: PausedEdits): Promise<{ ok: true; resolution: Resolution }>;
  dropPaused(id: number): Promise<{ ok: true; resolution: Resolution }>;
  /**
   * Send a logged request again through the same listener (routes, steps, breakpoints, mocks apply),
   * as it was or with edits (method, url, headers: the whole set, text|base64); the new record has resentFrom.
   */
  resendRequest(id: number, edits?: PausedEdits): Promise<{ ok: true; id: number; status: number }>;
  /** Live events, in batches. Returns the unsubscribe function. */
  subscribe(onEvents: (batch: StreamEvent[]) => void): () => void;
}

/** Error body of every refused API call. */
export interface ApiError {
  error: { code: string; message: string };
}

/**
 * The control token's cookie name, per port, as older Loopgate versions set it on 127.0.0.1. Nothing sets
 * it now (cookies ignore ports, so the site's requests carried it): the engine drops any such cookie
 * from the site's requests, and the control server clears a leftover one.
 */
export const TOKEN_COOKIE_PREFIX = 'loopgate_token_';
/** The control URL carries the token as `#token=` (or `?token=`); the page keeps it in sessionStorage. */
export const TOKEN_QUERY = 'token';
/** WebSocket subprotocols of /api/events: the one the server picks, and the token's carrier (base64url). */
export const EVENTS_PROTOCOL = 'loopgate.events';
export const TOKEN_PROTOCOL_PREFIX = 'loopgate.bearer.';

/** The event stream drops batches once a client's socket buffers this much. */
export const EVENTS_HIGH_WATER = 4 * 1024 * 1024;

/**
 * How a bridge method's arguments travel, in order. `id`: a session id (a positive integer; `:id` in
 * the route). `query` / `options`: an optional object (the query string over HTTP). `body`: any JSON
 * (the request body). `local`: checked and used by the desktop bridge only, never sent over HTTP.
 */
export type ApiArg = 'id' | 'query' | 'options' | 'body' | 'local';

/**
 * How a method answers. `value`: the answer, or a refusal ({ok: false, code, message}) the bridge
 * rejects with. `found`: like value, and null for an unknown session (HTTP 404 NO_SESSION).
 * `outcome`: a refusal is an answer, not a rejection (HTTP: an error status with its code).
 * `result`: like outcome, and over HTTP a refusal is the body too, beside ApiError (line, column). `config`: a ConfigResult (HTTP 400 INVALID_CONFIG with its errors). `none`: nothing (HTTP {ok: true}).
 */
export type ApiAnswer = 'value' | 'found' | 'outcome' | 'result' | 'config' | 'none';

export interface ApiMethod {
  /** "METHOD /path" on the control server (`:id`: the session id); null: no route of its own. */
  route: string | null;
  args: readonly ApiArg[];
  answer: ApiAnswer;
  /** Largest request body the server reads, in bytes (default API_BODY_LIMIT). */
  bodyLimit?: number;
  /** HTTP status of a success (default 200; 201 for a creation). */
  status?: number;
  /** The body is `{[bodyKey]: argument}` (setProfile's {"name": ...}) rather than the argument itself. */
  bodyKey?: string;
}

/** Largest JSON request body the control server reads unless a method says otherwise. */
export const API_BODY_LIMIT = 4 * 1024 * 1024;

/**
 * Every LoopgateBridge method, one line each: the control server's routes, the HTTP bridge, the IPC
 * bridge's channels and argument checks all come from this table. Every route needs
 * `Authorization: Bearer <token>` (or the cookie set by opening the UI with `?token=`); POST/PUT need
 * `content-type: application/json`; errors answer `{"error":{"code","message"}}` (ApiError) with a
 * 4xx/5xx status. Adding a method: its line here, its signature in LoopgateBridge, its Controller method.
 */
export const API_METHODS = {
  /** → StatusInfo */
  status: { route: 'GET /api/status', args: [], answer: 'value' },
  /** → ConfigInput */
  /** → ConfigState (header ETag: "<version>"); GET /api/config is the config alone */
  getConfig: { route: 'GET /api/config/state', args: [], answer: 'value' },
  /**
   * body: ConfigInput; ?version=N (or If-Match: "N"), &overwrite=true → 200 ConfigWriteResult | 400
   * (errors) | 409 STALE_CONFIG (conflict: current and yours; nothing written) + ApiError
   */
  putConfig: { route: 'PUT /api/config', args: ['body', 'options'], answer: 'config' },
  /** body: {version?, overwrite?} → like putConfig; 409 FILE_EXISTS when loopgate.json is there already */
  saveConfig: { route: 'POST /api/config/save', args: ['body'], answer: 'config' },
  /** → like putConfig (400 with the file's errors while it is still invalid) */
  reloadConfig: { route: 'POST /api/config/reload', args: [], answer: 'config' },
  /** body: {"name": string | null} → ConfigResult like putConfig */
  setProfile: { route: 'POST /api/profile', args: ['body'], answer: 'config', bodyKey: 'name' },
  /** ?kind=http|ws|all&route=&handler=&status=2xx,4xx&text=&after=&before=&limit= → ListPage<RecordView> */
  listRequests: { route: 'GET /api/requests', args: ['query'], answer: 'value' },
  /** same query (kind is ws) → ListPage<SessionView> */
  listSessions: { route: 'GET /api/sessions', args: ['query'], answer: 'value' },
  /** → SessionDetail | 404 */
  getSession: { route: 'GET /api/sessions/:id', args: ['id'], answer: 'found' },
  /** ?after=&limit= → FramesPage | 404 */
  frames: { route: 'GET /api/sessions/:id/frames', args: ['id', 'query'], answer: 'found' },
  /** → ProtocolStats | 404 */
  protocolStats: { route: 'GET /api/sessions/:id/stats', args: ['id'], answer: 'found' },
  /** body: SendRequest → {ok: true} | ApiError (400 bad input, 404 unknown, 409 not open, 413 too large) */
  send: { route: 'POST /api/sessions/:id/send', args: ['id', 'body'], answer: 'outcome', bodyLimit: 24 << 20 },
  /** body: CloseRequest → like send */
  close: { route: 'POST /api/sessions/:id/close', args: ['id', 'body'], answer: 'outcome' },
  /** ?session=id → Har (application/json, as an attachment) */
  exportHar: { route: 'GET /api/export.har', args: ['options'], answer: 'value' },
  /** body: Har → ImportResult (400 with code BAD_HAR when malformed) */
  importHar: { route: 'POST /api/import.har', args: ['body'], answer: 'outcome', bodyLimit: 512 << 20 },
  /** body: NginxImportRequest → 200 NginxImportResult | 400 NginxImportResult (ok: false) + ApiError */
  importNginx: { route: 'POST /api/nginx/import', args: ['body'], answer: 'result' },
  /** ?serverName= → NginxExportResult | 400 ApiError (BAD_REQUEST) */
  exportNginx: { route: 'GET /api/nginx/export', args: ['options'], answer: 'value' },
  /** → {ok: true} */
  clear: { route: 'POST /api/clear', args: [], answer: 'none' },
  /** → Breakpoint[] */
  listBreakpoints: { route: 'GET /api/breakpoints', args: [], answer: 'value' },
  /** body: BreakpointInput → 201 Breakpoint (with its id) | 400 BAD_REQUEST naming the problem */
  addBreakpoint: { route: 'POST /api/breakpoints', args: ['body'], answer: 'value', status: 201 },
  /** → {ok: true} | 404 NOT_FOUND; what it held goes on unchanged */
  deleteBreakpoint: { route: 'DELETE /api/breakpoints/:id', args: ['id'], answer: 'value' },
  /** → Paused[] */
  listPaused: { route: 'GET /api/paused', args: [], answer: 'value' },
  /** body: PausedEdits (method, url, headers, text|base64; status for a response) → {ok, resolution} | 400 | 404 */
  continuePaused: {
    route: 'POST /api/paused/:id/continue',
    args: ['id', 'body'],
    answer: 'value',
    bodyLimit: 64 << 20,
  },
  /** body: {status, headers?, text?|base64?} (request stage) → like continuePaused */
  respondPaused: { route: 'POST /api/paused/:id/respond', args: ['id', 'body'], answer: 'value', bodyLimit: 64 << 20 },
  /** → like continuePaused; the client gets a 502 naming the breakpoint */
  dropPaused: { route: 'POST /api/paused/:id/drop', args: ['id'], answer: 'value' },
  /**
   * body: PausedEdits (method, url, headers, text|base64) → {ok, id (the new record), status} | 400 | 404
   * NOT_FOUND | 409 BODY_CUT (the logged body was cut at inspect.bodyBytes: give the body) / NOT_FINISHED
   */
  resendRequest: { route: 'POST /api/requests/:id/resend', args: ['id', 'body'], answer: 'value', bodyLimit: 64 << 20 },
  /** Desktop only: the HTTP bridge refuses it (NOT_SUPPORTED) without asking the server. */
  openConfig: { route: null, args: ['options'], answer: 'value' },
  /** The HTTP bridge uses the events socket below; the IPC bridge a channel of its own. */
  subscribe: { route: null, args: [], answer: 'none' },
} as const satisfies Record<keyof LoopgateBridge, ApiMethod>;

export type BridgeMethod = keyof typeof API_METHODS;

/** Routes of the control server that are no bridge method (the raw frame stream, the event socket). */
export const HTTP_ONLY_ROUTES = {
  /** → ConfigInput: the running config as written (header ETag: "<version>") */
  config: 'GET /api/config',
  /** ?session=id → one FrameRecord per line (application/x-ndjson) */
  framesJsonl: 'GET /api/frames.jsonl',
  /** WebSocket (token by header, cookie or ?token=): each message a JSON array of StreamEvent */
  events: 'GET /api/events',
} as const;

/** LoopgateBridge's method names at run time, in the order the interface declares them. */
export function bridgeMethodNames(): BridgeMethod[] {
  return Object.keys(API_METHODS) as BridgeMethod[];
}

/** A session id as the API takes it: a positive safe integer. */
export function isSessionId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}
