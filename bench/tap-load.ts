// In-process cost of WebSocket inspection: CPU per round trip of the frame tap and session log, without sockets or their noise.
// Usage: node --import tsx bench/tap-load.ts [SIZE=64,16384] [ROUND_TRIPS]
//
// Each round trip is a masked frame toward the backend and an unmasked one back, each in a fresh
// chunk as a socket read would hand it over (so the collector sees the same external-memory churn
// as in the engine). The log is filled to its cap first: what is measured is the steady state, when
// every new frame evicts an old one. Full collections are counted: they, more than the decoding,
// are what recording costs at large sizes. Compare two versions by running each several times.
import { constants, PerformanceObserver } from 'node:perf_hooks';
import type { WsSessionRecord } from '../shared/events.ts';
import { encodeFrame } from '../main/engine/ws/frames/encode.ts';
import { createFrameTap } from '../main/engine/ws/frames/tap.ts';
import { SessionLog } from '../main/engine/log/store.ts';

const sizes = (process.argv[2] ?? '64,16384').split(',').map(Number);
const CAP = 64 * 1024 * 1024;

let majorGcs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
}).observe({ entryTypes: ['gc'] });

function fresh(b: Buffer): Buffer {
  const c = Buffer.allocUnsafeSlow(b.length);
  b.copy(c);
  return c;
}

async function run(size: number): Promise<void> {
  const log = new SessionLog({ capBytes: CAP });
  const session = {
    kind: 'ws',
    id: log.nextId(),
    startedAt: Date.now(),
    url: '/ws',
    host: 'bench',
    clientAddress: '127.0.0.1',
    route: '/',
    routeIndex: 0,
    target: 'http://127.0.0.1:1/ws',
    state: 'open',
    requestHeaders: {},
    counts: { framesToBackend: 0, framesToClient: 0, bytesToBackend: 0, bytesToClient: 0 },
  } as unknown as WsSessionRecord;
  log.ws(session);
  const tap = createFrameTap({
    session,
    deflate: null,
    recorder: log,
    inspect: { frames: true, frameBytes: 256 * 1024, bodyBytes: 64 * 1024, storeBytes: CAP },
  });
  const payload = Buffer.alloc(size, 120);
  const masked = encodeFrame({ opcode: 2, payload, mask: true });
  const plain = encodeFrame({ opcode: 2, payload, mask: false });
  const trips = Number(process.argv[3] ?? Math.ceil((4 * CAP) / (size + 160)));
  const pass = async (n: number) => {
    for (let i = 0; i < n; i++) {
      tap.client(fresh(masked));
      tap.backend(fresh(plain));
      // Let timers and the collector's tasks run, as the event loop would between reads.
      if ((i & 255) === 255) await new Promise((r) => setImmediate(r));
    }
  };
  await pass(Math.ceil(CAP / (size + 100))); // fill the log to its cap
  const gcs = majorGcs;
  const c0 = process.cpuUsage();
  await pass(trips);
  const c = process.cpuUsage(c0);
  await new Promise((r) => setImmediate(r));
  console.log(
    `${size} B: ${((c.user + c.system) / trips).toFixed(2)} µs CPU per round trip over ${trips} round trips, ${majorGcs - gcs} full GCs; log holds ${log.stats().frames} frames`,
  );
}

for (const size of sizes) await run(size);
