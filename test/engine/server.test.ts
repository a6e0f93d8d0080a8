// The whole engine through one listener: static site, routes, WebSocket tunnel, guards, live update.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { validateConfig, type ConfigInput } from '../../shared/config.ts';
import type { HttpRecord, WsSessionRecord } from '../../shared/events.ts';
import { Engine } from '../../main/engine/server.ts';
import { compileSnapshot } from '../../main/engine/snapshot.ts';
import type { Recorder } from '../../main/engine/types.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { waitFor } from '../helpers/net.ts';

function snapshotOf(input: ConfigInput, baseDir: string, version = 1) {
  const r = validateConfig(input);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return compileSnapshot(r.config, { baseDir, version });
}

/** A raw request with a literal path and chosen headers (fetch would normalize both). */
function raw(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

class ArrayRecorder {
  id = 0;
  http = new Map<number, HttpRecord>();
  sessions = new Map<number, WsSessionRecord>();
  frames = 0;
  nextId = () => ++this.id;
}

describe('engine', () => {
  let backend: Backend;
  let engine: Engine;
  let dir: string;
  let port: number;
  const rec = new ArrayRecorder();
  const recorder: Recorder = {
    nextId: rec.nextId,
    http: (r) => rec.http.set(r.id, r),
    ws: (r) => rec.sessions.set(r.id, r),
    frame: () => void rec.frames++,
  };

  before(async () => {
    backend = await startBackend();
    dir = mkdtempSync(join(tmpdir(), 'loopgate-engine-'));
    mkdirSync(join(dir, 'dist/assets'), { recursive: true });
    writeFileSync(join(dir, 'dist/index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(dir, 'dist/assets/app.js'), 'console.log(1)');
    engine = new Engine({ recorder });
    await engine.start(
      snapshotOf(
        {
          listen: { host: '127.0.0.1', port: 0 },
          root: 'dist',
          maxBodySize: '1k',
          routes: [
            { match: '/api', target: `${backend.url}/v1` },
            { match: '/ws', target: backend.url.replace('http', 'ws'), ws: true },
            { match: '/nows', target: backend.url, ws: false },
          ],
        },
        dir,
      ),
    );
    port = engine.port!;
  });

  after(async () => {
    await engine.stop({ drainMs: 500 });
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves the SPA and falls back to index.html for navigations only', async () => {
    const index = await raw(port, '/');
    assert.equal(index.status, 200);
    assert.match(index.body, /<title>app/);
    const asset = await raw(port, '/assets/app.js');
    assert.equal(asset.status, 200);
    assert.equal(asset.body, 'console.log(1)');
    const nav = await raw(port, '/users/42', { accept: 'text/html' });
    assert.equal(nav.status, 200);
    assert.match(nav.body, /<title>app/);
    assert.equal((await raw(port, '/missing.js')).status, 404);
  });

  test('proxies a route with the proxy_pass path rewrite and records it', async () => {
    const res = await raw(port, '/api/users?x=1');
    assert.equal(res.status, 200);
    const echo = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    assert.equal(echo.url, '/v1/users?x=1');
    assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1');
    const record = [...rec.http.values()].find((r) => r.url === '/api/users?x=1');
    assert.ok(record, 'the request was recorded');
    await waitFor(() => record.done, 'record done');
    assert.equal(record.handler, 'proxy');
    assert.equal(record.status, 200);
    assert.equal(record.route, '/api');
    assert.equal(record.target, `${backend.url}/v1/users?x=1`);
  });

  test('refuses a foreign Host (DNS rebinding) and a path above the root', async () => {
    assert.equal((await raw(port, '/', { host: 'evil.example.com' })).status, 403);
    assert.equal((await raw(port, '/api/x', { host: `attacker.test:${port}` })).status, 403);
    assert.equal((await raw(port, '/../etc/passwd')).status, 400);
    assert.equal((await raw(port, '/', { host: `localhost:${port}` })).status, 200);
  });

  test('413 for a body over maxBodySize, before the backend sees it', async () => {
    const before = backend.seen.length;
    const res = await fetch(`http://127.0.0.1:${port}/api/upload`, { method: 'POST', body: 'x'.repeat(2048) });
    assert.equal(res.status, 413);
    assert.equal(backend.seen.length, before);
  });

  test('tunnels a WebSocket and records the session', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/chat`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const echoed = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
    ws.send('hello');
    assert.equal(await echoed, 'hello');
    ws.close(1000, 'bye');
    await new Promise((r) => ws.once('close', r));
    const session = [...rec.sessions.values()].find((s) => s.url === '/ws/chat');
    assert.ok(session);
    await waitFor(() => session.state === 'closed', 'session closed');
    assert.equal(session.closedBy, 'client');
    assert.equal(session.closeCode, 1000);
  });

  test('refuses WebSocket upgrades from a foreign Origin and on routes without ws', async () => {
    const foreign = new WebSocket(`ws://127.0.0.1:${port}/ws/x`, { origin: 'https://evil.example' });
    const status = await new Promise<number>((resolve) =>
      foreign.once('unexpected-response', (_req, res) => resolve(res.statusCode!)),
    );
    assert.equal(status, 403);
    const local = new WebSocket(`ws://127.0.0.1:${port}/ws/x`, { origin: 'http://localhost:5173' });
    await new Promise((resolve, reject) => local.once('open', resolve).once('error', reject));
    local.close();
    // A route without ws gets the upgrade as the plain GET it also is (nginx without Upgrade/Connection headers).
    const noWs = new WebSocket(`ws://127.0.0.1:${port}/nows`);
    const status2 = await new Promise<number>((resolve) =>
      noWs.once('unexpected-response', (_req, res) => resolve(res.statusCode!)),
    );
    assert.equal(status2, 200);
    const seen = backend.seen.at(-1)!;
    assert.equal(seen.url, '/nows');
    assert.equal(seen.headers.upgrade, undefined);
  });

  test('a live update applies to new requests without a restart', async () => {
    const snap = snapshotOf(
      {
        listen: { host: '127.0.0.1', port: 0 },
        root: 'dist',
        routes: [{ match: '/api', target: `${backend.url}/v2` }],
      },
      dir,
      2,
    );
    await engine.update({ ...snap, listen: engine.snapshot!.listen });
    const echo = JSON.parse((await raw(port, '/api/users')).body) as { url: string };
    assert.equal(echo.url, '/v2/users');
    const gone = await raw(port, '/ws/x', { accept: 'text/html' });
    assert.match(gone.body, /<title>app/, 'the /ws route is gone: the SPA answers instead');
  });
});
