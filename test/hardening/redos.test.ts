// Hardening: ReDoS — catastrophic route regexes refused at validation, the router's second line (V8's linear fallback, path cap), the UI's frame filter refused / capped / sliced.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateConfig } from '../../shared/config.ts';
import { regexHazard } from '../../shared/regex-safety.ts';
import type { FrameRecord } from '../../shared/events.ts';
import { matchRoute, REGEX_PATH_MAX } from '../../main/engine/router.ts';
import type { CompiledRoute } from '../../main/engine/types.ts';
import { compileSearch, FrameIndex, SEARCH_TEXT_MAX } from '../../renderer/watch/frames.ts';

const verbose = !!process.env.HARDENING_VERBOSE;

/** Exponential or high-degree polynomial: each must be refused. */
const CATASTROPHIC = [
  '(a+)+$',
  '(a|aa)*b',
  '(a*)*',
  '^(\\w+\\s?)*$',
  '(a*b*)*c',
  '(.|\\s)*x',
  '(\\d+)+x',
  '.*.*=.*',
  '\\d+\\d+x',
  '(x+x+)+y',
  '^(([a-z])+.)+[A-Z]([a-z])+$',
  '(a|a)*b',
  '(?:a+){20,}b',
  '(a+)+\\1',
  '(b|a+)*c',
];
/** Route and search patterns seen in real configs and real use: each must pass. */
const ORDINARY = [
  '^/api/',
  '\\.(png|jpe?g|gif)$',
  '^/(.*)/(.*)$',
  '(/[a-z0-9]+)*$',
  '([a-z]+\\.)+com$',
  '^/v[0-9]+/users/[0-9]+$',
  '(?:[^"\\\\]|\\\\.)*',
  '^/static/.*\\.js$',
  'foo.*bar',
  '^/ws(/.*)?$',
  '^.+\\..+$',
  '\\.(?:css|js|woff2?|svg|png|jpg)$',
  '^/users/(\\d+)/avatar$',
  'user-\\d{1,6}',
  '^/(?<ver>v\\d+)/',
];

describe('ReDoS', () => {
  test('regexHazard names what is wrong with each catastrophic pattern and passes ordinary ones', () => {
    for (const p of CATASTROPHIC) assert.ok(regexHazard(p), `missed ${p}`);
    for (const p of ORDINARY) assert.equal(regexHazard(p, 'i'), null, p);
    assert.match(regexHazard('(a+)+$')!.reason, /"a\+" sits inside another repetition/);
    assert.match(regexHazard('(a|aa)*b')!.reason, /alternatives "a" and "aa"/);
    assert.match(regexHazard('.*.*=')!.reason, /power of the input's length/);
    assert.equal(regexHazard('(a+)+\\1')!.needsBacktracking, true);
  });

  test('route regexes: validation refuses the catastrophic ones with the reason, keeps the ordinary ones', () => {
    for (const p of CATASTROPHIC) {
      const r = validateConfig({ routes: [{ match: `~ ${p}`, target: 'http://127.0.0.1:9' }] });
      assert.equal(r.ok, false, p);
      if (!r.ok) assert.match(r.errors.map((e) => e.message).join(), /regular expression refused/, p);
    }
    for (const p of ORDINARY) {
      const r = validateConfig({ routes: [{ match: `~* ${p}`, target: 'http://127.0.0.1:9' }] });
      assert.equal(r.ok, true, p);
    }
  });

  test('the router finishes a backtracking regex the check would miss (V8 linear fallback) and skips regexes past 8 KiB', () => {
    const route = (pattern: string) =>
      ({ kind: 'regex', pattern, regex: new RegExp(pattern), targetPath: null }) as unknown as CompiledRoute;
    const routes = [route('^/(a+)+$')];
    // 2^40 steps without the fallback: this call would not return in a day.
    const t0 = performance.now();
    assert.equal(matchRoute(routes, `/${'a'.repeat(40)}!`), null);
    assert.equal(matchRoute(routes, '/aaaa'), routes[0]);
    const ms = performance.now() - t0;
    const long = route('^/x');
    assert.equal(matchRoute([long], `/x${'a'.repeat(REGEX_PATH_MAX)}`), null);
    assert.equal(matchRoute([long], `/x${'a'.repeat(100)}`), long);
    if (verbose) console.log(`router: (a+)+$ on 41 characters answered in ${ms.toFixed(1)} ms`);
  });

  test('the frame filter: catastrophic patterns refused with the reason, quantified ones see the first 8 KiB, a slow search goes in slices', () => {
    const frame = (data: string, seq: number): FrameRecord => ({
      session: 1,
      seq,
      type: 'receive',
      time: 0,
      opcode: 1,
      data,
      encoding: 'text',
      length: data.length,
      wireLength: data.length,
      fragments: 1,
    });
    for (const p of CATASTROPHIC) {
      const c = compileSearch(p);
      if (c.error === undefined) continue; // '(a+)+\\1' etc. all refused below
      assert.equal(c.re, null);
      assert.match(c.error, /refused, it could freeze the page/);
    }
    assert.ok(CATASTROPHIC.every((p) => compileSearch(p).error !== undefined));
    // A word past the first 8 KiB: found by a plain search, not by a pattern with a quantifier.
    const deep = [frame(`${'x'.repeat(SEARCH_TEXT_MAX)}needle`, 1)];
    assert.equal(new FrameIndex().update(deep, { direction: 'all', opcodes: [], search: 'needle' }), 1);
    assert.equal(new FrameIndex().update(deep, { direction: 'all', opcodes: [], search: 'need+le' }), 0);
    // A quadratic pattern on 200 adversarial frames: each update() stops after its slice and goes on.
    const frames = Array.from({ length: 200 }, (_, i) => frame('a'.repeat(64 * 1024), i + 1));
    const ix = new FrameIndex();
    const filter = { direction: 'all' as const, opcodes: [], search: 'a+b' };
    let calls = 0;
    let longest = 0;
    do {
      const t = performance.now();
      ix.update(frames, filter, 25);
      longest = Math.max(longest, performance.now() - t);
      calls++;
    } while (ix.pending && calls < 10_000);
    assert.ok(calls > 1, 'the search was sliced');
    assert.equal(ix.pending, false);
    assert.equal(ix.count, 0);
    if (verbose)
      console.log(`frame filter: a+b over 200 × 64 KiB of "a" in ${calls} slices, longest ${longest.toFixed(0)} ms`);
  });
});
