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
