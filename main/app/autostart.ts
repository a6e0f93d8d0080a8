// Launch at login: login items on macOS/Windows, an XDG autostart .desktop entry on Linux.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const AUTOSTART_FILE = 'loopgate.desktop';
/** The switch the login launch passes: start in the tray, without opening the window. */
export const HIDDEN_FLAG = '--hidden';

/** ~/.config/autostart (or $XDG_CONFIG_HOME/autostart). */
export function autostartDir(env: NodeJS.ProcessEnv, home: string): string {
  const base = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(base, 'autostart');
}

/**
 * Quote one argument of a Desktop Entry Exec key: inside double quotes, `"`, `` ` ``, `$` and `\`
 * are backslash-escaped; then the value's own escaping doubles backslashes again (and writes
 * newlines as a backslash and n), and `%` is `%%`.
 */
export function quoteExecArg(arg: string): string {
  const quoted = /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
  return quoted.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/%/g, '%%');
}

/** The .desktop entry that starts `command` (argv) hidden at login. */
export function desktopEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    'Name=Loopgate',
    'Comment=Local nginx you can see into',
    `Exec=${command.map(quoteExecArg).join(' ')}`,
    'Icon=loopgate',
    'Terminal=false',
    'Categories=Development;',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export interface LinuxAutostartOptions {
  home: string;
  env: NodeJS.ProcessEnv;
  /** argv that starts this app (AppImage path, or electron + app folder in development). */
  command: readonly string[];
}

export async function linuxAutostartEnabled(o: Pick<LinuxAutostartOptions, 'home' | 'env'>): Promise<boolean> {
  try {
    const text = await readFile(join(autostartDir(o.env, o.home), AUTOSTART_FILE), 'utf8');
    return !/^\s*(Hidden\s*=\s*true|X-GNOME-Autostart-enabled\s*=\s*false)\s*$/im.test(text);
  } catch {
    return false;
  }
}

export async function setLinuxAutostart(o: LinuxAutostartOptions, enabled: boolean): Promise<void> {
  const dir = autostartDir(o.env, o.home);
  const file = join(dir, AUTOSTART_FILE);
  if (!enabled) {
    await rm(file, { force: true });
    return;
  }
  await mkdir(dir, { recursive: true });
  await writeFile(file, desktopEntry([...o.command, HIDDEN_FLAG]), { mode: 0o644 });
}

/** The parts of Electron's app used on macOS and Windows. */
export interface LoginItemsApp {
  getLoginItemSettings(options?: { args?: string[] }): { openAtLogin: boolean };
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void;
}

export interface LaunchAtLogin {
  /** null: not supported on this platform. */
  get(): Promise<boolean | null>;
  set(enabled: boolean): Promise<void>;
}

/** One interface over the platforms. */
export function launchAtLogin(
  o: { platform: NodeJS.Platform; app: LoginItemsApp } & LinuxAutostartOptions,
): LaunchAtLogin {
  if (o.platform === 'linux') {
    return { get: () => linuxAutostartEnabled(o), set: (on) => setLinuxAutostart(o, on) };
  }
  if (o.platform === 'darwin' || o.platform === 'win32') {
    const args = o.platform === 'win32' ? [HIDDEN_FLAG] : undefined;
    return {
      get: async () => o.app.getLoginItemSettings(args ? { args } : undefined).openAtLogin,
      set: async (on) => o.app.setLoginItemSettings(args ? { openAtLogin: on, args } : { openAtLogin: on }),
    };
  }
  return { get: async () => null, set: async () => {} };
}

/** The command that starts this app: the AppImage when run from one, else the executable (+ app path in development). */
export function selfCommand(o: {
  execPath: string;
  appPath: string;
  packaged: boolean;
  env: NodeJS.ProcessEnv;
}): string[] {
  if (o.env.APPIMAGE) return [o.env.APPIMAGE];
  return o.packaged ? [o.execPath] : [o.execPath, o.appPath];
}
