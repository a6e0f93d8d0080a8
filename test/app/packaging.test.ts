// Packaging: the icons drawn by build/make-icons.mjs decode and show the states; electron-builder.yml is valid with fuses; dist preflight.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { checkPackaging } from '../../build/dist-preflight.ts';
// @ts-expect-error: a plain .mjs build script without types
import { makeIcons } from '../../build/make-icons.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'loopgate-icons-'));
after(() => rmSync(out, { recursive: true, force: true }));

/** Decode an 8-bit RGBA PNG with filter 0 rows (what make-icons writes), checking every chunk's CRC. */
function decodePng(buf: Buffer): { width: number; height: number; px: Buffer } {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let i = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  const { crc32 } = createRequire(import.meta.url)('node:zlib') as { crc32?: (b: Buffer) => number };
  for (;;) {
    const len = buf.readUInt32BE(i);
    const type = buf.toString('ascii', i + 4, i + 8);
    const data = buf.subarray(i + 8, i + 8 + len);
    if (crc32) assert.equal(buf.readUInt32BE(i + 8 + len), crc32(buf.subarray(i + 4, i + 8 + len)), `${type} CRC`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([data[8], data[9]], [8, 6], '8-bit RGBA');
    }
    if (type === 'IDAT') idat.push(data);
    i += 12 + len;
    if (type === 'IEND') break;
  }
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, (width * 4 + 1) * height);
  const px = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) raw.copy(px, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  return { width, height, px };
}

const files: string[] = makeIcons(out);

test('make-icons writes every file electron-builder and the tray use', () => {
  for (const f of [
    'icon.png',
    'icon.ico',
    'icon.icns',
    'app.png',
    'png/16x16.png',
    'png/512x512.png',
    'png/1024x1024.png',
  ])
    assert.ok(files.includes(f), f);
  for (const phase of ['running', 'stopped', 'error']) {
    for (const v of ['', '@2x', 'Template', 'Template@2x'])
      assert.ok(files.includes(`tray/tray-${phase}${v}.png`), `${phase}${v}`);
  }
  // The committed icons are what the script draws.
  for (const f of files)
    assert.ok(
      readFileSync(join(out, f)).equals(readFileSync(join(ROOT, 'build/icons', f))),
      `build/icons/${f} is up to date`,
    );
});

test('app icon: 1024×1024, opaque in the middle, transparent corners (macOS margin)', () => {
  const { width, height, px } = decodePng(readFileSync(join(out, 'icon.png')));
  assert.deepEqual([width, height], [1024, 1024]);
  const alpha = (x: number, y: number) => px[(y * width + x) * 4 + 3]!;
  assert.equal(alpha(512, 200), 255);
  assert.equal(alpha(2, 2), 0);
  assert.equal(alpha(1021, 1021), 0);
});

test('tray icons: colored per state, macOS templates black with alpha only, glyphs differ', () => {
  const pixels = (name: string) => decodePng(readFileSync(join(out, 'tray', name)));
  const dominant = (name: string) => {
    const { px } = pixels(name);
    let best = [0, 0, 0, 0];
    for (let i = 0; i < px.length; i += 4)
      if (px[i + 3]! === 255 && px[i + 1]! + px[i]! + px[i + 2]! > best[0]! + best[1]! + best[2]!)
        best = [px[i]!, px[i + 1]!, px[i + 2]!, 255];
    return best;
  };
  const [rr, rg] = dominant('tray-running@2x.png');
  assert.ok(rg! > 150 && rr! < 100, 'running is green');
  const [er, eg] = dominant('tray-error@2x.png');
  assert.ok(er! > 200 && eg! < 100, 'error is red');
  const [sr, sg, sb] = dominant('tray-stopped@2x.png');
  assert.ok(Math.abs(sr! - sg!) < 20 && Math.abs(sg! - sb!) < 30, 'stopped is grey');
  const masks = new Set<string>();
  for (const phase of ['running', 'stopped', 'error']) {
    const { width, px } = pixels(`tray-${phase}Template@2x.png`);
    assert.equal(width, 32);
    let opaque = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3]! > 0) assert.deepEqual([px[i], px[i + 1], px[i + 2]], [0, 0, 0], 'template pixels are black');
      if (px[i + 3]! > 128) opaque++;
    }
    assert.ok(opaque > 50, `${phase} template has a shape`);
    masks.add(px.toString('base64'));
  }
  assert.equal(masks.size, 3, 'the three states differ in shape, not only in color');
  assert.equal(pixels('tray-running.png').width, 16);
});

test('.ico and .icns: headers and embedded PNGs are consistent', () => {
  const ico = readFileSync(join(out, 'icon.ico'));
  assert.deepEqual([ico.readUInt16LE(0), ico.readUInt16LE(2)], [0, 1]);
  const count = ico.readUInt16LE(4);
  const sizes: number[] = [];
  for (let k = 0; k < count; k++) {
    const e = 6 + 16 * k;
    const size = ico[e] || 256;
    const png = ico.subarray(ico.readUInt32LE(e + 12), ico.readUInt32LE(e + 12) + ico.readUInt32LE(e + 8));
    assert.equal(decodePng(png).width, size);
    sizes.push(size);
  }
  assert.deepEqual(sizes, [16, 24, 32, 48, 64, 128, 256]);
  const icns = readFileSync(join(out, 'icon.icns'));
  assert.equal(icns.toString('ascii', 0, 4), 'icns');
  assert.equal(icns.readUInt32BE(4), icns.length);
  const types: string[] = [];
  for (let i = 8; i < icns.length; ) {
    const type = icns.toString('ascii', i, i + 4);
    const len = icns.readUInt32BE(i + 4);
    const { width } = decodePng(icns.subarray(i + 8, i + len));
    if (type === 'ic10') assert.equal(width, 1024);
    if (type === 'ic07') assert.equal(width, 128);
    types.push(type);
    i += len;
  }
  assert.ok(['ic07', 'ic08', 'ic09', 'ic10'].every((t) => types.includes(t)));
});

test("electron-builder.yml passes electron-builder's own schema, with the targets and fuses asked for", async () => {
  const require = createRequire(join(ROOT, 'package.json'));
  const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
    getConfig(dir: string, file: string, extra: null): Promise<Record<string, any>>;
    validateConfiguration(c: unknown, log: unknown): Promise<void>;
  };
  const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
  const config = await getConfig(ROOT, 'build/electron-builder.yml', null);
  await validateConfiguration(config, new DebugLogger(false));
  assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
  assert.equal(config.mac.target, 'dmg');
  assert.equal(config.win.target, 'nsis');
  assert.equal(config.electronFuses.runAsNode, false);
  assert.equal(config.electronFuses.onlyLoadAppFromAsar, true);
  assert.equal(config.electronFuses.enableEmbeddedAsarIntegrityValidation, true);
  assert.equal(config.electronFuses.enableNodeOptionsEnvironmentVariable, false);
  assert.equal(config.electronFuses.enableNodeCliInspectArguments, false);
  assert.equal(config.asar, true);
  assert.equal(config.extraMetadata.main, 'dist/app/electron-main.cjs');
  for (const icon of [config.mac.icon, config.win.icon, `${config.linux.icon}/512x512.png`])
    assert.ok(readFileSync(join(ROOT, icon)).length > 0, icon);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    main: string;
    scripts: Record<string, string>;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    optionalDependencies: Record<string, string>;
  };
  assert.equal(pkg.main, 'dist/app/electron-main.cjs');
  // electron is an optional dependency (the install must not need its download host): the files
  // list keeps it out of the app, packaging exactly the runtime dependencies.
  const modules = (config.files as Array<{ filter: string[] }>)
    .flatMap((f) => f.filter)
    .filter((f) => f.includes('node_modules'));
  assert.deepEqual(modules[0], '!node_modules/**/*');
  const kept = /^node_modules\/\{(.+)\}\/\*\*\/\*$/.exec(modules[1] ?? '');
  assert.ok(kept, `the runtime dependencies are listed: ${modules[1]}`);
  assert.deepEqual(kept[1]!.split(',').sort(), Object.keys(pkg.dependencies).sort());
  assert.ok(pkg.optionalDependencies.electron, 'electron is an optional dependency');
  assert.equal(pkg.devDependencies.electron, undefined);
  assert.match(pkg.scripts.dist!, /dist-preflight\.ts && electron-builder --config build\/electron-builder\.yml$/);
});

test('dist preflight: no Electron runtime → one clear sentence; shell not built → says so', () => {
  const missing = checkPackaging(ROOT, () => {
    throw new Error(
      'Electron failed to install correctly, please delete node_modules/electron and try installing again',
    );
  });
  assert.ok(!missing.ok);
  assert.equal(missing.code, 'NO_ELECTRON_RUNTIME');
  assert.ok(!missing.message.includes('\n'));
  assert.match(missing.message, /npm run dist.*download host, or ELECTRON_MIRROR/);
  const empty = mkdtempSync(join(tmpdir(), 'loopgate-dist-'));
  try {
    const fakeBin = join(ROOT, 'package.json'); // any existing file stands in for the binary
    const r = checkPackaging(empty, () => fakeBin);
    assert.ok(!r.ok && r.code === 'NO_ELECTRON_RUNTIME', 'no node_modules/electron/dist in that folder');
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
