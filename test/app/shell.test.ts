// The app core with a real Runtime, real backends and fake tray/window: a route end to end, every tray action, config switching.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import type { LaunchAtLogin } from '../../main/app/autostart.ts';
import { parseLaunchArgs } from '../../main/app/launch-args.ts';
import { SettingsFile } from '../../main/app/settings.ts';
import { AppShell, type TrayView } from '../../main/app/shell.ts';
import { findItem } from '../../main/app/tray/tray-menu.ts';
import { Runtime, type RuntimeOptions } from '../../main/runtime.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { writeConfig } from '../helpers/project-config.ts';
import { freePort, waitFor } from '../helpers/net.ts';

let dir: string;
let backend: Backend;
let deadPort: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loopgate-shell-'));
  backend = await startBackend();
  deadPort = await freePort();
});
after(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

function projectConfig() {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    routes: [
      { match: '/api', target: `${backend.url}/v1` },
      { match: '/ws', target: `http://127.0.0.1:${deadPort}`, ws: true },
    ],
    profiles: { mock: { routes: [{ match: '/api', target: `${backend.url}/mock` }] } },
  };
}

function harness(
  name: string,
  over: { chooseConfig?: () => Promise<string | null>; startRuntime?: (o: RuntimeOptions) => Promise<Runtime> } = {},
) {
  const userData = join(dir, name, 'userData');
  const views: TrayView[] = [];
  const events: string[] = [];
  let login = false;
  const launchAtLogin: LaunchAtLogin = {
    get: async () => login,
    set: async (on) => {
      login = on;
      events.push(`login ${on}`);
    },
  };
  const shell = new AppShell({
    startRuntime: over.startRuntime ?? ((opts) => Runtime.start(opts)),
    settings: new SettingsFile(userData),
    launchAtLogin,
    platform: 'linux',
    renderTray: (v) => views.push(v),
    openWindow: () => events.push('window'),
    openExternal: (url) => events.push(`open ${url}`),
    copyText: (text) => events.push(`copy ${text}`),
    chooseConfig: over.chooseConfig ?? (async () => null),
    quit: () => events.push('quit'),
    log: () => {},
    refreshMs: 25,
  });
  const last = () => views.at(-1)!;
  const click = async (id: string) => {
    const item = findItem(last().menu, id);
    assert.ok(item?.click, `menu item ${id} is clickable`);
    assert.notEqual(item.enabled, false, `menu item ${id} is enabled`);
    item.click();
    await shell.settled();
    assert.equal(shell.state().busy, false);
  };
  return { shell, views, events, last, click, userData };
}

test('a project config: a route end to end, tray state, start/stop, open site, copy URL, CORS toggle, profile switch', async () => {
  const file = writeConfig(join(dir, 'proj'), projectConfig());
  const h = harness('one');
  try {
    await h.shell.start(parseLaunchArgs(['--config', file], dir));
    h.shell.refresh(true);
    const site = h.shell.runtime!.siteUrl!;
    assert.match(site, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(h.last().icon, 'tray-running.png');
    assert.equal(h.last().menu[0]!.label, `Running on ${site}`);

    // A request through the served site reaches the backend with nginx's prefix rewrite, and is logged.
    const res = await fetch(`${site}/api/items?x=1`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { url: string }).url, '/v1/items?x=1');
    const c = h.shell.controller()!;
    await waitFor(
      () => c.listRequests({}) && (c.listRequests({}) as { items: unknown[] }).items.length === 1,
      'request logged',
    );

    await h.click('copyUrl');
    await h.click('openSite');
    await h.click('openWindow');
    assert.deepEqual(h.events, [`copy ${site}`, `open ${site}`, 'window']);

    // Stop: the port closes; the tray says stopped. Start: listening again.
    await h.click('toggleRunning');
    assert.equal(h.shell.state().phase, 'stopped');
    assert.equal(h.last().icon, 'tray-stopped.png');
    assert.equal(findItem(h.last().menu, 'toggleRunning')!.label, 'Start');
    await assert.rejects(fetch(`${site}/api/x`));
    await h.click('toggleRunning');
    const site2 = h.shell.runtime!.siteUrl!;
    assert.equal((await fetch(`${site2}/api/again`)).status, 200);
    assert.equal(h.last().icon, 'tray-running.png');

    // Global CORS: saved to the project's file, applied at once, the checkbox follows.
    assert.equal(findItem(h.last().menu, 'toggleCors')!.checked, false);
    await h.click('toggleCors');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).cors.enabled, true);
    await waitFor(
      async () =>
        (await fetch(`${site2}/api/c`, { headers: { origin: 'http://localhost:5173' } })).headers.get(
          'access-control-allow-origin',
        ),
      'CORS headers on',
    );
    await waitFor(() => findItem(h.last().menu, 'toggleCors')!.checked === true, 'checkbox on');
    await h.click('toggleCors');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).cors.enabled, false);

    // Profile switcher: the mock profile's route wins; saved in the file.
    const mock = findItem(h.last().menu, 'profile:mock')!;
    assert.equal(mock.checked, false);
    mock.click!();
    await waitFor(() => h.shell.state().activeProfile === 'mock', 'profile switched');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).activeProfile, 'mock');
    await waitFor(
      async () => ((await (await fetch(`${site2}/api/p`)).json()) as { url: string }).url === '/mock/p',
      "the profile's route answers",
    );
    await waitFor(() => findItem(h.last().menu, 'profile:mock')!.checked === true, 'radio follows');
    findItem(h.last().menu, 'profile:')!.click!();
    await waitFor(() => h.shell.state().activeProfile === null, 'back to top-level routes');

    // Launch at login and quit go to their deps.
    await h.click('toggleLaunchAtLogin');
    assert.equal(findItem(h.last().menu, 'toggleLaunchAtLogin')!.checked, true);
    await h.click('quit');
    assert.deepEqual(h.events.slice(3), ['login true', 'quit']);
  } finally {
    await h.shell.stop();
  }
  assert.equal(h.shell.runtime, null);
});

test('failed WebSocket upgrades are counted in the tray', async () => {
  const file = writeConfig(join(dir, 'proj-ws'), projectConfig());
  const h = harness('ws');
  try {
    await h.shell.start(parseLaunchArgs([file], dir));
    const site = h.shell.runtime!.siteUrl!;
    for (let i = 0; i < 2; i++) {
      const ws = new WebSocket(`${site.replace('http', 'ws')}/ws/live`);
      const status = await new Promise<number>((resolve) => {
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => resolve(-1));
        ws.on('open', () => resolve(101));
      });
      ws.terminate();
      assert.equal(status, 502, 'the backend refuses: Loopgate answers 502');
    }
    await waitFor(() => h.shell.state().failedUpgrades === 2, 'two failed upgrades counted');
    await waitFor(() => /: 2$/.test(findItem(h.last().menu, 'failedUpgrades')!.label!), 'menu shows 2');
    await h.click('failedUpgrades');
    assert.deepEqual(h.events, ['window']);
    await h.shell.controller()!.clear();
    await waitFor(() => h.shell.state().failedUpgrades === 0, 'clear resets the count');
  } finally {
    await h.shell.stop();
  }
});

test('a config that cannot start: error state with Retry; fixed on disk, Retry runs it', async () => {
  const file = join(dir, 'broken', 'loopgate.json');
  mkdirSync(join(dir, 'broken'), { recursive: true });
  writeFileSync(file, '{ "listen": { "port": 0 }, "routes": [ { "match": "/x", "target": "nope" } ] }');
  const h = harness('broken');
  try {
    await h.shell.start(parseLaunchArgs(['--config', file], dir));
    h.shell.refresh(true);
    const st = h.shell.state();
    assert.equal(st.failedToStart, true);
    assert.equal(st.phase, 'error');
    assert.match(st.error!, /routes\.0\.target/);
    assert.equal(h.last().icon, 'tray-error.png');
    assert.match(h.last().menu[0]!.label!, /^Not running — /);
    const status = h.shell.status();
    assert.equal(status.running, false);
    assert.match(status.lastError!, /routes\.0\.target/);
    assert.equal(h.shell.controller(), null);
    writeConfig(join(dir, 'broken'), {
      listen: { host: '127.0.0.1', port: 0 },
      routes: [{ match: '/api', target: backend.url }],
    });
    await h.click('retry');
    assert.equal(h.shell.state().failedToStart, false);
    assert.equal((await fetch(`${h.shell.runtime!.siteUrl}/api/ok`)).status, 200);
    assert.equal(h.last().icon, 'tray-running.png');
  } finally {
    await h.shell.stop();
  }
});

test('a port already in use: the error names the port and the fix', async () => {
  const busy = await startBackend();
  const file = writeConfig(join(dir, 'busy'), { listen: { host: '127.0.0.1', port: busy.port } });
  const h = harness('busy');
  try {
    await h.shell.start(parseLaunchArgs(['--config', file], dir));
    assert.equal(h.shell.state().failedToStart, true);
    assert.match(
      h.shell.state().error!,
      new RegExp(`^port ${busy.port} is in use by another program: change "listen.port" in `),
    );
  } finally {
    await h.shell.stop();
    await busy.close();
  }
});

test('open another project config, then back to the app config; the choice is remembered', async () => {
  const first = writeConfig(join(dir, 'p1'), {
    listen: { host: '127.0.0.1', port: 0 },
    routes: [{ match: '/api', target: `${backend.url}/one` }],
  });
  const secondFolder = join(dir, 'p2');
  writeConfig(secondFolder, {
    listen: { host: '127.0.0.1', port: 0 },
    routes: [{ match: '/api', target: `${backend.url}/two` }],
  });
  const h = harness('switch', { chooseConfig: async () => secondFolder });
  let changes = 0;
  h.shell.onControllerChange(() => changes++);
  try {
    await h.shell.start(parseLaunchArgs(['--config', first], dir));
    const oldSite = h.shell.runtime!.siteUrl!;
    const oldController = h.shell.controller();
    assert.equal(findItem(h.last().menu, 'config')!.label, 'Config: p1/loopgate.json');
    await h.click('openConfig');
    assert.equal(h.shell.configFile, join(secondFolder, 'loopgate.json'));
    assert.notEqual(h.shell.controller(), oldController);
    assert.equal(changes, 2, 'start and switch both announce a controller');
    await assert.rejects(fetch(`${oldSite}/api/x`), 'the first runtime was stopped');
    assert.equal(((await (await fetch(`${h.shell.runtime!.siteUrl}/api/x`)).json()) as { url: string }).url, '/two/x');
    const settings = new SettingsFile(h.userData);
    assert.deepEqual(await settings.load(), { configFile: join(secondFolder, 'loopgate.json') });
    await h.click('useAppConfig');
    assert.equal(h.shell.configFile, settings.appConfig);
    assert.ok(existsSync(settings.appConfig), 'the app config is created with defaults');
    assert.deepEqual(await settings.load(), {});
    assert.equal(findItem(h.last().menu, 'config')!.label, 'Config: app config');
    assert.equal(findItem(h.last().menu, 'useAppConfig'), undefined);
  } finally {
    await h.shell.stop();
  }
});

test('without --config: the remembered project, or the app config when it is gone', async () => {
  const remembered = writeConfig(join(dir, 'remembered'), { listen: { host: '127.0.0.1', port: 0 } });
  const h = harness('remember');
  // The app config's default port (8080) may be taken on a developer's machine: give it port 0.
  writeConfig(h.userData, { listen: { host: '127.0.0.1', port: 0 } });
  await new SettingsFile(h.userData).save({ configFile: remembered });
  try {
    await h.shell.start(parseLaunchArgs([], dir));
    assert.equal(h.shell.configFile, remembered);
  } finally {
    await h.shell.stop();
  }
  rmSync(join(dir, 'remembered'), { recursive: true });
  const again = harness('remember');
  try {
    await again.shell.start(parseLaunchArgs([], dir));
    assert.equal(again.shell.configFile, join(again.userData, 'loopgate.json'));
    assert.equal(existsSync(remembered), false, 'a vanished project is not recreated');
  } finally {
    await again.shell.stop();
  }
});

test('a refused disk edit turns the tray to error while the old config keeps serving', async () => {
  const file = writeConfig(join(dir, 'edit'), {
    listen: { host: '127.0.0.1', port: 0 },
    routes: [{ match: '/api', target: backend.url }],
  });
  const h = harness('edit');
  try {
    await h.shell.start(parseLaunchArgs(['--config', file], dir));
    writeFileSync(file, '{ "routes": [ { "match": "api", "target": "http://x" } ] }');
    await waitFor(() => h.last().state.error !== null, 'refused edit shows', 8000);
    assert.equal(h.last().icon, 'tray-error.png');
    assert.ok(findItem(h.last().menu, 'problem'), 'the problem line');
    assert.equal((await fetch(`${h.shell.runtime!.siteUrl}/api/still`)).status, 200);
  } finally {
    await h.shell.stop();
  }
});

test('quitting while the runtime is still starting leaves nothing running; the tray says Starting… meanwhile', async () => {
  const file = writeConfig(join(dir, 'slow'), { listen: { host: '127.0.0.1', port: 0 } });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let started = null as Runtime | null;
  const h = harness('slow', {
    startRuntime: async (opts) => {
      await gate;
      started = await Runtime.start(opts);
      return started;
    },
  });
  const starting = h.shell.start(parseLaunchArgs(['--config', file], dir));
  await waitFor(() => h.views.length > 0, 'first render');
  assert.equal(h.last().menu[0]!.label, 'Starting…');
  assert.equal(h.last().icon, 'tray-stopped.png');
  const stopping = h.shell.stop();
  release();
  await Promise.all([starting, stopping]);
  assert.ok(started, 'the runtime did start');
  assert.equal(h.shell.runtime, null);
  assert.equal(started?.siteUrl, null, 'and was stopped again');
});
