// Hardening: bounded, seeded fuzzing of the config schema, the nginx importer (generated configs, includes) and the HAR importer.
// The WebSocket frame parser has its own fuzz (test/engine/ws/frames/fuzz.test.ts), as do mutated nginx fixtures (test/config/nginx/fuzz.test.ts).
// Replay a failure with FUZZ_SEED=<seed printed in the message>.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../../shared/config.ts';
import { importNginx, NginxSyntaxError } from '../../main/config/nginx/import.ts';
import { buildHar, importHar } from '../../main/control/har/export.ts';
import { SessionLog } from '../../main/engine/log/store.ts';
import { compileSnapshot } from '../../main/engine/snapshot.ts';
import { routeWarnings } from '../../main/engine/router.ts';
import { nullRecorder } from '../../main/engine/types.ts';
import { fuzzSeed, prng } from '../helpers/hardening.ts';
import { binaryFrame, countFrame, httpRecord, textFrame, wsRecord } from '../helpers/records.ts';

type Rng = ReturnType<typeof prng>;
const BUDGET_MS = 2500;

const STRINGS = [
  '',
  ' ',
  '/',
  '/api',
  '= /x',
  '^~ /s',
  '~ ^/a(b',
  '~* \\.php$',
  '~ (a+)+$',
  'http://127.0.0.1:1',
  'https://[::1]:443/p/',
  'ws://x',
  'ftp://x',
  'http://',
  'http://a b',
  'http://h/p?q#f',
  '15m',
  '1g',
  '99999999999g',
  '-1',
  '1.5',
  '90s',
  '1h 30m',
  'ms',
  '500ms',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'reflect',
  '*',
  'local',
  'forward',
  'keep',
  'replace',
  'Lax',
  'None',
  '\u0000',
  '\ud800',
  'é',
  'x'.repeat(5000),
  'Bad Header',
  'X-Ok',
];
const KEYS = [
  'listen',
  'host',
  'port',
  'root',
  'index',
  'spa',
  'autoindex',
  'charset',
  'maxBodySize',
  'timeouts',
  'connect',
  'send',
  'read',
  'cors',
  'enabled',
  'origins',
  'credentials',
  'methods',
  'headers',
  'exposeHeaders',
  'maxAge',
  'preflight',
  'privateNetwork',
  'backendHeaders',
  'allowedHosts',
  'inspect',
  'bodyBytes',
  'storeBytes',
  'frameBytes',
  'frames',
  'routes',
  'profiles',
  'activeProfile',
  'match',
  'target',
  'ws',
  'remote',
  'changeOrigin',
  'secure',
  'rewriteOrigin',
  'setHeaders',
  'removeHeaders',
  'forwarded',
  'addHeaders',
  'rewriteRedirects',
  'cookies',
  'domain',
  'path',
  'sameSite',
  'httpOnly',
  'keepAlivePing',
  'name',
  '$schema',
  '__proto__',
  'constructor',
  'unknownField',
];
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  65535,
  65536,
  2 ** 53,
  2 ** 53 + 2,
  1e308,
  -1e308,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

function randomValue(r: Rng, depth: number): unknown {
  const k = r.int(depth > 3 ? 5 : 8);
  switch (k) {
    case 0:
      return r.pick(STRINGS);
    case 1:
      return r.pick(NUMBERS);
    case 2:
      return r.pick([true, false, null, undefined]);
    case 3:
      return r.pick(STRINGS) + r.pick(STRINGS);
    case 4:
      return String.fromCharCode(...r.bytes(r.int(12)));
    case 5:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(5); i > 0; i--) o[r.pick(KEYS)] = randomValue(r, depth + 1);
      return o;
    }
  }
}

const VALID = () => ({
  listen: { host: '127.0.0.1', port: 8080 },
  root: 'dist',
  spa: true,
  maxBodySize: '15m',
  timeouts: { connect: '5s', read: '90s' },
  cors: { enabled: true, origins: ['https://a.example'], credentials: true },
  allowedHosts: ['app.test'],
  inspect: { bodyBytes: '64k', frames: true },
  routes: [
    {
      match: '/api/',
      target: 'http://127.0.0.1:3000/v1/',
      setHeaders: { 'X-Env': 'dev' },
      cookies: { domain: 'remove', path: { '/v1': '/api' } },
    },
    { match: '~* \\.(png|jpg)$', target: 'http://127.0.0.1:3001', ws: false, timeouts: { read: 5 } },
    {
      match: '= /socket',
      target: 'ws://127.0.0.1:3002',
      keepAlivePing: '20s',
      cors: { enabled: true, origins: 'reflect' },
    },
  ],
  profiles: { staging: { routes: [{ match: '/', target: 'https://staging.example.com', remote: true }] } },
  activeProfile: 'staging',
});

/** Replace, delete or add one thing somewhere in a JSON-like tree. */
function mutateTree(root: unknown, r: Rng): unknown {
  if (r.int(10) === 0) return randomValue(r, 0);
  let node = root as Record<string, unknown>;
  for (let depth = 0; depth < 6; depth++) {
    if (node === null || typeof node !== 'object') break;
    const keys = Object.keys(node);
    if (keys.length === 0 || r.int(3) === 0) {
      const op = r.int(3);
      const key = Array.isArray(node) ? String(r.int(node.length + 1)) : r.pick(keys.length && op === 0 ? keys : KEYS);
      // Arrays lose an element with splice: JSON (HTTP API, files) cannot make sparse arrays.
      if (op === 1 && keys.length) {
        if (Array.isArray(node)) node.splice(r.int(node.length), 1);
        else delete node[r.pick(keys)];
      } else node[key] = randomValue(r, depth);
      return root;
    }
    const key = r.pick(keys);
    const child = node[key];
    if (child === null || typeof child !== 'object') {
      node[key] = randomValue(r, depth);
      return root;
    }
    node = child as Record<string, unknown>;
  }
  return root;
}

function fuzzLoop(name: string, seed0: number, body: (r: Rng, seed: number) => void): { runs: number } {
  const deadline = Date.now() + BUDGET_MS;
  let runs = 0;
  for (let seed = seed0; Date.now() < deadline && runs < 500_000; seed++, runs++) {
    try {
      body(prng(seed), seed);
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      assert.fail(`${name}: seed ${seed} (FUZZ_SEED=${seed}) threw ${(err as Error)?.stack ?? String(err)}`);
    }
  }
  return { runs };
}

test('config schema: validateConfig never throws; what it accepts compiles and gets route warnings', {
  timeout: 30_000,
}, () => {
  let accepted = 0;
  let refused = 0;
  const { runs } = fuzzLoop('validateConfig', fuzzSeed(1_000), (r, seed) => {
    let input: unknown = VALID();
    for (let i = 1 + r.int(4); i > 0; i--) input = mutateTree(input, r);
    if (r.int(8) === 0) {
      // Through JSON text, as a file would arrive (undefined/NaN disappear or become null).
      const text = JSON.stringify(input) ?? 'null';
      try {
        input = JSON.parse(text);
      } catch {
        input = text;
      }
    }
    const result = validateConfig(input);
    if (!result.ok) {
      assert.ok(Array.isArray(result.errors) && result.errors.length > 0, `seed ${seed}: refused without an error`);
      for (const e of result.errors)
        assert.ok(typeof e.path === 'string' && typeof e.message === 'string' && e.message.length > 0, `seed ${seed}`);
      refused++;
      return;
    }
    accepted++;
    const snapshot = compileSnapshot(result.config, { baseDir: '/tmp' });
    for (const route of snapshot.routes) routeWarnings(route);
  });
  if (process.env.HARDENING_VERBOSE)
    console.log(`validateConfig: ${runs} runs, ${accepted} accepted, ${refused} refused`);
  assert.ok(runs > 1000, `only ${runs} runs`);
  assert.ok(accepted > 0 && refused > 0, `both outcomes (${accepted} accepted, ${refused} refused)`);
});

// Found by the fuzz above (an accepted config whose compile threw); fixed in shared/config.ts, and the store refuses it too.
test('config schema: activeProfile naming an inherited property ("toString") is refused', () => {
  for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
    const r = validateConfig({ profiles: {}, activeProfile: name });
    assert.equal(r.ok, false, name);
  }
});

const NGINX_WORDS = [
  'server',
  'location',
  'proxy_pass',
  'listen',
  'root',
  'index',
  'try_files',
  'add_header',
  'proxy_set_header',
  'return',
  'rewrite',
  'if',
  'map',
  'upstream',
  'include',
  'client_max_body_size',
  'proxy_read_timeout',
  'proxy_http_version',
  'proxy_cookie_path',
  'proxy_cookie_domain',
  'server_name',
  'http',
  'events',
  'autoindex',
  'charset',
  'alias',
  'set',
  'default',
  'always',
  '=',
  '~',
  '~*',
  '^~',
  '/',
  '/api/',
  '$uri',
  '$uri/',
  '/index.html',
  'http://127.0.0.1:3000',
  'http://127.0.0.1:3000/v1/',
  'https://up',
  'http://up',
  '$http_upgrade',
  '$connection_upgrade',
  'upgrade',
  'Upgrade',
  'Connection',
  '"a b"',
  "'c;d'",
  '"${x}"',
  '\\;',
  '15m',
  '90s',
  '0',
  '-1',
  '99999999999999',
  '1.1',
  'on',
  'off',
  '"*"',
  '$http_origin',
  '(',
  ')',
  '$request_method',
  '"OPTIONS"',
  '204',
  '301',
  'x.conf',
  '*.conf',
  'é',
  '#c',
  '"unterminated',
];

/** A random, mostly well-formed nginx config: nested blocks, quoting, includes. */
function nginxText(r: Rng, depth = 0): string {
  let out = '';
  for (let n = 1 + r.int(depth === 0 ? 6 : 4); n > 0; n--) {
    const name = r.pick(NGINX_WORDS);
    const args = Array.from({ length: r.int(4) }, () => r.pick(NGINX_WORDS)).join(' ');
    const roll = r.int(20);
    if (depth < 4 && roll < 6) out += `${name} ${args} {\n${nginxText(r, depth + 1)}}\n`;
    else if (roll === 6)
      out += `${name} ${args}\n`; // missing ";"
    else if (roll === 7) out += r.pick(['}', '{', ';', '"', "'", '\\', '\u0000', '\r']);
    else out += `${name} ${args};\n`;
  }
  return out;
}

test('nginx importer: generated configs with includes give a result or an NginxSyntaxError, nothing else', {
  timeout: 30_000,
}, () => {
  let syntax = 0;
  let sites = 0;
  const { runs } = fuzzLoop('importNginx', fuzzSeed(2_000), (r) => {
    const text = nginxText(r);
    const included = new Map<string, string>();
    const readFile = (path: string): string => {
      if (r.int(6) === 0) throw new Error('unreadable');
      let t = included.get(path);
      if (t === undefined) {
        t = r.int(3) === 0 ? `include ${r.pick(['x.conf', '*.conf', path])};\n${nginxText(r, 2)}` : nginxText(r, 2);
        included.set(path, t);
      }
      return t;
    };
    try {
      const result = importNginx(text, { file: '/etc/nginx/fuzz.conf', readFile });
      sites += result.sites.length;
      for (const site of result.sites) {
        const v = validateConfig(site.config);
        assert.ok(v.ok, `imported config is invalid: ${JSON.stringify(!v.ok && v.errors)}\n--- input ---\n${text}`);
      }
    } catch (err) {
      if (!(err instanceof NginxSyntaxError)) throw err;
      syntax++;
    }
  });
  if (process.env.HARDENING_VERBOSE) console.log(`importNginx: ${runs} runs, ${syntax} syntax errors, ${sites} sites`);
  assert.ok(runs > 200, `only ${runs} runs`);
  assert.ok(syntax > 0 && syntax < runs, `both outcomes (${syntax} syntax errors of ${runs})`);
});

test('HAR importer: a sparse entries array (structured clone over IPC keeps holes) gives BAD_HAR', () => {
  const har = sampleHar() as { log: { entries: unknown[] } };
  delete har.log.entries[1];
  const result = importHar(nullRecorder, har);
  assert.equal(result.ok, false);
});

function sampleHar(): unknown {
  const log = new SessionLog({ capBytes: 8 * 1024 * 1024 });
  log.http(
    httpRecord(log.nextId(), {
      requestBody: Buffer.from('{"a":1}').toString('base64'),
      responseBody: Buffer.from('ok').toString('base64'),
    }),
  );
  log.http(
    httpRecord(log.nextId(), {
      method: 'POST',
      status: 502,
      error: { code: 'ECONNREFUSED', message: 'refused', side: 'backend' },
    }),
  );
  const s = wsRecord(log.nextId(), { state: 'closed' });
  log.ws(s);
  for (let i = 1; i <= 4; i++) {
    const f = i % 2 ? textFrame(s.id, i, `hello ${i}`) : binaryFrame(s.id, i, Buffer.from([i, 0, 255]));
    countFrame(s, f);
    log.frame(f);
  }
  log.ws(s);
  const har = buildHar(log);
  assert.ok(
    har && (har as { log: { entries: unknown[] } }).log.entries.length === 3,
    'the sample HAR has its three entries',
  );
  return JSON.parse(JSON.stringify(har));
}

test('HAR importer: mutated HARs (as objects and as text) import or give BAD_HAR, never throw', {
  timeout: 30_000,
}, () => {
  const base = JSON.stringify(sampleHar());
  let ok = 0;
  let bad = 0;
  const { runs } = fuzzLoop('importHar', fuzzSeed(3_000), (r, seed) => {
    let input: unknown;
    if (r.int(4) === 0) {
      // Text mutations: truncation, byte flips, splices.
      let t = base;
      for (let i = 1 + r.int(3); i > 0; i--) {
        const at = r.int(t.length);
        const op = r.int(3);
        if (op === 0) t = t.slice(0, at);
        else if (op === 1) t = t.slice(0, at) + String.fromCharCode(r.int(128)) + t.slice(at + 1);
        else t = t.slice(0, at) + t.slice(r.int(t.length), r.int(t.length)) + t.slice(at);
      }
      input = t;
    } else {
      input = JSON.parse(base);
      for (let i = 1 + r.int(4); i > 0; i--) input = mutateTree(input, r);
      // Reach into the entries more often than the top level.
      const entries = (input as { log?: { entries?: unknown } })?.log?.entries;
      if (Array.isArray(entries) && entries.length) {
        const i = r.int(entries.length);
        entries[i] = mutateTree(entries[i], r);
      }
    }
    const result = importHar(nullRecorder, input);
    if (result.ok) ok++;
    else {
      assert.equal(result.code, 'BAD_HAR', `seed ${seed}`);
      assert.match(result.message, /^not a valid HAR file: /);
      bad++;
    }
  });
  if (process.env.HARDENING_VERBOSE) console.log(`importHar: ${runs} runs, ${ok} imported, ${bad} BAD_HAR`);
  assert.ok(runs > 500, `only ${runs} runs`);
  assert.ok(ok > 0 && bad > 0, `both outcomes (${ok} imported, ${bad} refused)`);
});
