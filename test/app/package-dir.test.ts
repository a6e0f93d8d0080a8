// electron-builder really packages the app (--dir, Linux) over a stand-in Electron runtime: app.asar contents, entry point, fuses flipped.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as {
  listPackage(p: string): string[];
  extractFile(p: string, f: string): Buffer;
};
const fuses = require('@electron/fuses') as { getCurrentFuseWire(p: string): Promise<Record<string, number | string>> };

// Electron's fuse wire (@electron/fuses): a sentinel, version 1, the fuse count, one byte per fuse.
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ON = 0x31;
const OFF = 0x30;
/** FuseV1Options order, with what build/electron-builder.yml asks for each. */
const WANTED: Array<[string, number]> = [
  ['runAsNode', OFF],
  ['enableCookieEncryption', ON],
  ['enableNodeOptionsEnvironmentVariable', OFF],
  ['enableNodeCliInspectArguments', OFF],
  ['enableEmbeddedAsarIntegrityValidation', ON],
  ['onlyLoadAppFromAsar', ON],
  ['loadBrowserProcessSpecificV8Snapshot', OFF],
  ['grantFileProtocolExtraPrivileges', OFF],
];

let work: string;
let out: string;
let build: { status: number | null; output: string };

before(() => {
  assert.ok(
    existsSync(join(ROOT, 'dist/app/electron-main.cjs')),
    'dist/ is built (npm test builds it first; else run npm run build)',
  );
  work = mkdtempSync(join(tmpdir(), 'loopgate-package-'));
  // The stand-in runtime: the files electron-builder copies, and a binary carrying Electron's default
  // fuse wire (every fuse in the state opposite to the one we want, so each flip shows).
  const dist = join(work, 'electron-dist');
  mkdirSync(join(dist, 'resources'), { recursive: true });
  mkdirSync(join(dist, 'locales'));
  const wire = Buffer.from([1, WANTED.length, ...WANTED.map(([, want]) => (want === ON ? OFF : ON))]);
  writeFileSync(
    join(dist, 'electron'),
    Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n# '), Buffer.from(SENTINEL), wire, Buffer.from('\n')]),
  );
  chmodSync(join(dist, 'electron'), 0o755);
  writeFileSync(join(dist, 'LICENSE'), 'stand-in');
  writeFileSync(join(dist, 'version'), (require('electron/package.json') as { version: string }).version);
  out = join(work, 'out');
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/electron-builder/cli.js'),
      '--config',
      'build/electron-builder.yml',
      '--linux',
      'dir',
      `-c.electronDist=${dist}`,
      `-c.directories.output=${out}`,
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } },
  );
  build = { status: r.status, output: `${r.stdout}\n${r.stderr}` };
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const unpacked = () => join(out, 'linux-unpacked');
const appAsar = () => join(unpacked(), 'resources', 'app.asar');

test('electron-builder packages the app: the executable is named loopgate, the app is one app.asar', () => {
  assert.equal(build.status, 0, build.output);
  assert.ok(statSync(join(unpacked(), 'loopgate')).mode & 0o100, 'executable');
  assert.ok(existsSync(appAsar()));
  assert.equal(existsSync(join(unpacked(), 'resources', 'app')), false, 'no unpacked app folder beside the asar');
});

test('app.asar holds the built shell, preload, UI and tray icons; no sources, maps or dev tools', () => {
  assert.equal(build.status, 0, build.output);
  const files = new Set(asar.listPackage(appAsar()).map((f) => f.replace(/\\/g, '/')));
  for (const f of [
    '/package.json',
    '/dist/app/electron-main.cjs',
    '/dist/app/preload.cjs',
    '/dist/renderer/index.html',
    '/dist/renderer/app.js',
    '/dist/renderer/style.css',
  ]) {
    assert.ok(files.has(f), `${f} is packaged`);
  }
  for (const phase of ['running', 'stopped', 'error']) {
    for (const name of [
      `tray-${phase}.png`,
      `tray-${phase}@2x.png`,
      `tray-${phase}Template.png`,
      `tray-${phase}Template@2x.png`,
    ])
      assert.ok(files.has(`/dist/app/icons/${name}`), name);
  }
  const list = [...files];
  assert.deepEqual(
    list.filter((f) => f.endsWith('.map') && f.startsWith('/dist/')),
    [],
    'no source maps',
  );
  assert.deepEqual(
    list.filter((f) => /^\/(main|renderer|shared|test|bench|build|docs)\//.test(f)),
    [],
    'no sources',
  );
  for (const dev of [
    'electron',
    'electron-builder',
    'typescript',
    'playwright-core',
    'esbuild',
    'tsx',
    'http-proxy-3',
  ]) {
    assert.equal(files.has(`/node_modules/${dev}`), false, `devDependency ${dev} is not packaged`);
  }
});

test('the entry point is the built shell, and every package it requires is inside the asar', () => {
  assert.equal(build.status, 0, build.output);
  const pkg = JSON.parse(asar.extractFile(appAsar(), 'package.json').toString()) as {
    main: string;
    dependencies?: Record<string, string>;
  };
  assert.equal(pkg.main, 'dist/app/electron-main.cjs');
  const files = new Set(asar.listPackage(appAsar()).map((f) => f.replace(/\\/g, '/')));
  const main = readFileSync(join(ROOT, pkg.main), 'utf8');
  const external = [...new Set([...main.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!))].filter(
    (m) => !m.startsWith('node:') && m !== 'electron',
  );
  assert.ok(external.length > 0, 'the shell keeps its runtime dependencies external');
  for (const dep of external)
    assert.ok(files.has(`/node_modules/${dep}/package.json`), `${dep} (required by the shell) is packaged`);
  assert.doesNotMatch(
    readFileSync(join(ROOT, 'dist/app/preload.cjs'), 'utf8').replace(/require\("electron"\)/g, ''),
    /require\("/,
    'the sandboxed preload needs nothing but electron',
  );
});

test('the fuses of build/electron-builder.yml are flipped in the packaged binary', async () => {
  assert.equal(build.status, 0, build.output);
  const wire = await fuses.getCurrentFuseWire(join(unpacked(), 'loopgate'));
  assert.equal(wire.version, '1');
  const yml = readFileSync(join(ROOT, 'build/electron-builder.yml'), 'utf8');
  WANTED.forEach(([name, want], i) => {
    assert.match(yml, new RegExp(`\\n  ${name}: ${want === ON}\\n`), `${name} is configured ${want === ON}`);
    assert.equal(wire[i], want, `${name} is ${want === ON ? 'on' : 'off'} in the binary`);
  });
});
