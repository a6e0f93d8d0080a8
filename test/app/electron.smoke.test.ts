// Desktop smoke test (Playwright's _electron, under Xvfb on Linux): window, tray, bridge, one route end to end. Skipped without the Electron binary.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bridgeMethodNames } from '../../shared/api.ts';
import { startBackend } from '../helpers/backend.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/app/electron-main.cjs');

/** The Electron binary, or why this test cannot run here. */
function electronBinary(): { ok: true; path: string } | { ok: false; reason: string } {
  let bin: unknown;
  try {
    bin = createRequire(join(ROOT, 'package.json'))('electron');
  } catch (err) {
    return {
      ok: false,
      reason: `the Electron runtime is not installed (${String((err as Error).message).split('\n')[0]})`,
    };
  }
  if (typeof bin !== 'string' || !existsSync(bin))
    return { ok: false, reason: 'the Electron runtime is not installed' };
  if (!existsSync(MAIN)) return { ok: false, reason: 'dist/app/electron-main.cjs is missing: run npm run build' };
  return { ok: true, path: bin };
}

/** A display: the current one, or a private Xvfb (like xvfb-run) on Linux. */
async function display(): Promise<{ env: Record<string, string>; stop(): void } | { skip: string }> {
  if (process.platform !== 'linux' || process.env.DISPLAY) return { env: {}, stop() {} };
  const xvfb: ChildProcess = spawn('Xvfb', ['-displayfd', '1', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const number = await new Promise<string | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), 10_000);
    xvfb.once('error', () => resolve(null));
    xvfb.stdout!.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(d.toString().trim());
    });
  });
  if (!number) {
    xvfb.kill();
    return { skip: 'no DISPLAY and Xvfb could not start (apt-get install xvfb)' };
  }
  return { env: { DISPLAY: `:${number}` }, stop: () => xvfb.kill() };
}

const electron = electronBinary();
if (!electron.ok) console.log(`electron smoke test skipped: ${electron.reason}`);

test('Electron app: window from app://, exact bridge, tray state, a route end to end', {
  skip: electron.ok ? false : electron.reason,
  timeout: 60_000,
}, async (t) => {
  if (!electron.ok) return;
  const screen = await display();
  if ('skip' in screen) {
    console.log(`electron smoke test skipped: ${screen.skip}`);
    t.skip(screen.skip);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-smoke-'));
  const backend = await startBackend();
  const { _electron } = await import('playwright-core');
  const config = join(dir, 'loopgate.json');
  writeFileSync(
    config,
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      routes: [{ match: '/api', target: `${backend.url}/v1` }],
    }),
  );
  const app = await _electron.launch({
    executablePath: electron.path,
    args: [MAIN, '--config', config],
    env: {
      ...(process.env as Record<string, string>),
      ...screen.env,
      LOOPGATE_USER_DATA: join(dir, 'userData'),
      LOOPGATE_E2E: '1',
    },
    timeout: 20_000,
  });
  try {
    const win = await app.firstWindow({ timeout: 20_000 });
    await win.waitForLoadState('domcontentloaded');
    assert.equal(win.url(), 'app://loopgate/index.html');
    // The page sees the bridge and nothing of Node.
    const expected = bridgeMethodNames().sort();
    assert.deepEqual(
      await win.evaluate(() => Object.keys((window as unknown as { loopgate: object }).loopgate).sort()),
      expected,
    );
    assert.deepEqual(
      await win.evaluate(() => [
        typeof (globalThis as Record<string, unknown>).require,
        typeof (globalThis as Record<string, unknown>).process,
      ]),
      ['undefined', 'undefined'],
    );
    assert.equal(await win.evaluate(() => window.open('https://example.invalid/') === null), true);
    assert.equal(app.windows().length, 1);

    // The tray, as the main process rendered it.
    const tray = (await app.evaluate(() => (globalThis as Record<string, unknown>).__loopgateTray)) as {
      icon: string;
      state: { phase: string; siteUrl: string };
    };
    assert.equal(tray.state.phase, 'running');
    assert.equal(tray.icon, 'tray-running.png');

    // One route end to end: through the site to the backend, then in the log through the bridge.
    const res = await fetch(`${tray.state.siteUrl}/api/smoke`);
    assert.equal(((await res.json()) as { url: string }).url, '/v1/smoke');
    const urls = await win.evaluate(async () => {
      const page = await (
        window as unknown as { loopgate: { listRequests(q: object): Promise<{ items: Array<{ url: string }> }> } }
      ).loopgate.listRequests({});
      return page.items.map((r) => r.url);
    });
    assert.deepEqual(urls, ['/api/smoke']);
  } finally {
    await app.close().catch(() => {});
    await backend.close();
    screen.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
