// Window security (every flag, navigation/new-window/webview/permission refusals), close-to-tray, lifecycle rules.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { drainBeforeQuit, singleInstance } from '../../main/app/lifecycle.ts';
import {
  hardenContents,
  hardenSession,
  isAllowedExternal,
  windowOptions,
  type HardenableContents,
  type HardenableSession,
} from '../../main/app/window/window-options.ts';
import { WindowManager, type WindowLike } from '../../main/app/window/window.ts';

test('window options: every security flag set explicitly', () => {
  const o = windowOptions({ preload: '/app/dist/app/preload.cjs', icon: '/app/icons/app.png', devTools: false });
  const w = o.webPreferences!;
  assert.equal(w.preload, '/app/dist/app/preload.cjs');
  assert.equal(w.contextIsolation, true);
  assert.equal(w.sandbox, true);
  assert.equal(w.nodeIntegration, false);
  assert.equal(w.nodeIntegrationInWorker, false);
  assert.equal(w.nodeIntegrationInSubFrames, false);
  assert.equal(w.webSecurity, true);
  assert.equal(w.allowRunningInsecureContent, false);
  assert.equal(w.webviewTag, false);
  assert.equal(w.experimentalFeatures, false);
  assert.equal(w.navigateOnDragDrop, false);
  assert.equal(w.safeDialogs, true);
  assert.equal(w.devTools, false);
  assert.equal((w as Record<string, unknown>).enableBlinkFeatures, undefined);
  assert.equal(o.show, false, 'shown on ready-to-show, no white flash');
  assert.equal(o.icon, '/app/icons/app.png');
  assert.equal(windowOptions({ preload: 'p' }).webPreferences!.devTools, true);
});

test('external link allowlist', () => {
  for (const ok of [
    'http://localhost:8080/',
    'http://127.0.0.1:5173/x?y',
    'https://[::1]:8443/',
    'https://nginx.org/en/docs/',
    'https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS',
  ]) {
    assert.equal(isAllowedExternal(ok), true, ok);
  }
  for (const bad of [
    'http://nginx.org/',
    'https://evil.example/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'smb://host/share',
    'https://nginx.org.evil.example/',
    'http://user:pw@localhost/',
    'ms-settings:',
    'not a url',
    'https://10.0.0.1/',
  ]) {
    assert.equal(isAllowedExternal(bad), false, bad);
  }
});

class FakeContents extends EventEmitter {
  openHandler: ((d: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
    this.openHandler = h;
  }
  /** Emit like Electron: returns whether a listener prevented the default. */
  fire(event: string, url?: string): boolean {
    let prevented = false;
    this.emit(event, { preventDefault: () => (prevented = true), url }, url);
    return prevented;
  }
}

test('navigation stays on app://loopgate; allowed links open in the system browser', () => {
  const wc = new FakeContents();
  const opened: string[] = [];
  hardenContents(wc as unknown as HardenableContents, (u) => opened.push(u));
  assert.equal(wc.fire('will-navigate', 'app://loopgate/sessions'), false);
  assert.equal(wc.fire('will-navigate', 'https://nginx.org/en/docs/'), true);
  assert.equal(wc.fire('will-navigate', 'file:///etc/passwd'), true);
  assert.equal(wc.fire('will-navigate', 'app://evil/index.html'), true);
  assert.equal(wc.fire('will-navigate', 'http://127.0.0.1:8080/'), true);
  assert.deepEqual(opened, ['https://nginx.org/en/docs/', 'http://127.0.0.1:8080/']);
  assert.equal(wc.fire('will-redirect', 'https://evil.example/'), true);
  assert.equal(wc.fire('will-redirect', 'app://loopgate/index.html'), false);
  assert.equal(wc.fire('will-attach-webview'), true);
  assert.deepEqual(wc.openHandler!({ url: 'https://developer.mozilla.org/x' }), { action: 'deny' });
  assert.deepEqual(wc.openHandler!({ url: 'https://evil.example/' }), { action: 'deny' });
  assert.deepEqual(wc.openHandler!({ url: 'app://loopgate/index.html' }), { action: 'deny' });
  assert.deepEqual(opened.slice(2), ['https://developer.mozilla.org/x']);
});

test('permissions: every request and check denied, except clipboard writes from the UI origin', () => {
  const s: Record<string, (...args: never[]) => unknown> = {};
  const ses = {
    setPermissionRequestHandler: (h: never) => (s.request = h),
    setPermissionCheckHandler: (h: never) => (s.check = h),
    setDevicePermissionHandler: (h: never) => (s.device = h),
  } as unknown as HardenableSession;
  hardenSession(ses);
  const request = (perm: string, url: string) => {
    let granted: boolean | undefined;
    (s.request as (...a: unknown[]) => void)(null, perm, (g: boolean) => (granted = g), { requestingUrl: url });
    return granted;
  };
  const check = (perm: string, origin: string) => (s.check as (...a: unknown[]) => boolean)(null, perm, origin);
  for (const perm of [
    'media',
    'geolocation',
    'notifications',
    'openExternal',
    'fullscreen',
    'clipboard-read',
    'midiSysex',
    'pointerLock',
    'hid',
    'serial',
  ]) {
    assert.equal(request(perm, 'app://loopgate/index.html'), false, perm);
    assert.equal(check(perm, 'app://loopgate'), false, perm);
  }
  assert.equal(request('clipboard-sanitized-write', 'app://loopgate/index.html'), true);
  assert.equal(check('clipboard-sanitized-write', 'app://loopgate'), true);
  assert.equal(request('clipboard-sanitized-write', 'https://evil.example/'), false);
  assert.equal(check('clipboard-sanitized-write', 'http://127.0.0.1:8080'), false);
  assert.equal((s.device as (d: unknown) => boolean)({ deviceType: 'usb' }), false);
});

class FakeWindow extends EventEmitter implements WindowLike {
  static made: FakeWindow[] = [];
  loaded: string[] = [];
  visible = false;
  minimized = false;
  destroyed = false;
  focused = 0;
  constructor() {
    super();
    FakeWindow.made.push(this);
  }
  async loadURL(url: string) {
    this.loaded.push(url);
  }
  show() {
    this.visible = true;
  }
  hide() {
    this.visible = false;
  }
  focus() {
    this.focused++;
  }
  restore() {
    this.minimized = false;
  }
  isMinimized() {
    return this.minimized;
  }
  isDestroyed() {
    return this.destroyed;
  }
  /** Like Electron: 'close' can be prevented; if not, the window is destroyed and 'closed' follows. */
  userClose(): boolean {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (!prevented) {
      this.destroyed = true;
      this.emit('closed');
    }
    return !prevented;
  }
}

test('window: created once, loads app://loopgate, shows on ready; close hides to the tray until quitting', () => {
  FakeWindow.made = [];
  const wm = new WindowManager(() => new FakeWindow(), 'app://loopgate/index.html');
  const w = wm.show() as FakeWindow;
  assert.deepEqual(w.loaded, ['app://loopgate/index.html']);
  assert.equal(w.visible, false);
  w.emit('ready-to-show');
  assert.equal(w.visible, true);
  assert.equal(w.userClose(), false, 'close is turned into hide');
  assert.equal(w.visible, false);
  w.minimized = true;
  assert.equal(wm.show(), w, 'the same window comes back');
  assert.equal(w.visible, true);
  assert.equal(w.minimized, false);
  assert.equal(FakeWindow.made.length, 1);
  wm.setQuitting();
  assert.equal(w.userClose(), true, 'quitting: the window really closes');
  assert.equal(wm.window, null);
  const again = wm.show();
  assert.notEqual(again, w);
  assert.equal(FakeWindow.made.length, 2);
});

test('window: a load failure is reported as a message', async () => {
  const errors: string[] = [];
  const wm = new WindowManager(() => {
    const w = new FakeWindow();
    w.loadURL = async () => {
      throw new Error('ERR_FAILED (-2)');
    };
    return w;
  }, 'app://loopgate/index.html');
  wm.onLoadError = (m) => errors.push(m);
  wm.show();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(errors, ['the window could not load app://loopgate/index.html: ERR_FAILED (-2)']);
});

class FakeApp extends EventEmitter {
  lock = true;
  quits = 0;
  requestSingleInstanceLock() {
    return this.lock;
  }
  quit() {
    this.quits++;
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (!prevented) this.emit('quit');
  }
}

test('single instance: without the lock this process quits; with it, a second launch hands over argv', () => {
  const second = new FakeApp();
  second.lock = false;
  const seen: unknown[] = [];
  assert.equal(
    singleInstance(second, () => seen.push('x')),
    false,
  );
  assert.equal(second.quits, 1);
  const first = new FakeApp();
  assert.equal(
    singleInstance(first, (argv, cwd) => seen.push([argv, cwd])),
    true,
  );
  first.emit('second-instance', {}, ['/usr/bin/loopgate', '--config', 'x.json'], '/home/u/p');
  assert.deepEqual(seen, [[['/usr/bin/loopgate', '--config', 'x.json'], '/home/u/p']]);
  assert.equal(first.quits, 0);
});

test('quit drains first, once, then really quits; closing all windows does not quit', async () => {
  const app = new FakeApp();
  let drains = 0;
  let release!: () => void;
  const order: string[] = [];
  drainBeforeQuit(
    app,
    () => {
      drains++;
      order.push('drain');
      return new Promise<void>((r) => (release = r));
    },
    () => order.push('quitting'),
  );
  let quitted = false;
  app.on('quit', () => (quitted = true));
  app.emit('window-all-closed');
  assert.equal(app.quits, 0);
  app.quit();
  app.quit(); // a second request while draining
  assert.equal(quitted, false);
  assert.equal(drains, 1);
  release();
  await new Promise((r) => setImmediate(r));
  assert.equal(quitted, true);
  assert.deepEqual(order, ['quitting', 'drain']);
});

test('quit still happens when draining fails, and the failure is logged', async () => {
  const app = new FakeApp();
  const logs: string[] = [];
  drainBeforeQuit(
    app,
    async () => Promise.reject(new Error('boom')),
    () => {},
    (m) => logs.push(m),
  );
  let quitted = false;
  app.on('quit', () => (quitted = true));
  app.quit();
  await new Promise((r) => setImmediate(r));
  assert.equal(quitted, true);
  assert.deepEqual(logs, ['loopgate: stopping failed: boom']);
});
