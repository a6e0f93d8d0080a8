// Differential test: the static server against real nginx (root, index, try_files, autoindex) on the same folder.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../helpers/net.ts';
import { nginxMissing, startNginx, type Nginx } from '../../helpers/nginx.ts';
import {
  makeSiteTree,
  raw,
  siteOf,
  startStaticServer,
  type RawResponse,
  type SiteTree,
  type StaticServer,
} from '../../helpers/static-site.ts';

interface Case {
  path: string;
  headers?: Record<string, string>;
  method?: string;
  /** An intended difference: what each side answers, and why. Asserted, so the note stays true. */
  diff?: { ours: number; nginx: number; why: string };
}

const INDEX = '<!doctype html><title>app</title>';
const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const ASSET = { accept: '*/*' };

/** nginx: root + index + try_files $uri $uri/ /index.html. Loopgate: spa on, autoindex off. */
const SPA_CASES: Case[] = [
  { path: '/' },
  { path: '/index.html' },
  { path: '/app.js', headers: ASSET },
  { path: '/style.css', headers: ASSET },
  { path: '/data.json', headers: ASSET },
  { path: '/notes.txt' },
  { path: '/img/pic.png', headers: ASSET },
  { path: '/bytes.bin' },
  { path: '/blog/' },
  { path: '/blog' },
  { path: '/blog?x=1&y=2' },
  { path: '/docs/a.txt' },
  { path: '/docs/b%20b.txt' },
  { path: '/caf%C3%A9.txt' },
  { path: '/deep/nested/page.html' },
  { path: '/users/42', headers: HTML },
  { path: '/users/42', headers: ASSET },
  { path: '/settings/profile?tab=2', headers: HTML },
  { path: '/x.js', headers: HTML },
  { path: '/app.js/', headers: ASSET },
  { path: '/a/../app.js', headers: ASSET },
  { path: '//style.css', headers: ASSET },
  { path: '/%2e%2e/secret.txt' },
  { path: '/docs/..%2f..%2fsecret.txt' },
  { path: '/.well-known/security.txt' },
  { path: '/bytes.bin', headers: { range: 'bytes=2-5' } },
  { path: '/bytes.bin', headers: { range: 'bytes=-3' } },
  { path: '/bytes.bin', headers: { range: 'bytes=999-' } },
  { path: '/style.css', method: 'HEAD' },
  { path: '/users/42', method: 'HEAD', headers: HTML },
  {
    path: '/x.js',
    headers: ASSET,
    diff: {
      ours: 404,
      nginx: 200,
      why: 'try_files falls back for a missing asset too; we 404 so a broken asset is not masked by HTML',
    },
  },
  {
    path: '/img/missing.png',
    headers: ASSET,
    diff: { ours: 404, nginx: 200, why: 'same: missing assets are not navigations' },
  },
  {
    path: '/deep/nested/',
    headers: HTML,
    diff: {
      ours: 200,
      nginx: 403,
      why: 'a folder without index: nginx 403s ($uri/ matches), we give the SPA its fallback',
    },
  },
  { path: '/.env', diff: { ours: 404, nginx: 200, why: 'dotfiles are never served' } },
  {
    path: '/escape.txt',
    diff: { ours: 404, nginx: 200, why: 'nginx follows symlinks out of root (disable_symlinks off); we refuse them' },
  },
  {
    path: '/bytes.bin',
    headers: { range: 'bytes=0-1,4-5' },
    diff: { ours: 200, nginx: 206, why: 'multiple ranges: nginx sends multipart/byteranges, we send the whole file' },
  },
  {
    path: '/bytes.bin',
    method: 'POST',
    diff: { ours: 405, nginx: 405, why: 'same status; listed to pin it (nginx: 405 on static files)' },
  },
];

/** nginx: root + index + autoindex on, no try_files. Loopgate: spa off, autoindex on. */
const AUTO_CASES: Case[] = [
  { path: '/' },
  { path: '/docs/' },
  { path: '/docs' },
  { path: '/docs/sub/' },
  { path: '/empty/' },
  { path: '/deep/nested/' },
  { path: '/blog/' },
  { path: '/users/42', headers: HTML },
  { path: '/x.js' },
  { path: '/app.js/' },
  { path: '/app.js', headers: ASSET },
  { path: '/docs/sub/x.txt' },
  {
    path: '/docs/.hidden',
    diff: { ours: 404, nginx: 200, why: 'dotfiles are never served (both leave them out of listings)' },
  },
];

const JS = /^application\/javascript/;

function comparable(r: RawResponse) {
  const type = String(r.headers['content-type'] ?? '').replace(JS, 'text/javascript');
  const location = r.headers.location
    ? new URL(String(r.headers.location), 'http://x').pathname + new URL(String(r.headers.location), 'http://x').search
    : undefined;
  return { type, location };
}

/** Links of a listing, decoded, in page order. */
function links(html: string): string[] {
  return [...html.matchAll(/href="([^"]*)"/g)].map((m) =>
    decodeURIComponent(
      m[1]!.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&'),
    ),
  );
}

describe('static server vs nginx', { skip: nginxMissing }, () => {
  let t: SiteTree;
  let spaNginx: Nginx;
  let autoNginx: Nginx;
  let spa: StaticServer;
  let auto: StaticServer;

  before(async () => {
    t = makeSiteTree(
      {
        '/index.html': INDEX,
        '/app.js': 'console.log(1)',
        '/style.css': 'a{color:red}',
        '/data.json': '{"a":1}',
        '/notes.txt': 'notes\n',
        '/img/pic.png': Buffer.from([137, 80, 78, 71, 13, 10]),
        '/bytes.bin': Buffer.from('0123456789'),
        '/blog/index.html': 'blog index',
        '/docs/a.txt': 'a',
        '/docs/b b.txt': 'bb',
        '/docs/sub/x.txt': 'x',
        '/docs/.hidden': 'hidden',
        '/docs/zz/': '',
        '/café.txt': 'accent',
        '/deep/nested/page.html': '<p>page</p>',
        '/empty/': '',
        '/.env': 'SECRET=1',
        '/.well-known/security.txt': 'Contact: me',
      },
      { '/escape.txt': '../secret.txt' },
    );
    const common = `root ${t.root}; index index.html; charset utf-8; charset_types text/html text/css application/javascript application/json text/plain;`;
    spaNginx = await startNginx(await freePort(), `${common} location / { try_files $uri $uri/ /index.html; }`);
    autoNginx = await startNginx(await freePort(), `${common} autoindex on;`);
    spa = await startStaticServer(siteOf(t.root, { spa: true, autoindex: false }));
    auto = await startStaticServer(siteOf(t.root, { spa: false, autoindex: true }));
  });

  after(async () => {
    await spa?.close();
    await auto?.close();
    await spaNginx?.stop();
    await autoNginx?.stop();
    t?.cleanup();
  });

  async function compare(cases: Case[], oursPort: number, nginxPort: number) {
    for (const c of cases) {
      const label = `${c.method ?? 'GET'} ${c.path} ${JSON.stringify(c.headers ?? {})}`;
      const [ours, ng] = await Promise.all([
        raw(oursPort, c.path, c.headers, c.method),
        raw(nginxPort, c.path, c.headers, c.method),
      ]);
      assert.ok(!ours.text.includes(t.secret), `${label}: ours leaked the secret`);
      if (c.diff) {
        assert.equal(ours.status, c.diff.ours, `${label}: ours (${c.diff.why})`);
        assert.equal(ng.status, c.diff.nginx, `${label}: nginx (${c.diff.why})`);
        continue;
      }
      assert.equal(ours.status, ng.status, `${label}: status`);
      const [o, n] = [comparable(ours), comparable(ng)];
      assert.equal(o.location, n.location, `${label}: Location (path and query; nginx's is absolute)`);
      // Error pages differ on purpose (ours: text/plain with the reason; nginx: HTML): compare status only.
      if (ours.status >= 400 && ours.status !== 416) continue;
      if (ours.status === 416) {
        assert.equal(ours.headers['content-range'], ng.headers['content-range'], `${label}: Content-Range`);
        continue;
      }
      if (ours.status === 301) continue; // redirect bodies differ (both tiny HTML)
      assert.equal(o.type, n.type, `${label}: Content-Type`);
      if (ng.text.includes('<title>Index of')) {
        assert.ok(links(ng.text).length >= 1, `${label}: nginx listing has links`);
        assert.deepEqual(links(ours.text), links(ng.text), `${label}: listing entries and order`);
        continue;
      }
      assert.deepEqual(ours.body, ng.body, `${label}: body`);
      for (const h of ['etag', 'last-modified', 'content-length', 'content-range']) {
        assert.equal(ours.headers[h], ng.headers[h], `${label}: ${h}`);
      }
    }
  }

  test('root + index + try_files $uri $uri/ /index.html (SPA)', async () => {
    assert.ok(SPA_CASES.length >= 25);
    await compare(SPA_CASES, spa.port, spaNginx.port);
  });

  test('root + index + autoindex', async () => {
    await compare(AUTO_CASES, auto.port, autoNginx.port);
  });

  test('validators agree: a 304 from one side is a 304 from the other', async () => {
    const first = await raw(spa.port, '/style.css');
    const conditions: Array<Record<string, string>> = [
      { 'if-none-match': String(first.headers.etag) },
      { 'if-modified-since': String(first.headers['last-modified']) },
    ];
    for (const headers of conditions) {
      const [ours, ng] = await Promise.all([
        raw(spa.port, '/style.css', headers),
        raw(spaNginx.port, '/style.css', headers),
      ]);
      assert.equal(ours.status, 304, JSON.stringify(headers));
      assert.equal(ng.status, 304, JSON.stringify(headers));
    }
  });
});
