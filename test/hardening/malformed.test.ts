// Hardening: malformed HTTP over raw sockets, differential against real nginx (what the backend saw), header floods, bad WebSocket handshakes and frames.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startBackend, type Backend } from '../helpers/backend.ts';
import { rawExchange, startEngine, tcpHandles, type RawAnswer, type RunningEngine } from '../helpers/hardening.ts';
import { freePort, sleep, waitFor } from '../helpers/net.ts';
import { nginxMissing, startNginx, type Nginx } from '../helpers/nginx.ts';

const H = 'Host: 127.0.0.1\r\n';
const CHUNKED = 'Transfer-Encoding: chunked\r\n';

/**
 * The raw corpus. Each case is written for a unique path prefix `p` so that concurrent cases can be
 * told apart in what the backend saw. `bad`: Loopgate must forward nothing and answer >= 400 or close.
 * `ok`: a valid request both must forward identically.
 */
const CASES: Array<{ name: string; kind: 'bad' | 'ok' | 'either'; raw: (p: string) => string }> = [
  { name: 'plain GET', kind: 'ok', raw: (p) => `GET ${p} HTTP/1.1\r\n${H}\r\n` },
  { name: 'pipelined GETs', kind: 'ok', raw: (p) => `GET ${p}/1 HTTP/1.1\r\n${H}\r\nGET ${p}/2 HTTP/1.1\r\n${H}\r\n` },
  {
    name: 'GET with a body then a pipelined GET',
    kind: 'ok',
    raw: (p) => `GET ${p} HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhelloGET ${p}/b HTTP/1.1\r\n${H}\r\n`,
  },
  {
    name: 'chunked with an extension',
    kind: 'ok',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}${CHUNKED}\r\n5;foo=bar\r\nhello\r\n0\r\n\r\n`,
  },
  {
    name: 'TE CHUNKED upper case',
    kind: 'ok',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Transfer-Encoding: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  },
  {
    name: 'chunked with trailers',
    kind: 'either',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}${CHUNKED}\r\n5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n`,
  },
  // Smuggling: CL.TE / TE.CL / CL.CL and friends, each with a request hidden behind the first.
  {
    name: 'CL + TE',
    kind: 'bad',
    raw: (p) =>
      `POST ${p} HTTP/1.1\r\n${H}Content-Length: 6\r\n${CHUNKED}\r\n0\r\n\r\nGET ${p}/smuggled HTTP/1.1\r\n${H}\r\n`,
  },
  {
    name: 'TE + CL',
    kind: 'bad',
    raw: (p) =>
      `POST ${p} HTTP/1.1\r\n${H}${CHUNKED}Content-Length: 40\r\n\r\n0\r\n\r\nGET ${p}/smuggled HTTP/1.1\r\n${H}\r\n`,
  },
  {
    name: 'CL + CL differing',
    kind: 'bad',
    raw: (p) =>
      `POST ${p} HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 40\r\n\r\nhelloGET ${p}/smuggled HTTP/1.1\r\n${H}\r\n`,
  },
  {
    name: 'CL + CL equal',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`,
  },
  { name: 'CL list "5, 5"', kind: 'bad', raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\nhello` },
  { name: 'CL negative', kind: 'bad', raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\nhello` },
  { name: 'CL with a plus', kind: 'bad', raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nhello` },
  { name: 'CL in hex', kind: 'bad', raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Content-Length: 0x5\r\n\r\nhello` },
  { name: 'CL "5 5"', kind: 'bad', raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Content-Length: 5 5\r\n\r\nhello` },
  {
    name: 'CL overflowing 64 bits',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Content-Length: 99999999999999999999999\r\n\r\nhello`,
  },
  {
    name: 'TE xchunked',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  },
  {
    name: 'TE with a space before the colon',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  },
  {
    name: 'TE chunked + TE identity',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}${CHUNKED}Transfer-Encoding: identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  },
  {
    name: 'TE "chunked, identity"',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  },
  {
    name: 'TE "identity, chunked"',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Transfer-Encoding: identity, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  },
  {
    name: 'TE "gzip, chunked"',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  },
  {
    name: 'TE line folded',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}X: y\r\n Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  },
  {
    name: 'TE as the first header, indented',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n ${CHUNKED}${H}\r\n5\r\nhello\r\n0\r\n\r\n`,
  },
  {
    name: 'TE on HTTP/1.0',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.0\r\n${H}${CHUNKED}\r\n5\r\nhello\r\n0\r\n\r\n`,
  },
  {
    name: 'chunk size negative',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}${CHUNKED}\r\n-5\r\nhello\r\n0\r\n\r\n`,
  },
  {
    name: 'chunk size overflowing',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}${CHUNKED}\r\nFFFFFFFFFFFFFFFFF1\r\nhello\r\n0\r\n\r\n`,
  },
  {
    name: 'chunk size 0x5',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}${CHUNKED}\r\n0x5\r\nhello\r\n0\r\n\r\n`,
  },
  {
    name: 'chunk shorter than its data',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}${CHUNKED}\r\n3\r\nhello\r\n0\r\n\r\nGET ${p}/smuggled HTTP/1.1\r\n${H}\r\n`,
  },
  {
    name: 'chunk data without CRLF',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}${CHUNKED}\r\n5\r\nhelloX0\r\n\r\n`,
  },
  {
    name: 'chunk lines with bare LF',
    kind: 'either',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}${CHUNKED}\r\n5\nhello\n0\n\n`,
  },
  {
    name: 'chunk size with a trailing space',
    kind: 'either',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}${CHUNKED}\r\n5 \r\nhello\r\n0\r\n\r\n`,
  },
  // Request lines.
  { name: 'HTTP/0.9 request line', kind: 'either', raw: (p) => `GET ${p}\r\n\r\n` },
  { name: 'two spaces after the method', kind: 'either', raw: (p) => `GET  ${p} HTTP/1.1\r\n${H}\r\n` },
  { name: 'HTTP/9.9', kind: 'bad', raw: (p) => `GET ${p} HTTP/9.9\r\n${H}\r\n` },
  { name: 'HTTP/2.0 preface', kind: 'bad', raw: () => `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` },
  { name: 'bad method characters', kind: 'bad', raw: (p) => `G@T ${p} HTTP/1.1\r\n${H}\r\n` },
  { name: 'space in the target', kind: 'bad', raw: (p) => `GET ${p} b HTTP/1.1\r\n${H}\r\n` },
  { name: 'target without a slash', kind: 'bad', raw: (p) => `GET ${p.slice(1)} HTTP/1.1\r\n${H}\r\n` },
  { name: 'binary garbage', kind: 'bad', raw: () => `\x00\x01\x02\xff\r\n\r\n` },
  { name: 'junk after the version', kind: 'bad', raw: (p) => `GET ${p} HTTP/1.1 x\r\n${H}\r\n` },
  { name: 'bare CR line end', kind: 'bad', raw: (p) => `GET ${p} HTTP/1.1\r${H}\r\n` },
  { name: 'bare LF line ends', kind: 'either', raw: (p) => `GET ${p} HTTP/1.1\n${H.replace('\r', '')}\n` },
  {
    name: 'absolute-form target, foreign Host',
    kind: 'either',
    raw: (p) => `GET http://127.0.0.1${p} HTTP/1.1\r\nHost: evil.example\r\n\r\n`,
  },
  { name: 'TRACE', kind: 'bad', raw: (p) => `TRACE ${p} HTTP/1.1\r\n${H}\r\n` },
  { name: 'CONNECT', kind: 'bad', raw: () => `CONNECT 127.0.0.1:22 HTTP/1.1\r\n${H}\r\n` },
  // Headers.
  { name: 'header line without a colon', kind: 'either', raw: (p) => `GET ${p} HTTP/1.1\r\n${H}Nocolon\r\n\r\n` },
  { name: 'space in a header name', kind: 'bad', raw: (p) => `GET ${p} HTTP/1.1\r\n${H}Bad Name: x\r\n\r\n` },
  { name: 'control byte in a value', kind: 'bad', raw: (p) => `GET ${p} HTTP/1.1\r\n${H}X: a\x01b\r\n\r\n` },
  { name: 'NUL in a value', kind: 'bad', raw: (p) => `GET ${p} HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n` },
  { name: 'two Host headers', kind: 'bad', raw: (p) => `GET ${p} HTTP/1.1\r\n${H}Host: evil.example\r\n\r\n` },
  { name: 'no Host on HTTP/1.1', kind: 'bad', raw: (p) => `GET ${p} HTTP/1.1\r\n\r\n` },
  {
    name: 'Expect: 100-continue',
    kind: 'ok',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello`,
  },
  {
    name: 'huge header (20 KiB)',
    kind: 'bad',
    raw: (p) => `GET ${p} HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
  },
  {
    name: 'header flood (5,000 headers, 60 KiB)',
    kind: 'bad',
    raw: (p) => `GET ${p} HTTP/1.1\r\n${H}${'X-F: 0123456\r\n'.repeat(5000)}\r\n`,
  },
  {
    name: 'huge request line (20 KiB)',
    kind: 'bad',
    raw: (p) => `GET ${p}/${'a'.repeat(20 * 1024)} HTTP/1.1\r\n${H}\r\n`,
  },
  {
    name: 'body over client_max_body_size',
    kind: 'bad',
    raw: (p) => `POST ${p} HTTP/1.1\r\n${H}Content-Length: 2000000\r\n\r\n${'a'.repeat(1000)}`,
  },
];

/**
 * Loopgate forwards these and nginx 1.22 refuses them; each is reasoned, not smuggling: Loopgate
 * decodes the body and sends the backend exactly one request with its own framing.
 */
const KNOWN_WIDER: Record<string, (p: string) => string> = {
  // RFC 9110 OWS includes HTAB; nginx only skips spaces and answers 501. Node strips the tab before we see it.
  'TE with a tab before the value': (p) =>
    `POST ${p} HTTP/1.1\r\n${H}Transfer-Encoding:\tchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
};

interface Outcome {
  answer: RawAnswer;
  seen: string[];
}

describe('malformed HTTP: Loopgate forwards nothing nginx would not (differential, raw sockets)', {
  skip: nginxMissing,
}, () => {
  let forNginx: Backend;
  let forLoopgate: Backend;
  let nginx: Nginx;
  let lg: RunningEngine;
  let baseline: number;
  /** Unique path prefixes across runs (the backends keep what they saw). */
  let counter = 0;

  before(async () => {
    baseline = tcpHandles();
    forNginx = await startBackend();
    forLoopgate = await startBackend();
    const port = await freePort();
    nginx = await startNginx(
      port,
      `location / { proxy_pass ${forNginx.url}; proxy_http_version 1.1; proxy_set_header Connection ""; }`,
    );
    lg = await startEngine({ routes: [{ match: '/', target: forLoopgate.url }] });
  });

  after(async () => {
    await lg.stop();
    await nginx.stop();
    await forNginx.close();
    await forLoopgate.close();
    await waitFor(() => tcpHandles() <= baseline, `TCP handles back to ${baseline} (now ${tcpHandles()})`, 10_000);
  });

  /** Send every case to both proxies (8 at a time) and collect what each backend saw for it. */
  async function runAll(
    cases: Array<{ name: string; raw: (p: string) => string }>,
  ): Promise<Map<string, { nginx: Outcome; loopgate: Outcome }>> {
    const out = new Map<string, { nginx: Outcome; loopgate: Outcome }>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < cases.length) {
          const c = cases[next++]!;
          const p = `/c${counter++}x`;
          const data = c.raw(p);
          const [a, b] = await Promise.all([
            rawExchange(nginx.port, data, { idleMs: 500 }),
            rawExchange(lg.port, data, { idleMs: 500 }),
          ]);
          // A grace for what may still reach a backend after both answers (a smuggled second request): no
          // event marks "nothing more will come", so this stays a short sleep.
          await sleep(100);
          const pick = (backend: Backend) =>
            backend.seen.filter((s) => s.url.startsWith(p)).map((s) => `${s.method} ${s.url} ${s.body}`);
          out.set(c.name, {
            nginx: { answer: a, seen: pick(forNginx) },
            loopgate: { answer: b, seen: pick(forLoopgate) },
          });
        }
      }),
    );
    return out;
  }

  test(`${CASES.length} raw cases: what reaches the backend through Loopgate is a subset of what nginx forwards`, {
    timeout: 60_000,
  }, async () => {
    const results = await runAll(CASES);
    const report: string[] = [];
    for (const c of CASES) {
      const r = results.get(c.name)!;
      const line = `${c.name}: nginx [${r.nginx.answer.statuses}] ${r.nginx.seen.length} fwd | loopgate [${r.loopgate.answer.statuses}] ${r.loopgate.seen.length} fwd`;
      report.push(line);
      for (const s of r.loopgate.seen)
        assert.ok(
          r.nginx.seen.includes(s),
          `${c.name}: Loopgate forwarded ${JSON.stringify(s)}, nginx did not (${line})`,
        );
      assert.ok(
        !r.loopgate.seen.some((s) => s.includes('/smuggled')),
        `${c.name}: a smuggled request reached the backend`,
      );
      if (c.kind === 'bad') {
        assert.deepEqual(r.loopgate.seen, [], `${c.name}: nothing may be forwarded`);
        const first = r.loopgate.answer.statuses[0];
        assert.ok(
          first === undefined ? r.loopgate.answer.closed : first >= 400,
          `${c.name}: a clear 4xx/5xx or a close (${line})`,
        );
        if (first !== undefined && first >= 400)
          assert.equal(r.loopgate.answer.statuses.length, 1, `${c.name}: one answer only`);
      }
      if (c.kind === 'ok') assert.deepEqual(r.loopgate.seen, r.nginx.seen, `${c.name}: the same requests as nginx`);
    }
    if (process.env.HARDENING_VERBOSE) console.log(report.join('\n'));
    // Sanity: the differential saw forwarding at all (valid cases reached both backends).
    assert.ok(results.get('pipelined GETs')!.nginx.seen.length === 2);
  });

  test('documented wider cases forward exactly one request, never a smuggled one', async () => {
    const results = await runAll(Object.entries(KNOWN_WIDER).map(([name, raw]) => ({ name, raw })));
    for (const [name, r] of results) {
      assert.equal(r.nginx.seen.length, 0, `${name}: nginx still refuses it (else drop it from KNOWN_WIDER)`);
      assert.equal(r.loopgate.seen.length, 1, name);
      assert.match(r.loopgate.seen[0]!, /^POST \/c\d+x hello$/);
    }
  });
});

describe('malformed WebSocket handshakes and frames', () => {
  let backend: Backend;
  let lg: RunningEngine;
  let baseline: number;

  before(async () => {
    baseline = tcpHandles();
    backend = await startBackend();
    lg = await startEngine({
      routes: [
        { match: '/ws', target: backend.url, ws: true },
        { match: '/', target: backend.url },
      ],
    });
  });

  after(async () => {
    await lg.stop();
    await backend.close();
    await waitFor(() => tcpHandles() <= baseline, `TCP handles back to ${baseline} (now ${tcpHandles()})`, 10_000);
  });

  const head = (lines: string[]) => `GET /ws HTTP/1.1\r\n${H}${lines.map((l) => `${l}\r\n`).join('')}\r\n`;
  const KEY = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==';

  test('bad handshakes get a clean refusal (never a 101), and nothing stays open', async () => {
    const cases: Array<[string, string]> = [
      ['missing key', head(['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13'])],
      [
        'empty key',
        head(['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: ', 'Sec-WebSocket-Version: 13']),
      ],
      [
        'short key',
        head(['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: abc', 'Sec-WebSocket-Version: 13']),
      ],
      ['bad version 7', head(['Upgrade: websocket', 'Connection: Upgrade', KEY, 'Sec-WebSocket-Version: 7'])],
      ['bad version "x"', head(['Upgrade: websocket', 'Connection: Upgrade', KEY, 'Sec-WebSocket-Version: x'])],
      ['no version', head(['Upgrade: websocket', 'Connection: Upgrade', KEY])],
      ['Upgrade: h2c', head(['Upgrade: h2c', 'Connection: Upgrade', KEY, 'Sec-WebSocket-Version: 13'])],
      ['Upgrade: foo', head(['Upgrade: foo', 'Connection: Upgrade'])],
      [
        'POST upgrade',
        head(['Upgrade: websocket', 'Connection: Upgrade', KEY, 'Sec-WebSocket-Version: 13']).replace('GET', 'POST'),
      ],
      [
        'HTTP/1.0 upgrade',
        head(['Upgrade: websocket', 'Connection: Upgrade', KEY, 'Sec-WebSocket-Version: 13']).replace(
          'HTTP/1.1',
          'HTTP/1.0',
        ),
      ],
      [
        'Upgrade: websocket twice',
        head(['Upgrade: websocket, websocket', 'Connection: Upgrade', KEY, 'Sec-WebSocket-Version: 13']),
      ],
    ];
    const before = backend.sockets.length;
    for (const [name, data] of cases) {
      const a = await rawExchange(lg.port, data, { idleMs: 600 });
      assert.ok(!a.statuses.includes(101), `${name}: got a 101`);
      assert.ok(a.statuses.length > 0 ? a.statuses[0]! >= 400 : a.closed, `${name}: ${a.text.slice(0, 200)}`);
    }
    assert.equal(backend.sockets.length, before, 'the backend accepted no WebSocket');
    // Upgrade without "Connection: upgrade" is a plain request (as in nginx): proxied as HTTP, no 101.
    const plain = await rawExchange(
      lg.port,
      head(['Upgrade: websocket', KEY, 'Sec-WebSocket-Version: 13', 'Connection: close']),
      { idleMs: 600 },
    );
    assert.ok(!plain.statuses.includes(101));
    assert.ok(plain.statuses.length === 1 && plain.statuses[0]! < 500, plain.text.slice(0, 200));
    await waitFor(() => lg.engine.tunnels.openIds.length === 0, 'no tunnel left open');
  });

  /** Open a raw tunnel through Loopgate to the ws backend, write `frame`, and see how it ends. */
  async function abuse(frame: Buffer): Promise<{ closed: boolean; closeCode: number | undefined }> {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const a = await rawExchange(
      lg.port,
      [
        head(['Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13']),
        frame,
      ],
      {
        idleMs: 3000,
        maxMs: 8000,
        gapMs: 100,
      },
    );
    assert.equal(a.statuses[0], 101);
    const body = a.bytes.subarray(a.bytes.indexOf('\r\n\r\n') + 4);
    // The backend's close frame (opcode 8), if it sent one: its code is the first two payload bytes.
    const closeCode = body.length >= 4 && (body[0]! & 0x0f) === 8 ? body.readUInt16BE(2) : undefined;
    return { closed: a.closed, closeCode };
  }

  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = (b0: number, payload: Buffer) => {
    const len = payload.length;
    const hdr = len < 126 ? Buffer.from([b0, 0x80 | len]) : Buffer.from([b0, 0x80 | 126, len >> 8, len & 255]);
    return Buffer.concat([hdr, mask, Buffer.from(payload.map((v, i) => v ^ mask[i % 4]!))]);
  };

  test('abusive frames (oversized control, bad opcodes, unmasked, RSV bits, 2^63 length) are closed by the backend and the engine survives', {
    timeout: 60_000,
  }, async () => {
    const frames: Array<[string, Buffer]> = [
      ['ping with a 200-byte payload', masked(0x89, Buffer.alloc(200, 1))],
      ['fragmented close', masked(0x08, Buffer.from([3, 232]))],
      ['opcode 3', masked(0x83, Buffer.from('x'))],
      ['opcode 0xB', masked(0x8b, Buffer.from('x'))],
      ['continuation with nothing to continue', masked(0x80, Buffer.from('x'))],
      ['unmasked text frame', Buffer.from([0x81, 0x02, 0x68, 0x69])],
      ['RSV1 without an extension', masked(0xc1, Buffer.from('hi'))],
      ['2^63 payload length', Buffer.concat([Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0]), mask])],
      ['invalid UTF-8 text', masked(0x81, Buffer.from([0xff, 0xfe]))],
      ['close with code 999', masked(0x88, Buffer.from([0x03, 0xe7]))],
    ];
    for (const [name, frame] of frames) {
      const r = await abuse(frame);
      assert.equal(r.closed, true, `${name}: the connection was closed`);
      if (r.closeCode !== undefined)
        assert.ok(r.closeCode >= 1002 && r.closeCode <= 1009, `${name}: close code ${r.closeCode}`);
    }
    await waitFor(() => lg.engine.tunnels.openIds.length === 0, 'every abused tunnel closed', 10_000);
    // The engine still tunnels a well-behaved client.
    const ws = new WebSocket(`ws://127.0.0.1:${lg.port}/ws`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const echoed = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    ws.send('still alive');
    assert.equal(await echoed, 'still alive');
    ws.close();
    const sessions = lg.log.listSessions({ limit: 100 }).items;
    assert.ok(sessions.filter((s) => s.state === 'closed' || s.state === 'failed').length >= frames.length);
  });
});
