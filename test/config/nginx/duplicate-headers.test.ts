// A proxy_set_header name repeated (include proxy_params plus the same line again): nginx sends both, the import says so.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { importNginx } from '../../../main/config/nginx/import.ts';
import { Engine } from '../../../main/engine/server.ts';
import { compileSnapshot } from '../../../main/engine/snapshot.ts';
import { validateConfig } from '../../../shared/config.ts';
import { startBackend, type Backend } from '../../helpers/backend.ts';
import { freePort } from '../../helpers/net.ts';
import { nginxMissing } from '../../helpers/nginx.ts';
import { startNginxHttp } from '../../helpers/nginx-fixtures.ts';

const block = (listen: number, backend: number) => `server {
  listen 127.0.0.1:${listen};
  location / {
    proxy_set_header X-Team blue;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_pass http://127.0.0.1:${backend};
    proxy_set_header x-team green;
  }
}
`;

describe('duplicate proxy_set_header lines (issue #16)', () => {
  let backend: Backend;
  before(async () => {
    backend = await startBackend();
  });
  after(() => backend?.close());

  test('the import warns on the repeated line, naming the first', () => {
    const r = importNginx(block(8080, 3000), { file: '/etc/nginx/app.conf' });
    const dup = r.warnings.filter((w) => /is also set on/.test(w.message));
    assert.deepEqual(
      dup.map((w) => [w.line, w.message]),
      [
        [
          7,
          'proxy_set_header x-team is also set on line 4: nginx sends two lines, Loopgate one with both values ("a, b", as the backend reads them)',
        ],
      ],
    );
    assert.deepEqual(r.sites[0]!.config.routes![0]!.setHeaders, { 'X-Team': 'blue, green' });
  });

  test('a header Loopgate models as a setting (Host) is sent once: the warning says so', () => {
    const r = importNginx(
      'server { listen 8080; location / { proxy_set_header Host $host; proxy_set_header Host $http_host; proxy_pass http://127.0.0.1:1; } }',
      { file: '/etc/nginx/app.conf' },
    );
    assert.deepEqual(
      r.warnings.filter((w) => /is also set on/.test(w.message)).map((w) => w.message),
      ['proxy_set_header Host is also set on line 1: nginx sends the header twice, Loopgate once (this later value)'],
    );
  });

  test('a name set once, or only emptied, is no duplicate', () => {
    const r = importNginx(
      'server { listen 8080; location / { proxy_set_header A 1; proxy_set_header B ""; proxy_set_header B ""; proxy_pass http://127.0.0.1:1; } }',
      { file: '/etc/nginx/app.conf' },
    );
    assert.equal(r.warnings.filter((w) => /is also set on/.test(w.message)).length, 0);
  });

  test('what the warning says is what happens: nginx sends both lines, Loopgate both values in one; the backend reads the same', {
    skip: nginxMissing,
  }, async () => {
    const nPort = await freePort();
    const nginx = await startNginxHttp(block(nPort, backend.port), nPort);
    try {
      const res = await fetch(`http://127.0.0.1:${nPort}/n`);
      assert.equal(res.status, 200);
    } finally {
      await nginx.stop();
    }
    const lPort = await freePort();
    const site = importNginx(block(lPort, backend.port), { file: '/etc/nginx/app.conf' }).sites[0]!;
    const v = validateConfig(site.config);
    assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
    const engine = new Engine();
    await engine.start(compileSnapshot(v.config, { baseDir: '/tmp' }));
    try {
      const res = await fetch(`http://127.0.0.1:${lPort}/l`);
      assert.equal(res.status, 200);
    } finally {
      await engine.stop({ drainMs: 50 });
    }
    const seen = (url: string) => backend.seen.find((s) => s.url === url)!;
    const lines = (url: string) => {
      const raw = seen(url).rawHeaders;
      return raw.flatMap((v, i) => (i % 2 === 0 && v.toLowerCase() === 'x-team' ? [raw[i + 1]] : []));
    };
    assert.deepEqual(lines('/n'), ['blue', 'green']);
    assert.deepEqual(lines('/l'), ['blue, green']);
    assert.equal(seen('/l').headers['x-team'], seen('/n').headers['x-team']);
  });
});
