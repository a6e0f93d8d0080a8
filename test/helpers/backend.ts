// A real backend for tests: HTTP echo (JSON of what it received) with a few behaviours, plus a `ws` echo server.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { close, listen } from './net.ts';

export interface EchoBody {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  bodyLength: number;
  body: string;
}

export interface Backend {
  port: number;
  url: string;
  server: Server;
  wss: WebSocketServer;
  /** Every request the backend has seen, in order. */
  seen: EchoBody[];
  /** Server-side WebSockets, newest last. */
  sockets: WebSocket[];
  close(): Promise<void>;
}

/**
 * Paths: /status/N answers N; /slow/MS waits before answering; /hang never answers; /reset destroys
 * the socket; /sse streams three events 50 ms apart; /big/N sends N bytes; /redirect?to=URL answers
 * 302; /cookie sets a cookie with Domain/Secure/SameSite. Anything else: 200 with the echo JSON.
 */
export async function startBackend(
  opts: { handler?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => boolean } = {},
): Promise<Backend> {
  const seen: EchoBody[] = [];
  const sockets: WebSocket[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const echo: EchoBody = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        bodyLength: body.length,
        body: body.subarray(0, 4096).toString('utf8'),
      };
      seen.push(echo);
      if (opts.handler?.(req, res, body)) return;
      const url = new URL(req.url!, 'http://x');
      const [, first, arg] = url.pathname.split('/');
      if (first === 'status') {
        res.writeHead(Number(arg), { 'content-type': 'application/json' });
        res.end(JSON.stringify(echo));
      } else if (first === 'slow') {
        setTimeout(() => res.end(JSON.stringify(echo)), Number(arg));
      } else if (first === 'hang') {
        /* never answers */
      } else if (first === 'reset') {
        req.socket.destroy();
      } else if (first === 'sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        let n = 0;
        const t = setInterval(() => {
          res.write(`data: ${++n}\n\n`);
          if (n === 3) {
            clearInterval(t);
            res.end();
          }
        }, 50);
      } else if (first === 'big') {
        const size = Number(arg);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
        res.end(Buffer.alloc(size, 97));
      } else if (first === 'redirect') {
        res.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
        res.end();
      } else if (first === 'cookie') {
        res.setHeader('set-cookie', [
          'sid=abc; Domain=backend.example.com; Path=/; Secure; HttpOnly; SameSite=None',
          'theme=dark; Path=/api',
        ]);
        res.end('{}');
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'yes' });
        res.end(JSON.stringify(echo));
      }
    });
  });
  server.keepAliveTimeout = 5000;
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    sockets.push(ws);
    ws.on('message', (data, isBinary) => {
      if (!isBinary && data.toString() === 'whoami') ws.send(JSON.stringify({ url: req.url, headers: req.headers }));
      else ws.send(data, { binary: isBinary });
    });
    ws.on('error', () => {});
  });
  const port = await listen(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    server,
    wss,
    seen,
    sockets,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await close(server);
    },
  };
}
