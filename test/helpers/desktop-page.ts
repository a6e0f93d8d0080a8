// Desktop page harness: the real renderer in Chromium as the Electron window runs it (app:// files under the real CSP, the real preload, the real IPC handlers); only Electron's IPC transport is replaced.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { build, type Plugin } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { APP_ORIGIN } from '../../main/app/window/app-origin.ts';
import { createAppProtocolHandler } from '../../main/app/window/app-protocol.ts';
import { BRIDGE_METHODS, channelOf, EVENTS_CHANNEL } from '../../main/app/bridge/bridge-methods.ts';
import {
  createHandlers,
  EventForwarder,
  type ControllerSource,
  type Handler,
  type InvokeEventLike,
  type WebContentsLike,
} from '../../main/app/bridge/ipc-handlers.ts';
import { parseLaunchArgs } from '../../main/app/launch-args.ts';
import { SettingsFile } from '../../main/app/settings.ts';
import { AppShell, type TrayView } from '../../main/app/shell.ts';
import { Runtime } from '../../main/runtime.ts';

/**
 * Where the desktop page lives in Chromium. Playwright cannot route a custom scheme, so app://loopgate/
 * is served at this http origin instead; the handlers see the page's URL mapped back to app://loopgate/.
 */
export const DESKTOP_ORIGIN = 'http://loopgate.test';

/** The Playwright binding the shim's ipcRenderer.invoke calls, and the page function events arrive through. */
const INVOKE_BINDING = '__loopgateIpcInvoke';
const DELIVER = '__loopgateIpcDeliver';
const CSP_BINDING = '__loopgateCspViolation';

/** http://loopgate.test/x?y → app://loopgate/x?y; any other URL (about:blank, a foreign page) is left as it is. */
export function toAppUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  return u.origin === DESKTOP_ORIGIN ? `${APP_ORIGIN}${u.pathname}${u.search}${u.hash}` : url;
}

/**
 * The `electron` module as the preload sees it, in the page: contextBridge defines a frozen,
 * read-only global (functions wrapped so a thrown error crosses as a plain Error with its message, as
 * the context bridge does); ipcRenderer.invoke structured-clones its arguments (a non-cloneable one
 * fails as in Electron) and calls the binding; events come in through a hidden page function.
 */
const ELECTRON_SHIM = `
const listeners = new Map();
const plainError = (e) => (e instanceof Error ? new Error(e.message) : e);
const wrap = (fn) => (...args) => {
  try {
    const r = fn(...args);
    return r instanceof Promise ? r.catch((e) => { throw plainError(e); }) : r;
  } catch (e) {
    throw plainError(e);
  }
};
export const ipcRenderer = {
  async invoke(channel, ...args) {
    let copy;
    try {
      copy = structuredClone(args);
    } catch {
      throw new Error('An object could not be cloned.');
    }
    const r = await globalThis[${JSON.stringify(INVOKE_BINDING)}](channel, copy);
    if ('threw' in r) throw new Error("Error invoking remote method '" + channel + "': " + r.threw);
    return r.value;
  },
  on(channel, fn) {
    if (!listeners.has(channel)) listeners.set(channel, new Set());
    listeners.get(channel).add(fn);
    return ipcRenderer;
  },
  removeListener(channel, fn) {
    listeners.get(channel)?.delete(fn);
    return ipcRenderer;
  },
};
Object.defineProperty(globalThis, ${JSON.stringify(DELIVER)}, {
  enumerable: false,
  value: (channel, args) => {
    for (const fn of [...(listeners.get(channel) ?? [])]) fn({ sender: ipcRenderer }, ...args);
  },
});
export const contextBridge = {
  exposeInMainWorld(key, api) {
    const copy = {};
    for (const [k, v] of Object.entries(api)) copy[k] = typeof v === 'function' ? wrap(v) : structuredClone(v);
    Object.defineProperty(globalThis, key, { value: Object.freeze(copy), writable: false, enumerable: true, configurable: false });
  },
};
`;

/** Reports CSP violations (the event carries what was refused and by which directive) to the test. */
const CSP_LISTENER = `addEventListener('securitypolicyviolation', (e) => {
  globalThis[${JSON.stringify(CSP_BINDING)}]?.(e.violatedDirective + ' refused ' + (e.blockedURI || 'inline') + (e.sourceFile ? ' at ' + e.sourceFile + ':' + e.lineNumber : ''));
}, true);`;

let preloadCode: Promise<string> | null = null;

/** main/app/bridge/preload.ts bundled as build/build.mjs does, with `electron` resolved to the shim above. */
export function buildPreload(): Promise<string> {
  const shim: Plugin = {
    name: 'electron-shim',
    setup(b) {
      b.onResolve({ filter: /^electron$/ }, () => ({ path: 'electron', namespace: 'electron-shim' }));
      b.onLoad({ filter: /.*/, namespace: 'electron-shim' }, () => ({ contents: ELECTRON_SHIM, loader: 'js' }));
    },
  };
  preloadCode ??= build({
    entryPoints: [new URL('../../main/app/bridge/preload.ts', import.meta.url).pathname],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
    plugins: [shim],
  }).then((out) => out.outputFiles[0]!.text);
  return preloadCode;
}

/** What crosses Electron's IPC: a structured clone (a function or other non-cloneable value throws). */
export function ipcClone<T>(value: T): T {
  return deserialize(serialize(value)) as T;
}

export interface DesktopPage {
  page: Page;
  context: BrowserContext;
  /** Every URL the page requested (documents, scripts, styles, fetches), in order. */
  requests: string[];
  /** The channel of every invoke that reached the main side, in order. */
  calls: string[];
  /** Every CSP violation the page reported (securitypolicyviolation events and CSP console errors). */
  cspViolations: string[];
  /** Uncaught page errors, and events the main side could not send (not structured-cloneable). */
  errors: string[];
  /** The page URL for a path of the UI, e.g. url('/index.html?tab=watch'). */
  url(path?: string): string;
  close(): Promise<void>;
}

export interface DesktopPageOptions {
  /** Where the handlers find the Controller: an AppShell (as in the app) or any ControllerSource. */
  source: ControllerSource;
  /** The built renderer (buildRenderer().dir), served as app://loopgate/ by the real protocol handler. */
  uiDir: string;
  viewport?: { width: number; height: number };
}

let nextWebContentsId = 1;

/**
 * A new browser context with one page wired like the Electron window: the protocol handler answers
 * its origin (headers, CSP included, passed through), the real preload defines window.loopgate, and
 * each invoke runs the real handler table (createHandlers + EventForwarder) with the page as sender.
 * Not navigated yet: call page.goto(url(...)).
 */
export async function openDesktopPage(browser: Browser, opts: DesktopPageOptions): Promise<DesktopPage> {
  const preload = await buildPreload();
  const protocol = createAppProtocolHandler(opts.uiDir);
  const forwarder = new EventForwarder(opts.source, EVENTS_CHANNEL);
  const handlers = createHandlers(opts.source, forwarder);
  const byChannel = new Map<string, Handler>(BRIDGE_METHODS.map((m) => [channelOf(m), handlers[m]]));
  const requests: string[] = [];
  const calls: string[] = [];
  const cspViolations: string[] = [];
  const errors: string[] = [];

  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
  await context.route(`${DESKTOP_ORIGIN}/**`, async (route) => {
    const req = route.request();
    try {
      const res = await protocol(new Request(toAppUrl(req.url()), { method: req.method() }));
      // The handler's headers as they are: Chromium enforces the CSP of the answer.
      await route.fulfill({
        status: res.status,
        headers: Object.fromEntries(res.headers),
        body: Buffer.from(await res.arrayBuffer()),
      });
    } catch (err) {
      errors.push(`app protocol on ${req.url()}: ${(err as Error).message}`);
      await route.abort().catch(() => {});
    }
  });
  const page = await context.newPage();

  const sender: WebContentsLike = {
    id: nextWebContentsId++,
    send(channel, ...args) {
      let payload: unknown[];
      try {
        payload = ipcClone(args);
      } catch (err) {
        errors.push(`send on ${channel}: ${(err as Error).message}`);
        throw err;
      }
      page
        .evaluate(
          ([name, c, a]) => (globalThis as unknown as Record<string, (c: string, a: unknown[]) => void>)[name]!(c, a),
          [DELIVER, channel, payload] as const,
        )
        .catch(() => {}); // the page closed or navigated meanwhile
    },
    isDestroyed: () => page.isClosed(),
    once(_event, listener) {
      page.once('close', listener);
      return sender;
    },
  };

  await page.exposeBinding(INVOKE_BINDING, async (src, channel: unknown, args: unknown) => {
    const handler = typeof channel === 'string' ? byChannel.get(channel) : undefined;
    calls.push(String(channel));
    try {
      if (!handler) throw new Error(`No handler registered for '${String(channel)}'`);
      const event: InvokeEventLike = { senderFrame: { url: toAppUrl(src.frame.url()) }, sender };
      const value = await handler(event, ...ipcClone(Array.isArray(args) ? args : []));
      return { value: ipcClone(value) };
    } catch (err) {
      return { threw: String(err) }; // "Error: message", as Electron's rejection text has it
    }
  });
  await page.exposeBinding(CSP_BINDING, (_src, text: unknown) => void cspViolations.push(String(text)));
  await page.addInitScript({ content: CSP_LISTENER });
  await page.addInitScript({ content: preload });
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });

  return {
    page,
    context,
    requests,
    calls,
    cspViolations,
    errors,
    url: (path = '/index.html') => `${DESKTOP_ORIGIN}${path.startsWith('/') ? path : `/${path}`}`,
    async close() {
      // (The forwarder's onControllerChange hook on the source stays: EventForwarder has no way to drop it.)
      forwarder.close();
      await context.close().catch(() => {});
    },
  };
}

/**
 * An AppShell started as main/app/electron-main.ts starts it (Runtime.start, the launch options of
 * `loopgate start --config FILE`: no control server, the file watched), with a tray, window and
 * dialogs that only record. userData holds the app's settings.
 */
export async function startDesktopShell(
  configFile: string,
  userData: string,
): Promise<{ shell: AppShell; trays: TrayView[]; log: string[] }> {
  mkdirSync(userData, { recursive: true });
  const trays: TrayView[] = [];
  const log: string[] = [];
  const shell = new AppShell({
    startRuntime: (o) => Runtime.start(o),
    settings: new SettingsFile(userData),
    launchAtLogin: { get: async () => false, set: async () => {} },
    platform: process.platform,
    renderTray: (view) => trays.push(view),
    openWindow: () => log.push('openWindow'),
    openExternal: (url) => log.push(`openExternal ${url}`),
    copyText: (text) => log.push(`copyText ${text}`),
    chooseConfig: async () => null,
    quit: () => log.push('quit'),
    log: (m) => log.push(m),
  });
  await shell.start(parseLaunchArgs(['--config', configFile], dirname(configFile)));
  shell.refresh(true);
  return { shell, trays, log };
}
