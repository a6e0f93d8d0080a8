// HAR export (Chrome's shape, WebSocket messages), streamed text, JSON Lines, import and round trip.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Har, HttpView, SessionView } from '../../shared/api.ts';
import type { FrameRecord } from '../../shared/events.ts';
import { buildHar, framesJsonl, harChunks, importHar } from '../../main/control/har/export.ts';
import { SessionLog } from '../../main/engine/log/store.ts';
import { assertValidHar } from '../helpers/har-schema.ts';
import { binaryFrame, countFrame, httpRecord, textFrame, wsRecord } from '../helpers/records.ts';

type Obj = Record<string, unknown>;

/** The fields Chrome DevTools' HAR importer (HARFormat.ts) and the HAR 1.2 schema require. */
function assertHarShape(har: unknown): void {
  assertValidHar(har);
  const h = har as { log: Obj };
  assert.equal(h.log.version, '1.2');
  const creator = h.log.creator as Obj;
  assert.equal(typeof creator.name, 'string');
  assert.equal(typeof creator.version, 'string');
  assert.ok(Array.isArray(h.log.pages));
  assert.ok(Array.isArray(h.log.entries));
  for (const e of h.log.entries as Obj[]) {
    assert.match(e.startedDateTime as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Number.isFinite(e.time) && (e.time as number) >= 0, 'time');
    assert.deepEqual(e.cache, {});
    const req = e.request as Obj;
    const res = e.response as Obj;
    for (const k of ['method', 'url', 'httpVersion']) assert.equal(typeof req[k], 'string', `request.${k}`);
    for (const k of ['cookies', 'headers', 'queryString']) assert.ok(Array.isArray(req[k]), `request.${k}`);
    for (const k of ['headersSize', 'bodySize']) assert.ok(Number.isFinite(req[k]), `request.${k}`);
    new URL(req.url as string);
    for (const k of ['statusText', 'httpVersion', 'redirectURL'])
      assert.equal(typeof res[k], 'string', `response.${k}`);
    for (const k of ['status', 'headersSize', 'bodySize']) assert.ok(Number.isFinite(res[k]), `response.${k}`);
    for (const k of ['cookies', 'headers']) assert.ok(Array.isArray(res[k]), `response.${k}`);
    const content = res.content as Obj;
    assert.ok(Number.isFinite(content.size));
    assert.equal(typeof content.mimeType, 'string');
    for (const hdr of [...(req.headers as Obj[]), ...(res.headers as Obj[])]) {
      assert.equal(typeof hdr.name, 'string');
      assert.equal(typeof hdr.value, 'string');
    }
    const t = e.timings as Obj;
    for (const k of ['blocked', 'dns', 'ssl', 'connect', 'send', 'wait', 'receive'])
      assert.ok((t[k] as number) >= -1, `timings.${k}`);
    for (const k of ['send', 'wait', 'receive']) assert.ok((t[k] as number) >= 0, `timings.${k}`);
    assert.equal(typeof e._resourceType, 'string');
    if (e._resourceType === 'websocket') {
      assert.ok(Array.isArray(e._webSocketMessages));
      for (const m of e._webSocketMessages as Obj[]) {
        assert.ok(m.type === 'send' || m.type === 'receive');
        assert.ok(Number.isFinite(m.time));
        assert.ok([0, 1, 2, 8, 9, 10].includes(m.opcode as number));
        assert.equal(typeof m.data, 'string');
      }
    }
  }
}

function sampleLog(): {
  log: SessionLog;
  http: HttpView;
  post: HttpView;
  failed: HttpView;
  session: SessionView;
  frames: FrameRecord[];
} {
  const log = new SessionLog();
  const http = httpRecord(log.nextId());
  log.http(http);
  const post = httpRecord(log.nextId(), {
    method: 'POST',
    url: '/api/upload',
    requestHeaders: { host: '127.0.0.1:8080', 'content-type': 'application/octet-stream' },
    requestBody: Buffer.from([0, 1, 2, 255, 254]).toString('base64'),
    bytesIn: 5,
    responseHeaders: { 'content-type': 'image/png' },
    responseBody: Buffer.from([137, 80, 78, 71, 0, 0]).toString('base64'),
    responseBodyTruncated: true,
    bytesOut: 70_000,
  });
  log.http(post);
  const failed = httpRecord(log.nextId(), {
    status: undefined,
    responseHeaders: undefined,
    responseBody: undefined,
    timings: {},
    error: {
      code: 'ECONNRESET',
      message:
        'backend closed the connection unexpectedly (http://127.0.0.1:9000) (retried once on a fresh connection)',
      side: 'backend',
    },
    retried: true,
  });
  log.http(failed);
  const session = wsRecord(log.nextId(), {
    state: 'closed',
    closedAt: 1_700_000_000_000 + 50,
    closeCode: 4000,
    closeReason: 'bye',
    closedBy: 'client',
    subprotocol: 'chat',
  });
  log.ws(session);
  const frames = [
    textFrame(session.id, 1, 'hello ☃'),
    textFrame(session.id, 2, 'welcome', 'receive'),
    binaryFrame(session.id, 3, Buffer.from([0, 159, 146, 150])),
    { ...textFrame(session.id, 4, 'injected'), injected: true },
    {
      ...binaryFrame(session.id, 5, Buffer.from([15, 160]), 'send'),
      opcode: 8 as const,
      closeCode: 4000,
      closeReason: 'bye',
    },
  ];
  for (const f of frames) {
    countFrame(session, f);
    log.frame(f);
  }
  log.ws(session);
  return { log, http, post, failed, session, frames };
}

describe('HAR export', () => {
  it('writes Chrome-shaped entries for requests and WebSocket sessions', () => {
    const { log, session, frames } = sampleLog();
    const har = buildHar(log, { version: '9.9.9' })!;
    assertHarShape(har);
    assert.deepEqual(har.log.creator, { name: 'Loopgate', version: '9.9.9' });
    const [get, post, failed, ws] = har.log.entries as unknown as Array<Obj & { request: Obj; response: Obj }>;
    assert.equal(get!.request.url, 'http://127.0.0.1:8080/api/items/1?q=x');
    assert.deepEqual(get!.request.queryString, [{ name: 'q', value: 'x' }]);
    assert.deepEqual(get!.request.cookies, [
      { name: 'a', value: '1' },
      { name: 'b', value: '2' },
    ]);
    assert.deepEqual((get!.response.content as Obj).text, '{"ok":true}');
    assert.equal((get!.response.content as Obj).encoding, undefined);
    assert.deepEqual(
      (get!.response.headers as Obj[]).filter((h) => h.name === 'set-cookie').map((h) => h.value),
      ['sid=1; Path=/; HttpOnly', 'x=2'],
      'repeated headers become one HAR header each',
    );
    assert.equal((get!.response.cookies as Obj[])[0]!.httpOnly, true);
    assert.deepEqual(get!.timings, { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: 5, receive: 4 });
    assert.equal(get!.time, 9);
    // A body cut at inspect.bodyBytes is not given as text (a replay would serve it as whole): the HAR says why.
    const cut = post!.response.content as Obj;
    assert.equal(cut.text, undefined);
    assert.match(cut.comment as string, /only its first 6 bytes were kept \(inspect\.bodyBytes\)/);
    assert.deepEqual(cut._loopgate, { excerpt: 'iVBORwAA', encoding: 'base64' });
    assert.equal(cut.size, 70_000);
    assert.equal((post!.request.postData as Obj)._encoding, 'base64', 'binary bodies are base64');
    assert.equal((post!.request.postData as Obj).text, 'AAEC//4=');
    assert.equal(failed!.response.status, 0);
    assert.match(
      failed!.response._error as string,
      /closed the connection unexpectedly .* \(retried once on a fresh connection\)$/,
    );
    assert.equal((failed!._loopgate as Obj).retried, true);
    assert.equal((get!._loopgate as Obj).retried, undefined, 'only where it happened');
    assert.equal(ws!._resourceType, 'websocket');
    assert.equal(ws!.request.url, 'ws://127.0.0.1:8080/ws/chat');
    assert.equal(ws!.response.status, 101);
    assert.deepEqual(ws!._webSocketClose, { code: 4000, reason: 'bye', by: 'client' });
    // Data messages only, as Chrome's HAR; the close frame goes under _loopgate.
    const messages = ws!._webSocketMessages as Obj[];
    const pick = ({ type, time, opcode, data }: Partial<Record<'type' | 'time' | 'opcode' | 'data', unknown>>) => ({
      type,
      time,
      opcode,
      data,
    });
    assert.deepEqual(messages.map(pick), frames.filter((f) => f.opcode < 8).map(pick));
    assert.deepEqual(
      ((ws!._loopgate as Obj).controlFrames as Obj[]).map(pick),
      frames.filter((f) => f.opcode >= 8).map(pick),
    );
    assert.equal(Buffer.from(messages[2]!.data as string, 'base64').toString('hex'), '009f9296');
    assert.equal(buildHar(log, { session: 999 }), null);
    const one = buildHar(log, { session: session.id })!;
    assert.equal(one.log.entries.length, 1);
  });

  it('streams the same document in pieces', () => {
    const { log } = sampleLog();
    const pieces = [...harChunks(log, { version: '1' })!];
    assert.ok(pieces.length > 3);
    assert.ok(pieces.every((p) => p.length > 0));
    assert.deepEqual(JSON.parse(pieces.join('')), JSON.parse(JSON.stringify(buildHar(log, { version: '1' }))));
    // A session's messages are streamed, not held as one string.
    const log2 = new SessionLog();
    const s = wsRecord(log2.nextId());
    log2.ws(s);
    for (let seq = 1; seq <= 1000; seq++) log2.frame(textFrame(s.id, seq, `message ${seq}`));
    const chunks = [...harChunks(log2, { session: s.id })!];
    assert.ok(chunks.length >= 4, `${chunks.length} chunks`);
    assert.equal((JSON.parse(chunks.join('')) as Har).log.entries[0]!._webSocketMessages!.length, 1000);
  });

  it('writes frames as JSON Lines', () => {
    const { log, session, frames } = sampleLog();
    const lines = [...framesJsonl(log, session.id)].join('').trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      frames,
    );
    assert.equal([...framesJsonl(log)].join('').trimEnd().split('\n').length, frames.length);
  });
});

describe('HAR import', () => {
  it('round-trips Loopgate exports into another log, marked imported', () => {
    const { log, http, post, failed, session, frames } = sampleLog();
    const text = [...harChunks(log)!].join('');
    const target = new SessionLog();
    const result = importHar(target, text);
    assert.deepEqual(result, { ok: true, imported: { requests: 3, sessions: 1, frames: 5, skipped: 0 } });
    const [h, p, f] = target.listHttp().items as HttpView[];
    const strip = (r: object) => {
      const { id: _id, imported: _imp, ...rest } = r as HttpView;
      return JSON.parse(JSON.stringify(rest)) as object;
    };
    assert.equal(h!.imported, true);
    assert.deepEqual(strip(h!), strip(http));
    assert.deepEqual(strip(p!), strip(post));
    assert.deepEqual(strip(f!), strip(failed));
    const s = target.listSessions().items[0]!;
    const detail = target.getSession(s.id)!;
    assert.equal(detail.session.imported, true);
    assert.deepEqual(strip(detail.session), strip(session));
    assert.deepEqual(
      target.frames(s.id)!.frames,
      frames.map((fr) => ({ ...fr, session: s.id })),
    );
    // And exporting the import gives the same entries again.
    const again = buildHar(target)!;
    const original = buildHar(log)!;
    const noIds = (har: Har) =>
      har.log.entries.map(({ _loopgate, ...e }) => ({
        ...e,
        _loopgate: { ...(_loopgate as Obj), id: 0, imported: undefined },
      }));
    assert.deepEqual(JSON.parse(JSON.stringify(noIds(again))), JSON.parse(JSON.stringify(noIds(original))));
  });

  it('reads a Chrome HAR without Loopgate extras (skipping Chrome error pseudo-frames)', () => {
    const chrome = {
      log: {
        version: '1.2',
        creator: { name: 'WebInspector', version: '537.36' },
        pages: [],
        entries: [
          {
            startedDateTime: '2024-05-01T10:00:00.000Z',
            time: 42.5,
            request: {
              method: 'POST',
              url: 'https://app.example/api/x?y=1',
              httpVersion: 'http/2.0',
              headers: [
                { name: ':authority', value: 'app.example' },
                { name: 'Content-Type', value: 'application/json' },
              ],
              queryString: [],
              cookies: [],
              headersSize: -1,
              bodySize: 7,
              postData: { mimeType: 'application/json', text: '{"a":1}' },
            },
            response: {
              status: 201,
              statusText: '',
              httpVersion: 'http/2.0',
              headers: [{ name: 'content-type', value: 'application/json' }],
              cookies: [],
              content: { size: 2, mimeType: 'application/json', text: '{}' },
              redirectURL: '',
              headersSize: -1,
              bodySize: -1,
              _transferSize: 120,
              _error: null,
            },
            cache: {},
            timings: {
              blocked: 1.5,
              dns: -1,
              ssl: -1,
              connect: -1,
              send: 0.5,
              wait: 30,
              receive: 10.5,
              _blocked_queueing: 1,
            },
            _resourceType: 'fetch',
          },
          {
            startedDateTime: '2024-05-01T10:00:01.000Z',
            time: 1000,
            request: {
              method: 'GET',
              url: 'wss://app.example/socket',
              httpVersion: 'HTTP/1.1',
              headers: [],
              queryString: [],
              cookies: [],
              headersSize: -1,
              bodySize: 0,
            },
            response: {
              status: 101,
              statusText: 'Switching Protocols',
              httpVersion: 'HTTP/1.1',
              headers: [],
              cookies: [],
              content: { size: 0, mimeType: 'x-unknown' },
              redirectURL: '',
              headersSize: -1,
              bodySize: 0,
            },
            cache: {},
            timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: 12, receive: 0 },
            _resourceType: 'websocket',
            _webSocketMessages: [
              { type: 'send', time: 1714557601.1, opcode: 1, data: 'ping' },
              { type: 'receive', time: 1714557601.2, opcode: 2, data: 'AAEC' },
              { type: 'error', time: 1714557601.3, opcode: -1, data: 'net::ERR_CONNECTION_RESET' },
            ],
          },
        ],
      },
    };
    const log = new SessionLog();
    const result = importHar(log, chrome);
    assert.deepEqual(result, { ok: true, imported: { requests: 1, sessions: 1, frames: 2, skipped: 1 } });
    const r = log.listHttp().items[0]!;
    assert.equal(r.method, 'POST');
    assert.equal(r.url, '/api/x?y=1');
    assert.equal(r.host, 'app.example');
    assert.equal(r.status, 201);
    assert.deepEqual(r.timings, { headers: 32, end: 42.5 });
    assert.equal(Buffer.from(r.requestBody!, 'base64').toString(), '{"a":1}');
    assert.equal(r.requestHeaders['content-type'], 'application/json');
    const s = log.listSessions().items[0]!;
    assert.equal(s.state, 'closed');
    assert.deepEqual(s.counts, { framesToBackend: 1, framesToClient: 1, bytesToBackend: 4, bytesToClient: 3 });
    const fr = log.frames(s.id)!.frames;
    assert.deepEqual(
      fr.map((f) => [f.seq, f.encoding, f.length]),
      [
        [1, 'text', 4],
        [2, 'base64', 3],
      ],
    );
  });

  it('refuses malformed HAR with a clear error and adds nothing', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['{not json', /not JSON/],
      [[], /JSON object with a "log"/],
      [{ log: {} }, /log\.entries/],
      [{ log: { entries: [{}] } }, /entry 0: "request" is missing/],
      [
        {
          log: { entries: [{ request: { url: '/relative' }, response: {}, startedDateTime: '2024-01-01T00:00:00Z' }] },
        },
        /entry 0: "request.url" is not an absolute URL/,
      ],
      [
        {
          log: {
            entries: [{ request: { url: 'http://a/' }, response: { status: 200 }, startedDateTime: 'yesterday' }],
          },
        },
        /startedDateTime/,
      ],
      [
        {
          log: {
            entries: [
              { request: { url: 'http://a/' }, response: { status: 200 }, startedDateTime: '2024-01-01T00:00:00Z' },
              {
                request: { url: 'ws://a/' },
                response: { status: 101 },
                startedDateTime: '2024-01-01T00:00:00Z',
                _webSocketMessages: [{ type: 'receive', time: 1, opcode: 2, data: 'not base64!' }],
              },
            ],
          },
        },
        /entry 1: _webSocketMessages\[0\]\.data is not base64/,
      ],
    ];
    const log = new SessionLog();
    for (const [input, message] of cases) {
      const result = importHar(log, input);
      assert.equal(result.ok, false, JSON.stringify(input));
      if (!result.ok) {
        assert.equal(result.code, 'BAD_HAR');
        assert.match(result.message, message);
      }
    }
    assert.equal(log.list().total, 0, 'nothing was added');
  });
});
