// JSON-RPC 2.0 messages (requests, notifications, results, errors, batches) read and written.
import type { DecodedMessage } from '../../../../shared/events.ts';
import { idText, isObject, parseJson, textOf } from './payload.ts';
import type { Decoded, FrameLike, PairHint } from './types.ts';

const PROTOCOL = 'json-rpc';

export function decodeJsonRpc(frame: FrameLike): Decoded | undefined {
  if (frame.opcode !== 1) return undefined;
  const json = parseJson(textOf(frame));
  if (!json) return { message: { protocol: PROTOCOL, type: 'unknown', error: 'not JSON' } };
  const items = Array.isArray(json.value) ? json.value : [json.value];
  if (items.length === 0) return { message: { protocol: PROTOCOL, type: 'batch', error: 'an empty batch' } };
  const pair: PairHint = {};
  const messages = items.map((item) => one(item, pair));
  const [first, ...more] = messages;
  if (more.length > 0) first!.more = more;
  return { message: first!, pair: pair.open || pair.reply ? pair : undefined };
}

/** Is this JSON value a JSON-RPC 2.0 message (or a batch of them)? */
export function isJsonRpc(value: unknown): boolean {
  const first = Array.isArray(value) ? value[0] : value;
  return isObject(first) && first.jsonrpc === '2.0';
}

function one(item: unknown, pair: PairHint): DecodedMessage {
  if (!isObject(item)) return { protocol: PROTOCOL, type: 'unknown', error: 'not a JSON-RPC object' };
  const id = idText(item.id);
  const message: DecodedMessage = { protocol: PROTOCOL, type: 'unknown' };
  if (id !== undefined) message.id = id;
  if (item.jsonrpc !== '2.0') message.error = '"jsonrpc" is not "2.0"';
  if (typeof item.method === 'string') {
    message.name = item.method;
    message.type = id === undefined ? 'notification' : 'request';
    if (item.params !== undefined) message.payload = item.params;
    // A batch's requests all open; pairing keeps the first reply key of a batch answer.
    if (id !== undefined) (pair.open ??= []).push({ key: `id ${id}`, once: true });
  } else if ('result' in item || 'error' in item) {
    message.type = 'error' in item ? 'error' : 'result';
    message.payload = 'error' in item ? item.error : item.result;
    if (id !== undefined && pair.reply === undefined) {
      pair.reply = `id ${id}`;
      pair.last = true;
    }
  }
  return message;
}

/** A request (with an id, so its answer is paired), or a notification when `id` is undefined. */
export function encodeJsonRpc(method: string, params: unknown, id: string | number | undefined): string {
  const msg: Record<string, unknown> = { jsonrpc: '2.0', method };
  if (params !== undefined) msg.params = params;
  if (id !== undefined) msg.id = id;
  return JSON.stringify(msg);
}
