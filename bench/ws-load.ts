// WebSocket load for the benchmark: ping-pong message rate, or N idle sessions held open.
// Usage: node --import tsx bench/ws-load.ts pingpong URL SIZE SECONDS CONNS | idle URL COUNT
import WebSocket from 'ws';

const [mode, url, a, b, c] = process.argv.slice(2);

async function open(n: number): Promise<WebSocket[]> {
  const out: WebSocket[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, () => new WebSocket(url!, { perMessageDeflate: false }));
    await Promise.all(batch.map((ws) => new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))));
    for (const ws of batch) ws.on('error', (err) => console.error(`ws-load: ${err.message}`));
    out.push(...batch);
  }
  return out;
}

if (mode === 'pingpong') {
  const size = Number(a);
  const seconds = Number(b);
  const conns = Number(c ?? 4);
  const payload = Buffer.alloc(size, 120);
  const sockets = await open(conns);
  let count = 0;
  let running = true;
  const t0 = performance.now();
  let elapsed = 0;
  setTimeout(() => {
    running = false;
    elapsed = (performance.now() - t0) / 1000;
  }, seconds * 1000);
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          ws.on('message', () => {
            if (!running) return resolve();
            count++;
            ws.send(payload);
          });
          ws.send(payload);
        }),
    ),
  );
  process.stdout.write(`${JSON.stringify({ msgs: count, seconds: elapsed, rate: count / elapsed })}\n`);
  for (const ws of sockets) ws.terminate();
  process.exit(0);
} else if (mode === 'idle') {
  const sockets = await open(Number(a));
  process.stdout.write(`${JSON.stringify({ open: sockets.length })}\n`);
  process.stdin.once('data', () => {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  });
} else {
  console.error('usage: ws-load.ts pingpong URL SIZE SECONDS CONNS | idle URL COUNT');
  process.exit(2);
}
