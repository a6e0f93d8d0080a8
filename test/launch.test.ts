// `loopgate start`: Electron when it can start, browser mode with one clear line when it cannot.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { findElectron, runElectron } from '../main/launch.ts';

const dir = mkdtempSync(join(tmpdir(), 'loopgate-launch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fakeElectron(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

test('a runtime that dies at start is reported as not started, with its error line', async () => {
  const bin = fakeElectron('broken', 'echo "error while loading shared libraries: libgtk-3.so.0" >&2; exit 127');
  const r = await runElectron(bin, ['--port', '0']);
  assert.equal(r.started, false);
  if (!r.started) assert.match(r.reason, /libgtk/);
});

test('a runtime that runs is reported as started with its exit code, and gets the arguments', async () => {
  const out = join(dir, 'args.txt');
  const bin = fakeElectron('ok', `echo "$@" > ${out}; exit 0`);
  const r = await runElectron(bin, ['--port', '0']);
  assert.deepEqual(r, { started: true, code: 0 });
  const { readFileSync } = await import('node:fs');
  assert.match(readFileSync(out, 'utf8'), /electron-main\.cjs --port 0/);
});

test('without the Electron runtime, `start` says why in one line and serves in browser mode', async (t) => {
  const found = findElectron();
  if (found.ok) return t.skip('an Electron runtime is installed here');
  const child = spawn(
    process.execPath,
    [new URL('../bin/loopgate.js', import.meta.url).pathname, 'start', '--port', '0'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(l);
      if (l.startsWith('Electron cannot start here')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${lines.join('\n')}`)));
  });
  assert.ok(lines.some((l) => l.startsWith('Loopgate serving http://127.0.0.1:')));
  assert.match(lines.at(-1)!, /running in browser mode — open http:\/\/127\.0\.0\.1:\d+\/\?token=/);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
