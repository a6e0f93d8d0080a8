// Config store: load/validate errors, backups, atomic saves under SIGKILL, serialized puts, watching, profiles.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { ConfigFileError, ConfigStore, DEFAULT_INPUT } from '../../main/config/store.ts';
import type { Config, ConfigInput } from '../../shared/config.ts';
import { validateConfig } from '../../shared/config.ts';
import { sleep, waitFor } from '../helpers/net.ts';

const dirs: string[] = [];
const stores: ConfigStore[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'loopgate-store-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const s of stores) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function openStore(file: string, watch = false): Promise<ConfigStore> {
  const s = await ConfigStore.open(file, { watch });
  stores.push(s);
  return s;
}

const route = (match: string, port: number) => ({ match, target: `http://127.0.0.1:${port}/` });
const BASE: ConfigInput = { listen: { port: 8081 }, maxBodySize: '15m', routes: [route('/api', 9001)] };
const text = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** Replace a file the way editors do: write a sibling, rename it over. */
function editorSave(file: string, content: string): void {
  writeFileSync(`${file}.swp`, content);
  renameSync(`${file}.swp`, file);
}

describe('open', () => {
  test('a missing file is created with defaults', async () => {
    const dir = tempDir();
    const file = join(dir, 'sub', 'loopgate.json');
    const s = await openStore(file);
    assert.equal(s.file, file);
    assert.equal(s.baseDir, join(dir, 'sub'));
    assert.equal(s.version, 1);
    assert.deepEqual(s.input, DEFAULT_INPUT);
    assert.equal(readFileSync(file, 'utf8'), text(DEFAULT_INPUT));
  });

  test('keeps what the user wrote as input, units normalized in config', async () => {
    const file = join(tempDir(), 'loopgate.json');
    writeFileSync(file, text(BASE));
    const s = await openStore(file);
    assert.equal(s.input.maxBodySize, '15m');
    assert.equal(s.config.maxBodySize, 15 * 1024 * 1024);
  });

  test('schema errors name the field; the file is backed up and left in place', async () => {
    const dir = tempDir();
    const file = join(dir, 'loopgate.json');
    const bad = text({ routes: [{ match: '/api', target: 'localhost:8888' }], listen: { port: 'x' } });
    writeFileSync(file, bad);
    const err = await ConfigStore.open(file).then(
      () => assert.fail('open() should reject'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConfigFileError);
    assert.equal(err.file, file);
    const paths = err.errors.map((e) => e.path).sort();
    // Every problem in one pass: the schema's and the route checks'.
    assert.deepEqual(paths, ['listen.port', 'routes.0.target']);
    assert.ok(err.message.includes(file));
    assert.ok(err.message.includes('listen.port'));
    assert.ok(err.backup && existsSync(err.backup));
    assert.match(err.backup, /loopgate\.json\.bak-\d{4}-\d\d-\d\dT/);
    assert.equal(readFileSync(err.backup, 'utf8'), bad);
    assert.equal(readFileSync(file, 'utf8'), bad);
    // Cross-field rules come through too.
    writeFileSync(file, text({ routes: [{ match: '/api', target: 'localhost:8888' }] }));
    const err2 = (await ConfigStore.open(file).catch((e: unknown) => e)) as ConfigFileError;
    assert.deepEqual(
      err2.errors.map((e) => e.path),
      ['routes.0.target'],
    );
    assert.notEqual(err2.backup, err.backup);
  });

  test('JSON syntax errors give line and column', async () => {
    const file = join(tempDir(), 'loopgate.json');
    const cases: Array<[string, number, number, RegExp]> = [
      ['{\n  "listen": { "port": 1, },\n}\n', 2, 26, /trailing comma/],
      ['{\n  "root": "dist"\n  "spa": true\n}\n', 3, 3, /expected "," or "}"/],
      ['{\n  // comment\n}', 2, 3, /comments are not allowed/],
      ['{ "root": \'dist\' }', 1, 11, /double quotes/],
      ['{ "root": "dist', 1, 11, /never closed/],
      ['', 1, 1, /empty/],
    ];
    for (const [content, line, column, message] of cases) {
      writeFileSync(file, content);
      const err = (await ConfigStore.open(file).catch((e: unknown) => e)) as ConfigFileError;
      assert.ok(err instanceof ConfigFileError, content);
      assert.deepEqual([err.line, err.column], [line, column], content);
      assert.match(err.errors[0]!.message, message, content);
      assert.match(err.message, new RegExp(`line ${line}, column ${column}`));
      assert.equal(readFileSync(err.backup!, 'utf8'), content);
    }
  });
});

describe('put', () => {
  test('a valid config is saved with 2-space indent and a trailing newline, then published', async () => {
    const file = join(tempDir(), 'loopgate.json');
    writeFileSync(file, text(BASE));
    const s = await openStore(file);
    const seen: Array<[Config, number]> = [];
    s.onChange((c, v) => seen.push([c, v]));
    const next = { ...BASE, timeouts: { read: '2m' } };
    const r = await s.put(next);
    assert.equal(r.ok, true);
    assert.equal(readFileSync(file, 'utf8'), text(next));
    assert.equal(s.version, 2);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]![1], 2);
    assert.equal(seen[0]![0].timeouts?.read, 120_000);
    assert.deepEqual(s.input, next);
    // The caller's object is not kept: changing it later changes nothing here.
    next.timeouts.read = '1s';
    assert.equal(s.input.timeouts?.read, '2m');
  });

  test('an invalid config changes nothing: file, memory, version, listeners', async () => {
    const file = join(tempDir(), 'loopgate.json');
    writeFileSync(file, '{"listen":{"port":8081}}\n');
    const s = await openStore(file);
    let calls = 0;
    s.onChange(() => calls++);
    const r = await s.put({ routes: [{ match: 'api', target: 'http://127.0.0.1:1/' }], bogus: 1 });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.deepEqual(
        r.errors.map((e) => e.path),
        ['bogus', 'routes.0.match'],
      );
      assert.match(r.errors[0]!.message, /unknown field "bogus"/);
    }
    const r2 = await s.put({ routes: [{ match: '/api', target: 'nope' }] });
    assert.equal(r2.ok, false);
    if (!r2.ok)
      assert.deepEqual(
        r2.errors.map((e) => e.path),
        ['routes.0.target'],
      );
    assert.equal((await s.put(undefined)).ok, false);
    assert.equal(readFileSync(file, 'utf8'), '{"listen":{"port":8081}}\n');
    assert.equal(s.version, 1);
    assert.deepEqual(s.input, { listen: { port: 8081 } });
    assert.equal(calls, 0);
  });

  test('concurrent put() calls are saved one at a time, in call order', async () => {
    const dir = tempDir();
    const file = join(dir, 'loopgate.json');
    const s = await openStore(file);
    const order: number[] = [];
    s.onChange((c, v) => order.push(c.listen!.port! * 1000 + v));
    const configs = Array.from({ length: 12 }, (_, i) => ({
      listen: { port: 100 + i },
      routes: Array.from({ length: 50 * (i % 3) }, (_, j) => route(`/r${j}`, 2000 + j)),
    }));
    const results = await Promise.all(configs.map((c) => s.put(c)));
    assert.ok(results.every((r) => r.ok));
    assert.deepEqual(
      order,
      configs.map((c, i) => c.listen.port * 1000 + i + 2),
    );
    assert.equal(s.version, 13);
    assert.equal(readFileSync(file, 'utf8'), text(configs.at(-1)));
    assert.deepEqual(readdirSync(dir), ['loopgate.json']);
  });

  test('memory stores keep puts in memory; invalid input is a ConfigFileError', async () => {
    const dir = tempDir();
    const s = ConfigStore.memory({ routes: [route('/api', 9001)] }, dir);
    assert.equal(s.file, null);
    assert.equal(s.baseDir, dir);
    const r = await s.put({ root: 'dist' });
    assert.equal(r.ok, true);
    assert.equal(s.version, 2);
    assert.equal(s.config.root, 'dist');
    assert.deepEqual(readdirSync(dir), []);
    assert.throws(
      () => ConfigStore.memory({ routes: [{ match: '/a', target: 'x' }] }, dir),
      (e: unknown) => e instanceof ConfigFileError && e.errors[0]!.path === 'routes.0.target',
    );
  });
});

describe('atomic save', () => {
  test('a writer killed at random moments always leaves a complete, valid file', async () => {
    const dir = tempDir();
    const file = join(dir, 'loopgate.json');
    const storeUrl = new URL('../../main/config/store.ts', import.meta.url).href;
    // Alternates a small and a large config so a torn write would show as broken JSON.
    const child = `
      import { ConfigStore } from ${JSON.stringify(storeUrl)};
      const s = await ConfigStore.open(process.env.LOOPGATE_FILE);
      const routes = (n) => Array.from({ length: n }, (_, i) => ({ match: '/r' + i, target: 'http://127.0.0.1:' + (1000 + i) + '/x' }));
      for (let i = 0; ; i++) {
        const r = await s.put({ listen: { port: 9000 + (i % 100) }, routes: routes(i % 2 ? 300 : 2) });
        if (!r.ok) process.exit(3);
        if (i === 0) process.stdout.write('ready\\n');
      }`;
    for (let round = 0; round < 20; round++) {
      const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], {
        env: { ...process.env, LOOPGATE_FILE: file },
        stdio: ['ignore', 'pipe', 'inherit'],
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
      });
      const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          new Promise<void>((r) => p.stdout!.once('data', () => r())),
          exited.then((code) => assert.fail(`writer exited early with ${code}`)),
          new Promise<never>(
            (_, reject) => (timer = setTimeout(() => reject(new Error('writer did not start')), 15_000)),
          ),
        ]);
      } catch (err) {
        p.kill('SIGKILL');
        throw err;
      } finally {
        clearTimeout(timer);
      }
      await sleep(Math.floor(Math.random() * 40)); // the stimulus: a kill at a random moment of the writes
      p.kill('SIGKILL');
      await exited;
      const content = readFileSync(file, 'utf8');
      const parsed = JSON.parse(content) as ConfigInput;
      assert.equal(validateConfig(parsed).ok, true, `round ${round}`);
      assert.equal(content, text(parsed));
    }
    // Temp files of killed writers are cleaned on the next open.
    const left = readdirSync(dir).filter((n) => n.endsWith('.tmp')).length;
    if (process.env.LOOPGATE_DEBUG) console.log(`temp files left by killed writers: ${left}`);
    await openStore(file);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
    );
  });
});

describe('profiles', () => {
  const withProfiles: ConfigInput = {
    routes: [route('/api', 9001)],
    profiles: { staging: { routes: [route('/api', 9002)] }, prod: { routes: [route('/api', 9003)] } },
  };

  test('switching is persisted; unknown names are refused; null goes back', async () => {
    const file = join(tempDir(), 'loopgate.json');
    writeFileSync(file, text(withProfiles));
    const s = await openStore(file);
    const seen: Array<string | undefined> = [];
    s.onChange((c) => seen.push(c.activeProfile));
    assert.equal((await s.setProfile('staging')).ok, true);
    assert.equal(s.config.activeProfile, 'staging');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).activeProfile, 'staging');
    const reopened = await openStore(file);
    assert.equal(reopened.config.activeProfile, 'staging');

    const bad = await s.setProfile('qa');
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.equal(bad.errors[0]!.path, 'activeProfile');
      assert.match(bad.errors[0]!.message, /"qa".*staging, prod/);
    }
    assert.equal(s.config.activeProfile, 'staging');

    assert.equal((await s.setProfile(null)).ok, true);
    assert.equal('activeProfile' in JSON.parse(readFileSync(file, 'utf8')), false);
    assert.deepEqual(seen, ['staging', undefined]);
    assert.equal(s.version, 3);
  });

  test('a switch queued behind a put applies to the put config', async () => {
    const file = join(tempDir(), 'loopgate.json');
    writeFileSync(file, text(withProfiles));
    const s = await openStore(file);
    const [a, b] = await Promise.all([s.put({ ...withProfiles, root: 'dist' }), s.setProfile('prod')]);
    assert.ok(a.ok && b.ok);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(saved.root, 'dist');
    assert.equal(saved.activeProfile, 'prod');
  });
});

describe('watching the file', () => {
  test('valid edits on disk are picked up; invalid ones are reported and the running config stays', async () => {
    const file = join(tempDir(), 'loopgate.json');
    writeFileSync(file, text(BASE));
    const s = await openStore(file, true);
    const changes: Array<[Config, number]> = [];
    const errors: ConfigFileError[] = [];
    s.onChange((c, v) => changes.push([c, v]));
    s.onError((e) => errors.push(e));

    editorSave(file, text({ ...BASE, listen: { port: 8082 } }));
    await waitFor(() => changes.length === 1, 'the renamed-in edit');
    assert.equal(changes[0]![0].listen?.port, 8082);
    assert.equal(changes[0]![1], 2);
    assert.equal(s.version, 2);

    writeFileSync(file, text({ ...BASE, listen: { port: 8083 } })); // in place, like some editors
    await waitFor(() => changes.length === 2, 'the in-place edit');
    assert.equal(s.config.listen?.port, 8083);

    editorSave(file, text({ ...BASE, routes: [{ match: '/api', target: 'localhost' }] }));
    await waitFor(() => errors.length === 1, 'the refused edit');
    assert.deepEqual(
      errors[0]!.errors.map((e) => e.path),
      ['routes.0.target'],
    );
    assert.match(errors[0]!.message, /refused/);
    editorSave(file, '{ "listen": { "port": 1, } }');
    await waitFor(() => errors.length === 2, 'the broken JSON edit');
    assert.equal(errors[1]!.line, 1);
    assert.equal(s.config.listen?.port, 8083);
    assert.equal(s.version, 3);

    editorSave(file, text({ ...BASE, listen: { port: 8084 } }));
    await waitFor(() => changes.length === 3, 'the fixed edit');
    assert.equal(s.config.listen?.port, 8084);
    assert.equal(errors.length, 2);
  });

  test('our own saves are not seen again as edits; close() stops watching', async () => {
    const file = join(tempDir(), 'loopgate.json');
    writeFileSync(file, text(BASE));
    const s = await openStore(file, true);
    let calls = 0;
    s.onChange(() => calls++);
    await s.put({ ...BASE, root: 'dist' });
    await s.put({ ...BASE, root: 'www' });
    assert.equal(calls, 2);
    assert.equal(s.version, 3);
    // No fixed wait for "nothing happened": a later edit that must be seen marks the watcher as past
    // everything before it, so the count then says whether anything before it counted.
    editorSave(file, text({ ...BASE, root: 'seen-1' }));
    await waitFor(() => s.config.root === 'seen-1', 'the edit after our own saves');
    assert.equal(calls, 3, 'our own saves were not seen again as edits');
    // A reformatted file with the same config is no change.
    writeFileSync(file, JSON.stringify({ ...BASE, root: 'seen-1' }));
    editorSave(file, text({ ...BASE, root: 'seen-2' }));
    await waitFor(() => s.config.root === 'seen-2', 'the edit after the reformatted file');
    assert.equal(calls, 4, 'the reformatted file was no change');
    s.close();
    // Another store watching the same file tells when the edit has been delivered.
    const witness = await openStore(file, true);
    editorSave(file, text({ ...BASE, root: 'other' }));
    await waitFor(() => witness.config.root === 'other', 'the witness to see the edit');
    witness.close();
    assert.equal(calls, 4);
    assert.equal(s.config.root, 'seen-2');
  });
});
