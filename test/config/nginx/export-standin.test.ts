// nginx export of stand-ins (issue #18): a mock becomes `return status "body"` that real nginx answers with no backend; what nginx cannot say is a comment and a warning.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportNginx } from '../../../main/config/nginx/export.ts';
import { freePort } from '../../helpers/net.ts';
import { nginxMissing } from '../../helpers/nginx.ts';
import { startNginxHttp } from '../../helpers/nginx-fixtures.ts';

test('a mock exports as default_type, add_header and return; conditions and a file mock as comments', () => {
  const out = exportNginx({
    routes: [
      {
        match: '/api/users',
        target: 'http://127.0.0.1:3000',
        respond: { status: 201, headers: { 'X-Mock': 'yes' }, body: { users: [] } },
        conditions: { latency: '300ms', failRate: 0.1 },
      },
      { match: '/api/file', target: 'http://127.0.0.1:3000', respond: { file: 'user.json' } },
      { match: '/api/dollar', target: 'http://127.0.0.1:3000', respond: { body: 'costs $5' } },
    ],
  });
  assert.match(
    out.text,
    /default_type application\/json;\n\s*add_header X-Mock yes always;\n\s*return 201 "\{\\"users\\":\[\]\}";/,
  );
  assert.match(out.text, /# loopgate: conditions \(latency 300ms, failRate 0\.1\) .* nginx cannot express them/);
  assert.match(out.text, /# loopgate: respond\.file "user\.json" .*nginx cannot express this mock answer/);
  assert.match(out.text, /# loopgate: respond holds "\$"/);
  assert.equal(out.warnings.filter((w) => /conditions|respond/.test(w)).length, 3, out.warnings.join('\n'));
});

test('real nginx answers the exported mock with the backend absent', { skip: nginxMissing }, async () => {
  const port = await freePort();
  const absent = await freePort();
  const out = exportNginx({
    listen: { host: '127.0.0.1', port },
    routes: [{ match: '/api/', target: `http://127.0.0.1:${absent}`, respond: { status: 202, body: { ok: true } } }],
  });
  const nginx = await startNginxHttp(out.text, port);
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/x`);
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), { ok: true });
  } finally {
    await nginx.stop();
  }
});
