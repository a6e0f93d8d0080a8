// Test helper: a raw TCP relay in front of a WebSocket server that copies the post-handshake bytes of each direction.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { close, listen } from './net.ts';

/** Where a relayed connection's frame bytes go (e.g. a FrameTap). */
export interface FrameSinkPair {
  client(chunk: Buffer): void;
  backend(chunk: Buffer): void;
}

export interface RelayConnection {
  /** Sec-WebSocket-Extensions of the backend's 101 (undefined when none). */
  extensions: string | undefined;
  /** Copies of the frame bytes, chunk by chunk as they crossed the relay. */
  toBackend: Buffer[];
  toClient: Buffer[];
  client: Socket;
  backend: Socket;
  /** Chunks the sink changed (must stay 0: the tap must never touch forwarded bytes). */
  mutations: number;
  /** Resolves once both sockets are closed. */
  closed: Promise<void>;
  /** Abrupt reset of both sides. */
  reset(): void;
}

export interface WsRelay {
  port: number;
  url: string;
  connections: RelayConnection[];
  close(): Promise<void>;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * Relay 127.0.0.1:port → 127.0.0.1:backendPort, byte-exact. After the HTTP upgrade heads, each
 * direction's chunks are copied to the connection's arrays and handed (the live buffers) to
 * `open(extensions)`'s sink, if any.
 */
export async function startWsRelay(
  backendPort: number,
  open?: (extensions: string | undefined) => FrameSinkPair | undefined,
): Promise<WsRelay> {
  const connections: RelayConnection[] = [];
  const server: Server = createServer((client) => {
    const backend = connect(backendPort, '127.0.0.1');
    let sink: FrameSinkPair | undefined;
    let upgraded = false;
    let requestDone = false;
    let pendingToBackend: Buffer[] = [];
    let reqHead = Buffer.alloc(0);
    let resHead = Buffer.alloc(0);
    let closedCount = 0;
    let resolveClosed!: () => void;
    const conn: RelayConnection = {
      extensions: undefined,
      toBackend: [],
      toClient: [],
      mutations: 0,
      client,
      backend,
      closed: new Promise<void>((r) => (resolveClosed = r)),
      reset() {
        client.resetAndDestroy();
        backend.resetAndDestroy();
      },
    };
    connections.push(conn);
    const onClosed = () => {
      if (++closedCount === 2) resolveClosed();
    };
    client.on('close', onClosed);
    backend.on('close', onClosed);
    client.on('error', () => backend.destroy());
    backend.on('error', () => client.destroy());
    const toBackendFrames = (chunk: Buffer) => {
      if (chunk.length === 0) return;
      const copy = Buffer.from(chunk);
      conn.toBackend.push(copy);
      sink?.client(chunk);
      if (!chunk.equals(copy)) conn.mutations++;
    };
    client.on('data', (chunk: Buffer) => {
      backend.write(chunk);
      if (!requestDone) {
        reqHead = Buffer.concat([reqHead, chunk]);
        const end = reqHead.indexOf(HEAD_END);
        if (end === -1) return;
        requestDone = true;
        chunk = reqHead.subarray(end + 4);
      }
      if (!upgraded) pendingToBackend.push(Buffer.from(chunk));
      else toBackendFrames(chunk);
    });
    backend.on('data', (chunk: Buffer) => {
      client.write(chunk);
      if (!upgraded) {
        resHead = Buffer.concat([resHead, chunk]);
        const end = resHead.indexOf(HEAD_END);
        if (end === -1) return;
        upgraded = true;
        const head = resHead.subarray(0, end).toString('latin1');
        const m = /^sec-websocket-extensions:\s*(.*)$/im.exec(head);
        conn.extensions = m ? m[1]!.trim() : undefined;
        sink = open?.(conn.extensions);
        for (const p of pendingToBackend) toBackendFrames(p);
        pendingToBackend = [];
        chunk = resHead.subarray(end + 4);
      }
      if (chunk.length === 0) return;
      const copy = Buffer.from(chunk);
      conn.toClient.push(copy);
      sink?.backend(chunk);
      if (!chunk.equals(copy)) conn.mutations++;
    });
    client.on('end', () => backend.end());
    backend.on('end', () => client.end());
  });
  const port = await listen(server);
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    connections,
    async close() {
      for (const c of connections) {
        c.client.destroy();
        c.backend.destroy();
      }
      await close(server);
    },
  };
}
