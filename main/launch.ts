// `loopgate start`: finds the Electron runtime (fetching it on first start) and the shell; else browser mode.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ElectronFound = { ok: true; path: string } | { ok: false; reason: string };

/** Where `start` looks: the electron package (resolved from `from`) and the built shell. */
export interface LaunchPaths {
  from: string;
  shell: string;
}

const DEFAULT_PATHS: LaunchPaths = {
  from: import.meta.url,
  shell: fileURLToPath(new URL('../dist/app/electron-main.cjs', import.meta.url)),
};

/** The installed electron package, or null when npm left it out (it drops it when its download fails). */
function electronPackage(from: string): { dir: string; version: string } | null {
  try {
    const file = createRequire(from).resolve('electron/package.json');
    return { dir: dirname(file), version: (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version };
  } catch {
    return null;
  }
}

/** Where the Electron binary is, or why there is none (nothing is downloaded here). */
export function findElectron(paths: LaunchPaths = DEFAULT_PATHS): ElectronFound {
  if (!electronPackage(paths.from))
    return { ok: false, reason: 'the electron package is not installed (npm skips it when its download fails)' };
  if (!existsSync(paths.shell)) return { ok: false, reason: 'the desktop shell is not built yet (npm run build)' };
  try {
    const bin = createRequire(paths.from)('electron') as unknown;
    if (typeof bin === 'string' && existsSync(bin)) return { ok: true, path: bin };
  } catch {
    /* electron's index throws until its runtime is downloaded */
  }
  return { ok: false, reason: 'its runtime is not downloaded' };
}

/**
 * Download the runtime into node_modules/electron/dist with electron's own installer (its download
 * host, or ELECTRON_MIRROR): `npm install` leaves that step out so that it succeeds offline.
 * Never throws; a failure comes back as the installer's error line, without its stack.
 */
export function fetchElectronRuntime(
  packageDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(process.execPath, [join(packageDir, 'install.js')], {
      cwd: packageDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      if (out.length < 64 * 1024) out += d.toString();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('error', (err) => resolve({ ok: false, reason: err.message }));
    child.once('exit', (code, signal) => {
      if (code === 0) return resolve({ ok: true });
      const line = out.split('\n').find((l) => l.trim() && !/^\s+at /.test(l)) ?? `exit ${code ?? signal}`;
      resolve({
        ok: false,
        reason: line
          .trim()
          .replace(/^\w*Error: /, '')
          .slice(0, 200),
      });
    });
  });
}

/**
 * findElectron, downloading the runtime first when that is all that is missing (the first `npm start`).
 * `say` gets one line before a download starts.
 */
export async function ensureElectron(
  say: (line: string) => void,
  paths: LaunchPaths = DEFAULT_PATHS,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ElectronFound> {
  const found = findElectron(paths);
  const pkg = electronPackage(paths.from);
  if (found.ok || !pkg || found.reason !== 'its runtime is not downloaded') return found;
  if (env.ELECTRON_SKIP_BINARY_DOWNLOAD)
    return { ok: false, reason: 'its runtime is not downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD is set)' };
  say(`Downloading the Electron ${pkg.version} runtime (about 100 MB, needed once)…`);
  const fetched = await fetchElectronRuntime(pkg.dir, env);
  if (!fetched.ok) return { ok: false, reason: `its runtime could not be downloaded (${fetched.reason})` };
  const again = findElectron(paths);
  return again.ok ? again : { ok: false, reason: 'its runtime download left no binary' };
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
