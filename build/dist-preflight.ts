// `npm run dist` preflight: packaging needs the Electron runtime npm downloads; without it, one clear line and exit 1.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

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
        'the Electron runtime is not installed (node_modules/electron/dist is missing: its download failed or was skipped). ' +
        "Run `npm rebuild electron` on a machine that can reach Electron's download host, then `npm run dist` again.",
    };
  }
  for (const f of ['dist/app/electron-main.cjs', 'dist/app/preload.cjs']) {
    if (!existsSync(join(projectDir, f)))
      return { ok: false, code: 'NO_SHELL_BUILD', message: `${f} is missing: run \`npm run build\` first` };
  }
  return { ok: true, path: bin };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = checkPackaging(process.cwd());
  if (!result.ok) {
    console.error(`loopgate dist: cannot package here: ${result.message}`);
    process.exit(1);
  }
}
