// client_body_timeout and send_timeout ↔ timeouts.clientBody / timeouts.clientSend: import with inheritance, export of what is not default, nginx -t.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateConfig, type ConfigInput } from '../../../shared/config.ts';
import { exportNginx } from '../../../main/config/nginx/export.ts';
import { importNginx } from '../../../main/config/nginx/import.ts';
import { nginxMissing } from '../../helpers/nginx.ts';
import { importFixture, nginxTest } from '../../helpers/nginx-fixtures.ts';

describe('nginx client_body_timeout / send_timeout', () => {
  test('import: http and server levels become the server timeouts; a location keeps only what differs from what it inherits', () => {
    const r = importFixture('client-timeouts.conf');
    const c = r.sites[0]!.config;
    assert.deepEqual(c.timeouts, { clientBody: '30s', clientSend: '2m' });
    const [upload, events, slow] = c.routes!;
    assert.deepEqual(upload!.timeouts, { clientBody: '5m' });
    assert.equal(events!.timeouts, undefined, 'send_timeout 2m in /events is what the server says already');
    assert.deepEqual(slow!.timeouts, { clientSend: '10m' }, 'a nested location inherits, then overrides');
    const about = r.warnings.filter((w) => /client_body_timeout|send_timeout/.test(w.directive));
    assert.deepEqual(about, [], 'both directives are understood, not warned about as ignored');
  });

  test('import: a bad value is warned about with the directive named, and ignored', () => {
    const r = importNginx(
      'server { listen 8080; client_body_timeout soon; location /a { proxy_pass http://127.0.0.1:1; } }',
      { file: 'x.conf' },
    );
    assert.equal(r.sites[0]!.config.timeouts, undefined);
    assert.ok(
      r.warnings.some((w) => w.directive === 'client_body_timeout' && /not a time/.test(w.message)),
      JSON.stringify(r.warnings),
    );
  });

  const CONFIG: ConfigInput = {
    listen: { port: 8080 },
    timeouts: { clientBody: '30s', clientSend: 90 },
    routes: [
      { match: '/upload/', target: 'http://127.0.0.1:9000/files/', timeouts: { clientBody: '5m' } },
      { match: '/same', target: 'http://127.0.0.1:9000', timeouts: { clientSend: '90s' } },
      { match: '/off', target: 'http://127.0.0.1:9000', timeouts: { clientSend: 0 } },
    ],
  };

  test('export: server values as set, a route only where it differs from the server', () => {
    const { text } = exportNginx(CONFIG);
    const server = text.slice(0, text.indexOf('location'));
    assert.match(server, /^\s*client_body_timeout 30s;$/m);
    assert.match(server, /^\s*send_timeout 90s;$/m);
    const route = (m: string) =>
      text.slice(text.indexOf(`location ${m} `), text.indexOf('}', text.indexOf(`location ${m} `)));
    assert.match(route('/upload/'), /client_body_timeout 5m;/);
    assert.doesNotMatch(route('/same'), /send_timeout/, 'equal to the server: not written');
    assert.match(route('/off'), /send_timeout 0s;/);
  });

  test('export: defaults that were not set are not written', () => {
    const { text } = exportNginx({
      listen: { port: 8080 },
      routes: [{ match: '/a', target: 'http://127.0.0.1:9000' }],
    });
    assert.doesNotMatch(text, /client_body_timeout|send_timeout/);
  });

  test('round trip: importing the export gives the same config', () => {
    const back = importNginx(exportNginx(CONFIG).text, { file: 'export.conf' }).sites[0]!.config;
    assert.deepEqual(back.timeouts, { clientBody: '30s', clientSend: '90s' });
    assert.deepEqual(
      back.routes!.map((r) => r.timeouts),
      [{ clientBody: '5m' }, undefined, { clientSend: '0s' }],
    );
  });

  test('nginx -t accepts the export', { skip: nginxMissing }, () => {
    const r = nginxTest(exportNginx(CONFIG).text);
    assert.ok(r.ok, `${r.stderr}\n${r.conf}`);
  });

  test('validation names the field', () => {
    const v = validateConfig({
      timeouts: { clientBody: 'soon' },
      routes: [{ match: '/a', target: 'http://h', timeouts: { clientSend: '-1' } }],
    });
    assert.equal(v.ok, false);
    const errors = !v.ok ? v.errors : [];
    assert.ok(
      errors.some((e) => e.path === 'timeouts.clientBody' && /"soon" is not a time/.test(e.message)),
      JSON.stringify(errors),
    );
    assert.ok(
      errors.some((e) => e.path === 'routes.0.timeouts.clientSend'),
      JSON.stringify(errors),
    );
    const ok = validateConfig({ timeouts: { clientBody: '1m', clientSend: 45 } });
    assert.ok(ok.ok && ok.config.timeouts?.clientBody === 60_000 && ok.config.timeouts?.clientSend === 45_000);
  });
});
