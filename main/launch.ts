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
    if (typeof bin !== 'string' || !existsSync(bin))
      return { ok: false, reason: 'the Electron runtime is not installed' };
    if (!existsSync(shell)) return { ok: false, reason: 'the desktop shell is not built yet' };
    return { ok: true, path: bin };
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    return {
      ok: false,
      reason: /failed to install/i.test(msg)
        ? 'the Electron runtime was not downloaded (no access to its download host)'
        : msg.split('\n')[0]!,
    };
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

/**
 * Run the desktop app with these CLI arguments. Resolves with Electron's exit code, or with a reason
 * when it could not start at all (exited within a few seconds with an error, or could not be spawned:
 * no display, missing system libraries), so the caller can fall back to browser mode.
 */
export function runElectron(
  bin: string,
  args: string[],
): Promise<{ started: true; code: number } | { started: false; reason: string }> {
  const shell = fileURLToPath(new URL('../dist/app/electron-main.cjs', import.meta.url));
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  return new Promise((resolve) => {
    const t0 = Date.now();
    let stderr = '';
    const child = spawn(bin, [shell, ...args], { stdio: ['inherit', 'inherit', 'pipe'], env });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      process.stderr.write(d);
    });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const done = (result: { started: true; code: number } | { started: false; reason: string }) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(result);
    };
    child.once('error', (err) => done({ started: false, reason: err.message }));
    child.once('exit', (code, signal) => {
      const quick = Date.now() - t0 < 5000;
      if (quick && code !== 0 && signal === null) {
        const line = stderr.split('\n').find((l) => /error|cannot|missing|display/i.test(l)) ?? `exit code ${code}`;
        done({ started: false, reason: `Electron exited at start: ${line.trim().slice(0, 200)}` });
      } else {
        done({ started: true, code: code ?? 1 });
      }
    });
  });
}

/** Browser mode for `loopgate start` when Electron cannot start: say so in one line, open the UI. */
export function openBrowserMode(rt: { controlUrl: string | null; token: string }, reason: string | null): void {
  const ui = rt.controlUrl ? `${rt.controlUrl}/?token=${rt.token}` : null;
  if (reason) console.log(`Electron cannot start here: ${reason}; running in browser mode${ui ? ` — open ${ui}` : ''}`);
  if (ui) openInBrowser(ui);
}
