// `loopgate serve` and its config: flags shown as part of it, a refused hand edit printed with fields and reasons, no backup per failed start.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from './helpers/backend.ts';
import { waitFor } from './helpers/net.ts';

const BIN = new URL('../bin/loopgate.js', import.meta.url).pathname;

/** `loopgate serve ARGS` in CWD: its stdout lines and stderr as they come, and the URLs it prints. */
async function serve(args: string[], cwd: string) {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { lines: [] as string[], stderr: '' };
  child.stderr!.on('data', (d: Buffer) => {
    out.stderr += d;
  });
  const urls = await new Promise<{ site: string; control: string; token: string }>((resolve, reject) => {
    let site = '';
    createInterface({ input: child.stdout! }).on('line', (line) => {
      out.lines.push(line);
      const s = /^Loopgate serving (\S+)/.exec(line);
      if (s) site = s[1]!;
      const c = /^Control\s+(\S+)\/\?token=(\S+)/.exec(line);
      if (c) resolve({ site, control: c[1]!, token: c[2]! });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out.stderr}`)));
  });
  const stop = async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return { child, out, ...urls, stop };
}

describe('loopgate serve: the config it runs', () => {
  let dir: string;
  let backend: Backend;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loopgate-cli-config-'));
    backend = await startBackend();
  });
  after(async () => {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('flags over loopgate.json: printed, in GET /api/config; a refused hand edit is printed with fields and reasons', async () => {
    const file = join(dir, 'loopgate.json');
    const original = `${JSON.stringify({ listen: { port: 0 }, routes: [{ match: '/old', target: backend.url }] }, null, 2)}\n`;
    writeFileSync(file, original);
    const lg = await serve(['--route', `/api=${backend.url}/v1`], dir);
    try {
      assert.ok(
        lg.out.lines.some((l) => /flags\s+--route \/api=.*not written into it/.test(l)),
        lg.out.lines.join('\n'),
      );
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`${lg.control}${path}`, { ...init, headers: { authorization: `Bearer ${lg.token}` } });
      const config = (await (await api('/api/config')).json()) as { routes: Array<{ match: string }> };
      assert.deepEqual(
        config.routes.map((r) => r.match),
        ['/old', '/api'],
      );
      const echo = (await (await fetch(`${lg.site}/api/users`)).json()) as { url: string };
      assert.equal(echo.url, '/v1/users');

      const bad = `${JSON.stringify({ listen: { port: 0 }, routes: [{ match: '/old', taget: backend.url }] }, null, 2)}\n`;
      writeFileSync(`${file}.swp`, bad);
      renameSync(`${file}.swp`, file);
      await waitFor(() => lg.out.stderr.includes('taget'), 'the refusal on stderr');
      assert.match(lg.out.stderr, /loopgate\.json: edit refused/);
      assert.match(lg.out.stderr, /routes\.0\.taget: unknown field "taget": did you mean "target"\?/);
      assert.match(lg.out.stderr, /not overwritten/);
      assert.doesNotMatch(lg.out.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(readFileSync(file, 'utf8'), bad, 'the hand edit stays');
    } finally {
      await lg.stop();
    }
  });

  test('with no file the config is in memory and says so; a failed start leaves one backup, not one per try', async () => {
    const mem = mkdtempSync(join(dir, 'mem-'));
    const lg = await serve(['--port', '0', '--root', mem, '--route', `/api=${backend.url}`], mem);
    try {
      assert.ok(
        lg.out.lines.some((l) => /config\s+in memory, from the command line: .*loopgate\.json/.test(l)),
        lg.out.lines.join('\n'),
      );
    } finally {
      await lg.stop();
    }
    const broken = mkdtempSync(join(dir, 'broken-'));
    writeFileSync(join(broken, 'loopgate.json'), '{ "routes": "not-a-list" }');
    for (let i = 0; i < 3; i++) {
      const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--route', `/api=${backend.url}`], {
        cwd: broken,
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /routes: must be a list/);
      assert.equal((r.stderr.match(/routes/g) ?? []).length >= 1, true);
    }
    assert.equal(readdirSync(broken).filter((n) => n.includes('.bak-')).length, 1);
  });
});
