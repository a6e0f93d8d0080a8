// Socket.IO over Engine.IO (protocol revisions 3 and 4): WebSocket frames and long-polling bodies read as packets; envelopes written.
import type { DecodedMessage } from '../../../../shared/events.ts';
import { binaryNode, bytesOf, isObject, parseJson, textOf } from './payload.ts';
import type { DecodeContext, Decoded, FrameLike } from './types.ts';

const PROTOCOL = 'socket.io';
/** Engine.IO packet types, by their digit. */
const EIO_TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'] as const;
/** Socket.IO packet types, by their digit (4 was ERROR before v3; it reads the same). */
const SIO_TYPES = ['connect', 'disconnect', 'event', 'ack', 'connect_error', 'binary_event', 'binary_ack'] as const;

/** One WebSocket frame of an Engine.IO session. */
export function decodeSocketIo(frame: FrameLike, ctx: DecodeContext): Decoded | undefined {
  if (frame.opcode === 2) {
    const bytes = bytesOf(frame);
    // v3 prefixes binary frames with the packet type (4: message); v4 sends the bytes alone.
    const data = ctx.eio === 3 && bytes.length > 0 && bytes[0] === 4 ? bytes.subarray(1) : bytes;
    return { message: { protocol: PROTOCOL, type: 'binary', payload: binaryNode(data) } };
  }
  if (frame.opcode !== 1) return undefined;
  return decodeEngineIoPacket(textOf(frame), frame.type === 'send');
}

/** An Engine.IO packet as text ("4" + a Socket.IO packet, "2" ping, "0{...}" open, ...). */
export function decodeEngineIoPacket(text: string, fromClient: boolean): Decoded {
  const t = text.charCodeAt(0) - 48;
  const type = EIO_TYPES[t];
  if (type === undefined) return { message: { protocol: PROTOCOL, type: 'unknown', error: 'not an Engine.IO packet' } };
  const rest = text.slice(1);
  if (type === 'message') return decodeSocketIoPacket(rest, fromClient);
  const message: DecodedMessage = { protocol: PROTOCOL, type };
  if (type === 'ping' || type === 'pong') {
    message.heartbeat = true;
    if (rest !== '') message.payload = rest; // "probe" during the upgrade
    const key = rest === 'probe' ? 'probe' : 'ping';
    return { message, pair: type === 'ping' ? { open: [{ key, once: true }] } : { reply: key, last: true } };
  }
  if (type === 'open') {
    const json = parseJson(rest);
    if (json) {
      message.payload = json.value;
      if (isObject(json.value) && typeof json.value.sid === 'string') message.id = json.value.sid;
    }
  }
  return { message };
}

/** A Socket.IO packet: `<type>[<attachments>-][<namespace>,][<ack id>][JSON]`. */
export function decodeSocketIoPacket(text: string, fromClient: boolean): Decoded {
  const t = text.charCodeAt(0) - 48;
  const type = SIO_TYPES[t];
  if (type === undefined) {
    return { message: { protocol: PROTOCOL, type: 'message', payload: text, error: 'not a Socket.IO packet' } };
  }
  let i = 1;
  let attachments = 0;
  if (type === 'binary_event' || type === 'binary_ack') {
    const dash = text.indexOf('-', i);
    const n = Number(text.slice(i, dash));
    if (dash < 0 || !Number.isSafeInteger(n) || n < 0) {
      return { message: { protocol: PROTOCOL, type, error: 'binary packet without its attachment count' } };
    }
    attachments = n;
    i = dash + 1;
  }
  let namespace = '/';
  if (text[i] === '/') {
    const comma = text.indexOf(',', i);
    namespace = comma < 0 ? text.slice(i) : text.slice(i, comma);
    i = comma < 0 ? text.length : comma + 1;
  }
  let j = i;
  while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
  const id = j > i ? text.slice(i, j) : undefined;
  const body = text.slice(j);
  const message: DecodedMessage = { protocol: PROTOCOL, type, namespace };
  if (id !== undefined) message.id = id;
  let data: unknown;
  if (body !== '') {
    const json = parseJson(body);
    if (json) data = json.value;
    else message.error = 'the packet data is not JSON';
  }
  const decoded: Decoded = { message };
  if (attachments > 0) decoded.attachments = attachments;
  switch (type) {
    case 'event':
    case 'binary_event':
      if (Array.isArray(data)) {
        if (typeof data[0] === 'string') message.name = data[0];
        message.payload = data.slice(1);
      } else if (data !== undefined) message.payload = data;
      if (id !== undefined) decoded.pair = { open: [{ key: `ack ${namespace} ${id}`, once: true }] };
      break;
    case 'ack':
    case 'binary_ack':
      if (data !== undefined) message.payload = data;
      if (id !== undefined) decoded.pair = { reply: `ack ${namespace} ${id}`, last: true };
      break;
    case 'connect':
      if (data !== undefined) message.payload = data;
      if (isObject(data) && typeof data.sid === 'string') message.id = data.sid;
      decoded.pair = fromClient
        ? { open: [{ key: `connect ${namespace}`, once: true }] }
        : { reply: `connect ${namespace}`, last: true };
      break;
    case 'connect_error':
      if (data !== undefined) message.payload = data;
      if (!fromClient) decoded.pair = { reply: `connect ${namespace}`, last: true };
      break;
    default:
      if (data !== undefined) message.payload = data;
  }
  return decoded;
}

/** Put attachment bytes where a binary packet's placeholders stand ({"_placeholder":true,"num":n}). */
export function fillPlaceholders(payload: unknown, parts: readonly Uint8Array[]): unknown {
  if (Array.isArray(payload)) return payload.map((v) => fillPlaceholders(v, parts));
  if (!isObject(payload)) return payload;
  if (payload._placeholder === true && typeof payload.num === 'number') {
    const part = parts[payload.num];
    return part ? binaryNode(part) : { $binary: null, missing: `attachment ${payload.num} not held` };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(payload)) out[k] = fillPlaceholders(v, parts);
  return out;
}

/** Is this an Engine.IO long-polling request (`?EIO=3|4&transport=polling`)? Its revision when so. */
export function pollingRevision(url: string): 3 | 4 | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const params = new URLSearchParams(url.slice(q + 1));
  if (params.get('transport') !== 'polling') return undefined;
  const eio = params.get('EIO');
  return eio === '3' ? 3 : eio === '4' ? 4 : undefined;
}

/**
 * A long-polling body: v4 joins packets with the record separator (binary ones as "b" + base64);
 * v3 prefixes each with its length in characters ("12:42[\"hi\"]"; binary as "b4" + base64).
 * Attachments are put into the binary packet they follow.
 */
export function decodePollingBody(body: string, eio: 3 | 4, fromClient: boolean): DecodedMessage[] {
  const texts: string[] = [];
  if (eio === 4) texts.push(...body.split('\x1e'));
  else {
    let i = 0;
    while (i < body.length) {
      const colon = body.indexOf(':', i);
      const n = Number(body.slice(i, colon));
      if (colon < 0 || !Number.isSafeInteger(n) || n < 0) {
        texts.push(body.slice(i));
        break;
      }
      texts.push(body.slice(colon + 1, colon + 1 + n));
      i = colon + 1 + n;
    }
  }
  const out: DecodedMessage[] = [];
  let waiting: { message: DecodedMessage; parts: Uint8Array[]; count: number } | null = null;
  for (const text of texts) {
    if (text === '') continue;
    if (text[0] === 'b') {
      const b64 = eio === 3 ? text.slice(2) : text.slice(1);
      const bytes = Buffer.from(b64, 'base64');
      if (waiting) {
        waiting.parts.push(bytes);
        if (waiting.parts.length === waiting.count) {
          waiting.message.payload = fillPlaceholders(waiting.message.payload, waiting.parts);
          waiting = null;
        }
      } else out.push({ protocol: PROTOCOL, type: 'binary', payload: binaryNode(bytes) });
      continue;
    }
    const d = decodeEngineIoPacket(text, fromClient);
    out.push(d.message);
    if (d.attachments) waiting = { message: d.message, parts: [], count: d.attachments };
  }
  return out;
}

/** What the composer asks for: an event (name + JSON args), optionally with an ack id. */
export interface SocketIoEmit {
  name: string;
  args: unknown[];
  namespace?: string;
  ackId?: number;
}

/** The text frame that emits an event (Engine.IO message "4" + Socket.IO EVENT "2"). */
export function encodeSocketIoEvent(e: SocketIoEmit): string {
  const nsp = e.namespace && e.namespace !== '/' ? `${e.namespace},` : '';
  return `42${nsp}${e.ackId ?? ''}${JSON.stringify([e.name, ...e.args])}`;
}
