// Leaf module of the engine: the compiled config snapshot and the recorder contract every part uses.
import type { CookieRewrite } from '../../shared/config.ts';
import type { FrameRecord, HttpRecord, WsSessionRecord } from '../../shared/events.ts';

export type MatchKind = 'exact' | 'prefix' | 'prefix-stop' | 'regex';

/** ms values (connect/send/read) and the CORS policy come from shared/effective.ts, the one place defaults live. */
export type { Timeouts, FullCors as CorsPolicy } from '../../shared/effective.ts';
import type { FullCors as CorsPolicy, Timeouts } from '../../shared/effective.ts';

export interface ForwardedHeaders {
  realIp: boolean;
  forwardedFor: boolean;
  forwardedProto: boolean;
  forwardedHost: boolean;
}

/** A route ready for the hot path: every default and override already merged. */
export interface CompiledRoute {
  /** Position in the config's routes array (config order matters for regexes). */
  index: number;
  /** What the log shows: the route's name, or its match string. */
  label: string;
  /** The match string as written ("^~ /static"). */
  match: string;
  kind: MatchKind;
  /** The location pattern without its modifier ("/static", or the regex source). */
  pattern: string;
  regex?: RegExp;
  /** Parsed target; ws: / wss: already mapped to http: / https:. */
  target: URL;
  /** The target's URI part (nginx proxy_pass with a URI), or null when it has none. */
  targetPath: string | null;
  ws: boolean;
  changeOrigin: boolean;
  /** Verify the backend's TLS certificate. */
  secure: boolean;
  rewriteOrigin: boolean;
  /** Request headers to set (lower-case name, value); value "" removes. */
  setHeaders: Array<[string, string]>;
  /** Lower-case request header names to drop. */
  removeHeaders: Set<string>;
  forwarded: ForwardedHeaders;
  /** Response headers added on every status. */
  addHeaders: Array<[string, string]>;
  rewriteRedirects: boolean;
  cookies: CookieRewrite | null;
  timeouts: Timeouts;
  /** bytes; 0 = unlimited. */
  maxBodySize: number;
  /** ms; 0 = no pings. */
  keepAlivePing: number;
  /** null when CORS is off for this route. */
  cors: CorsPolicy | null;
  /** nginx `rewrite ... break`: the first regex that matches the path gives the URI sent upstream. */
  rewrite?: Array<{ regex: RegExp; replacement: string }>;
  /** A mock answer (steps/respond.ts): present only when the route has `respond`. */
  respond?: CompiledRespond;
  /** Latency, jitter, failRate (steps/conditions.ts): present only when they change something. */
  conditions?: import('../../shared/effective.ts').FullConditions;
  /** nginx upstream round robin: this route once per server (the target's first), taken in turn. */
  servers?: { all: CompiledRoute[]; next: number };
}

/** A route's mock answer, ready to send: body bytes, or a file read per request (edits show at once). */
export interface CompiledRespond {
  status: number;
  /** Configured headers (names as written); content-type is added when they give none. */
  headers: Array<[string, string]>;
  /** The body (text, or JSON serialized), or null with `file`. */
  body: Buffer | null;
  /** content-type from the body's kind (text/plain or application/json) or the file's extension. */
  type: string;
  /** Absolute path of the file to send, or null. */
  file: string | null;
}

export type { Expires } from '../../shared/units.ts';
import type { Expires } from '../../shared/units.ts';

export interface StaticSite {
  /** Absolute, real path of the folder served. */
  root: string;
  index: string[];
  spa: boolean;
  autoindex: boolean;
  /** "" adds no charset (nginx charset off). */
  charset: string;
  /** Precompressed siblings looked for, best first allowed: nginx brotli_static / gzip_static. */
  codings: Array<'br' | 'gzip'>;
  /** nginx expires; null: Loopgate's own (index and SPA answers get no-cache). */
  expires: Expires | null;
  /** nginx gzip (on-the-fly compression of static files), or null when off. */
  gzip: { types: Set<string>; minLength: number; vary: boolean } | null;
  /** nginx try_files as written ($uri, $uri/, files, then a fallback URI or =code); wins over `spa`. */
  tryFiles?: string[];
  /** Extension → media type, over the built-in table (nginx types). */
  types: Record<string, string>;
  /** Response headers added to static answers too (nginx add_header at server level). */
  addHeaders: Array<[string, string]>;
  /** ms the client may take none of a file while bytes wait for it (nginx send_timeout); 0 = off. */
  sendTimeout: number;
}

export interface InspectOptions {
  bodyBytes: number;
  storeBytes: number;
  frameBytes: number;
  frames: boolean;
}

/** One immutable, validated view of the config. New work uses the newest; old work keeps its own. */
/** An nginx location that serves files: matched like a route, answered by the static site code. */
export interface FileLocationCompiled {
  match: string;
  kind: MatchKind;
  pattern: string;
  regex?: RegExp;
  /** The site settings for its answers (root or alias folder, try_files, expires, headers). */
  site: StaticSite;
  /** alias: the matched prefix is replaced by the folder (else the whole path is appended to root). */
  alias: boolean;
  /** alias without a trailing slash: its last name, put before the rest of the path ("/static"). */
  aliasName: string;
  return: { status: number; text?: string } | null;
}

export interface Snapshot {
  version: number;
  listen: { host: string; port: number };
  site: StaticSite | null;
  routes: CompiledRoute[];
  /** Locations that serve files (nginx root/alias locations), in config order. */
  files: FileLocationCompiled[];
  /** Server-level defaults (also used for requests no route takes). */
  maxBodySize: number;
  timeouts: Timeouts;
  cors: CorsPolicy | null;
  /** Lower-case host names (no port) accepted in Host; localhost names always are. */
  allowedHosts: Set<string>;
  inspect: InspectOptions;
}

/**
 * Where the engine reports. Records are passed by reference and updated in place; the engine calls
 * again on each change of state so the recorder can publish the new state.
 */
export interface Recorder {
  nextId(): number;
  http(record: HttpRecord): void;
  ws(record: WsSessionRecord): void;
  frame(frame: FrameRecord): void;
  /**
   * A small whole message as its fields and payload bytes instead of a FrameRecord (the session log
   * keeps the bytes and builds no record: see FrameQueue.pushBytes for which frames may come this
   * way). Optional: a recorder without it gets every frame through frame().
   */
  frameBytes?(frame: FrameBytes): void;
}

/**
 * One frame for Recorder.frameBytes: the same frame frame() would get, as its fields and the payload
 * bytes kept, src[start, end), which decode with `encoding` to its data. The object and `src` are
 * reused by the caller: valid only during the call.
 */
export interface FrameBytes {
  session: number;
  seq: number;
  /** Toward the client (FrameRecord.type "receive"). */
  receive: boolean;
  opcode: number;
  /** Epoch seconds. */
  time: number;
  length: number;
  wire: number;
  fragments: number;
  encoding: 'utf8' | 'base64';
  truncated: boolean;
  src: Buffer;
  start: number;
  end: number;
}

/** A recorder that keeps nothing (tests, benchmarks with inspection off). */
export const nullRecorder: Recorder = {
  nextId: (() => {
    let id = 0;
    return () => ++id;
  })(),
  http() {},
  ws() {},
  frame() {},
};

/** One HTTP request on its way through the engine, after routing. */
export interface Exchange {
  req: import('node:http').IncomingMessage;
  res: import('node:http').ServerResponse;
  snapshot: Snapshot;
  route: CompiledRoute;
  record: HttpRecord;
  recorder: Recorder;
  /** Path and query sent upstream, after nginx's proxy_pass rewrite. */
  upstreamPath: string;
}

/** One WebSocket upgrade on its way through the engine, after routing and the origin check. */
export interface UpgradeExchange {
  req: import('node:http').IncomingMessage;
  socket: import('node:stream').Duplex;
  head: Buffer;
  snapshot: Snapshot;
  route: CompiledRoute;
  record: WsSessionRecord;
  recorder: Recorder;
  upstreamPath: string;
}
