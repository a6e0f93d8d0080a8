// WebSocket load for the benchmark: ping-pong message rate, N idle sessions held open, or bulk bytes through one session.
// Usage: node --import tsx bench/ws-load.ts pingpong URL SIZE SECONDS CONNS | idle URL COUNT | stream URL TOTAL_BYTES MSG_SIZE
import WebSocket from 'ws';

const [mode, url, a, b, c] = process.argv.slice(2);

async function open(n: number): Promise<WebSocket[]> {
  const out: WebSocket[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, () => new WebSocket(url!, { perMessageDeflate: false }));
    await Promise.all(
      batch.map((ws) => new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))),
    );
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
} else if (mode === 'stream') {
  // TOTAL_BYTES in MSG_SIZE binary messages through one session; the backend echoes each one, so
  // the proxy carries TOTAL_BYTES each way. At most WINDOW messages are in flight.
  const total = Number(a);
  const size = Number(b ?? 64 * 1024);
  const count = Math.ceil(total / size);
  const WINDOW = 8;
  const [ws] = await open(1);
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 31) & 0xff;
  let sent = 0;
  let echoed = 0;
  let echoedBytes = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (sent < count && sent - echoed < WINDOW) {
        sent++;
        ws!.send(payload, { binary: true });
      }
    };
    ws!.on('message', (data: Buffer) => {
      echoed++;
      echoedBytes += data.length;
      if (echoed === count) resolve();
      else pump();
    });
    ws!.once('close', () => reject(new Error(`session closed after ${echoed} of ${count} messages`)));
    pump();
  });
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(
    `${JSON.stringify({ messages: count, bytes: echoedBytes, seconds, mibPerSecond: echoedBytes / 1048576 / seconds })}\n`,
  );
  ws!.terminate();
  process.exit(0);
} else {
  console.error('usage: ws-load.ts pingpong URL SIZE SECONDS CONNS | idle URL COUNT | stream URL TOTAL_BYTES MSG_SIZE');
  process.exit(2);
}
