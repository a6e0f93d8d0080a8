// `loopgate start`: Electron when it can start (its runtime fetched on first start), browser mode with one clear line when it cannot.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { crc32 } from 'node:zlib';
import { ensureElectron, findElectron, type LaunchPaths, runElectron } from '../main/launch.ts';
import { close, listen } from './helpers/net.ts';

const dir = mkdtempSync(join(tmpdir(), 'loopgate-launch-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const realElectron = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
const electronVersion = (JSON.parse(readFileSync(join(realElectron, 'package.json'), 'utf8')) as { version: string })
  .version;

function fakeElectron(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** A zip archive with stored (uncompressed) files, unix modes kept: what an Electron release zip is to its installer. */
function zip(files: Array<{ name: string; data: Buffer; mode: number }>): Buffer {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(0x21, 12); // date: 1980-01-01
    head.writeUInt32LE(crc32(f.data), 14);
    head.writeUInt32LE(f.data.length, 18);
    head.writeUInt32LE(f.data.length, 22);
    head.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE((3 << 8) | 20, 4); // made on unix: the external attributes carry the mode
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x21, 14);
    cd.writeUInt32LE(crc32(f.data), 16);
    cd.writeUInt32LE(f.data.length, 20);
    cd.writeUInt32LE(f.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE((f.mode << 16) >>> 0, 38);
    cd.writeUInt32LE(offset, 42);
    local.push(head, name, f.data);
    central.push(cd, name);
    offset += head.length + name.length + f.data.length;
  }
  const cdBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cdBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, cdBytes, end]);
}

/** A project whose node_modules/electron is a copy of the installed package, its runtime not downloaded. */
function projectWithElectron(name: string): LaunchPaths & { root: string } {
  const root = join(dir, name);
  const pkg = join(root, 'node_modules', 'electron');
  mkdirSync(pkg, { recursive: true });
  for (const f of ['package.json', 'index.js', 'install.js', 'checksums.json'])
    copyFileSync(join(realElectron, f), join(pkg, f));
  // The installer's own dependencies, as npm installed them.
  const from = createRequire(join(realElectron, 'package.json'));
  for (const dep of ['@electron/get', 'extract-zip']) {
    mkdirSync(dirname(join(pkg, 'node_modules', dep)), { recursive: true });
    symlinkSync(dirname(from.resolve(`${dep}/package.json`)), join(pkg, 'node_modules', dep));
  }
  const shell = join(root, 'electron-main.cjs');
  writeFileSync(shell, '// stand-in shell\n');
  return { root, from: pathToFileURL(join(root, 'index.js')).href, shell };
}

/** A loopback download mirror: serves these files by name, 404 for anything else; records what was asked. */
async function mirror(files: Record<string, Buffer>) {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(req.url!);
    const body = files[req.url!.split('/').pop()!];
    res.writeHead(body ? 200 : 404, { 'content-length': body ? body.length : 0 }).end(body);
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/`, asked, close: () => close(server) };
}

function downloadEnv(mirrorUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ELECTRON_MIRROR: mirrorUrl,
    electron_config_cache: join(dir, 'electron-cache'),
  };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  return env;
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
  assert.match(readFileSync(out, 'utf8'), /electron-main\.cjs --port 0/);
});

test('first start: the runtime npm install left out is downloaded, checked and then found', async () => {
  const project = projectWithElectron('fetch-ok');
  assert.deepEqual(findElectron(project), { ok: false, reason: 'its runtime is not downloaded' });
  const file = `electron-v${electronVersion}-${process.platform}-${process.arch}.zip`;
  const archive = zip([
    { name: 'electron', data: Buffer.from('#!/bin/sh\necho "stand-in $@"\n'), mode: 0o100755 },
    { name: 'version', data: Buffer.from(electronVersion), mode: 0o100644 },
  ]);
  const sums = Buffer.from(`${createHash('sha256').update(archive).digest('hex')} *${file}\n`);
  const m = await mirror({ [file]: archive, 'SHASUMS256.txt': sums });
  try {
    const said: string[] = [];
    // Remote checksums: the stand-in zip is checked against the mirror's SHASUMS256.txt, not Electron's own.
    const env = { ...downloadEnv(m.url), electron_use_remote_checksums: '1' };
    const found = await ensureElectron((l) => said.push(l), project, env);
    assert.deepEqual(found, { ok: true, path: join(project.root, 'node_modules/electron/dist/electron') });
    assert.deepEqual(said, [`Downloading the Electron ${electronVersion} runtime (about 100 MB, needed once)…`]);
    assert.ok(
      m.asked.some((u) => u.endsWith(`/v${electronVersion}/${file}`)),
      m.asked.join(', '),
    );
    const run = await runElectron(found.ok ? found.path : '', ['--port', '0']);
    assert.deepEqual(run, { started: true, code: 0 });
    // The next start finds it without asking the mirror again.
    const before = m.asked.length;
    assert.equal((await ensureElectron(() => assert.fail('no second download'), project, env)).ok, true);
    assert.equal(m.asked.length, before);
  } finally {
    await m.close();
  }
});

test('a download that fails gives its reason in one line, without the installer stack', async () => {
  const project = projectWithElectron('fetch-404');
  const m = await mirror({});
  try {
    const found = await ensureElectron(() => {}, project, downloadEnv(m.url));
    assert.equal(found.ok, false);
    if (!found.ok) {
      assert.match(found.reason, /^its runtime could not be downloaded \(.*404.*\)$/);
      assert.doesNotMatch(found.reason, /\n|\bat /);
    }
  } finally {
    await m.close();
  }
  const skipped = await ensureElectron(() => assert.fail('no download'), project, {
    ...process.env,
    ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
  });
  assert.deepEqual(skipped, {
    ok: false,
    reason: 'its runtime is not downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD is set)',
  });
});

test('no electron package (npm drops it when its download fails) or no shell build: said, nothing downloaded', async () => {
  const bare = join(dir, 'bare');
  mkdirSync(bare);
  const none = { from: pathToFileURL(join(bare, 'index.js')).href, shell: join(bare, 'electron-main.cjs') };
  assert.deepEqual(await ensureElectron(() => assert.fail('no download'), none), {
    ok: false,
    reason: 'the electron package is not installed (npm skips it when its download fails)',
  });
  const project = projectWithElectron('no-shell');
  rmSync(project.shell);
  assert.deepEqual(await ensureElectron(() => assert.fail('no download'), project), {
    ok: false,
    reason: 'the desktop shell is not built yet (npm run build)',
  });
});

test('without the Electron runtime, `start` says why in one line and serves in browser mode', async (t) => {
  if (findElectron().ok) return t.skip('an Electron runtime is installed here');
  const m = await mirror({});
  const child = spawn(
    process.execPath,
    [new URL('../bin/loopgate.js', import.meta.url).pathname, 'start', '--port', '0'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: downloadEnv(m.url) },
  );
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const lines: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (l) => {
        lines.push(l);
        if (l.startsWith('Electron cannot start here')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${lines.join('\n')}`)));
    });
  } finally {
    await m.close();
  }
  assert.match(lines[0]!, /^Downloading the Electron [\d.]+ runtime/);
  assert.ok(lines.some((l) => l.startsWith('Loopgate serving http://127.0.0.1:')));
  assert.match(
    lines.at(-1)!,
    /^Electron cannot start here: its runtime could not be downloaded \(.*404.*\); running in browser mode — open http:\/\/127\.0\.0\.1:\d+\/\?token=/,
  );
  assert.equal(stderr, '', 'no stack or installer output');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
