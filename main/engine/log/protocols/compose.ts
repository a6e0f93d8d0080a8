// The composer's messages checked and written in their protocol's envelope (the encoders live beside each decoder).
import type { ComposeRequest } from '../../../../shared/api.ts';
import { encodeGraphqlSubscribe } from './graphql-ws.ts';
import { encodeJsonRpc } from './json-rpc.ts';
import { isObject } from './payload.ts';
import { encodeSignalrInvocation } from './signalr.ts';
import { encodeSocketIoEvent } from './socketio.ts';
import { encodeStompSend } from './stomp.ts';

/**
 * Socket.IO ack ids Loopgate writes start here: far above what a client counts to, so the backend's
 * ack reaches the client as an id it does not wait for (clients ignore those) rather than a wrong one.
 */
export const SOCKET_IO_ACK_BASE = 900_000_000;

/** The text frame for a compose request, and the id its reply will be paired by; `n` makes ids unique. */
export function encodeComposed(input: unknown, n: number): { text: string; id?: string } | { error: string } {
  if (!isObject(input) || typeof input.protocol !== 'string') {
    return {
      error:
        '"compose" must be an object with a "protocol" (socket.io, graphql-transport-ws, graphql-ws, stomp, signalr, json-rpc)',
    };
  }
  const c = input as ComposeRequest & Record<string, unknown>;
  const str = (k: string) =>
    typeof c[k] === 'string' && (c[k] as string).trim() !== '' ? (c[k] as string) : undefined;
  switch (c.protocol) {
    case 'socket.io': {
      const name = str('name');
      if (!name) return { error: 'a Socket.IO event needs a "name"' };
      if (c.args !== undefined && !Array.isArray(c.args)) return { error: '"args" must be a JSON array' };
      if (c.namespace !== undefined && (typeof c.namespace !== 'string' || !c.namespace.startsWith('/'))) {
        return { error: '"namespace" must start with "/"' };
      }
      const ackId = c.ack === true ? SOCKET_IO_ACK_BASE + n : undefined;
      const text = encodeSocketIoEvent({ name, args: c.args ?? [], namespace: c.namespace, ackId });
      return ackId === undefined ? { text } : { text, id: String(ackId) };
    }
    case 'graphql-transport-ws':
    case 'graphql-ws': {
      const query = str('query');
      if (!query) return { error: 'a GraphQL subscribe needs a "query"' };
      if (c.variables !== undefined && !isObject(c.variables)) return { error: '"variables" must be a JSON object' };
      if (c.operationName !== undefined && typeof c.operationName !== 'string')
        return { error: '"operationName" must be a string' };
      const id = `loopgate-${n}`;
      return {
        text: encodeGraphqlSubscribe(c.protocol, { id, query, variables: c.variables, operationName: c.operationName }),
        id,
      };
    }
    case 'stomp': {
      const destination = str('destination');
      if (!destination) return { error: 'a STOMP SEND needs a "destination"' };
      if (c.body !== undefined && typeof c.body !== 'string') return { error: '"body" must be a string' };
      const headers: Record<string, string> = {};
      if (c.headers !== undefined) {
        if (!isObject(c.headers) || !Object.values(c.headers).every((v) => typeof v === 'string')) {
          return { error: '"headers" must map names to strings' };
        }
        Object.assign(headers, c.headers);
      }
      let id: string | undefined;
      if (c.receipt === true) headers.receipt = id = `loopgate-${n}`;
      const text = encodeStompSend(destination, c.body ?? '', headers);
      return id === undefined ? { text } : { text, id };
    }
    case 'signalr': {
      const target = str('target');
      if (!target) return { error: 'a SignalR invocation needs a "target"' };
      if (c.args !== undefined && !Array.isArray(c.args)) return { error: '"args" must be a JSON array' };
      const id = `loopgate-${n}`;
      return { text: encodeSignalrInvocation(target, c.args ?? [], id), id };
    }
    case 'json-rpc': {
      const method = str('method');
      if (!method) return { error: 'a JSON-RPC call needs a "method"' };
      const id = c.notify === true ? undefined : `loopgate-${n}`;
      const text = encodeJsonRpc(method, c.params, id);
      return id === undefined ? { text } : { text, id };
    }
    default:
      return {
        error: `Loopgate cannot write "${String(input.protocol)}" messages: use socket.io, graphql-transport-ws, graphql-ws, stomp, signalr or json-rpc`,
      };
  }
}
