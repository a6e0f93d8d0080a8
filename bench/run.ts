// `npm run bench`: Loopgate as shipped vs http-proxy-3 (with and without keep-alive), mockttp, nginx and direct, in one run, as ratios.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startNginx, NGINX_BIN } from '../test/helpers/nginx.ts';
import { freePort } from '../test/helpers/net.ts';

/**
 * BENCH_QUICK=1: a short run that proves the bench works (1 rep of 1 s, 64 MiB stream, 200 idle
 * sessions, a small UI run); its numbers are not for the README. The BENCH_* variables below still win.
 */
const QUICK = process.env.BENCH_QUICK === '1';
if (QUICK) {
  process.env.BENCH_UI_FRAMES ??= '10000';
  process.env.BENCH_UI_REPS ??= '1';
}
const REPS = Number(process.env.BENCH_REPS ?? (QUICK ? 1 : 3));
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 1 : 3));
/** Bytes sent (and echoed back) through one WebSocket session for the RSS check. */
const STREAM_BYTES = Number(process.env.BENCH_STREAM_BYTES ?? (QUICK ? 64 : 1024) * 1024 * 1024);
/** Idle WebSocket sessions opened for the RSS-per-session check. */
const IDLE_SESSIONS = QUICK ? 200 : 1000;
/** Spawns timed for time-to-ready, each of `loopgate serve` and of a bare Node http server. */
const READY_REPS = QUICK ? 3 : 9;
/** The session log cap bench/servers.ts gives Loopgate (MiB). */
const STORE_CAP_MIB = 64;
const haveTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const haveWrk = spawnSync('wrk', ['--version']).error === undefined;
const here = new URL('.', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;
/**
 * BENCH_ONLY=ws64 (or ws): only the WebSocket ping-pong phases (64 B, or 64 B and 16 KiB) of Loopgate
 * with and without inspection and the peers, with the proxy's CPU per round trip: a quick check
 * of the WebSocket target while working on the tunnel. Unset: everything.
 */
const ONLY = process.env.BENCH_ONLY ?? '';
if (ONLY !== '' && ONLY !== 'ws64' && ONLY !== 'ws')
  throw new Error(`BENCH_ONLY must be ws64 or ws, not ${JSON.stringify(ONLY)}`);
const HP3_KA = 'http-proxy-3 keep-alive';
const HP3 = 'http-proxy-3 no agent';
const WS_NAMES = ['loopgate', 'loopgate (no inspection)', HP3_KA, HP3, 'mockttp'];
/** With BENCH_ONLY, BENCH_BASE=<another checkout, built> adds its `loopgate serve` (inspection on) as "loopgate (base)": an A/B in one run. */
const BASE = process.env.BENCH_BASE ? `${process.env.BENCH_BASE.replace(/\/$/, '')}/` : null;
if (BASE !== null) WS_NAMES.push('loopgate (base)');

interface Proc {
  port: number;
  pid: number;
  child?: ChildProcess;
  stop(): Promise<void>;
}

function pinned(core: number, cmd: string, args: string[]): [string, string[]] {
  return haveTaskset ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
}

/**
 * Spawn a server pinned to core 0; it is ready when `portOf` finds its port in a stdout line. The
 * pid is the server's own (taskset execs). `ms`: from spawn to that line.
 */
async function spawnReady(
  label: string,
  args: string[],
  portOf: (line: string) => number | null,
  cwd?: string,
): Promise<Proc & { ms: number }> {
  const [cmd, argv] = pinned(0, process.execPath, args);
  const t0 = performance.now();
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'], cwd });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const p = portOf(line);
      if (p !== null) resolve(p);
    });
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code} before it was ready`)));
  });
  const ms = performance.now() - t0;
  return {
    port,
    pid: child.pid!,
    child,
    ms,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await done;
      }
      if (cwd) rmSync(cwd, { recursive: true, force: true });
    },
  };
}

async function startServer(args: string[]): Promise<Proc> {
  return spawnReady(`server ${args[0]}`, ['--import', 'tsx', `${here}servers.ts`, ...args], (line) => {
    const port = (JSON.parse(line) as { port?: number }).port;
    return typeof port === 'number' ? port : null;
  });
}

/**
 * Loopgate as shipped: `bin/loopgate.js serve` (the built CLI, plain node) in an empty folder, one
 * route to the backend and the default config otherwise: inspection on, forwarded headers on, the
 * control API up. `inspect: false` adds a config file that only turns inspection off.
 */
async function startLoopgate(backendPort: number, inspect = true, root = ROOT): Promise<Proc & { ms: number }> {
  const cwd = mkdtempSync(join(tmpdir(), 'loopgate-bench-'));
  const args = [`${root}bin/loopgate.js`, 'serve', '--host', '127.0.0.1', '--port', '0'];
  if (inspect) args.push('--route', `/=http://127.0.0.1:${backendPort}`);
  else {
    writeFileSync(
      join(cwd, 'loopgate.json'),
      JSON.stringify({
        inspect: { frames: false, bodyBytes: 0 },
        routes: [{ match: '/', target: `http://127.0.0.1:${backendPort}` }],
      }),
    );
    args.push('--config', join(cwd, 'loopgate.json'));
  }
  return spawnReady(
    'loopgate serve',
    args,
    (line) => {
      const m = /^Loopgate serving https?:\/\/[^/]*:(\d+)/.exec(line);
      return m ? Number(m[1]) : null;
    },
    cwd,
  );
}

/** The time-to-ready baseline: a bare Node http server (plain node, no loader), ready once it listens. */
const BARE_SERVER = `import { createServer } from 'node:http';
const s = createServer((q, r) => r.end('ok'));
s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: s.address().port })));`;

async function startBare(): Promise<Proc & { ms: number }> {
  return spawnReady('bare node http server', ['--input-type=module', '-e', BARE_SERVER], (line) => {
    const port = (JSON.parse(line) as { port?: number }).port;
    return typeof port === 'number' ? port : null;
  });
}

/** A peer proxy by its row name; null when it cannot run here (nginx missing). */
async function startPeer(name: string, backendPort: number): Promise<Proc | null> {
  switch (name) {
    case 'loopgate':
      return startLoopgate(backendPort);
    case 'loopgate (no inspection)':
      return startLoopgate(backendPort, false);
    case 'loopgate (base)':
      return startLoopgate(backendPort, true, BASE!);
    case HP3_KA:
      return startServer(['hp3-keepalive', String(backendPort)]);
    case HP3:
      return startServer(['hp3', String(backendPort)]);
    case 'mockttp':
      return startServer(['mockttp', String(backendPort)]);
    case 'nginx':
      return startNginxProxy(backendPort);
    default:
      throw new Error(`no such peer: ${name}`);
  }
}

/**
 * Time from spawn to listening (the ready line on stdout), `loopgate serve` vs a bare Node http
 * server, alternating; each spawned server must then answer a request (through Loopgate: proxied).
 */
async function timeToReady(backendPort: number): Promise<{ loopgate: number[]; bare: number[] }> {
  const out = { loopgate: [] as number[], bare: [] as number[] };
  for (let i = 0; i < READY_REPS; i++) {
    for (const kind of ['loopgate', 'bare'] as const) {
      const p = kind === 'loopgate' ? await startLoopgate(backendPort) : await startBare();
      try {
        const res = await fetch(`http://127.0.0.1:${p.port}/small`);
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${kind}: first request answered ${res.status}`);
        out[kind].push(p.ms);
      } finally {
        await p.stop();
      }
    }
  }
  return out;
}

/** A warning when dist/cli.js (what `loopgate serve` runs) is older than the sources: run `npm run build` first. */
function staleDist(): string | null {
  const cli = join(ROOT, 'dist/cli.js');
  if (!existsSync(cli)) return 'dist/cli.js is missing: run `npm run build` first';
  const built = statSync(cli).mtimeMs;
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
    }, 0);
  const src = Math.max(newest(join(ROOT, 'main')), newest(join(ROOT, 'shared')));
  return src > built
    ? 'dist/cli.js is older than main/ or shared/: run `npm run build` first, or this measures old code'
    : null;
}

async function startNginxProxy(backendPort: number): Promise<Proc | null> {
  if (!NGINX_BIN) return null;
  const port = await freePort();
  const ng = await startNginx(
    port,
    `location / { proxy_pass http://be; proxy_http_version 1.1;
       proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;
       proxy_read_timeout 300s; }`,
    `upstream be { server 127.0.0.1:${backendPort}; keepalive 64; }
     map $http_upgrade $connection_upgrade { default upgrade; '' ''; }`,
  );
  const pid = Number(readFileSync(`${ng.dir}/nginx.pid`, 'utf8'));
  if (haveTaskset) spawnSync('taskset', ['-p', '-c', '0', String(pid)]);
  return { port, pid, stop: ng.stop };
}

/** utime + stime of a process, in µs. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1e6 / 100);
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

interface HttpResult {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
}

function parseMs(s: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(s);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

function wrk(url: string, conns: number, proxyPid: number | null): HttpResult {
  const before = proxyPid ? cpuMicros(proxyPid) : 0;
  const [cmd, argv] = pinned(1, 'wrk', ['-t1', `-c${conns}`, `-d${SECONDS}s`, '--latency', url]);
  const out = spawnSync(cmd, argv, { encoding: 'utf8' }).stdout;
  const after = proxyPid ? cpuMicros(proxyPid) : 0;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const total = Number(/(\d+) requests in/.exec(out)?.[1]);
  return {
    rps,
    p50: parseMs(/50%\s+(\S+)/.exec(out)?.[1] ?? ''),
    p99: parseMs(/99%\s+(\S+)/.exec(out)?.[1] ?? ''),
    cpuUs: proxyPid ? (after - before) / total : NaN,
  };
}

/** Round trips per second (each is 2 messages through the proxy), and the proxy's CPU µs per round trip. */
function wsPingPong(
  port: number,
  size: number,
  proxyPid: number | null,
  backendPid: number | null = null,
): { rate: number; cpuUs: number; backendUs: number } {
  const [cmd, argv] = pinned(1, process.execPath, [
    '--import',
    'tsx',
    `${here}ws-load.ts`,
    'pingpong',
    `ws://127.0.0.1:${port}/ws`,
    String(size),
    String(SECONDS),
    '4',
  ]);
  const before = proxyPid ? cpuMicros(proxyPid) : 0;
  const backendBefore = backendPid ? cpuMicros(backendPid) : 0;
  const out = spawnSync(cmd, argv, { encoding: 'utf8' });
  const after = proxyPid ? cpuMicros(proxyPid) : 0;
  const backendAfter = backendPid ? cpuMicros(backendPid) : 0;
  try {
    const r = JSON.parse(out.stdout.trim().split('\n').pop()!) as { rate: number; msgs: number };
    // The CPU counts the connection setup too: a few sessions, negligible beside a 3 s run.
    return {
      rate: r.rate,
      cpuUs: proxyPid ? (after - before) / r.msgs : NaN,
      backendUs: backendPid ? (backendAfter - backendBefore) / r.msgs : NaN,
    };
  } catch {
    console.error(out.stderr);
    return { rate: NaN, cpuUs: NaN, backendUs: NaN };
  }
}

/** Open `count` idle sessions; returns the server's RSS growth per session (KiB) and closes them. */
async function idleSessions(port: number, pid: number, count: number): Promise<number> {
  const before = rssKiB(pid);
  const [cmd, argv] = pinned(1, process.execPath, [
    '--import',
    'tsx',
    `${here}ws-load.ts`,
    'idle',
    `ws://127.0.0.1:${port}/ws`,
    String(count),
  ]);
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  await new Promise((r) => setTimeout(r, 500));
  const after = rssKiB(pid);
  child.stdin!.write('x');
  await new Promise((r) => child.once('exit', r));
  return (after - before) / count;
}

/**
 * RSS per idle WebSocket, measured on a fresh server of each kind, after as many sessions were
 * opened and closed once to warm it up (one-time growth of the JS heap's young generation and of
 * the allocator's arenas is then behind us): in a process that just carried the load tests, the
 * garbage collector's state (a heap shrinking or growing) swamps the few KiB a session takes, and
 * the numbers even went negative.
 */
async function idleRss(name: string, backendPort: number, count: number): Promise<number> {
  const proc = await startPeer(name, backendPort);
  if (!proc) return NaN;
  try {
    await new Promise((r) => setTimeout(r, 300));
    await idleSessions(proc.port, proc.pid, count);
    await new Promise((r) => setTimeout(r, 500));
    return await idleSessions(proc.port, proc.pid, count);
  } finally {
    await proc.stop();
  }
}

interface StreamResult {
  beforeMiB: number;
  afterMiB: number;
  peakMiB: number;
  mibPerSecond: number;
}

/**
 * RSS of a fresh Loopgate (inspection on) before and after TOTAL bytes cross one WebSocket session
 * each way in 64 KiB messages, sampled every 100 ms for the peak.
 */
async function streamRss(backendPort: number, total: number): Promise<StreamResult | null> {
  const lg = await startLoopgate(backendPort);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const before = rssKiB(lg.pid);
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssKiB(lg.pid));
    }, 100);
    const [cmd, argv] = pinned(1, process.execPath, [
      '--import',
      'tsx',
      `${here}ws-load.ts`,
      'stream',
      `ws://127.0.0.1:${lg.port}/ws`,
      String(total),
      String(64 * 1024),
    ]);
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 500));
    const after = rssKiB(lg.pid);
    peak = Math.max(peak, after);
    if (code !== 0) return null;
    const { mibPerSecond } = JSON.parse(out.trim().split('\n').pop()!) as { mibPerSecond: number };
    return { beforeMiB: before / 1024, afterMiB: after / 1024, peakMiB: peak / 1024, mibPerSecond };
  } finally {
    await lg.stop();
  }
}

/** Median of the runs that produced a number (a run whose output could not be parsed is left out). */
const median = (xs: number[]) => {
  const ok = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return ok.length ? ok[Math.floor(ok.length / 2)]! : NaN;
};
const fmt = (n: number, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—';

const step = (s: string) => process.env.BENCH_DEBUG && console.error(`[bench] ${s}`);

/** BENCH_ONLY: the WebSocket ping-pong phases alone, medians with their spread (min–max). */
async function wsOnly(): Promise<void> {
  const sizes: Array<[string, number]> =
    ONLY === 'ws64'
      ? [['64 B', 64]]
      : [
          ['64 B', 64],
          ['16 KiB', 16 * 1024],
        ];
  console.log(
    `WebSocket only (${ONLY}) — ${REPS} alternating reps of ${SECONDS}s, medians [min–max]; servers on core 0, load on core 1\n`,
  );
  const backend = await startServer(['backend']);
  const procs: Array<[string, Proc]> = [];
  for (const name of WS_NAMES) procs.push([name, (await startPeer(name, backend.port))!]);
  const rates = new Map<string, number[]>();
  const cpus = new Map<string, number[]>();
  const backendCpus = new Map<string, number[]>();
  for (let rep = 0; rep < REPS; rep++) {
    for (const [label, size] of sizes) {
      for (const [name, proc] of procs) {
        const r = wsPingPong(proc.port, size, proc.pid, backend.pid);
        const key = `${name}\t${label}`;
        rates.set(key, [...(rates.get(key) ?? []), r.rate]);
        cpus.set(key, [...(cpus.get(key) ?? []), r.cpuUs]);
        backendCpus.set(key, [...(backendCpus.get(key) ?? []), r.backendUs]);
      }
    }
  }
  const spread = (xs: number[], d: number) =>
    `${fmt(median(xs), d)} [${fmt(Math.min(...xs), d)}–${fmt(Math.max(...xs), d)}]`;
  console.log('| server | size | msg/s | proxy CPU µs per round trip | backend CPU µs per round trip |');
  console.log('|---|---|---:|---:|---:|');
  for (const [label] of sizes) {
    for (const name of WS_NAMES) {
      const key = `${name}\t${label}`;
      console.log(
        `| ${name} | ${label} | ${spread(rates.get(key)!, 0)} | ${spread(cpus.get(key)!, 2)} | ${spread(backendCpus.get(key)!, 2)} |`,
      );
    }
  }
  for (const [label] of sizes) {
    const r = (a: string) => median(rates.get(`${a}\t${label}`)!);
    console.log(
      `WS ${label} msg/s, loopgate / ${HP3_KA}: ${fmt(r('loopgate') / r(HP3_KA), 3)}; / ${HP3}: ${fmt(r('loopgate') / r(HP3), 3)}; / mockttp: ${fmt(r('loopgate') / r('mockttp'), 3)}; inspection on / off: ${fmt(r('loopgate') / r('loopgate (no inspection)'), 3)}`,
    );
  }
  for (const [, p] of procs) await p.stop();
  await backend.stop();
}

async function main(): Promise<void> {
  const stale = staleDist();
  if (stale) console.error(`warning: ${stale}`);
  if (ONLY !== '') return wsOnly();
  if (!haveWrk) console.error('wrk is not installed (apt-get install wrk): HTTP rows are skipped');
  console.log(
    `Loopgate benchmark${QUICK ? ' (QUICK: proves it runs, numbers not for the README)' : ''} — ${REPS} alternating reps of ${SECONDS}s, medians; servers on core 0, load on core 1${haveTaskset ? '' : ' (taskset missing: not pinned)'}`,
  );
  console.log(
    'loopgate = `loopgate serve` as shipped (default config: inspection on, forwarded headers on, control API up)\n',
  );
  step('backend');
  const backend = await startServer(['backend']);
  const targets: Array<{ name: string; proc: Proc | null }> = [{ name: 'direct', proc: null }];
  for (const name of ['loopgate', 'loopgate (no inspection)', HP3_KA, HP3, 'mockttp', 'nginx'])
    targets.push({ name, proc: await startPeer(name, backend.port) });
  const live = targets.filter((t) => t.name === 'direct' || t.proc);
  const portOf = (t: (typeof targets)[number]) => t.proc?.port ?? backend.port;
  const results = new Map<string, Record<string, number[]>>();
  const add = (name: string, key: string, v: number) => {
    const r = results.get(name) ?? {};
    (r[key] ??= []).push(v);
    results.set(name, r);
  };
  for (let rep = 0; rep < REPS; rep++) {
    for (const t of live) {
      step(`rep ${rep} ${t.name}`);
      if (haveWrk) {
        const small = wrk(`http://127.0.0.1:${portOf(t)}/small`, 32, t.proc?.pid ?? null);
        add(t.name, 'rps', small.rps);
        add(t.name, 'p50', small.p50);
        add(t.name, 'p99', small.p99);
        add(t.name, 'cpu', small.cpuUs);
        add(t.name, 'big', wrk(`http://127.0.0.1:${portOf(t)}/big`, 8, null).rps);
      }
      for (const [key, size] of [
        ['ws64', 64],
        ['ws16k', 16 * 1024],
      ] as const) {
        const r = wsPingPong(portOf(t), size, t.proc?.pid ?? null);
        add(t.name, key, r.rate);
        add(t.name, `${key}cpu`, r.cpuUs);
      }
    }
  }
  step('idle');
  for (const t of live) if (t.proc) add(t.name, 'idle', await idleRss(t.name, backend.port, IDLE_SESSIONS));
  step('time to ready');
  const ready = await timeToReady(backend.port);
  step(`${fmt(STREAM_BYTES / 1048576)} MiB through one session`);
  const stream = await streamRss(backend.port, STREAM_BYTES);

  const m = (name: string, key: string) => median(results.get(name)?.[key] ?? [NaN]);
  console.log(
    '| server | small req/s | p50 ms | p99 ms | proxy CPU µs/req | 1 MiB MiB/s | WS 64 B msg/s | WS 16 KiB msg/s | idle WS KiB each (fresh process) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const t of live) {
    console.log(
      `| ${t.name} | ${fmt(m(t.name, 'rps'))} | ${fmt(m(t.name, 'p50'), 2)} | ${fmt(m(t.name, 'p99'), 2)} | ${fmt(m(t.name, 'cpu'), 1)} | ${fmt(m(t.name, 'big'))} | ${fmt(m(t.name, 'ws64'))} | ${fmt(m(t.name, 'ws16k'))} | ${fmt(m(t.name, 'idle'), 1)} |`,
    );
  }
  const ratio = (a: string, b: string, key: string) => m(a, key) / m(b, key);
  const check = (label: string, value: number, target: number, cmp: 'ge' | 'le' = 'ge') =>
    console.log(
      `${(Number.isFinite(value) ? ((cmp === 'ge' ? value >= target : value <= target) ? 'PASS' : 'MISS') : 'n/a ').padEnd(4)}  ${label}: ${fmt(value, 2)} (target ${cmp === 'ge' ? '≥' : '≤'} ${target})`,
    );
  console.log('\nTargets:');
  check(`small req/s, loopgate / ${HP3_KA}`, ratio('loopgate', HP3_KA, 'rps'), 1.5);
  check('proxy CPU µs per small request, loopgate / nginx', ratio('loopgate', 'nginx', 'cpu'), 2.5, 'le');
  for (const [key, label] of [
    ['ws64', '64 B'],
    ['ws16k', '16 KiB'],
  ] as const) {
    check(`WS ${label} msg/s, loopgate / ${HP3_KA}`, ratio('loopgate', HP3_KA, key), 1.0);
    check(`WS ${label} msg/s, loopgate / ${HP3}`, ratio('loopgate', HP3, key), 1.0);
    check(`WS ${label} msg/s, loopgate / mockttp`, ratio('loopgate', 'mockttp', key), 1.0);
  }
  check(
    `time to ready, loopgate serve / bare node http server (medians ${fmt(median(ready.loopgate))} ms / ${fmt(median(ready.bare))} ms of ${READY_REPS} spawns each)`,
    median(ready.loopgate) / median(ready.bare),
    2,
    'le',
  );
  check('1 MiB MiB/s, loopgate / nginx', ratio('loopgate', 'nginx', 'big'), 0.6);
  check('idle WebSocket RSS KiB each, loopgate', m('loopgate', 'idle'), 20, 'le');
  check('WS 64 B msg/s, inspection on / off', ratio('loopgate', 'loopgate (no inspection)', 'ws64'), 0.9);
  check('WS 16 KiB msg/s, inspection on / off', ratio('loopgate', 'loopgate (no inspection)', 'ws16k'), 0.7);
  if (stream) {
    const growth = stream.afterMiB - stream.beforeMiB;
    check(
      `RSS growth MiB of a fresh Loopgate after ${fmt(STREAM_BYTES / 1073741824, 2)} GiB each way through one session (inspection on, 64 KiB messages; before ${fmt(stream.beforeMiB)}, after ${fmt(stream.afterMiB)}, peak ${fmt(stream.peakMiB)} MiB; ${fmt(stream.mibPerSecond)} MiB/s)`,
      growth,
      STORE_CAP_MIB + 50,
      'le',
    );
  } else {
    console.log('n/a   RSS after 1 GiB through one session: the stream run failed');
  }
  console.log(
    `info  proxy CPU µs per WS round trip (2 messages), 64 B / 16 KiB: ${live
      .filter((t) => t.proc)
      .map((t) => `${t.name} ${fmt(m(t.name, 'ws64cpu'), 1)} / ${fmt(m(t.name, 'ws16kcpu'), 1)}`)
      .join('; ')}`,
  );
  console.log(
    `info  small req/s, loopgate / nginx: ${fmt(ratio('loopgate', 'nginx', 'rps'), 2)}; / ${HP3}: ${fmt(ratio('loopgate', HP3, 'rps'), 2)}; / mockttp: ${fmt(ratio('loopgate', 'mockttp', 'rps'), 2)}`,
  );

  for (const t of targets) await t.proc?.stop();
  await backend.stop();
  const ui = `${here}ui.ts`;
  if (existsSync(ui)) await import(ui);
}

await main();
