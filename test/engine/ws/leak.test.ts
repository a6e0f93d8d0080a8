// 2,000 WebSocket sessions opened and closed through the tunnel (every closing path) leave no socket, timer or session behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { sleep, waitFor } from '../../helpers/net.ts';
import { closed, openClient, refusedClient, settled, startRig } from '../../helpers/tunnel-harness.ts';

function handles(): { sockets: number; timers: number } {
  const info = process.getActiveResourcesInfo();
  return {
    sockets: info.filter((r) => r === 'TCPSocketWrap').length,
    timers: info.filter((r) => r === 'Timeout').length,
  };
}

test('2,000 open/close cycles leave no sockets, timers or sessions behind', { timeout: 90_000 }, async () => {
  // Backend: echoes; "close" → it closes with 1000; "kill" → it drops the TCP connection; /reject → 401.
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: false,
    verifyClient: (info: { req: { url?: string } }) => !info.req.url?.startsWith('/reject'),
  });
  await new Promise((res) => wss.once('listening', res));
  wss.on('connection', (s) => {
    s.on('error', () => {});
    s.on('message', (d) => {
      const m = d.toString();
      if (m === 'close') s.close(1000, 'backend bye');
      else if (m === 'kill') s.terminate();
      else s.send(m);
    });
  });
  const r = await startRig(`http://127.0.0.1:${(wss.address() as { port: number }).port}`, {
    timeouts: { read: '60s' },
    keepAlivePing: '50s',
  });
  try {
    const warm = await openClient(`${r.url}/warm`);
    warm.close();
    await closed(warm);
    await settled(r);
    await sleep(50); // kept: lets closing handles go before the baseline count (no event marks that)
    const before = handles();
    const CYCLES = 2000;
    const BATCH = 25;
    for (let start = 0; start < CYCLES; start += BATCH) {
      await Promise.all(
        Array.from({ length: BATCH }, async (_, k) => {
          const i = start + k;
          if (i % 6 === 5) {
            assert.equal((await refusedClient(`${r.url}/reject/${i}`)).status, 401);
            return;
          }
          const ws = await openClient(`${r.url}/c${i}`);
          const echo = new Promise((res) => ws.once('message', res));
          ws.send(`m${i}`);
          await echo;
          const done = closed(ws);
          if (i % 6 === 0) ws.close(1000);
          else if (i % 6 === 1) ws.terminate();
          else if (i % 6 === 2) ws.send('close');
          else if (i % 6 === 3) ws.send('kill');
          else r.registry.close(r.records.find((x) => x.url === `/c${i}`)!.id, 1000, 'cycle');
          await done;
        }),
      );
    }
    await settled(r, 'all sessions closed');
    assert.deepEqual(r.registry.openIds, []);
    assert.equal(r.records.length, CYCLES + 1);
    const failed = r.records.filter((x) => x.state === 'failed');
    assert.equal(failed.length, Math.floor(CYCLES / 6), 'refused upgrades end as failed');
    assert.ok(failed.every((x) => x.status === 401));
    assert.ok(r.records.filter((x) => x.state !== 'failed').every((x) => x.state === 'closed'));
    await waitFor(
      () => {
        const now = handles();
        return now.sockets <= before.sockets && now.timers <= before.timers;
      },
      'handles back to the warm-up level',
      3000,
    ).catch(() => {});
    const after = handles();
    assert.ok(after.sockets <= before.sockets, `TCP sockets: before ${before.sockets}, after ${after.sockets}`);
    assert.ok(after.timers <= before.timers, `timers: before ${before.timers}, after ${after.timers}`);
  } finally {
    await r.close();
    for (const c of wss.clients) c.terminate();
    await new Promise((res) => wss.close(res));
  }
});
