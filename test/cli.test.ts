// The `loopgate` command as users run it: serve prints its URLs, answers, and drains on SIGTERM.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

  test('--config naming a missing file is refused in one line (serve, start, check, export-nginx) and never created', () => {
    const missing = join(dir, 'missing.json');
    for (const command of ['serve', 'start', 'check', 'export-nginx']) {
      const extra = command === 'serve' || command === 'start' ? ['--port', '0', '--no-control'] : [];
      const r = run([command, '--config', 'missing.json', ...extra], dir);
      assert.equal(r.status, 2, `${command}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, '', `${command} printed nothing else`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(r.stderr.startsWith(`loopgate: --config ${missing}: no such file;`), r.stderr);
      assert.equal(existsSync(missing), false, `${command} did not create ${missing}`);
    }
  });

  test('check passes a config whose root exists (exit 0)', () => {
    mkdirSync(join(dir, 'site'), { recursive: true });
    const file = join(dir, 'rooted.json');
    writeFileSync(file, JSON.stringify({ root: 'site' }));
    const r = run(['check', '--config', file], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /is valid\./);
    assert.doesNotMatch(r.stdout, /warning/);
  });

  test('a port in use is a clear error naming the flag to change: --port for the site, --control-port for the control server', async () => {
    const { child, site, control } = await serve(['--port', '0'], dir);
    try {
      const port = new URL(site).port;
      const r = run(['serve', '--port', port, '--no-control'], dir);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /another program uses that port; pick another with --port\n$/);
      const controlPort = new URL(control).port;
      const c = run(['serve', '--port', '0', '--control-port', controlPort], dir);
      assert.equal(c.status, 2);
      assert.match(
        c.stderr,
        new RegExp(`:${controlPort}: another program uses that port; pick another with --control-port`),
      );
      assert.doesNotMatch(c.stderr, /with --port\b/);
      for (const out of [r.stderr, c.stderr]) assert.equal(out.trim().split('\n').length, 1, out);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  test('user-facing errors are one line saying what to do, never a stack', () => {
    const token = run(['serve', '--port', '0', '--token', 'short'], dir);
    assert.equal(token.status, 2);
    assert.equal(
      token.stderr,
      'loopgate: --token is too short: the control token must have at least 8 characters; pass a longer one, or leave --token out for a random token\n',
    );
    const missing = run(['import-nginx', 'no-such-site.conf'], dir);
    assert.equal(missing.status, 2);
    assert.equal(missing.stderr, `loopgate: cannot read ${join(dir, 'no-such-site.conf')}: no such file\n`);
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '{ "routes": [ }');
    const cases = [
      token,
      missing,
      run(['check', '--config', notJson], dir),
      run(['serve', '--port', '99999'], dir),
      run(['serve', '--control-host', '0.0.0.0', '--port', '0'], dir),
    ];
    for (const r of cases) {
      assert.notEqual(r.status, 0, r.stderr);
      assert.match(r.stderr, /^loopgate: /, r.stderr);
      assert.doesNotMatch(r.stderr, /^\s+at /m, `no stack: ${r.stderr}`);
    }
  });

  test('serve and check print targets as written (no added "/", ws:// kept), mark WebSocket routes, and warn on a missing root', async () => {
    const file = join(dir, 'targets.json');
    writeFileSync(
      file,
      JSON.stringify({
        root: 'no-such-dist',
        routes: [
          { match: '/api', target: `${backend.url}` },
          { match: '/ws', target: `ws://127.0.0.1:${backend.port}` },
          { match: '/v2/', target: `${backend.url}/v2/`, ws: false },
        ],
      }),
    );
    const checked = run(['check', '--config', file], dir);
    assert.equal(checked.status, 1, 'check is a validator: a root that does not exist fails it');
    const missingRoot = `${join(dir, 'no-such-dist')} does not exist`;
    assert.ok(checked.stdout.includes(`warning: ${missingRoot}`), checked.stdout);
    assert.ok(checked.stderr.startsWith(`loopgate: check failed: root ${missingRoot}`), checked.stderr);
    assert.equal(checked.stderr.trim().split('\n').length, 1, checked.stderr);
    assert.match(checked.stdout, new RegExp(`/api\\s+→ ${backend.url} \\(\\+WebSocket\\)$`, 'm'));
    assert.match(checked.stdout, new RegExp(`/ws\\s+→ ws://127\\.0\\.0\\.1:${backend.port} \\(\\+WebSocket\\)$`, 'm'));
    assert.match(checked.stdout, new RegExp(`/v2/\\s+→ ${backend.url}/v2/ \\(no WebSocket: ws false\\)$`, 'm'));
    const { child, lines } = await serve(['--config', file, '--port', '0', '--root', 'also-missing'], dir);
    try {
      const text = lines.join('\n');
      assert.ok(text.includes(`warning: ${join(dir, 'also-missing')} does not exist`), text);
      assert.match(text, new RegExp(`route +/api +→ ${backend.url} \\(\\+WebSocket\\)$`, 'm'));
      assert.match(text, new RegExp(`route +/ws +→ ws://127\\.0\\.0\\.1:${backend.port} \\(\\+WebSocket\\)$`, 'm'));
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
