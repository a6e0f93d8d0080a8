// The app core opening another project (window or tray) with real Runtimes: switches, refusals that keep the previous config serving.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseLaunchArgs } from '../../main/app/launch-args.ts';
import { SettingsFile } from '../../main/app/settings.ts';
import { AppShell, type TrayView } from '../../main/app/shell.ts';
import { findItem } from '../../main/app/tray/tray-menu.ts';
import { Runtime } from '../../main/runtime.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { writeConfig } from '../helpers/project-config.ts';

let dir: string;
let backend: Backend;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loopgate-shell-open-'));
  backend = await startBackend();
});
after(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An AppShell over real Runtimes; the tray only records, the dialog answers what the test set last. */
function harness(name: string, over: { chooseConfig?: () => Promise<string | null> } = {}) {
  const userData = join(dir, name, 'userData');
  const views: TrayView[] = [];
  const shell = new AppShell({
    startRuntime: (opts) => Runtime.start(opts),
    settings: new SettingsFile(userData),
    launchAtLogin: { get: async () => false, set: async () => {} },
    platform: 'linux',
    renderTray: (v) => views.push(v),
    openWindow: () => {},
    openExternal: () => {},
    copyText: () => {},
    chooseConfig: over.chooseConfig ?? (async () => null),
    quit: () => {},
    log: () => {},
    refreshMs: 25,
  });
  const click = async (id: string) => {
    const item = findItem(views.at(-1)!.menu, id);
    assert.ok(item?.click, `menu item ${id} is clickable`);
    item.click();
    await shell.settled();
  };
  return { shell, click, userData };
}

test('open a project from the window: a switch, then broken picks refused while the previous one keeps serving', async () => {
  const first = writeConfig(join(dir, 'w1'), {
    listen: { host: '127.0.0.1', port: 0 },
    routes: [{ match: '/api', target: `${backend.url}/one` }],
  });
  const second = join(dir, 'w2');
  writeConfig(second, {
    listen: { host: '127.0.0.1', port: 0 },
    routes: [{ match: '/api', target: `${backend.url}/two` }],
  });
  mkdirSync(join(dir, 'wbad'), { recursive: true });
  const notJson = join(dir, 'wbad', 'syntax.json');
  writeFileSync(notJson, '{ "listen": { "port": 0 },\n  "routes": [ }');
  const invalid = join(dir, 'wbad', 'invalid.json');
  writeFileSync(invalid, '{ "routes": [ { "match": "/x", "target": "nope" } ] }');
  const busy = await startBackend();
  const busyConfig = writeConfig(join(dir, 'wbusy'), { listen: { host: '127.0.0.1', port: busy.port } });
  let pick: string | null = null;
  const h = harness('window-open', { chooseConfig: async () => pick });
  const answers = async (site: string) => ((await (await fetch(`${site}/api/x`)).json()) as { url: string }).url;
  try {
    await h.shell.start(parseLaunchArgs(['--config', first], dir));
    assert.equal(h.shell.status().canOpenConfig, true);
    // Cancelled dialog: nothing changes.
    const running = h.shell.controller();
    assert.deepEqual(await h.shell.openProject(), { ok: true, value: { opened: false, configFile: first } });
    assert.equal(h.shell.controller(), running);
    // The dialog's pick (a folder: its loopgate.json) opens and is remembered.
    pick = second;
    assert.deepEqual(await h.shell.openProject(), {
      ok: true,
      value: { opened: true, configFile: join(second, 'loopgate.json') },
    });
    const site = h.shell.runtime!.siteUrl!;
    assert.equal(await answers(site), '/two/x');
    const settings = new SettingsFile(h.userData);
    assert.deepEqual(await settings.load(), { configFile: join(second, 'loopgate.json') });

    // Refused before anything stops: the same runtime keeps serving, no backup file is made.
    const serving = h.shell.controller();
    for (const [path, code, what] of [
      [join(dir, 'wbad', 'missing.json'), 'NOT_FOUND', /missing\.json does not exist/],
      [notJson, 'NOT_JSON', /syntax\.json is not valid JSON: line 2, column \d+/],
      [invalid, 'INVALID_CONFIG', /invalid\.json is not a valid Loopgate config:\n.*routes\.0\.target/],
    ] as const) {
      const r = await h.shell.openProject(path);
      assert.equal(!r.ok && r.code, code, path);
      assert.match(!r.ok ? r.message : '', what);
      assert.equal(h.shell.controller(), serving, `${code}: the running config was not touched`);
      assert.equal(await answers(site), '/two/x');
    }
    assert.equal(
      readdirSync(join(dir, 'wbad')).some((f) => f.includes('.bak-')),
      false,
      'no backup of a refused pick',
    );

    // Valid but cannot start (port taken): back to the previous config, serving again; not remembered.
    const r = await h.shell.openProject(busyConfig);
    assert.ok(!r.ok && r.code === 'PORT_IN_USE', JSON.stringify(r));
    assert.match(
      !r.ok ? r.message : '',
      new RegExp(
        `port ${busy.port} is in use[\\s\\S]*Still running ${join(second, 'loopgate.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
      ),
    );
    assert.equal(h.shell.configFile, join(second, 'loopgate.json'));
    assert.equal(await answers(h.shell.runtime!.siteUrl!), '/two/x');
    assert.deepEqual(await settings.load(), { configFile: join(second, 'loopgate.json') });
    assert.equal(h.shell.state().phase, 'running');

    // The tray's "Open config…" refuses the same way, with the reason on its error line.
    pick = invalid;
    await h.click('openConfig');
    assert.equal(h.shell.configFile, join(second, 'loopgate.json'));
    assert.match(h.shell.state().error!, /^could not open .*invalid\.json: .*not a valid Loopgate config/);
    assert.equal(await answers(h.shell.runtime!.siteUrl!), '/two/x');
  } finally {
    await h.shell.stop();
    await busy.close();
  }
});

test('open from the window while the current config failed to start: a pick that cannot start leaves things as they were', async () => {
  const broken = join(dir, 'wfail', 'loopgate.json');
  mkdirSync(join(dir, 'wfail'), { recursive: true });
  writeFileSync(broken, '{ "routes": [ { "match": "/x", "target": "nope" } ] }');
  const busy = await startBackend();
  const busyConfig = writeConfig(join(dir, 'wfail-busy'), { listen: { host: '127.0.0.1', port: busy.port } });
  const good = writeConfig(join(dir, 'wfail-good'), {
    listen: { host: '127.0.0.1', port: 0 },
    routes: [{ match: '/api', target: `${backend.url}/good` }],
  });
  const h = harness('window-fail');
  try {
    await h.shell.start(parseLaunchArgs(['--config', broken], dir));
    assert.equal(h.shell.controller(), null);
    const before = h.shell.status().lastError;
    const r = await h.shell.openProject(busyConfig);
    assert.ok(!r.ok && r.code === 'PORT_IN_USE');
    assert.equal(h.shell.configFile, broken);
    assert.equal(h.shell.status().lastError, before);
    assert.deepEqual(await h.shell.openProject(good), { ok: true, value: { opened: true, configFile: good } });
    assert.equal((await fetch(`${h.shell.runtime!.siteUrl}/api/ok`)).status, 200);
  } finally {
    await h.shell.stop();
    await busy.close();
  }
});

test('two opens at once (two windows): one switches, the other is refused BUSY', async () => {
  const a = writeConfig(join(dir, 'twice-a'), { listen: { host: '127.0.0.1', port: 0 } });
  const b = writeConfig(join(dir, 'twice-b'), { listen: { host: '127.0.0.1', port: 0 } });
  const c = writeConfig(join(dir, 'twice-c'), { listen: { host: '127.0.0.1', port: 0 } });
  const h = harness('twice');
  try {
    await h.shell.start(parseLaunchArgs(['--config', a], dir));
    const answers = await Promise.all([h.shell.openProject(b), h.shell.openProject(c)]);
    assert.deepEqual(answers.map((r) => (r.ok ? 'opened' : r.code)).sort(), ['BUSY', 'opened']);
    assert.equal(h.shell.configFile, answers[0]!.ok ? b : c);
    assert.ok(h.shell.runtime?.siteUrl, 'one runtime serving');
  } finally {
    await h.shell.stop();
  }
});
