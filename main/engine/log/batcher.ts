// Batches log events for subscribers: flushed every ~50 ms or 500 events, repeated record updates coalesced.
import type { LogEvent } from '../../../shared/events.ts';

export type BatchListener = (batch: LogEvent[]) => void;

export interface BatcherOptions {
  /** Longest time an event waits before its batch is sent (ms). */
  intervalMs?: number;
  /** A batch is sent at once when it holds this many events. */
  maxEvents?: number;
}

export class EventBatcher {
  readonly #listeners = new Set<BatchListener>();
  readonly #intervalMs: number;
  readonly #maxEvents: number;
  #pending: LogEvent[] = [];
  /** Position in #pending of the event for each record ("h12", "w7"): later updates replace it. */
  #positions = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: BatcherOptions = {}) {
    this.#intervalMs = opts.intervalMs ?? 50;
    this.#maxEvents = opts.maxEvents ?? 500;
  }

  get hasListeners(): boolean {
    return this.#listeners.size > 0;
  }

  subscribe(listener: BatchListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#reset();
    };
  }

  push(event: LogEvent): void {
    if (this.#listeners.size === 0) return;
    if (event.type === 'cleared') this.#reset();
    const key = event.type === 'http' ? `h${event.record.id}` : event.type === 'ws' ? `w${event.record.id}` : null;
    if (key !== null) {
      const at = this.#positions.get(key);
      if (at !== undefined) {
        this.#pending[at] = event;
        return;
      }
      this.#positions.set(key, this.#pending.length);
    }
    this.#pending.push(event);
    if (this.#pending.length >= this.#maxEvents) this.flush();
    else if (this.#timer === null) {
      this.#timer = setTimeout(() => this.flush(), this.#intervalMs);
      this.#timer.unref();
    }
  }

  /** Send what is pending now. */
  flush(): void {
    const batch = this.#pending;
    this.#reset();
    if (batch.length === 0) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(batch);
      } catch {
        // A failing subscriber must not break the engine that records; it only misses this batch.
      }
    }
  }

  #reset(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending = [];
    this.#positions.clear();
  }
}
