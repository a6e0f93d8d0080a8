// The WebSocket tunnels of one engine: opens a session per routed upgrade, lets the control API inject and close.
import { recordFailed } from './lifecycle.ts';
import { Tunnel, type SendResult } from './session.ts';
import type { UpgradeExchange } from '../types.ts';

export type { SendResult } from './session.ts';

/** Every WebSocket session of one engine: opens tunnels, lets the control API inject and close. */
export class TunnelRegistry {
  #tunnels = new Map<number, Tunnel>();
  #idle: Array<() => void> = [];

  constructor() {}

  /** Handle one routed upgrade (UpgradeExchange in main/engine/types.ts); fills and publishes ex.record. Never throws. */
  open(ex: UpgradeExchange): void {
    const id = ex.record.id;
    try {
      const t = new Tunnel(ex, this.#remove);
      this.#tunnels.set(id, t);
      t.start();
    } catch (err) {
      this.#tunnels.delete(id);
      const record = ex.record;
      recordFailed(record, 'loopgate', {
        code: 'INTERNAL',
        message: `Loopgate could not open the tunnel: ${(err as Error)?.message ?? String(err)}`,
        side: 'loopgate',
      });
      try {
        ex.socket.destroy();
        ex.recorder.ws(record);
      } catch {
        /* never throw from open() */
      }
      this.#checkIdle();
    }
  }

  /** Insert a whole message toward the client or the backend at the next frame boundary (masked toward the backend); recorded as injected. */
  send(id: number, to: 'client' | 'backend', data: Buffer, binary: boolean): SendResult {
    const t = this.#tunnels.get(id);
    if (!t) return { ok: false, code: 'NO_SESSION', message: `no open WebSocket session with id ${id}` };
    return t.send(to, data, binary);
  }

  /** Close a session: a close frame with code/reason to both peers, then end both sockets (closedBy 'loopgate'). */
  close(id: number, code: number, reason: string): SendResult {
    const t = this.#tunnels.get(id);
    if (!t) return { ok: false, code: 'NO_SESSION', message: `no open WebSocket session with id ${id}` };
    return t.close(code, reason);
  }

  /** Ids of open sessions. */
  get openIds(): number[] {
    const ids: number[] = [];
    for (const [id, t] of this.#tunnels) if (t.state === 'open') ids.push(id);
    return ids;
  }

  /** Destroy everything (engine stop). Optionally end gracefully: close frames 1001 first. */
  async closeAll(graceful: boolean): Promise<void> {
    if (this.#tunnels.size === 0) return;
    const idle = new Promise<void>((resolve) => this.#idle.push(resolve));
    for (const t of [...this.#tunnels.values()]) {
      if (graceful && t.state === 'open') t.close(1001, 'Loopgate is stopping');
      else if (!graceful || t.state === 'connecting') t.destroy();
    }
    this.#checkIdle();
    await idle;
  }

  #remove = (t: Tunnel): void => {
    if (this.#tunnels.get(t.id) === t) this.#tunnels.delete(t.id);
    this.#checkIdle();
  };

  #checkIdle(): void {
    if (this.#tunnels.size > 0 || this.#idle.length === 0) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const w of waiters) w();
  }
}
