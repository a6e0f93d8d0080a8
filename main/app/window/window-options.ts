// The window's security: BrowserWindow options, navigation/new-window/webview refusals, permission denial, link allowlist.
import type { BrowserWindowConstructorOptions } from 'electron';
import { APP_ORIGIN, isAppUrl } from './app-origin.ts';

/** Options for the one Loopgate window. Every security-relevant flag is spelled out, not left to defaults. */
export function windowOptions(opts: {
  preload: string;
  icon?: string;
  devTools?: boolean;
}): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Loopgate',
    backgroundColor: '#16181d',
    autoHideMenuBar: true,
    ...(opts.icon ? { icon: opts.icon } : {}),
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: opts.devTools ?? true,
    },
  };
}

/**
 * Links the UI may open in the system browser: http(s) on loopback (the site Loopgate serves, local
 * backends) and https documentation hosts. Everything else is dropped.
 */
export const EXTERNAL_HTTPS_HOSTS = ['nginx.org', 'developer.mozilla.org', 'github.com', 'www.electronjs.org'];
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isAllowedExternal(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.username || u.password) return false;
  if ((u.protocol === 'http:' || u.protocol === 'https:') && LOOPBACK.has(u.hostname)) return true;
  return u.protocol === 'https:' && EXTERNAL_HTTPS_HOSTS.includes(u.hostname);
}

/** The parts of WebContents the hardening uses. */
export interface HardenableContents {
  on(
    event: 'will-navigate' | 'will-redirect',
    listener: (event: { preventDefault(): void; url?: string }, url: string) => void,
  ): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
}

/**
 * Navigation stays on app://loopgate; any other navigation, redirect, new window or <webview> is
 * refused. Links the allowlist accepts open in the system browser instead.
 */
export function hardenContents(contents: HardenableContents, openExternal: (url: string) => void): void {
  const leave = (event: { preventDefault(): void }, url: string) => {
    if (isAppUrl(url)) return;
    event.preventDefault();
    if (isAllowedExternal(url)) openExternal(url);
  };
  contents.on('will-navigate', leave);
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url)) openExternal(url);
    return { action: 'deny' };
  });
}

/** The parts of Session the hardening uses. */
export interface HardenableSession {
  setPermissionRequestHandler(
    handler: (
      wc: unknown,
      permission: string,
      callback: (granted: boolean) => void,
      details: { requestingUrl?: string },
    ) => void,
  ): void;
  setPermissionCheckHandler(handler: (wc: unknown, permission: string, requestingOrigin: string) => boolean): void;
  setDevicePermissionHandler?(handler: (details: unknown) => boolean): void;
}

/**
 * Deny every permission (camera, notifications, geolocation, HID, …). The one exception is writing
 * to the clipboard from the UI's own origin ("copy as cURL", "copy frame").
 */
export function hardenSession(ses: HardenableSession): void {
  const clipboardWrite = (permission: string, origin: string | undefined) =>
    permission === 'clipboard-sanitized-write' &&
    typeof origin === 'string' &&
    (origin === APP_ORIGIN || isAppUrl(origin));
  ses.setPermissionRequestHandler((_wc, permission, callback, details) =>
    callback(clipboardWrite(permission, details?.requestingUrl)),
  );
  ses.setPermissionCheckHandler((_wc, permission, origin) => clipboardWrite(permission, origin));
  ses.setDevicePermissionHandler?.(() => false);
}
