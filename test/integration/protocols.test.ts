// Real clients and servers of each protocol through Loopgate: frames come back decoded and paired, stats add up, the bytes forwarded are the bytes sent.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { HttpTransportType, HubConnectionBuilder, LogLevel } from '@microsoft/signalr';
import { Client as StompClient } from '@stomp/stompjs';
import { encode as msgpackEncode } from '@msgpack/msgpack';
import { execute, GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString, subscribe } from 'graphql';
import { createClient } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { Server as SocketIoServer } from 'socket.io';
import { io as socketIoClient } from 'socket.io-client';
import { SubscriptionClient } from 'subscriptions-transport-ws';
import { SubscriptionServer } from 'subscriptions-transport-ws';
import WebSocket, { WebSocketServer } from 'ws';
import type { FrameRecord } from '../../shared/events.ts';
import type { ProtocolStats, SessionView } from '../../shared/api.ts';
import { startLoopgate, type Loopgate } from '../helpers/integ.ts';
import { close, listen, waitFor } from '../helpers/net.ts';

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString, resolve: () => 'world' } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      tick: {
        type: GraphQLInt,
        args: { n: { type: GraphQLInt } },
        subscribe: async function* (_root: unknown, { n }: { n: number }) {
          for (let i = 1; i <= n; i++) yield { tick: i };
        },
      },
    },
  }),
});

/** An HTTP server on 127.0.0.1 with a WebSocket server on it (any path). */
async function wsServer(onConnection: (ws: WebSocket, received: string[]) => void) {
  const server = createServer((_q, r) => r.writeHead(404).end());
  const wss = new WebSocketServer({ server, handleProtocols: (p) => [...p][0] ?? false });
  const received: string[] = [];
  wss.on('connection', (ws) => {
    ws.on('message', (d, binary) =>
      received.push(binary ? `bin:${Buffer.from(d as Buffer).toString('base64')}` : d.toString()),
    );
    onConnection(ws, received);
  });
  const port = await listen(server);
  return {
    port,
    received,
    wss,
    server,
    stop: async () => (wss.clients.forEach((c) => c.terminate()), wss.close(), close(server)),
  };
}

/** A small STOMP 1.2 broker: CONNECTED, subscriptions per destination, MESSAGE on SEND, RECEIPT when asked. */
function stompBroker(ws: WebSocket) {
  const subs: Array<{ id: string; destination: string }> = [];
  let n = 0;
  ws.on('message', (data) => {
    for (const raw of data.toString().split('\0')) {
      const text = raw.replace(/^[\r\n]+/, '');
      if (text === '') continue;
      const [head, ...rest] = text.split('\n\n');
      const [command, ...lines] = head!.split('\n');
      const h = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
      const body = rest.join('\n\n');
      if (command === 'CONNECT' || command === 'STOMP') ws.send('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0');
      if (command === 'SUBSCRIBE') subs.push({ id: h.id!, destination: h.destination! });
      if (command === 'SEND') {
        for (const s of subs.filter((x) => x.destination === h.destination)) {
          ws.send(`MESSAGE\nsubscription:${s.id}\nmessage-id:${++n}\ndestination:${s.destination}\n\n${body}\0`);
        }
      }
      if (h.receipt) ws.send(`RECEIPT\nreceipt-id:${h.receipt}\n\n\0`);
    }
  });
}

/** A SignalR JSON hub: handshake, Add (invocation → completion), Counter (stream items → completion). */
function signalrHub(ws: WebSocket) {
  const rs = '\x1e';
  ws.on('message', (data) => {
    for (const rec of data.toString().split(rs)) {
      if (rec === '') continue;
      const m = JSON.parse(rec);
      if (m.protocol === 'json') {
        ws.send(`{}${rs}`);
        ws.send(`${JSON.stringify({ type: 1, target: 'Welcome', arguments: ['hi'] })}${rs}`);
      } else if (m.type === 1 && m.target === 'Add') {
        ws.send(
          `${JSON.stringify({ type: 3, invocationId: m.invocationId, result: m.arguments[0] + m.arguments[1] })}${rs}`,
        );
      } else if (m.type === 4 && m.target === 'Counter') {
        let out = '';
        for (let i = 0; i < m.arguments[0]; i++)
          out += JSON.stringify({ type: 2, invocationId: m.invocationId, item: i }) + rs;
        ws.send(out + JSON.stringify({ type: 3, invocationId: m.invocationId }) + rs);
      }
    }
  });
}

describe('protocols through Loopgate, with their real libraries', () => {
  let lg: Loopgate;
  let sio: SocketIoServer;
  let sioServer: Server;
  let sioPort: number;
  const sioReceived: string[] = [];
  let graphql: Awaited<ReturnType<typeof wsServer>>;
  let legacyServer: Server;
  let legacyPort: number;
  let stomp: Awaited<ReturnType<typeof wsServer>>;
  let hub: Awaited<ReturnType<typeof wsServer>>;
  let rpc: Awaited<ReturnType<typeof wsServer>>;
  let bin: Awaited<ReturnType<typeof wsServer>>;

  before(async () => {
    sioServer = createServer();
    sio = new SocketIoServer(sioServer);
    sio.engine.on('connection', (s: { on(e: string, f: (d: unknown) => void): void }) =>
      s.on('message', (d) =>
        sioReceived.push(typeof d === 'string' ? d : `bin:${Buffer.from(d as Buffer).toString('base64')}`),
      ),
    );
    sio.on('connection', (socket) => {
      socket.on('getUser', (id: number, ack: (u: unknown) => void) => ack({ id, name: 'Ada' }));
      socket.on('chat', (msg: unknown) => socket.emit('chat', msg));
      socket.on('upload', (buf: Buffer, ack: (n: number) => void) => ack(buf.length));
    });
    sioPort = await listen(sioServer);
    graphql = await wsServer(() => {});
    useServer({ schema }, graphql.wss);
    legacyServer = createServer();
    SubscriptionServer.create({ schema, execute, subscribe }, { server: legacyServer, path: '/legacy' });
    legacyPort = await listen(legacyServer);
    stomp = await wsServer(stompBroker);
    hub = await wsServer(signalrHub);
    rpc = await wsServer((ws) =>
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString());
        if (m.id !== undefined)
          ws.send(
            JSON.stringify({ jsonrpc: '2.0', id: m.id, result: m.params.reduce((a: number, b: number) => a + b, 0) }),
          );
      }),
    );
    bin = await wsServer((ws) => ws.on('message', (d) => ws.send(d)));
    const route = (match: string, port: number, extra: object = {}) => ({
      match,
      target: `http://127.0.0.1:${port}`,
      ws: true,
      ...extra,
    });
    lg = await startLoopgate({
      routes: [
        route('/socket.io/', sioPort),
        route('/graphql', graphql.port),
        route('/legacy', legacyPort),
        route('/stomp', stomp.port),
        route('/hub', hub.port),
        route('/rpc', rpc.port),
        route('/bin', bin.port, { protocol: 'msgpack' }),
      ],
    });
  });

  after(async () => {
    await lg?.stop();
    sio?.close();
    for (const s of [graphql, stomp, hub, rpc, bin]) await s?.stop();
    legacyServer?.close();
  });

  const sessionFor = async (path: string): Promise<SessionView> =>
    waitFor(async () => {
      const r = await lg.api('GET', '/api/sessions?limit=100');
      return (r.json.items as SessionView[]).filter((s) => s.url.startsWith(path)).at(-1);
    }, `a session on ${path}`) as Promise<SessionView>;
  const framesOf = async (id: number, until: (f: FrameRecord[]) => boolean): Promise<FrameRecord[]> =>
    waitFor(async () => {
      const r = await lg.api('GET', `/api/sessions/${id}/frames`);
      const frames = r.json.frames as FrameRecord[];
      if (process.env.DUMP)
        console.log(
          JSON.stringify(
            frames.map((f) => [f.seq, f.type, f.data.slice(0, 80), f.decoded?.type, f.decoded?.name, f.replyTo]),
          ),
        );
      return until(frames) && frames;
    }, `frames of session ${id}`) as Promise<FrameRecord[]>;
  const statsOf = async (id: number): Promise<ProtocolStats> => (await lg.api('GET', `/api/sessions/${id}/stats`)).json;

  it('Socket.IO: polling then WebSocket, events, acks, binary attachments; the composer emits with an ack', async () => {
    const client = socketIoClient(`http://127.0.0.1:${lg.port()}`, {
      transports: ['polling', 'websocket'],
      reconnection: false,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        client.io.engine.on('upgrade', () => resolve());
        client.on('connect_error', reject);
      });
      assert.deepEqual(await client.emitWithAck('getUser', 7), { id: 7, name: 'Ada' });
      assert.equal(await client.emitWithAck('upload', Buffer.from([1, 2, 3, 4])), 4);
      const s = await sessionFor('/socket.io/');
      assert.equal(s.protocol, 'socket.io', 'known from the handshake URL');
      let frames = await framesOf(s.id, (fs) =>
        fs.some((f) => f.decoded?.type === 'ack' && f.decoded.name === 'upload'),
      );
      const ask = frames.find((f) => f.decoded?.name === 'getUser' && f.decoded.type === 'event')!;
      const answer = frames.find((f) => f.replyTo === ask.seq)!;
      assert.equal(answer.decoded!.type, 'ack');
      assert.deepEqual(answer.decoded!.payload, [{ id: 7, name: 'Ada' }]);
      assert.ok(answer.latencyMs! >= 0);
      const upload = frames.find((f) => f.decoded?.name === 'upload')!;
      assert.deepEqual(
        upload.decoded!.payload,
        [{ $binary: 'AQIDBA==', length: 4 }],
        'the attachment is put in its placeholder',
      );
      assert.ok(frames.some((f) => f.decoded?.heartbeat && f.decoded.type === 'ping' && f.decoded.payload === 'probe'));

      // The composer: Loopgate writes 42<ack id>["getUser",9]; the server's ack pairs with the injected frame.
      const sent = await lg.api('POST', `/api/sessions/${s.id}/send`, {
        to: 'backend',
        compose: { protocol: 'socket.io', name: 'getUser', args: [9], ack: true },
      });
      assert.equal(sent.status, 200, JSON.stringify(sent.json));
      frames = await framesOf(s.id, (fs) =>
        fs.some((f) => f.decoded?.id === sent.json.id && f.decoded?.type === 'ack'),
      );
      const injected = frames.find((f) => f.injected && f.decoded?.name === 'getUser')!;
      const reply = frames.find((f) => f.replyTo === injected.seq)!;
      assert.deepEqual(reply.decoded!.payload, [{ id: 9, name: 'Ada' }]);

      // Polling requests before the upgrade carry their packets.
      const reqs = (await lg.api('GET', '/api/requests?kind=http&limit=100')).json.items as any[];
      const polls = reqs.filter((r) => r.protocol === 'socket.io');
      assert.ok(polls.length >= 2, 'polling requests are marked');
      assert.ok(polls.some((r) => r.decoded.receive.some((m: any) => m.type === 'open' && typeof m.id === 'string')));
      assert.ok(polls.some((r) => r.decoded.send.some((m: any) => m.type === 'connect')));
      const full = (await lg.api('GET', '/api/export.har')).json;
      assert.ok(
        full.log.entries.some((e: any) => e._loopgate.protocol === 'socket.io' && e._loopgate.decoded?.receive.length),
      );

      const stats = await statsOf(s.id);
      const row = stats.rows.find((r) => r.name === 'getUser')!;
      assert.equal(row.answered, 2);
      assert.equal(typeof row.p95Ms, 'number');
      assert.ok(stats.heartbeats >= 2);

      // Decoding never changed what was forwarded: the server got each message exactly as the client sent it.
      const sentByClient = frames
        .filter((f) => f.type === 'send' && (f.opcode === 1 || f.opcode === 2) && f.data[0] === '4')
        .map((f) => f.data.slice(1));
      assert.deepEqual(sioReceived.filter((d) => !d.startsWith('bin:')).slice(-sentByClient.length), sentByClient);
    } finally {
      client.close();
    }
  });

  it('GraphQL (graphql-ws): subscribe → next…complete by id, named operations, stats', async () => {
    const client = createClient({
      url: `ws://127.0.0.1:${lg.port()}/graphql`,
      webSocketImpl: WebSocket,
      lazy: true,
      retryAttempts: 0,
    });
    try {
      const ticks: unknown[] = [];
      for await (const r of client.iterate({ query: 'subscription Ticks { tick(n: 3) }' })) ticks.push(r.data);
      assert.deepEqual(ticks, [{ tick: 1 }, { tick: 2 }, { tick: 3 }]);
      const s = await sessionFor('/graphql');
      assert.equal(s.protocol, 'graphql-transport-ws');
      const frames = await framesOf(s.id, (fs) => fs.some((f) => f.decoded?.type === 'complete'));
      const sub = frames.find((f) => f.decoded?.type === 'subscribe')!;
      assert.equal(sub.decoded!.name, 'Ticks');
      const replies = frames.filter((f) => f.replyTo === sub.seq);
      assert.deepEqual(
        replies.map((f) => f.decoded!.type),
        ['next', 'next', 'next', 'complete'],
      );
      const row = (await statsOf(s.id)).rows.find((r) => r.name === 'Ticks')!;
      assert.deepEqual([row.sent, row.received, row.answered], [1, 4, 1]);
    } finally {
      await client.dispose();
    }
  });

  it('GraphQL (legacy subscriptions-transport-ws): start → data…complete', async () => {
    const client = new SubscriptionClient(`ws://127.0.0.1:${lg.port()}/legacy`, { reconnect: false }, WebSocket);
    try {
      const got = await new Promise<unknown[]>((resolve, reject) => {
        const out: unknown[] = [];
        client.request({ query: 'subscription Legacy { tick(n: 2) }' }).subscribe({
          next: (v) => out.push(v.data),
          error: reject,
          complete: () => resolve(out),
        });
      });
      assert.deepEqual(got, [{ tick: 1 }, { tick: 2 }]);
      const s = await sessionFor('/legacy');
      assert.equal(s.protocol, 'graphql-ws');
      const frames = await framesOf(s.id, (fs) => fs.some((f) => f.decoded?.type === 'complete'));
      const start = frames.find((f) => f.decoded?.type === 'start')!;
      assert.equal(start.decoded!.name, 'Legacy');
      assert.deepEqual(
        frames.filter((f) => f.replyTo === start.seq).map((f) => f.decoded!.type),
        ['data', 'data', 'complete'],
      );
    } finally {
      client.close();
    }
  });

  it('STOMP (@stomp/stompjs): CONNECT/CONNECTED, SUBSCRIBE → MESSAGE, SEND with a receipt', async () => {
    const url = `ws://127.0.0.1:${lg.port()}/stomp`;
    const client = new StompClient({
      webSocketFactory: () => new WebSocket(url, ['v12.stomp', 'v11.stomp']),
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      reconnectDelay: 0,
    });
    try {
      await new Promise<void>((resolve) => {
        client.onConnect = () => resolve();
        client.activate();
      });
      const got = new Promise<string>((resolve) => client.subscribe('/topic/chat', (m) => resolve(m.body)));
      const receipt = new Promise<void>((resolve) => client.watchForReceipt('r-1', () => resolve()));
      client.publish({ destination: '/topic/chat', body: '{"text":"hi"}', headers: { receipt: 'r-1' } });
      assert.equal(await got, '{"text":"hi"}');
      await receipt;
      const s = await sessionFor('/stomp');
      assert.equal(s.protocol, 'stomp');
      const frames = await framesOf(s.id, (fs) => fs.some((f) => f.decoded?.type === 'RECEIPT'));
      const sub = frames.find((f) => f.decoded?.type === 'SUBSCRIBE')!;
      const msg = frames.find((f) => f.decoded?.type === 'MESSAGE')!;
      assert.equal(msg.replyTo, sub.seq);
      assert.equal(msg.decoded!.name, '/topic/chat');
      assert.deepEqual((msg.decoded!.payload as any).body, { text: 'hi' });
      const send = frames.find((f) => f.decoded?.type === 'SEND')!;
      assert.equal(frames.find((f) => f.decoded?.type === 'RECEIPT')!.replyTo, send.seq);
      assert.equal(
        frames.find((f) => f.decoded?.type === 'CONNECTED')!.replyTo,
        frames.find((f) => f.decoded?.type === 'CONNECT')!.seq,
      );
      // The STOMP SEND, byte for byte as the client wrote it.
      assert.ok(stomp.received.includes(send.data));
    } finally {
      await client.deactivate();
    }
  });

  it('SignalR (@microsoft/signalr, JSON hub protocol): invocation → completion, stream items', async () => {
    const conn = new HubConnectionBuilder()
      .withUrl(`http://127.0.0.1:${lg.port()}/hub`, {
        skipNegotiation: true,
        transport: HttpTransportType.WebSockets,
      })
      .configureLogging(LogLevel.None)
      .build();
    try {
      await conn.start();
      assert.equal(await conn.invoke('Add', 2, 3), 5);
      const items = await new Promise<number[]>((resolve, reject) => {
        const out: number[] = [];
        conn.stream<number>('Counter', 3).subscribe({
          next: (i) => out.push(i),
          error: (e) => reject(e),
          complete: () => resolve(out),
        });
      });
      assert.deepEqual(items, [0, 1, 2]);
      const s = await sessionFor('/hub');
      const frames = await framesOf(s.id, (fs) => fs.some((f) => f.decoded?.type === 'stream_item'));
      assert.equal(frames[0]!.decoded!.type, 'handshake');
      const add = frames.find((f) => f.decoded?.name === 'Add' && f.decoded.type === 'invocation')!;
      const done = frames.find((f) => f.replyTo === add.seq)!;
      assert.deepEqual([done.decoded!.type, done.decoded!.payload], ['completion', 5]);
      const counter = frames.find((f) => f.decoded?.type === 'stream_invocation')!;
      const streamed = frames.find((f) => f.replyTo === counter.seq)!.decoded!;
      assert.deepEqual(
        [streamed, ...streamed.more!].map((m) => [m.type, m.payload]),
        [
          ['stream_item', 0],
          ['stream_item', 1],
          ['stream_item', 2],
          ['completion', undefined],
        ],
      );
      assert.equal((await statsOf(s.id)).protocol, 'signalr');
    } finally {
      await conn.stop();
    }
  });

  it('JSON-RPC and MessagePack/CBOR payloads (route protocol setting)', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${lg.port()}/rpc`);
    await new Promise((r) => ws.once('open', r));
    const answer = new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
    ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'sum', params: [1, 2, 3], id: 1 }));
    assert.equal(JSON.parse(await answer).result, 6);
    const s = await sessionFor('/rpc');
    let frames = await framesOf(s.id, (fs) => fs.length >= 2);
    assert.deepEqual([frames[1]!.replyTo, frames[1]!.decoded!.name], [1, 'sum']);
    const composed = await lg.api('POST', `/api/sessions/${s.id}/send`, {
      to: 'backend',
      compose: { protocol: 'json-rpc', method: 'sum', params: [4, 5] },
    });
    assert.equal(composed.status, 200);
    frames = await framesOf(s.id, (fs) => fs.length >= 4);
    assert.equal(frames[3]!.replyTo, frames[2]!.seq);
    ws.close();
    // The HAR keeps Chrome's message fields and puts the reading under _loopgate.
    const har = (await lg.api('GET', `/api/export.har?session=${s.id}`)).json;
    const entry = har.log.entries[0];
    assert.equal(entry._loopgate.protocol, 'json-rpc');
    const reply = entry._webSocketMessages[1];
    assert.deepEqual(Object.keys(reply).slice(0, 4), ['type', 'time', 'opcode', 'data']);
    assert.deepEqual(
      [reply._loopgate.replyTo, reply._loopgate.decoded.name, typeof reply._loopgate.latencyMs],
      [1, 'sum', 'number'],
    );

    const doc = { user: 'ada', scores: [1, 2, 3], nested: { ok: true } };
    const b = new WebSocket(`ws://127.0.0.1:${lg.port()}/bin`);
    await new Promise((r) => b.once('open', r));
    const echoed = new Promise((r) => b.once('message', r));
    const packed = Buffer.from(msgpackEncode(doc));
    b.send(packed);
    await echoed;
    const bs = await sessionFor('/bin');
    assert.equal(bs.protocol, 'msgpack', 'the route says msgpack');
    const bf = await framesOf(bs.id, (fs) => fs.length >= 2);
    assert.deepEqual(bf[0]!.decoded!.payload, doc);
    assert.equal(bf[0]!.data, packed.toString('base64'), 'the stored bytes are the bytes sent');
    assert.deepEqual(bin.received[0], `bin:${packed.toString('base64')}`);
    b.close();
  });
});
