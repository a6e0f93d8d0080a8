// Static files under a racing swap: a folder, a file or the root itself replaced by a symlink to the outside between check and open; nothing outside the root is ever served.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  makeSiteTree,
  siteOf,
  startStaticServer,
  type SiteTree,
  type StaticServer,
} from '../../helpers/static-site.ts';

/** Racing for this long per case (bounded; the swaps run in another process, truly in parallel). */
const RACE_MS = Number(process.env.RACE_MS ?? 1500);
const verbose = !!process.env.HARDENING_VERBOSE;

/**
 * A child process that swaps `path` back and forth between what is there and a symlink to `target`
 * as fast as it can until `ms` passed, then leaves the original in place. `recreate`: instead of
 * moving the original back, it alternates between the symlink and a freshly made folder holding the
 * same file names (a rebuilt root).
 */
function racer(path: string, target: string, ms: number, recreate = false): Promise<number> {
  const script = `
    const fs = require('node:fs');
    const [path, target, ms, recreate] = [process.argv[1], process.argv[2], Number(process.argv[3]), process.argv[4] === '1'];
    const aside = path + '.aside';
    const files = recreate ? fs.readdirSync(path, { withFileTypes: true }).filter((d) => d.isFile()).map((d) => [d.name, fs.readFileSync(path + '/' + d.name)]) : [];
    const end = Date.now() + ms;
    let swaps = 0;
    while (Date.now() < end) {
      fs.renameSync(path, aside);
      fs.symlinkSync(target, path);
      fs.unlinkSync(path);
      if (recreate) {
        fs.rmSync(aside, { recursive: true });
        fs.mkdirSync(path);
        for (const [n, c] of files) fs.writeFileSync(path + '/' + n, c);
      } else fs.renameSync(aside, path);
      swaps++;
    }
    process.stdout.write(String(swaps));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, path, target, String(ms), recreate ? '1' : '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    child.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`racer exited ${code}`))));
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { accept: '*/*' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Request `paths` in 4 loops while `race` runs; every answer body, by status. */
async function hammer(port: number, paths: string[], race: Promise<number>) {
  let racing = true;
  const swaps = race.finally(() => (racing = false));
  const statuses: Record<number, number> = {};
  const bodies = new Set<string>();
  let requests = 0;
  const loop = async (i: number) => {
    while (racing) {
      const r = await get(port, paths[(requests + i) % paths.length]!);
      requests++;
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 200) bodies.add(r.body);
    }
  };
  await Promise.all([0, 1, 2, 3].map(loop));
  return { swaps: await swaps, statuses, bodies, requests };
}

describe('static files: swaps racing the check and the open', () => {
  let t: SiteTree;
  let s: StaticServer;
  let outside: string;

  before(async () => {
    t = makeSiteTree({ '/index.html': 'INDEX', '/d/page.txt': 'IN-D', '/f.txt': 'IN-F' });
    // The outside folder holds the same names, with the secret inside.
    outside = join(t.base, 'outside');
    mkdirSync(outside);
    for (const n of ['page.txt', 'f.txt', 'index.html', 'secret.txt']) writeFileSync(join(outside, n), t.secret);
    s = await startStaticServer(siteOf(t.root, { spa: false }));
  });

  after(async () => {
    agent.destroy();
    await s?.close();
    t?.cleanup();
  });

  /** `partial`: a body may also be the start of an allowed one (a rebuilt root's file caught mid-write). */
  const check = (name: string, r: Awaited<ReturnType<typeof hammer>>, allowed: string[], partial = false) => {
    if (verbose) console.log(`${name}: ${r.swaps} swaps, ${r.requests} requests, ${JSON.stringify(r.statuses)}`);
    assert.ok(r.swaps > 10 && r.requests > 10, `${r.swaps} swaps, ${r.requests} requests`);
    for (const b of r.bodies) {
      assert.ok(!b.includes(t.secret), `${name}: the secret outside the root was served`);
      assert.ok(
        allowed.includes(b) || (partial && allowed.some((a) => a.startsWith(b))),
        `${name}: unexpected body ${JSON.stringify(b.slice(0, 80))}`,
      );
    }
    for (const st of Object.keys(r.statuses)) assert.ok(['200', '404', '403'].includes(st), `status ${st}`);
  };

  test('a folder on the path swapped for a symlink to the outside (same file names there)', async () => {
    const r = await hammer(s.port, ['/d/page.txt'], racer(join(t.root, 'd'), outside, RACE_MS));
    check('folder swap', r, ['IN-D']);
    assert.equal((await get(s.port, '/d/page.txt')).body, 'IN-D');
  });

  test('the file itself swapped for a symlink to the outside', async () => {
    const r = await hammer(s.port, ['/f.txt'], racer(join(t.root, 'f.txt'), join(outside, 'f.txt'), RACE_MS));
    check('file swap', r, ['IN-F']);
  });

  test('the root swapped for a symlink to the outside, and moved back', async () => {
    const r = await hammer(s.port, ['/f.txt', '/index.html', '/d/page.txt', '/'], racer(t.root, outside, RACE_MS));
    check('root swap', r, ['IN-F', 'INDEX', 'IN-D']);
    assert.equal((await get(s.port, '/f.txt')).body, 'IN-F');
  });

  test('the root re-created (a rebuild) in turns with a symlink to the outside: the new root served, never the outside', async () => {
    const r = await hammer(s.port, ['/f.txt', '/index.html', '/'], racer(t.root, outside, RACE_MS, true));
    check('root re-created', r, ['IN-F', 'INDEX'], true);
    // The rebuilt root is served normally afterwards.
    assert.equal((await get(s.port, '/f.txt')).body, 'IN-F');
    assert.equal((await get(s.port, '/')).body, 'INDEX');
  });
});
