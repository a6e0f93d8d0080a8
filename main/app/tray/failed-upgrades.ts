// Counts WebSocket upgrades that failed recently, from the session log's event stream (for the tray).
import type { StreamEvent } from '../../../shared/api.ts';

export class FailedUpgrades {
  readonly #windowMs: number;
  readonly #now: () => number;
  /** Session id → when it was seen failing. */
  readonly #failed = new Map<number, number>();

  constructor(windowMs: number, now: () => number = Date.now) {
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /** Feed one batch of log events; returns true when the count may have changed. */
  note(batch: readonly StreamEvent[]): boolean {
    let changed = false;
    for (const e of batch) {
      if (e.type === 'cleared') {
        changed ||= this.#failed.size > 0;
        this.#failed.clear();
      } else if (e.type === 'ws' && e.record.state === 'failed' && !this.#failed.has(e.record.id)) {
        this.#failed.set(e.record.id, this.#now());
        changed = true;
      }
    }
    return changed;
  }

  /** Failures within the window (older ones are forgotten). */
  count(): number {
    const cutoff = this.#now() - this.#windowMs;
    for (const [id, at] of this.#failed) if (at < cutoff) this.#failed.delete(id);
    return this.#failed.size;
  }

  clear(): void {
    this.#failed.clear();
  }
}
