// Emits a session's FrameRecords in wire order with sequence numbers, holding later ones while a message inflates asynchronously.
import type { FrameRecord } from '../../../../shared/events.ts';
import { lazyLength } from '../../log/lazy.ts';
import type { FrameBytes, Recorder } from '../../types.ts';

/** A place in the order for a record that is not decoded yet. */
export interface Slot {
  record: FrameRecord | null;
}

/** Records held behind a pending one before the queue asks for pending work to be abandoned. */
export const MAX_HELD_RECORDS = 10_000;
/** Characters of record data held behind a pending one before the same. */
export const MAX_HELD_CHARS = 32 * 1024 * 1024;

export class RecordQueue {
  private seq = 0;
  private held: Slot[] = [];
  private heldChars = 0;
  private readonly bytes: boolean;

  /** `overflow` must resolve every reserved slot (synchronously) when called. */
  constructor(
    private readonly recorder: Recorder,
    private readonly overflow: () => void,
  ) {
    this.bytes = recorder.frameBytes !== undefined;
  }

  /** True when pushBytes() may be used now: the recorder takes bytes and nothing is held. */
  get takesBytes(): boolean {
    return this.bytes && this.held.length === 0;
  }

  /** A frame given as its fields and payload bytes (its seq is set here), next in wire order; only when takesBytes. */
  pushBytes(frame: FrameBytes): void {
    frame.seq = ++this.seq;
    try {
      this.recorder.frameBytes!(frame);
    } catch {
      // A failing recorder must not break the tunnel.
    }
  }

  /** A decoded record, next in wire order. */
  push(record: FrameRecord): void {
    if (this.held.length === 0) {
      this.emit(record);
      return;
    }
    this.held.push({ record });
    this.heldChars += lazyLength(record, 'data');
    if (this.held.length > MAX_HELD_RECORDS || this.heldChars > MAX_HELD_CHARS) this.overflow();
  }

  /** Keep the next place in the order for a record that will come later via resolve(). */
  reserve(): Slot {
    const slot: Slot = { record: null };
    this.held.push(slot);
    return slot;
  }

  resolve(slot: Slot, record: FrameRecord): void {
    slot.record = record;
    if (this.held[0] === slot) this.drain();
    else this.heldChars += lazyLength(record, 'data');
  }

  private drain(): void {
    let i = 0;
    const held = this.held;
    while (i < held.length && held[i]!.record !== null) {
      const record = held[i]!.record!;
      if (i > 0) this.heldChars -= lazyLength(record, 'data');
      this.emit(record);
      i++;
    }
    held.splice(0, i);
    if (held.length === 0) this.heldChars = 0;
  }

  private emit(record: FrameRecord): void {
    record.seq = ++this.seq;
    try {
      this.recorder.frame(record);
    } catch {
      // A failing recorder must not break the tunnel.
    }
  }
}
