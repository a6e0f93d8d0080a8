// Hardening: a generated path-traversal corpus over raw sockets through the whole engine never returns a byte from outside the root.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rawExchange, startEngine, tcpHandles, type RunningEngine } from '../helpers/hardening.ts';
import { waitFor } from '../helpers/net.ts';
import { makeSiteTree, type SiteTree } from '../helpers/static-site.ts';

/** Ways to write "." (each stands for one dot of a ".." segment). */
const DOTS = ['.', '%2e', '%2E', '%252e', '%c0%ae', '%e0%80%ae', '%f0%80%80%ae', '%ef%bc%8e', '%u002e', '%%32%65'];
/** Ways to write "/" between segments. */
const SLASHES = [
  '/',
  '%2f',
  '%2F',
  '%252f',
  '\\',
  '%5c',
  '%5C',
  '%c0%af',
  '%c1%9c',
  '%e0%80%af',
  '%ef%bc%8f',
  '//',
  '/./',
  '/;/',
];
/** Where the payload starts. */
const PREFIXES = ['/', '/assets/', '//', '/./', '/assets/../', '/x/../'];
/** What to reach, as segments from the root ("<up>" is a ".." written with the dot variant). */
const TARGETS = [
  ['<up>', 'secret.txt'],
  ['<up>', 'site-evil', 'secret.txt'],
  ['<up>', '<up>', '<up>', '<up>', '<up>', '<up>', 'etc', 'passwd'],
  ['assets', '<up>', '<up>', 'secret.txt'],
];
/** Hand-written oddities, each sent as it is. */
const EXTRA = [
  '/.env',
  '/%2eenv',
  '/.%65nv',
  '/assets/.env',
  '/.git/config',
  '/.well-known/../.env',
  '/link.txt',
  '/LINK.TXT',
  '/up/secret.txt',
  '/up/site/../secret.txt',
  '/up/',
  '/up',
  '/evil/secret.txt',
  '/evil/',
  '/secret.txt',
  '/SECRET.TXT',
  '/Secret.txt',
  '/index.html%00',
  '/secret.txt%00.html',
  '/%00/../secret.txt',
  '/..%00/secret.txt',
  '/index.html/..%2f..%2fsecret.txt',
  '/..;/secret.txt',
  '/....//secret.txt',
  '/..../secret.txt',
  '/.../secret.txt',
  '/. ./secret.txt',
  '/%2e%2e%2f%2e%2e%2fsecret.txt',
  '/%2e./secret.txt',
  '/.%2e/secret.txt',
  '/..%2fsecret.txt',
  '/%3f/../secret.txt',
  '/#/../secret.txt',
  '/..%c0%afsecret.txt',
  '/..%c1%9csecret.txt',
  '/..%25c0%25afsecret.txt',
  '/%%32%65%%32%65/secret.txt',
  '/%252e%252e/secret.txt',
  '/..\\secret.txt',
  '/assets/..\\..\\secret.txt',
  '/..%5c..%5csecret.txt',
  '/ ../secret.txt',
  '/%20../secret.txt',
  '/..%20/secret.txt',
  '/..%09/secret.txt',
  '/%0a../secret.txt',
  '/..%0d%0a/secret.txt',
  '/%ff%fe/../secret.txt',
  '/%c0%2e%c0%2e/secret.txt',
  '/assets%2f..%2f..%2fsecret.txt',
  '/assets/%2e%2e/%2e%2e/secret.txt',
  '/./.././secret.txt',
  '/' + '../'.repeat(40) + 'etc/passwd',
  '/' + 'a/'.repeat(200) + '../'.repeat(201) + 'secret.txt',
];
/** Request targets that are not origin-form paths at all. */
const REQUEST_TARGETS = [
  '../secret.txt',
  'http://127.0.0.1/../secret.txt',
  'http://127.0.0.1/%2e%2e/secret.txt',
  '*',
  'secret.txt',
  '\\..\\secret.txt',
  '%2e%2e/secret.txt',
];

function corpus(): string[] {
  const out = new Set<string>();
  for (const prefix of PREFIXES) {
    for (const target of TARGETS) {
      for (const dot of DOTS) {
        for (const slash of SLASHES) {
          out.add(prefix + target.map((s) => (s === '<up>' ? dot + dot : s)).join(slash));
        }
      }
    }
  }
  for (const p of EXTRA) out.add(p);
  return [...out];
}

interface Seen {
  path: string;
  status: number | undefined;
  body: string;
}

async function sendAll(port: number, targets: string[], parallel = 16): Promise<Seen[]> {
  const out: Seen[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < targets.length) {
        const path = targets[next++]!;
        const a = await rawExchange(
          port,
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nConnection: close\r\n\r\n`,
          { idleMs: 2000 },
        );
        out.push({ path, status: a.statuses[0], body: a.text });
      }
    }),
  );
  return out;
}

describe('static traversal corpus through the engine (raw sockets)', () => {
  let tree: SiteTree;
  let baseline: number;
  const engines: RunningEngine[] = [];
  const INDEX = '<!doctype html><title>inside-root</title>';

  before(() => {
    baseline = tcpHandles();
    tree = makeSiteTree(
      { '/index.html': INDEX, '/assets/app.js': 'console.log("app")', '/x/y.txt': 'y' },
      { '/link.txt': '../secret.txt', '/up': '..', '/evil': '../site-evil' },
    );
    // A dotfile inside the root holding the secret: dotfiles are never served either.
    writeFileSync(join(tree.root, '.env'), `TOKEN=${tree.secret}`);
  });

  after(async () => {
    for (const e of engines) await e.stop();
    tree.cleanup();
    await waitFor(() => tcpHandles() <= baseline, `TCP handles back to ${baseline} (now ${tcpHandles()})`, 10_000);
  });

  for (const variant of [
    { name: 'SPA fallback on', spa: true, autoindex: false },
    { name: 'autoindex on, no SPA', spa: false, autoindex: true },
  ]) {
    test(`${variant.name}: no answer carries a byte from outside the root`, { timeout: 60_000 }, async () => {
      const lg = await startEngine({ root: tree.root, spa: variant.spa, autoindex: variant.autoindex });
      engines.push(lg);
      const paths = corpus();
      assert.ok(paths.length > 2500, `corpus has ${paths.length} paths`);
      const seen = await sendAll(lg.port, [...paths, ...REQUEST_TARGETS]);
      assert.equal(seen.length, paths.length + REQUEST_TARGETS.length);
      const statuses: Record<string, number> = {};
      for (const s of seen) {
        statuses[String(s.status)] = (statuses[String(s.status)] ?? 0) + 1;
        assert.ok(!s.body.includes(tree.secret), `${s.path} leaked the secret (status ${s.status})`);
        assert.doesNotMatch(s.body, /root:.*:0:0:/, `${s.path} leaked /etc/passwd`);
        assert.ok(
          s.status === undefined || [200, 301, 400, 403, 404].includes(s.status),
          `${s.path}: unexpected status ${s.status}`,
        );
        if (s.status === 200) {
          const body = s.body.slice(s.body.indexOf('\r\n\r\n') + 4);
          const known =
            body === INDEX ||
            body === 'console.log("app")' ||
            body === 'y' ||
            (variant.autoindex && /<title>Index of /.test(body));
          assert.ok(known, `${s.path}: 200 with an unexpected body ${JSON.stringify(body.slice(0, 200))}`);
          // A listing names only what is inside the root (never the folder around it).
          assert.ok(!/secret\.txt|site-evil/.test(body), `${s.path}: a listing named a file outside the root`);
        }
      }
      if (process.env.HARDENING_VERBOSE) console.log(variant.name, paths.length, JSON.stringify(statuses));
      // Sanity: the corpus reached the file code at all (some 404s, some in-root answers).
      assert.ok((statuses['404'] ?? 0) > 50, JSON.stringify(statuses));
      assert.ok((statuses['400'] ?? 0) > 50, JSON.stringify(statuses));
      // Files inside the root still work with the same engine.
      const ok = await rawExchange(
        lg.port,
        'GET /assets/app.js HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      );
      assert.deepEqual(ok.statuses, [200]);
      assert.match(ok.text, /console\.log\("app"\)$/);
    });
  }
});
