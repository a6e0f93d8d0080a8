// send_timeout (timeouts.clientSend) beyond the proxy: the SendWatch's progress rule, and static files through the whole engine.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { validateConfig, type ConfigInput } from '../../shared/config.ts';
import type { HttpRecord } from '../../shared/events.ts';
import { SendWatch } from '../../main/engine/send-watch.ts';
import { Engine } from '../../main/engine/server.ts';
import { compileSnapshot } from '../../main/engine/snapshot.ts';
import { close, listen, waitFor } from '../helpers/net.ts';

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A raw GET; the socket starts paused (the test decides how it reads). */
function get(port: number, path: string): { socket: Socket; bytes: () => number; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  let n = 0;
  socket.on('data', (d: Buffer) => (n += d.length));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  // A client that never closes would hang the file: bound it.
  const guard = setTimeout(() => socket.destroy(), 15_000);
  socket.on('close', () => clearTimeout(guard));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  return { socket, bytes: () => n, closed };
}

/** Read about `perTick` bytes every `everyMs`, then pause again: a slow but steady client. */
function readSlowly(socket: Socket, perTick: number, everyMs: number): () => void {
  let budget = 0;
  socket.pause();
  socket.on('data', (d: Buffer) => {
    budget -= d.length;
    if (budget <= 0) socket.pause();
  });
  const t = setInterval(() => {
    budget = perTick;
    socket.resume();
  }, everyMs);
  return () => clearInterval(t);
}

describe('SendWatch: nginx restarts send_timeout on every write that makes progress', () => {
  /** One 24 MiB write: node says "drain" only once it is all taken, long after 300 ms for a slow reader. */
  async function oneBigWrite(): Promise<{ port: number; stalls: () => number; finished: () => boolean }> {
    let stalls = 0;
    let finished = false;
    const server = createServer((_req, res) => {
      const watch = SendWatch.for(
        res,
        300,
        (r) => {
          stalls++;
          r.destroy();
        },
        res,
      )!;
      res.writeHead(200, { 'content-length': 24 * 1024 * 1024 });
      if (!res.write(Buffer.alloc(24 * 1024 * 1024, 99))) watch.waiting();
      res.on('drain', () => watch.clear());
      res.on('finish', () => (finished = true));
      res.on('close', () => watch.clear());
      res.end();
    });
    const port = await listen(server);
    cleanups.push(() => close(server));
    return { port, stalls: () => stalls, finished: () => finished };
  }

  it('a reader taking 2 MiB every 100 ms is never cut, though drain comes only at the end', async () => {
    const s = await oneBigWrite();
    const c = get(s.port, '/');
    const stop = readSlowly(c.socket, 2 * 1024 * 1024, 100);
    await c.closed;
    stop();
    assert.equal(s.stalls(), 0);
    assert.ok(c.bytes() > 24 * 1024 * 1024, `got ${c.bytes()}`);
    assert.equal(s.finished(), true);
  });

  it('a reader that stops is cut after the timeout', async () => {
    const s = await oneBigWrite();
    const c = get(s.port, '/');
    c.socket.pause();
    await waitFor(() => s.stalls() === 1, 'the watch fired', 5000);
    c.socket.resume();
    await c.closed;
    assert.ok(c.bytes() < 24 * 1024 * 1024);
  });
});

describe('static files: send_timeout (timeouts.clientSend)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-send-timeout-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // A sparse file: far more than the loopback socket buffers hold, and nothing to write to disk.
  const fd = openSync(join(dir, 'big.bin'), 'w');
  ftruncateSync(fd, 256 * 1024 * 1024);
  closeSync(fd);
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  const records = new Map<number, HttpRecord>();
  let id = 0;

  async function engineWith(timeouts: ConfigInput['timeouts']): Promise<number> {
    const v = validateConfig({ listen: { port: 0 }, root: dir, timeouts });
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    const engine = new Engine({
      recorder: { nextId: () => ++id, http: (r) => records.set(r.id, r), ws() {}, frame() {} },
    });
    await engine.start(compileSnapshot(v.config, { baseDir: dir }));
    cleanups.push(() => engine.stop({ drainMs: 100 }));
    return engine.port!;
  }
  const recordOf = () => [...records.values()].find((r) => r.url === '/big.bin' && r.done);

  it('a client that stops reading a file is cut, and the record names the setting (not "client closed")', async () => {
    records.clear();
    const port = await engineWith({ clientSend: '300ms' });
    const c = get(port, '/big.bin');
    await waitFor(() => c.bytes() > 0, 'the answer starts');
    c.socket.pause();
    await waitFor(() => recordOf(), 'record done', 8000);
    const r = recordOf()!;
    assert.equal(r.error?.code, 'CLIENT_SEND_TIMEOUT');
    assert.match(r.error!.message, /300ms.*timeouts\.clientSend.*send_timeout/);
    c.socket.resume();
    await c.closed;
    assert.ok(c.bytes() < 256 * 1024 * 1024);
  });

  it('a reader pausing 100 ms at a time against 300 ms gets the whole file', async () => {
    records.clear();
    const port = await engineWith({ clientSend: '300ms' });
    const c = get(port, '/big.bin');
    const tick = setInterval(() => {
      c.socket.pause();
      setTimeout(() => c.socket.resume(), 100);
    }, 120);
    await c.closed;
    clearInterval(tick);
    assert.ok(c.bytes() > 256 * 1024 * 1024, `got ${c.bytes()}`);
    await waitFor(() => recordOf(), 'record done');
    assert.equal(recordOf()!.error, undefined);
  });
});
