// Differential test: a client stalling mid-body through real nginx (client_body_timeout) and through Loopgate (timeouts.clientBody), as client and backend see it.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { freePort, listen, waitFor } from '../../helpers/net.ts';
import { nginxMissing, startNginx } from '../../helpers/nginx.ts';
import { proxyServers } from '../../helpers/proxy-servers.ts';

const { front, onCleanup } = proxyServers();

/** What the backend saw of one request, by URL. */
interface Seen {
  bytes: number;
  ended: boolean;
  aborted: boolean;
}

async function backend(): Promise<{ port: number; seen: Map<string, Seen> }> {
  const seen = new Map<string, Seen>();
  const server = createServer((req: IncomingMessage, res) => {
    const s: Seen = { bytes: 0, ended: false, aborted: false };
    seen.set(req.url!, s);
    req.on('data', (c: Buffer) => (s.bytes += c.length));
    req.on('end', () => {
      s.ended = true;
      res.end('ok');
    });
    req.socket.on('close', () => (s.aborted = !s.ended));
  });
  const port = await listen(server);
  onCleanup(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { port, seen };
}

/** Headers and half a body, then silence: what comes back, and whether the server closed the connection. */
function stall(port: number, path: string): Promise<{ received: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let received = '';
    let closedByServer = false;
    s.on('data', (d: Buffer) => (received += d.toString('latin1')));
    s.on('end', () => (closedByServer = true));
    s.on('error', () => {});
    s.on('close', () => resolve({ received, closedByServer }));
    s.write(`POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n${'x'.repeat(500)}`);
    setTimeout(() => s.destroy(), 5000); // a guard, not a wait: the server is expected to close first
  });
}

describe('client_body_timeout: Loopgate vs nginx', { skip: nginxMissing }, () => {
  it('the client gets no answer and the connection is closed; a streamed upstream request is cut after the half body', async () => {
    const b = await backend();
    const nport = await freePort();
    // proxy_request_buffering off streams the body like Loopgate does; on (nginx's default) never reaches the backend.
    const nginx = await startNginx(
      nport,
      `client_body_timeout 300ms;
       location /streamed/ { proxy_pass http://127.0.0.1:${b.port}; proxy_http_version 1.1; proxy_request_buffering off; }
       location /buffered/ { proxy_pass http://127.0.0.1:${b.port}; }`,
    );
    onCleanup(() => nginx.stop());
    const lg = await front({ match: '/', target: `http://127.0.0.1:${b.port}`, timeouts: { clientBody: '300ms' } });

    const fromNginx = await stall(nport, '/streamed/nginx');
    const fromBuffered = await stall(nport, '/buffered/nginx');
    const fromLoopgate = await stall(lg.port, '/streamed/loopgate');
    assert.deepEqual(fromNginx, { received: '', closedByServer: true });
    assert.deepEqual(fromBuffered, { received: '', closedByServer: true });
    assert.deepEqual(fromLoopgate, fromNginx);

    // Both streamed requests end at the backend with their connection closed; the buffered one never came.
    await waitFor(
      () => b.seen.get('/streamed/nginx')?.aborted && b.seen.get('/streamed/loopgate')?.aborted,
      'both streamed upstream requests cut',
    );
    assert.equal(b.seen.has('/buffered/nginx'), false, 'buffering nginx never passed the request on');
    assert.deepEqual(b.seen.get('/streamed/loopgate'), b.seen.get('/streamed/nginx'));
    assert.deepEqual(b.seen.get('/streamed/nginx'), { bytes: 500, ended: false, aborted: true });
  });
});
