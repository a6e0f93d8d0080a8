// Which protocol a session speaks: the route's `protocol`, the negotiated subprotocol, the handshake URL, then its first frames.
import type { AppProtocol } from '../../../../shared/events.ts';
import { isJsonRpc } from './json-rpc.ts';
import { parseJson, isObject, textOf } from './payload.ts';
import { isSignalrHandshake } from './signalr.ts';
import { looksLikeStomp } from './stomp.ts';
import { readBinary } from './binary.ts';
import type { FrameLike } from './types.ts';
import { bytesOf } from './payload.ts';

/** A route's `protocol` setting: read frames as this protocol, as none, or detect ("auto", the default). */
export type ProtocolSetting = AppProtocol | 'none' | 'auto';

/** Frames looked at before detection gives up on a session. */
export const DETECT_FRAMES = 32;

export interface Handshake {
  url: string;
  subprotocol?: string;
}

/** What the upgrade says: the subprotocol the backend chose, or a /socket.io/ or ?EIO= URL. */
export function fromHandshake(h: Handshake): { protocol?: AppProtocol; eio?: 3 | 4 } {
  const eio = eioOf(h.url);
  const sub = h.subprotocol?.trim().toLowerCase();
  if (sub) {
    if (sub === 'graphql-transport-ws') return { protocol: 'graphql-transport-ws' };
    if (sub === 'graphql-ws') return { protocol: 'graphql-ws' };
    if (/^(v1[0-2]\.)?stomp$/.test(sub)) return { protocol: 'stomp' };
    if (/^json-?rpc(-?2(\.0)?)?$/.test(sub)) return { protocol: 'json-rpc' };
    if (sub === 'msgpack' || sub.endsWith('.msgpack')) return { protocol: 'msgpack' };
    if (sub === 'cbor' || sub.endsWith('.cbor')) return { protocol: 'cbor' };
  }
  const path = h.url.split('?')[0]!;
  if (eio !== undefined || /\/socket\.io\/?$/.test(path)) return { protocol: 'socket.io', eio: eio ?? 4 };
  return {};
}

function eioOf(url: string): 3 | 4 | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const v = new URLSearchParams(url.slice(q + 1)).get('EIO');
  return v === '3' ? 3 : v === '4' ? 4 : undefined;
}

/** What one of the first frames clearly says, or undefined. */
export function fromFrame(f: FrameLike): { protocol: AppProtocol; eio?: 3 | 4 } | undefined {
  if (f.opcode === 2) {
    const r = readBinary(bytesOf(f));
    return r && r.format !== 'json' ? { protocol: r.format } : undefined;
  }
  if (f.opcode !== 1) return undefined;
  const text = textOf(f);
  if (text === '2probe' || text === '3probe') return { protocol: 'socket.io' };
  if (text[0] === '0' && text[1] === '{') {
    const open = parseJson(text.slice(1));
    if (open && isObject(open.value) && typeof open.value.sid === 'string' && 'pingInterval' in open.value) {
      return { protocol: 'socket.io', eio: 'maxPayload' in open.value ? 4 : 3 };
    }
  }
  if (/^4[0-6]/.test(text) && (text.length === 2 || /^4[0-6](\d+-)?(\/[^,]*,)?\d*[[{"]/.test(text))) {
    return { protocol: 'socket.io' };
  }
  if (looksLikeStomp(text)) return { protocol: 'stomp' };
  if (isSignalrHandshake(text)) return { protocol: 'signalr' };
  const json = parseJson(text);
  if (!json) return undefined;
  if (isJsonRpc(json.value)) return { protocol: 'json-rpc' };
  if (isObject(json.value) && typeof json.value.type === 'string') {
    const t = json.value.type;
    if (['subscribe', 'next', 'ping', 'pong'].includes(t) && ('id' in json.value || t === 'ping' || t === 'pong')) {
      // Ping/pong alone are too common a shape: only with an init seen, or an operation id.
      if (t === 'ping' || t === 'pong') return undefined;
      return { protocol: 'graphql-transport-ws' };
    }
    if (['start', 'data', 'ka', 'connection_keep_alive', 'connection_terminate'].includes(t))
      return { protocol: 'graphql-ws' };
    if (t === 'connection_init' || t === 'connection_ack') return { protocol: 'graphql-transport-ws' };
  }
  return undefined;
}
