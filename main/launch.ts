// `loopgate start`: finds the Electron runtime and the shell; when either is missing, opens the browser UI.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Where the Electron binary is, or why there is none. */
export function findElectron(): { ok: true; path: string } | { ok: false; reason: string } {
  const shell = fileURLToPath(new URL('../dist/app/electron-main.cjs', import.meta.url));
  try {
    const require = createRequire(import.meta.url);
    const bin = require('electron') as unknown;
    if (typeof bin !== 'string' || !existsSync(bin)) return { ok: false, reason: 'the Electron runtime is not installed' };
    if (!existsSync(shell)) return { ok: false, reason: 'the desktop shell is not built yet' };
    return { ok: true, path: bin };
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    return { ok: false, reason: /failed to install/i.test(msg) ? 'the Electron runtime was not downloaded (no access to its download host)' : msg.split('\n')[0]! };
  }
}

/** Open a URL in the system browser (best effort; prints the URL whatever happens). */
export function openInBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    /* the URL is printed already */
  }
}

/** Browser mode for `loopgate start` when Electron cannot start: say so in one line, open the UI. */
export async function launchDesktopOrBrowser(rt: { controlUrl: string | null; token: string }): Promise<void> {
  const electron = findElectron();
  const ui = rt.controlUrl ? `${rt.controlUrl}/?token=${rt.token}` : null;
  if (!electron.ok) {
    console.log(`Electron cannot start here (${electron.reason}): running in browser mode${ui ? ` — open ${ui}` : ''}`);
    if (ui) openInBrowser(ui);
  }
}
