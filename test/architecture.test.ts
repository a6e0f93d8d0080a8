// House rules the code must keep: no import cycles, imports only go down the layers, one purpose line atop each file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;
const files = execFileSync('git', ['ls-files', 'main', 'shared', 'renderer'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'));
const source = new Map(files.map((f) => [f, readFileSync(join(root, f), 'utf8')]));
const graph = new Map(
  files.map((f) => {
    const deps = [...source.get(f)!.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)].map((m) =>
      normalize(join(dirname(f), m[1]!)),
    );
    return [f, deps];
  }),
);

test('no import cycles', () => {
  const state = new Map<string, 1 | 2>();
  const cycles: string[] = [];
  const visit = (n: string, stack: string[]) => {
    state.set(n, 1);
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].join(' → '));
      else if (!state.has(d)) visit(d, stack);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const f of files) if (!state.has(f)) visit(f, []);
  assert.deepEqual(cycles, []);
});

test('imports only go down: shared ← engine ← config/control ← runtime/cli/app; renderer uses shared only', () => {
  const bad: string[] = [];
  for (const [f, deps] of graph) {
    for (const d of deps) {
      if (f.startsWith('shared/') && !d.startsWith('shared/')) bad.push(`${f} → ${d}`);
      if (f.startsWith('main/engine/') && !d.startsWith('main/engine/') && !d.startsWith('shared/'))
        bad.push(`${f} → ${d}`);
      if (f.startsWith('main/config/') && /^main\/(engine|control|app)\//.test(d)) bad.push(`${f} → ${d}`);
      if (f.startsWith('renderer/') && !d.startsWith('renderer/') && !d.startsWith('shared/')) bad.push(`${f} → ${d}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('only the shell imports electron (and launch.ts, for the binary path); the engine never does', () => {
  const importers = files.filter((f) => /from ['"]electron['"]|require\(['"]electron['"]\)/.test(source.get(f)!));
  assert.ok(
    importers.every((f) => f.startsWith('main/app/') || f === 'main/launch.ts'),
    importers.join(', '),
  );
  assert.ok(!importers.some((f) => f.startsWith('main/engine/')));
});

test('every source file starts with a one-line purpose comment', () => {
  const missing = files.filter((f) => !/^(\/\/|\/\*)/.test(source.get(f)!.replace(/^#!.*\n/, '')));
  assert.deepEqual(missing, []);
});

test('no folder keeps a family of three or more source files told apart by a shared `name-` prefix', () => {
  const families = new Map<string, string[]>();
  for (const f of files) {
    const prefix = /^(.*\/)([a-z0-9]+)-[^/]+$/.exec(f);
    if (!prefix) continue;
    const key = `${prefix[1]}${prefix[2]}-`;
    families.set(key, [...(families.get(key) ?? []), f]);
  }
  assert.deepEqual(
    [...families].filter(([, members]) => members.length >= 3),
    [],
    'group such files in a folder named for their concept',
  );
});

test('the renderer takes its defaults from shared/effective.ts: none of them written out as a literal', async () => {
  const { DEFAULTS } = await import('../shared/effective.ts');
  const { formatSize } = await import('../shared/units.ts');
  const sizes = [DEFAULTS.maxBodySize, ...Object.values(DEFAULTS.inspect).filter((v) => typeof v === 'number')];
  const written = [
    ...sizes.map((n) => formatSize(n as number)),
    ...Object.values(DEFAULTS.timeouts).map((ms) => `${ms / 1000}s`),
    `${DEFAULTS.corsMaxAge}s`,
    DEFAULTS.corsMethods.join(', '),
  ];
  const found = files
    .filter((f) => f.startsWith('renderer/'))
    .flatMap((f) =>
      [...new Set(written)]
        .filter((w) => source.get(f)!.includes(`'${w}'`) || source.get(f)!.includes(`"${w}"`))
        .map((w) => `${f}: ${w}`),
    );
  assert.deepEqual(found, [], 'import DEFAULTS (renderer/configure/form.ts) instead');
});
