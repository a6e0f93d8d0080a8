// `serve --nginx` with several server blocks: which one runs (--server PORT|NAME, else the first that serves), and saying so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { importNginx } from '../../../main/config/nginx/import.ts';
import { pickSite } from '../../../main/config/nginx/pick.ts';

const TWO = `server {
  listen 8080;
  server_name app.test www.app.test;
  return 301 https://$host$request_uri;
}
server {
  listen 8443;
  server_name app.test;
  location /api/ { proxy_pass http://127.0.0.1:3000; }
}
server {
  listen 9000;
  server_name admin.test;
  root /srv/admin;
}
`;
const sites = importNginx(TWO, { file: '/etc/nginx/app.conf' }).sites;

describe('pickSite (issue #16)', () => {
  test('without a choice: the redirect-only block is passed over, and the note says which runs and how to pick', () => {
    const { site, note } = pickSite(sites, 'app.conf');
    assert.equal(site.config.listen?.port, 8443);
    assert.match(note!, /has 3 server blocks; serving the first that serves routes or files: .* on port 8443\./);
    assert.match(note!, /--server PORT or --server NAME/);
    assert.match(note!, /on port 8080\n.*on port 8443\n.*on port 9000$/);
  });

  test('--server PORT picks by listen; --server NAME by server_name (any of its names, any case)', () => {
    assert.equal(pickSite(sites, 'app.conf', '9000').site.config.listen?.port, 9000);
    assert.equal(pickSite(sites, 'app.conf', '8080').site.config.listen?.port, 8080);
    assert.equal(pickSite(sites, 'app.conf', 'ADMIN.test').site.config.listen?.port, 9000);
    assert.equal(pickSite(sites, 'app.conf', 'www.app.test').site.config.listen?.port, 8080);
    assert.match(pickSite(sites, 'app.conf', '9000').note!, /serving .* on port 9000 \(--server 9000\)/);
  });

  test('a choice that matches no block is an error listing the blocks', () => {
    assert.throws(
      () => pickSite(sites, 'app.conf', '1234'),
      /--server 1234: no server block of app\.conf listens on that port; it has:\n/,
    );
    assert.throws(() => pickSite(sites, 'app.conf', 'nope.test'), /has that server_name/);
  });

  test('one block: no note; none: an error', () => {
    const one = importNginx('server { listen 8080; root /srv; }', { file: 'x.conf' }).sites;
    assert.deepEqual(pickSite(one, 'x.conf'), { site: one[0] });
    assert.throws(() => pickSite([], 'x.conf'), /x\.conf has no server block/);
  });
});

describe('serve --nginx --server on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-pick-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('an unknown --server is refused in one message naming the blocks, before anything listens', () => {
    const file = join(dir, 'app.conf');
    writeFileSync(file, TWO);
    const cli = new URL('../../../main/cli.ts', import.meta.url).pathname;
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', cli, 'serve', '--nginx', file, '--server', '7', '--no-control'],
      {
        cwd: new URL('../../../', import.meta.url).pathname,
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(
      r.stderr,
      /loopgate: --server 7: no server block of .*app\.conf listens on that port; it has:\n {2}app\.test on port 8080\n/,
    );
  });
});
