// Unit tests of nginx location selection, URI normalization, proxy_pass rewrite, auto-redirect and route warnings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateConfig, type RouteConfig } from '../../shared/config.ts';
import {
  matchRoute,
  normalizePath,
  routePreview,
  routeWarnings,
  slashRedirect,
  upstreamPath,
} from '../../main/engine/router.ts';
import { compileRoute, compileSnapshot, DEFAULTS } from '../../main/engine/snapshot.ts';
import type { CompiledRoute } from '../../main/engine/types.ts';

/** Compile routes the way the engine does: validated config → snapshot. Each spec is [match, target]. */
function routes(...specs: Array<[string, string]>): CompiledRoute[] {
  const r = validateConfig({ routes: specs.map(([match, target]) => ({ match, target })) });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return compileSnapshot(r.config, { baseDir: '/' }).routes;
}

/** A route compiled without validation (for shapes the config schema refuses). */
function rawRoute(r: RouteConfig, index = 0): CompiledRoute {
  return compileRoute(r, index, { timeouts: DEFAULTS.timeouts, maxBodySize: DEFAULTS.maxBodySize, cors: undefined });
}

const which = (rs: CompiledRoute[], path: string) => matchRoute(rs, path)?.match ?? null;

/** What the engine does per request: normalize, match, rewrite. */
function route(rs: CompiledRoute[], rawUrl: string): string | null {
  const q = rawUrl.indexOf('?');
  const path = normalizePath(q < 0 ? rawUrl : rawUrl.slice(0, q));
  assert.notEqual(path, null, `path of ${rawUrl} should be valid`);
  const r = matchRoute(rs, path!);
  return r ? upstreamPath(r, rawUrl, path!) : null;
}

describe('normalizePath', () => {
  test('already-normal paths come back unchanged', () => {
    for (const p of ['/', '/api/users', '/a.b/c.d', '/.well-known/x', '/a/...', '/a/..b', '/a+b;c=d', '/x/']) {
      assert.equal(normalizePath(p), p);
    }
  });

  test('a path not starting with "/" is refused', () => {
    for (const p of ['', 'api', '*', 'http://host/x', '%2Fa']) assert.equal(normalizePath(p), null, p);
  });

  test('percent-decodes, either hex case, reading the bytes as UTF-8', () => {
    assert.equal(normalizePath('/%41%7e%7E'), '/A~~');
    assert.equal(normalizePath('/caf%C3%A9'), '/café');
    assert.equal(normalizePath('/caf%c3%a9/x'), '/café/x');
    assert.equal(normalizePath('/%F0%9F%98%80'), '/😀');
    assert.equal(normalizePath('/a%20b'), '/a b');
    assert.equal(normalizePath('/é'), '/é');
  });

  test('invalid %XX, NUL, raw space and control characters are refused (nginx 400)', () => {
    for (const p of ['/%zz', '/%4', '/a%', '/a%g0', '/a%00b', '/a b', '/a\tb', '/a\x01', '/a\x7f']) {
      assert.equal(normalizePath(p), null, JSON.stringify(p));
    }
  });

  test('decoding is done once: %25 and %3F stay literal characters', () => {
    assert.equal(normalizePath('/a%252e'), '/a%2e');
    assert.equal(normalizePath('/a%25/..'), '/');
    assert.equal(normalizePath('/a%3Fb'), '/a?b');
    assert.equal(normalizePath('/a%23b'), '/a#b');
  });

  test('merges slashes, decoded %2F included', () => {
    assert.equal(normalizePath('//a//b'), '/a/b');
    assert.equal(normalizePath('///'), '/');
    assert.equal(normalizePath('/a%2Fb'), '/a/b');
    assert.equal(normalizePath('/u/%2F%2F'), '/u/');
    assert.equal(normalizePath('/a//'), '/a/');
  });

  test('resolves "." and "..", keeping a trailing slash like nginx', () => {
    assert.equal(normalizePath('/a/./b'), '/a/b');
    assert.equal(normalizePath('/./a/.'), '/a/');
    assert.equal(normalizePath('/a/b/..'), '/a/');
    assert.equal(normalizePath('/a/..'), '/');
    assert.equal(normalizePath('/a/../b'), '/b');
    assert.equal(normalizePath('/a/b/../..'), '/');
    assert.equal(normalizePath('/a//../b'), '/b');
    assert.equal(normalizePath('/a/.%2E'), '/');
    assert.equal(normalizePath('/a/%2e%2e/b'), '/b');
    assert.equal(normalizePath('/a/%2E/b'), '/a/b');
    assert.equal(normalizePath('/a%2F..%2Fb'), '/b');
    assert.equal(normalizePath('/a%2e%2e/b'), '/a../b');
  });

  test('".." above the root is refused', () => {
    for (const p of ['/..', '/../a', '/a/../..', '/%2e%2e/x', '/%2F..', '/a/..%2f..%2fb', '/a/b/../../..']) {
      assert.equal(normalizePath(p), null, p);
    }
  });

  test('a "#" ends the path', () => {
    assert.equal(normalizePath('/a#frag'), '/a');
    assert.equal(normalizePath('/a/..#x/y'), '/');
    assert.equal(normalizePath('/a#%zz'), '/a');
  });

  test('bytes that are not UTF-8 are kept as U+DC80–U+DCFF, never decoded to ASCII', () => {
    assert.equal(normalizePath('/%FF'), '/\udcff');
    assert.equal(normalizePath('/%C3'), '/\udcc3');
    assert.equal(normalizePath('/%C3x'), '/\udcc3x');
    // Overlong "/" must not turn into a path separator.
    assert.equal(normalizePath('/a%C0%AF..'), '/a\udcc0\udcaf..');
    assert.equal(normalizePath('/%ED%A0%80'), '/\udced\udca0\udc80');
    assert.equal(normalizePath('/%F4%90%80%80'), '/\udcf4\udc90\udc80\udc80');
  });
});

describe('matchRoute', () => {
  test('"=" beats a prefix of the same string, and only matches exactly', () => {
    const rs = routes(['/x', 'http://h:1'], ['= /x', 'http://h:2']);
    assert.equal(which(rs, '/x'), '= /x');
    assert.equal(which(rs, '/x/'), '/x');
    assert.equal(which(rs, '/xy'), '/x');
    assert.equal(which(routes(['= /x', 'http://h:1']), '/x/'), null);
  });

  test('the longest prefix wins whatever the config order', () => {
    const specs: Array<[string, string]> = [
      ['/', 'http://h:1'],
      ['/api/v2/', 'http://h:2'],
      ['/api/', 'http://h:3'],
    ];
    for (const rs of [routes(...specs), routes(...[...specs].reverse())]) {
      assert.equal(which(rs, '/api/v2/x'), '/api/v2/');
      assert.equal(which(rs, '/api/v2'), '/api/');
      assert.equal(which(rs, '/api/x'), '/api/');
      assert.equal(which(rs, '/other'), '/');
    }
  });

  test('"^~" on the longest prefix stops the regex search; a plain prefix does not', () => {
    const rs = routes(['^~ /static/', 'http://h:1'], ['/assets/', 'http://h:2'], ['~ \\.js$', 'http://h:3']);
    assert.equal(which(rs, '/static/app.js'), '^~ /static/');
    assert.equal(which(rs, '/assets/app.js'), '~ \\.js$');
    assert.equal(which(rs, '/assets/app.css'), '/assets/');
    assert.equal(which(rs, '/other/app.js'), '~ \\.js$');
  });

  test('"^~" only counts when it is the longest matching prefix', () => {
    const rs = routes(['^~ /s/', 'http://h:1'], ['/s/deep/', 'http://h:2'], ['~ \\.js$', 'http://h:3']);
    assert.equal(which(rs, '/s/deep/a.js'), '~ \\.js$');
    assert.equal(which(rs, '/s/a.js'), '^~ /s/');
  });

  test('regexes are tried in config order, first match wins', () => {
    assert.equal(which(routes(['~ ^/a', 'http://h:1'], ['~ ^/a/b', 'http://h:2']), '/a/b'), '~ ^/a');
    assert.equal(which(routes(['~ ^/a/b', 'http://h:1'], ['~ ^/a', 'http://h:2']), '/a/b'), '~ ^/a/b');
  });

  test('"~*" is case-insensitive, "~" and prefixes are case-sensitive', () => {
    assert.equal(which(routes(['~* \\.PNG$', 'http://h:1']), '/a.png'), '~* \\.PNG$');
    assert.equal(which(routes(['~ \\.PNG$', 'http://h:1']), '/a.png'), null);
    assert.equal(which(routes(['/API/', 'http://h:1']), '/api/x'), null);
    assert.equal(which(routes(['= /API', 'http://h:1']), '/api'), null);
  });

  test('prefixes are plain string prefixes: "/api" matches "/apix", "/api/" does not match "/api"', () => {
    assert.equal(which(routes(['/api', 'http://h:1']), '/apix'), '/api');
    assert.equal(which(routes(['/api', 'http://h:1']), '/api'), '/api');
    assert.equal(which(routes(['/api/', 'http://h:1']), '/api'), null);
    assert.equal(which(routes(['/api/', 'http://h:1']), '/api/'), '/api/');
  });

  test('matches the normalized path, so encodings and dot segments route like nginx', () => {
    const rs = routes(['/api/', 'http://h:1'], ['/café/', 'http://h:2']);
    assert.equal(which(rs, normalizePath('/%61pi/x')!), '/api/');
    assert.equal(which(rs, normalizePath('/x/../api/y')!), '/api/');
    assert.equal(which(rs, normalizePath('//api//y')!), '/api/');
    assert.equal(which(rs, normalizePath('/caf%C3%A9/menu')!), '/café/');
  });

  test('null when nothing matches, or there are no routes', () => {
    assert.equal(matchRoute([], '/'), null);
    assert.equal(which(routes(['/api/', 'http://h:1'], ['~ ^/x', 'http://h:2']), '/'), null);
  });

  test('a /g regex gives the same answer every time', () => {
    const base = rawRoute({ match: '~ ^/g', target: 'http://h:1' });
    const rs = [{ ...base, regex: /^\/g/g }];
    for (let i = 0; i < 3; i++) assert.equal(matchRoute(rs, '/go'), rs[0]);
  });

  test('each routes array has its own index', () => {
    const a = routes(['/a/', 'http://h:1']);
    const b = routes(['/b/', 'http://h:1']);
    assert.equal(which(a, '/a/x'), '/a/');
    assert.equal(which(b, '/a/x'), null);
    assert.equal(which(b, '/b/x'), '/b/');
    assert.equal(which(a, '/b/x'), null);
  });
});

describe('upstreamPath', () => {
  const v2 = routes(['/api/', 'http://h:1/v2/']);

  test('a target with a URI part replaces the matched prefix and keeps the query as sent', () => {
    assert.equal(route(v2, '/api/users?id=7&x=%41'), '/v2/users?id=7&x=%41');
    assert.equal(route(v2, '/api/'), '/v2/');
    assert.equal(route(v2, '/api//users/./x/../y?q'), '/v2/users/y?q');
    assert.equal(route(v2, '/api/a?b?c'), '/v2/a?b?c');
    assert.equal(route(routes(['/api/', 'http://h:1/']), '/api/x'), '/x');
    assert.equal(route(routes(['/api', 'http://h:1/v1']), '/apix/y'), '/v1x/y');
  });

  test('the rewritten path is re-escaped like nginx (upper-case hex, only what must be)', () => {
    assert.equal(route(v2, '/api/caf%c3%a9'), '/v2/caf%C3%A9');
    assert.equal(route(v2, '/api/%FF%fe'), '/v2/%FF%FE');
    assert.equal(route(v2, '/api/a%3Fb?c=%3F'), '/v2/a%3Fb?c=%3F');
    assert.equal(route(v2, '/api/a%25b'), '/v2/a%25b');
    assert.equal(route(v2, '/api/a%20b'), '/v2/a%20b');
    assert.equal(route(v2, '/api/%23x'), '/v2/%23x');
    assert.equal(route(v2, '/api/%01%7F'), '/v2/%01%7F');
    assert.equal(route(v2, '/api/%41%7e+%2B%22'), '/v2/A~++"');
    assert.equal(route(v2, '/api/%F0%9F%98%80'), '/v2/%F0%9F%98%80');
    assert.equal(route(v2, '/api/%C0%AF'), '/v2/%C0%AF');
  });

  test('an empty query and a fragment are dropped', () => {
    assert.equal(route(v2, '/api/x?'), '/v2/x');
    assert.equal(route(v2, '/api/x?#f'), '/v2/x');
    assert.equal(route(v2, '/api/x#f?y'), '/v2/x');
    assert.equal(route(v2, '/api/x?a#f'), '/v2/x?a');
  });

  test('without a URI part the raw request URI passes unchanged', () => {
    const rs = routes(['/api/', 'http://h:1'], ['~ \\.js$', 'http://h:2']);
    for (const u of ['/api//x/../%2e/a%2fb?q=%41#f', '/api/x?', '/api/caf%c3%a9', '/x/app.js?v=1']) {
      assert.equal(route(rs, u), u);
    }
  });

  test('an exact location with a URI part maps to that URI', () => {
    assert.equal(route(routes(['= /login', 'http://h:1/auth/login']), '/login?next=%2F'), '/auth/login?next=%2F');
  });

  test('a regex route given a URI part anyway appends the whole path (config validation refuses it)', () => {
    const r = rawRoute({ match: '~ ^/x', target: 'http://h:1/y' });
    assert.equal(upstreamPath(r, '/x/a?b', '/x/a'), '/y/x/a?b');
  });
});

describe('slashRedirect', () => {
  test('"/api" gets 301 to "/api/" when only "/api/" exists, query kept', () => {
    const rs = routes(['/api/', 'http://h:1']);
    assert.equal(slashRedirect(rs, '/api', '/api'), '/api/');
    assert.equal(slashRedirect(rs, '/api?x=1&y', '/api'), '/api/?x=1&y');
    assert.equal(slashRedirect(rs, '/api?', '/api'), '/api/');
    assert.equal(slashRedirect(rs, '//api', '/api'), '/api/');
    assert.equal(slashRedirect(rs, '/api/', '/api/'), null);
    assert.equal(slashRedirect(rs, '/apix', '/apix'), null);
    assert.equal(slashRedirect(rs, '/ap', '/ap'), null);
  });

  test('a location named exactly like the path takes the request instead', () => {
    assert.equal(slashRedirect(routes(['/api/', 'http://h:1'], ['/api', 'http://h:2']), '/api', '/api'), null);
    assert.equal(slashRedirect(routes(['= /api', 'http://h:1'], ['/api/', 'http://h:2']), '/api', '/api'), null);
  });

  test('"= /x/" and "^~ /x/" redirect too; "/" and regexes never do', () => {
    assert.equal(slashRedirect(routes(['= /e/', 'http://h:1']), '/e', '/e'), '/e/');
    assert.equal(slashRedirect(routes(['^~ /s/', 'http://h:1']), '/s', '/s'), '/s/');
    assert.equal(slashRedirect(routes(['/', 'http://h:1']), '/', '/'), null);
    assert.equal(slashRedirect(routes(['~ ^/r/', 'http://h:1']), '/r', '/r'), null);
  });

  test('the redirect wins over a matching regex', () => {
    const rs = routes(['/ws/', 'http://h:1'], ['~ ^/ws', 'http://h:2']);
    assert.equal(slashRedirect(rs, '/ws', '/ws'), '/ws/');
    assert.equal(which(rs, '/ws'), '~ ^/ws');
  });
});

describe('routeWarnings and routePreview', () => {
  const one = (match: string, target: string) => routes([match, target])[0]!;

  test('"/api/" with target path "/v2" runs the paths together', () => {
    const w = routeWarnings(one('/api/', 'http://h:1/v2'));
    assert.equal(w.length, 1);
    assert.match(w[0]!, /"\/api\/users" → "\/v2users"/);
  });

  test('"/api" with target path "/v2/" gives "//"', () => {
    const w = routeWarnings(one('/api', 'http://h:1/v2/'));
    assert.equal(w.length, 1);
    assert.match(w[0]!, /"\/api\/users" → "\/v2\/\/users"/);
    assert.equal(routeWarnings(one('/api', 'http://h:1/')).length, 1);
  });

  test('consistent slashes, no URI part and exact locations give no warning', () => {
    assert.deepEqual(routeWarnings(one('/api/', 'http://h:1/v2/')), []);
    assert.deepEqual(routeWarnings(one('/api', 'http://h:1/v2')), []);
    assert.deepEqual(routeWarnings(one('/api/', 'http://h:1')), []);
    assert.deepEqual(routeWarnings(one('/api', 'http://h:1')), []);
    assert.deepEqual(routeWarnings(one('= /x', 'http://h:1/y/')), []);
    assert.deepEqual(routeWarnings(one('~ ^/a/', 'http://h:1')), []);
  });

  test('locations that can never match a normalized path are flagged', () => {
    assert.match(routeWarnings(one('/a%20b/', 'http://h:1')).join('\n'), /%XX/);
    assert.match(routeWarnings(one('/a//b/', 'http://h:1')).join('\n'), /never matches/);
    assert.match(routeWarnings(one('/a/../b/', 'http://h:1')).join('\n'), /never matches/);
    assert.match(routeWarnings(one('/a/.', 'http://h:1')).join('\n'), /never matches/);
  });

  test('a regex route with a URI part is flagged', () => {
    assert.match(
      routeWarnings(rawRoute({ match: '~ ^/x', target: 'http://h:1/y' })).join('\n'),
      /regex location cannot have a path/,
    );
  });

  test('routePreview shows a sample request and where it goes', () => {
    assert.deepEqual(routePreview(one('/api/', 'http://h:1/v2/')), { from: '/api/users', to: '/v2/users' });
    assert.deepEqual(routePreview(one('/api', 'http://h:1')), { from: '/api/users', to: '/api/users' });
    assert.deepEqual(routePreview(one('= /x', 'http://h:1/y')), { from: '/x', to: '/y' });
    assert.equal(routePreview(one('~ ^/x', 'http://h:1')), null);
  });
});
