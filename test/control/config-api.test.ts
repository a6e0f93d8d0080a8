// The config endpoints over a real Runtime and control server: command-line config visible, versions and 409s, save to a file, a refused hand edit, reload.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConfigState } from '../../shared/api.ts';
import { Runtime } from '../../main/runtime.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { call, TOKEN } from '../helpers/control.ts';
import { waitFor } from '../helpers/net.ts';

describe('config API over a real runtime', () => {
  let dir: string;
  let backend: Backend;
  let rt: Runtime;
  let port: number;
  const file = () => join(dir, 'loopgate.json');
  const state = async () => (await call(port, 'GET', '/api/config/state')).json as ConfigState;
  const editorSave = (content: string) => {
    writeFileSync(`${file()}.swp`, content);
    renameSync(`${file()}.swp`, file());
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loopgate-config-api-'));
    backend = await startBackend();
    // As `loopgate serve --root DIR --route /api=… --route /ws=… --port 0` runs it: no config file.
    rt = await Runtime.start({
      baseDir: dir,
      overlay: {
        listen: { port: 0 },
        root: dir,
        routes: [
          { match: '/api', target: `${backend.url}/api` },
          { match: '/ws', target: backend.url.replace('http', 'ws') },
        ],
      },
      control: { port: 0, token: TOKEN },
    });
    port = Number(new URL(rt.controlUrl!).port);
  });
  after(async () => {
    await rt?.stop();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the command line is the config you see: GET /api/config has its routes, root and port', async () => {
    const got = await call(port, 'GET', '/api/config');
    assert.equal(got.status, 200);
    assert.deepEqual(
      got.json.routes.map((r: { match: string }) => r.match),
      ['/api', '/ws'],
    );
    assert.equal(got.json.root, dir);
    assert.equal(got.json.listen.port, 0);
    assert.match(String(got.headers.etag), /^"\d+"$/);
    const s = await state();
    assert.deepEqual(s.source.origin, { kind: 'command-line' });
    assert.equal(s.source.file, null);
    assert.equal(s.source.saveAs, file());
    assert.equal(s.source.commandLine.length, 4);
    // And it is what serves.
    const echo = (await (await fetch(`${rt.siteUrl}/api/hello`)).json()) as { url: string };
    assert.equal(echo.url, '/api/hello');
  });

  it('in memory, a change is applied but never reported as saved; save writes loopgate.json', async () => {
    const s = await state();
    const put = await call(port, 'PUT', `/api/config?version=${s.version}`, {
      body: { ...s.config, cors: { enabled: true } },
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.saved, false);
    assert.equal(put.json.file, null);
    const saved = await call(port, 'POST', '/api/config/save', { body: { version: put.json.version } });
    assert.equal(saved.status, 200, saved.text);
    assert.equal(saved.json.saved, true);
    assert.equal(saved.json.file, file());
    const disk = JSON.parse(readFileSync(file(), 'utf8'));
    assert.deepEqual(
      disk.routes.map((r: { match: string }) => r.match),
      ['/api', '/ws'],
    );
    assert.equal(disk.cors.enabled, true);
    assert.equal((await call(port, 'GET', '/api/status')).json.configFile, file());
    const again = await call(port, 'POST', '/api/config/save', { body: {} });
    assert.equal(again.status, 200, 'saving a file-backed config again is fine');
  });

  it('a stale PUT (If-Match or ?version) is refused 409 with both versions; 20 trials lose no hand edit', async () => {
    for (let i = 0; i < 20; i++) {
      const s = await state();
      editorSave(`${JSON.stringify({ ...s.config, charset: `hand-${i}` }, null, 2)}\n`);
      const body = { ...s.config, charset: `ui-${i}` };
      const stale =
        i % 2
          ? await call(port, 'PUT', '/api/config', { body, headers: { 'if-match': `"${s.version}"` } })
          : await call(port, 'PUT', `/api/config?version=${s.version}`, { body });
      assert.equal(stale.status, 409, `trial ${i}: ${stale.text}`);
      assert.equal(stale.json.error.code, 'STALE_CONFIG');
      assert.equal(stale.json.conflict.yours.version, s.version);
      assert.ok(stale.json.conflict.current.version > s.version);
      assert.equal(stale.json.conflict.current.config.charset, `hand-${i}`);
      assert.equal(JSON.parse(readFileSync(file(), 'utf8')).charset, `hand-${i}`, `trial ${i}: the edit is on disk`);
      assert.equal(rt.store.input.charset, `hand-${i}`, `trial ${i}: and runs`);
    }
    // Writing over it on purpose (the UI's "save mine over it") keeps the hand edit as a copy.
    const s = await state();
    editorSave(`${JSON.stringify({ ...s.config, charset: 'hand-last' }, null, 2)}\n`);
    const over = await call(port, 'PUT', `/api/config?version=${s.version}&overwrite=true`, {
      body: { ...s.config, charset: 'mine' },
    });
    assert.equal(over.status, 200, over.text);
    assert.equal(JSON.parse(readFileSync(over.json.backup, 'utf8')).charset, 'hand-last');
    assert.equal(JSON.parse(readFileSync(file(), 'utf8')).charset, 'mine');
  });

  it('a refused hand edit is in the state; puts run in memory; reload takes the fixed file', async () => {
    const before = await state();
    const bad = `${JSON.stringify({ ...before.config, routes: [{ match: '/api', taget: backend.url }] }, null, 2)}\n`;
    editorSave(bad);
    const refused = await waitFor(async () => (await state()).refusedEdit, 'the refusal in the state');
    assert.deepEqual(
      refused!.errors.map((e) => e.path),
      ['routes.0.target', 'routes.0.taget'],
    );
    assert.match((await call(port, 'GET', '/api/status')).json.lastError, /taget/);
    const s = await state();
    const put = await call(port, 'PUT', `/api/config?version=${s.version}`, { body: { ...s.config, spa: false } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.saved, false);
    assert.equal(readFileSync(file(), 'utf8'), bad, 'not written over');
    const still = await call(port, 'POST', '/api/config/reload', { body: {} });
    assert.equal(still.status, 400);
    editorSave(`${JSON.stringify({ ...before.config, charset: 'fixed' }, null, 2)}\n`);
    await waitFor(async () => (await state()).refusedEdit === null, 'the fixed file taken in');
    const reloaded = await call(port, 'POST', '/api/config/reload', { body: {} });
    assert.equal(reloaded.status, 200, reloaded.text);
    assert.equal(rt.store.input.charset, 'fixed');
  });

  it('serve --nginx: the imported block is the config, its origin the nginx file, flags over it', async () => {
    const other = await Runtime.start({
      input: { listen: { port: 0 }, routes: [{ match: '/api', target: 'http://127.0.0.1:1/api' }], spa: false },
      nginxFile: join(dir, 'site.conf'),
      baseDir: dir,
      overlay: { routes: [{ match: '/api', target: `${backend.url}/api` }] },
      control: false,
    });
    try {
      const s = other.controller.getConfig();
      assert.deepEqual(s.source.origin, { kind: 'nginx', file: join(dir, 'site.conf') });
      assert.equal(s.source.file, null);
      assert.equal(s.config.spa, false);
      assert.deepEqual(s.config.routes, [{ match: '/api', target: `${backend.url}/api` }], 'the flag wins');
    } finally {
      await other.stop();
    }
  });

  it('bad write options are refused with the field named', async () => {
    const r = await call(port, 'PUT', '/api/config?version=abc', { body: (await state()).config });
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /"version"/);
  });
});
