// encodeFrame/encodeClose round trips through real ws peers, and parseDeflate on extension headers.
import assert from 'node:assert/strict';
import type { AddressInfo, Server, Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { close, waitFor } from '../../../helpers/net.ts';
import { rawClient, rawServer } from '../../../helpers/ws-raw.ts';
import { encodeClose, encodeFrame, frameError, frameWireLength } from '../../../../main/engine/ws/frames/encode.ts';
import { parseDeflate } from '../../../../main/engine/ws/frames/extensions.ts';

const long = Buffer.alloc(70_000, 'z');
const mid = Buffer.alloc(300, 'm');

describe('encodeFrame / encodeClose through real ws peers', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('masked frames toward a ws server', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const got: Array<[string, string]> = [];
    let closed: [number, string] | null = null;
    wss.on('connection', (ws) => {
      ws.on('message', (data, binary) =>
        got.push([binary ? 'binary' : 'text', (data as Buffer).toString(binary ? 'base64' : 'utf8')]),
      );
      ws.on('ping', (data) => got.push(['ping', data.toString()]));
      ws.on('close', (code, reason) => (closed = [code, reason.toString()]));
    });
    const sock = await rawClient((wss.address() as AddressInfo).port);
    cleanups.push(() => void sock.destroy());
    sock.write(encodeFrame({ opcode: 1, payload: Buffer.from('héllo'), mask: true }));
    sock.write(encodeFrame({ opcode: 2, payload: mid, mask: true }));
    sock.write(encodeFrame({ opcode: 2, payload: long, mask: true }));
    sock.write(encodeFrame({ opcode: 1, payload: Buffer.from('frag-'), mask: true, fin: false }));
    sock.write(encodeFrame({ opcode: 9, payload: Buffer.from('pi'), mask: true }));
    sock.write(encodeFrame({ opcode: 0, payload: Buffer.from('ment'), mask: true }));
    sock.write(encodeClose(4002, 'going away now', true));
    await waitFor(() => closed, 'server saw the close');
    assert.deepEqual(got, [
      ['text', 'héllo'],
      ['binary', mid.toString('base64')],
      ['binary', long.toString('base64')],
      ['ping', 'pi'],
      ['text', 'frag-ment'],
    ]);
    assert.deepEqual(closed, [4002, 'going away now']);
  });

  test('unmasked frames toward a ws client', async () => {
    const sockets: Socket[] = [];
    const { port, server } = await rawServer((s) => {
      sockets.push(s);
      s.write(encodeFrame({ opcode: 1, payload: Buffer.from('to client'), mask: false }));
      s.write(encodeFrame({ opcode: 2, payload: long, mask: false }));
      s.write(encodeFrame({ opcode: 10, payload: Buffer.alloc(0), mask: false }));
      s.write(encodeClose(1000, 'é'.repeat(100), false));
    });
    cleanups.push(() => close(server as Server));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const got: string[] = [];
    let closed: [number, string] | null = null;
    ws.on('message', (data, binary) =>
      got.push(binary ? `bin:${(data as Buffer).length}` : (data as Buffer).toString()),
    );
    ws.on('pong', () => got.push('pong'));
    ws.on('close', (code, reason) => (closed = [code, reason.toString()]));
    ws.on('error', () => {});
    await waitFor(() => closed, 'client saw the close');
    for (const s of sockets) s.destroy();
    assert.deepEqual(got, ['to client', 'bin:70000', 'pong']);
    // 100 × 'é' is 200 bytes: cut at a character boundary to fit 123 bytes of reason.
    assert.deepEqual(closed, [1000, 'é'.repeat(61)]);
  });

  test('headers: 7-bit, 16-bit and 64-bit lengths; masks differ per frame', () => {
    const a = encodeFrame({ opcode: 2, payload: Buffer.alloc(125), mask: false });
    const b = encodeFrame({ opcode: 2, payload: Buffer.alloc(126), mask: false });
    const c = encodeFrame({ opcode: 2, payload: Buffer.alloc(65536), mask: true, rsv1: true });
    assert.deepEqual([...a.subarray(0, 2)], [0x82, 125]);
    assert.deepEqual([...b.subarray(0, 4)], [0x82, 126, 0, 126]);
    assert.deepEqual([...c.subarray(0, 10)], [0xc2, 0xff, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert.equal(c.length, frameWireLength(65536, true));
    const m1 = encodeFrame({ opcode: 1, payload: Buffer.from('x'), mask: true }).subarray(2, 6);
    const m2 = encodeFrame({ opcode: 1, payload: Buffer.from('x'), mask: true }).subarray(2, 6);
    assert.notDeepEqual(m1, m2);
    assert.equal(encodeClose(1005, 'ignored', false).length, 2);
  });

  test('invalid frames are refused with an error value, and encodeFrame throws on them', () => {
    assert.equal(frameError(3, 0)?.code, 'WS_BAD_OPCODE');
    assert.equal(frameError(9, 126)?.code, 'WS_CONTROL_TOO_LARGE');
    assert.equal(frameError(8, 2, false)?.code, 'WS_CONTROL_FRAGMENTED');
    assert.equal(frameError(1, 1e6), null);
    assert.throws(() => encodeFrame({ opcode: 9, payload: Buffer.alloc(200), mask: false }), RangeError);
  });
});

describe('parseDeflate', () => {
  test('reads the accepted parameters', () => {
    assert.equal(parseDeflate(undefined), null);
    assert.equal(parseDeflate(''), null);
    assert.equal(parseDeflate('x-webkit-deflate-frame'), null);
    assert.deepEqual(parseDeflate('permessage-deflate'), {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
    assert.deepEqual(
      parseDeflate(
        'x-foo; a="1,2", Permessage-Deflate ; server_no_context_takeover;client_no_context_takeover; server_max_window_bits="10"; client_max_window_bits=9',
      ),
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9 },
    );
    assert.equal(parseDeflate('permessage-deflate; client_max_window_bits')!.clientMaxWindowBits, 15);
    assert.equal(parseDeflate('permessage-deflate; server_max_window_bits=99')!.serverMaxWindowBits, 15);
    // Only the first permessage-deflate counts.
    assert.equal(
      parseDeflate('permessage-deflate; server_max_window_bits=12, permessage-deflate')!.serverMaxWindowBits,
      12,
    );
  });
});
