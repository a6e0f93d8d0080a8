// A big HAR import (64 MB, generated) through the control API: the proxy keeps answering while it runs, memory stays near the log's cap and comes back.
import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { startLoopgate, type Loopgate } from '../helpers/integ.ts';

/** Entries of about 4 KiB each: 16,000 of them make a 64 MB file. */
const ENTRIES = 16_000;
const MB = 1024 * 1024;

/** Write a Chrome-shaped HAR of `n` entries to `file`, streamed (the test never holds it whole). */
async function writeBigHar(file: string, n: number): Promise<number> {
  const out = createWriteStream(file);
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', r)));
  await write('{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":[],"entries":[');
  const t0 = Date.parse('2024-11-05T14:00:00.000Z');
  for (let i = 0; i < n; i++) {
    const body = JSON.stringify({
      id: i,
      items: Array.from({ length: 60 }, (_, k) => `item-${i}-${k}-${'x'.repeat(40)}`),
    });
    const entry = {
      startedDateTime: new Date(t0 + i * 10).toISOString(),
      time: 12.5,
      request: {
        method: 'GET',
        url: `https://api.example.com/v1/items/${i}?page=${i % 7}`,
        httpVersion: 'http/2.0',
        headers: [{ name: 'accept', value: 'application/json' }],
        queryString: [{ name: 'page', value: String(i % 7) }],
        cookies: [],
        headersSize: -1,
        bodySize: 0,
      },
      response: {
        status: 200,
        statusText: '',
        httpVersion: 'http/2.0',
        headers: [{ name: 'content-type', value: 'application/json' }],
        cookies: [],
        content: { size: body.length, mimeType: 'application/json', text: body },
        redirectURL: '',
        headersSize: -1,
        bodySize: body.length,
        _transferSize: body.length + 120,
      },
      cache: {},
      timings: { blocked: 0.5, dns: -1, ssl: -1, connect: -1, send: 0.1, wait: 10, receive: 1.9 },
      _resourceType: 'fetch',
    };
    await write((i ? ',' : '') + JSON.stringify(entry));
  }
  await write(']}}');
  await new Promise<void>((r) => out.end(r));
  return statSync(file).size;
}

function postFile(url: string, token: string, file: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': statSync(file).size,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

/** Full collections, with turns of the event loop between them (finalizers, timers that held references). */
async function gc(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    collect();
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Big HAR import', { timeout: 240_000 }, () => {
  let backend: Backend;
  let lg: Loopgate;
  let dir: string;
  let file: string;
  let size: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loopgate-bighar-'));
    file = join(dir, 'big.har');
    size = await writeBigHar(file, ENTRIES);
    backend = await startBackend();
    lg = await startLoopgate({ routes: [{ match: '/api/', target: `${backend.url}/` }] });
  });

  after(async () => {
    await lg?.stop();
    await backend?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the proxy answering while it runs, and gives memory back', async () => {
    assert.ok(size > 60 * MB && size < 100 * MB, `${size} bytes`);
    await gc();
    const before = process.memoryUsage();
    let importing = true;
    let peakRss = before.rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    const started = Date.now();
    const imported = postFile(`${lg.rt.controlUrl}/api/import.har`, lg.rt.token, file).finally(() => {
      importing = false;
    });
    // Requests through the proxy, one after another, for as long as the import runs.
    const latencies: number[] = [];
    while (importing) {
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${lg.port()}/api/ping`);
      await res.arrayBuffer();
      assert.equal(res.status, 200);
      if (importing) latencies.push(performance.now() - t);
    }
    const result = await imported;
    const took = Date.now() - started;
    clearInterval(sampler);
    assert.equal(result.status, 200, JSON.stringify(result.json));
    const counts = result.json.imported;
    assert.equal(counts.requests + (counts.dropped ?? 0), ENTRIES, JSON.stringify(counts));
    assert.ok(counts.dropped > 0, 'more than the log holds: the oldest were let go at once');
    // Answered while the import ran (not queued behind it).
    assert.ok(latencies.length >= 10, `${latencies.length} proxied requests answered during the import`);
    const stats = (await lg.api('GET', '/api/status')).json.log;
    assert.ok(stats.bytes <= stats.capBytes, `log ${stats.bytes} of ${stats.capBytes}`);
    // Memory: the heap holds the log (at most its cap) and not the file.
    await gc();
    const afterImport = process.memoryUsage();
    const heapGrowth = afterImport.heapUsed - before.heapUsed;
    assert.ok(heapGrowth < 2 * stats.capBytes, `heap grew ${Math.round(heapGrowth / MB)} MiB`);
    // Clearing the log gives it back.
    const clearedLog = await lg.api('POST', '/api/clear', {});
    assert.equal(clearedLog.status, 200, JSON.stringify(clearedLog.json));
    await gc();
    const cleared = process.memoryUsage();
    assert.ok(
      cleared.heapUsed - before.heapUsed < 24 * MB,
      `heap after clear +${Math.round((cleared.heapUsed - before.heapUsed) / MB)} MiB`,
    );
    const sorted = [...latencies].sort((a, b) => a - b);
    const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
    console.log(
      `# big HAR import: ${(size / MB).toFixed(1)} MiB, ${ENTRIES} entries in ${took} ms; kept ${counts.requests}, dropped ${counts.dropped}; ` +
        `${latencies.length} proxied requests during it: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${p(1)} ms; ` +
        `RSS ${Math.round(before.rss / MB)} → peak ${Math.round(peakRss / MB)} → ${Math.round(afterImport.rss / MB)} MiB after, ` +
        `heap +${Math.round(heapGrowth / MB)} MiB (log ${Math.round(stats.bytes / MB)} MiB of ${Math.round(stats.capBytes / MB)}), ` +
        `${Math.round(cleared.rss / MB)} MiB RSS / heap +${Math.round((cleared.heapUsed - before.heapUsed) / MB)} MiB after clear`,
    );
  });

  it('refuses a file over the limit before reading it, with a clear error', async () => {
    const res = await fetch(`${lg.rt.controlUrl}/api/import.har`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${lg.rt.token}`,
        'content-type': 'application/json',
        'content-length': String(600 * MB),
      },
      body: '{',
      duplex: 'half',
    } as RequestInit).catch((err: Error) => err);
    // Undici refuses a body shorter than its Content-Length, so the raw socket says it instead.
    if (res instanceof Error) return assertRawRefusal();
    assert.equal(res.status, 413);
  });

  async function assertRawRefusal(): Promise<void> {
    const { connect } = await import('node:net');
    const url = new URL(lg.rt.controlUrl!);
    const text = await new Promise<string>((resolve, reject) => {
      const s = connect(Number(url.port), '127.0.0.1');
      let got = '';
      s.on('data', (c: Buffer) => (got += c.toString()));
      s.on('close', () => resolve(got));
      s.on('error', reject);
      s.write(
        `POST /api/import.har HTTP/1.1\r\nHost: 127.0.0.1:${url.port}\r\nAuthorization: Bearer ${lg.rt.token}\r\nContent-Type: application/json\r\nContent-Length: ${600 * MB}\r\n\r\n{"log":`,
      );
    });
    assert.match(text, /^HTTP\/1\.1 413 /);
    assert.match(text, /IMPORT_TOO_LARGE/);
    assert.match(text, /larger than Loopgate imports \(it is 600 MiB; the limit is 512 MiB\)/);
  }
});
