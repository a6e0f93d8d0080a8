// Launch at login: the XDG autostart entry under a temp HOME, Exec quoting, login items on macOS/Windows; app settings.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  AUTOSTART_FILE,
  autostartDir,
  desktopEntry,
  launchAtLogin,
  quoteExecArg,
  selfCommand,
  type LoginItemsApp,
} from '../../main/app/autostart.ts';
import { SettingsFile } from '../../main/app/settings.ts';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'loopgate-autostart-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const noApp: LoginItemsApp = {
  getLoginItemSettings: () => assert.fail('not used on Linux'),
  setLoginItemSettings: () => assert.fail('not used on Linux'),
};

test('Linux: writes ~/.config/autostart/loopgate.desktop starting hidden, removes it again', async () => {
  const home = temp();
  const login = launchAtLogin({ platform: 'linux', app: noApp, home, env: {}, command: ['/opt/Loopgate/loopgate'] });
  assert.equal(await login.get(), false);
  await login.set(true);
  const file = join(home, '.config', 'autostart', AUTOSTART_FILE);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^\[Desktop Entry\]\n/);
  assert.match(text, /^Type=Application$/m);
  assert.match(text, /^Name=Loopgate$/m);
  assert.match(text, /^Exec=\/opt\/Loopgate\/loopgate --hidden$/m);
  assert.match(text, /^X-GNOME-Autostart-enabled=true$/m);
  assert.equal(statSync(file).mode & 0o777, 0o644);
  assert.equal(await login.get(), true);
  await login.set(true); // again: same file
  assert.equal(readFileSync(file, 'utf8'), text);
  await login.set(false);
  assert.equal(existsSync(file), false);
  assert.equal(await login.get(), false);
  await login.set(false); // nothing to remove: fine
});

test('Linux: $XDG_CONFIG_HOME is honoured (absolute only); a disabled entry counts as off', async () => {
  const home = temp();
  const xdg = join(home, 'xdg');
  assert.equal(autostartDir({ XDG_CONFIG_HOME: xdg }, home), join(xdg, 'autostart'));
  assert.equal(autostartDir({ XDG_CONFIG_HOME: 'relative' }, home), join(home, '.config', 'autostart'));
  const login = launchAtLogin({ platform: 'linux', app: noApp, home, env: { XDG_CONFIG_HOME: xdg }, command: ['/x'] });
  await login.set(true);
  assert.ok(existsSync(join(xdg, 'autostart', AUTOSTART_FILE)));
  assert.equal(existsSync(join(home, '.config')), false);
  writeFileSync(
    join(xdg, 'autostart', AUTOSTART_FILE),
    desktopEntry(['/x']).replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'),
  );
  assert.equal(await login.get(), false);
  writeFileSync(join(xdg, 'autostart', AUTOSTART_FILE), `${desktopEntry(['/x'])}Hidden=true\n`);
  assert.equal(await login.get(), false);
});

test('Exec quoting follows the Desktop Entry spec', () => {
  assert.equal(quoteExecArg('/usr/bin/loopgate'), '/usr/bin/loopgate');
  assert.equal(quoteExecArg('/home/me/My Apps/Loopgate.AppImage'), '"/home/me/My Apps/Loopgate.AppImage"');
  assert.equal(quoteExecArg('/a/$HOME/b'), '"/a/\\\\$HOME/b"');
  assert.equal(quoteExecArg('say "hi"'), '"say \\\\"hi\\\\""');
  assert.equal(quoteExecArg('back\\slash'), '"back\\\\\\\\slash"');
  assert.equal(quoteExecArg('/100%/x'), '/100%%/x');
  assert.equal(quoteExecArg("it's"), `"it's"`);
  assert.ok(!quoteExecArg('a\nb').includes('\n'));
  const home = '/home/me/dev apps';
  assert.match(
    desktopEntry([`${home}/electron`, `${home}/loopgate`, '--hidden']),
    /^Exec="\/home\/me\/dev apps\/electron" "\/home\/me\/dev apps\/loopgate" --hidden$/m,
  );
});

test('the command that starts the app: AppImage, packaged executable, or electron + app folder', () => {
  assert.deepEqual(
    selfCommand({
      execPath: '/tmp/.mount_x/loopgate',
      appPath: '/a',
      packaged: true,
      env: { APPIMAGE: '/home/u/Loopgate.AppImage' },
    }),
    ['/home/u/Loopgate.AppImage'],
  );
  assert.deepEqual(selfCommand({ execPath: '/opt/Loopgate/loopgate', appPath: '/a', packaged: true, env: {} }), [
    '/opt/Loopgate/loopgate',
  ]);
  assert.deepEqual(
    selfCommand({ execPath: '/p/node_modules/electron/dist/electron', appPath: '/p', packaged: false, env: {} }),
    ['/p/node_modules/electron/dist/electron', '/p'],
  );
});

test('macOS and Windows: login items through the app (Windows passes --hidden)', async () => {
  for (const platform of ['darwin', 'win32'] as const) {
    const calls: unknown[] = [];
    let open = false;
    const app: LoginItemsApp = {
      getLoginItemSettings: (o) => (calls.push(['get', o]), { openAtLogin: open }),
      setLoginItemSettings: (s) => {
        calls.push(['set', s]);
        open = s.openAtLogin;
      },
    };
    const login = launchAtLogin({ platform, app, home: '/nonexistent', env: {}, command: ['/x'] });
    assert.equal(await login.get(), false);
    await login.set(true);
    assert.equal(await login.get(), true);
    const args = platform === 'win32' ? { args: ['--hidden'] } : {};
    assert.deepEqual(calls[1], ['set', { openAtLogin: true, ...args }]);
    assert.deepEqual(calls[0], ['get', platform === 'win32' ? { args: ['--hidden'] } : undefined]);
  }
  assert.equal(await launchAtLogin({ platform: 'freebsd', app: noApp, home: '/x', env: {}, command: [] }).get(), null);
});

test('settings: remembers the opened project config; missing or broken file gives defaults', async () => {
  const userData = join(temp(), 'Loopgate');
  const s = new SettingsFile(userData);
  assert.equal(s.appConfig, join(userData, 'loopgate.json'));
  assert.deepEqual(await s.load(), {});
  await s.save({ configFile: '/home/u/proj/loopgate.json' });
  assert.deepEqual(await s.load(), { configFile: '/home/u/proj/loopgate.json' });
  writeFileSync(s.file, '{ not json');
  assert.deepEqual(await s.load(), {});
  writeFileSync(s.file, JSON.stringify({ configFile: 'relative/path.json' }));
  assert.deepEqual(await s.load(), {});
});
