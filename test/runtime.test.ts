// The assembled runtime: config file → engine → session log → control API, and live changes through it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Runtime } from '../main/runtime.ts';
import { startBackend, type Backend } from './helpers/backend.ts';
import { waitFor } from './helpers/net.ts';

describe('runtime', () => {
  let dir: string;
  let backend: Backend;
  let rt: Runtime;
  let file: string;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${rt.controlUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${rt.token}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string>),
      },
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loopgate-rt-'));
    backend = await startBackend();
    file = join(dir, 'loopgate.json');
    writeFileSync(
      file,
      JSON.stringify({ listen: { port: 0 }, routes: [{ match: '/api', target: backend.url }] }, null, 2),
    );
    rt = await Runtime.start({ configFile: file, control: { port: 0 } });
  });
  after(async () => {
    await rt.stop();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("Loopgate's own answers (404, no root) are logged with string headers", async () => {
    const res = await fetch(`${rt.siteUrl}/nothing`);
    assert.equal(res.status, 404);
    await res.text();
    const page = await waitFor(async () => {
      const list = (await (await api('/api/requests')).json()) as {
        items: Array<{ url: string; status?: number; done: boolean; responseHeaders?: Record<string, unknown> }>;
      };
      return list.items.find((r) => r.url === '/nothing' && r.done);
    }, 'the 404 in the log');
    assert.equal(page!.status, 404);
    assert.equal(typeof page!.responseHeaders?.['content-length'], 'string');
  });

  test('PUT /api/config applies at once and is saved; a bad one is refused and changes nothing', async () => {
    const before = readFileSync(file, 'utf8');
    const bad = await api('/api/config', {
      method: 'PUT',
      body: JSON.stringify({ listen: { port: 0 }, routes: [{ match: 'api', target: backend.url }] }),
    });
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { error: { errors?: Array<{ path: string }> } };
    assert.ok(JSON.stringify(body).includes('routes.0.match'), JSON.stringify(body));
    assert.equal(readFileSync(file, 'utf8'), before, 'the file is untouched');

    const ok = await api('/api/config', {
      method: 'PUT',
      body: JSON.stringify({ listen: { port: 0 }, routes: [{ match: '/v2', target: `${backend.url}/api/v2` }] }),
    });
    assert.equal(ok.status, 200, await ok.clone().text());
    const echo = (await (await fetch(`${rt.siteUrl}/v2/users`)).json()) as { url: string };
    assert.equal(echo.url, '/api/v2/users');
    assert.match(readFileSync(file, 'utf8'), /"\/v2"/);
  });

  test('one save publishes one config event', async () => {
    const events: unknown[] = [];
    const off = rt.log.subscribe((batch) => events.push(...batch.filter((e) => e.type === 'config')));
    const ok = await api('/api/config', {
      method: 'PUT',
      body: JSON.stringify({ listen: { port: 0 }, routes: [{ match: '/v3', target: backend.url }] }),
    });
    assert.equal(ok.status, 200, await ok.clone().text());
    rt.log.flush();
    off();
    assert.deepEqual(events, [{ type: 'config', version: rt.store.version }]);
  });
});
