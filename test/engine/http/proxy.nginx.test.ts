// Differential test: the same requests through real nginx and through HttpProxy, compared as the backend and client see them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type Backend, type EchoBody } from '../../helpers/backend.ts';
import { freePort, waitFor } from '../../helpers/net.ts';
import { nginxMissing, startNginx, type Nginx } from '../../helpers/nginx.ts';
import { hit, startFront, type Answer, type Front } from '../../helpers/proxy-front.ts';

interface Case {
  name: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Headers whose value the backend received are compared (the rest differ by design: connection, ...). */
const UPSTREAM = [
  'host',
  'x-real-ip',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-custom',
  'te',
  'keep-alive',
  'expect',
  'upgrade',
  'content-length',
];
const CLIENT = ['x-added', 'location', 'refresh', 'set-cookie', 'content-length', 'x-backend'];

const CASES: Case[] = [
  { name: 'plain GET with query', path: '/api/echo?q=1&r=%2F' },
  { name: 'X-Forwarded-For appended', path: '/api/echo', headers: { 'X-Forwarded-For': '10.0.0.1, 10.0.0.2' } },
  {
    name: 'client forwarded headers replaced',
    path: '/api/echo',
    headers: { 'X-Real-IP': 'spoof', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.test' },
  },
  {
    name: 'hop-by-hop TE/Keep-Alive/Upgrade dropped, custom kept',
    path: '/api/echo',
    headers: { TE: 'trailers', 'Keep-Alive': 'timeout=5', 'X-Custom': 'v' },
  },
  { name: 'small POST body', path: '/api/echo', method: 'POST', body: 'x'.repeat(50) },
  { name: 'Content-Length over client_max_body_size', path: '/api/echo', method: 'POST', body: 'x'.repeat(200) },
  {
    name: 'chunked body over client_max_body_size',
    path: '/api/echo',
    method: 'POST',
    headers: { 'Transfer-Encoding': 'chunked' },
    body: 'x'.repeat(200),
  },
  { name: '404 keeps add_header always', path: '/api/status/404' },
  { name: '500 keeps add_header always', path: '/api/status/500' },
  { name: '204', path: '/api/status/204' },
  { name: 'HEAD', path: '/api/big/100', method: 'HEAD' },
  { name: 'redirect into the target path', path: '/api/redirect?to=http://127.0.0.1:BPORT/next%3Fa%3D1' },
  { name: 'redirect to the target root', path: '/api/redirect?to=http://127.0.0.1:BPORT/' },
  { name: 'redirect elsewhere untouched', path: '/api/redirect?to=https://other.test/x' },
  { name: 'relative redirect untouched', path: '/api/redirect?to=/rel' },
  { name: 'cookie domain replaced', path: '/api/cookie' },
  { name: 'read timeout', path: '/api/hang' },
  { name: 'backend reset', path: '/api/reset' },
  { name: 'route without URI part: redirect', path: '/redirect?to=http://127.0.0.1:BPORT/x' },
  { name: 'route without URI part: echo', path: '/plain/echo?z' },
];

function pick(obj: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

describe('HttpProxy vs nginx proxy_pass', { skip: nginxMissing }, () => {
  let backend: Backend;
  let nginx: Nginx;
  let api: Front;
  let root: Front;

  before(async () => {
    backend = await startBackend();
    const b = backend.port;
    const common = {
      addHeaders: { 'X-Added': 'yes' },
      maxBodySize: 100,
      timeouts: { read: '300ms' },
      cookies: { domain: 'localhost' },
    };
    api = await startFront({ match: '/api/', target: `http://127.0.0.1:${b}/`, ...common });
    root = await startFront({ match: '/', target: `http://127.0.0.1:${b}`, ...common });
    const proxyCommon = `
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $proxy_host;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      add_header X-Added yes always;
      client_max_body_size 100;
      proxy_read_timeout 300ms;
      proxy_redirect default;
      proxy_cookie_domain backend.example.com localhost;`;
    nginx = await startNginx(
      await freePort(),
      `
    location /api/ { proxy_pass http://127.0.0.1:${b}/; ${proxyCommon} }
    location / { proxy_pass http://127.0.0.1:${b}; ${proxyCommon} }`,
    );
  });

  after(async () => {
    await nginx?.stop();
    await api?.close();
    await root?.close();
    await backend?.close();
  });

  /** What one request looked like from both ends, with the front's own address normalized away. */
  async function observe(base: string, port: number, c: Case) {
    const before = backend.seen.length;
    const path = c.path.replaceAll('BPORT', String(backend.port));
    let answer: Answer;
    try {
      answer = await hit(base + path, { method: c.method, headers: c.headers, body: c.body });
    } catch (err) {
      return { error: (err as Error).message };
    }
    // nginx answers before the backend handler runs in a few cases: wait for `seen` (at once when it is
    // there); a request that never reaches the backend has no event, so that wait is bounded at ~20 ms.
    await waitFor(() => backend.seen.length > before, 'the backend to see the request', 20).catch(() => {});
    const seen: EchoBody | undefined = backend.seen[before];
    const normalize = (v: unknown) => (typeof v === 'string' ? v.replaceAll(`127.0.0.1:${port}`, 'FRONT') : v);
    const client = pick(answer.headers as Record<string, unknown>, CLIENT);
    if (typeof client.location === 'string')
      client.location = new URL(client.location, `http://127.0.0.1:${port}`).href;
    for (const k of Object.keys(client)) client[k] = normalize(client[k]);
    if (answer.status >= 500 || answer.status === 413) delete client['content-length']; // error page bodies differ
    return {
      status: answer.status,
      upstream: seen && {
        method: seen.method,
        url: seen.url,
        bodyLength: seen.bodyLength,
        headers: Object.fromEntries(
          Object.entries(pick(seen.headers as Record<string, unknown>, UPSTREAM)).map(([k, v]) => [k, normalize(v)]),
        ),
      },
      client,
    };
  }

  for (const c of CASES) {
    it(c.name, async () => {
      const front = c.path.startsWith('/api/') ? api : root;
      const fromNginx = await observe(`http://127.0.0.1:${nginx.port}`, nginx.port, c);
      const fromUs = await observe(front.url, front.port, c);
      assert.ok(!('error' in fromNginx), `nginx request failed: ${JSON.stringify(fromNginx)}`);
      assert.deepEqual(fromUs, fromNginx);
    });
  }
});
