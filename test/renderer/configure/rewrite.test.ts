// The UI's route previews against the engine: same route picked, same upstream URL, nginx's order rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig, type RouteInput } from '../../../shared/config.ts';
import { matchRoute as engineMatch, upstreamPath } from '../../../main/engine/router.ts';
import { compileRoute, DEFAULTS } from '../../../main/engine/snapshot.ts';
import { kindOf, matchRoute, rewriteUrl, samplePath } from '../../../renderer/configure/rewrite.ts';

const T = 'http://127.0.0.1:9000';

describe('rewriteUrl (nginx proxy_pass rule)', () => {
  it('replaces the matched prefix when the target has a path, and keeps the query', () => {
    assert.equal(
      rewriteUrl('/api/', 'https://staging.example.com/v2/', '/api/users?x=1').url,
      'https://staging.example.com/v2/users?x=1',
    );
    assert.equal(rewriteUrl('/api', `${T}/`, '/api/users').url, `${T}//users`);
    assert.equal(rewriteUrl('= /login', `${T}/auth/login`, '/login').url, `${T}/auth/login`);
  });

  it('passes the URI unchanged without a target path, and for regexes', () => {
    assert.equal(rewriteUrl('/api/', T, '/api/users').url, `${T}/api/users`);
    assert.equal(rewriteUrl('~* \\.php$', T, '/x/index.php?a=b').url, `${T}/x/index.php?a=b`);
  });

  it('warns about the slash mismatches nginx also makes', () => {
    const a = rewriteUrl('/api/', 'http://h/v2', '/api/users');
    assert.equal(a.url, 'http://h/v2users');
    assert.match(a.warning ?? '', /ends with "\/"/);
    const b = rewriteUrl('/api', 'http://h/v2/', '/api/x');
    assert.equal(b.url, 'http://h/v2//x');
    assert.match(b.warning ?? '', /target path "\/v2\/" ends with "\/"/);
    assert.equal(rewriteUrl('/api/', 'http://h/v2/', '/api/x').warning, undefined);
  });

  it('picks a sample path per kind', () => {
    assert.equal(samplePath('/api'), '/api/users');
    assert.equal(samplePath('^~ /static/'), '/static/users');
    assert.equal(samplePath('= /x'), '/x');
    assert.equal(samplePath('~ ^/a'), null);
    assert.deepEqual(['/a', '= /a', '^~ /a', '~ a', '~* a'].map(kindOf), [
      'prefix',
      'exact',
      'prefix-stop',
      'regex',
      'regex-i',
    ]);
  });
});

describe('matchRoute (nginx location order)', () => {
  const routes: RouteInput[] = [
    { match: '~ ^/api/v\\d+/', target: T },
    { match: '/api/', target: T },
    { match: '^~ /static/', target: T },
    { match: '~* \\.(png|jpg)$', target: T },
    { match: '= /api/', target: T },
    { match: '/api/long/', target: T, enabled: false },
  ];
  it('exact first, then ^~ stops regexes, regexes in order, else the longest prefix', () => {
    assert.deepEqual(matchRoute(routes, '/api/'), { index: 4, rule: 'exact match (=) wins at once' });
    assert.equal(matchRoute(routes, '/static/a.png')?.index, 2);
    assert.equal(matchRoute(routes, '/img/a.PNG')?.index, 3);
    assert.equal(matchRoute(routes, '/api/v2/users')?.index, 0);
    assert.equal(matchRoute(routes, '/api/users')?.index, 1);
    assert.equal(matchRoute(routes, '/api/long/x')?.index, 1, 'disabled routes are skipped');
    assert.equal(matchRoute(routes, '/other'), null);
  });
});

describe('UI preview = engine (differential)', () => {
  const matches = [
    '/',
    '/api',
    '/api/',
    '= /api',
    '^~ /api/v1',
    '/api/v1/',
    '~ ^/api/v[0-9]+',
    '~* \\.JSON$',
    '^~ /s',
    '= /s/x',
    '/s/',
  ];
  const targets = [T, `${T}/`, `${T}/v2`, `${T}/v2/`, 'https://example.com/base/'];
  const paths = [
    '/',
    '/api',
    '/api/',
    '/api/users',
    '/api/v1/x',
    '/api/v12/y.json',
    '/s',
    '/s/x',
    '/s/x/y',
    '/apix',
    '/other.json?q=1',
    '/api/users?id=3',
  ];
  // Route sets: rotations of the list, so order (and the regex order) varies.
  for (let shift = 0; shift < matches.length; shift += 3) {
    const list = [...matches.slice(shift), ...matches.slice(0, shift)];
    const routes: RouteInput[] = list.map((m, i) => {
      const regex = m.startsWith('~');
      return { match: m, target: regex ? T : targets[i % targets.length]!, enabled: i % 7 !== 6 };
    });
    it(`same route and upstream URL for ${paths.length} paths (rotation ${shift})`, () => {
      const v = validateConfig({ routes });
      assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
      const compiled = v.config
        .routes!.map((r, index) => ({ r, index }))
        .filter(({ r }) => r.enabled !== false)
        .map(({ r, index }) =>
          compileRoute(r, index, { timeouts: DEFAULTS.timeouts, maxBodySize: DEFAULTS.maxBodySize, cors: undefined }),
        );
      for (const p of paths) {
        const pathOnly = p.split('?')[0]!;
        const engine = engineMatch(compiled, pathOnly);
        const mine = matchRoute(routes, p);
        assert.equal(mine?.index ?? null, engine?.index ?? null, `route for ${p}`);
        if (engine && mine) {
          const r = routes[mine.index]!;
          const origin = new URL(r.target).origin;
          assert.equal(
            rewriteUrl(r.match, r.target, p).url,
            origin + upstreamPath(engine, p, pathOnly),
            `upstream URL for ${p} via ${r.match} → ${r.target}`,
          );
        }
      }
    });
  }
});
