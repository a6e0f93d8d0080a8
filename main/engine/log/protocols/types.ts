// What every protocol decoder takes and gives: a stored frame in; its message, pairing hints and stats name out.
import type { DecodedMessage, FrameRecord } from '../../../../shared/events.ts';

/** The fields of a stored frame a decoder reads. */
export type FrameLike = Pick<FrameRecord, 'seq' | 'type' | 'time' | 'opcode' | 'data' | 'encoding' | 'length'> & {
  truncated?: boolean;
};

/**
 * How a message takes part in request → reply pairing. Keys are the protocol's own (an ack id, an
 * operation id, a receipt); pair.ts adds the direction, so a reply is looked up among the requests
 * the other side sent.
 */
export interface PairHint {
  /** Requests this message opens. `once`: its first reply ends it (an ack); otherwise replies stream. */
  open?: Array<{ key: string; once?: boolean }>;
  /** The request this message answers; `last`: no more replies follow (complete, Completion). */
  reply?: string;
  last?: boolean;
  /** A request of this same side ends without an answer (UNSUBSCRIBE, stop, CancelInvocation). */
  cancel?: string;
}

export interface Decoded {
  message: DecodedMessage;
  pair?: PairHint;
  /** Socket.IO: this many binary frames that follow are this packet's attachments. */
  attachments?: number;
}

/** What a session's earlier frames and its handshake tell a decoder. */
export interface DecodeContext {
  /** Engine.IO protocol revision (from ?EIO=; 4 when unknown). */
  eio?: 3 | 4;
}

export type Decoder = (frame: FrameLike, ctx: DecodeContext) => Decoded | undefined;
