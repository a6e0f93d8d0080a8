// A Loopgate runtime in a child process for memory and load tests: started from a config over IPC, asked for RSS and handle counts.
import { fork, type ChildProcess } from 'node:child_process';
import type { ConfigInput } from '../../shared/config.ts';

/** Messages the parent sends. */
type Ask = { cmd: 'stats'; id: number } | { cmd: 'stop'; id: number } | { cmd: 'gc'; id: number };

export interface ChildStats {
  rss: number;
  heapUsed: number;
  external: number;
  tcp: number;
  tunnels: number;
  /** The session log's estimated bytes and its cap. */
  logBytes: number;
  logCap: number;
}

export interface EngineChild {
  child: ChildProcess;
  port: number;
  controlPort: number;
  token: string;
  stats(): Promise<ChildStats>;
  /** Run a full GC in the child (it runs with --expose-gc) and return the stats after it. */
  gc(): Promise<ChildStats>;
  stop(): Promise<void>;
}

const TOKEN = 'child-token-0123456789abcdef';

/** Fork this file as a child running `input` (listen is forced to 127.0.0.1:0) with a control server. */
export async function startEngineChild(input: ConfigInput): Promise<EngineChild> {
  const child = fork(new URL(import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: {
      ...process.env,
      LOOPGATE_CHILD_CONFIG: JSON.stringify({ ...input, listen: { host: '127.0.0.1', port: 0 } }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ port: number; controlPort: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { port: number; controlPort: number }));
    child.once('exit', (code) => reject(new Error(`engine child exited early (${code})`)));
  });
  let next = 0;
  const ask = <T>(cmd: Ask['cmd']): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = ++next;
      const onMessage = (m: { id?: number; value?: T }) => {
        if (m.id !== id) return;
        child.off('message', onMessage);
        resolve(m.value as T);
      };
      child.on('message', onMessage);
      child.send({ cmd, id } satisfies Ask, (err) => err && reject(err));
    });
  return {
    child,
    port: ready.port,
    controlPort: ready.controlPort,
    token: TOKEN,
    stats: () => ask<ChildStats>('stats'),
    gc: () => ask<ChildStats>('gc'),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      await ask('stop').catch(() => {});
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function main(): Promise<void> {
  const { Runtime } = await import('../../main/runtime.ts');
  const input = JSON.parse(process.env.LOOPGATE_CHILD_CONFIG!) as ConfigInput;
  const rt = await Runtime.start({ input, baseDir: process.cwd(), control: { token: TOKEN }, watch: false });
  const stats = (): ChildStats => {
    const m = process.memoryUsage();
    return {
      rss: m.rss,
      heapUsed: m.heapUsed,
      external: m.external,
      tcp: process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length,
      tunnels: rt.engine.tunnels.openIds.length,
      logBytes: rt.log.stats().bytes,
      logCap: rt.log.stats().capBytes,
    };
  };
  process.on('message', async (m: Ask) => {
    if (m.cmd === 'stats') process.send!({ id: m.id, value: stats() });
    if (m.cmd === 'gc') {
      (globalThis as { gc?: () => void }).gc?.();
      process.send!({ id: m.id, value: stats() });
    }
    if (m.cmd === 'stop') {
      await rt.stop();
      process.send!({ id: m.id, value: true }, () => process.exit(0));
    }
  });
  // The parent went away: do not linger.
  process.on('disconnect', () => process.exit(0));
  process.send!({ port: rt.engine.port, controlPort: Number(new URL(rt.controlUrl!).port) });
}

if (process.env.LOOPGATE_CHILD_CONFIG && process.send) void main();
