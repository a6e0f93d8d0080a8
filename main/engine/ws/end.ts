// One peer of an open WebSocket tunnel: its socket, the frame boundaries of the stream written toward it, and what waits to be inserted there.
import type { Duplex } from 'node:stream';
import { BoundaryTracker } from './frames/boundary.ts';

export type Peer = 'client' | 'backend';

/** A whole frame waiting for the next frame boundary of the stream toward one peer. */
export interface Injection {
  opcode: number;
  payload: Buffer;
  frame: Buffer;
  /** A close frame: end that side once it is written. */
  end: boolean;
}

/**
 * One peer of an open tunnel. `T` is the tunnel that owns it: generic so this module needs no import
 * of the session (the architecture test forbids cycles, type-only ones included).
 */
export class End<T> {
  /** Frame boundaries of the bytes written toward this peer. */
  readonly tracker = new BoundaryTracker();
  readonly queue: Injection[] = [];
  /** No more writes toward this peer (we ended it, or it sent FIN and the socket is not half-open). */
  shut = false;
  /** The peer sent FIN. */
  eof = false;
  closed = false;
  /** The other peer (set once both exist). */
  other: End<T> | null = null;
  constructor(
    readonly name: Peer,
    readonly sock: Duplex,
    readonly tunnel: T,
  ) {}
}

/** Where a socket's shared listeners find their peer (see Tunnel's static listeners). */
export const PEER = Symbol('loopgate.tunnel.peer');
export type Tagged<T> = Duplex & { [PEER]?: End<T> };
