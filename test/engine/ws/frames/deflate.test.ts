// permessage-deflate decoding in the tap, on traffic compressed by ws with the parameters it negotiated.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { PerMessageDeflateOptions } from 'ws';
import { waitFor } from '../../../helpers/net.ts';
import {
  ofType,
  replay,
  rechunk,
  stable,
  startTappedPair,
  type PairOptions,
  type TappedPair,
} from '../../../helpers/ws-frames.ts';
import { encodeFrame } from '../../../../main/engine/ws/frames/encode.ts';

function json(i: number): string {
  return JSON.stringify({
    type: 'update',
    id: i,
    user: { name: 'Ada Lovelace', roles: ['admin', 'dev'] },
    items: [1, 2, 3, i],
  });
}

describe('permessage-deflate', () => {
  const pairs: TappedPair[] = [];
  after(async () => {
    for (const p of pairs) await p.close();
  });
  const start = async (deflate: PerMessageDeflateOptions, inspect?: PairOptions['inspect']) => {
    const p = await startTappedPair({ deflate: { threshold: 0, ...deflate }, inspect });
    pairs.push(p);
    return p;
  };

  /** Send `n` similar messages each way, check every record against what the peers received. */
  async function exchange(p: TappedPair, n: number) {
    for (let i = 0; i < n; i++) {
      p.client.send(json(i));
      p.server.send(Buffer.from(json(1000 + i)), { binary: true });
    }
    await waitFor(() => p.serverGot.length === n && p.clientGot.length === n, 'messages delivered');
    await waitFor(() => p.frames.length === 2 * n, 'records');
    const send = ofType(p.frames, 'send');
    const recv = ofType(p.frames, 'receive');
    assert.deepEqual(
      send.map((f) => f.data),
      p.serverGot.map((m) => m.data.toString()),
    );
    assert.deepEqual(
      recv.map((f) => f.data),
      p.clientGot.map((m) => m.data.toString('base64')),
    );
    assert.ok(p.frames.every((f) => f.compressed === true && f.problems === undefined));
    assert.deepEqual(
      send.map((f) => f.length),
      p.serverGot.map((m) => m.data.length),
    );
    return { send, recv };
  }

  test('context takeover both ways: later messages use earlier ones as context', async () => {
    const p = await start({});
    assert.equal(p.conn.extensions, 'permessage-deflate');
    const { send, recv } = await exchange(p, 20);
    // With context, a repeat of a similar message compresses far better than the first.
    assert.ok(send[10]!.wireLength < send[0]!.wireLength - 20, `${send[10]!.wireLength} vs ${send[0]!.wireLength}`);
    assert.ok(recv[10]!.wireLength < recv[0]!.wireLength - 20);
  });

  test('no context takeover in either direction', async () => {
    const p = await start({ serverNoContextTakeover: true, clientNoContextTakeover: true });
    assert.match(p.conn.extensions!, /server_no_context_takeover/);
    assert.match(p.conn.extensions!, /client_no_context_takeover/);
    const { send } = await exchange(p, 10);
    assert.ok(Math.abs(send[5]!.wireLength - send[0]!.wireLength) <= 2, 'each message compressed alone');
  });

  test('mixed: client keeps context, server does not', async () => {
    const p = await start({ serverNoContextTakeover: true });
    await exchange(p, 10);
  });

  test('window bits below 15', async () => {
    const p = await start({ serverMaxWindowBits: 9, clientMaxWindowBits: 10 });
    assert.match(p.conn.extensions!, /server_max_window_bits=9/);
    assert.match(p.conn.extensions!, /client_max_window_bits=10/);
    // Messages longer than the window, repeated: back-references reach exactly up to the window.
    for (let i = 0; i < 6; i++) p.client.send(`${json(i)}${'abcdefghij'.repeat(200)}${i}`);
    for (let i = 0; i < 6; i++) p.server.send(`${'0123456789'.repeat(150)}${json(i)}`);
    await waitFor(() => p.frames.length === 12 && p.serverGot.length === 6 && p.clientGot.length === 6, 'records');
    assert.deepEqual(
      ofType(p.frames, 'send').map((f) => f.data),
      p.serverGot.map((m) => m.data.toString()),
    );
    assert.deepEqual(
      ofType(p.frames, 'receive').map((f) => f.data),
      p.clientGot.map((m) => m.data.toString()),
    );
    assert.ok(p.frames.every((f) => f.problems === undefined));
  });

  test('fragmented compressed message with an interleaved ping', async () => {
    const p = await start({});
    p.client.send('first part, ', { fin: false });
    p.client.ping('mid');
    p.client.send('second part, ', { fin: false });
    p.client.send('last part', { fin: true });
    await waitFor(() => p.serverGot.length === 1, 'delivered');
    await waitFor(() => ofType(p.frames, 'send').length === 2, 'records');
    const [ping, msg] = ofType(p.frames, 'send');
    assert.deepEqual([ping!.opcode, ping!.data, ping!.compressed], [9, 'mid', undefined]);
    assert.deepEqual(
      [msg!.opcode, msg!.data, msg!.fragments, msg!.compressed],
      [1, 'first part, second part, last part', 3, true],
    );
  });

  test('huge messages inflate in a stream, bounded, and records stay in order', async () => {
    const p = await start({}, { frameBytes: 4096 });
    // 16 MiB that compresses to little (output too big for one synchronous inflate), then 2 MiB that
    // does not compress (input too big), each followed by small messages that need their context.
    const zeros = Buffer.alloc(16 * 1024 * 1024, 0x41);
    const noise = randomBytes(2 * 1024 * 1024);
    p.client.send(zeros, { binary: true });
    p.client.send(json(1));
    await waitFor(() => p.frames.length === 2, 'first records', 15_000);
    p.client.send(noise, { binary: true });
    p.client.send(json(2));
    p.client.send(json(3));
    await waitFor(() => p.serverGot.length === 5, 'delivered', 15_000);
    await waitFor(() => p.frames.length === 5, 'records', 15_000);
    const f = p.frames;
    assert.deepEqual(
      f.map((x) => x.length),
      [zeros.length, json(1).length, noise.length, json(2).length, json(3).length],
    );
    assert.equal(f[0]!.data, zeros.subarray(0, 4096).toString('base64'));
    assert.equal(f[0]!.truncated, true);
    assert.ok(f[0]!.wireLength < 1024 * 1024, 'the 16 MiB message was small on the wire');
    assert.equal(f[2]!.data, noise.subarray(0, 4096).toString('base64'));
    assert.deepEqual([f[1]!.data, f[3]!.data, f[4]!.data], [json(1), json(2), json(3)]);
    assert.ok(f.every((x) => x.problems === undefined));
    assert.deepEqual(
      f.map((x) => x.seq),
      [1, 2, 3, 4, 5],
    );
    // Once the streams drained, the synchronous path continues from the context they left.
    p.client.send(json(3));
    p.client.send(json(4));
    await waitFor(() => p.frames.length === 7, 'records after the streams', 15_000);
    assert.deepEqual(
      [f[5]!.data, f[6]!.data, f[5]!.problems, f[6]!.problems],
      [json(3), json(4), undefined, undefined],
    );
    assert.ok(f[5]!.wireLength < 40, 'the repeated message was compressed against the context');
    // The same bytes replayed in odd chunks decode the same.
    const r = await replay(
      rechunk(p.conn.toBackend, () => 1 + Math.floor(Math.random() * 70_000)),
      [],
      p.conn.extensions,
      { frameBytes: 4096 },
      7,
    );
    assert.deepEqual(r.frames.map(stable), f.map(stable));
  });

  test('1-byte chunks decode like the live run', async () => {
    const p = await start({ clientMaxWindowBits: 11 });
    await exchange(p, 8);
    p.client.close(1000, 'bye');
    await waitFor(() => p.frames.length === 18, 'closes');
    const r = await replay(
      rechunk(p.conn.toBackend, () => 1),
      rechunk(p.conn.toClient, () => 1),
      p.conn.extensions,
      {},
      18,
    );
    assert.deepEqual(ofType(r.frames, 'send').map(stable), ofType(p.frames, 'send').map(stable));
    assert.deepEqual(ofType(r.frames, 'receive').map(stable), ofType(p.frames, 'receive').map(stable));
  });

  test('a connection reset inside a compressed message records what inflated so far', async () => {
    const p = await start({});
    p.client.send(`${'hello '.repeat(50)}`, { fin: false });
    await waitFor(() => p.conn.toBackend.length > 0, 'fragment crossed');
    p.conn.reset();
    p.tap.end();
    await waitFor(() => p.frames.length === 1, 'half message');
    assert.equal(p.frames[0]!.data, 'hello '.repeat(50));
    assert.equal(p.frames[0]!.compressed, true);
    assert.match(p.frames[0]!.problems!.join(), /incomplete message/);
  });

  test('corrupt compressed data is a problem, and the lost context stops later decoding', async () => {
    const ext = 'permessage-deflate';
    const bad = encodeFrame({
      opcode: 1,
      payload: Buffer.from([0xff, 0xff, 0xff, 0x00, 0x12]),
      mask: true,
      rsv1: true,
    });
    const ok = encodeFrame({ opcode: 1, payload: Buffer.from('plain'), mask: true });
    const later = encodeFrame({ opcode: 1, payload: Buffer.from([0x4b, 0x04, 0x00]), mask: true, rsv1: true });
    const r = await replay([bad, ok, later], [], ext, {}, 3);
    assert.match(r.frames[0]!.problems![0]!, /^inflate failed/);
    assert.equal(r.frames[1]!.data, 'plain');
    assert.match(r.frames[2]!.problems![0]!, /compression context lost/);
    // Without context takeover the next message decodes on its own ('a' deflated is 4b 04 00).
    const r2 = await replay([bad, later], [], `${ext}; client_no_context_takeover`, {}, 2);
    assert.match(r2.frames[0]!.problems![0]!, /^inflate failed/);
    assert.equal(r2.frames[1]!.data, 'a');
  });

  test('RSV1 without a negotiated extension is a protocol error', async () => {
    const frame = encodeFrame({ opcode: 1, payload: Buffer.from([0x4b, 0x04, 0x00]), mask: true, rsv1: true });
    const r = await replay([frame], [], undefined, {}, 1);
    assert.match(r.frames[0]!.problems![0]!, /RSV1 set without a negotiated extension/);
  });
});
