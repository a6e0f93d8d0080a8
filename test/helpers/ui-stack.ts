// A real Loopgate for UI tests: a backend, a runtime whose one route `/` goes to it with the UI bundle, and Chromium.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { Runtime } from '../../main/runtime.ts';
import { type Backend, startBackend } from './backend.ts';
import { buildRenderer, launchChromium } from './ui-harness.ts';

export interface UiStack {
  backend: Backend;
  rt: Runtime;
  browser: Browser;
  /** A temp folder removed by stop() (the config file; screenshots may go here). */
  dir: string;
  stop(): Promise<void>;
}

export async function startUiStack(name: string): Promise<UiStack> {
  const bundle = await buildRenderer();
  const backend = await startBackend();
  const dir = mkdtempSync(join(tmpdir(), `loopgate-${name}-`));
  writeFileSync(
    join(dir, 'loopgate.json'),
    JSON.stringify({ listen: { host: '127.0.0.1', port: 0 }, routes: [{ match: '/', target: backend.url }] }),
  );
  const rt = await Runtime.start({
    configFile: join(dir, 'loopgate.json'),
    watch: false,
    control: { port: 0, uiDir: bundle.dir },
  });
  const browser = await launchChromium();
  return {
    backend,
    rt,
    browser,
    dir,
    async stop() {
      await browser.close();
      await rt.stop();
      await backend.close();
      bundle.remove();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
