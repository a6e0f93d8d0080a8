// `npm run dist` preflight: packaging needs the Electron runtime (downloaded here when missing); else one clear line and exit 1.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureElectron } from '../main/launch.ts';

export type RuntimeCheck =
  | { ok: true; path: string }
  | { ok: false; code: 'NO_ELECTRON_RUNTIME' | 'NO_SHELL_BUILD'; message: string };

/**
 * Is the Electron runtime installed (node_modules/electron/dist, which electron-builder packages),
 * and is the shell built? `resolveElectron` is require('electron') (it returns the binary's path, or
 * throws when the download failed).
 */
export function checkPackaging(
  projectDir: string,
  resolveElectron: () => unknown = () => createRequire(join(projectDir, 'package.json'))('electron'),
): RuntimeCheck {
  let bin: unknown;
  try {
    bin = resolveElectron();
  } catch {
    bin = null;
  }
  if (typeof bin !== 'string' || !existsSync(bin) || !existsSync(join(projectDir, 'node_modules/electron/dist'))) {
    return {
      code: 'NO_ELECTRON_RUNTIME',
      ok: false,
      message:
        'the Electron runtime is not installed (node_modules/electron/dist is missing; npm install leaves it out). ' +
        "Run `npm run dist` (or `npm start`) where Electron's download host, or ELECTRON_MIRROR, can be reached: it downloads it first.",
    };
  }
  for (const f of ['dist/app/electron-main.cjs', 'dist/app/preload.cjs']) {
    if (!existsSync(join(projectDir, f)))
      return { ok: false, code: 'NO_SHELL_BUILD', message: `${f} is missing: run \`npm run build\` first` };
  }
  return { ok: true, path: bin };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.cwd();
  let result = checkPackaging(dir);
  let download = '';
  if (!result.ok && result.code === 'NO_ELECTRON_RUNTIME') {
    // The runtime npm install leaves out: fetched here as the first `npm start` would.
    const paths = {
      from: pathToFileURL(join(dir, 'package.json')).href,
      shell: join(dir, 'dist/app/electron-main.cjs'),
    };
    const fetched = await ensureElectron((line) => console.log(line), paths);
    if (fetched.ok) result = checkPackaging(dir);
    else download = ` (Electron: ${fetched.reason})`;
  }
  if (!result.ok) {
    console.error(`loopgate dist: cannot package here: ${result.message}${download}`);
    process.exit(1);
  }
}
