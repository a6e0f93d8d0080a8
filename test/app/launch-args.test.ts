// The app's argv (passed through by `loopgate start`, or a second launch); start errors; recent failed upgrades.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FailedUpgrades } from '../../main/app/tray/failed-upgrades.ts';
import { configPathFrom, parseLaunchArgs, userArgs } from '../../main/app/launch-args.ts';
import { describeStartError } from '../../main/app/start-error.ts';
import { ConfigStore } from '../../main/config/store.ts';
import { StartError } from '../../main/runtime.ts';
import { wsRecord } from '../helpers/records.ts';

const dir = mkdtempSync(join(tmpdir(), 'loopgate-args-'));
mkdirSync(join(dir, 'proj'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('user arguments: after the executable, and after the app path in development', () => {
  assert.deepEqual(userArgs(['/opt/Loopgate/loopgate', '--config', 'x.json'], false), ['--config', 'x.json']);
  assert.deepEqual(userArgs(['/p/electron', '/p/dist/app/electron-main.cjs', '--hidden'], true), ['--hidden']);
});

test('config: --config file or folder, or a bare .json / folder argument; relative to the launch folder', () => {
  assert.equal(parseLaunchArgs(['--config', 'a/loopgate.json'], dir).configFile, join(dir, 'a/loopgate.json'));
  assert.equal(parseLaunchArgs(['-c', 'proj'], dir).configFile, join(dir, 'proj', 'loopgate.json'));
  assert.equal(parseLaunchArgs(['start', 'site.json'], dir).configFile, join(dir, 'site.json'));
  assert.equal(parseLaunchArgs([join(dir, 'proj')], '/').configFile, join(dir, 'proj', 'loopgate.json'));
  assert.equal(configPathFrom('/abs/loopgate.json', dir), '/abs/loopgate.json');
  // Chromium/Electron switches and their values are not configs.
  const chromium = parseLaunchArgs(
    ['--no-sandbox', '--enable-logging', 'stderr', '--inspect=0', '--remote-debugging-port=0'],
    dir,
  );
  assert.equal(chromium.configFile, undefined);
  assert.deepEqual(chromium.problems, []);
  assert.equal(parseLaunchArgs([], dir).configFile, undefined);
});

test('overlay: --host/--port/--root/--route like the CLI; bad values are problems, not crashes', () => {
  const o = parseLaunchArgs(
    [
      '--host',
      '127.0.0.1',
      '--port',
      '9090',
      '--root',
      'dist',
      '--route',
      '/api=http://localhost:8888/api',
      '--route',
      '/ws=ws://localhost:8888',
    ],
    dir,
  );
  assert.deepEqual(o.overlay, {
    listen: { host: '127.0.0.1', port: 9090 },
    root: join(dir, 'dist'),
    routes: [
      { match: '/api', target: 'http://localhost:8888/api' },
      { match: '/ws', target: 'ws://localhost:8888' },
    ],
  });
  const bad = parseLaunchArgs(['--port', '99999', '--route', 'nonsense', '--nginx', 'site.conf'], dir);
  assert.deepEqual(bad.overlay, {});
  assert.equal(bad.problems.length, 3);
  assert.match(bad.problems[0]!, /--port "99999" is not a port number/);
  assert.match(bad.problems[1]!, /--route "nonsense": write it as PREFIX=URL/);
  assert.match(bad.problems[2]!, /import-nginx/);
});

test('control API off unless --control-port; --hidden; --no-watch', () => {
  const plain = parseLaunchArgs([], dir);
  assert.equal(plain.control, false);
  assert.equal(plain.hidden, false);
  assert.equal(plain.watch, true);
  assert.deepEqual(
    parseLaunchArgs(['--control-port', '0', '--token', 't', '--control-host', '127.0.0.1'], dir).control,
    { port: 0, host: '127.0.0.1', token: 't' },
  );
  assert.equal(parseLaunchArgs(['--control-port', '0', '--no-control'], dir).control, false);
  assert.equal(parseLaunchArgs(['--hidden'], dir).hidden, true);
  assert.equal(parseLaunchArgs(['--no-watch'], dir).watch, false);
});

test('start errors: busy port, bad config, other', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const err = await new Promise<Error>((resolve) => {
    const other = createServer();
    other.once('error', resolve);
    other.listen(port, '127.0.0.1');
  });
  srv.close();
  const busy = describeStartError(err, '/p/loopgate.json');
  assert.equal(busy.code, 'PORT_IN_USE');
  assert.equal(
    busy.message,
    `port ${port} is in use by another program: change "listen.port" in /p/loopgate.json or stop that program, then Retry`,
  );
  writeFileSync(join(dir, 'broken.json'), '{ "listen": { "port": 80 ');
  const broken = await ConfigStore.open(join(dir, 'broken.json')).then(
    () => assert.fail('a broken file does not open'),
    (e: unknown) => describeStartError(e, join(dir, 'broken.json')),
  );
  assert.equal(broken.code, 'BAD_CONFIG');
  assert.match(broken.message, /broken\.json/);
  assert.match(broken.message, /Fix the file, then Retry/);
  const invalid = describeStartError(new StartError('the config is not valid:\n  routes.0.target: nope'), '/p/x.json');
  assert.equal(invalid.code, 'BAD_CONFIG');
  assert.match(invalid.message, /^the config is not valid:\n {2}routes\.0\.target: nope\nFix the file, then Retry/);
  assert.deepEqual(describeStartError(new Error('weird'), null), { code: 'START_FAILED', message: 'weird' });
  assert.equal(describeStartError(Object.assign(new Error('x'), { code: 'EACCES' }), null).code, 'PORT_DENIED');
});

test('failed upgrades: counted once per session, forgotten after the window, reset by a clear', () => {
  let now = 1_000_000;
  const f = new FailedUpgrades(15 * 60_000, () => now);
  assert.equal(f.note([{ type: 'ws', record: wsRecord(1, { state: 'connecting' }) }]), false);
  assert.equal(
    f.note([
      { type: 'ws', record: wsRecord(1, { state: 'failed' }) },
      { type: 'ws', record: wsRecord(2, { state: 'closed' }) },
    ]),
    true,
  );
  assert.equal(f.note([{ type: 'ws', record: wsRecord(1, { state: 'failed' }) }]), false, 'the same session again');
  now += 60_000;
  f.note([{ type: 'ws', record: wsRecord(3, { state: 'failed' }) }]);
  assert.equal(f.count(), 2);
  now += 14 * 60_000 + 1;
  assert.equal(f.count(), 1, 'session 1 aged out');
  assert.equal(f.note([{ type: 'cleared' }]), true);
  assert.equal(f.count(), 0);
  assert.equal(f.note([{ type: 'cleared' }]), false);
});
