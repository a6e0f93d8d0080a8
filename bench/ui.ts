// UI benchmark: the built UI in Chromium with a fake bridge holding 100,000 frames; first paint, regex filter, scrolling.
import { buildRenderer, HAVE_CHROMIUM, launchChromium, serveFolder } from '../test/helpers/ui-harness.ts';

const FRAMES = Number(process.env.BENCH_UI_FRAMES ?? 100_000);
const REPS = Number(process.env.BENCH_UI_REPS ?? 5);
const TARGETS = { paint: 500, filter: 200 };

/** Runs in the page before the app: window.loopgate with one closed session of `n` JSON frames. */
function installFakeBridge(n: number): void {
  const now = Date.now();
  const frames: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const send = i % 2 === 0;
    const data = JSON.stringify({ type: send ? 'subscribe' : 'tick', id: i, topic: `ticker.${i % 50}`, price: ((i * 7919) % 100_000) / 100 });
    frames[i] = { session: 2, seq: i + 1, type: send ? 'send' : 'receive', time: (now - (n - i) * 3) / 1000, opcode: 1, data, encoding: 'text', length: data.length, wireLength: data.length + 6, fragments: 1 };
  }
  const headers = { host: '127.0.0.1:8080', upgrade: 'websocket' };
  const counts = { framesToBackend: n / 2, framesToClient: n / 2, bytesToBackend: n * 40, bytesToClient: n * 40 };
  const session = { kind: 'ws', id: 2, startedAt: now - n * 3, url: '/ws/ticker', host: '127.0.0.1:8080', clientAddress: '127.0.0.1', route: '/ws', target: 'ws://127.0.0.1:9000/ws/ticker', state: 'closed', requestHeaders: headers, status: 101, responseHeaders: {}, openedAt: now - n * 3, closedAt: now, closeCode: 1000, closedBy: 'client', counts };
  const http = { kind: 'http', id: 1, startedAt: now - n * 3 - 50, method: 'GET', url: '/', host: '127.0.0.1:8080', clientAddress: '127.0.0.1', handler: 'static', status: 200, timings: { headers: 1, end: 2 }, bytesIn: 0, bytesOut: 512, requestHeaders: headers, done: true };
  const ok = async () => ({ ok: true });
  (window as unknown as { loopgate: unknown }).loopgate = {
    status: async () => ({ running: true, siteUrl: 'http://127.0.0.1:8080', controlUrl: null, version: 1, activeProfile: null, profiles: [], lastError: null }),
    getConfig: async () => ({ routes: [{ match: '/ws', target: 'ws://127.0.0.1:9000' }] }),
    putConfig: async (config: unknown) => ({ ok: true, config }),
    setProfile: async () => ({ ok: false, errors: [] }),
    listRequests: async () => ({ items: [http, session], total: 2, more: false }),
    listSessions: async () => ({ items: [session], total: 1, more: false }),
    getSession: async () => ({ session, framesKept: n, firstSeq: 1, lastSeq: n, framesEvicted: 0 }),
    frames: async (_id: number, q: { after?: number; limit?: number } = {}) => {
      const after = q.after ?? 0;
      const limit = q.limit ?? 1000;
      return { frames: frames.slice(after, after + limit), more: after + limit < n, framesEvicted: 0, firstSeq: 1, lastSeq: n };
    },
    send: ok,
    close: ok,
    exportHar: async () => ({ log: { version: '1.2', creator: { name: 'fake', version: '0' }, pages: [], entries: [] } }),
    importHar: async () => ({ ok: false, code: 'NO', message: 'fake' }),
    clear: async () => {},
    subscribe: () => () => {},
  };
}

/** In the page: open the session, time until the frame list shows its rows (and a frame is painted). */
async function timeFirstPaint(total: string): Promise<number> {
  const until = (ok: () => unknown) => new Promise<void>((resolve) => {
    const tick = () => (ok() ? resolve() : requestAnimationFrame(tick));
    tick();
  });
  const row = [...document.querySelectorAll('.log-body .vrow')].find((r) => r.textContent?.includes('/ws/ticker'))!;
  const t0 = performance.now();
  row.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }));
  await until(() => document.querySelector('[data-testid="frame-count"]')?.textContent?.startsWith(`${total} / ${total}`) && document.querySelector('.frames .vrow'));
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - t0;
}

/** In the page: type a regex into the frame search, time until the filtered rows are painted. */
async function timeFilter(regex: string): Promise<{ ms: number; count: string }> {
  const until = (ok: () => unknown) => new Promise<void>((resolve) => {
    const tick = () => (ok() ? resolve() : requestAnimationFrame(tick));
    tick();
  });
  const input = document.querySelector<HTMLInputElement>('input[name="frame-search"]')!;
  const counter = document.querySelector('[data-testid="frame-count"]')!;
  const before = counter.textContent;
  const t0 = performance.now();
  input.value = regex;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  await until(() => counter.textContent !== before);
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return { ms: performance.now() - t0, count: counter.textContent ?? '' };
}

/** In the page: scroll the whole list in 120 frames; the 95th percentile frame time. */
async function timeScroll(): Promise<number> {
  const list = document.querySelector<HTMLElement>('.frames')!;
  list.scrollTop = 0;
  const times: number[] = [];
  let last = performance.now();
  for (let i = 1; i <= 120; i++) {
    list.scrollTop = (list.scrollHeight * i) / 120;
    await new Promise((r) => requestAnimationFrame(r));
    const t = performance.now();
    times.push(t - last);
    last = t;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length * 0.95)]!;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => n.toFixed(1);

async function main(): Promise<void> {
  console.log(`\nUI benchmark — ${FRAMES.toLocaleString('en')} frames in one session, fake bridge, Chromium, ${REPS} reps, medians`);
  if (!HAVE_CHROMIUM) {
    console.log('n/a   skipped: Chromium is not installed at /usr/bin/chromium');
    return;
  }
  const bundle = await buildRenderer();
  const server = await serveFolder(bundle.dir);
  const browser = await launchChromium();
  const paint: number[] = [];
  const filter: number[] = [];
  const scroll: number[] = [];
  let filtered = '';
  try {
    const total = FRAMES.toLocaleString('en');
    for (let rep = 0; rep < REPS; rep++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on('pageerror', (e) => console.error('page error:', e.message));
      // tsx keeps function names with a __name() helper; functions sent to the page need it there too.
      await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
      await page.addInitScript(installFakeBridge, FRAMES);
      await page.goto(`${server.url}/?tab=watch`);
      await page.locator('.log-body .vrow', { hasText: '/ws/ticker' }).waitFor();
      paint.push(await page.evaluate(timeFirstPaint, total));
      const f = await page.evaluate(timeFilter, '"topic":"ticker\\.(7|13)","price":\\d{3}\\.');
      filter.push(f.ms);
      filtered = f.count;
      await page.evaluate(timeFilter, '');
      scroll.push(await page.evaluate(timeScroll));
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
    bundle.remove();
  }
  const row = (name: string, value: number, target?: number) =>
    console.log(`| ${name} | ${fmt(value)} | ${target === undefined ? '—' : `< ${target}`} | ${target === undefined ? 'info' : value < target ? 'PASS' : 'MISS'} |`);
  console.log('| measure | ms | target | |');
  console.log('|---|---:|---:|---|');
  row('frame list: first paint after opening the session', median(paint), TARGETS.paint);
  row(`regex filter applied and painted (${filtered})`, median(filter), TARGETS.filter);
  row('scrolling the whole list: p95 frame time', median(scroll));
}

await main();
