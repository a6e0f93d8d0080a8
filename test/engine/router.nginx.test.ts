// Differential test: real nginx and the router must pick the same location and send the same URI upstream.
//
// One table of locations becomes both an nginx server block (each location sets X-Loc to its index and
// proxy_passes to an echo backend) and Loopgate routes. Every corpus path is sent to nginx with a
// literal request line; what nginx did (400, 404, 301 Location, or which location and which URI the
// backend received) must equal what normalizePath + slashRedirect + matchRoute + upstreamPath compute.
//
// Known differences, deliberately not in the corpus:
// - Raw (unescaped) bytes >= 0x80 in the request line: nginx accepts them and, when the URI has no
//   "%", sends them upstream unescaped; Node's HTTP parser answers 400 before Loopgate sees them, and
//   upstreamPath always escapes non-ASCII.
// - Raw spaces / control characters: both refuse them, but Node's http client cannot send them (see
//   the unit tests for normalizePath).
// - Absolute-form request targets ("GET http://host/x"): nginx routes them, normalizePath refuses them
//   (browsers never send them to an origin server).
// - Regexes over non-ASCII paths: nginx (PCRE, no UTF mode) matches bytes, JS regexes match UTF-16
//   characters, so "." spans one byte there and one character here.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { validateConfig } from '../../shared/config.ts';
import { matchRoute, normalizePath, slashRedirect, upstreamPath } from '../../main/engine/router.ts';
import { compileSnapshot } from '../../main/engine/snapshot.ts';
import type { CompiledRoute } from '../../main/engine/types.ts';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { freePort } from '../helpers/net.ts';
import { nginxMissing, startNginx, type Nginx } from '../helpers/nginx.ts';

/** [location as written, proxy_pass URI part ('' = none)]; the index is the X-Loc value. */
const LOCATIONS: Array<[string, string]> = [
  ['= /exact', '/exact-target'],
  ['/api/', '/v2/'],
  ['/api', '/v1'],
  ['^~ /static/', '/assets/'],
  ['~ \\.(png|js)$', ''],
  ['~* ^/IMG/', ''],
  ['/old/', '/new'], // the slash mismatch routeWarnings flags: "/old/x" → "/newx"
  ['/docs', '/d/'], // and the other one: "/docs/x" → "/d//x"
  ['/ws/', ''],
  ['= /e2/', '/e2-target/'],
  ['~ ^/ws$', ''],
  ['/raw/', ''],
];

const CORPUS = [
  '/exact',
  '/exact?x=1',
  '/exact/',
  '/exactly',
  '/api',
  '/api/',
  '/api/users',
  '/api/users?id=7&x=%41',
  '/apix',
  '/apix/y?z',
  '/api//users',
  '/api/./users',
  '/api/a/../users',
  '/api/%75sers',
  '/api/a%2Fb',
  '/api/a%2fb/%2E%2E/c',
  '/api/%2e%2e/x',
  '/api/a/..',
  '/api/..',
  '/..',
  '/api/..%2f..%2fx',
  '/api/%zz',
  '/api/%4',
  '/api/%00',
  '/api/caf%C3%A9',
  '/api/caf%c3%a9',
  '/api/%FF%fe',
  '/api/%C0%AF',
  '/api/a%3Fb?c=%3F',
  '/api/a%25b',
  '/api/a%252e',
  '/api/a%20b',
  '/api/a+b%2B',
  '/api/%23',
  '/api/%01%7f',
  '/api/a#frag',
  '/api/a?x#f',
  '/api/?',
  '/api/users?',
  '/api/a?b?c',
  '/api/"~!$&\'()*,;=:@',
  '/static/app.js',
  '/static/a/../b.png',
  '/static',
  '/Static/x.png',
  '/static/..',
  '/img/logo.PNG',
  '/IMG/a',
  '/old/x',
  '/old/',
  '/docs/x',
  '/docs',
  '/docsx',
  '/ws',
  '/ws?a=1&b',
  '/ws#x',
  '/ws/chat',
  '/ws/app.js',
  '/ws/%2e/a//b?q#f',
  '/e2',
  '/e2?k',
  '/e2/',
  '/e2/x',
  '/raw/a//b/./c/../%2e%2e/%41?q=%zz',
  '/raw/a#f',
  '/raw/a?x#f',
  '/raw/?',
  '//api//users?q',
  '///',
  '/',
  '/nothing',
  '/api/%2e',
  '/.well-known/x',
];

type Outcome =
  | { kind: 'bad' }
  | { kind: 'none' }
  | { kind: 'redirect'; location: string }
  | { kind: 'proxy'; loc: string; url: string };

function expected(routes: CompiledRoute[], rawUrl: string): Outcome {
  const q = rawUrl.indexOf('?');
  const path = normalizePath(q < 0 ? rawUrl : rawUrl.slice(0, q));
  if (path === null) return { kind: 'bad' };
  const location = slashRedirect(routes, rawUrl, path);
  if (location !== null) return { kind: 'redirect', location };
  const route = matchRoute(routes, path);
  if (!route) return { kind: 'none' };
  return { kind: 'proxy', loc: String(route.index), url: upstreamPath(route, rawUrl, path) };
}

function viaNginx(port: number, rawUrl: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: rawUrl, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const status = res.statusCode!;
        if (status === 400) resolve({ kind: 'bad' });
        else if (status === 404) resolve({ kind: 'none' });
        else if (status === 301) {
          const u = new URL(res.headers.location!, `http://127.0.0.1:${port}`);
          resolve({ kind: 'redirect', location: u.pathname + u.search });
        } else if (status === 200) {
          const echo = JSON.parse(body) as { url: string; headers: Record<string, string> };
          resolve({ kind: 'proxy', loc: echo.headers['x-loc']!, url: echo.url });
        } else reject(new Error(`nginx answered ${status} to ${rawUrl}: ${body.slice(0, 200)}`));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('router agrees with nginx', { skip: nginxMissing }, () => {
  let backend: Backend;
  let nginx: Nginx;
  let routes: CompiledRoute[];

  before(async () => {
    backend = await startBackend();
    const base = `http://127.0.0.1:${backend.port}`;
    const body = LOCATIONS.map(([match, path], i) => {
      const { modifier, pattern } = splitForNginx(match);
      return `location ${modifier} "${pattern}" { proxy_set_header X-Loc ${i}; proxy_pass ${base}${path}; }`;
    }).join('\n    ');
    nginx = await startNginx(await freePort(), body);
    const r = validateConfig({ routes: LOCATIONS.map(([match, path]) => ({ match, target: base + path })) });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    routes = compileSnapshot(r.config, { baseDir: '/' }).routes;
  });

  after(async () => {
    await nginx?.stop();
    await backend?.close();
  });

  test('every corpus path: same answer, same location, same upstream URI', async () => {
    const mismatches: string[] = [];
    const kinds = new Set<string>();
    for (const rawUrl of CORPUS) {
      const got = await viaNginx(nginx.port, rawUrl);
      const want = expected(routes, rawUrl);
      kinds.add(got.kind);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        mismatches.push(`${rawUrl}\n    nginx:    ${JSON.stringify(got)}\n    loopgate: ${JSON.stringify(want)}`);
      }
    }
    assert.deepEqual(mismatches, [], `router and nginx disagree:\n${mismatches.join('\n')}`);
    // The corpus must exercise every outcome, or the comparison proves less than it claims.
    assert.deepEqual([...kinds].sort(), ['bad', 'none', 'proxy', 'redirect']);
  });

  test('every location is chosen by some corpus path', async () => {
    const chosen = new Set<number>();
    for (const rawUrl of CORPUS) {
      const o = expected(routes, rawUrl);
      if (o.kind === 'proxy') chosen.add(Number(o.loc));
    }
    // "~ ^/ws$" only ever loses to the auto-redirect, which is the point of having it.
    const unused = LOCATIONS.map((_l, i) => i).filter((i) => !chosen.has(i) && LOCATIONS[i]![0] !== '~ ^/ws$');
    assert.deepEqual(unused, []);
  });
});

/** "^~ /static/" → modifier "^~", pattern "/static/" (nginx wants regexes quoted, so we quote them all). */
function splitForNginx(match: string): { modifier: string; pattern: string } {
  const m = /^(=|\^~|~\*|~)\s+(.+)$/.exec(match);
  return m ? { modifier: m[1]!, pattern: m[2]! } : { modifier: '', pattern: match };
}
