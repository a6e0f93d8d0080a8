// Config store and what the user wrote: command-line values, versions and stale writes, refused hand edits, saving a config kept in memory, backups.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigFileError, ConfigStore } from '../../main/config/store.ts';
import type { ConfigInput } from '../../shared/config.ts';
import { waitFor } from '../helpers/net.ts';

const dirs: string[] = [];
const stores: ConfigStore[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'loopgate-edits-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const s of stores) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const keep = (s: ConfigStore) => (stores.push(s), s);
const text = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as ConfigInput;
function editorSave(file: string, content: string): void {
  writeFileSync(`${file}.swp`, content);
  renameSync(`${file}.swp`, file);
}
const backups = (dir: string) => readdirSync(dir).filter((n) => n.includes('.bak-'));

const FILE_CONFIG: ConfigInput = {
  listen: { port: 8081 },
  routes: [
    { match: '/api', target: 'http://127.0.0.1:9001/api' },
    { match: '/old', target: 'http://127.0.0.1:9002' },
  ],
};
const FLAGS = {
  listen: { port: 9000 },
  root: '/srv/dist',
  routes: [
    { match: '/api', target: 'http://127.0.0.1:7777/api' },
    { match: '/ws', target: 'ws://127.0.0.1:7778' },
  ],
};

describe('command-line values', () => {
  test('run over the file, are listed as such, and are not written into it unless edited', async () => {
    const dir = tempDir();
    const file = join(dir, 'loopgate.json');
    writeFileSync(file, text(FILE_CONFIG));
    const s = keep(await ConfigStore.open(file, { commandLine: FLAGS }));
    // What runs is what GET /api/config shows: the flags win (the --route /api replaces the file's /api in place).
    assert.deepEqual(s.input, {
      listen: { port: 9000 },
      routes: [FLAGS.routes[0], FILE_CONFIG.routes![1], FLAGS.routes[1]],
      root: '/srv/dist',
    });
    assert.equal(s.config.listen?.port, 9000);
    const state = s.state();
    assert.deepEqual(state.source.origin, { kind: 'file', file });
    assert.deepEqual(
      state.source.commandLine.map((c) => c.flag),
      ['--port 9000', '--root /srv/dist', '--route /api=http://127.0.0.1:7777/api', '--route /ws=ws://127.0.0.1:7778'],
    );

    // A change elsewhere: the file gets it, and keeps its own port, root and routes.
    const r = await s.put({ ...s.input, cors: { enabled: true } }, { version: s.version });
    assert.ok(r.ok && r.saved === true, JSON.stringify(r));
    assert.deepEqual(read(file), { ...FILE_CONFIG, cors: { enabled: true } });
    assert.equal(s.config.listen?.port, 9000, 'the flags still run');

    // Editing a flag's value makes it the user's: saved like any other field.
    const edited = s.input;
    edited.listen = { port: 9100 };
    edited.routes![2] = { match: '/ws', target: 'ws://127.0.0.1:7779' };
    assert.ok((await s.put(edited)).ok);
    const disk = read(file);
    assert.equal(disk.listen?.port, 9100);
    assert.deepEqual(
      disk.routes?.map((x) => `${x.match} ${x.target}`),
      ['/api http://127.0.0.1:9001/api', '/old http://127.0.0.1:9002', '/ws ws://127.0.0.1:7779'],
    );
    assert.equal(disk.root, undefined, '--root is still the command line’s');
    assert.deepEqual(
      s.state().source.commandLine.map((c) => c.field),
      ['root', 'routes'],
    );

    // Deleting the flag's /api route from the running config: it is gone from what runs; the file keeps its own.
    const without = s.input;
    without.routes = without.routes!.filter((x) => x.match !== '/api');
    assert.ok((await s.put(without)).ok);
    assert.equal(
      s.input.routes?.some((x) => x.match === '/api'),
      false,
    );
    assert.equal(
      read(file).routes?.some((x) => x.match === '/api'),
      false,
      'deleted in the UI: deleted in the file too',
    );
  });

  test('a --route that is not a list slot: "routes" as a string gives one error, not one per character', async () => {
    const dir = tempDir();
    const file = join(dir, 'loopgate.json');
    writeFileSync(file, text({ listen: { port: 0 } }));
    const s = keep(await ConfigStore.open(file, { commandLine: { routes: [FLAGS.routes[1]!] } }));
    const r = await s.put({ routes: 'not-a-list' });
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && r.errors.map((e) => e.path), ['routes']);
    assert.match(!r.ok ? r.errors[0]!.message : '', /must be a list/);
  });

  test('schema errors name the field and suggest the key that was meant', async () => {
    const s = keep(ConfigStore.memory({}, tempDir()));
    const r = await s.put({ routes: [{ match: '/api', taget: 'http://h' }], lsiten: { port: 1 } });
    assert.equal(r.ok, false);
    const byPath = Object.fromEntries(!r.ok ? r.errors.map((e) => [e.path, e.message]) : []);
    assert.match(byPath['routes.0.taget'] ?? '', /unknown field "taget": did you mean "target"\?/);
    assert.match(byPath.lsiten ?? '', /did you mean "listen"\?/);
    assert.match(byPath['routes.0.target'] ?? '', /missing/);
  });
});

describe('a config in memory', () => {
  test('save() creates loopgate.json with everything that runs; an existing file is not overwritten unless asked, and then kept as a copy', async () => {
    const dir = tempDir();
    const s = keep(
      ConfigStore.memory({}, dir, { commandLine: { root: '/srv/dist', routes: [FLAGS.routes[0]!] }, watch: true }),
    );
    assert.equal(s.file, null);
    const put = await s.put({ ...s.input, cors: { enabled: true } });
    assert.ok(put.ok && put.saved === false, 'in memory: never "saved"');
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(s.state().source.saveAs, join(dir, 'loopgate.json'));

    writeFileSync(join(dir, 'loopgate.json'), '{"root":"mine"}\n');
    const exists = await s.save({ version: s.version });
    assert.equal(exists.ok, false);
    assert.equal(!exists.ok && exists.code, 'FILE_EXISTS');
    assert.equal(readFileSync(join(dir, 'loopgate.json'), 'utf8'), '{"root":"mine"}\n');

    const saved = await s.save({ version: s.version, overwrite: true });
    assert.ok(saved.ok && saved.saved === true && saved.backup, JSON.stringify(saved));
    assert.equal(readFileSync(saved.backup!, 'utf8'), '{"root":"mine"}\n');
    assert.deepEqual(read(join(dir, 'loopgate.json')), {
      root: '/srv/dist',
      routes: [FLAGS.routes[0]],
      cors: { enabled: true },
    });
    assert.equal(s.file, join(dir, 'loopgate.json'));
    assert.deepEqual(s.state().source.commandLine, [], 'the flags are the file’s now');
    // From now on it is that file's store: watched, and puts are written.
    assert.ok((await s.put({ ...s.input, spa: false })).ok);
    assert.equal(read(join(dir, 'loopgate.json')).spa, false);
    editorSave(join(dir, 'loopgate.json'), text({ ...s.input, spa: true }));
    await waitFor(() => s.config.spa === true, 'the hand edit after saving');
  });
});

describe('versions: a stale write is refused, never lost', () => {
  test('a put made from an older version gets STALE_CONFIG with both versions; the newer config and file stay', async () => {
    const dir = tempDir();
    const file = join(dir, 'loopgate.json');
    writeFileSync(file, text(FILE_CONFIG));
    const s = keep(await ConfigStore.open(file));
    const v = s.version;
    assert.ok((await s.put({ ...FILE_CONFIG, spa: false }, { version: v })).ok);
    const stale = await s.put({ ...FILE_CONFIG, root: 'x' }, { version: v });
    assert.equal(stale.ok, false);
    if (stale.ok) return;
    assert.equal(stale.code, 'STALE_CONFIG');
    assert.deepEqual(stale.conflict?.yours, { version: v });
    assert.equal(stale.conflict?.current.version, v + 1);
    assert.equal(stale.conflict?.current.config.spa, false);
    assert.equal(read(file).spa, false);
    assert.equal(read(file).root, undefined);
  });

  test('20 trials: a hand edit lands on disk between reading the config and saving it — the edit is never lost', async () => {
    const dir = tempDir();
    const file = join(dir, 'loopgate.json');
    writeFileSync(file, text(FILE_CONFIG));
    // Watching on: sometimes the watcher sees the edit first, sometimes the put does.
    const s = keep(await ConfigStore.open(file, { watch: true }));
    for (let i = 0; i < 20; i++) {
      const { config, version } = s.state();
      const hand = { ...config, root: `hand-${i}` };
      editorSave(file, text(hand));
      const r = await s.put({ ...config, charset: `ui-${i}` }, { version });
      assert.equal(r.ok, false, `trial ${i}: the stale save was refused`);
      assert.equal(!r.ok && r.code, 'STALE_CONFIG');
      assert.equal(read(file).root, `hand-${i}`, `trial ${i}: the hand edit is on disk`);
      assert.equal(s.input.root, `hand-${i}`, `trial ${i}: and runs`);
      // The user chooses to write theirs over it: the hand edit is kept as a copy.
      if (i % 5 === 0) {
        const o = await s.put({ ...config, charset: `ui-${i}` }, { overwrite: true });
        assert.ok(o.ok && o.backup, `trial ${i}: overwrite keeps a copy`);
        assert.equal(JSON.parse(readFileSync(o.backup!, 'utf8')).root, `hand-${i}`);
      }
    }
    // A put without a version over an edit not seen yet: written, but the edit is copied first.
    s.close();
    const before = s.state();
    writeFileSync(file, text({ ...before.config, root: 'unseen' }));
    const blind = await s.put({ ...before.config, charset: 'blind' });
    assert.ok(blind.ok && blind.backup, JSON.stringify(blind));
    assert.equal(JSON.parse(readFileSync(blind.backup!, 'utf8')).root, 'unseen');
  });

  test('20 concurrent saves from the same version: one is written, the others are refused with the winner', async () => {
    const dir = tempDir();
    const file = join(dir, 'loopgate.json');
    writeFileSync(file, text(FILE_CONFIG));
    const s = keep(await ConfigStore.open(file));
    const v = s.version;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => s.put({ ...FILE_CONFIG, charset: `c${i}` }, { version: v })),
    );
    const won = results.filter((r) => r.ok);
    assert.equal(won.length, 1);
    const winner = read(file).charset;
    for (const r of results.filter((x) => !x.ok)) {
      assert.equal(!r.ok && r.code, 'STALE_CONFIG');
      assert.equal(!r.ok && r.conflict?.current.config.charset, winner);
    }
  });
});

describe('a refused hand edit', () => {
  test('is reported with fields; the file is not written until the user chooses; reload, or save over it with a copy', async () => {
    const dir = tempDir();
    const file = join(dir, 'loopgate.json');
    writeFileSync(file, text(FILE_CONFIG));
    const s = keep(await ConfigStore.open(file, { watch: true }));
    const reported: ConfigFileError[] = [];
    s.onError((e) => reported.push(e));
    const bad = text({ ...FILE_CONFIG, routes: [{ match: '/api', taget: 'http://127.0.0.1:1' }] });
    editorSave(file, bad);
    await waitFor(() => reported.length === 1, 'the refusal');
    assert.deepEqual(
      reported[0]!.errors.map((e) => e.path),
      ['routes.0.target', 'routes.0.taget'],
    );
    const state = s.state();
    assert.equal(state.refusedEdit?.file, file);
    assert.match(state.refusedEdit?.errors[1]?.message ?? '', /did you mean "target"/);

    // Form changes run but do not touch the file.
    const put = await s.put({ ...FILE_CONFIG, spa: false }, { version: state.version });
    assert.ok(put.ok && put.saved === false, JSON.stringify(put));
    assert.equal(s.config.spa, false);
    assert.equal(readFileSync(file, 'utf8'), bad, 'the hand edit is untouched');

    // Reload from disk while it is still bad: still refused, nothing changes.
    const again = await s.reload();
    assert.equal(again.ok, false);
    assert.equal(readFileSync(file, 'utf8'), bad);

    // Save the form over it: a copy of the hand edit first.
    const over = await s.save({ overwrite: true });
    assert.ok(over.ok && over.saved && over.backup, JSON.stringify(over));
    assert.equal(readFileSync(over.backup!, 'utf8'), bad);
    assert.equal(read(file).spa, false);
    assert.equal(s.state().refusedEdit, null);

    // Another bad edit, then fixed in the editor and reloaded: the file's version runs.
    editorSave(file, '{ "listen": { "port": 1, } }');
    await waitFor(() => s.state().refusedEdit !== null, 'the second refusal');
    assert.equal(s.state().refusedEdit?.errors[0]?.path, 'line 1, column 26');
    s.close(); // reload() without the watcher's help
    writeFileSync(file, text({ listen: { port: 8089 } }));
    const fixed = await s.reload();
    assert.ok(fixed.ok);
    assert.equal(s.config.listen?.port, 8089);
    assert.equal(s.state().refusedEdit, null);
  });

  test('a failed start does not leave a new backup on every try', async () => {
    const dir = tempDir();
    const file = join(dir, 'loopgate.json');
    writeFileSync(file, text({ routes: [{ match: '/api', target: 'nope' }] }));
    const tries: ConfigFileError[] = [];
    for (let i = 0; i < 3; i++) tries.push((await ConfigStore.open(file).catch((e: unknown) => e)) as ConfigFileError);
    assert.ok(tries.every((e) => e instanceof ConfigFileError && e.backup === tries[0]!.backup));
    assert.equal(backups(dir).length, 1);
    // A different broken text is a new copy.
    writeFileSync(file, '{');
    await ConfigStore.open(file).catch(() => {});
    assert.equal(backups(dir).length, 2);
    assert.ok(existsSync(tries[0]!.backup!));
  });
});
