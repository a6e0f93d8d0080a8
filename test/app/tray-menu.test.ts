// Tray model: status line, items and their enabled/checked states for each phase, click routing, icon names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  findItem,
  statusLine,
  trayIconName,
  trayMenu,
  trayTooltip,
  type MenuItemModel,
  type TrayAction,
  type TrayState,
} from '../../main/app/tray/tray-menu.ts';

const base: TrayState = {
  phase: 'running',
  siteUrl: 'http://127.0.0.1:8080',
  error: null,
  failedToStart: false,
  configFile: '/home/u/proj/loopgate.json',
  appConfig: false,
  profiles: ['local', 'staging'],
  activeProfile: 'staging',
  corsEnabled: true,
  failedUpgrades: 0,
  launchAtLogin: false,
  busy: false,
};

function menu(over: Partial<TrayState> = {}) {
  const calls: Array<TrayAction | `profile:${string}`> = [];
  const items = trayMenu(
    { ...base, ...over },
    { run: (a) => calls.push(a), setProfile: (n) => calls.push(`profile:${n ?? ''}`) },
  );
  const item = (id: string): MenuItemModel => {
    const found = findItem(items, id);
    assert.ok(found, `menu has ${id}`);
    return found;
  };
  return { items, item, calls };
}

test('running: status line with the URL, Stop, site items enabled, quit last', () => {
  const { items, item, calls } = menu();
  assert.equal(items[0]!.label, 'Running on http://127.0.0.1:8080');
  assert.equal(items[0]!.enabled, false);
  assert.equal(item('toggleRunning').label, 'Stop');
  assert.equal(item('toggleRunning').enabled, true);
  assert.equal(item('openSite').enabled, true);
  assert.equal(item('copyUrl').label, 'Copy http://127.0.0.1:8080');
  assert.equal(item('toggleCors').type, 'checkbox');
  assert.equal(item('toggleCors').checked, true);
  assert.equal(findItem(items, 'retry'), undefined);
  assert.equal(findItem(items, 'problem'), undefined);
  assert.equal(items.at(-1)!.id, 'quit');
  for (const id of [
    'toggleRunning',
    'openWindow',
    'openSite',
    'copyUrl',
    'toggleCors',
    'openConfig',
    'useAppConfig',
    'toggleLaunchAtLogin',
    'quit',
  ])
    item(id).click!();
  assert.deepEqual(calls, [
    'toggleRunning',
    'openWindow',
    'openSite',
    'copyUrl',
    'toggleCors',
    'openConfig',
    'useAppConfig',
    'toggleLaunchAtLogin',
    'quit',
  ]);
});

test('stopped: Start, no URL to open or copy', () => {
  const { items, item } = menu({ phase: 'stopped', siteUrl: null });
  assert.equal(items[0]!.label, 'Stopped');
  assert.equal(item('toggleRunning').label, 'Start');
  assert.equal(item('toggleRunning').enabled, true);
  assert.equal(item('openSite').enabled, false);
  assert.equal(item('copyUrl').enabled, false);
  assert.equal(item('copyUrl').label, 'Copy Site URL');
  assert.equal(item('openWindow').enabled, undefined); // always available
});

test('error while running: the problem line, the URL still served', () => {
  const { items, item } = menu({ phase: 'error', error: 'routes.0.target: "x" is not a URL\nsecond line' });
  assert.equal(items[0]!.label, 'Running on http://127.0.0.1:8080 (with a problem)');
  assert.equal(item('problem').label, '⚠ routes.0.target: "x" is not a URL second line');
  assert.equal(item('toggleRunning').label, 'Stop');
});

test('error while stopped: the reason in the status line, shortened', () => {
  const long = `port 8080 is in use by another program: ${'x'.repeat(200)}`;
  const { items } = menu({ phase: 'error', siteUrl: null, error: long });
  assert.match(items[0]!.label!, /^Stopped — port 8080 is in use/);
  assert.ok(items[0]!.label!.length < 90);
  assert.ok(items[0]!.label!.endsWith('…'));
});

test('failed to start: Retry instead of Start/Stop; profile and CORS switches disabled', () => {
  const { items, item, calls } = menu({
    phase: 'error',
    siteUrl: null,
    failedToStart: true,
    error: 'bad JSON at 3:4',
    profiles: ['a'],
    activeProfile: null,
  });
  assert.equal(items[0]!.label, 'Not running — bad JSON at 3:4');
  assert.equal(findItem(items, 'toggleRunning'), undefined);
  item('retry').click!();
  assert.deepEqual(calls, ['retry']);
  assert.equal(item('toggleCors').enabled, false);
  assert.equal(item('profiles').enabled, false);
  assert.equal(item('openConfig').enabled, true);
});

test('busy: nothing that starts another change; "Starting…" while no runtime is up yet', () => {
  assert.equal(menu({ busy: true, siteUrl: null, phase: 'stopped' }).items[0]!.label, 'Starting…');
  const { item } = menu({ busy: true });
  assert.equal(item('toggleRunning').enabled, false);
  assert.equal(item('toggleCors').enabled, false);
  assert.equal(item('openConfig').enabled, false);
  assert.equal(findItem(item('profiles').submenu!, 'profile:local')!.enabled, false);
});

test('profile switcher: radio items, the active one checked, null for top-level routes', () => {
  const { item, calls } = menu();
  const profiles = item('profiles');
  assert.equal(profiles.type, 'submenu');
  assert.equal(profiles.label, 'Profile: staging');
  assert.deepEqual(
    profiles.submenu!.map((i) => [i.id, i.type, i.checked]),
    [
      ['profile:', 'radio', false],
      ['profile:local', 'radio', false],
      ['profile:staging', 'radio', true],
    ],
  );
  item('profile:local').click!();
  item('profile:').click!();
  assert.deepEqual(calls, ['profile:local', 'profile:']);
  const none = menu({ profiles: [], activeProfile: null }).item('profiles');
  assert.equal(none.submenu, undefined);
  assert.equal(none.enabled, false);
});

test('a profile name with & is shown literally (Electron mnemonics)', () => {
  const { item } = menu({ profiles: ['dev&test'], activeProfile: null });
  assert.equal(item('profile:dev&test').label, 'dev&&test');
});

test('failed upgrades: count shown; enabled (opens the window) only when there are some', () => {
  const zero = menu().item('failedUpgrades');
  assert.match(zero.label!, /: 0$/);
  assert.equal(zero.enabled, false);
  const some = menu({ failedUpgrades: 3 });
  assert.match(some.item('failedUpgrades').label!, /: 3$/);
  assert.equal(some.item('failedUpgrades').enabled, true);
  some.item('failedUpgrades').click!();
  assert.deepEqual(some.calls, ['showFailedUpgrades']);
});

test('config line, app config, launch at login presence', () => {
  const project = menu();
  assert.equal(project.item('config').label, 'Config: proj/loopgate.json');
  assert.equal(project.item('config').toolTip, '/home/u/proj/loopgate.json');
  const app = menu({ appConfig: true });
  assert.equal(app.item('config').label, 'Config: app config');
  assert.equal(findItem(app.items, 'useAppConfig'), undefined);
  assert.equal(menu({ launchAtLogin: true }).item('toggleLaunchAtLogin').checked, true);
  assert.equal(findItem(menu({ launchAtLogin: null }).items, 'toggleLaunchAtLogin'), undefined);
});

test('no separator is doubled or first', () => {
  for (const over of [
    {},
    { failedToStart: true, error: 'e' },
    { profiles: [] },
    { launchAtLogin: null, appConfig: true },
  ]) {
    const { items } = menu(over as Partial<TrayState>);
    assert.notEqual(items[0]!.type, 'separator');
    items.forEach(
      (it, i) =>
        i > 0 && assert.ok(!(it.type === 'separator' && items[i - 1]!.type === 'separator'), `separator at ${i}`),
    );
  }
});

test('icon names: colored per phase; macOS template variants', () => {
  assert.equal(trayIconName('running', 'linux'), 'tray-running.png');
  assert.equal(trayIconName('error', 'win32'), 'tray-error.png');
  assert.equal(trayIconName('stopped', 'darwin'), 'tray-stoppedTemplate.png');
});

test('tooltip and status line', () => {
  assert.equal(statusLine({ ...base, phase: 'stopped', siteUrl: null }), 'Stopped');
  assert.equal(
    trayTooltip({ ...base, failedUpgrades: 1 }),
    'Loopgate — Running on http://127.0.0.1:8080\n1 failed WebSocket upgrade recently',
  );
  assert.match(
    trayTooltip({ ...base, phase: 'error', error: 'disk edit refused' }),
    /with a problem\)\ndisk edit refused$/,
  );
});
