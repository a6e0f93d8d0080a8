// The Electron wiring as bundled, run against a fake `electron` module: startup order, window, tray, IPC, second launch, quit.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runInThisContext } from 'node:vm';
import { build } from 'esbuild';
import { BRIDGE_METHODS } from '../../main/app/bridge/bridge-methods.ts';
import { fakeElectron, FakeBrowserWindow, FakeTray, FakeWebContents } from '../helpers/fake-electron.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { waitFor } from '../helpers/net.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
let code: string;
let dir: string;
let appDir: string;
let backend: Backend;

before(async () => {
  const out = await build({
    entryPoints: [join(ROOT, 'main/app/electron-main.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  code = out.outputFiles[0]!.text;
  dir = mkdtempSync(join(tmpdir(), 'loopgate-electron-main-'));
  // The layout of dist/: app/ (bundle, preload, icons) next to renderer/.
  appDir = join(dir, 'dist', 'app');
  mkdirSync(join(appDir, 'icons'), { recursive: true });
  for (const f of readdirSync(join(ROOT, 'build/icons/tray')))
    copyFileSync(join(ROOT, 'build/icons/tray', f), join(appDir, 'icons', f));
  mkdirSync(join(dir, 'dist', 'renderer'));
  writeFileSync(join(dir, 'dist', 'renderer', 'index.html'), '<!doctype html><title>Loopgate</title>');
  backend = await startBackend();
});

after(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Run the bundle as Electron would (CommonJS, __dirname = dist/app), with `argv` and the fake module. */
function runMain(fake: ReturnType<typeof fakeElectron>, argv: string[], userData: string) {
  const realRequire = createRequire(join(ROOT, 'package.json'));
  const before = {
    argv: process.argv,
    env: process.env.LOOPGATE_USER_DATA,
    sigint: process.listeners('SIGINT'),
    sigterm: process.listeners('SIGTERM'),
  };
  process.argv = ['/fake/loopgate', ...argv];
  process.env.LOOPGATE_USER_DATA = userData;
  const module = { exports: {} };
  const fn = runInThisContext(Module.wrap(code), { filename: join(appDir, 'electron-main.cjs') }) as (
    ...a: unknown[]
  ) => void;
  fn(
    module.exports,
    (name: string) => (name === 'electron' ? fake.electron : realRequire(name)),
    module,
    join(appDir, 'electron-main.cjs'),
    appDir,
  );
  process.argv = before.argv;
  return () => {
    if (before.env === undefined) delete process.env.LOOPGATE_USER_DATA;
    else process.env.LOOPGATE_USER_DATA = before.env;
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      for (const l of process.listeners(sig))
        if (!(sig === 'SIGINT' ? before.sigint : before.sigterm).includes(l)) process.off(sig, l);
    }
  };
}

const trusted = (wc: FakeWebContents) => ({ senderFrame: { url: 'app://loopgate/index.html' }, sender: wc });

test('startup, window, tray, IPC, a route end to end, second launch, drained quit', async () => {
  FakeBrowserWindow.all = [];
  FakeTray.all = [];
  const userData = join(dir, 'userData');
  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'loopgate.json'),
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      routes: [{ match: '/api', target: `${backend.url}/v1` }],
    }),
  );
  const other = join(dir, 'other');
  mkdirSync(other);
  writeFileSync(
    join(other, 'loopgate.json'),
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      routes: [{ match: '/api', target: `${backend.url}/v2` }],
    }),
  );
  const fake = fakeElectron({ appData: join(dir, 'appData'), home: join(dir, 'home') });
  const restore = runMain(fake, ['--config', join(project, 'loopgate.json')], userData);
  try {
    // Before ready: the lock is taken, app:// is registered as privileged, user data is set.
    assert.deepEqual(fake.calls, ['lock']);
    assert.deepEqual(
      fake.privileged.map((p) => [p.scheme, p.beforeReady, p.privileges.standard, p.privileges.secure]),
      [['app', true, true, true]],
    );
    assert.equal(fake.app.getPath('userData'), userData);
    assert.equal(FakeBrowserWindow.all.length, 0);

    fake.ready();
    await waitFor(() => FakeTray.all.length === 1 && FakeBrowserWindow.all.length === 1, 'tray and window');

    // The window: secure options, our preload, loaded from app://, shown when ready.
    const win = FakeBrowserWindow.all[0]!;
    const prefs = win.options.webPreferences as Record<string, unknown>;
    assert.equal(prefs.preload, join(appDir, 'preload.cjs'));
    assert.deepEqual(
      [prefs.contextIsolation, prefs.sandbox, prefs.nodeIntegration, prefs.webSecurity, prefs.webviewTag],
      [true, true, false, true, false],
    );
    assert.deepEqual(win.loaded, ['app://loopgate/index.html']);
    await waitFor(() => win.visible, 'window shown');

    // app:// serves dist/renderer with the CSP.
    const page = await fake.protocolHandlers.get('app')!(new Request('app://loopgate/'));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>Loopgate<\/title>/);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'none'/);

    // Every new web contents is hardened; permissions are denied.
    const wc = new FakeWebContents();
    fake.app.emit('web-contents-created', {}, wc);
    assert.deepEqual(wc.openHandler!({ url: 'https://nginx.org/' }), { action: 'deny' });
    assert.deepEqual(fake.opened, ['https://nginx.org/']);
    let granted: boolean | undefined;
    (fake.session.permissionRequest as (...a: unknown[]) => void)(null, 'media', (g: boolean) => (granted = g), {});
    assert.equal(granted, false);

    // IPC: every channel registered; status from a trusted page, refusal from a foreign one.
    assert.equal(fake.handlers.size, BRIDGE_METHODS.length);
    const status = (await fake.handlers.get('loopgate:status')!(trusted(win.webContents))) as {
      ok: true;
      value: { running: boolean; siteUrl: string };
    };
    assert.equal(status.value.running, true);
    const site = status.value.siteUrl;
    await assert.rejects(
      fake.handlers.get('loopgate:status')!({ senderFrame: { url: 'https://evil.example/' }, sender: wc }),
      /FORBIDDEN/,
    );

    // One route end to end: through the site, into the log, out through the bridge and the event stream.
    await fake.handlers.get('loopgate:subscribe')!(trusted(win.webContents), { on: true });
    const res = await fetch(`${site}/api/hello`);
    assert.equal(((await res.json()) as { url: string }).url, '/v1/hello');
    const list = (await fake.handlers.get('loopgate:listRequests')!(trusted(win.webContents), {})) as {
      ok: true;
      value: { items: Array<{ url: string; status: number }> };
    };
    assert.deepEqual(
      list.value.items.map((r) => [r.url, r.status]),
      [['/api/hello', 200]],
    );
    await waitFor(
      () =>
        win.webContents.sent.some(
          ([ch, batch]) =>
            ch === 'loopgate:events' && (batch as Array<{ type: string }>).some((e) => e.type === 'http'),
        ),
      'event pushed',
    );

    // The tray: running icon, the URL in the menu, rebuilt menus are real templates.
    const tray = FakeTray.all[0]!;
    assert.equal(tray.image.path, join(appDir, 'icons', 'tray-running.png'));
    assert.equal(tray.menu!.template[0]!.label, `Running on ${site}`);
    assert.match(tray.tooltip, /^Loopgate — Running on /);
    const copy = tray.menu!.template.find((i) => i.id === 'copyUrl') as { click: () => void };
    copy.click();
    await waitFor(() => fake.clipboardText.length === 1, 'copied');
    assert.deepEqual(fake.clipboardText, [site]);

    // Closing the window hides it (the tray stays).
    assert.equal(win.userClose(), false);
    assert.equal(win.visible, false);

    // A second launch with another config: the window comes back, that config runs.
    fake.app.emit('second-instance', {}, ['/fake/loopgate', '--config', other], dir);
    assert.equal(win.visible, true);
    await waitFor(async () => {
      const s = (await fake.handlers.get('loopgate:status')!(trusted(win.webContents))) as {
        value: { configFile: string; siteUrl: string | null };
      };
      return s.value.configFile === join(other, 'loopgate.json') && s.value.siteUrl;
    }, 'other config running');
    const s2 = (await fake.handlers.get('loopgate:status')!(trusted(win.webContents))) as {
      value: { siteUrl: string };
    };
    assert.equal(((await (await fetch(`${s2.value.siteUrl}/api/x`)).json()) as { url: string }).url, '/v2/x');
    await assert.rejects(fetch(`${site}/api/x`), 'the first config stopped');

    // Quit: drained first (the site stops answering), then the app really quits; the window may close.
    fake.app.quit();
    assert.equal(fake.app.quitted, false, 'held until drained');
    await waitFor(() => fake.app.quitted, 'quit after drain');
    await assert.rejects(fetch(`${s2.value.siteUrl}/api/x`));
    assert.equal(tray.destroyed, true);
    assert.equal(win.userClose(), true);
  } finally {
    if (!fake.app.quitted) fake.app.quit();
    await waitFor(() => fake.app.quitted, 'quit in cleanup');
    restore();
  }
});

test('without the single-instance lock: quits at once, no window, no tray, no server', async () => {
  FakeBrowserWindow.all = [];
  FakeTray.all = [];
  const fake = fakeElectron({ appData: join(dir, 'appData2'), home: join(dir, 'home'), lock: false });
  const restore = runMain(fake, [], join(dir, 'userData2'));
  try {
    assert.deepEqual(fake.calls, ['lock', 'quit']);
    fake.ready();
    // kept: asserting that nothing happens after ready; there is no event for "nothing"
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(FakeBrowserWindow.all.length, 0);
    assert.equal(FakeTray.all.length, 0);
    assert.equal(fake.handlers.size, 0);
  } finally {
    restore();
  }
});

test('--hidden (login launch): tray only, no window until asked', async () => {
  FakeBrowserWindow.all = [];
  FakeTray.all = [];
  const userData = join(dir, 'userData3');
  mkdirSync(userData, { recursive: true });
  writeFileSync(join(userData, 'loopgate.json'), JSON.stringify({ listen: { host: '127.0.0.1', port: 0 } }));
  const fake = fakeElectron({ appData: join(dir, 'appData3'), home: join(dir, 'home') });
  const restore = runMain(fake, ['--hidden'], userData);
  try {
    fake.ready();
    await waitFor(
      () => FakeTray.all.length === 1 && FakeTray.all[0]!.image.path.endsWith('tray-running.png'),
      'tray running',
    );
    assert.equal(FakeBrowserWindow.all.length, 0);
    assert.equal(FakeTray.all[0]!.menu!.template.find((i) => i.id === 'config')!.label, 'Config: app config');
    (FakeTray.all[0]!.menu!.template.find((i) => i.id === 'openWindow') as { click: () => void }).click();
    await waitFor(() => FakeBrowserWindow.all.length === 1, 'window on demand');
  } finally {
    fake.app.quit();
    await waitFor(() => fake.app.quitted, 'quit');
    restore();
  }
});
