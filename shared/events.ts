// Shapes of what the session log records and streams: HTTP exchanges, WebSocket sessions, frames.
import type { Paused, Resolution } from './breakpoints.ts';

/** Which side an error or a close came from. */
export type Side = 'client' | 'loopgate' | 'backend';

export interface ErrorInfo {
  /** Stable code: ECONNREFUSED, ECONNRESET, CONNECT_TIMEOUT, READ_TIMEOUT, SEND_TIMEOUT, CLIENT_BODY_TIMEOUT, CLIENT_SEND_TIMEOUT, BODY_TOO_LARGE, ... */
  code: string;
  message: string;
  side: Side;
}

export type Headers = Record<string, string | string[]>;

/**
 * An imported HAR entry's own figures (sizes, times, HTTP version), kept so that exporting it again
 * gives them back as they were; only entries from other tools (Loopgate's own exports round-trip).
 */
export interface HarFigures {
  time?: number;
  timings?: Record<string, number>;
  requestHttpVersion?: string;
  responseHttpVersion?: string;
  requestHeadersSize?: number;
  requestBodySize?: number;
  responseHeadersSize?: number;
  responseBodySize?: number;
  contentSize?: number;
  transferSize?: number;
}

/** How a stand-in for the backend marked an answer (log and HAR `_loopgate.standIn`). */
export type StandIn = 'mocked' | 'delayed' | 'failed by rule';

/** How a request was handled. */
export type Handler = 'proxy' | 'static' | 'preflight' | 'refused' | 'not-found';

export interface HttpRecord {
  kind: 'http';
  id: number;
  /** Epoch ms when the request arrived. */
  startedAt: number;
  method: string;
  /** The path and query as the client sent them. */
  url: string;
  host: string;
  /** The client's connection was TLS (https:): only imported HARs say so; Loopgate's listener is plain HTTP. */
  secure?: boolean;
  clientAddress: string;
  handler: Handler;
  /** The route's match string (or name), when a route took it. */
  route?: string;
  routeIndex?: number;
  /** Full upstream URL after the path rewrite. */
  target?: string;
  status?: number;
  /** ms from startedAt: response headers received / response complete. */
  timings: { headers?: number; end?: number };
  bytesIn: number;
  bytesOut: number;
  requestHeaders: Headers;
  /**
   * The headers as sent to the backend (after Host, X-Real-IP, X-Forwarded-*, Origin and the route's
   * header rules), names as sent; proxied requests only.
   */
  upstreamHeaders?: Headers;
  responseHeaders?: Headers;
  /** First bytes of each body, base64 (inspect.bodyBytes): the backend's, or Loopgate's own answer. */
  requestBody?: string;
  responseBody?: string;
  requestBodyTruncated?: boolean;
  responseBodyTruncated?: boolean;
  error?: ErrorInfo;
  /** A breakpoint held this request (its id); `intervened` says how the user changed its course (issue #17). */
  breakpoint?: number;
  intervened?: 'edited' | 'answered' | 'dropped';
  /** This request is a resend (POST /api/requests/:id/resend) of the logged request with this id (issue #17). */
  resentFrom?: number;
  /**
   * The backend lost the connection under the request before answering (most often a keep-alive
   * connection it had just closed) and Loopgate sent the request again, once, on a fresh connection.
   */
  retried?: boolean;
  /**
   * The answer was not the backend's plain answer: "mocked" (the route's respond, backend not
   * called), "failed by rule" (conditions.failRate), "delayed" (conditions.latency/jitter held it).
   */
  standIn?: StandIn;
  /** An imported entry's own HAR figures. */
  har?: HarFigures;
  /** true once the exchange is finished (completed, failed or aborted). */
  done: boolean;
}

export type SessionState = 'connecting' | 'open' | 'closed' | 'failed';

export interface WsSessionRecord {
  kind: 'ws';
  id: number;
  startedAt: number;
  url: string;
  host: string;
  /** The client's connection was TLS (wss:): only imported HARs say so. */
  secure?: boolean;
  clientAddress: string;
  route?: string;
  routeIndex?: number;
  target?: string;
  state: SessionState;
  requestHeaders: Headers;
  /** The upgrade request's headers as sent to the backend (names as sent). */
  upstreamHeaders?: Headers;
  /** The backend's handshake answer (101, or the refusal relayed as HTTP). */
  status?: number;
  responseHeaders?: Headers;
  /** Excerpt of a non-101 answer's body as UTF-8 text, for "why did the upgrade fail". */
  responseBody?: string;
  subprotocol?: string;
  extensions?: string;
  openedAt?: number;
  closedAt?: number;
  closeCode?: number;
  closeReason?: string;
  /** Who ended the session: client, backend, or loopgate (idle timeout, user close, error). */
  closedBy?: Side;
  error?: ErrorInfo;
  /** An imported entry's own HAR figures. */
  har?: HarFigures;
  counts: {
    framesToBackend: number;
    framesToClient: number;
    bytesToBackend: number;
    bytesToClient: number;
  };
}

export type Opcode = 0 | 1 | 2 | 8 | 9 | 10;

export interface FrameRecord {
  /** Session id. */
  session: number;
  /** Sequence number within the session, from 1. */
  seq: number;
  /** HAR: "send" is client → backend, "receive" is backend → client. */
  type: 'send' | 'receive';
  /** HAR: epoch seconds, fractional. */
  time: number;
  /** HAR: opcode of the message (1 text, 2 binary, 8 close, 9 ping, 10 pong). */
  opcode: Opcode;
  /** HAR: text as is; binary as base64. Decoded (unmasked, inflated, assembled). */
  data: string;
  /** How `data` is encoded. */
  encoding: 'text' | 'base64';
  /** Payload length after decoding (exact even when data is truncated). */
  length: number;
  /** Bytes on the wire for this message (all its frames, headers included). */
  wireLength: number;
  /** Number of wire frames the message was assembled from. */
  fragments: number;
  compressed?: boolean;
  /** The inspector stopped inflating this message at `length` bytes (a decompression bomb guard): it is longer. */
  inflateCapped?: boolean;
  truncated?: boolean;
  injected?: boolean;
  /** For close frames. */
  closeCode?: number;
  closeReason?: string;
  /** Protocol problems seen on this frame (invalid UTF-8, bad opcode, ...). */
  problems?: string[];
  /** The message read in the session's application protocol (added when frames are read, never recorded). */
  decoded?: DecodedMessage;
  /** On a reply: the seq of the request frame it answers (Socket.IO ack, GraphQL next, JSON-RPC result, ...). */
  replyTo?: number;
  /** On a reply: ms from its request frame to it. */
  latencyMs?: number;
}

/** Application protocols Loopgate reads frames in (plus MessagePack and CBOR for bare binary payloads). */
export const APP_PROTOCOLS = [
  'socket.io',
  'graphql-transport-ws',
  'graphql-ws',
  'stomp',
  'signalr',
  'json-rpc',
  'msgpack',
  'cbor',
] as const;
export type AppProtocol = (typeof APP_PROTOCOLS)[number];

/**
 * One frame's message in its protocol: Socket.IO packet, GraphQL message, STOMP frame, SignalR or
 * JSON-RPC message, or a binary payload read as a JSON tree. Pure reading of the stored frame.
 */
export interface DecodedMessage {
  /** The protocol (or payload format: msgpack, cbor, json) it was read in. */
  protocol: string;
  /** Packet / message / command type: event, ack, ping, subscribe, next, SEND, MESSAGE, invocation, request, ... */
  type: string;
  /** Event name, GraphQL operation name, STOMP destination, SignalR target, JSON-RPC method. */
  name?: string;
  /** Ack id, operation id, subscription or receipt id, invocationId, JSON-RPC id. */
  id?: string;
  /** Socket.IO namespace. */
  namespace?: string;
  /** Arguments, variables, body, params or result, as JSON. */
  payload?: unknown;
  /** Keep-alive traffic (Engine.IO ping/pong, GraphQL ka/ping/pong, STOMP heart-beats, SignalR ping). */
  heartbeat?: boolean;
  /** How the payload was unwrapped before reading: gzip, deflate, base64, msgpack, cbor. */
  encoding?: string;
  /** Why the message could not be read (truncated, malformed): the rest is what could be. */
  error?: string;
  /** Further messages in the same frame (STOMP frames, SignalR records, a JSON-RPC batch). */
  more?: DecodedMessage[];
  /** Socket.IO: the seqs of the binary frames that carried this packet's attachments. */
  attachments?: number[];
  /** Socket.IO: the seq of the packet this binary frame is an attachment of. */
  attachmentOf?: number;
}

export type LogEvent =
  | { type: 'http'; record: HttpRecord }
  | { type: 'ws'; record: WsSessionRecord }
  | { type: 'frame'; frame: FrameRecord }
  | { type: 'cleared' }
  | { type: 'config'; version: number }
  /** A breakpoint holds something now / let it go (issue #17). */
  | { type: 'paused'; paused: Paused }
  | { type: 'resolved'; id: number; requestId: number; resolution: Resolution };
