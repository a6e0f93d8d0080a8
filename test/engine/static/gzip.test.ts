// nginx gzip for static files: compressed on the fly for listed types above the minimum length; Vary with gzip_vary.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { APP, INDEX, makeFixtureTree } from '../../helpers/static-fixture.ts';
import { raw, siteOf, startStaticServer, type SiteTree, type StaticServer } from '../../helpers/static-site.ts';

let t: SiteTree;
let s: StaticServer;
before(async () => {
  t = makeFixtureTree();
  s = await startStaticServer(siteOf(t.root));
});
after(async () => {
  await s?.close();
  t?.cleanup();
});

test('listed types above gzip_min_length are gzipped for clients that accept it; others are not', async () => {
  const gzip = { types: new Set(['text/html', 'text/javascript']), minLength: 20, vary: true };
  s.set(siteOf(t.root, { codings: [], gzip }));
  const js = await raw(s.port, '/assets/app.js', { 'accept-encoding': 'gzip' });
  assert.equal(js.headers['content-encoding'], 'gzip');
  assert.equal(js.headers['content-length'], undefined);
  assert.equal(js.headers.vary, 'Accept-Encoding');
  assert.equal(gunzipSync(js.body).toString(), APP);
  const plain = await raw(s.port, '/assets/app.js');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.text, APP);
  // Shorter than the minimum: sent as is, and no Vary (nginx's gzip_vary marks only what it would compress).
  s.set(siteOf(t.root, { codings: [], gzip: { ...gzip, minLength: 10_000 } }));
  const small = await raw(s.port, '/', { 'accept-encoding': 'gzip' });
  assert.equal(small.headers['content-encoding'], undefined);
  assert.equal(small.headers.vary, undefined);
  assert.equal(small.text, INDEX);
});
