// Request/response header passes and redirect rewriting, on hand-built requests (no sockets).
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { RouteSchema, type RouteInput } from '../../../shared/config.ts';
import {
  appendHeaders,
  buildRequestHeaders,
  connectionTokens,
  rewriteResponseHeaders,
  type OutgoingHeaders,
} from '../../../main/engine/http/headers.ts';
import { redirectRule, rewriteLocation, rewriteRefresh } from '../../../main/engine/http/redirects.ts';
import { compileRoute, DEFAULTS } from '../../../main/engine/snapshot.ts';

function route(input: RouteInput) {
  return compileRoute(RouteSchema.parse(input), 0, {
    timeouts: DEFAULTS.timeouts,
    maxBodySize: DEFAULTS.maxBodySize,
    cors: undefined,
  });
}

function fakeReq(raw: string[], remoteAddress = '10.1.2.3'): IncomingMessage {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    const v = raw[i + 1]!;
    const cur = headers[k];
    headers[k] =
      cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : k === 'set-cookie' ? [cur, v] : `${cur}, ${v}`;
  }
  return { rawHeaders: raw, headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

/** Flat list → [name, value] pairs with lower-case names for easy lookups. */
function pairs(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
const get = (flat: string[], name: string) =>
  pairs(flat)
    .filter(([k]) => k.toLowerCase() === name)
    .map(([, v]) => v);

describe('buildRequestHeaders', () => {
  it('keeps casing and order, sets Host to the target with changeOrigin', () => {
    const out = buildRequestHeaders(
      fakeReq(['Host', 'localhost:8080', 'X-Custom', 'A', 'accept', '*/*']),
      route({ match: '/', target: 'http://api.test:9000' }),
    );
    assert.deepEqual(out.slice(0, 6), ['Host', 'api.test:9000', 'X-Custom', 'A', 'accept', '*/*']);
  });

  it("keeps the client's Host without changeOrigin", () => {
    const out = buildRequestHeaders(
      fakeReq(['Host', 'localhost:8080']),
      route({ match: '/', target: 'http://api.test:9000', changeOrigin: false }),
    );
    assert.deepEqual(get(out, 'host'), ['localhost:8080']);
  });

  it('omits the default port in Host like $proxy_host', () => {
    const out = buildRequestHeaders(
      fakeReq(['Host', 'localhost:8080']),
      route({ match: '/', target: 'https://api.test:443/x' }),
    );
    assert.deepEqual(get(out, 'host'), ['api.test']);
  });

  it('strips hop-by-hop headers and every header Connection names', () => {
    const req = fakeReq([
      'Host',
      'h',
      'Connection',
      'keep-alive, X-Hop',
      'X-Hop',
      '1',
      'Keep-Alive',
      'timeout=5',
      'Proxy-Authorization',
      'x',
      'Proxy-Connection',
      'y',
      'TE',
      'trailers',
      'Trailer',
      'x',
      'Upgrade',
      'h2c',
      'Expect',
      '100-continue',
      'X-Stay',
      'ok',
    ]);
    const out = buildRequestHeaders(
      req,
      route({
        match: '/',
        target: 'http://b:1',
        forwarded: { realIp: false, forwardedFor: false, forwardedProto: false, forwardedHost: false },
      }),
    );
    assert.deepEqual(pairs(out), [
      ['Host', 'b:1'],
      ['X-Stay', 'ok'],
    ]);
  });

  it('adds X-Real-IP, appends to X-Forwarded-For, sets proto and host, replacing client copies', () => {
    const req = fakeReq([
      'Host',
      'localhost:5173',
      'X-Forwarded-For',
      '1.1.1.1',
      'x-forwarded-for',
      '2.2.2.2',
      'X-Real-IP',
      'spoof',
      'X-Forwarded-Proto',
      'spoof',
    ]);
    const out = buildRequestHeaders(req, route({ match: '/', target: 'http://b:1' }));
    assert.deepEqual(get(out, 'x-real-ip'), ['10.1.2.3']);
    assert.deepEqual(get(out, 'x-forwarded-for'), ['1.1.1.1, 2.2.2.2, 10.1.2.3']);
    assert.deepEqual(get(out, 'x-forwarded-proto'), ['http']);
    assert.deepEqual(get(out, 'x-forwarded-host'), ['localhost:5173']);
  });

  it('leaves client forwarded headers alone when the route turns them off', () => {
    const req = fakeReq(['Host', 'h', 'X-Forwarded-For', '1.1.1.1', 'X-Real-IP', 'client-said']);
    const out = buildRequestHeaders(
      req,
      route({
        match: '/',
        target: 'http://b:1',
        forwarded: { realIp: false, forwardedFor: false, forwardedProto: false, forwardedHost: false },
      }),
    );
    assert.deepEqual(get(out, 'x-forwarded-for'), ['1.1.1.1']);
    assert.deepEqual(get(out, 'x-real-ip'), ['client-said']);
    assert.deepEqual(get(out, 'x-forwarded-host'), []);
  });

  it('applies setHeaders (replace; "" removes) and removeHeaders, also to forwarded ones', () => {
    const req = fakeReq(['Host', 'h', 'Authorization', 'Bearer a', 'Cookie', 'x=1', 'X-Env', 'dev']);
    const out = buildRequestHeaders(
      req,
      route({
        match: '/',
        target: 'http://b:1',
        setHeaders: { 'X-Env': 'staging', Authorization: '', 'X-Real-IP': '9.9.9.9' },
        removeHeaders: ['Cookie', 'X-Forwarded-Host'],
      }),
    );
    assert.deepEqual(get(out, 'x-env'), ['staging']);
    assert.deepEqual(get(out, 'authorization'), []);
    assert.deepEqual(get(out, 'cookie'), []);
    assert.deepEqual(get(out, 'x-forwarded-host'), []);
    assert.deepEqual(get(out, 'x-real-ip'), ['9.9.9.9']);
  });

  it('a Host in setHeaders is the only Host sent, literal or $host (also when the client sent none)', () => {
    const literal = route({ match: '/', target: 'http://b:1', setHeaders: { Host: 'backend' } });
    assert.deepEqual(get(buildRequestHeaders(fakeReq(['Host', 'App:8080']), literal), 'host'), ['backend']);
    assert.deepEqual(get(buildRequestHeaders(fakeReq([]), literal), 'host'), ['backend']);
    const variable = route({ match: '/', target: 'http://b:1', changeOrigin: false, setHeaders: { Host: '$host' } });
    assert.deepEqual(get(buildRequestHeaders(fakeReq(['Host', 'App:8080']), variable), 'host'), ['app']);
  });

  it('rewrites Origin and Referer to the target origin with rewriteOrigin', () => {
    const req = fakeReq([
      'Host',
      'localhost:8080',
      'Origin',
      'http://localhost:8080',
      'Referer',
      'http://localhost:8080/app/page?q=1',
    ]);
    const on = buildRequestHeaders(req, route({ match: '/', target: 'https://api.test/v1', rewriteOrigin: true }));
    assert.deepEqual(get(on, 'origin'), ['https://api.test']);
    assert.deepEqual(get(on, 'referer'), ['https://api.test/app/page?q=1']);
    const off = buildRequestHeaders(req, route({ match: '/', target: 'https://api.test/v1' }));
    assert.deepEqual(get(off, 'origin'), ['http://localhost:8080']);
  });

  it('adds Host when the client sent none (HTTP/1.0) and changeOrigin is on', () => {
    const out = buildRequestHeaders(
      fakeReq(['Accept', '*/*']),
      route({ match: '/', target: 'http://b:1', forwarded: { forwardedHost: false } }),
    );
    assert.deepEqual(out.slice(0, 2), ['Host', 'b:1']);
  });
});

describe('connectionTokens', () => {
  it('splits and lower-cases', () => {
    assert.deepEqual([...connectionTokens('Keep-Alive, X-A ,x-b')!], ['keep-alive', 'x-a', 'x-b']);
    assert.equal(connectionTokens(undefined), null);
  });
});

describe('redirects', () => {
  it('maps target+targetPath back to client origin + matched prefix', () => {
    const rule = redirectRule(route({ match: '/api/', target: 'http://127.0.0.1:9000/v2/' }));
    assert.equal(
      rewriteLocation('http://127.0.0.1:9000/v2/login?x=1', rule, 'http://localhost:8080'),
      'http://localhost:8080/api/login?x=1',
    );
    assert.equal(
      rewriteLocation('http://127.0.0.1:9000/other', rule, 'http://localhost:8080'),
      'http://127.0.0.1:9000/other',
    );
    assert.equal(rewriteLocation('/relative', rule, 'http://localhost:8080'), '/relative');
    assert.equal(
      rewriteLocation('https://elsewhere.test/v2/x', rule, 'http://localhost:8080'),
      'https://elsewhere.test/v2/x',
    );
  });

  it('maps the target root to "/" when the target has no path', () => {
    const rule = redirectRule(route({ match: '/api', target: 'http://127.0.0.1:9000' }));
    assert.equal(
      rewriteLocation('http://127.0.0.1:9000/api/x', rule, 'http://localhost:8080'),
      'http://localhost:8080/api/x',
    );
  });

  it('rewrites the url= part of Refresh', () => {
    const rule = redirectRule(route({ match: '/', target: 'http://b.test' }));
    assert.equal(
      rewriteRefresh('5; url=http://b.test/next', rule, 'http://localhost:1'),
      '5; url=http://localhost:1/next',
    );
    assert.equal(rewriteRefresh("0;URL='http://b.test/n'", rule, 'http://localhost:1'), "0;URL='http://localhost:1/n'");
    assert.equal(rewriteRefresh('5', rule, 'http://localhost:1'), '5');
  });
});

describe('rewriteResponseHeaders', () => {
  it('drops hop-by-hop, rewrites Location and Set-Cookie, keeps the rest', () => {
    const r = route({ match: '/api', target: 'http://127.0.0.1:9000/v1', cookies: { domain: 'remove' } });
    const h: OutgoingHeaders = {
      connection: 'keep-alive, x-hop',
      'x-hop': '1',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'proxy-authenticate': 'Basic',
      location: 'http://127.0.0.1:9000/v1/next',
      'set-cookie': ['a=1; Domain=x.test; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'b=2; Domain=x.test'],
      'content-type': 'text/plain',
    };
    rewriteResponseHeaders(h, r, fakeReq(['Host', 'localhost:8080']));
    assert.deepEqual(h, {
      location: 'http://localhost:8080/api/next',
      'set-cookie': ['a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'b=2'],
      'content-type': 'text/plain',
    });
  });

  it('leaves Location alone when rewriteRedirects is off', () => {
    const h: OutgoingHeaders = { location: 'http://127.0.0.1:9000/x' };
    rewriteResponseHeaders(
      h,
      route({ match: '/', target: 'http://127.0.0.1:9000', rewriteRedirects: false }),
      fakeReq(['Host', 'l:1']),
    );
    assert.equal(h.location, 'http://127.0.0.1:9000/x');
  });

  it('appendHeaders adds next to the backend value instead of replacing it', () => {
    const h: OutgoingHeaders = { 'x-a': '1' };
    appendHeaders(h, [
      ['x-a', '2'],
      ['x-b', '3'],
      ['x-a', '4'],
    ]);
    assert.deepEqual(h, { 'x-a': ['1', '2', '4'], 'x-b': '3' });
  });
});
