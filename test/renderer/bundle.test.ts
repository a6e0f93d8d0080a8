// The UI bundle as build/build.mjs makes it carries no zod: the renderer imports shared/match.ts, not the schema.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build } from 'esbuild';

const root = new URL('../../', import.meta.url).pathname;

test('renderer bundle: zod and the config schema stay out', async () => {
  const out = await build({
    entryPoints: [`${root}renderer/main.tsx`],
    outfile: 'app.js',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(out.metafile.inputs);
  assert.ok(
    inputs.some((f) => f.endsWith('shared/match.ts')),
    'the bundle uses shared/match.ts',
  );
  assert.deepEqual(
    inputs.filter((f) => f.includes('node_modules/zod/') || f.endsWith('shared/config.ts')),
    [],
  );
});
