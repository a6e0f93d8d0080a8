// Bounded fuzz of the importer with mutated fixtures: it returns a valid config or throws NginxSyntaxError, nothing else.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../../../shared/config.ts';
import { importNginx, NginxSyntaxError } from '../../../main/config/nginx/import.ts';
import { fixtureFiles, NGINX_FIXTURES } from '../../helpers/nginx-fixtures.ts';

/** Small deterministic PRNG (mulberry32) so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '{',
  '}',
  ';',
  '"',
  "'",
  '\\',
  '#',
  '$',
  '${',
  ' ',
  '\n',
  'location',
  '~',
  '~*',
  '^~',
  '=',
  '/',
  'proxy_pass',
  'http://',
  'add_header',
  'always',
  'if',
  '(',
  ')',
  'map',
  'upstream',
  'server',
  'include x.conf;',
  'listen',
  '0',
  '99999',
  'proxy_set_header',
  '$http_upgrade',
  '$connection_upgrade',
  'Access-Control-Allow-Origin',
  '*',
  'rewrite',
  'break',
  '[',
  '(?',
  '\u0000',
  'é',
];

function mutate(text: string, r: () => number): string {
  let s = text;
  const edits = 1 + Math.floor(r() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = r();
    if (op < 0.35) s = s.slice(0, at) + PIECES[Math.floor(r() * PIECES.length)]! + s.slice(at);
    else if (op < 0.65) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 12));
    else if (op < 0.85) {
      const from = Math.floor(r() * s.length);
      s = s.slice(0, at) + s.slice(from, from + Math.floor(r() * 40)) + s.slice(at);
    } else {
      // swap two lines
      const lines = s.split('\n');
      const a = Math.floor(r() * lines.length);
      const b = Math.floor(r() * lines.length);
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      s = lines.join('\n');
    }
  }
  return s;
}

test('mutated fixtures: a valid result or an NginxSyntaxError, within ~3 s', () => {
  const corpus = fixtureFiles.map((f) => readFileSync(join(NGINX_FIXTURES, f), 'utf8'));
  const deadline = Date.now() + 3000;
  let runs = 0;
  let syntax = 0;
  let seed = 1;
  while (Date.now() < deadline && runs < 200_000) {
    const r = rng(seed);
    const base = corpus[seed % corpus.length]!;
    const text = mutate(base, r);
    try {
      const result = importNginx(text, {
        file: 'fuzz.conf',
        readFile: (p) =>
          p.endsWith('x.conf')
            ? text.slice(0, 200)
            : (() => {
                throw new Error('no');
              })(),
      });
      for (const site of result.sites) {
        const v = validateConfig(site.config);
        assert.ok(v.ok, `seed ${seed}: invalid config ${JSON.stringify(!v.ok && v.errors)}`);
      }
    } catch (e) {
      if (!(e instanceof NginxSyntaxError)) {
        assert.fail(`seed ${seed}: ${(e as Error)?.stack ?? String(e)}\n--- input ---\n${text}`);
      }
      assert.match(e.message, / in (fuzz|x)\.conf:\d+$/);
      syntax++;
    }
    runs++;
    seed++;
  }
  assert.ok(runs > 50, `only ${runs} runs`);
  assert.ok(
    syntax > 0 && syntax < runs,
    `syntax errors ${syntax} of ${runs}: the mutations should produce both outcomes`,
  );
});
