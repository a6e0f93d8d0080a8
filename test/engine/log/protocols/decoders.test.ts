// Protocol decoders over stored frames: Socket.IO/Engine.IO (ws and polling), GraphQL, STOMP, SignalR, JSON-RPC, MessagePack/CBOR; pairing and stats.
import assert from 'node:assert/strict';
import { gzipSync, deflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { encode as msgpackEncode } from '@msgpack/msgpack';
import { encode as cborEncode } from 'cbor-x';
import { SessionLog } from '../../../../main/engine/log/store.ts';
import { ProtocolReader } from '../../../../main/engine/log/protocols/reader.ts';
import { decodeCbor, decodeMsgpack, readBinary, readBase64Text } from '../../../../main/engine/log/protocols/binary.ts';
import { decodePollingBody, decodeSocketIoPacket } from '../../../../main/engine/log/protocols/socketio.ts';
import { encodeStompSend, parseStomp } from '../../../../main/engine/log/protocols/stomp.ts';
import { fromFrame, fromHandshake } from '../../../../main/engine/log/protocols/detect.ts';
import { encodeComposed } from '../../../../main/engine/log/protocols/compose.ts';
import { percentile } from '../../../../main/engine/log/protocols/pair.ts';
import { binaryFrame, textFrame, wsRecord } from '../../../helpers/records.ts';

/** A log with one session and these frames (text unless a Buffer), times 10 ms apart. */
function session(frames: Array<[string | Buffer, 'send' | 'receive']>, over: Parameters<typeof wsRecord>[1] = {}) {
  const log = new SessionLog();
  const id = log.nextId();
  log.ws(wsRecord(id, { state: 'open', ...over }));
  frames.forEach(([data, dir], i) => {
    const f = typeof data === 'string' ? textFrame(id, i + 1, data, dir) : binaryFrame(id, i + 1, data, dir);
    f.time = 1_700_000_000 + (i + 1) / 100;
    log.frame(f);
  });
  const reader = new ProtocolReader(log);
  const page = reader.page(id, log.frames(id)!);
  return { log, id, reader, frames: page.frames };
}

describe('Socket.IO', () => {
  it('reads events, acks, namespaces, heartbeats and binary attachments, and pairs acks with latency', () => {
    const { frames, reader, id } = session(
      [
        ['0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}', 'receive'],
        ['40', 'send'],
        ['40{"sid":"s1"}', 'receive'],
        ['42["chat",{"text":"hi"}]', 'send'],
        ['4212["getUser",7]', 'send'],
        ['2', 'receive'],
        ['3', 'send'],
        ['4312[{"id":7,"name":"Ada"}]', 'receive'],
        ['42/admin,3["kick","bob"]', 'send'],
        ['451-["upload",{"_placeholder":true,"num":0}]', 'send'],
        [Buffer.from([1, 2, 3]), 'send'],
        ['43/admin,3[true]', 'receive'],
      ],
      { url: '/socket.io/?EIO=4&transport=websocket' },
    );
    const d = (seq: number) => frames[seq - 1]!.decoded!;
    assert.equal(d(1).type, 'open');
    assert.equal(d(1).id, 'abc');
    assert.deepEqual(
      { type: d(4).type, name: d(4).name, payload: d(4).payload, ns: d(4).namespace },
      { type: 'event', name: 'chat', payload: [{ text: 'hi' }], ns: '/' },
    );
    assert.equal(d(5).id, '12');
    assert.equal(d(6).heartbeat, true);
    assert.equal(frames[6]!.replyTo, 6, 'pong answers ping');
    assert.equal(d(8).type, 'ack');
    assert.equal(frames[7]!.replyTo, 5);
    assert.equal(frames[7]!.latencyMs, 30);
    assert.equal(d(8).name, 'getUser', 'an ack carries its request name');
    assert.equal(d(9).namespace, '/admin');
    assert.equal(d(10).type, 'binary_event');
    assert.deepEqual(d(10).attachments, [11]);
    assert.deepEqual(d(10).payload, [{ $binary: 'AQID', length: 3 }]);
    assert.equal(d(11).type, 'attachment');
    assert.equal(d(11).attachmentOf, 10);
    assert.equal(frames[11]!.replyTo, 9, 'the ack in /admin answers the /admin event with the same id');
    const stats = reader.stats(id)!;
    assert.equal(stats.protocol, 'socket.io');
    assert.equal(stats.heartbeats, 2);
    const getUser = stats.rows.find((r) => r.name === 'getUser')!;
    assert.deepEqual([getUser.sent, getUser.received, getUser.answered, getUser.p50Ms], [1, 1, 1, 30]);
    const upload = stats.rows.find((r) => r.name === 'upload')!;
    assert.equal(upload.sent, 2, 'the attachment counts under its event');
  });

  it('reads long-polling bodies of both revisions', () => {
    const v4 = decodePollingBody('42["a",1]\x1e2\x1e451-["b",{"_placeholder":true,"num":0}]\x1ebAQID', 4, false);
    assert.deepEqual(
      v4.map((m) => [m.type, m.name]),
      [
        ['event', 'a'],
        ['ping', undefined],
        ['binary_event', 'b'],
      ],
    );
    assert.deepEqual(v4[2]!.payload, [{ $binary: 'AQID', length: 3 }]);
    const v3 = decodePollingBody('9:42["a",1]1:2', 3, true);
    assert.deepEqual(
      v3.map((m) => m.type),
      ['event', 'ping'],
    );
    assert.equal(decodeSocketIoPacket('2["x"', true).message.error, 'the packet data is not JSON');
  });
});

describe('GraphQL over WebSocket', () => {
  it('pairs subscribe with next…complete by id and names the operation', () => {
    const { frames, reader, id } = session(
      [
        ['{"type":"connection_init"}', 'send'],
        ['{"type":"connection_ack"}', 'receive'],
        ['{"id":"1","type":"subscribe","payload":{"query":"subscription OnTick { tick }"}}', 'send'],
        ['{"id":"1","type":"next","payload":{"data":{"tick":1}}}', 'receive'],
        ['{"id":"1","type":"next","payload":{"data":{"tick":2}}}', 'receive'],
        ['{"id":"1","type":"complete"}', 'receive'],
        ['{"id":"1","type":"next","payload":{}}', 'receive'],
      ],
      { subprotocol: 'graphql-transport-ws' },
    );
    assert.equal(frames[2]!.decoded!.name, 'OnTick');
    assert.deepEqual(
      frames.slice(3).map((f) => f.replyTo),
      [3, 3, 3, undefined],
    );
    assert.equal(frames[4]!.decoded!.name, 'OnTick');
    const row = reader.stats(id)!.rows.find((r) => r.name === 'OnTick')!;
    assert.equal(row.answered, 1, 'latency is the first reply’s');
    assert.equal(row.p95Ms, 10);
  });

  it('reads the legacy protocol (start/data/ka) and detects it from frames', () => {
    const { frames, reader, id } = session([
      ['{"type":"connection_init","payload":{}}', 'send'],
      ['{"type":"ka"}', 'receive'],
      ['{"id":"7","type":"start","payload":{"query":"{ hello }"}}', 'send'],
      ['{"id":"7","type":"data","payload":{"data":{"hello":"w"}}}', 'receive'],
    ]);
    assert.equal(reader.stats(id)!.protocol, 'graphql-ws');
    assert.equal(frames[1]!.decoded!.heartbeat, true);
    assert.equal(frames[2]!.decoded!.name, 'query { hello }');
    assert.equal(frames[3]!.replyTo, 3);
  });
});

describe('STOMP', () => {
  it('parses frames with escapes, content-length and several per message; pairs receipts and subscriptions', () => {
    const send = encodeStompSend('/queue/a:b', 'héllo\0x', { receipt: 'r1' });
    const parsed = parseStomp(send);
    assert.equal(parsed.frames[0]!.headers.destination, '/queue/a:b');
    assert.equal(parsed.frames[0]!.body, 'héllo\0x', 'content-length keeps the NUL in the body');
    const { frames, reader, id } = session(
      [
        ['CONNECT\naccept-version:1.2\nhost:localhost\n\n\0', 'send'],
        ['CONNECTED\nversion:1.2\n\n\0', 'receive'],
        ['SUBSCRIBE\nid:sub-0\ndestination:/topic/chat\n\n\0', 'send'],
        [send, 'send'],
        ['RECEIPT\nreceipt-id:r1\n\n\0\n', 'receive'],
        [
          'MESSAGE\nsubscription:sub-0\nmessage-id:1\ndestination:/topic/chat\ncontent-type:application/json\n\n{"a":1}\0MESSAGE\nsubscription:sub-0\nmessage-id:2\ndestination:/topic/chat\n\nplain\0',
          'receive',
        ],
        ['\n', 'send'],
      ],
      { subprotocol: 'v12.stomp' },
    );
    assert.equal(frames[1]!.replyTo, 1);
    assert.equal(frames[4]!.replyTo, 4);
    assert.equal(frames[5]!.replyTo, 3);
    assert.equal(frames[5]!.decoded!.name, '/topic/chat');
    assert.deepEqual((frames[5]!.decoded!.payload as { body: unknown }).body, { a: 1 });
    assert.equal(frames[5]!.decoded!.more!.length, 1);
    assert.equal(frames[6]!.decoded!.heartbeat, true);
    assert.equal(reader.stats(id)!.heartbeats, 1);
  });
});

describe('SignalR, JSON-RPC', () => {
  it('pairs a SignalR invocation with its completion and a stream with its items', () => {
    const rs = '\x1e';
    const { frames } = session([
      [`{"protocol":"json","version":1}${rs}`, 'send'],
      [`{}${rs}{"type":1,"target":"Hello","arguments":["x"]}${rs}`, 'receive'],
      [`{"type":1,"invocationId":"0","target":"Send","arguments":["a",1]}${rs}`, 'send'],
      [`{"type":3,"invocationId":"0","result":42}${rs}`, 'receive'],
      [`{"type":4,"invocationId":"1","target":"Counter","arguments":[2]}${rs}`, 'send'],
      [`{"type":2,"invocationId":"1","item":0}${rs}{"type":2,"invocationId":"1","item":1}${rs}`, 'receive'],
      [`{"type":3,"invocationId":"1"}${rs}`, 'receive'],
      [`{"type":6}${rs}`, 'send'],
    ]);
    assert.equal(frames[0]!.decoded!.protocol, 'signalr');
    assert.equal(frames[1]!.replyTo, 1);
    assert.equal(frames[1]!.decoded!.more![0]!.name, 'Hello');
    assert.equal(frames[3]!.replyTo, 3);
    assert.equal(frames[3]!.decoded!.name, 'Send');
    assert.deepEqual([frames[5]!.replyTo, frames[6]!.replyTo], [5, 5]);
    assert.equal(frames[7]!.decoded!.heartbeat, true);
  });

  it('pairs JSON-RPC results and errors by id, notifications stay alone', () => {
    const { frames, reader, id } = session([
      ['{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":1}', 'send'],
      ['{"jsonrpc":"2.0","method":"notify","params":{}}', 'receive'],
      ['{"jsonrpc":"2.0","result":3,"id":1}', 'receive'],
      ['{"jsonrpc":"2.0","method":"boom","id":"b"}', 'send'],
      ['{"jsonrpc":"2.0","error":{"code":-32601,"message":"nope"},"id":"b"}', 'receive'],
    ]);
    assert.equal(frames[2]!.replyTo, 1);
    assert.equal(frames[2]!.decoded!.name, 'sum');
    assert.equal(frames[4]!.decoded!.type, 'error');
    assert.equal(frames[4]!.replyTo, 4);
    assert.equal(frames[1]!.replyTo, undefined);
    assert.equal(reader.stats(id)!.pending, 0);
  });
});

describe('binary payloads', () => {
  const doc = {
    user: { id: 7, name: 'Ada', tags: ['a', 'b'], score: 1.5, big: 2 ** 40, neg: -300 },
    ok: true,
    n: null,
  };

  it('MessagePack and CBOR from real encoders decode to the same tree', () => {
    assert.deepEqual(decodeMsgpack(Buffer.from(msgpackEncode(doc))), doc);
    assert.deepEqual(decodeCbor(Buffer.from(cborEncode(doc))), doc);
    assert.deepEqual(decodeMsgpack(Buffer.from(msgpackEncode({ b: new Uint8Array([1, 2]) }))), {
      b: { $binary: 'AQI=', length: 2 },
    });
    assert.throws(() => decodeMsgpack(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])), /past the end/);
  });

  it('unwraps gzip, zlib and base64 only when they clearly are', () => {
    const json = Buffer.from(JSON.stringify(doc));
    assert.deepEqual(readBinary(gzipSync(json))!.unwrapped, ['gzip']);
    assert.deepEqual(readBinary(deflateSync(Buffer.from(msgpackEncode(doc))))!.format, 'msgpack');
    assert.deepEqual(readBase64Text(json.toString('base64'))!.value, doc);
    assert.equal(readBase64Text('hello world'), undefined);
    assert.equal(readBinary(Buffer.from([0x01, 0x02, 0x03])), undefined);
    const { frames, reader, id } = session([[Buffer.from(cborEncode(doc)), 'receive']]);
    assert.equal(frames[0]!.decoded!.protocol, 'cbor');
    assert.deepEqual(frames[0]!.decoded!.payload, doc);
    assert.equal(reader.stats(id)!.protocol, 'cbor');
  });
});

describe('detection, setting, compose', () => {
  it('detects from subprotocol, URL and first frames; the route setting wins', () => {
    assert.equal(fromHandshake({ url: '/ws', subprotocol: 'v12.stomp' }).protocol, 'stomp');
    assert.deepEqual(fromHandshake({ url: '/socket.io/?EIO=3&transport=websocket' }), {
      protocol: 'socket.io',
      eio: 3,
    });
    assert.equal(fromFrame(textFrame(1, 1, 'CONNECT\naccept-version:1.2\n\n\0'))?.protocol, 'stomp');
    assert.equal(fromFrame(textFrame(1, 1, '{"type":"ping"}')), undefined);
    assert.equal(fromFrame(textFrame(1, 1, 'hello')), undefined);
    const log = new SessionLog();
    const id = log.nextId();
    log.ws(wsRecord(id, { state: 'open', route: '/rpc' }));
    log.frame(textFrame(id, 1, '{"jsonrpc":"2.0","method":"a","id":1}'));
    let setting: 'none' | 'auto' = 'none';
    const reader = new ProtocolReader(log, { setting: () => setting });
    assert.equal(reader.page(id, log.frames(id)!).frames[0]!.decoded, undefined);
    setting = 'auto';
    assert.equal(reader.page(id, log.frames(id)!).frames[0]!.decoded?.name, 'a');
  });

  it('writes envelopes, refuses incomplete ones with the field named', () => {
    assert.deepEqual(encodeComposed({ protocol: 'socket.io', name: 'chat', args: [{ a: 1 }], ack: true }, 3), {
      text: '42900000003["chat",{"a":1}]',
      id: '900000003',
    });
    assert.match(
      (encodeComposed({ protocol: 'graphql-ws', query: 'subscription { x }' }, 1) as { text: string }).text,
      /"type":"start"/,
    );
    assert.deepEqual(encodeComposed({ protocol: 'socket.io' }, 1), { error: 'a Socket.IO event needs a "name"' });
    assert.match((encodeComposed({ protocol: 'mqtt' }, 1) as { error: string }).error, /cannot write "mqtt"/);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95), 10);
  });
});
