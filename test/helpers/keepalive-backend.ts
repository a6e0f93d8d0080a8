// A raw TCP backend for the retry tests: answers HTTP/1.1 keep-alive, and kills or cuts a connection at a chosen request.
import { createServer, type Server, type Socket } from 'node:net';
import { close, listen } from './net.ts';

/** One request as the backend saw its first bytes: which connection (1-based), its number on that connection. */
export interface Arrival {
  conn: number;
  nth: number;
  /** The request line, as far as it had arrived. */
  line: string;
}

/**
 * What to do with a request, decided when its first bytes arrive: answer 200 (body names the
 * connection), `close` (FIN without answering), `reset` (RST without answering), `hang` (read it,
 * never answer), or `cut` (answer 200 with Content-Length 1000, send 10 bytes, then FIN).
 */
export type Fate = 'answer' | 'close' | 'reset' | 'hang' | 'cut';

export interface KeepAliveBackend {
  port: number;
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Every request's first bytes, with the fate it got. */
  arrivals: Array<Arrival & { fate: Fate }>;
  /** The full head of every request read to its end (not those dropped on arrival), in order. */
  heads: string[];
  close(): Promise<void>;
}

const HEAD_END = '\r\n\r\n';

/**
 * `fate` decides each request; `holdUntil` holds answers until that many connections are open (so
 * the proxy's pool keeps that many idle keep-alive sockets afterwards).
 */
export async function startKeepAliveBackend(opts: {
  fate: (a: Arrival) => Fate;
  holdUntil?: number;
}): Promise<KeepAliveBackend> {
  const arrivals: KeepAliveBackend['arrivals'] = [];
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  const held: Array<() => void> = [];
  let conns = 0;
  const server: Server = createServer((socket) => {
    const conn = ++conns;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let nth = 0;
    let buf = '';
    let fate: Fate | null = null;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      if (fate === null) {
        nth++;
        const a = { conn, nth, line: chunk.split('\r\n')[0]! };
        fate = opts.fate(a);
        arrivals.push({ ...a, fate });
        if (fate === 'close') return void socket.destroy();
        if (fate === 'reset') return void socket.resetAndDestroy();
      }
      buf += chunk;
      const end = buf.indexOf(HEAD_END);
      if (end < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length < end + HEAD_END.length + length) return;
      const line = buf.slice(0, buf.indexOf('\r\n'));
      heads.push(buf.slice(0, end));
      const f = fate;
      buf = buf.slice(end + HEAD_END.length + length);
      fate = null;
      const send = () => {
        if (socket.destroyed || f === 'hang') return;
        if (f === 'cut') {
          socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n0123456789');
          setImmediate(() => socket.destroy());
          return;
        }
        const body = `conn ${conn} request ${nth}: ${line}`;
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nKeep-Alive: timeout=60\r\n\r\n${body}`,
        );
      };
      if (opts.holdUntil && conns < opts.holdUntil) held.push(send);
      else {
        for (const h of held.splice(0)) h();
        send();
      }
    });
  });
  const port = await listen(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => conns,
    arrivals,
    heads,
    async close() {
      for (const s of sockets) s.destroy();
      await close(server);
    },
  };
}
