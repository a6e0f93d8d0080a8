// UI benchmark: the built UI in Chromium with a fake bridge holding 100,000 frames; first paint, regex filter, scrolling.
import {
  buildRenderer,
  HAVE_CHROMIUM,
  launchChromium,
  openWithFakeBridge,
  serveFolder,
} from '../test/helpers/ui-harness.ts';

const FRAMES = Number(process.env.BENCH_UI_FRAMES ?? 100_000);
const REPS = Number(process.env.BENCH_UI_REPS ?? 5);
const TARGETS = { paint: 500, filter: 200 };

/** In the page: open the session, time until the frame list shows its rows (and a frame is painted). */
async function timeFirstPaint(total: string): Promise<number> {
  const until = (ok: () => unknown) =>
    new Promise<void>((resolve) => {
      const tick = () => (ok() ? resolve() : requestAnimationFrame(tick));
      tick();
    });
  const row = [...document.querySelectorAll('.log-body .vrow')].find((r) => r.textContent?.includes('/ws/ticker'))!;
  const t0 = performance.now();
  row.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }));
  await until(
    () =>
      document.querySelector('[data-testid="frame-count"]')?.textContent?.startsWith(`${total} / ${total}`) &&
      document.querySelector('.frames .vrow'),
  );
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - t0;
}

/** In the page: type a regex into the frame search, time until the filtered rows are painted. */
async function timeFilter(regex: string): Promise<{ ms: number; count: string }> {
  const until = (ok: () => unknown) =>
    new Promise<void>((resolve) => {
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
  console.log(
    `\nUI benchmark — ${FRAMES.toLocaleString('en')} frames in one session, fake bridge, Chromium, ${REPS} reps, medians`,
  );
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
      const page = await openWithFakeBridge(browser, `${server.url}/?tab=watch`, FRAMES);
      page.on('pageerror', (e) => console.error('page error:', e.message));
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
    console.log(
      `| ${name} | ${fmt(value)} | ${target === undefined ? '—' : `< ${target}`} | ${target === undefined ? 'info' : value < target ? 'PASS' : 'MISS'} |`,
    );
  console.log('| measure | ms | target | |');
  console.log('|---|---:|---:|---|');
  row('frame list: first paint after opening the session', median(paint), TARGETS.paint);
  row(`regex filter applied and painted (${filtered})`, median(filter), TARGETS.filter);
  row('scrolling the whole list: p95 frame time', median(scroll));
}

await main();
