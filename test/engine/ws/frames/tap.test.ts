// The passive frame tap on real ws traffic: messages, fragments, control frames, big frames, closes, resets, 1-byte replays.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { waitFor } from '../../../helpers/net.ts';
import { ofType, replay, rechunk, stable, startTappedPair, type TappedPair } from '../../../helpers/ws-frames.ts';
import { encodeFrame } from '../../../../main/engine/ws/frames/encode.ts';

const sum = (chunks: Buffer[]) => chunks.reduce((n, c) => n + c.length, 0);

function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

describe('frame tap on live ws traffic', () => {
  const pairs: TappedPair[] = [];
  after(async () => {
    for (const p of pairs) await p.close();
  });
  const start = async (opts?: Parameters<typeof startTappedPair>[0]) => {
    const p = await startTappedPair(opts);
    pairs.push(p);
    return p;
  };

  test('text and binary in both directions, counts exact, bytes untouched', async () => {
    const p = await start();
    p.client.send('hello');
    p.client.send(Buffer.from([0, 1, 2, 255]));
    await waitFor(() => p.serverGot.length === 2, 'server got 2');
    p.server.send('wörld');
    p.server.send(Buffer.from([9, 8]), { binary: true });
    await waitFor(() => p.frames.length === 4, '4 records');
    const send = ofType(p.frames, 'send');
    const recv = ofType(p.frames, 'receive');
    assert.deepEqual(
      send.map((f) => [f.opcode, f.data, f.encoding, f.length, f.wireLength, f.fragments]),
      [
        [1, 'hello', 'text', 5, 11, 1],
        [2, Buffer.from([0, 1, 2, 255]).toString('base64'), 'base64', 4, 10, 1],
      ],
    );
    assert.deepEqual(
      recv.map((f) => [f.opcode, f.data, f.encoding, f.length, f.wireLength]),
      [
        [1, 'wörld', 'text', 6, 8],
        [2, 'CQg=', 'base64', 2, 4],
      ],
    );
    assert.deepEqual(
      p.frames.map((f) => f.seq),
      [1, 2, 3, 4],
    );
    assert.ok(
      p.frames.every((f) => f.session === p.session.id && f.problems === undefined && f.compressed === undefined),
    );
    const t = Date.now() / 1000;
    assert.ok(
      p.frames.every((f) => f.time > t - 60 && f.time <= t + 1),
      'time is epoch seconds',
    );
    assert.deepEqual(p.session.counts, {
      framesToBackend: 2,
      framesToClient: 2,
      bytesToBackend: sum(p.conn.toBackend),
      bytesToClient: sum(p.conn.toClient),
    });
    assert.equal(p.session.counts.bytesToBackend, 21);
    assert.equal(p.conn.mutations, 0);
  });

  test('fragmented message with interleaved pings: control frames are their own records', async () => {
    const p = await start();
    p.client.send('part1-', { fin: false });
    p.client.ping('p1');
    p.client.send('part2-', { fin: false });
    p.client.ping();
    p.client.send('end', { fin: true });
    await waitFor(() => p.serverGot.length === 1, 'server got the message');
    await waitFor(() => ofType(p.frames, 'receive').length === 2, 'two pongs recorded');
    const send = ofType(p.frames, 'send');
    assert.deepEqual(
      send.map((f) => [f.opcode, f.data, f.fragments]),
      [
        [9, 'p1', 1],
        [9, '', 1],
        [1, 'part1-part2-end', 3],
      ],
    );
    assert.equal(send[2]!.length, 15);
    assert.equal(send[2]!.wireLength, 15 + 3 * 6);
    assert.deepEqual(
      ofType(p.frames, 'receive').map((f) => [f.opcode, f.data]),
      [
        [10, 'p1'],
        [10, ''],
      ],
    );
    assert.equal(p.serverGot[0]!.data.toString(), 'part1-part2-end');
    assert.equal(p.session.counts.framesToBackend, 5);
    assert.equal(p.session.counts.framesToClient, 2);
  });

  test('a 16 MiB frame: length exact, data truncated to frameBytes, unmasked', async () => {
    const p = await start({ inspect: { frameBytes: 1024 } });
    const big = pattern(16 * 1024 * 1024);
    p.client.send(big);
    await waitFor(() => p.clientGot.length === 0 && p.serverGot.length === 1, 'server got it', 15_000);
    p.server.send(p.serverGot[0]!.data);
    await waitFor(() => p.frames.length === 2, 'both records', 15_000);
    for (const f of p.frames) {
      assert.equal(f.length, big.length);
      assert.equal(f.truncated, true);
      assert.equal(f.data, big.subarray(0, 1024).toString('base64'));
      assert.equal(f.fragments, 1);
    }
    assert.equal(p.frames[0]!.wireLength, big.length + 14);
    assert.equal(p.frames[1]!.wireLength, big.length + 10);
    assert.equal(p.session.counts.bytesToBackend, sum(p.conn.toBackend));
    assert.equal(p.session.counts.bytesToClient, sum(p.conn.toClient));
    assert.ok(p.conn.toBackend.length > 2, 'the frame crossed in several chunks');
    assert.equal(p.conn.mutations, 0);
  });

  test('close from the client: code, reason, firstClose', async () => {
    const p = await start();
    p.client.close(4001, 'bye from client');
    await waitFor(() => p.frames.length === 2, 'close both ways');
    assert.deepEqual(p.tap.firstClose, { from: 'client', code: 4001, reason: 'bye from client' });
    assert.deepEqual(
      p.frames.map((f) => [f.type, f.opcode, f.closeCode, f.closeReason, f.data]),
      [
        ['send', 8, 4001, 'bye from client', 'bye from client'],
        ['receive', 8, 4001, 'bye from client', 'bye from client'],
      ],
    );
  });

  test('close from the backend without a reason', async () => {
    const p = await start();
    p.server.close(1001);
    await waitFor(() => p.frames.length === 2, 'close both ways');
    assert.deepEqual(p.tap.firstClose, { from: 'backend', code: 1001, reason: '' });
    assert.equal(p.frames[0]!.type, 'receive');
    assert.equal(p.frames[0]!.closeCode, 1001);
    assert.equal(p.frames[0]!.length, 2);
  });

  test('abrupt reset: end() records the half-assembled message', async () => {
    const p = await start();
    p.client.send('abc', { fin: false });
    p.client.send('def', { fin: false });
    await waitFor(() => sum(p.conn.toBackend) === 18, 'fragments crossed');
    p.conn.reset();
    await p.conn.closed;
    assert.equal(p.frames.length, 0);
    p.tap.end();
    assert.equal(p.frames.length, 1);
    const f = p.frames[0]!;
    assert.equal(f.data, 'abcdef');
    assert.equal(f.fragments, 2);
    assert.match(f.problems!.join(), /incomplete message: the connection ended before its final fragment/);
    p.tap.client(encodeFrame({ opcode: 1, payload: Buffer.from('late'), mask: true }));
    assert.equal(p.frames.length, 1, 'input after end() is ignored');
  });

  test('a frame cut inside its payload is recorded with what arrived', async () => {
    const p = await start();
    p.client.send('0123456789');
    await waitFor(() => p.serverGot.length === 1, 'sent');
    const bytes = Buffer.concat(p.conn.toBackend);
    const r = await replay([bytes.subarray(0, bytes.length - 4)], [], undefined);
    assert.equal(r.frames.length, 1);
    assert.equal(r.frames[0]!.data, '012345');
    assert.equal(r.frames[0]!.length, 6);
    assert.match(r.frames[0]!.problems![0]!, /inside one of its frames/);
  });

  test('invalid UTF-8 in a text message (sent by ws): base64 and a problem', async () => {
    const p = await start();
    p.client.send(Buffer.from([0x68, 0xff, 0xfe]), { binary: false });
    await waitFor(() => p.frames.length >= 1, 'record');
    const f = p.frames[0]!;
    assert.equal(f.opcode, 1);
    assert.equal(f.encoding, 'base64');
    assert.equal(f.data, Buffer.from([0x68, 0xff, 0xfe]).toString('base64'));
    assert.deepEqual(f.problems, ['invalid UTF-8 in a text message']);
    // ws answers with a 1007 close, recorded like any close.
    await waitFor(() => p.frames.some((x) => x.type === 'receive' && x.closeCode === 1007), '1007 close');
  });

  test('text of every shape: short and long, ASCII and not, a genuine U+FFFD, long invalid', async () => {
    const p = await start();
    const texts = ['ok \ufffd fine', 'x'.repeat(5000), '日本語😀é'.repeat(400), `${'a'.repeat(300)}\ufffd`];
    for (const t of texts) p.server.send(t);
    await waitFor(() => p.clientGot.length === texts.length, 'delivered');
    const bad = Buffer.concat([Buffer.from('y'.repeat(300)), Buffer.from([0xc3, 0x28])]);
    p.client.send(bad, { binary: false });
    await waitFor(() => ofType(p.frames, 'send').length >= 1, 'invalid one recorded');
    const recv = ofType(p.frames, 'receive').slice(0, texts.length);
    assert.deepEqual(
      recv.map((f) => [f.data, f.encoding, f.problems]),
      texts.map((t) => [t, 'text', undefined]),
    );
    const sent = ofType(p.frames, 'send')[0]!;
    assert.deepEqual(
      [sent.data, sent.encoding, sent.problems],
      [bad.toString('base64'), 'base64', ['invalid UTF-8 in a text message']],
    );
  });

  test('text cut by frameBytes in the middle of a character is not an encoding error', async () => {
    const p = await start({ inspect: { frameBytes: 5 } });
    p.client.send('ééé');
    await waitFor(() => p.frames.length === 1, 'record');
    assert.deepEqual(
      [p.frames[0]!.data, p.frames[0]!.length, p.frames[0]!.truncated, p.frames[0]!.problems],
      ['éé', 6, true, undefined],
    );
  });

  test('1-byte chunks and random chunks give the same records as the live run', async () => {
    const p = await start({ inspect: { frameBytes: 3000 } });
    p.client.send('hi');
    p.client.send(pattern(70_000));
    p.client.send('a', { fin: false });
    p.client.ping(Buffer.from([1, 2, 3]));
    p.client.send('b', { fin: true });
    p.server.send('x'.repeat(300));
    p.server.ping('srv');
    await waitFor(() => p.serverGot.length === 3 && p.clientGot.length === 1, 'traffic');
    p.client.close(1000, 'done');
    await waitFor(() => p.frames.filter((f) => f.opcode === 8).length === 2, 'closes');
    await waitFor(() => ofType(p.frames, 'receive').length === 4, 'all received');
    const live = p.frames.map(stable);
    for (const size of [
      () => 1,
      () => 1 + Math.floor(Math.random() * 20),
      () => 1 + Math.floor(Math.random() * 5000),
    ]) {
      const r = await replay(
        rechunk(p.conn.toBackend, size),
        rechunk(p.conn.toClient, size),
        p.conn.extensions,
        { frameBytes: 3000 },
        live.length,
      );
      assert.deepEqual(
        ofType(r.frames, 'send').map(stable),
        live.filter((f) => f.type === 'send'),
      );
      assert.deepEqual(
        ofType(r.frames, 'receive').map(stable),
        live.filter((f) => f.type === 'receive'),
      );
      assert.deepEqual(r.session.counts, p.session.counts);
      assert.deepEqual(r.tap.firstClose, { from: 'client', code: 1000, reason: 'done' });
    }
    const big = live.find((f) => f.length === 70_000)!;
    assert.equal(big.data, pattern(3000).toString('base64'));
  });

  test('inspect.frames off: counts and firstClose only', async () => {
    const p = await start({ inspect: { frames: false } });
    p.client.send('one');
    p.server.send('two');
    await waitFor(() => p.serverGot.length === 1 && p.clientGot.length === 1, 'traffic');
    p.server.close(4000, 'srv');
    await waitFor(() => p.tap.firstClose !== null && p.session.counts.framesToBackend === 2, 'close seen');
    assert.equal(p.frames.length, 0);
    assert.deepEqual(p.tap.firstClose, { from: 'backend', code: 4000, reason: 'srv' });
    assert.equal(p.session.counts.framesToClient, 2);
    assert.equal(p.session.counts.bytesToClient, sum(p.conn.toClient));
  });

  test('injected messages are recorded as injected and counted', async () => {
    const p = await start({ inspect: { frameBytes: 3 } });
    p.tap.injected('backend', 1, Buffer.from('hello'));
    p.tap.injected('client', 9, Buffer.alloc(0));
    assert.deepEqual(
      p.frames.map((f) => [f.type, f.opcode, f.data, f.length, f.truncated, f.wireLength, f.injected]),
      [
        ['send', 1, 'hel', 5, true, 11, true],
        ['receive', 9, '', 0, undefined, 2, true],
      ],
    );
    assert.equal(p.session.counts.framesToBackend, 1);
    assert.equal(p.session.counts.bytesToBackend, 11);
    assert.equal(p.session.counts.bytesToClient, 2);
  });
});
