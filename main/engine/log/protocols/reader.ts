// Protocol reading at read time: per session, detection and pairing run once over its frames (cached) and pages get `decoded`, `replyTo`, `latencyMs`.
import type {
  FramesPage,
  FramesQuery,
  HttpView,
  ProtocolStats,
  RecordView,
  SessionView,
} from '../../../../shared/api.ts';
import type { AppProtocol, DecodedMessage, FrameRecord } from '../../../../shared/events.ts';
import { APP_PROTOCOLS } from '../../../../shared/events.ts';
import { decodeBinaryFrame } from './binary.ts';
import { DETECT_FRAMES, fromFrame, fromHandshake, type ProtocolSetting } from './detect.ts';
import { decodeGraphqlWs } from './graphql-ws.ts';
import { decodeJsonRpc } from './json-rpc.ts';
import { Pairer } from './pair.ts';
import { bytesOf } from './payload.ts';
import { decodeSignalr } from './signalr.ts';
import { decodePollingBody, decodeSocketIo, fillPlaceholders, pollingRevision } from './socketio.ts';
import { decodeStomp } from './stomp.ts';
import type { DecodeContext, Decoded, FrameLike } from './types.ts';

/** The part of the session log the reader needs. */
export interface FrameSource {
  get(id: number): RecordView | undefined;
  frames(id: number, query: FramesQuery): FramesPage | null;
}

export interface ReaderOptions {
  /** The route's `protocol` setting for a session (undefined: auto). */
  setting?(session: SessionView): ProtocolSetting | undefined;
  /** Sessions whose reading is kept (least recently read dropped first). */
  maxSessions?: number;
}

/** Per frame, what only the pass over the whole session knows. */
interface Note {
  replyTo?: number;
  latencyMs?: number;
  /** Its request's name, for a reply that carries none (an ack, a next). */
  name?: string;
  attachments?: number[];
  attachmentOf?: number;
}

interface State {
  setting: ProtocolSetting;
  protocol: AppProtocol | null;
  /** Decided by the setting or the handshake: frames do not change it. */
  fixed: boolean;
  ctx: DecodeContext;
  /** Last seq taken into pairing. */
  upTo: number;
  looked: number;
  pairer: Pairer;
  notes: Map<number, Note>;
  /** A Socket.IO binary packet whose attachments are still coming. */
  waiting: { seq: number; side: 'send' | 'receive'; count: number; got: number[]; row: string } | null;
}

const PAGE = 10_000;

/** Decodings the pass made during one read, by seq, with the protocol they were made in. */
type Fresh = Map<number, { d: Decoded | undefined; protocol: AppProtocol | null }>;

/** Decode one frame in a protocol (pure: the frame and what the handshake said). */
export function decodeFrame(protocol: AppProtocol | null, f: FrameLike, ctx: DecodeContext = {}): Decoded | undefined {
  if (f.opcode !== 1 && f.opcode !== 2) return undefined;
  let d: Decoded | undefined;
  switch (protocol) {
    case 'socket.io':
      d = decodeSocketIo(f, ctx);
      break;
    case 'graphql-transport-ws':
    case 'graphql-ws':
      d = decodeGraphqlWs(f, protocol);
      break;
    case 'stomp':
      d = decodeStomp(f);
      break;
    case 'signalr':
      d = decodeSignalr(f);
      break;
    case 'json-rpc':
      d = decodeJsonRpc(f);
      break;
    case 'msgpack':
    case 'cbor':
      return decodeBinaryFrame(f, protocol);
  }
  return d ?? decodeBinaryFrame(f);
}

export class ProtocolReader {
  readonly #log: FrameSource;
  readonly #opts: ReaderOptions;
  readonly #states = new Map<number, State>();
  readonly #http = new WeakMap<object, HttpView>();

  constructor(log: FrameSource, opts: ReaderOptions = {}) {
    this.#log = log;
    this.#opts = opts;
  }

  /** A page with each frame's decoding and pairing (copies: the log's frames are never changed). */
  page(id: number, page: FramesPage): FramesPage {
    if (page.frames.length === 0) return page;
    return { ...page, frames: this.frames(id, page.frames) };
  }

  /** Frames of one session in seq order, decoded and paired (the export's path). */
  frames(id: number, frames: readonly FrameRecord[]): FrameRecord[] {
    if (frames.length === 0) return [];
    // What the pass decodes of these frames is kept for this call: each frame is decoded once.
    const fresh: Fresh = new Map();
    // The pass reads the log up to these frames, then takes these very frames (no second read of them).
    const s = this.#state(id, frames[0]!.seq - 1);
    if (!s) return [...frames];
    for (const f of frames) {
      if (f.seq <= s.upTo) continue;
      fresh.set(f.seq, { d: this.#take(s, f), protocol: s.protocol });
    }
    const bySeq = new Map<number, FrameRecord>();
    for (const f of frames) bySeq.set(f.seq, f);
    return frames.map((f) => this.#decorate(id, s, f, bySeq, fresh));
  }

  /** The session with its protocol, once known (from the handshake or the setting without reading frames). */
  session<T extends SessionView>(view: T): T {
    const s = this.#states.get(view.id);
    const known = s ? s.protocol : this.#initial(view).protocol;
    return known ? { ...view, protocol: known } : view;
  }

  /** An Engine.IO long-polling request with its bodies' packets; other requests as they are. */
  http<T extends HttpView>(view: T): T {
    const eio = pollingRevision(view.url);
    if (eio === undefined || (view.requestBody === undefined && view.responseBody === undefined)) return view;
    const cached = this.#http.get(view);
    if (cached) return cached as T;
    const body = (b64: string | undefined, fromClient: boolean) => {
      if (!b64) return [];
      const buf = Buffer.from(b64, 'base64');
      // v3's binary (XHR2) payloads start with a 0/1 byte: not read here.
      if (buf.length > 0 && buf[0]! < 2)
        return [{ protocol: 'socket.io', type: 'payload', error: 'a binary long-polling payload (not read)' }];
      return decodePollingBody(buf.toString('utf8'), eio, fromClient);
    };
    const out = {
      ...view,
      protocol: 'socket.io' as const,
      // Packets go up in POST bodies (answered "ok") and come down in GET answers.
      decoded: {
        send: view.method === 'POST' ? body(view.requestBody, true) : [],
        receive: view.method === 'GET' ? body(view.responseBody, false) : [],
      },
    };
    this.#http.set(view, out);
    return out;
  }

  /** Any record: a session gets its protocol, a polling request its packets. */
  record(r: RecordView): RecordView {
    return r.kind === 'ws' ? this.session(r) : this.http(r);
  }

  /** The session's table of names; null for an unknown session. */
  stats(id: number): ProtocolStats | null {
    const d = this.#log.get(id);
    if (d?.kind !== 'ws') return null;
    const s = this.#state(id, Number.MAX_SAFE_INTEGER)!;
    return {
      session: id,
      protocol: s.protocol,
      rows: s.pairer.rows(),
      heartbeats: s.pairer.heartbeats,
      pending: s.pairer.pending,
      frames: s.looked,
    };
  }

  /** Forget every session's reading (the log was cleared). */
  clear(): void {
    this.#states.clear();
  }

  #initial(view: SessionView): {
    setting: ProtocolSetting;
    protocol: AppProtocol | null;
    fixed: boolean;
    ctx: DecodeContext;
  } {
    const setting = this.#opts.setting?.(view) ?? 'auto';
    const hs = fromHandshake(view);
    const ctx: DecodeContext = { eio: hs.eio ?? 4 };
    if (setting === 'none') return { setting, protocol: null, fixed: true, ctx };
    if (setting !== 'auto' && (APP_PROTOCOLS as readonly string[]).includes(setting)) {
      return { setting, protocol: setting, fixed: true, ctx };
    }
    return { setting, protocol: hs.protocol ?? null, fixed: hs.protocol !== undefined, ctx };
  }

  /** The session's reading brought up to `seq` (pairing needs every earlier frame). */
  #state(id: number, seq: number): State | undefined {
    const view = this.#log.get(id);
    if (view?.kind !== 'ws') {
      this.#states.delete(id);
      return undefined;
    }
    let s = this.#states.get(id);
    const setting = this.#opts.setting?.(view) ?? 'auto';
    if (!s || s.setting !== setting) {
      s = { ...this.#initial(view), upTo: 0, looked: 0, pairer: new Pairer(), notes: new Map(), waiting: null };
    }
    // Most recently read last: the first ones go when there are too many.
    this.#states.delete(id);
    this.#states.set(id, s);
    const max = this.#opts.maxSessions ?? 16;
    while (this.#states.size > max) this.#states.delete(this.#states.keys().next().value!);
    while (s.upTo < seq) {
      const page = this.#log.frames(id, { after: s.upTo, limit: PAGE });
      if (!page || page.frames.length === 0) break;
      let past = false;
      for (const f of page.frames) {
        if (f.seq > seq) {
          past = true;
          break;
        }
        this.#take(s, f);
      }
      if (past || !page.more) break;
    }
    return s;
  }

  /** One frame into detection, attachments and pairing; its decoding (attachments aside). */
  #take(s: State, f: FrameRecord): Decoded | undefined {
    s.upTo = f.seq;
    if (f.opcode !== 1 && f.opcode !== 2) return undefined;
    s.looked++;
    if (!s.fixed && s.looked <= DETECT_FRAMES) {
      const found = fromFrame(f);
      if (
        found &&
        (s.protocol === null || (s.protocol === 'graphql-transport-ws' && found.protocol === 'graphql-ws'))
      ) {
        s.protocol = found.protocol;
        if (found.eio) s.ctx = { ...s.ctx, eio: found.eio };
        if (found.protocol !== 'graphql-transport-ws') s.fixed = true;
      }
    }
    const w = s.waiting;
    if (w && f.opcode === 2 && f.type === w.side) {
      w.got.push(f.seq);
      s.notes.set(f.seq, { attachmentOf: w.seq });
      s.pairer.note(f, { message: { protocol: 'socket.io', type: 'attachment' } }, w.row);
      if (w.got.length >= w.count) {
        const n = s.notes.get(w.seq) ?? {};
        n.attachments = w.got;
        s.notes.set(w.seq, n);
        s.waiting = null;
      }
      return undefined;
    }
    const d = decodeFrame(s.protocol, f, s.ctx);
    const note = s.pairer.note(f, d);
    if (
      note.replyTo !== undefined ||
      (note.row !== undefined && d && d.message.name === undefined && note.row !== d.message.type)
    ) {
      const n: Note = {};
      if (note.replyTo !== undefined) {
        n.replyTo = note.replyTo;
        n.latencyMs = note.latencyMs;
      }
      if (d && d.message.name === undefined && note.row !== undefined && note.row !== d.message.type) n.name = note.row;
      s.notes.set(f.seq, n);
    }
    if (d?.attachments)
      s.waiting = { seq: f.seq, side: f.type, count: d.attachments, got: [], row: note.row ?? d.message.type };
    return d;
  }

  #decorate(id: number, s: State, f: FrameRecord, bySeq: Map<number, FrameRecord>, fresh: Fresh): FrameRecord {
    const note = s.notes.get(f.seq);
    let decoded: DecodedMessage | undefined;
    if (note?.attachmentOf !== undefined) {
      decoded = { protocol: 'socket.io', type: 'attachment', attachmentOf: note.attachmentOf };
    } else {
      // Frames the pass read before detection settled are decoded again in the session's protocol.
      const kept = fresh.get(f.seq);
      decoded = (kept && kept.protocol === s.protocol ? kept.d : decodeFrame(s.protocol, f, s.ctx))?.message;
    }
    if (!decoded && !note) return f;
    const out = copyFrame(f);
    if (decoded) {
      if (note?.name !== undefined && decoded.name === undefined) decoded.name = note.name;
      if (note?.attachments) {
        decoded.attachments = note.attachments;
        const parts = note.attachments.map((seq) => this.#frameAt(id, seq, bySeq));
        if (parts.every((p) => p !== undefined))
          decoded.payload = fillPlaceholders(
            decoded.payload,
            parts.map((p) => bytesOf(p!)),
          );
      }
      out.decoded = decoded;
    }
    if (note?.replyTo !== undefined) {
      out.replyTo = note.replyTo;
      out.latencyMs = note.latencyMs;
    }
    return out;
  }

  #frameAt(id: number, seq: number, bySeq: Map<number, FrameRecord>): FrameRecord | undefined {
    const f = bySeq.get(seq);
    if (f) return f;
    const page = this.#log.frames(id, { after: seq - 1, limit: 1 });
    const g = page?.frames[0];
    return g?.seq === seq ? g : undefined;
  }
}

/** Fields copyFrame copies: every field of FrameRecord (the check below fails the build when one is added). */
type Copied =
  | 'session'
  | 'seq'
  | 'type'
  | 'time'
  | 'opcode'
  | 'data'
  | 'encoding'
  | 'length'
  | 'wireLength'
  | 'fragments'
  | 'compressed'
  | 'inflateCapped'
  | 'truncated'
  | 'injected'
  | 'closeCode'
  | 'closeReason'
  | 'problems'
  | 'decoded'
  | 'replyTo'
  | 'latencyMs';
const EVERY_FIELD_COPIED: [Exclude<keyof FrameRecord, Copied>] extends [never] ? true : false = true;
void EVERY_FIELD_COPIED;

/**
 * A frame's copy, field by field: the log's records are often in V8's slow (dictionary) mode, where
 * `{...f}` costs ~10 µs a frame; this costs next to nothing.
 */
function copyFrame(f: FrameRecord): FrameRecord {
  const out: FrameRecord = {
    session: f.session,
    seq: f.seq,
    type: f.type,
    time: f.time,
    opcode: f.opcode,
    data: f.data,
    encoding: f.encoding,
    length: f.length,
    wireLength: f.wireLength,
    fragments: f.fragments,
  };
  if (f.compressed !== undefined) out.compressed = f.compressed;
  if (f.inflateCapped !== undefined) out.inflateCapped = f.inflateCapped;
  if (f.truncated !== undefined) out.truncated = f.truncated;
  if (f.injected !== undefined) out.injected = f.injected;
  if (f.closeCode !== undefined) out.closeCode = f.closeCode;
  if (f.closeReason !== undefined) out.closeReason = f.closeReason;
  if (f.problems !== undefined) out.problems = f.problems;
  return out;
}
