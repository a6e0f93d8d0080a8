// Builds what the CLI, the browser UI and the Electron shell run: esbuild bundles into dist/.
import { build } from 'esbuild';
import { existsSync, mkdirSync, copyFileSync, readdirSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const quiet = process.argv.includes('--quiet');
const node = {
  platform: 'node',
  target: 'node20',
  format: 'esm',
  bundle: true,
  packages: 'external',
  sourcemap: true,
  logLevel: quiet ? 'warning' : 'info',
};

const jobs = [build({ ...node, entryPoints: [`${root}main/cli.ts`], outfile: `${root}dist/cli.js` })];
if (existsSync(`${root}renderer/main.tsx`)) {
  mkdirSync(`${root}dist/renderer`, { recursive: true });
  jobs.push(
    build({
      entryPoints: [`${root}renderer/main.tsx`],
      outfile: `${root}dist/renderer/app.js`,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'chrome120',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      minify: true,
      sourcemap: true,
      logLevel: quiet ? 'warning' : 'info',
    }),
  );
  for (const f of ['index.html', 'style.css']) {
    if (existsSync(`${root}renderer/${f}`)) copyFileSync(`${root}renderer/${f}`, `${root}dist/renderer/${f}`);
  }
}
if (existsSync(`${root}main/app/electron-main.ts`)) {
  // Electron shell: main process and sandboxed preload as CommonJS (the preload may require only 'electron').
  const electron = { ...node, format: 'cjs', target: 'node22' };
  jobs.push(
    build({
      ...electron,
      entryPoints: [`${root}main/app/electron-main.ts`],
      outfile: `${root}dist/app/electron-main.cjs`,
    }),
  );
  jobs.push(
    build({
      ...electron,
      entryPoints: [`${root}main/app/bridge/preload.ts`],
      outfile: `${root}dist/app/preload.cjs`,
      packages: undefined,
      external: ['electron'],
    }),
  );
  // Tray and window icons next to the bundle (drawn by build/make-icons.mjs, committed under build/icons).
  mkdirSync(`${root}dist/app/icons`, { recursive: true });
  for (const f of readdirSync(`${root}build/icons/tray`))
    copyFileSync(`${root}build/icons/tray/${f}`, `${root}dist/app/icons/${f}`);
  copyFileSync(`${root}build/icons/app.png`, `${root}dist/app/icons/app.png`);
}
await Promise.all(jobs);
