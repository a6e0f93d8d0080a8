// GraphQL over WebSocket: graphql-transport-ws (the graphql-ws library) and the legacy graphql-ws (subscriptions-transport-ws); envelopes written.
import type { DecodedMessage } from '../../../../shared/events.ts';
import { idText, isObject, parseJson, textOf } from './payload.ts';
import type { Decoded, FrameLike } from './types.ts';

export type GraphqlProtocol = 'graphql-transport-ws' | 'graphql-ws';

/** Message types that start an operation, carry its results, or end it, per protocol. */
const START = new Set(['subscribe', 'start']);
const RESULT = new Set(['next', 'data']);
const HEARTBEAT = new Set(['ping', 'pong', 'ka', 'connection_keep_alive']);

export function decodeGraphqlWs(frame: FrameLike, protocol: GraphqlProtocol): Decoded | undefined {
  if (frame.opcode !== 1) return undefined;
  const json = parseJson(textOf(frame));
  if (!json || !isObject(json.value) || typeof json.value.type !== 'string') {
    return { message: { protocol, type: 'unknown', error: 'not a GraphQL over WebSocket message' } };
  }
  const m = json.value;
  const type = m.type as string;
  const message: DecodedMessage = { protocol, type };
  const id = idText(m.id);
  if (id !== undefined) message.id = id;
  if (m.payload !== undefined) message.payload = m.payload;
  const decoded: Decoded = { message };
  if (HEARTBEAT.has(type)) {
    message.heartbeat = true;
    if (type === 'ping') decoded.pair = { open: [{ key: 'ping', once: true }] };
    if (type === 'pong') decoded.pair = { reply: 'ping', last: true };
    return decoded;
  }
  if (type === 'connection_init') decoded.pair = { open: [{ key: 'init', once: true }] };
  else if (type === 'connection_ack' || type === 'connection_error') decoded.pair = { reply: 'init', last: true };
  else if (id !== undefined) {
    const fromClient = frame.type === 'send';
    if (START.has(type)) {
      const name = operationName(m.payload);
      if (name) message.name = name;
      decoded.pair = { open: [{ key: `op ${id}` }] };
    } else if (RESULT.has(type)) decoded.pair = { reply: `op ${id}` };
    else if (type === 'error') decoded.pair = { reply: `op ${id}`, last: true };
    else if (type === 'complete' || type === 'stop') {
      // The server's complete ends the replies; the client's (or legacy stop) cancels its own operation.
      decoded.pair = fromClient ? { cancel: `op ${id}` } : { reply: `op ${id}`, last: true };
    }
  }
  return decoded;
}

/** The operation's name: operationName, or the name written in the query ("subscription OnChat {…}"). */
export function operationName(payload: unknown): string | undefined {
  if (!isObject(payload)) return undefined;
  if (typeof payload.operationName === 'string' && payload.operationName !== '') return payload.operationName;
  if (typeof payload.query !== 'string') return undefined;
  const m = /^\s*(?:#[^\n]*\n\s*)*(query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(payload.query);
  if (m) return m[2];
  const field = /^\s*(query|mutation|subscription)?\s*\{\s*([_A-Za-z][_0-9A-Za-z]*)/.exec(payload.query);
  return field ? `${field[1] ?? 'query'} { ${field[2]} }` : undefined;
}

export interface GraphqlSubscribe {
  id: string;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/** The client's start message: `subscribe` (graphql-transport-ws) or `start` (legacy). */
export function encodeGraphqlSubscribe(protocol: GraphqlProtocol, op: GraphqlSubscribe): string {
  const payload: Record<string, unknown> = { query: op.query };
  if (op.variables !== undefined) payload.variables = op.variables;
  if (op.operationName) payload.operationName = op.operationName;
  return JSON.stringify({ id: op.id, type: protocol === 'graphql-transport-ws' ? 'subscribe' : 'start', payload });
}
