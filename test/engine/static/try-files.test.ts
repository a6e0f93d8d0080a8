// nginx try_files over a real folder: probes in order, folders only with a trailing slash, then the fallback.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tryFiles } from '../../../main/engine/static/try-files.ts';

const root = mkdtempSync(join(tmpdir(), 'loopgate-try-'));
mkdirSync(join(root, 'assets'));
writeFileSync(join(root, 'index.html'), 'i');
writeFileSync(join(root, 'assets/app.js'), 'a');
writeFileSync(join(root, 'about.html'), 'b');
after(() => rmSync(root, { recursive: true, force: true }));

test('the first probe that exists is served; folders match "$uri/" only; then the fallback', async () => {
  const spa = ['$uri', '$uri/', '/index.html'];
  assert.deepEqual(await tryFiles(root, spa, '/assets/app.js'), { kind: 'path', path: '/assets/app.js' });
  assert.deepEqual(await tryFiles(root, spa, '/assets'), { kind: 'path', path: '/assets' });
  assert.deepEqual(await tryFiles(root, spa, '/missing.js'), { kind: 'path', path: '/index.html', fallback: true });
  // "$uri" never matches a folder, even for a path ending in "/" (nginx tests folders only for "…/" arguments).
  assert.deepEqual(await tryFiles(root, ['$uri', '=404'], '/assets/'), { kind: 'status', status: 404 });
  // Without "$uri/" a folder is not a hit: the fallback answers (nginx 200 with the index, no 301).
  assert.deepEqual(await tryFiles(root, ['$uri', '/index.html?$args'], '/assets'), {
    kind: 'path',
    path: '/index.html',
    fallback: true,
  });
  assert.deepEqual(await tryFiles(root, ['$uri', '$uri.html', '=404'], '/about'), {
    kind: 'path',
    path: '/about.html',
  });
  assert.deepEqual(await tryFiles(root, ['$uri', '=404'], '/nope'), { kind: 'status', status: 404 });
  assert.deepEqual(await tryFiles(root, ['$uri', '@backend'], '/nope'), { kind: 'status', status: 404 });
  assert.deepEqual(await tryFiles(root, ['$uri', '/index.html'], '/../etc/passwd'), {
    kind: 'path',
    path: '/index.html',
    fallback: true,
  });
});
