// CORS policy over real HTTP: every origin mode, preflights, private network, backend header merge, Vary.
import assert from 'node:assert/strict';
import {
  createServer,
  request,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import { after, before, describe, test } from 'node:test';
import { answerPreflight, applyCors, corsHeaders, isPreflight, originAllowed } from '../../main/engine/cors.ts';
import { mergeCors } from '../../main/engine/snapshot.ts';
import type { CorsPolicy } from '../../main/engine/types.ts';
import type { CorsInput } from '../../shared/config.ts';
import { validateConfig } from '../../shared/config.ts';
import { close, listen } from '../helpers/net.ts';

/** A policy the way the engine gets it: validated config, then mergeCors defaults. */
function policy(cors: Omit<CorsInput, 'enabled'>): CorsPolicy {
  const r = validateConfig({ cors: { enabled: true, ...cors } });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return mergeCors(r.config.cors, undefined)!;
}

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  raw: string[];
  body: string;
}

/** How many times the response carried a header line (case-insensitive). */
function count(r: Reply, name: string): number {
  let n = 0;
  for (let i = 0; i < r.raw.length; i += 2) if (r.raw[i]!.toLowerCase() === name) n++;
  return n;
}

function acHeaders(r: Reply): string[] {
  return Object.keys(r.headers).filter((k) => k.startsWith('access-control-'));
}

function send(port: number, path: string, headers: OutgoingHttpHeaders = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, raw: res.rawHeaders, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const PREFLIGHT = { 'access-control-request-method': 'PUT' };

/**
 * The server under test: the policy to use is registered per test under a path. Preflights are
 * answered locally; other requests get corsHeaders(). `/proxy/...` paths fetch the backend and
 * pass its headers through applyCors, like the proxy does.
 */
const policies = new Map<string, CorsPolicy>();
let backendHeaders: Record<string, string | string[]> = {};
let backend: Server;
let backendPort: number;
let server: Server;
let port: number;

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url!, 'http://x');
  const name = url.pathname.split('/')[2]!;
  const p = policies.get(name)!;
  if (url.pathname.startsWith('/proxy/')) {
    const up = request({ host: '127.0.0.1', port: backendPort, path: '/', method: 'GET' }, (upRes) => {
      const headers = { ...upRes.headers } as Record<string, string | string[] | number | undefined>;
      applyCors(p, req, headers);
      res.writeHead(upRes.statusCode!, headers as OutgoingHttpHeaders);
      upRes.pipe(res);
    });
    up.end();
    return;
  }
  if (isPreflight(req)) {
    answerPreflight(p, req, res, [['x-extra', 'yes']]);
    return;
  }
  for (const [k, v] of corsHeaders(p, req)) res.appendHeader(k, v);
  res.end(`isPreflight=${isPreflight(req)}`);
}

before(async () => {
  backend = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', ...backendHeaders });
    res.end('backend');
  });
  backendPort = await listen(backend);
  server = createServer(handle);
  port = await listen(server);
});

after(async () => {
  await close(server);
  await close(backend);
});

let seq = 0;
function use(p: CorsPolicy): string {
  const name = `p${++seq}`;
  policies.set(name, p);
  return name;
}

describe('isPreflight', () => {
  test('needs OPTIONS, Origin and Access-Control-Request-Method', async () => {
    const n = use(policy({ origins: '*' }));
    const o = { origin: 'http://a.test' };
    assert.equal((await send(port, `/x/${n}`, { ...o, ...PREFLIGHT }, 'OPTIONS')).status, 204);
    // Missing any one part: an actual request, answered by the handler's body.
    assert.equal((await send(port, `/x/${n}`, o, 'OPTIONS')).body, 'isPreflight=false');
    assert.equal((await send(port, `/x/${n}`, PREFLIGHT, 'OPTIONS')).body, 'isPreflight=false');
    assert.equal((await send(port, `/x/${n}`, { ...o, ...PREFLIGHT }, 'POST')).body, 'isPreflight=false');
  });
});

describe('origins "*"', () => {
  test('answers * without Vary: Origin, with or without an Origin', async () => {
    const n = use(policy({ origins: '*', exposeHeaders: ['X-Total', 'X-Page'] }));
    const r = await send(port, `/x/${n}`, { origin: 'http://a.test' });
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['access-control-expose-headers'], 'X-Total, X-Page');
    assert.equal(r.headers['access-control-allow-credentials'], undefined);
    assert.equal(r.headers.vary, undefined);
    const none = await send(port, `/x/${n}`);
    assert.equal(none.headers['access-control-allow-origin'], '*');
  });

  test('with credentials never *: reflects the Origin, Vary: Origin, Allow-Credentials', async () => {
    const n = use(policy({ origins: '*', credentials: true }));
    const r = await send(port, `/x/${n}`, { origin: 'http://a.test:3000' });
    assert.equal(r.headers['access-control-allow-origin'], 'http://a.test:3000');
    assert.equal(r.headers['access-control-allow-credentials'], 'true');
    assert.equal(r.headers.vary, 'Origin');
    const pre = await send(port, `/x/${n}`, { origin: 'http://b.test', ...PREFLIGHT }, 'OPTIONS');
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'http://b.test');
    assert.equal(pre.headers['access-control-allow-credentials'], 'true');
    assert.match(String(pre.headers.vary), /\bOrigin\b/);
    // Without an Origin there is nothing to reflect, and * is not allowed: no CORS headers.
    assert.deepEqual(acHeaders(await send(port, `/x/${n}`)), []);
  });
});

describe('origins "reflect"', () => {
  test('echoes any Origin with Vary: Origin', async () => {
    const n = use(policy({ origins: 'reflect' }));
    const r = await send(port, `/x/${n}`, { origin: 'https://anything.example' });
    assert.equal(r.headers['access-control-allow-origin'], 'https://anything.example');
    assert.equal(r.headers.vary, 'Origin');
    assert.equal(r.headers['access-control-allow-credentials'], undefined);
  });
});

describe('origins list', () => {
  const list = [
    'https://App.Example.com',
    'http://localhost:3000',
    '*.wild.test',
    'https://*.secure.test',
    'http://dev.test:*',
    'https://std.test:443',
    'null',
  ];
  test('listed origins are echoed (case-insensitive), others get no CORS headers', async () => {
    const n = use(policy({ origins: list, exposeHeaders: ['X-Id'] }));
    const yes = await send(port, `/x/${n}`, { origin: 'https://app.example.com' });
    assert.equal(yes.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(yes.headers['access-control-expose-headers'], 'X-Id');
    assert.equal(yes.headers.vary, 'Origin');
    const upper = await send(port, `/x/${n}`, { origin: 'HTTPS://APP.EXAMPLE.COM' });
    assert.equal(upper.headers['access-control-allow-origin'], 'HTTPS://APP.EXAMPLE.COM');
    for (const origin of [
      'https://evil.test',
      'http://app.example.com',
      'http://localhost:3001',
      'https://app.example.com.evil.test',
    ]) {
      const no = await send(port, `/x/${n}`, { origin });
      assert.deepEqual(acHeaders(no), [], origin);
    }
  });

  test('wildcard host and port entries, default ports, scheme-less entries', () => {
    const p = policy({ origins: list });
    const allowed = [
      'http://a.wild.test',
      'https://a.b.wild.test', // scheme-less: http and https, any depth
      'https://x.secure.test',
      'http://dev.test:5173',
      'http://dev.test',
      'https://std.test', // entry's :443 is the default port
      'null',
    ];
    const refused = [
      'http://wild.test',
      'http://evilwild.test',
      'http://a.wild.test:8080',
      'ftp://a.wild.test',
      'http://x.secure.test',
      'https://secure.test',
      'https://dev.test:5173',
      'https://std.test:8443',
      'http://localhost',
      'https://localhost:3000',
    ];
    for (const o of allowed) assert.equal(originAllowed(p, o), true, o);
    for (const o of refused) assert.equal(originAllowed(p, o), false, o);
    assert.equal(originAllowed(null, 'http://a.wild.test'), false);
    assert.equal(originAllowed(policy({ origins: '*' }), 'https://x.test'), true);
    assert.equal(originAllowed(policy({ origins: ['*'] }), 'https://x.test'), true);
  });

  test('a refused preflight is a 403 without CORS headers, naming the origin', async () => {
    const n = use(policy({ origins: ['https://ok.test'] }));
    const r = await send(port, `/x/${n}`, { origin: 'https://evil.test', ...PREFLIGHT }, 'OPTIONS');
    assert.equal(r.status, 403);
    assert.deepEqual(acHeaders(r), []);
    assert.match(r.body, /https:\/\/evil\.test.*cors\.origins/);
    assert.equal(r.headers['x-extra'], 'yes');
    assert.equal(r.headers.vary, 'Origin');
  });
});

describe('preflight answers', () => {
  test('methods, reflected headers, max age, extra headers, no expose headers', async () => {
    const n = use(
      policy({ origins: ['http://a.test'], methods: ['GET', 'PUT'], maxAge: '2m', exposeHeaders: ['X-Id'] }),
    );
    const r = await send(
      port,
      `/x/${n}`,
      { origin: 'http://a.test', ...PREFLIGHT, 'access-control-request-headers': 'content-type,x-token' },
      'OPTIONS',
    );
    assert.equal(r.status, 204);
    assert.equal(r.headers['access-control-allow-origin'], 'http://a.test');
    assert.equal(r.headers['access-control-allow-methods'], 'GET, PUT');
    assert.equal(r.headers['access-control-allow-headers'], 'content-type,x-token');
    assert.equal(r.headers['access-control-max-age'], '120');
    assert.equal(r.headers['access-control-expose-headers'], undefined);
    assert.equal(r.headers['access-control-allow-credentials'], undefined);
    assert.equal(r.headers.vary, 'Origin, Access-Control-Request-Headers');
    assert.equal(r.headers['x-extra'], 'yes');
    assert.equal(r.headers['content-length'], '0');
    assert.equal(r.body, '');
  });

  test('a header list is sent as is, whatever was asked; defaults come from mergeCors', async () => {
    const n = use(policy({ origins: '*', headers: ['Authorization', 'Content-Type'] }));
    const r = await send(
      port,
      `/x/${n}`,
      { origin: 'http://a.test', ...PREFLIGHT, 'access-control-request-headers': 'x-other' },
      'OPTIONS',
    );
    assert.equal(r.headers['access-control-allow-headers'], 'Authorization, Content-Type');
    assert.equal(r.headers['access-control-allow-methods'], 'GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS');
    assert.equal(r.headers['access-control-max-age'], '600');
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers.vary, undefined);
  });

  test('private network access: only when asked and allowed', async () => {
    const on = use(policy({ origins: '*', privateNetwork: true }));
    const off = use(policy({ origins: '*' }));
    const ask = { origin: 'https://public.example', ...PREFLIGHT, 'access-control-request-private-network': 'true' };
    const yes = await send(port, `/x/${on}`, ask, 'OPTIONS');
    assert.equal(yes.headers['access-control-allow-private-network'], 'true');
    assert.match(String(yes.headers.vary), /Access-Control-Request-Private-Network/);
    const notAsked = await send(port, `/x/${on}`, { origin: 'https://public.example', ...PREFLIGHT }, 'OPTIONS');
    assert.equal(notAsked.headers['access-control-allow-private-network'], undefined);
    const refused = await send(port, `/x/${off}`, ask, 'OPTIONS');
    assert.equal(refused.status, 204);
    assert.equal(refused.headers['access-control-allow-private-network'], undefined);
  });
});

describe('applyCors on backend responses', () => {
  const origin = 'http://front.test';
  test("'replace' strips the backend's CORS headers and adds ours: one Allow-Origin, Vary merged", async () => {
    backendHeaders = {
      'access-control-allow-origin': ['https://backend.test', '*'],
      'access-control-allow-methods': 'GET',
      'access-control-allow-credentials': 'true',
      vary: 'Accept-Encoding, origin',
    };
    const n = use(policy({ origins: 'reflect', exposeHeaders: ['X-Id'] }));
    const r = await send(port, `/proxy/${n}`, { origin });
    assert.equal(r.body, 'backend');
    assert.equal(count(r, 'access-control-allow-origin'), 1);
    assert.equal(r.headers['access-control-allow-origin'], origin);
    assert.equal(r.headers['access-control-allow-methods'], undefined);
    assert.equal(r.headers['access-control-allow-credentials'], undefined);
    assert.equal(r.headers['access-control-expose-headers'], 'X-Id');
    assert.equal(count(r, 'vary'), 1);
    assert.equal(r.headers.vary, 'Accept-Encoding, origin');
  });

  test("'replace' with a refused origin leaves no CORS header but still varies on Origin", async () => {
    backendHeaders = { 'access-control-allow-origin': '*', vary: 'Accept-Encoding' };
    const n = use(policy({ origins: ['https://ok.test'] }));
    const r = await send(port, `/proxy/${n}`, { origin: 'https://evil.test' });
    assert.deepEqual(acHeaders(r), []);
    assert.equal(r.headers.vary, 'Accept-Encoding, Origin');
  });

  test("'keep' keeps the backend's Allow-Origin (first one only) and adds none of ours", async () => {
    backendHeaders = {
      'access-control-allow-origin': ['https://backend.test', 'https://second.test'],
      'access-control-max-age': '5',
    };
    const n = use(policy({ origins: 'reflect', backendHeaders: 'keep', credentials: true }));
    const r = await send(port, `/proxy/${n}`, { origin });
    assert.equal(count(r, 'access-control-allow-origin'), 1);
    assert.equal(r.headers['access-control-allow-origin'], 'https://backend.test');
    assert.equal(r.headers['access-control-allow-credentials'], undefined);
    assert.equal(r.headers['access-control-max-age'], '5');
  });

  test("'keep' adds ours when the backend sent no Allow-Origin; credentials never with *", async () => {
    backendHeaders = { 'access-control-expose-headers': 'X-Backend', vary: '*' };
    const n = use(policy({ origins: '*', credentials: true, backendHeaders: 'keep' }));
    const r = await send(port, `/proxy/${n}`, { origin });
    assert.equal(count(r, 'access-control-allow-origin'), 1);
    assert.equal(r.headers['access-control-allow-origin'], origin);
    assert.equal(r.headers['access-control-allow-credentials'], 'true');
    assert.equal(r.headers['access-control-expose-headers'], 'X-Backend');
    assert.equal(r.headers.vary, '*');
  });

  test("a forwarded preflight gets our whole preflight answer under 'replace'", async () => {
    backendHeaders = {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET',
      vary: 'Accept-Encoding',
    };
    const n = use(policy({ origins: 'reflect', methods: ['GET', 'DELETE'], preflight: 'forward', maxAge: 30 }));
    const r = await send(
      port,
      `/proxy/${n}`,
      { origin, ...PREFLIGHT, 'access-control-request-headers': 'x-token' },
      'OPTIONS',
    );
    assert.equal(count(r, 'access-control-allow-origin'), 1);
    assert.equal(r.headers['access-control-allow-origin'], origin);
    assert.equal(r.headers['access-control-allow-methods'], 'GET, DELETE');
    assert.equal(r.headers['access-control-allow-headers'], 'x-token');
    assert.equal(r.headers['access-control-max-age'], '30');
    assert.equal(r.headers.vary, 'Accept-Encoding, Origin, Access-Control-Request-Headers');
  });

  test("a Node-joined duplicate Allow-Origin string is cut to its first value under 'keep'", () => {
    const headers: Record<string, string | string[] | number | undefined> = {
      'access-control-allow-origin': 'https://a.test, https://b.test',
    };
    const req = { headers: { origin } } as unknown as IncomingMessage;
    applyCors(policy({ origins: '*', backendHeaders: 'keep' }), req, headers);
    assert.equal(headers['access-control-allow-origin'], 'https://a.test');
  });
});
