// The static site server's confinement and failure cases: dotfiles, traversal corpus, special files, missing root, fd leaks, checkPath.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, renameSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkPath } from '../../../main/engine/static/resolve.ts';
import { waitFor } from '../../helpers/net.ts';
import { APP, BIG, INDEX, makeFixtureTree } from '../../helpers/static-fixture.ts';
import { raw, siteOf, startStaticServer, type SiteTree, type StaticServer } from '../../helpers/static-site.ts';

describe('serveStatic: confinement and failures', () => {
  let t: SiteTree;
  let s: StaticServer;
  const site = (over = {}) => siteOf(t.root, over);

  before(async () => {
    t = makeFixtureTree();
    s = await startStaticServer(site());
  });

  after(async () => {
    await s?.close();
    t?.cleanup();
  });

  test('dotfiles are refused, except under /.well-known/', async () => {
    s.set(site());
    for (const p of [
      '/.env',
      '/.git/config',
      '/docs/.hidden',
      '/.well-known/.private',
      '/.git/',
      '/%2egit/config',
      '/.ENV',
    ]) {
      const r = await raw(s.port, p, { accept: 'text/html' });
      assert.equal(r.status, 404, p);
      assert.ok(!r.text.includes('SECRET=1') && !r.text.includes('[core]') && !r.text.includes('hidden\n'), p);
    }
    const wk = await raw(s.port, '/.well-known/security.txt');
    assert.equal(wk.status, 200);
    assert.equal(wk.text, 'Contact: me');
  });

  for (const mode of ['router', 'decode', 'normalize'] as const) {
    test(`traversal corpus never reaches a file outside root (${mode})`, async () => {
      const srv = await startStaticServer(site({ autoindex: true }), mode);
      try {
        const corpus = [
          '/../secret.txt',
          '/..%2fsecret.txt',
          '/%2e%2e/secret.txt',
          '/%2E%2E/secret.txt',
          '/%2e%2e%2fsecret.txt',
          '/.%2e/secret.txt',
          '/%2e./secret.txt',
          '/assets/../../secret.txt',
          '/assets/%2e%2e/%2e%2e/secret.txt',
          '/%252e%252e/secret.txt',
          '/%252e%252e%252fsecret.txt',
          '/..\\secret.txt',
          '/%5c..%5csecret.txt',
          '/..%5csecret.txt',
          '/assets/..%5c..%5csecret.txt',
          '/secret.txt%00.html',
          '/../secret.txt%00',
          '/%00/../secret.txt',
          '/%c0%ae%c0%ae/secret.txt',
          '/%c0%ae%c0%ae%c0%afsecret.txt',
          '/%e0%80%ae%e0%80%ae/secret.txt',
          '/..%c0%afsecret.txt',
          '/escape.txt',
          '/escdir/secret.txt',
          '/escdir/site/index.html',
          '/escdir/',
          '/evil/secret.txt',
          '/evil/',
          '/docs/link-out',
          '/ESCAPE.TXT',
          '/Escdir/secret.txt',
          '/../site-evil/secret.txt',
          '/%2e%2e/site-evil/secret.txt',
          '/./../secret.txt',
          '/' + '../'.repeat(20) + 'etc/passwd',
          '//../secret.txt',
          '/assets/./../../secret.txt',
        ];
        for (const p of corpus) {
          for (const accept of ['*/*', 'text/html']) {
            const r = await raw(srv.port, p, { accept });
            assert.ok(!r.text.includes(t.secret), `${p} leaked the secret (status ${r.status})`);
            assert.ok(!r.text.includes('root:x:0:0'), `${p} leaked /etc/passwd`);
            assert.ok([200, 301, 400, 403, 404].includes(r.status), `${p}: status ${r.status}`);
            if (r.status === 200)
              assert.ok(r.text === INDEX || r.text.includes('Index of'), `${p}: only the app or a listing inside root`);
          }
        }
        const inner = await raw(srv.port, '/inner.js');
        assert.equal(inner.status, 200, 'a symlink that stays inside root is followed');
        assert.equal(inner.text, APP);
      } finally {
        await srv.close();
      }
    });
  }

  test('a FIFO or other special file in root is a 404, not a hang', {
    skip: process.platform === 'win32',
  }, async () => {
    execFileSync('mkfifo', [join(t.root, 'pipe.txt')]);
    s.set(site({ spa: false }));
    assert.equal((await raw(s.port, '/pipe.txt')).status, 404);
  });

  test('a missing root folder answers 404 saying so', async () => {
    const gone = join(t.base, 'dist-not-built');
    for (const spa of [true, false]) {
      s.set(siteOf(gone, { spa }));
      for (const p of ['/', '/app.js', '/users/1']) {
        const r = await raw(s.port, p, { accept: 'text/html' });
        assert.equal(r.status, 404, p);
        assert.match(r.text, /root folder .*dist-not-built does not exist/, p);
      }
    }
    const moved = join(t.base, 'moved');
    s.set(site());
    renameSync(t.root, moved);
    try {
      assert.match((await raw(s.port, '/')).text, /does not exist/);
    } finally {
      renameSync(moved, t.root);
    }
  });

  test('client aborts mid-download do not leak file descriptors', { skip: process.platform !== 'linux' }, async () => {
    s.set(site());
    const fds = () => readdirSync('/proc/self/fd').length;
    const baseline = fds();
    for (let i = 0; i < 25; i++) {
      await new Promise<void>((resolve, reject) => {
        const sock = connect(s.port, '127.0.0.1', () => sock.write(`GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n`));
        sock.once('data', () => {
          sock.destroy();
          resolve();
        });
        sock.once('error', reject);
      });
    }
    const during = fds();
    await waitFor(() => fds() <= baseline + 2, `fds back near ${baseline} (was ${during}, now ${fds()})`, 5000);
    const full = await raw(s.port, '/big.bin');
    assert.equal(full.body.length, BIG.length, 'the server still serves after the aborts');
  });

  test('checkPath refuses dot segments, dotfiles, backslashes, NUL and non-UTF-8 bytes', () => {
    for (const p of [
      '/..',
      '/a/../b',
      '/./a',
      '/.env',
      '/a/.git/x',
      '/a\\b',
      '/a\0b',
      '/\udcc0\udcae/x',
      'relative',
      '/.well-known/.x',
      '/a/.well-known/x',
    ]) {
      assert.equal(checkPath(p), null, JSON.stringify(p));
    }
    assert.deepEqual(checkPath('/a//b/'), { segments: ['a', 'b'], trailingSlash: true });
    assert.deepEqual(checkPath('/.well-known/x'), { segments: ['.well-known', 'x'], trailingSlash: false });
    assert.deepEqual(checkPath('/caf\u00e9/a b.txt'), { segments: ['caf\u00e9', 'a b.txt'], trailingSlash: false });
  });
});
