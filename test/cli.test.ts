// The `loopgate` command as users run it: serve prints its URLs, answers, and drains on SIGTERM.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from './helpers/backend.ts';

const BIN = new URL('../bin/loopgate.js', import.meta.url).pathname;

function run(args: string[], cwd: string) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 20_000 });
}

/** Start `loopgate serve`, resolve with the URLs it prints. */
async function serve(
  args: string[],
  cwd: string,
): Promise<{ child: ChildProcess; site: string; control: string; lines: string[] }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve, reject) => {
    let site = '';
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const s = /^Loopgate serving (\S+)/.exec(line);
      if (s) site = s[1]!;
      const c = /^Control\s+(\S+)/.exec(line);
      if (c) resolve({ child, site, control: c[1]!, lines });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

describe('loopgate CLI', () => {
  let dir: string;
  let backend: Backend;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loopgate-cli-'));
    backend = await startBackend();
  });
  after(async () => {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('serve with flags proxies a route, prints the control URL with a token, exits 0 on SIGTERM', async () => {
    const { child, site, control } = await serve(['--port', '0', '--route', `/api=${backend.url}/v1`], dir);
    assert.match(site, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(control, /token=[0-9a-f]{32}$/);
    const echo = (await (await fetch(`${site}/api/users`)).json()) as { url: string };
    assert.equal(echo.url, '/v1/users');
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  test('a bad config file is refused with the field named, and exit code 2', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ maxBodySize: 'lots', routes: [{ match: '/api', target: 'nope' }] }));
    const r = run(['serve', '--config', file, '--port', '0'], dir);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /maxBodySize/);
    assert.match(r.stderr, /routes\.0\.target/);
  });

  test('check lists routes; a bad --route flag says how to write it', () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify({ routes: [{ match: '/api/', target: 'http://localhost:8888/v2' }] }));
    const ok = run(['check', '--config', file], dir);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /\/api\/\s+→ http:\/\/localhost:8888\/v2/);
    assert.match(ok.stdout, /warning/, 'the slash mismatch is warned about');
    const bad = run(['serve', '--route', '/api', '--port', '0'], dir);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /PREFIX=URL/);
  });

  test('a port in use is a clear error', async () => {
    const { child, site } = await serve(['--port', '0'], dir);
    const port = new URL(site).port;
    const r = run(['serve', '--port', port, '--no-control'], dir);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /another program uses that port/);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });
});
