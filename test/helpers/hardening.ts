// Hardening-suite helpers: an engine from a config, raw-socket exchanges, handle counts and a seeded PRNG.
import { connect } from 'node:net';
import { validateConfig, type ConfigInput } from '../../shared/config.ts';
import { SessionLog } from '../../main/engine/log/store.ts';
import { Engine, type EngineOptions } from '../../main/engine/server.ts';
import { compileSnapshot } from '../../main/engine/snapshot.ts';
import { sleep } from './net.ts';

export interface RunningEngine {
  engine: Engine;
  log: SessionLog;
  port: number;
  stop(): Promise<void>;
}

/** Start an Engine on 127.0.0.1:0 for `input` (validated like loopgate.json), recording into a SessionLog. */
export async function startEngine(
  input: ConfigInput,
  baseDir = process.cwd(),
  opts: EngineOptions = {},
): Promise<RunningEngine> {
  const parsed = validateConfig({ ...input, listen: { host: '127.0.0.1', port: 0 } });
  if (!parsed.ok) throw new Error(`test config refused: ${JSON.stringify(parsed.errors)}`);
  const log = new SessionLog({ capBytes: 16 * 1024 * 1024 });
  const engine = new Engine({ ...opts, recorder: log });
  await engine.start(compileSnapshot(parsed.config, { baseDir }));
  return { engine, log, port: engine.port!, stop: () => engine.stop({ drainMs: 300 }) };
}

export interface RawAnswer {
  /** Everything the server sent, as latin1 text. */
  text: string;
  bytes: Buffer;
  /** The server closed (or reset) the connection before the idle wait ran out. */
  closed: boolean;
  /** Status codes of every response head seen, in order. */
  statuses: number[];
}

/**
 * Write `data` on a fresh loopback connection (in `chunks`, `gapMs` apart, when given) and collect what
 * comes back until the server closes, or nothing arrives for `idleMs`, or `maxMs` passes.
 */
export function rawExchange(
  port: number,
  data: string | Buffer | Array<string | Buffer>,
  opts: { idleMs?: number; maxMs?: number; gapMs?: number; endAfterWrite?: boolean } = {},
): Promise<RawAnswer> {
  const idleMs = opts.idleMs ?? 400;
  const maxMs = opts.maxMs ?? 5000;
  const parts = (Array.isArray(data) ? data : [data]).map((p) =>
    typeof p === 'string' ? Buffer.from(p, 'latin1') : p,
  );
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      clearTimeout(hard);
      socket.destroy();
      const bytes = Buffer.concat(chunks);
      const text = bytes.toString('latin1');
      const statuses = [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      resolve({ text, bytes, closed, statuses });
    };
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => finish(false), idleMs);
    };
    const hard = setTimeout(() => finish(false), maxMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      arm();
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('end', () => finish(true));
    socket.once('connect', async () => {
      for (let i = 0; i < parts.length; i++) {
        if (socket.destroyed) return;
        socket.write(parts[i]!);
        if (opts.gapMs && i < parts.length - 1) await sleep(opts.gapMs);
      }
      if (opts.endAfterWrite) socket.end();
      arm();
    });
  });
}

/** Counts of this process's active handles by type ("TCPSocketWrap", "TCPServerWrap", "Timeout", ...). */
export function handleCounts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

export function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

/** mulberry32: a small seeded PRNG so every fuzz run can be replayed from its seed. */
export function prng(seed: number): {
  next(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  bytes(n: number): Buffer;
} {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(xs: readonly T[]) => xs[int(xs.length)]!,
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => int(256))),
  };
}

/** The seed for a fuzz run: FUZZ_SEED from the environment (to replay a failure), else a fixed one. */
export function fuzzSeed(fallback: number): number {
  const env = process.env.FUZZ_SEED;
  return env !== undefined && /^\d+$/.test(env) ? Number(env) : fallback;
}
