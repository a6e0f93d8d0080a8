// Issue 4, live reconfiguration of a running Loopgate: API and disk changes, in-flight work, rebinding, reloads under load.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { StatusInfo } from '../../shared/api.ts';
import type { ConfigInput } from '../../shared/config.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { rawRequest, startLoopgate, until, type Loopgate } from '../helpers/integ.ts';
import { freePort, sleep } from '../helpers/net.ts';

/** Open a WebSocket through Loopgate; resolves once open, rejects with the refusal. */
function openWs(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function echo(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no echo of "${text}"`)), 3000);
    ws.once('message', (data) => {
      clearTimeout(timer);
      resolve(data.toString());
    });
    ws.send(text);
  });
}

describe('live reconfiguration of the running runtime', { timeout: 60_000 }, () => {
  let backend: Backend;
  let lg: Loopgate;
  const get = (path: string, headers: Record<string, string> = {}) => rawRequest(lg.port(), 'GET', path, headers);
  /** A config on the current port (so that a change does not rebind unless asked). */
  const cfg = (rest: Omit<ConfigInput, 'listen'>): ConfigInput => ({
    listen: { host: '127.0.0.1', port: lg.port() },
    ...rest,
  });
  const status = async () => (await lg.api('GET', '/api/status')).json as StatusInfo;

  before(async () => {
    backend = await startBackend();
    lg = await startLoopgate({ routes: [{ match: '/api', target: backend.url }] }, { watch: true });
  });

  after(async () => {
    await lg?.stop();
    await backend?.close();
  });

  it('route, timeout and CORS changes apply to the very next request', async () => {
    assert.equal((await get('/v2/x')).status, 404);
    await lg.put(
      cfg({
        routes: [
          { match: '/api', target: backend.url },
          { match: '/v2', target: `${backend.url}/api/v2` },
        ],
      }),
    );
    const v2 = await get('/v2/x');
    assert.equal(v2.status, 200);
    assert.equal(JSON.parse(v2.body).url, '/api/v2/x');

    // /s/N → the backend's /slow/N, which answers after N ms.
    await lg.put(
      cfg({
        routes: [
          { match: '/api', target: backend.url },
          { match: '/s/', target: `${backend.url}/slow/` },
        ],
      }),
    );
    assert.equal((await get('/s/2500')).status, 200, 'the default read timeout (60 s) lets it through');
    await lg.put(
      cfg({
        routes: [
          { match: '/api', target: backend.url },
          { match: '/s/', target: `${backend.url}/slow/`, timeouts: { read: '300ms' } },
        ],
      }),
    );
    const late = await get('/s/2500');
    assert.equal(late.status, 504, late.body);
    assert.equal((await get('/v2/x')).status, 404, 'the removed route is gone');

    const origin = 'http://a.example';
    assert.equal((await get('/api/x', { origin })).headers['access-control-allow-origin'], undefined);
    await lg.put(cfg({ cors: { enabled: true, origins: [origin] }, routes: [{ match: '/api', target: backend.url }] }));
    assert.equal((await get('/api/x', { origin })).headers['access-control-allow-origin'], origin);
  });

  it('a sub-second read timeout fires in time: 200ms against a backend answering after 600 ms is a 504 (nginx proxy_read_timeout)', async () => {
    await lg.put(cfg({ routes: [{ match: '/s/', target: `${backend.url}/slow/`, timeouts: { read: '200ms' } }] }));
    const r = await get('/s/600');
    assert.equal(r.status, 504, `got ${r.status}: the backend's answer at 600 ms got through a 200ms read timeout`);
  });

  it('an in-flight slow request and an open WebSocket finish under their own config when their route is deleted', async () => {
    await lg.put(
      cfg({
        routes: [
          { match: '/api', target: backend.url },
          { match: '/s/', target: `${backend.url}/slow/` },
        ],
      }),
    );
    const ws = await openWs(`ws://127.0.0.1:${lg.port()}/api/ws`);
    try {
      assert.equal(await echo(ws, 'one'), 'one');
      const slow = get('/s/1500');
      await until(() => backend.seen.some((s) => s.url === '/slow/1500'), 'the slow request at the backend');

      await lg.put(cfg({ routes: [] }));
      assert.equal((await get('/api/x')).status, 404, 'new requests see the route gone');
      assert.equal((await get('/s/0')).status, 404);
      await assert.rejects(openWs(`ws://127.0.0.1:${lg.port()}/api/ws`), /refused with 404/, 'new upgrades too');

      const answer = await slow;
      assert.equal(answer.status, 200);
      assert.equal(JSON.parse(answer.body).url, '/slow/1500');
      assert.equal(await echo(ws, 'two'), 'two', 'the open session still echoes');
    } finally {
      ws.terminate();
    }
  });

  it('a listen port change rebinds: the new port answers, the config is intact, the old port stops accepting', async () => {
    const oldPort = lg.port();
    const newPort = await freePort();
    const next: ConfigInput = {
      listen: { host: '127.0.0.1', port: newPort },
      routes: [{ match: '/api', target: backend.url, name: 'moved' }],
    };
    await lg.put(next);
    await until(() => lg.port() === newPort, 'the listener on the new port');
    const r = await rawRequest(newPort, 'GET', '/api/moved');
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).url, '/api/moved');
    assert.deepEqual((await lg.api('GET', '/api/config')).json, next);
    assert.equal((await status()).siteUrl, `http://127.0.0.1:${newPort}`);
    await assert.rejects(rawRequest(oldPort, 'GET', '/api/old'), /ECONNREFUSED/);
  });

  it('a profile switched at run time (POST /api/profile) routes at once and persists in the file', async () => {
    await lg.put(
      cfg({
        routes: [{ match: '/api', target: backend.url }],
        profiles: { staging: { routes: [{ match: '/api', target: `${backend.url}/staging` }] } },
      }),
    );
    assert.equal(JSON.parse((await get('/api/p')).body).url, '/api/p');

    const on = await lg.api('POST', '/api/profile', { name: 'staging' });
    assert.equal(on.status, 200, JSON.stringify(on.json));
    assert.equal(JSON.parse((await get('/api/p')).body).url, '/staging/p');
    assert.equal(lg.onDisk().activeProfile, 'staging');
    assert.equal((await status()).activeProfile, 'staging');

    const before = readFileSync(lg.file, 'utf8');
    const unknown = await lg.api('POST', '/api/profile', { name: 'nope' });
    assert.equal(unknown.status, 400);
    assert.equal(readFileSync(lg.file, 'utf8'), before, 'a refused switch leaves the file as it was');

    const off = await lg.api('POST', '/api/profile', { name: null });
    assert.equal(off.status, 200);
    assert.equal(lg.onDisk().activeProfile, undefined);
    assert.equal(JSON.parse((await get('/api/p')).body).url, '/api/p');
  });

  it('an edit of loopgate.json on disk is applied; invalid edits are refused and the running config kept', async () => {
    const edited = {
      ...lg.onDisk(),
      routes: [
        { match: '/api', target: backend.url },
        { match: '/disk', target: `${backend.url}/from-disk` },
      ],
    };
    writeFileSync(lg.file, `${JSON.stringify(edited, null, 2)}\n`);
    const applied = await until(async () => {
      const r = await get('/disk/x');
      return r.status === 200 ? r : null;
    }, 'the disk edit applied');
    assert.equal(JSON.parse(applied.body).url, '/from-disk/x');
    assert.equal((await status()).lastError, null);

    writeFileSync(lg.file, '{ "routes": [ { "match": "/api", ');
    const syntax = await until(async () => (await status()).lastError, 'the JSON syntax error reported');
    assert.match(syntax, /not valid JSON/);

    writeFileSync(
      lg.file,
      `${JSON.stringify({ ...edited, routes: [{ match: 'disk', target: backend.url }] }, null, 2)}\n`,
    );
    await until(async () => /routes\.0\.match/.test((await status()).lastError ?? ''), 'the schema error reported');

    assert.equal((await get('/disk/x')).status, 200, 'still running the last good config');
    assert.deepEqual((await lg.api('GET', '/api/config')).json, edited);
  });

  it('~20 config updates during a request loop: every request gets the backend 200', async () => {
    const version = (await status()).version;
    let done = false;
    const failures: string[] = [];
    let count = 0;
    const deadline = Date.now() + 8000;
    const worker = async (n: number) => {
      for (let i = 0; !done && Date.now() < deadline; i++) {
        const path = `/api/load/${n}/${i}`;
        try {
          // Half the workers reuse keep-alive connections (fetch), half open one per request.
          const r =
            n % 2
              ? await rawRequest(lg.port(), 'GET', path)
              : await fetch(`http://127.0.0.1:${lg.port()}${path}`).then(async (res) => ({
                  status: res.status,
                  headers: { 'x-backend': res.headers.get('x-backend') ?? undefined },
                  body: await res.text(),
                }));
          if (r.status !== 200 || r.headers['x-backend'] !== 'yes')
            failures.push(`${path}: ${r.status} ${r.body.slice(0, 200)}`);
        } catch (err) {
          failures.push(`${path}: ${(err as Error).message}`);
        }
        count++;
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(worker));
    try {
      // Each update changes something other than the /api route's destination: names, timeouts, CORS,
      // extra routes. Two at a time, so the API also sees concurrent PUTs.
      const update = (i: number) =>
        lg.put(
          cfg({
            cors: i % 3 === 0 ? { enabled: true } : undefined,
            timeouts: { read: `${30 + i}s` },
            routes: [
              { match: '/api', target: backend.url, name: `api-${i}` },
              ...(i % 2 ? [{ match: '/extra', target: backend.url }] : []),
            ],
          }),
        );
      for (let i = 0; i < 20; i += 2) {
        await Promise.all([update(i), update(i + 1)]);
        await sleep(50); // the stimulus: config changes spread over the load, not a wait
      }
    } finally {
      done = true;
      await load;
    }
    assert.deepEqual(failures, []);
    assert.ok(count >= 20, `the loop ran alongside the updates (${count} requests)`);
    assert.equal((await status()).version, version + 20, 'every update was applied');
  });
});
