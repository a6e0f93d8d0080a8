// Hardening: DNS rebinding (Host allow-list), cross-site WebSocket hijack (Origin) and the control API's token/Origin/CSRF guards, end to end.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Runtime } from '../../main/runtime.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { call } from '../helpers/control.ts';
import { rawExchange, startEngine, tcpHandles, type RunningEngine } from '../helpers/hardening.ts';
import { waitFor } from '../helpers/net.ts';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function get(path: string, headers: string[], version = '1.1'): string {
  return `GET ${path} HTTP/${version}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
}

function upgrade(path: string, headers: string[]): string {
  return get(path, [
    ...headers,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${KEY}`,
    'Sec-WebSocket-Version: 13',
  ]);
}

/**
 * A request that is let through, sent after refused ones: once the backend has it (it is in `seen`
 * before the answer leaves), the refused ones sent earlier had their chance to arrive. Instead of a sleep.
 */
async function sentinel(port: number): Promise<void> {
  const a = await rawExchange(port, get('/api/sentinel', ['Host: 127.0.0.1', 'Connection: close']), { idleMs: 300 });
  assert.deepEqual(a.statuses, [200], a.text.slice(0, 200));
}

const notSentinel = (b: Backend) => b.seen.filter((s) => !s.url.startsWith('/api/sentinel'));

describe('DNS rebinding and WebSocket hijack guards (engine)', () => {
  let backend: Backend;
  let lg: RunningEngine;
  let dir: string;
  let baseline: number;

  before(async () => {
    baseline = tcpHandles();
    backend = await startBackend();
    dir = mkdtempSync(join(tmpdir(), 'loopgate-guard-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>spa</title>');
    lg = await startEngine(
      {
        root: '.',
        allowedHosts: ['dev.test', 'My-Box.Lan'],
        cors: { enabled: true, origins: '*' },
        routes: [
          { match: '/api', target: backend.url },
          {
            match: '/ws',
            target: backend.url,
            ws: true,
            cors: { enabled: true, origins: ['https://app.example.com'] },
          },
          { match: '/closed', target: backend.url, ws: true, cors: { enabled: false } },
          { match: '/open', target: backend.url, ws: true },
        ],
      },
      dir,
    );
  });

  after(async () => {
    await lg.stop();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
    await waitFor(() => tcpHandles() <= baseline, `TCP handles back to ${baseline} (now ${tcpHandles()})`, 10_000);
  });

  const FOREIGN = [
    'evil.example',
    'evil.example:8080',
    'localhost.evil.example',
    '127.0.0.1.nip.io',
    'evil.example.',
    'dev.test.evil.example',
    'LOCALHOST.EVIL.EXAMPLE:1',
  ];
  const MALFORMED = [
    '',
    ' ',
    'evil.example@127.0.0.1',
    'a b',
    '[::1',
    '[::1]x',
    'localhost:80:80',
    'localhost:123456',
    '%6cocalhost',
    'local\\host',
    'localhost/x',
  ];
  const ALLOWED = [
    'localhost',
    'localhost:8080',
    '127.0.0.1',
    '127.0.0.1:1',
    '[::1]',
    '[::1]:8080',
    'app.localhost:5173',
    'dev.test',
    'DEV.TEST:3000',
    'my-box.lan',
    'localhost.',
  ];

  test(`a foreign Host is refused 403 on static files, proxied routes and upgrades; the backend sees nothing (${FOREIGN.length} names)`, async () => {
    backend.seen.length = 0;
    const wsBefore = backend.sockets.length;
    for (const host of FOREIGN) {
      for (const path of ['/', '/index.html', '/api/x']) {
        const a = await rawExchange(lg.port, get(path, [`Host: ${host}`]), { idleMs: 200 });
        assert.deepEqual(a.statuses, [403], `${host} ${path}: ${a.text.slice(0, 120)}`);
        assert.match(a.text, /DNS-rebinding guard/);
        assert.doesNotMatch(a.text, /<title>spa/);
      }
      const u = await rawExchange(lg.port, upgrade('/open', [`Host: ${host}`]), { idleMs: 300 });
      assert.deepEqual(u.statuses, [403], `upgrade ${host}`);
    }
    await sentinel(lg.port);
    assert.deepEqual(notSentinel(backend), [], 'no refused request reached the backend');
    assert.equal(backend.sockets.length, wsBefore, 'no refused upgrade reached the backend');
  });

  test(`a malformed, missing or doubled Host is refused 400 and the connection closed (${MALFORMED.length + 3} cases)`, async () => {
    backend.seen.length = 0;
    for (const host of MALFORMED) {
      const a = await rawExchange(lg.port, get('/api/x', [`Host: ${host}`]), { idleMs: 300 });
      // Node's own parser refuses a few of these before Loopgate sees them: 400 either way.
      assert.deepEqual(a.statuses, [400], `Host ${JSON.stringify(host)}: ${a.text.slice(0, 120)}`);
      assert.equal(a.closed, true, `closed after Host ${JSON.stringify(host)}`);
    }
    const none = await rawExchange(lg.port, get('/api/x', []), { idleMs: 300 });
    assert.deepEqual(none.statuses, [400]);
    assert.match(none.text, /needs a Host header/);
    const two = await rawExchange(lg.port, get('/api/x', ['Host: 127.0.0.1', 'Host: evil.example']), { idleMs: 300 });
    assert.deepEqual(two.statuses, [400]);
    assert.match(two.text, /more than one Host/);
    const twoUpgrade = await rawExchange(lg.port, upgrade('/open', ['Host: 127.0.0.1', 'Host: evil.example']), {
      idleMs: 300,
    });
    assert.deepEqual(twoUpgrade.statuses, [400]);
    await sentinel(lg.port);
    assert.deepEqual(notSentinel(backend), []);
    // HTTP/1.0 may omit Host (nginx takes it too).
    const old = await rawExchange(lg.port, get('/api/old', [], '1.0'), { idleMs: 300 });
    assert.deepEqual(old.statuses, [200]);
  });

  test(`localhost names, loopback and other IP literals, and allowedHosts pass (${ALLOWED.length} names)`, async () => {
    for (const host of ALLOWED) {
      const a = await rawExchange(lg.port, get('/api/ok', [`Host: ${host}`]), { idleMs: 300 });
      assert.deepEqual(a.statuses, [200], `${host}: ${a.text.slice(0, 120)}`);
    }
    // An IP literal cannot be rebound (a rebinding page's Host is its DNS name): LAN access keeps working.
    const lan = await rawExchange(lg.port, get('/api/ok', ['Host: 192.0.2.7:8080']), { idleMs: 300 });
    assert.deepEqual(lan.statuses, [200]);
  });

  test('WebSocket upgrades from a foreign Origin are refused unless the route allows that origin', async () => {
    const before = backend.sockets.length;
    const status = async (path: string, origin: string | null) => {
      const headers = ['Host: 127.0.0.1'];
      if (origin !== null) headers.push(`Origin: ${origin}`);
      const a = await rawExchange(lg.port, upgrade(path, headers), { idleMs: 300 });
      return a.statuses[0];
    };
    const foreign = [
      'http://evil.example',
      'https://evil.example:443',
      'http://localhost.evil.example',
      'null',
      'http://127.0.0.1.nip.io',
      'file://',
      'http://evil.example\\@localhost',
      'http://localhost:80@evil.example',
      'not a url',
      'https://app.example.com.evil.example',
    ];
    for (const origin of foreign) {
      assert.equal(await status('/ws', origin), 403, `/ws from ${origin}`);
      // CORS switched off on the route wins over the server's "*": no foreign origin at all.
      assert.equal(await status('/closed', origin), 403, `/closed from ${origin}`);
    }
    assert.equal(backend.sockets.length, before, 'no refused upgrade reached the backend');
    for (const origin of [
      'http://localhost:5173',
      'http://127.0.0.1:3000',
      'http://[::1]:8080',
      'http://app.localhost',
      'http://dev.test:8080',
      null,
    ]) {
      assert.equal(await status('/closed', origin), 101, `/closed from ${origin}`);
    }
    assert.equal(await status('/ws', 'https://app.example.com'), 101, 'listed in the route CORS origins');
    assert.equal(await status('/ws', 'https://other.example.com'), 403);
    assert.equal(
      await status('/open', 'https://anything.example'),
      101,
      'the server-wide CORS origins "*" allow any origin',
    );
    const refused = lg.log.listSessions({ limit: 1000 }).items.filter((s) => s.error?.code === 'ORIGIN_REFUSED');
    assert.equal(refused.length, foreign.length * 2 + 1, 'every refusal is in the log');
  });
});

describe('control API guards through a real Runtime', () => {
  const TOKEN = 'hardening-token-0123456789';
  let rt: Runtime;
  let dir: string;
  let file: string;
  let port: number;
  let original: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loopgate-guard-rt-'));
    file = join(dir, 'loopgate.json');
    original = `${JSON.stringify({ listen: { host: '127.0.0.1', port: 0 }, routes: [{ match: '/api', target: 'http://127.0.0.1:9' }], profiles: { b: { routes: [] } } }, null, 2)}\n`;
    writeFileSync(file, original);
    rt = await Runtime.start({ configFile: file, watch: false, control: { token: TOKEN } });
    port = Number(new URL(rt.controlUrl!).port);
  });

  after(async () => {
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const WRITES: Array<[string, string, unknown]> = [
    ['PUT', '/api/config', { routes: [] }],
    ['POST', '/api/profile', { name: 'b' }],
    ['POST', '/api/clear', {}],
    ['POST', '/api/import.har', { log: { entries: [] } }],
    ['POST', '/api/sessions/1/send', { to: 'backend', text: 'x' }],
    ['POST', '/api/sessions/1/close', {}],
  ];

  test('no token, a wrong token, a token in the URL, a foreign or malformed Origin: every write refused, the file untouched', async () => {
    const bearer = `Bearer ${TOKEN}`;
    let tried = 0;
    for (const [method, path, body] of WRITES) {
      const cases: Array<[string, { auth: string | null; headers?: Record<string, string> }, number]> = [
        ['no token', { auth: null }, 401],
        ['wrong token', { auth: 'Bearer hardening-token-0123456780' }, 401],
        ['empty bearer', { auth: 'Bearer ' }, 401],
        ['basic auth', { auth: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, 401],
        ['foreign origin', { auth: bearer, headers: { origin: 'http://evil.example' } }, 403],
        ['lookalike origin', { auth: bearer, headers: { origin: `http://127.0.0.1:${port}.evil.example` } }, 403],
        ['origin with userinfo', { auth: bearer, headers: { origin: `http://127.0.0.1:${port}@evil.example` } }, 403],
        ['null origin', { auth: bearer, headers: { origin: 'null' } }, 403],
        ['https origin', { auth: bearer, headers: { origin: `https://127.0.0.1:${port}` } }, 403],
        ['cross-site fetch', { auth: bearer, headers: { 'sec-fetch-site': 'cross-site' } }, 403],
        ['foreign host', { auth: bearer, headers: { host: `evil.example:${port}` } }, 421],
        ['malformed host', { auth: bearer, headers: { host: `127.0.0.1:${port}:1` } }, 421],
      ];
      for (const [label, opts, want] of cases) {
        const r = await call(port, method, path, { ...opts, body });
        assert.equal(r.status, want, `${method} ${path} with ${label}: ${r.text}`);
        tried++;
      }
      const inUrl = await call(port, method, `${path}?token=${TOKEN}`, { auth: null, body });
      assert.equal(inUrl.status, 401, `${method} ${path} with the token in the URL`);
    }
    assert.ok(tried >= 60);
    assert.equal(readFileSync(file, 'utf8'), original, 'the config file was not changed');
    assert.equal(rt.store.version, 1);
  });

  test('CSRF-style simple requests (text/plain, form, multipart, no type) are refused 415 even with the token', async () => {
    const payload = JSON.stringify({ routes: [] });
    for (const [method, path] of WRITES) {
      for (const type of [
        'text/plain',
        'text/plain; charset=utf-8',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/jsonx',
        'application/json-patch+json',
        '',
      ]) {
        const headers: Record<string, string> = type ? { 'content-type': type } : {};
        const r = await call(port, method, path, { auth: `Bearer ${TOKEN}`, raw: payload, headers });
        assert.equal(r.status, 415, `${method} ${path} as ${type || '(no type)'}: ${r.text}`);
      }
    }
    assert.equal(readFileSync(file, 'utf8'), original);
  });

  test('the control API answers only loopback Host names; the events WebSocket refuses foreign origins', async () => {
    for (const host of [
      'evil.example',
      `localhost.evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      `[::2]:${port}`,
      '',
    ]) {
      const r = await call(port, 'GET', '/api/status', { auth: `Bearer ${TOKEN}`, headers: { host } });
      assert.equal(r.status, 421, host);
    }
    const ok = await call(port, 'GET', '/api/status', { auth: `Bearer ${TOKEN}` });
    assert.equal(ok.status, 200);
    const events = (headers: string[]) =>
      rawExchange(port, upgrade(`/api/events?token=${TOKEN}`, [`Host: 127.0.0.1:${port}`, ...headers]), {
        idleMs: 300,
      }).then((a) => a.statuses[0]);
    assert.equal(await events(['Origin: http://evil.example']), 403);
    assert.equal(await events(['Origin: null']), 403);
    assert.equal(await events([]), 101);
    const foreignHost = await rawExchange(port, upgrade(`/api/events?token=${TOKEN}`, ['Host: evil.example']), {
      idleMs: 300,
    });
    assert.equal(foreignHost.statuses[0], 421);
    const noToken = await rawExchange(port, upgrade('/api/events', [`Host: 127.0.0.1:${port}`]), { idleMs: 300 });
    assert.equal(noToken.statuses[0], 401);
  });
});
