// The static site server against real sockets: index, MIME, validators, Range, HEAD, precompressed, methods, SPA fallback, folders, extra headers.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { APP, BYTES, INDEX, makeFixtureTree } from '../../helpers/static-fixture.ts';
import { raw, siteOf, startStaticServer, type SiteTree, type StaticServer } from '../../helpers/static-site.ts';

describe('serveStatic', () => {
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

  test('index files: "/" serves index.html, not cached; site.index order is honoured', async () => {
    s.set(site());
    const r = await raw(s.port, '/');
    assert.equal(r.status, 200);
    assert.equal(r.text, INDEX);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.equal((await raw(s.port, '/index.html')).headers['cache-control'], 'no-cache');
    assert.equal(
      (await raw(s.port, '/style.css')).headers['cache-control'],
      undefined,
      'other files leave Cache-Control unset',
    );
    assert.equal((await raw(s.port, '/blog/')).text, 'blog index');
    s.set(site({ index: ['main.html', 'index.html'] }));
    assert.equal((await raw(s.port, '/multi/')).text, 'multi main');
    assert.equal(
      (await raw(s.port, '/blog/')).text,
      'blog index',
      'the second index name is tried when the first is missing',
    );
    assert.equal((await raw(s.port, '/')).text, '<title>main</title>');
  });

  test('MIME types, with the charset on text types only', async () => {
    s.set(site());
    const expect: Record<string, string> = {
      '/style.css': 'text/css; charset=utf-8',
      '/assets/app.js': 'text/javascript; charset=utf-8',
      '/mod.mjs': 'text/javascript; charset=utf-8',
      '/data.json': 'application/json; charset=utf-8',
      '/app.js.map': 'application/json; charset=utf-8',
      '/site.webmanifest': 'application/manifest+json; charset=utf-8',
      '/logo.svg': 'image/svg+xml; charset=utf-8',
      '/feed.xml': 'application/xml; charset=utf-8',
      '/notes.txt': 'text/plain; charset=utf-8',
      '/mod.wasm': 'application/wasm',
      '/font.woff2': 'font/woff2',
      '/img/pic.png': 'image/png',
      '/img/photo.JPG': 'image/jpeg',
      '/blob.unknownext': 'application/octet-stream',
    };
    for (const [path, type] of Object.entries(expect)) {
      const r = await raw(s.port, path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['content-type'], type, path);
      assert.deepEqual(r.body, Buffer.from(t.files[path]!), path);
    }
    s.set(site({ charset: 'iso-8859-1' }));
    assert.equal((await raw(s.port, '/notes.txt')).headers['content-type'], 'text/plain; charset=iso-8859-1');
    s.set(site({ charset: '' }));
    assert.equal((await raw(s.port, '/notes.txt')).headers['content-type'], 'text/plain');
  });

  test('ETag and Last-Modified; 304 on If-None-Match and If-Modified-Since', async () => {
    s.set(site());
    const r = await raw(s.port, '/style.css');
    const etag = r.headers.etag as string;
    const lastModified = r.headers['last-modified'] as string;
    const st = statSync(join(t.root, 'style.css'));
    assert.equal(etag, `"${Math.floor(st.mtimeMs / 1000).toString(16)}-${st.size.toString(16)}"`, 'nginx ETag format');
    assert.equal(lastModified, new Date(Math.floor(st.mtimeMs / 1000) * 1000).toUTCString());
    for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const c = await raw(s.port, '/style.css', { 'if-none-match': inm });
      assert.equal(c.status, 304, inm);
      assert.equal(c.body.length, 0);
      assert.equal(c.headers.etag, etag);
    }
    assert.equal((await raw(s.port, '/style.css', { 'if-none-match': '"other"' })).status, 200);
    assert.equal((await raw(s.port, '/style.css', { 'if-modified-since': lastModified })).status, 304);
    assert.equal(
      (await raw(s.port, '/style.css', { 'if-modified-since': new Date(st.mtimeMs - 60_000).toUTCString() })).status,
      200,
    );
    assert.equal((await raw(s.port, '/style.css', { 'if-modified-since': 'garbage' })).status, 200);
    const future = new Date(Date.now() + 86_400_000).toUTCString();
    assert.equal(
      (await raw(s.port, '/style.css', { 'if-none-match': '"other"', 'if-modified-since': future })).status,
      200,
      'If-None-Match wins over If-Modified-Since',
    );
    assert.equal((await raw(s.port, '/style.css', { 'if-none-match': etag }, 'HEAD')).status, 304);
  });

  test('Range: single range 206, suffix and open ranges, 416 with */size, multiple ranges 200 whole, If-Range', async () => {
    s.set(site());
    const p = '/bytes.bin';
    const one = await raw(s.port, p, { range: 'bytes=10-19' });
    assert.equal(one.status, 206);
    assert.equal(one.headers['content-range'], 'bytes 10-19/100');
    assert.equal(one.headers['content-length'], '10');
    assert.deepEqual(one.body, BYTES.subarray(10, 20));
    const suffix = await raw(s.port, p, { range: 'bytes=-5' });
    assert.equal(suffix.status, 206);
    assert.deepEqual(suffix.body, BYTES.subarray(95));
    const open = await raw(s.port, p, { range: 'bytes=90-' });
    assert.equal(open.headers['content-range'], 'bytes 90-99/100');
    assert.deepEqual(open.body, BYTES.subarray(90));
    const clamp = await raw(s.port, p, { range: 'bytes=98-500' });
    assert.equal(clamp.headers['content-range'], 'bytes 98-99/100');
    for (const bad of ['bytes=100-', 'bytes=200-300', 'bytes=-0']) {
      const r = await raw(s.port, p, { range: bad });
      assert.equal(r.status, 416, bad);
      assert.equal(r.headers['content-range'], 'bytes */100', bad);
    }
    const multi = await raw(s.port, p, { range: 'bytes=0-1,5-6' });
    assert.equal(multi.status, 200, 'multiple ranges answer the whole file');
    assert.deepEqual(multi.body, BYTES);
    assert.equal((await raw(s.port, p, { range: 'pages=1-2' })).status, 200, 'an unparseable Range is ignored');
    assert.equal((await raw(s.port, p, { range: 'bytes=5-2' })).status, 200);
    const etag = one.headers.etag as string;
    assert.equal((await raw(s.port, p, { range: 'bytes=0-1', 'if-range': etag })).status, 206);
    assert.equal(
      (await raw(s.port, p, { range: 'bytes=0-1', 'if-range': one.headers['last-modified'] as string })).status,
      206,
    );
    assert.equal((await raw(s.port, p, { range: 'bytes=0-1', 'if-range': '"stale"' })).status, 200);
    assert.equal(
      (await raw(s.port, '/empty.txt', { range: 'bytes=0-0' })).status,
      416,
      'nothing is satisfiable in an empty file',
    );
    const empty = await raw(s.port, '/empty.txt');
    assert.equal(empty.status, 200);
    assert.equal(empty.headers['content-length'], '0');
    assert.equal(one.headers['accept-ranges'], 'bytes');
  });

  test('HEAD answers the same headers without a body', async () => {
    s.set(site());
    const get = await raw(s.port, '/style.css');
    const head = await raw(s.port, '/style.css', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    for (const h of ['content-type', 'content-length', 'etag', 'last-modified', 'accept-ranges'])
      assert.equal(head.headers[h], get.headers[h], h);
    const fallback = await raw(s.port, '/some/page', {}, 'HEAD');
    assert.equal(fallback.status, 200);
    assert.equal(fallback.headers['content-length'], String(INDEX.length));
    assert.equal(fallback.body.length, 0);
  });

  test('precompressed .br/.gz siblings follow Accept-Encoding, with Vary and the original Content-Type', async () => {
    s.set(site());
    const br = await raw(s.port, '/assets/app.js', { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(br.headers.vary, 'Accept-Encoding');
    assert.equal(brotliDecompressSync(br.body).toString(), APP);
    assert.equal(br.headers['content-length'], String(br.body.length));
    const gz = await raw(s.port, '/assets/app.js', { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.body).toString(), APP);
    assert.notEqual(gz.headers.etag, br.headers.etag, 'each representation has its own ETag');
    const preferGzip = await raw(s.port, '/assets/app.js', { 'accept-encoding': 'br;q=0.5, gzip;q=1' });
    assert.equal(preferGzip.headers['content-encoding'], 'gzip');
    const noBr = await raw(s.port, '/assets/app.js', { 'accept-encoding': 'br;q=0, *' });
    assert.equal(noBr.headers['content-encoding'], 'gzip', '"*" covers gzip, br is refused with q=0');
    for (const ae of [undefined, 'identity', 'br;q=0, gzip;q=0', 'deflate']) {
      const plain = await raw(s.port, '/assets/app.js', ae ? { 'accept-encoding': ae } : {});
      assert.equal(plain.headers['content-encoding'], undefined, String(ae));
      assert.equal(plain.text, APP, String(ae));
      assert.equal(plain.headers.vary, 'Accept-Encoding', String(ae));
    }
    const noSibling = await raw(s.port, '/assets/only.css', { 'accept-encoding': 'br, gzip' });
    assert.equal(noSibling.headers['content-encoding'], undefined);
    assert.equal(noSibling.text, 'body{}');
    const png = await raw(s.port, '/img/pic.png', { 'accept-encoding': 'br' });
    assert.equal(png.headers.vary, undefined, 'images are not looked up for siblings');
    const ranged = await raw(s.port, '/assets/app.js', { 'accept-encoding': 'gzip', range: 'bytes=0-1' });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers['content-encoding'], 'gzip');
    assert.deepEqual([...ranged.body], [0x1f, 0x8b], 'the range applies to the gzip bytes');
  });

  test('only GET and HEAD: other methods get 405 with Allow, and the connection stays usable', async () => {
    s.set(site());
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await raw(s.port, '/style.css', {}, m, m === 'POST' ? 'a body' : undefined);
      assert.equal(r.status, 405, m);
      assert.equal(r.headers.allow, 'GET, HEAD', m);
    }
    assert.equal(
      (await raw(s.port, '/nope', { accept: 'text/html' }, 'POST', 'x')).status,
      405,
      'no SPA fallback for POST',
    );
    // A refused POST with a body, then a GET on the same connection: the body must have been drained.
    const answers = await new Promise<string>((resolve, reject) => {
      let got = '';
      const sock = connect(s.port, '127.0.0.1', () =>
        sock.write(
          'POST /style.css HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabcdefGET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        ),
      );
      sock.setEncoding('utf8');
      sock.on('data', (c: string) => (got += c));
      sock.on('end', () => resolve(got));
      sock.on('error', reject);
    });
    assert.match(answers, /^HTTP\/1\.1 405 [\s\S]*HTTP\/1\.1 200 OK[\s\S]*a\{color:red\}$/);
  });

  test('SPA fallback for navigations only; missing assets 404', async () => {
    s.set(site());
    for (const p of ['/users/42', '/deep/link/', '/settings?tab=1', '/user/john.doe']) {
      const headers: Record<string, string> = p.includes('.')
        ? { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }
        : {};
      const r = await raw(s.port, p, headers);
      assert.equal(r.status, 200, p);
      assert.equal(r.text, INDEX, p);
      assert.equal(r.headers['cache-control'], 'no-cache', p);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8', p);
    }
    for (const p of ['/x.js', '/img/a.png', '/assets/missing.css', '/user/john.doe']) {
      assert.equal((await raw(s.port, p, { accept: '*/*' })).status, 404, p);
    }
    assert.equal(
      (await raw(s.port, '/x.js', { accept: 'text/html' })).status,
      200,
      'a browser navigating to /x.js gets the app',
    );
    s.set(site({ spa: false }));
    assert.equal((await raw(s.port, '/users/42', { accept: 'text/html' })).status, 404);
  });

  test('folders: 301 to the slash (query kept), listing when autoindex, 403 or SPA fallback otherwise', async () => {
    s.set(site({ spa: false }));
    const moved = await raw(s.port, '/docs?x=1&y=2');
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.location, '/docs/?x=1&y=2');
    const odd = await raw(s.port, '//docs');
    assert.equal(odd.headers.location, '/docs/', 'never a protocol-relative (open) redirect');
    assert.equal((await raw(s.port, '/docs/')).status, 403);
    s.set(site({ spa: true }));
    assert.equal((await raw(s.port, '/docs/')).text, INDEX, 'the SPA fallback applies to a folder without index');
    s.set(site({ autoindex: true }));
    const list = await raw(s.port, '/docs/');
    assert.equal(list.status, 200);
    assert.equal(list.headers['content-type'], 'text/html; charset=utf-8');
    const hrefs = [...list.text.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(hrefs, ['../', 'adir/', 'zdir/', "%3Cb%3E%26%22x'.txt".replace("'", '&#39;'), 'a.txt', 'b.txt']);
    assert.ok(list.text.includes('&#60;b&#62;&#38;&#34;x&#39;.txt'), 'names are HTML-escaped');
    assert.ok(!list.text.includes('<b>&'), 'the raw name never appears');
    assert.ok(
      !list.text.includes('.hidden') && !list.text.includes('link-out'),
      'dotfiles and escaping links are not listed',
    );
    assert.match(list.text, /title="2 bytes">2 B</);
    assert.match(list.text, /\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    const rootList = await raw(s.port, '/empty-dir/');
    assert.equal(rootList.status, 200);
    assert.match(rootList.text, /Index of \/empty-dir\//);
    const headList = await raw(s.port, '/docs/', {}, 'HEAD');
    assert.equal(headList.body.length, 0);
    assert.equal(headList.headers['content-length'], String(list.body.length));
    s.set(site({ spa: false }));
    assert.equal((await raw(s.port, '/style.css/')).status, 404, 'a file asked for as a folder is not found');
  });

  test('extra headers (CORS) are on every answer; site.addHeaders (nginx add_header) on 2xx/3xx only', async () => {
    const extra: Array<[string, string]> = [
      ['access-control-allow-origin', '*'],
      ['x-extra', 'yes'],
    ];
    s.set(
      site({
        spa: false,
        addHeaders: [
          ['x-site', 'on'],
          ['x-extra', 'yes'],
        ],
      }),
      extra,
    );
    const cases: Array<[string, Record<string, string>, string, number]> = [
      ['/style.css', {}, 'GET', 200],
      ['/bytes.bin', { range: 'bytes=0-0' }, 'GET', 206],
      ['/bytes.bin', { range: 'bytes=999-' }, 'GET', 416],
      ['/style.css', { 'if-none-match': '*' }, 'GET', 304],
      ['/missing', {}, 'GET', 404],
      ['/.env', {}, 'GET', 404],
      ['/style.css', {}, 'POST', 405],
      ['/docs', {}, 'GET', 301],
      ['/docs/', {}, 'GET', 403],
      ['/style.css', {}, 'HEAD', 200],
    ];
    for (const [p, h, m, status] of cases) {
      const r = await raw(s.port, p, h, m);
      assert.equal(r.status, status, `${m} ${p}`);
      assert.equal(r.headers['access-control-allow-origin'], '*', `${m} ${p}`);
      // (416 is answered by the file sender, which has the one list: it keeps them.)
      assert.equal(r.headers['x-site'], status < 400 || status === 416 ? 'on' : undefined, `${m} ${p}`);
      assert.equal(r.headers['x-extra'], 'yes', `${m} ${p}: once, not duplicated`);
    }
    s.set(site({ autoindex: true }), extra);
    assert.equal((await raw(s.port, '/docs/')).headers['access-control-allow-origin'], '*');
  });
});
