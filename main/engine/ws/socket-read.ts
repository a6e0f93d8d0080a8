// Backend socket reads into a buffer of the socket's own, reused from read to read (Node's `onread`): no allocation per read, no stream 'data' machinery.

/*
 * Why: a socket read the usual way costs a fresh ArrayBuffer per read (malloc, then a realloc to
 * the bytes read, a backing store the collector must later sweep) and a trip through the Readable
 * stream to the 'data' event. For a stream of small WebSocket messages that is a measurable share
 * of a tunnel's CPU. We create the backend socket, so we can read it through `onread` instead: the
 * bytes land in a buffer we own and go straight to the current consumer (the handshake, then the
 * tunnel), as a view that is only valid during that call.
 *
 * The rule that keeps this safe: a consumer that lets the view outlive its call (a write that could
 * not finish at once keeps a reference until it does) says so with keepRead(); the socket then
 * reads into a new buffer from the next read on. Whatever only reads the view synchronously (frame
 * tracking, the tap, which copies what it keeps) needs nothing. Pause, resume, 'end', 'error' and
 * 'close' behave as for any socket; 'data' is never emitted.
 *
 * The buffer starts small (an idle session holds little) and doubles whenever a read fills it, up
 * to Node's own read size.
 */
import type { OnReadOpts, Socket } from 'node:net';

const FIRST_BYTES = 1024;
const MAX_BYTES = 64 * 1024;

/** Gets each read's bytes as a view valid only during the call (see keepRead). */
export type ReadConsumer = (sock: Socket, chunk: Buffer) => void;

const READS = Symbol('loopgate.reads');

interface Reads {
  buf: Buffer;
  /** The current buffer is still referenced past its read: the next read needs a new one. */
  kept: boolean;
  /** The last read filled the buffer: the next one gets a bigger one. */
  grow: boolean;
  consumer: ReadConsumer | null;
}

type WithReads = Socket & { [READS]?: Reads };

function onRead(this: Socket, nread: number, buf: Buffer): boolean {
  const r = (this as WithReads)[READS];
  if (r === undefined) return true;
  if (nread === buf.length && buf.length < MAX_BYTES) r.grow = true;
  // Without a consumer there is nobody to hand bytes to; nothing reads a socket then (it is paused).
  if (r.consumer !== null) r.consumer(this, buf.subarray(0, nread));
  // Reading stops through pause(), as for any socket; false here would stop it behind the stream's back.
  return true;
}

/**
 * A socket made by `connect` (given the `onread` option to pass to net.connect) that reads as
 * described above. Node asks for the buffer of the next read once when the socket gets its handle,
 * then after every read, and without the socket as `this`: hence one small closure per socket.
 */
export function withReusedReads(connect: (onread: OnReadOpts) => Socket): Socket {
  const r: Reads = { buf: Buffer.allocUnsafeSlow(FIRST_BYTES), kept: false, grow: false, consumer: null };
  const buffer = (): Buffer => {
    if (r.kept || r.grow) {
      r.buf = Buffer.allocUnsafeSlow(r.grow ? Math.min(MAX_BYTES, r.buf.length * 2) : r.buf.length);
      r.kept = false;
      r.grow = false;
    }
    return r.buf;
  };
  const sock = connect({ buffer, callback: onRead as OnReadOpts['callback'] }) as WithReads;
  sock[READS] = r;
  return sock;
}

/** True when `sock` was made with reusedReads() (its bytes go to a consumer, not to 'data'). */
export function readsReused(sock: Socket): boolean {
  return (sock as WithReads)[READS] !== undefined;
}

/** Who gets the socket's reads from now on (null: nobody; the socket should then be paused). */
export function setReadConsumer(sock: Socket, consumer: ReadConsumer | null): void {
  const r = (sock as WithReads)[READS];
  if (r !== undefined) r.consumer = consumer;
}

/** The view just handed to the consumer stays referenced after its call: the next read goes to a new buffer. */
export function keepRead(sock: Socket): void {
  const r = (sock as WithReads)[READS];
  if (r !== undefined) r.kept = true;
}
