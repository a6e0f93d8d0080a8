// Electron main process: wires the plain modules to Electron's objects (the one main-process file importing it).
import {
  app,
  BrowserWindow,
  clipboard,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  protocol,
  session,
  shell,
  Tray,
} from 'electron';
import { join, resolve } from 'node:path';
import { Runtime } from '../runtime.ts';
import { APP_INDEX_URL, APP_SCHEME } from './window/app-origin.ts';
import { APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from './window/app-protocol.ts';
import { launchAtLogin, selfCommand } from './autostart.ts';
import { EVENTS_CHANNEL } from './bridge/bridge-methods.ts';
import { createHandlers, EventForwarder, registerHandlers } from './bridge/ipc-handlers.ts';
import { drainBeforeQuit, singleInstance } from './lifecycle.ts';
import { parseLaunchArgs, userArgs } from './launch-args.ts';
import { SettingsFile } from './settings.ts';
import { AppShell, type TrayView } from './shell.ts';
import { hardenContents, hardenSession, isAllowedExternal, windowOptions } from './window/window-options.ts';
import { WindowManager } from './window/window.ts';

// Bundled to dist/app/electron-main.cjs: the preload, the UI and the icons sit next to it.
const PRELOAD = join(__dirname, 'preload.cjs');
const RENDERER_DIR = join(__dirname, '..', 'renderer');
const ICONS_DIR = join(__dirname, 'icons');
const defaultApp = Boolean(process.defaultApp);

// Same folder in development and when packaged (LOOPGATE_USER_DATA: tests, portable setups).
app.setPath(
  'userData',
  process.env.LOOPGATE_USER_DATA ? resolve(process.env.LOOPGATE_USER_DATA) : join(app.getPath('appData'), 'Loopgate'),
);
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
const launch = parseLaunchArgs(userArgs(process.argv, defaultApp), process.cwd());

const openExternal = (url: string): void => {
  if (isAllowedExternal(url)) void shell.openExternal(url).catch(() => {});
};

let tray: Tray | null = null;
let core: AppShell | null = null;
let windows: WindowManager<BrowserWindow> | null = null;
let pendingSecond: { argv: string[]; cwd: string } | null = null;

function onSecondInstance(argv: string[], cwd: string): void {
  if (!core || !windows) {
    pendingSecond = { argv, cwd };
    return;
  }
  windows.show();
  const opts = parseLaunchArgs(userArgs(argv, defaultApp), cwd);
  if (opts.configFile && opts.configFile !== core.configFile)
    void core.openConfig(opts.configFile, opts).then(() => core?.refresh());
}

function renderTray(view: TrayView): void {
  const image = nativeImage.createFromPath(join(ICONS_DIR, view.icon));
  if (!tray) {
    tray = new Tray(image);
    // Windows: a left click opens the window (the menu is on the right button). Linux ignores clicks; macOS shows the menu.
    if (process.platform === 'win32') tray.on('click', () => windows?.show());
  } else {
    tray.setImage(image);
  }
  tray.setToolTip(view.tooltip);
  tray.setContextMenu(Menu.buildFromTemplate(view.menu));
  if (process.env.LOOPGATE_E2E === '1') (globalThis as Record<string, unknown>).__loopgateTray = view;
}

async function main(): Promise<void> {
  await app.whenReady();
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, openExternal));
  hardenSession(session.defaultSession);
  protocol.handle(APP_SCHEME, createAppProtocolHandler(RENDERER_DIR));

  const settings = new SettingsFile(app.getPath('userData'));
  const wm = new WindowManager(
    () =>
      new BrowserWindow(
        windowOptions({ preload: PRELOAD, icon: join(ICONS_DIR, 'app.png'), devTools: !app.isPackaged }),
      ),
    APP_INDEX_URL,
  );
  wm.onLoadError = (message) => console.error(`loopgate: ${message}`);
  windows = wm;
  const shellCore = new AppShell({
    startRuntime: (opts) => Runtime.start(opts),
    settings,
    launchAtLogin: launchAtLogin({
      platform: process.platform,
      app,
      home: app.getPath('home'),
      env: process.env,
      command: selfCommand({
        execPath: process.execPath,
        appPath: app.getAppPath(),
        packaged: app.isPackaged,
        env: process.env,
      }),
    }),
    platform: process.platform,
    renderTray,
    openWindow: () => wm.show(),
    openExternal,
    copyText: (text) => clipboard.writeText(text),
    chooseConfig: async () => {
      const r = await dialog.showOpenDialog({
        title: 'Open a project’s loopgate.json (or its folder)',
        buttonLabel: 'Open',
        properties: process.platform === 'darwin' ? ['openFile', 'openDirectory', 'createDirectory'] : ['openFile'],
        filters: [{ name: 'Loopgate config', extensions: ['json'] }],
      });
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    quit: () => app.quit(),
    log: (m) => console.log(m),
  });
  core = shellCore;
  const forwarder = new EventForwarder(shellCore, EVENTS_CHANNEL);
  registerHandlers(ipcMain, createHandlers(shellCore, forwarder));
  drainBeforeQuit(
    app,
    async () => {
      forwarder.close();
      await shellCore.stop();
      tray?.destroy();
    },
    () => wm.setQuitting(),
    console.error,
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
  app.on('activate', () => wm.show());

  await shellCore.start(launch);
  shellCore.refresh(true);
  if (process.env.LOOPGATE_E2E === '1') (globalThis as Record<string, unknown>).__loopgateShell = shellCore;
  if (!launch.hidden) wm.show();
  if (pendingSecond) {
    const { argv, cwd } = pendingSecond;
    pendingSecond = null;
    onSecondInstance(argv, cwd);
  }
}

if (singleInstance(app, onSecondInstance)) {
  main().catch((err: unknown) => {
    console.error(err);
    dialog.showErrorBox('Loopgate could not start', (err as Error)?.message ?? String(err));
    app.exit(1);
  });
}
