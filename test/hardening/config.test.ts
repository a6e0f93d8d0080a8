// Hardening: a corrupt or hostile loopgate.json never crashes Loopgate; the refused file is kept as a backup.
// (Killing a writer mid-save always leaves a valid file: test/config/store.test.ts, "a writer killed at random moments".)
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigFileError, ConfigStore } from '../../main/config/store.ts';
import { Runtime } from '../../main/runtime.ts';

describe('hostile and corrupt config files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'loopgate-hard-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const CORRUPT: Array<[string, string]> = [
    ['truncated JSON', '{"listen": {"host": "127.0.0.1", "po'],
    ['binary garbage', '\u0000\u0001\u00ff\ufffd{{{'],
    ['empty file', ''],
    ['a JSON string', '"hello"'],
    ['a JSON array', '[1, 2, 3]'],
    ['deep nesting', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['schema error', '{"routes": [{"match": "api", "target": "nope"}]}'],
    ['inherited profile name', '{"profiles": {}, "activeProfile": "toString"}'],
    ['__proto__ profile', '{"profiles": {"__proto__": {"routes": []}}, "activeProfile": "__proto__"}'],
    ['huge size unit', '{"maxBodySize": "99999999999999999999g"}'],
  ];

  for (const [name, text] of CORRUPT) {
    test(`${name}: open() refuses with a ConfigFileError, the file stays and a byte-exact backup is made`, async () => {
      const sub = mkdtempSync(join(dir, 'case-'));
      const file = join(sub, 'loopgate.json');
      writeFileSync(file, text);
      const err = await ConfigStore.open(file).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConfigFileError, `${name}: got ${String(err)}`);
      assert.ok(err.backup, 'a backup was made');
      assert.equal(readFileSync(err.backup, 'utf8'), text, 'the backup is the refused text');
      assert.equal(readFileSync(file, 'utf8'), text, 'the refused file is left in place');
      assert.match(err.message, /A copy was saved as/);
      // A second start on the same text names the same backup (one copy per content, no pile of copies)...
      const again = await ConfigStore.open(file).catch((e: unknown) => e as ConfigFileError);
      assert.ok(again instanceof ConfigFileError && again.backup === err.backup);
      assert.equal(readdirSync(sub).filter((f) => f.includes('.bak-')).length, 1);
      // ...and a different broken text gets its own, never overwriting the first.
      writeFileSync(file, `${text} `);
      const third = await ConfigStore.open(file).catch((e: unknown) => e as ConfigFileError);
      assert.ok(third instanceof ConfigFileError && third.backup && third.backup !== err.backup);
      assert.equal(readFileSync(err.backup, 'utf8'), text, 'the first backup is untouched');
      assert.equal(readdirSync(sub).filter((f) => f.includes('.bak-')).length, 2);
    });
  }

  test('the runtime refuses to start on such a file with the same error (no TypeError, no crash)', async () => {
    const file = join(dir, 'rt.json');
    writeFileSync(file, '{"profiles": {}, "activeProfile": "constructor", "listen": {"host": "127.0.0.1", "port": 0}}');
    await assert.rejects(
      Runtime.start({ configFile: file, watch: false, control: false }),
      (e: unknown) => e instanceof ConfigFileError && /activeProfile/.test(e.message),
    );
  });

  test('an inherited profile name sent while running is refused; the runtime and the file survive', async () => {
    const file = join(dir, 'running.json');
    const original = `${JSON.stringify({ listen: { host: '127.0.0.1', port: 0 }, profiles: { real: { routes: [] } } }, null, 2)}\n`;
    writeFileSync(file, original);
    const rt = await Runtime.start({ configFile: file, watch: false, control: false });
    try {
      for (const name of ['toString', 'constructor', '__proto__', 'valueOf']) {
        const put = await rt.controller.putConfig({
          listen: { host: '127.0.0.1', port: 0 },
          profiles: {},
          activeProfile: name,
        });
        assert.equal(put.ok, false, `put ${name}`);
        const set = await rt.controller.setProfile(name);
        assert.equal(set.ok, false, `setProfile ${name}`);
      }
      assert.equal(readFileSync(file, 'utf8'), original);
      assert.equal((await rt.controller.setProfile('real')).ok, true, 'a real profile still switches');
      assert.equal(rt.status().activeProfile, 'real');
      assert.ok(rt.engine.url, 'the engine is still running');
    } finally {
      await rt.stop();
    }
  });
});
