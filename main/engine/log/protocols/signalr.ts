// SignalR's JSON hub protocol: handshake and messages (invocations, stream items, completions, pings) split on the record separator.
import type { DecodedMessage } from '../../../../shared/events.ts';
import { idText, isObject, parseJson, textOf } from './payload.ts';
import type { Decoded, FrameLike, PairHint } from './types.ts';

const PROTOCOL = 'signalr';
export const RECORD_SEPARATOR = '\x1e';
const TYPES: Record<number, string> = {
  1: 'invocation',
  2: 'stream_item',
  3: 'completion',
  4: 'stream_invocation',
  5: 'cancel_invocation',
  6: 'ping',
  7: 'close',
  8: 'ack',
  9: 'sequence',
};

/** The client's first message: {"protocol":"json","version":1} and the separator. */
export function isSignalrHandshake(text: string): boolean {
  if (!text.endsWith(RECORD_SEPARATOR)) return false;
  const json = parseJson(text.slice(0, text.indexOf(RECORD_SEPARATOR)));
  return !!json && isObject(json.value) && typeof json.value.protocol === 'string' && 'version' in json.value;
}

export function decodeSignalr(frame: FrameLike): Decoded | undefined {
  if (frame.opcode !== 1) return undefined;
  const text = textOf(frame);
  const records = text.split(RECORD_SEPARATOR);
  const unterminated = records[records.length - 1] !== '';
  if (!unterminated) records.pop();
  const pair: PairHint = {};
  const messages = records.map((r) => one(r, frame.type === 'send', pair));
  if (unterminated && !frame.truncated && messages.length > 0) {
    messages[messages.length - 1]!.error ??= 'the last record has no record separator (0x1e)';
  }
  if (messages.length === 0) return { message: { protocol: PROTOCOL, type: 'unknown', error: 'empty message' } };
  const first = messages[0]!;
  if (messages.length > 1) first.more = messages.slice(1);
  return {
    message: first,
    pair: pair.open || pair.reply || pair.cancel ? pair : undefined,
  };
}

function one(record: string, fromClient: boolean, pair: PairHint): DecodedMessage {
  const json = parseJson(record);
  if (!json || !isObject(json.value))
    return { protocol: PROTOCOL, type: 'unknown', error: 'a record that is not a JSON object' };
  const m = json.value;
  if (m.type === undefined) {
    // Handshake: the client's {"protocol","version"}, the server's {} or {"error"}.
    if (fromClient) {
      (pair.open ??= []).push({ key: 'handshake', once: true });
      return { protocol: PROTOCOL, type: 'handshake', payload: m };
    }
    pair.reply ??= 'handshake';
    pair.last = true;
    return {
      protocol: PROTOCOL,
      type: 'handshake_response',
      payload: m,
      ...(m.error ? { error: String(m.error) } : {}),
    };
  }
  const type = TYPES[m.type as number] ?? `type ${String(m.type)}`;
  const message: DecodedMessage = { protocol: PROTOCOL, type };
  const id = idText(m.invocationId);
  if (id !== undefined) message.id = id;
  switch (m.type) {
    case 1:
    case 4:
      if (typeof m.target === 'string') message.name = m.target;
      message.payload = m.arguments;
      if (id !== undefined) (pair.open ??= []).push({ key: `inv ${id}`, once: m.type === 1 });
      break;
    case 2:
      message.payload = m.item;
      if (id !== undefined) pair.reply ??= `inv ${id}`;
      break;
    case 3:
      message.payload = m.error !== undefined ? { error: m.error } : m.result;
      if (id !== undefined && pair.reply === undefined) {
        pair.reply = `inv ${id}`;
        pair.last = true;
      }
      break;
    case 5:
      if (id !== undefined) pair.cancel = `inv ${id}`;
      break;
    case 6:
      message.heartbeat = true;
      break;
    case 7:
      if (m.error !== undefined) message.payload = { error: m.error, allowReconnect: m.allowReconnect };
      break;
    default:
      message.payload = m;
  }
  return message;
}

/** An invocation of a hub method (with an invocationId, so its completion is paired), separator included. */
export function encodeSignalrInvocation(target: string, args: unknown[], invocationId?: string): string {
  const msg: Record<string, unknown> = { type: 1, target, arguments: args };
  if (invocationId !== undefined) msg.invocationId = invocationId;
  return JSON.stringify(msg) + RECORD_SEPARATOR;
}
