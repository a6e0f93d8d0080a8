// The whole fixture corpus: import → export → import gives the same config, and real nginx accepts every export.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exportNginx } from '../../../main/config/nginx/export.ts';
import { importNginx } from '../../../main/config/nginx/import.ts';
import { nginxMissing } from '../../helpers/nginx.ts';
import { fixtureFiles, importFixture, nginxTest } from '../../helpers/nginx-fixtures.ts';

describe('round trip of the fixture corpus', () => {
  for (const name of fixtureFiles) {
    const { sites } = importFixture(name);
    sites.forEach((site, i) => {
      const label = `${name} [${site.name}]`;
      const exported = exportNginx(site.config);

      test(`${label}: import of the export is the same config`, () => {
        assert.notEqual(exported.text, '', exported.warnings.join('\n'));
        const back = importNginx(exported.text, { file: `${name}.export-${i}.conf` });
        assert.equal(back.sites.length, 1);
        assert.deepEqual(back.sites[0]!.config, site.config);
      });

      test(`${label}: nginx -t accepts the export`, { skip: nginxMissing }, () => {
        const r = nginxTest(exported.text);
        assert.ok(r.ok, `${r.stderr}\n${r.conf}`);
      });
    });
  }

  test('all sites of a multi-server file export side by side in one http{} block', { skip: nginxMissing }, () => {
    const { sites } = importFixture('multi-server.conf');
    const text = sites.map((s, i) => exportNginx({ ...s.config, listen: { port: 18000 + i } }).text).join('\n');
    const r = nginxTest(text);
    assert.ok(r.ok, `${r.stderr}\n${r.conf}`);
  });
});
