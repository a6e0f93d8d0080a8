// Hand-made session log records for tests: HTTP exchanges, WebSocket sessions and frames.
import type { FrameRecord, HttpRecord, WsSessionRecord } from '../../shared/events.ts';

export function httpRecord(id: number, over: Partial<HttpRecord> = {}): HttpRecord {
  return {
    kind: 'http',
    id,
    startedAt: 1_700_000_000_000 + id,
    method: 'GET',
    url: `/api/items/${id}?q=x`,
    host: '127.0.0.1:8080',
    clientAddress: '127.0.0.1',
    handler: 'proxy',
    route: '/api',
    routeIndex: 0,
    target: `http://127.0.0.1:9000/api/items/${id}?q=x`,
    status: 200,
    timings: { headers: 5, end: 9 },
    bytesIn: 0,
    bytesOut: 11,
    requestHeaders: { host: '127.0.0.1:8080', accept: 'application/json', cookie: 'a=1; b=2' },
    responseHeaders: { 'content-type': 'application/json', 'set-cookie': ['sid=1; Path=/; HttpOnly', 'x=2'] },
    responseBody: Buffer.from('{"ok":true}').toString('base64'),
    done: true,
    ...over,
  };
}

export function wsRecord(id: number, over: Partial<WsSessionRecord> = {}): WsSessionRecord {
  return {
    kind: 'ws',
    id,
    startedAt: 1_700_000_000_000 + id,
    url: '/ws/chat',
    host: '127.0.0.1:8080',
    clientAddress: '127.0.0.1',
    route: '/ws',
    routeIndex: 1,
    target: 'http://127.0.0.1:9000/ws/chat',
    state: 'open',
    requestHeaders: { host: '127.0.0.1:8080', upgrade: 'websocket', connection: 'Upgrade' },
    status: 101,
    responseHeaders: { upgrade: 'websocket', connection: 'Upgrade' },
    openedAt: 1_700_000_000_000 + id + 3,
    counts: { framesToBackend: 0, framesToClient: 0, bytesToBackend: 0, bytesToClient: 0 },
    ...over,
  };
}

export function textFrame(session: number, seq: number, text: string, type: 'send' | 'receive' = 'send'): FrameRecord {
  const length = Buffer.byteLength(text);
  return {
    session,
    seq,
    type,
    time: 1_700_000_000 + seq / 1000,
    opcode: 1,
    data: text,
    encoding: 'text',
    length,
    wireLength: length + 6,
    fragments: 1,
  };
}

export function binaryFrame(
  session: number,
  seq: number,
  bytes: Buffer,
  type: 'send' | 'receive' = 'receive',
): FrameRecord {
  return {
    session,
    seq,
    type,
    time: 1_700_000_000 + seq / 1000,
    opcode: 2,
    data: bytes.toString('base64'),
    encoding: 'base64',
    length: bytes.length,
    wireLength: bytes.length + 4,
    fragments: 1,
  };
}

/** Count a frame into its session the way the tunnel does. */
export function countFrame(s: WsSessionRecord, f: FrameRecord): void {
  if (f.type === 'send') {
    s.counts.framesToBackend++;
    s.counts.bytesToBackend += f.length;
  } else {
    s.counts.framesToClient++;
    s.counts.bytesToClient += f.length;
  }
}
