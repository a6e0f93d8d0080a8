// The client-side timeouts on proxied requests: timeouts.clientBody (nginx client_body_timeout) and timeouts.clientSend (nginx send_timeout).
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { sleep, waitFor } from '../../helpers/net.ts';
import { lastRecord } from '../../helpers/proxy-front.ts';
import { assertDoneOnce, proxyServers } from '../../helpers/proxy-servers.ts';

const { front, rawBackend } = proxyServers();

/** What a backend saw of one request: bytes of body, and whether its connection was closed under it. */
interface Seen {
  bytes: number;
  ended: boolean;
  closed: boolean;
}

/** A backend that reads request bodies (answering "got N" at the end) and notes what it saw per URL. */
async function uploadBackend(): Promise<{ url: string; seen: Map<string, Seen> }> {
  const seen = new Map<string, Seen>();
  const url = await rawBackend((req: IncomingMessage, res: ServerResponse) => {
    const s: Seen = { bytes: 0, ended: false, closed: false };
    seen.set(req.url!, s);
    req.on('data', (c: Buffer) => (s.bytes += c.length));
    req.on('end', () => {
      s.ended = true;
      res.end(`got ${s.bytes}`);
    });
    req.socket.on('close', () => (s.closed = true));
  });
  return { url, seen };
}

/** A raw client: writes `head` (and more later), collects everything it receives, notes when the server closes. */
function rawClient(port: number, head: string): { socket: Socket; received: () => string; closed: Promise<number> } {
  const socket = connect(port, '127.0.0.1');
  const start = Date.now();
  let got = '';
  socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - start)));
  // Without the timeouts under test nothing would ever close it: bound the wait.
  const guard = setTimeout(() => socket.destroy(), 8000);
  socket.on('close', () => clearTimeout(guard));
  socket.write(head);
  return { socket, received: () => got, closed };
}

describe('HttpProxy: client_body_timeout (timeouts.clientBody)', () => {
  it('a client that stops mid-body is cut without an answer, as nginx does; the upstream request is aborted; the record says 408 and names the setting', async () => {
    const b = await uploadBackend();
    const f = await front({ name: 'api', match: '/', target: b.url, timeouts: { clientBody: '300ms' } });
    const c = rawClient(f.port, 'POST /stall HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n' + 'x'.repeat(500));
    const after = await c.closed;
    assert.equal(c.received(), '', 'nginx sends nothing on client_body_timeout: the connection is just closed');
    assert.ok(after >= 250, `closed after ${after} ms, not before the timeout`);
    await waitFor(() => b.seen.get('/stall')?.closed, 'the backend connection closed under the request');
    assert.equal(b.seen.get('/stall')!.ended, false, 'the backend never saw the body complete');
    assert.equal(b.seen.get('/stall')!.bytes, 500);
    await waitFor(() => lastRecord(f, '/stall')?.done, 'record done');
    const r = lastRecord(f, '/stall')!;
    assert.equal(r.status, 408);
    assert.equal(r.error?.code, 'CLIENT_BODY_TIMEOUT');
    assert.equal(r.error?.side, 'client');
    assert.match(r.error!.message, /route api: .*300ms.*timeouts\.clientBody.*client_body_timeout/);
    assert.equal(r.bytesIn, 500);
    assertDoneOnce(f);
  });

  it('also when no byte of the body ever comes (chunked or not)', async () => {
    const b = await uploadBackend();
    const f = await front({ match: '/', target: b.url, timeouts: { clientBody: '300ms' } });
    const c = rawClient(f.port, 'POST /none HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
    await c.closed;
    assert.equal(c.received(), '');
    await waitFor(() => lastRecord(f, '/none')?.done, 'record done');
    assert.equal(lastRecord(f, '/none')!.error?.code, 'CLIENT_BODY_TIMEOUT');
  });

  it('a slow but steady upload (a chunk every 100 ms against 300 ms) goes through whole', async () => {
    const b = await uploadBackend();
    const f = await front({ match: '/', target: b.url, timeouts: { clientBody: '300ms' } });
    const c = rawClient(
      f.port,
      'POST /steady HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n',
    );
    for (let i = 0; i < 10; i++) {
      await sleep(100); // the stimulus: a slow client's pace, not a wait for something
      c.socket.write('y'.repeat(100));
    }
    await c.closed;
    assert.match(c.received(), /^HTTP\/1\.1 200 /);
    assert.match(c.received(), /got 1000$/);
    await waitFor(() => lastRecord(f, '/steady')?.done, 'record done');
    assert.equal(lastRecord(f, '/steady')!.error, undefined);
  });

  it('0 turns it off: a pause longer than any timeout here still goes through', async () => {
    const b = await uploadBackend();
    const f = await front({ match: '/', target: b.url, timeouts: { clientBody: 0 } });
    const c = rawClient(f.port, 'POST /off HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nConnection: close\r\n\r\nab');
    await sleep(500); // the stimulus: the client's pause (longer than any other timeout in this file)
    c.socket.write('cd');
    await c.closed;
    assert.match(c.received(), /got 4$/);
  });

  it("a backend slow to take the body is the send timeout's business, not the client's", async () => {
    // The backend reads nothing for 600 ms; the client sends everything at once (and then waits).
    const url = await rawBackend((req, res) => {
      let n = 0;
      setTimeout(() => {
        // the stimulus: a backend that takes no body for 600 ms
        req.on('data', (c: Buffer) => (n += c.length));
        req.on('end', () => res.end(`got ${n}`));
      }, 600);
    });
    const f = await front({ match: '/', target: url, timeouts: { clientBody: '200ms', send: '5s' }, maxBodySize: 0 });
    const size = 8 * 1024 * 1024;
    const c = rawClient(
      f.port,
      `POST /slowbackend HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`,
    );
    c.socket.write(Buffer.alloc(size, 97));
    await c.closed;
    assert.match(c.received(), new RegExp(`got ${size}$`));
  });
});

/** A backend answering /big with `size` bytes, written as fast as the proxy takes them; notes whether its response was cut. */
async function bigBackend(size: number): Promise<{ url: string; cut: () => boolean; sent: () => number }> {
  let cut = false;
  let sent = 0;
  const url = await rawBackend((_req, res) => {
    const chunk = Buffer.alloc(64 * 1024, 98);
    res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
    res.on('close', () => (cut ||= !res.writableFinished));
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  return { url, cut: () => cut, sent: () => sent };
}

describe('HttpProxy: send_timeout (timeouts.clientSend)', () => {
  const SIZE = 128 * 1024 * 1024; // far more than the kernel's socket buffers hold on loopback

  it('a client that stops reading is cut; the backend sees its connection closed; the record names the setting', async () => {
    const b = await bigBackend(SIZE);
    const f = await front({ name: 'files', match: '/', target: b.url, timeouts: { clientSend: '300ms' } });
    const c = rawClient(f.port, 'GET /big HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor(() => c.received().length > 0, 'the answer starts');
    c.socket.pause();
    await waitFor(() => b.cut(), 'the backend response cut', 10_000);
    assert.ok(b.sent() < SIZE, 'the backend did not get to send everything');
    await waitFor(() => lastRecord(f, '/big')?.done, 'record done');
    const r = lastRecord(f, '/big')!;
    assert.equal(r.status, 200, 'the answer had started');
    assert.equal(r.error?.code, 'CLIENT_SEND_TIMEOUT');
    assert.equal(r.error?.side, 'client');
    assert.match(r.error!.message, /route files: .*300ms.*timeouts\.clientSend.*send_timeout/);
    c.socket.resume();
    await c.closed;
    assertDoneOnce(f);
  });

  it('a steady reader (pausing 100 ms at a time against 300 ms) gets the whole answer', async () => {
    const size = 32 * 1024 * 1024;
    const b = await bigBackend(size);
    const f = await front({ match: '/', target: b.url, timeouts: { clientSend: '300ms' } });
    const c = rawClient(f.port, 'GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    let bytes = 0;
    c.socket.removeAllListeners('data');
    c.socket.on('data', (d: Buffer) => (bytes += d.length));
    const tick = setInterval(() => {
      c.socket.pause();
      setTimeout(() => c.socket.resume(), 100); // the stimulus: a reader pausing 100 ms at a time
    }, 120);
    await c.closed;
    clearInterval(tick);
    assert.ok(bytes > size, `got ${bytes} bytes (head + ${size})`);
    await waitFor(() => lastRecord(f, '/big')?.done, 'record done');
    assert.equal(lastRecord(f, '/big')!.error, undefined);
    assert.equal(b.cut(), false);
  });
});
