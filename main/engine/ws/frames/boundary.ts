// Tracks, for one direction of a live WebSocket stream, where a whole new message may be injected.
import { FrameWalker, framingProblem, type FrameSink } from './parser.ts';

/**
 * Header-only frame tracking: never copies or modifies the chunks it is fed. A safe point is the end
 * of a frame with FIN while no fragmented data message is open (a control frame interleaved in a
 * fragmented message is not one).
 */
export class BoundaryTracker implements FrameSink {
  private readonly walker = new FrameWalker(false);
  private messageOpen = false;
  /** Whether the last frame that ended left no fragmented message open. */
  private lastEndSafe = true;
  private safe = true;
  private firstSafe = -1;
  private error: string | null = null;

  /** True when everything fed so far ends exactly at a safe point. Initially true. */
  get atSafePoint(): boolean {
    return this.safe && this.error === null;
  }

  /** Once a protocol error is seen (bad length, reserved opcode, ...) tracking stops: injection refused. */
  get broken(): boolean {
    return this.error !== null;
  }

  /** What broke tracking, for logs. */
  get problem(): string | null {
    return this.error;
  }

  /**
   * Feed the next chunk. Returns the first offset o (0 < o <= chunk.length) right after which a whole
   * new data message may be inserted, or -1 if none (or once broken).
   */
  feed(chunk: Buffer): number {
    if (this.error !== null || chunk.length === 0) return -1;
    this.firstSafe = -1;
    this.walker.feed(chunk, this);
    if (this.walker.error !== null && this.error === null) this.error = this.walker.error;
    if (this.error !== null) return -1;
    this.safe = this.lastEndSafe && this.walker.atFrameBoundary;
    return this.firstSafe;
  }

  header(w: FrameWalker): void {
    const problem = framingProblem(w, this.messageOpen);
    if (problem !== null) {
      this.error = problem;
      // Make the walker ignore the rest: nothing after a protocol error can be trusted.
      w.error = problem;
      return;
    }
    if (w.opcode < 8) this.messageOpen = !w.fin;
  }

  payload(): void {}

  frameEnd(end: number): void {
    this.lastEndSafe = !this.messageOpen;
    if (this.lastEndSafe && this.firstSafe === -1) this.firstSafe = end;
  }
}
