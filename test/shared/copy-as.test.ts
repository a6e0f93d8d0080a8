// "Copy as" (issue #17): the generated curl lines run in bash and sh against a real server, which must
// receive exactly the logged method, path, headers and body bytes; fetch code runs in Node; HTTPie and
// websocat lines (tools not installed here) are checked for their words.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { toCurl, toFetch, toHttpie, toWebsocat } from '../../shared/copy-as.ts';
import type { HttpRecord, WsSessionRecord } from '../../shared/events.ts';

interface Seen {
  method: string;
  path: string;
  headers: [string, string][];
  body: Buffer;
}

let server: Server;
let origin = '';
const seen: Seen[] = [];
const waiting: ((s: Seen) => void)[] = [];

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
      const s = { method: req.method!, path: req.url!, headers, body: Buffer.concat(chunks) };
      const w = waiting.shift();
      if (w) w(s);
      else seen.push(s);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

function nextRequest(): Promise<Seen> {
  const s = seen.shift();
  return s ? Promise.resolve(s) : new Promise((r) => waiting.push(r));
}

function run(shell: string, line: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(shell, ['-c', `${line} --silent --show-error --max-time 10`], (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

function record(over: Partial<HttpRecord>): HttpRecord {
  return {
    kind: 'http',
    id: 1,
    startedAt: 0,
    method: 'GET',
    url: '/',
    host: 'localhost:8080',
    clientAddress: '127.0.0.1',
    handler: 'proxy',
    timings: {},
    bytesIn: 0,
    bytesOut: 0,
    requestHeaders: {},
    ...over,
  } as HttpRecord;
}

/** The server's headers minus the ones every client sets itself. */
const own = (s: Seen, drop = ['host', 'content-length']) => s.headers.filter(([n]) => !drop.includes(n.toLowerCase()));

test('curl: awkward text body, quoting in headers and URL, hop-by-hop dropped (bash)', async () => {
  const text = `it's "quoted"\nline two $HOME \`whoami\` \\n é ✓ 🙂 @notafile %s`;
  const r = record({
    method: 'POST',
    url: '/orig',
    target: `${origin}/api/it's?q=$x&b=[1]{2}&t=\`id\``,
    upstreamHeaders: {
      Host: new URL(origin).host,
      'X-Quote': `a 'b' "c" $d \`e\``,
      'Content-Type': 'text/plain; charset=utf-8',
      Cookie: ['a=1', 'b=2'],
      Connection: 'keep-alive',
      'Content-Length': '999',
      'Transfer-Encoding': 'chunked',
      'X-Empty': '',
    },
    requestBody: Buffer.from(text).toString('base64'),
  });
  const line = toCurl(r);
  assert.doesNotMatch(line, /Content-Length|Transfer-Encoding|Connection/i);
  const [out, s] = await Promise.all([run('bash', line), nextRequest()]);
  assert.equal(out, 'ok');
  assert.equal(s.method, 'POST');
  assert.equal(s.path, "/api/it's?q=$x&b=[1]{2}&t=`id`");
  assert.deepEqual(own(s), [
    ['X-Quote', `a 'b' "c" $d \`e\``],
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Cookie', 'a=1'],
    ['Cookie', 'b=2'],
    ['X-Empty', ''],
  ]);
  assert.equal(s.body.toString('utf8'), text);
  assert.equal(s.headers.find(([n]) => n.toLowerCase() === 'content-length')?.[1], String(Buffer.byteLength(text)));
});

test('curl: binary body with NUL, 0xFF, quote, percent and backslash is piped through printf (bash and sh)', async () => {
  const bytes = Buffer.from([0, 0xff, 0x27, 0x25, 0x73, 0x5c, 0x6e, 0x0a, 0x31, 0x32, 0x00, 0x37, 0x80, 0xfe]);
  const r = record({
    method: 'PUT',
    url: '/bin',
    target: `${origin}/bin`,
    upstreamHeaders: { 'Content-Type': 'application/octet-stream' },
    requestBody: bytes.toString('base64'),
  });
  const line = toCurl(r);
  assert.match(line, /^printf '.*' \| curl -X PUT /);
  for (const shell of ['bash', 'sh']) {
    const [, s] = await Promise.all([run(shell, line), nextRequest()]);
    assert.equal(s.method, 'PUT');
    assert.deepEqual(own(s), [['Content-Type', 'application/octet-stream']], shell);
    assert.deepEqual([...s.body], [...bytes], shell);
  }
});

test('curl: a Host the backend saw that differs from the URL is kept; no target means the request to Loopgate', async () => {
  const port = new URL(origin).port;
  const named = record({ target: `${origin}/x`, upstreamHeaders: { Host: 'app.example.test', Accept: '*/*' } });
  const [, s1] = await Promise.all([run('bash', toCurl(named)), nextRequest()]);
  assert.deepEqual(own(s1, ['content-length']), [
    ['Host', 'app.example.test'],
    ['Accept', '*/*'],
  ]);

  // Loopgate answered itself (no target): the client's request to Loopgate, with the client's headers.
  const local = record({
    method: 'DELETE',
    url: '/local?a=1',
    host: `127.0.0.1:${port}`,
    requestHeaders: { host: `127.0.0.1:${port}`, 'user-agent': 'tester/1' },
  });
  const line = toCurl(local);
  assert.match(line, /-X DELETE/);
  const [, s2] = await Promise.all([run('bash', line), nextRequest()]);
  assert.equal(s2.method, 'DELETE');
  assert.equal(s2.path, '/local?a=1');
  assert.deepEqual(own(s2), [['user-agent', 'tester/1']]);
  assert.equal(s2.body.length, 0);
});

test('curl: HEAD uses --head; a truncated body says so in a comment', async () => {
  const head = toCurl(record({ method: 'HEAD', target: `${origin}/h` }));
  assert.match(head, /^curl --head /);
  const cut = toCurl(
    record({ method: 'POST', target: `${origin}/t`, requestBody: 'YWJj', requestBodyTruncated: true }),
  );
  assert.match(cut, /^# Only the first bytes/);
  const [, s] = await Promise.all([run('bash', cut), nextRequest()]);
  assert.equal(s.body.toString(), 'abc');
});

test('fetch: the generated call runs in Node and sends the same method, path, headers and body', async () => {
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  const text = `it's "q"\n$x \`y\` ✓`;
  const code = toFetch(
    record({
      method: 'PATCH',
      target: `${origin}/f?x=1`,
      upstreamHeaders: { Host: 'other.test', 'X-A': `"'`, Cookie: ['a=1', 'b=2'], Connection: 'close' },
      requestBody: Buffer.from(text).toString('base64'),
    }),
  );
  assert.match(code, /^\/\/ Not settable from fetch: Host: other.test/);
  const [, s] = await Promise.all([new AsyncFunction(code)(), nextRequest()]);
  assert.equal(s.method, 'PATCH');
  assert.equal(s.path, '/f?x=1');
  assert.equal(s.headers.find(([n]) => n.toLowerCase() === 'x-a')?.[1], `"'`);
  assert.equal(s.headers.find(([n]) => n.toLowerCase() === 'cookie')?.[1], 'a=1; b=2');
  assert.equal(s.body.toString('utf8'), text);

  const bytes = Buffer.from([0, 0xff, 0x10, 0x80]);
  const bin = toFetch(record({ method: 'POST', target: `${origin}/b`, requestBody: bytes.toString('base64') }));
  const [, s2] = await Promise.all([new AsyncFunction(bin)(), nextRequest()]);
  assert.deepEqual([...s2.body], [...bytes]);
});

test('HTTPie: method, URL, headers as items, text as --raw, binary piped', () => {
  const line = toHttpie(
    record({
      method: 'POST',
      target: 'http://127.0.0.1:9/p',
      upstreamHeaders: { 'X-Q': "it's", 'X-Empty': '', Connection: 'close' },
      requestBody: Buffer.from('a\nb').toString('base64'),
    }),
  );
  assert.equal(line, `http --raw='a\nb' POST http://127.0.0.1:9/p 'X-Q:it'\\''s' 'X-Empty;'`);
  const bin = toHttpie(record({ method: 'PUT', target: 'http://127.0.0.1:9/b', requestBody: 'AP8=' }));
  assert.equal(bin, `printf '\\000\\377' | http PUT http://127.0.0.1:9/b`);
});

test('websocat: target URL, custom headers, subprotocol; handshake headers left to websocat', () => {
  const s = {
    kind: 'ws',
    url: '/ws',
    host: 'localhost:8080',
    target: 'ws://127.0.0.1:9/socket?t=1',
    requestHeaders: {},
    upstreamHeaders: {
      Host: '127.0.0.1:9',
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': 'abc==',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Protocol': 'chat',
      Cookie: "s='1'",
    },
  } as unknown as WsSessionRecord;
  assert.equal(toWebsocat(s), `websocat --protocol chat -H 'Cookie: s='\\''1'\\''' 'ws://127.0.0.1:9/socket?t=1'`);
  const local = toWebsocat({ ...s, target: undefined, requestHeaders: { origin: 'http://x' } });
  assert.equal(local, `websocat -H 'origin: http://x' ws://localhost:8080/ws`);
});
