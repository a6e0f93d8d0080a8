// The control logic behind the UI (no HTTP): queries, inject/close, HAR, config. Electron IPC calls the same class.
import type {
  CloseRequest,
  FramesPage,
  FramesQuery,
  Har,
  ImportResult,
  ListPage,
  ListQuery,
  NginxExportResult,
  NginxImportResult,
  NginxImportWarning,
  ProtocolStats,
  RecordView,
  SendRequest,
  SendResult,
  SessionDetail,
  SessionView,
  StatusClass,
  StatusInfo,
  StreamEvent,
} from '../../shared/api.ts';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ConfigInput, ConfigResult } from '../../shared/config.ts';
import type { ConfigState, ConfigWriteOptions, ConfigWriteResult } from '../../shared/config-state.ts';
import type { Handler } from '../../shared/events.ts';
import type { Breakpoint, Paused, Resolution } from '../../shared/breakpoints.ts';
import type { Breakpoints } from '../engine/steps/breakpoints.ts';
import { exportNginx } from '../config/nginx/export.ts';
import { importNginx, NginxSyntaxError } from '../config/nginx/import.ts';
import { buildHar, framesJsonl, harChunks, importHar } from './har/export.ts';
import { importHarStream } from './har/import-stream.ts';
import type { SessionLog } from '../engine/log/store.ts';
import { ProtocolReader } from '../engine/log/protocols/reader.ts';
import { encodeComposed } from '../engine/log/protocols/compose.ts';
import type { ProtocolSetting } from '../engine/log/protocols/detect.ts';
import { resend, type ResendResult, type ResendTarget } from './resend.ts';

export interface TunnelControl {
  send(id: number, to: 'client' | 'backend', data: Buffer, binary: boolean): SendResult;
  close(id: number, code: number, reason: string): SendResult;
}

export interface ConfigAccess {
  get(): ConfigInput;
  put(input: unknown, opts?: ConfigWriteOptions): Promise<ConfigWriteResult>;
  setProfile?(name: string | null): Promise<ConfigResult>;
  /** Version, origin, refused hand edit; without it: the config at the status' version, origin unknown. */
  state?(): ConfigState;
  save?(opts?: ConfigWriteOptions): Promise<ConfigWriteResult>;
  reload?(): Promise<ConfigWriteResult>;
  /**
   * Calls `fn` on every change of the running config or of its state, whoever made it (a write here,
   * an edit on disk, a refused one). The controller publishes the `config` event from it, the event's
   * one publisher; an access without it gets the event after the controller's own writes.
   */
  onChange?(fn: () => void): () => void;
}

/** The engine's breakpoint registry (main/engine/steps/breakpoints.ts), as the controller uses it. */
export type BreakpointControl = Pick<Breakpoints, 'list' | 'add' | 'remove' | 'paused' | 'resolve' | 'onEvent'>;

export interface ControllerDeps {
  log: SessionLog;
  tunnels: TunnelControl;
  /** Without it the breakpoint methods answer NOT_SUPPORTED. */
  breakpoints?: BreakpointControl;
  config: ConfigAccess;
  /** The engine's listener, for resending logged requests; without it resendRequest answers NOT_SUPPORTED. */
  resend?: ResendTarget;
  /** Runtime status (StatusInfo's fields); the controller adds the log's stats. */
  status(): object;
}

/** A refusal before anything was done: bad input, unknown id. Mirrors SendResult's error half. */
export type Refusal = { ok: false; code: string; message: string };

const STATUS_CLASSES: StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx', 'error', 'pending'];
const HANDLERS: Handler[] = ['proxy', 'static', 'preflight', 'refused', 'not-found'];
/** Largest message the API injects (the UI sends what a user types or pastes). */
export const MAX_SEND_BYTES = 16 * 1024 * 1024;

const refuse = (code: string, message: string): Refusal => ({ ok: false, code, message });

export class Controller {
  readonly log: SessionLog;
  /** Frames read in their application protocol (Socket.IO, GraphQL, STOMP, ...) when they are read. */
  readonly protocols: ProtocolReader;
  readonly #deps: ControllerDeps;
  #composed = 0;

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
    this.log = deps.log;
    this.protocols = new ProtocolReader(deps.log, { setting: (s) => routeProtocol(deps.config.get(), s.route) });
    deps.config.onChange?.(() => this.#announceConfig());
    // Each pause and each resolution goes out on the event stream.
    deps.breakpoints?.onEvent((e) => this.log.publish(e));
  }

  status(): StatusInfo {
    return { ...(this.#deps.status() as StatusInfo), log: this.log.stats() };
  }

  /** The running config with its version, where it came from, and a refused hand edit. */
  getConfig(): ConfigState {
    const c = this.#deps.config;
    if (c.state) return c.state();
    const s = this.#deps.status() as Partial<StatusInfo>;
    const file = s.configFile ?? null;
    return {
      config: c.get(),
      version: typeof s.version === 'number' ? s.version : 0,
      source: { origin: file ? { kind: 'file', file } : { kind: 'command-line' }, file, commandLine: [] },
      refusedEdit: null,
    };
  }

  async putConfig(input: unknown, opts: unknown = {}): Promise<ConfigWriteResult> {
    const o = writeOptions(opts);
    if ('ok' in o) return o;
    const result = await this.#deps.config.put(input, o);
    if (result.ok) this.#wrote();
    return result;
  }

  /** Write the running config to its file (or create loopgate.json for a config in memory). */
  async saveConfig(opts: unknown = {}): Promise<ConfigWriteResult> {
    const o = writeOptions(opts);
    if ('ok' in o) return o;
    if (!this.#deps.config.save) return notSupported('this Loopgate cannot save its config to a file');
    const result = await this.#deps.config.save(o);
    this.#wrote();
    return result;
  }

  /** Read the config file again and run it; while it is still invalid, its errors. */
  async reloadConfig(): Promise<ConfigWriteResult> {
    if (!this.#deps.config.reload) return notSupported('this Loopgate cannot reload its config');
    const result = await this.#deps.config.reload();
    this.#wrote();
    return result;
  }

  async setProfile(name: unknown): Promise<ConfigResult> {
    if (name !== null && typeof name !== 'string') {
      return { ok: false, errors: [{ path: 'activeProfile', message: 'name must be a profile name or null' }] };
    }
    if (this.#deps.config.setProfile) {
      const result = await this.#deps.config.setProfile(name);
      if (result.ok) this.#wrote();
      return result;
    }
    // Without a dedicated call: the same change through put().
    const input = { ...this.#deps.config.get() };
    if (name === null) delete input.activeProfile;
    else input.activeProfile = name;
    return this.putConfig(input);
  }

  listRequests(query: unknown = {}): ListPage<RecordView> | Refusal {
    const q = normalizeListQuery(query);
    if ('ok' in q) return q;
    const page = this.log.list(q, 'http');
    return { ...page, items: page.items.map((r) => this.protocols.record(r)) };
  }

  listSessions(query: unknown = {}): ListPage<SessionView> | Refusal {
    const q = normalizeListQuery(query);
    if ('ok' in q) return q;
    const page = this.log.listSessions(q);
    return { ...page, items: page.items.map((r) => this.protocols.session(r)) };
  }

  getSession(id: number): SessionDetail | null {
    const d = this.log.getSession(id);
    return d && { ...d, session: this.protocols.session(d.session) };
  }

  /** The session's table of events / operations / methods; null for an unknown session. */
  protocolStats(id: number): ProtocolStats | null {
    return this.protocols.stats(id);
  }

  frames(id: number, query: FramesQuery | Record<string, unknown> = {}): FramesPage | null | Refusal {
    if (!isObj(query)) return refuse('BAD_REQUEST', 'the query must be an object');
    const after = optionalInt(query.after, 'after', 0);
    if (typeof after === 'object') return after;
    const limit = optionalInt(query.limit, 'limit', 1);
    if (typeof limit === 'object') return limit;
    const page = this.log.frames(id, { after, limit });
    return page && this.protocols.page(id, page);
  }

  /** Inject a text or binary message into a live session, towards the client or the backend. */
  send(id: number, req: unknown): SendResult {
    if (!isObj(req))
      return refuse(
        'BAD_REQUEST',
        'send expects {"to": "client"|"backend", "text": "..."} or "base64" instead of "text"',
      );
    const { to, text, base64, compose } = req as Partial<Record<keyof SendRequest, unknown>>;
    if (to !== 'client' && to !== 'backend') return refuse('BAD_REQUEST', '"to" must be "client" or "backend"');
    if (compose !== undefined) {
      // Loopgate writes the protocol's envelope (a Socket.IO event, a GraphQL subscribe, ...); its reply pairs as usual.
      if (text !== undefined || base64 !== undefined)
        return refuse('BAD_REQUEST', 'give "compose" alone, without "text" or "base64"');
      const out = encodeComposed(compose, ++this.#composed);
      if ('error' in out) return refuse('BAD_REQUEST', out.error);
      const known = this.#liveCheck(id);
      if (known) return known;
      const r = this.#deps.tunnels.send(id, to, Buffer.from(out.text, 'utf8'), false);
      return r.ok ? { ok: true, sent: out.text, ...(out.id !== undefined ? { id: out.id } : {}) } : r;
    }
    if ((text === undefined) === (base64 === undefined))
      return refuse('BAD_REQUEST', 'give exactly one of "text" and "base64"');
    let data: Buffer;
    if (text !== undefined) {
      if (typeof text !== 'string') return refuse('BAD_REQUEST', '"text" must be a string');
      data = Buffer.from(text, 'utf8');
    } else {
      if (typeof base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 === 1) {
        return refuse('BAD_REQUEST', '"base64" is not valid base64');
      }
      data = Buffer.from(base64, 'base64');
    }
    if (data.length > MAX_SEND_BYTES) return refuse('TOO_LARGE', `messages are limited to ${MAX_SEND_BYTES} bytes`);
    const known = this.#liveCheck(id);
    if (known) return known;
    return this.#deps.tunnels.send(id, to, data, text === undefined);
  }

  /** Close a live session on both sides with a close frame (code 1000 or 3000-4999). */
  close(id: number, req: unknown = {}): SendResult {
    if (!isObj(req)) return refuse('BAD_REQUEST', 'close expects {"code": 4000, "reason": "..."}');
    const { code = 1000, reason = '' } = req as CloseRequest;
    if (!Number.isInteger(code) || !(code === 1000 || (code >= 3000 && code <= 4999))) {
      return refuse('BAD_REQUEST', '"code" must be 1000 or an application code from 3000 to 4999');
    }
    if (typeof reason !== 'string') return refuse('BAD_REQUEST', '"reason" must be a string');
    if (Buffer.byteLength(reason) > 123)
      return refuse('BAD_REQUEST', '"reason" is limited to 123 bytes of UTF-8 (a close frame carries at most 125)');
    const known = this.#liveCheck(id);
    if (known) return known;
    return this.#deps.tunnels.close(id, code, reason);
  }

  /** HAR of the whole log, or of one session (null when the log has no such session). */
  exportHar(opts: { session?: number } = {}): Har | null {
    return buildHar(this.log, { ...opts, version: this.#appVersion(), protocols: this.protocols });
  }

  /** The same HAR as text pieces, for streaming to a file or a socket. */
  exportHarChunks(opts: { session?: number } = {}): Iterable<string> | null {
    return harChunks(this.log, { ...opts, version: this.#appVersion(), protocols: this.protocols });
  }

  /** JSON Lines of frames; null when the session is not in the log. */
  framesJsonl(session?: number): Iterable<string> | null {
    if (session !== undefined && !this.log.getSession(session)) return null;
    return framesJsonl(this.log, session);
  }

  /**
   * Add a HAR to the log: a parsed document, or its text (read in slices, the proxy answering meanwhile).
   * A byte stream (the control API's request body) goes to importHarStream.
   */
  importHar(json: unknown): ImportResult | Promise<ImportResult> {
    return typeof json === 'string' ? importHarStream(this.log, json) : importHar(this.log, json);
  }

  /** Add a HAR read from a byte stream, entry by entry (see har/import-stream.ts). */
  importHarStream(body: AsyncIterable<Buffer>, declaredBytes?: number): Promise<ImportResult> {
    return importHarStream(this.log, body, { declaredBytes });
  }

  /**
   * Read nginx config text (pasted, or a file the UI opened) into Loopgate sites. Nothing is applied.
   * Includes are not read from disk: each one skipped is a warning at its line.
   */
  importNginx(req: unknown): NginxImportResult {
    if (!isObj(req) || typeof req.text !== 'string') {
      return refuse('BAD_REQUEST', 'importNginx expects {"text": "<nginx config>", "fileName": "site.conf"}');
    }
    if (req.fileName !== undefined && typeof req.fileName !== 'string')
      return refuse('BAD_REQUEST', '"fileName" must be a string');
    const file = uiFileName(req.fileName);
    try {
      const result = importNginx(req.text, {
        file,
        readFile: () => {
          throw new Error(INCLUDE_NOT_READ);
        },
      });
      return { ok: true, sites: result.sites, warnings: result.warnings.map(explainInclude) };
    } catch (err) {
      if (err instanceof NginxSyntaxError) {
        return { ok: false, code: 'NGINX_SYNTAX', message: err.message, line: err.line, column: err.column };
      }
      return refuse(
        'IMPORT_FAILED',
        `the nginx config could not be imported: ${(err as Error)?.message ?? String(err)}`,
      );
    }
  }

  /** The running config (its active routes) as an nginx server{} block; a relative root is made absolute. */
  exportNginx(opts: unknown = {}): NginxExportResult | Refusal {
    if (!isObj(opts)) return refuse('BAD_REQUEST', 'the options must be an object');
    const name = opts.serverName;
    if (name !== undefined && (typeof name !== 'string' || (name.trim() !== '' && !SERVER_NAMES.test(name.trim())))) {
      return refuse(
        'BAD_REQUEST',
        '"serverName" takes host names separated by spaces (letters, digits, ".", "-", "*", "_", ":")',
      );
    }
    const input = this.#deps.config.get();
    const configFile = (this.#deps.status() as Partial<StatusInfo>).configFile;
    const root = input.root;
    const config =
      typeof root === 'string' && root !== '' && !isAbsolute(root) && configFile
        ? { ...input, root: resolve(dirname(configFile), root) }
        : input;
    const serverName = typeof name === 'string' && name.trim() !== '' ? name.trim() : undefined;
    // loopgate.json as written: plain numbers are seconds and bytes, never milliseconds.
    return exportNginx(config, { serverName, units: 'input' });
  }

  listBreakpoints(): Breakpoint[] | Refusal {
    return this.#deps.breakpoints?.list() ?? noBreakpoints();
  }

  addBreakpoint(input: unknown): Breakpoint | Refusal {
    return this.#deps.breakpoints?.add(input) ?? noBreakpoints();
  }

  deleteBreakpoint(id: number): { ok: true } | Refusal {
    const b = this.#deps.breakpoints;
    if (!b) return noBreakpoints();
    return b.remove(id) ? { ok: true } : refuse('NOT_FOUND', `no breakpoint ${id}`);
  }

  listPaused(): Paused[] | Refusal {
    return this.#deps.breakpoints?.paused() ?? noBreakpoints();
  }

  continuePaused(id: number, edits: unknown = {}): { ok: true; resolution: Resolution } | Refusal {
    return this.#deps.breakpoints?.resolve(id, 'continue', edits) ?? noBreakpoints();
  }

  respondPaused(id: number, answer: unknown = {}): { ok: true; resolution: Resolution } | Refusal {
    return this.#deps.breakpoints?.resolve(id, 'respond', answer) ?? noBreakpoints();
  }

  dropPaused(id: number): { ok: true; resolution: Resolution } | Refusal {
    return this.#deps.breakpoints?.resolve(id, 'drop', {}) ?? noBreakpoints();
  }

  /** Send a logged request again (optionally edited) through the engine's listener; its record says resentFrom. */
  async resendRequest(id: number, edits: unknown = {}): Promise<ResendResult> {
    if (!this.#deps.resend)
      return refuse('NOT_SUPPORTED', 'this Loopgate cannot resend (no engine behind the controller)');
    const r = this.log.get(id);
    if (!r) return refuse('NOT_FOUND', `no request ${id} in the log`);
    if (r.kind !== 'http') return refuse('BAD_REQUEST', `record ${id} is a WebSocket session, not an HTTP request`);
    if (!r.done) return refuse('NOT_FINISHED', `request ${id} is still in progress: resend it once it has finished`);
    return resend(this.#deps.resend, r, edits);
  }

  clear(): void {
    this.log.clear();
    this.protocols.clear();
  }

  subscribe(onEvents: (batch: StreamEvent[]) => void): () => void {
    return this.log.subscribe(onEvents);
  }

  /** Refuse early for sessions the log shows as finished: a clearer answer than the tunnel's. */
  #liveCheck(id: number): Refusal | null {
    if (!Number.isSafeInteger(id) || id <= 0) return refuse('BAD_REQUEST', 'the session id must be a positive integer');
    const r = this.log.get(id);
    if (r && r.kind !== 'ws') return refuse('NO_SESSION', `record ${id} is an HTTP request, not a WebSocket session`);
    if (r && (r.state === 'closed' || r.state === 'failed'))
      return refuse('NOT_OPEN', `WebSocket session ${id} is ${r.state}`);
    return null;
  }

  #appVersion(): string | undefined {
    const s = this.#deps.status() as Partial<StatusInfo>;
    return typeof s.appVersion === 'string' ? s.appVersion : undefined;
  }

  /** After a write of ours: the event, unless the config access announces every change itself. */
  #wrote(): void {
    if (!this.#deps.config.onChange) this.#announceConfig();
  }

  #announceConfig(): void {
    const s = this.#deps.status() as Partial<StatusInfo>;
    if (typeof s.version === 'number') this.log.publish({ type: 'config', version: s.version });
  }
}

function noBreakpoints(): Refusal {
  return refuse('NOT_SUPPORTED', 'this Loopgate has no breakpoints (no engine behind the controller)');
}

function notSupported(message: string): ConfigWriteResult {
  return { ok: false, code: 'NOT_SUPPORTED', errors: [{ path: '(config)', message }] };
}

/** {version?, overwrite?} from an untrusted caller, or a refusal naming the bad field. */
function writeOptions(v: unknown): ConfigWriteOptions | Extract<ConfigWriteResult, { ok: false }> {
  const bad = (message: string) => ({
    ok: false as const,
    code: 'INVALID_CONFIG' as const,
    errors: [{ path: '(request)', message }],
  });
  if (v === undefined || v === null) return {};
  if (!isObj(v)) return bad('the write options must be an object: {"version": 3, "overwrite": false}');
  const out: ConfigWriteOptions = {};
  if (v.version !== undefined && v.version !== null) {
    if (!Number.isSafeInteger(v.version) || (v.version as number) < 0)
      return bad('"version" must be the config version you read (a whole number)');
    out.version = v.version as number;
  }
  if (v.overwrite !== undefined) {
    if (typeof v.overwrite !== 'boolean') return bad('"overwrite" must be true or false');
    out.overwrite = v.overwrite;
  }
  return out;
}

/** Thrown by the importer's readFile so that skipped includes can be told apart from unreadable ones. */
const INCLUDE_NOT_READ = 'loopgate: not read from disk';
const SERVER_NAMES = /^[A-Za-z0-9.*_:-]+( +[A-Za-z0-9.*_:-]+)*$/;

/** The name an imported text is shown under: a base name without control characters. */
function uiFileName(name: string | undefined): string {
  const base = (name ?? '')
    .split(/[\\/]/)
    .pop()!
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, 200);
  return base || 'pasted.conf';
}

function explainInclude(w: NginxImportWarning): NginxImportWarning {
  if (w.directive !== 'include' || !w.message.includes(INCLUDE_NOT_READ)) return w;
  const what = /^include "(.*)" could not be read/.exec(w.message)?.[1];
  return {
    ...w,
    message: `include${what ? ` "${what}"` : ''} skipped: files are not read from disk when a config is imported in the UI; paste the included file's directives in its place`,
  };
}

/** Check a list query from an untrusted caller (IPC, or HTTP query strings already split). */
export function normalizeListQuery(input: unknown): ListQuery | Refusal {
  if (!isObj(input)) return refuse('BAD_REQUEST', 'the query must be an object');
  const q = input as Record<string, unknown>;
  const out: ListQuery = {};
  if (q.kind !== undefined) {
    if (q.kind !== 'http' && q.kind !== 'ws' && q.kind !== 'all')
      return refuse('BAD_REQUEST', '"kind" must be http, ws or all');
    out.kind = q.kind;
  }
  if (q.wsOnly !== undefined) out.wsOnly = q.wsOnly === true || q.wsOnly === 'true' || q.wsOnly === '1';
  if (q.route !== undefined) {
    if (typeof q.route !== 'string') return refuse('BAD_REQUEST', '"route" must be a string');
    out.route = q.route;
  }
  if (q.handler !== undefined) {
    if (!HANDLERS.includes(q.handler as Handler))
      return refuse('BAD_REQUEST', `"handler" must be one of ${HANDLERS.join(', ')}`);
    out.handler = q.handler as Handler;
  }
  if (q.status !== undefined) {
    const list = Array.isArray(q.status)
      ? q.status
      : typeof q.status === 'string'
        ? q.status.split(',').filter(Boolean)
        : null;
    if (!list?.every((s) => STATUS_CLASSES.includes(s as StatusClass))) {
      return refuse('BAD_REQUEST', `"status" must list classes among ${STATUS_CLASSES.join(', ')}`);
    }
    out.status = list as StatusClass[];
  }
  if (q.text !== undefined) {
    if (typeof q.text !== 'string') return refuse('BAD_REQUEST', '"text" must be a string');
    out.text = q.text;
  }
  for (const key of ['after', 'before', 'limit'] as const) {
    const v = optionalInt(q[key], key, key === 'limit' ? 1 : 0);
    if (typeof v === 'object') return v;
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function optionalInt(v: unknown, name: string, min: number): number | undefined | Refusal {
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min)
    return refuse('BAD_REQUEST', `"${name}" must be an integer ≥ ${min}`);
  return n;
}

/** The `protocol` of the route a session was recorded under (by its label: name, else match), in the running config. */
function routeProtocol(config: ConfigInput, label: string | undefined): ProtocolSetting | undefined {
  if (label === undefined) return undefined;
  const active = config.activeProfile ? config.profiles?.[config.activeProfile]?.routes : undefined;
  const route = (active ?? config.routes ?? []).find((r) => (r.name ?? r.match) === label);
  return route?.protocol;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
