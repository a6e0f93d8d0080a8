// The byte path (small messages handed to the session log as bytes, decoded when read) gives exactly the records the record-object path gives, over random streams.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { constants, deflateRawSync } from 'node:zlib';
import { describe, test } from 'node:test';
import type { FrameRecord, LogEvent } from '../../../../shared/events.ts';
import { encodeFrame } from '../../../../main/engine/ws/frames/encode.ts';
import { parseDeflate } from '../../../../main/engine/ws/frames/extensions.ts';
import { createFrameTap, type FrameTap } from '../../../../main/engine/ws/frames/tap.ts';
import { ARENA_MAX_BYTES } from '../../../../main/engine/log/frame-queue.ts';
import { SessionLog } from '../../../../main/engine/log/store.ts';
import { sleep } from '../../../helpers/net.ts';
import { collectingRecorder, inspectOptions, sessionRecord } from '../../../helpers/ws-frames.ts';

const rnd = (n: number) => Math.floor(Math.random() * n);
const pick = <T>(xs: T[]): T => xs[rnd(xs.length)]!;

/** A payload of one of the shapes that matter: ASCII, multi-byte UTF-8 (cut anywhere by truncation), invalid UTF-8, binary, empty. */
function payload(): { bytes: Buffer; text: boolean } {
  const size = pick([0, 1, 3, 60, 125, 700, ARENA_MAX_BYTES - 1, ARENA_MAX_BYTES, ARENA_MAX_BYTES + 1, 3000, 9000]);
  switch (rnd(5)) {
    case 0:
      return { bytes: Buffer.from('a'.repeat(size)), text: true };
    case 1: {
      const s = 'é€😀x'.repeat(Math.ceil(size / 10));
      return { bytes: Buffer.from(s), text: true };
    }
    case 2: {
      const b = Buffer.from('ok'.repeat(size));
      if (b.length > 0) b[rnd(b.length)] = 0xff;
      return { bytes: b.subarray(0, Math.max(1, size)), text: true };
    }
    default:
      return { bytes: randomBytes(size), text: false };
  }
}

function compress(b: Buffer): Buffer {
  const z = deflateRawSync(b, { finishFlush: constants.Z_SYNC_FLUSH });
  return z.subarray(0, z.length - 4);
}

/** One direction's wire bytes: whole and fragmented messages, compressed ones, pings and pongs between fragments, maybe a close. */
function stream(masked: boolean, deflate: boolean): Buffer[] {
  const parts: Buffer[] = [];
  const n = 20 + rnd(40);
  for (let i = 0; i < n; i++) {
    const { bytes, text } = payload();
    const opcode = text ? 1 : 2;
    const compressed = deflate && rnd(3) === 0;
    const body = compressed ? compress(bytes) : bytes;
    const pieces =
      rnd(3) === 0 && body.length > 2
        ? [body.subarray(0, 1), body.subarray(1, body.length >> 1), body.subarray(body.length >> 1)]
        : [body];
    pieces.forEach((p, k) => {
      parts.push(
        encodeFrame({
          opcode: k === 0 ? opcode : 0,
          payload: p,
          mask: masked,
          fin: k === pieces.length - 1,
          rsv1: compressed && k === 0,
        }),
      );
      if (rnd(6) === 0)
        parts.push(
          encodeFrame({
            opcode: pick([9, 10]),
            payload: rnd(2) ? Buffer.from('ping é') : Buffer.from([0xff, 1]),
            mask: masked,
          }),
        );
    });
  }
  // A length in 16 bits that fits 7 (legal on the wire, not minimal), then maybe a frame masked the wrong way (a protocol error).
  if (rnd(3) === 0)
    parts.push(
      Buffer.concat([
        Buffer.from([0x82, (masked ? 0x80 : 0) | 126, 0, 3]),
        masked ? Buffer.from([0, 0, 0, 0]) : Buffer.alloc(0),
        Buffer.from('abc'),
      ]),
    );
  if (rnd(4) === 0) parts.push(encodeFrame({ opcode: 2, payload: Buffer.from('wrong mask'), mask: !masked }));
  if (rnd(3) === 0)
    parts.push(encodeFrame({ opcode: 8, payload: Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]), mask: masked }));
  return parts;
}

/** Chunks as reads would bring them: whole frames (one or a few), or the stream cut at random places. */
function chunks(frames: Buffer[]): Buffer[] {
  if (rnd(2) === 0) {
    const out: Buffer[] = [];
    for (let i = 0; i < frames.length; ) {
      const n = 1 + rnd(3);
      out.push(Buffer.concat(frames.slice(i, i + n)));
      i += n;
    }
    return out;
  }
  const all = Buffer.concat(frames);
  const out: Buffer[] = [];
  for (let i = 0; i < all.length; ) {
    const n = 1 + rnd(pick([5, 200, 5000]));
    out.push(all.subarray(i, i + n));
    i += n;
  }
  return out;
}

/** The same chunks to every tap, the two directions interleaved. */
function feedAll(taps: FrameTap[], toBackend: Buffer[], toClient: Buffer[]): void {
  let a = 0;
  let b = 0;
  while (a < toBackend.length || b < toClient.length) {
    if (rnd(2) === 0 && a < toBackend.length) {
      const c = toBackend[a++]!;
      for (const t of taps) t.client(Buffer.from(c));
    } else if (b < toClient.length) {
      const c = toClient[b++]!;
      for (const t of taps) t.backend(Buffer.from(c));
    }
  }
}

/** As compared: the time of recording differs from tap to tap by a millisecond or so. */
const comparable = (frames: FrameRecord[]) => frames.map((f) => ({ ...f, time: 0 }));

describe('byte path', () => {
  test('the session log holds, pages, exports and streams exactly the records the object path gives (random streams, masks, fragments, deflate, truncation, invalid UTF-8)', async () => {
    const deadline = Date.now() + 2500;
    let rounds = 0;
    let viaBytes = 0;
    while (Date.now() < deadline) {
      rounds++;
      const ext = pick([undefined, 'permessage-deflate; client_no_context_takeover; server_no_context_takeover']);
      const inspect = inspectOptions({ frameBytes: pick([0, 2, 7, 100, 1000, 256 * 1024]) });
      const deflate = parseDeflate(ext);
      // The object path: a recorder without frameBytes gets every record as an object.
      const plain = collectingRecorder();
      // The byte path, without subscribers and with one.
      const quiet = new SessionLog({ capBytes: 1 << 30 });
      const watched = new SessionLog({ capBytes: 1 << 30, intervalMs: 1 });
      const events: LogEvent[] = [];
      watched.subscribe((batch) => events.push(...batch));
      const sessions = [sessionRecord(1), sessionRecord(1), sessionRecord(1)];
      quiet.ws(sessions[1]!);
      watched.ws(sessions[2]!);
      const taps = [plain.recorder, quiet, watched].map((recorder, i) =>
        createFrameTap({ session: sessions[i]!, deflate, recorder, inspect }),
      );
      feedAll(taps, chunks(stream(true, deflate !== null)), chunks(stream(false, deflate !== null)));
      for (const t of taps) t.end();
      await sleep(30); // kept: messages still inflating asynchronously; the engine exposes no "idle" to wait on
      watched.flush();
      const expected = comparable(plain.frames);
      const held = comparable(quiet.frames(1, { limit: 10_000 })!.frames);
      const exported = comparable([...watched.sessionFrames(1)]);
      const streamed = comparable(events.flatMap((e) => (e.type === 'frame' ? [e.frame] : [])));
      assert.deepStrictEqual(held, expected);
      assert.deepStrictEqual(exported, expected);
      assert.deepStrictEqual(streamed, expected);
      // Same keys in the same order: JSON (JSONL, HAR) is byte-identical.
      assert.equal(JSON.stringify(held), JSON.stringify(expected));
      assert.equal(JSON.stringify(streamed), JSON.stringify(expected));
      assert.deepStrictEqual(sessions[1]!.counts, sessions[0]!.counts);
      assert.deepStrictEqual(sessions[2]!.counts, sessions[0]!.counts);
      const small = plain.frames.filter(
        (f) =>
          f.opcode <= 2 &&
          !f.compressed &&
          !f.problems &&
          f.data !== '' &&
          Buffer.byteLength(f.data, f.encoding === 'base64' ? 'base64' : 'utf8') <= ARENA_MAX_BYTES,
      );
      viaBytes += small.length;
    }
    assert.ok(rounds >= 5, `${rounds} rounds`);
    assert.ok(viaBytes > 100, `${viaBytes} small messages went the byte path`);
  });
});
