// app:// protocol: files only from the UI folder (no traversal, no symlink escape, no other host), CSP on every answer.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  APP_CSP,
  APP_SCHEME_PRIVILEGES,
  createAppProtocolHandler,
  resolveAppFile,
} from '../../main/app/window/app-protocol.ts';
import { isAppUrl } from '../../main/app/window/app-origin.ts';

let dir: string;
let ui: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'loopgate-app-protocol-'));
  ui = join(dir, 'renderer');
  mkdirSync(join(ui, 'assets'), { recursive: true });
  writeFileSync(join(ui, 'index.html'), '<!doctype html><title>Loopgate</title>');
  writeFileSync(join(ui, 'app.js'), 'console.log(1)');
  writeFileSync(join(ui, 'style.css'), 'body{}');
  writeFileSync(join(ui, 'assets', 'logo.svg'), '<svg/>');
  mkdirSync(join(ui, 'docs'));
  writeFileSync(join(ui, 'docs', 'index.html'), 'docs');
  writeFileSync(join(dir, 'secret.txt'), 'SECRET');
  writeFileSync(join(dir, 'renderer-evil.txt'), 'SIBLING');
  symlinkSync(join(dir, 'secret.txt'), join(ui, 'link-out.txt'));
  symlinkSync(dir, join(ui, 'dir-out'));
  symlinkSync(join(ui, 'app.js'), join(ui, 'link-in.js'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('serves files under the UI folder, "/" and folders give index.html', async () => {
  for (const [url, file] of [
    ['app://loopgate/', 'index.html'],
    ['app://loopgate/index.html', 'index.html'],
    ['app://loopgate/app.js', 'app.js'],
    ['app://loopgate/assets/logo.svg', 'assets/logo.svg'],
    ['app://loopgate/docs/', 'docs/index.html'],
    ['app://loopgate/docs', 'docs/index.html'],
    ['app://LOOPGATE/app.js', 'app.js'],
    ['app://loopgate/app.js?v=1#x', 'app.js'],
    ['app://loopgate/link-in.js', 'app.js'],
    ['app://loopgate/%61pp.js', 'app.js'],
  ] as const) {
    const r = await resolveAppFile(ui, url);
    assert.ok(r.ok, `${url}: ${JSON.stringify(r)}`);
    assert.equal(r.file.endsWith(join('renderer', file)), true, `${url} → ${r.file}`);
  }
});

test('SPA: an extension-less path that names nothing gives index.html; a missing asset is 404', async () => {
  const page = await resolveAppFile(ui, 'app://loopgate/sessions/12');
  assert.ok(page.ok && page.file.endsWith('index.html'));
  const asset = await resolveAppFile(ui, 'app://loopgate/missing.js');
  assert.deepEqual(asset.ok ? null : [asset.status, asset.code], [404, 'NOT_FOUND']);
});

test('nothing outside the UI folder: traversal corpus, symlinks out, other hosts and schemes', async () => {
  const corpus = [
    'app://loopgate/../secret.txt',
    'app://loopgate/..%2fsecret.txt',
    'app://loopgate/%2e%2e/secret.txt',
    'app://loopgate/%2e%2e%2fsecret.txt',
    'app://loopgate/assets/..%2f..%2fsecret.txt',
    'app://loopgate/..%5csecret.txt',
    'app://loopgate/assets%5c..%5c..%5csecret.txt',
    'app://loopgate/%252e%252e/secret.txt',
    'app://loopgate/link-out.txt',
    'app://loopgate/dir-out/secret.txt',
    'app://loopgate/dir-out/renderer-evil.txt',
    'app://loopgate/app.js%00.png',
    `app://loopgate/${encodeURIComponent(join(dir, 'secret.txt'))}`,
    'app://loopgate//etc/passwd',
    'app://loopgate/%E0%A4%A',
    'app://evil/index.html',
    'app://loopgate.evil/index.html',
    'app://loopgate:80/index.html',
    'file:///etc/passwd',
    'https://loopgate/index.html',
    'not a url',
  ];
  const realUi = realpathSync(ui);
  for (const url of corpus) {
    const r = await resolveAppFile(ui, url);
    // Either refused, or (SPA fallback for a page-like path) the UI's own index.html: never anything else.
    if (r.ok) assert.equal(r.file, join(realUi, 'index.html'), `${url} resolved to ${r.file}`);
    else assert.ok([400, 403, 404].includes(r.status), url);
  }
  // The escapes proper are refused outright, not answered with a fallback page.
  for (const url of corpus.slice(0, 12)) {
    const r = await resolveAppFile(ui, url);
    assert.ok(
      !r.ok && (r.status === 403 || r.status === 400 || r.code === 'NOT_FOUND'),
      `${url}: ${JSON.stringify(r)}`,
    );
  }
  for (const url of [
    'app://loopgate/../secret.txt',
    'app://loopgate/..%2fsecret.txt',
    'app://loopgate/link-out.txt',
    'app://loopgate/dir-out/secret.txt',
    'app://loopgate/..%5csecret.txt',
  ]) {
    const r = await resolveAppFile(ui, url);
    assert.ok(!r.ok, url);
    if (url !== 'app://loopgate/../secret.txt') assert.equal(r.status, 403, url); // the URL parser already drops a literal "/../"
  }
  const h = createAppProtocolHandler(ui);
  for (const url of corpus.slice(0, 12)) {
    const res = await h(new Request(url.replace(/^not a url$/, 'app://x/')));
    const text = await res.text();
    assert.ok(!text.includes('SECRET') && !text.includes('SIBLING'), url);
  }
});

test('a missing UI folder says how to build it', async () => {
  const r = await resolveAppFile(join(dir, 'nope'), 'app://loopgate/');
  assert.ok(!r.ok);
  assert.equal(r.code, 'NO_UI');
  assert.match(r.message, /npm run build/);
});

test('handler: types, CSP and nosniff on answers and errors, HEAD without body, other methods 405', async () => {
  const h = createAppProtocolHandler(ui);
  const js = await h(new Request('app://loopgate/app.js'));
  assert.equal(js.status, 200);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(js.headers.get('content-security-policy'), APP_CSP);
  assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(js.headers.get('content-length'), '14');
  assert.equal(await js.text(), 'console.log(1)');
  const css = await h(new Request('app://loopgate/style.css'));
  assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
  const html = await h(new Request('app://loopgate/'));
  assert.equal(html.headers.get('content-type'), 'text/html; charset=utf-8');
  const head = await h(new Request('app://loopgate/app.js', { method: 'HEAD' }));
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  const post = await h(new Request('app://loopgate/app.js', { method: 'POST', body: 'x' }));
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  const denied = await h(new Request('app://loopgate/link-out.txt'));
  assert.equal(denied.status, 403);
  assert.equal(denied.headers.get('content-security-policy'), APP_CSP);
  assert.match(await denied.text(), /^OUTSIDE_ROOT: /);
  const foreign = await h(new Request('app://evil/index.html'));
  assert.equal(foreign.status, 403);
});

test('CSP: nothing inline, nothing from elsewhere, no framing', () => {
  const directives = new Map(APP_CSP.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1).join(' ')]));
  assert.equal(directives.get('default-src'), "'none'");
  assert.equal(directives.get('script-src'), "'self'");
  assert.equal(directives.get('style-src'), "'self'");
  assert.equal(directives.get('connect-src'), "'self'");
  assert.equal(directives.get('frame-ancestors'), "'none'");
  assert.equal(directives.get('object-src'), "'none'");
  assert.ok(!APP_CSP.includes('unsafe'));
  assert.ok(!/\bhttps?:|\*/.test(APP_CSP));
});

test('scheme privileges: standard + secure, no CSP bypass, no service workers', () => {
  assert.equal(APP_SCHEME_PRIVILEGES.scheme, 'app');
  assert.equal(APP_SCHEME_PRIVILEGES.privileges.standard, true);
  assert.equal(APP_SCHEME_PRIVILEGES.privileges.secure, true);
  assert.equal(APP_SCHEME_PRIVILEGES.privileges.bypassCSP, false);
  assert.equal(APP_SCHEME_PRIVILEGES.privileges.allowServiceWorkers, false);
});

test('isAppUrl: only app://loopgate', () => {
  assert.equal(isAppUrl('app://loopgate/index.html'), true);
  for (const u of [
    'app://loopgate.evil/',
    'app://evil/',
    'file:///x',
    'https://loopgate/',
    'app://user@loopgate/',
    '',
    null,
    42,
    'app:loopgate',
  ]) {
    assert.equal(isAppUrl(u), false, String(u));
  }
});
