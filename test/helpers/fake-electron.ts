// A small stand-in for the `electron` module's main-process API, recording what the app does with it.
import { EventEmitter } from 'node:events';

type Handler = (event: unknown, ...args: unknown[]) => Promise<unknown>;

export class FakeWebContents extends EventEmitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  openHandler: ((d: { url: string }) => { action: string }) | null = null;
  sent: Array<[string, unknown]> = [];
  destroyed = false;
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
    this.openHandler = h;
  }
  send(channel: string, payload: unknown) {
    this.sent.push([channel, payload]);
  }
  isDestroyed() {
    return this.destroyed;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static all: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  loaded: string[] = [];
  visible = false;
  destroyed = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.all.push(this);
  }
  async loadURL(url: string) {
    this.loaded.push(url);
    setImmediate(() => this.emit('ready-to-show'));
  }
  show() {
    this.visible = true;
  }
  hide() {
    this.visible = false;
  }
  focus() {}
  restore() {}
  isMinimized() {
    return false;
  }
  isDestroyed() {
    return this.destroyed;
  }
  /** The user closes the window: true if it really closed. */
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

export class FakeTray extends EventEmitter {
  static all: FakeTray[] = [];
  tooltip = '';
  menu: { template: Array<Record<string, unknown>> } | null = null;
  destroyed = false;
  constructor(public image: { path: string }) {
    super();
    FakeTray.all.push(this);
  }
  setImage(image: { path: string }) {
    this.image = image;
  }
  setToolTip(t: string) {
    this.tooltip = t;
  }
  setContextMenu(menu: { template: Array<Record<string, unknown>> }) {
    this.menu = menu;
  }
  destroy() {
    this.destroyed = true;
  }
}

export function fakeElectron(opts: { appData: string; home: string; lock?: boolean }) {
  const calls: string[] = [];
  let ready!: () => void;
  const whenReady = new Promise<void>((r) => (ready = r));
  let isReady = false;
  const paths = new Map<string, string>([
    ['appData', opts.appData],
    ['home', opts.home],
  ]);
  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    quitted: false,
    exitCode: null as number | null,
    setPath: (name: string, p: string) => paths.set(name, p),
    getPath: (name: string) => paths.get(name) ?? `/fake/${name}`,
    getAppPath: () => '/fake/app',
    requestSingleInstanceLock: () => (calls.push('lock'), opts.lock ?? true),
    whenReady: () => whenReady,
    quit: () => {
      calls.push('quit');
      let prevented = false;
      app.emit('before-quit', { preventDefault: () => (prevented = true) });
      if (!prevented) app.quitted = true;
    },
    exit: (code: number) => (app.exitCode = code),
    getLoginItemSettings: () => ({ openAtLogin: false }),
    setLoginItemSettings: () => {},
  });
  const handlers = new Map<string, Handler>();
  const protocolHandlers = new Map<string, (r: Request) => Promise<Response>>();
  const privileged: Array<{ scheme: string; privileges: Record<string, unknown>; beforeReady: boolean }> = [];
  const session = {
    permissionRequest: null as unknown,
    permissionCheck: null as unknown,
    setPermissionRequestHandler: (h: unknown) => (session.permissionRequest = h),
    setPermissionCheckHandler: (h: unknown) => (session.permissionCheck = h),
    setDevicePermissionHandler: () => {},
  };
  const opened: string[] = [];
  const clipboardText: string[] = [];
  const electron = {
    app,
    BrowserWindow: FakeBrowserWindow,
    Tray: FakeTray,
    clipboard: { writeText: (t: string) => clipboardText.push(t) },
    dialog: {
      showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
      showErrorBox: (t: string, m: string) => calls.push(`errorBox ${t}: ${m}`),
    },
    ipcMain: {
      handle: (ch: string, fn: Handler) => handlers.set(ch, fn),
      removeHandler: (ch: string) => handlers.delete(ch),
    },
    Menu: { buildFromTemplate: (template: Array<Record<string, unknown>>) => ({ template }) },
    nativeImage: { createFromPath: (path: string) => ({ path }) },
    protocol: {
      registerSchemesAsPrivileged: (schemes: Array<{ scheme: string; privileges: Record<string, unknown> }>) => {
        for (const s of schemes) privileged.push({ ...s, beforeReady: !isReady });
      },
      handle: (scheme: string, h: (r: Request) => Promise<Response>) => protocolHandlers.set(scheme, h),
    },
    session: { defaultSession: session },
    shell: { openExternal: async (url: string) => void opened.push(url) },
  };
  return {
    electron,
    app,
    calls,
    handlers,
    protocolHandlers,
    privileged,
    session,
    opened,
    clipboardText,
    ready: () => {
      isReady = true;
      ready();
    },
  };
}
