// Request → reply pairing over a session's decoded frames, and its per-name table: count, bytes, p50/p95 latency.
import type { ProtocolStatsRow } from '../../../../shared/api.ts';
import type { Decoded, FrameLike } from './types.ts';

interface Open {
  seq: number;
  time: number;
  row: string;
  once: boolean;
  answered: boolean;
}

interface Row {
  name: string;
  type: string;
  sent: number;
  received: number;
  bytes: number;
  latencies: number[];
}

/** What pairing says of one frame. */
export interface PairNote {
  replyTo?: number;
  latencyMs?: number;
  /** The name its stats go under (a reply's is its request's). */
  row?: string;
}

/** Latency samples kept per row: enough for stable p50/p95 on a dev session. */
const MAX_SAMPLES = 100_000;

export class Pairer {
  readonly #open = new Map<string, Open>();
  readonly #rows = new Map<string, Row>();
  heartbeats = 0;

  /** Take the next frame (in seq order) with its decoding; `row` forces the stats name (an attachment's packet). */
  note(f: FrameLike, d: Decoded | undefined, row?: string): PairNote {
    const out: PairNote = {};
    if (!d) return out;
    const m = d.message;
    const side = f.type;
    const other = side === 'send' ? 'receive' : 'send';
    const hint = d.pair;
    let name = row ?? m.name;
    if (hint?.reply !== undefined) {
      const key = `${other} ${hint.reply}`;
      const req = this.#open.get(key);
      if (req) {
        out.replyTo = req.seq;
        out.latencyMs = Math.max(0, Math.round((f.time - req.time) * 1e6) / 1e3);
        name ??= req.row;
        if (!req.answered) {
          req.answered = true;
          const r = this.#rows.get(req.row);
          if (r && r.latencies.length < MAX_SAMPLES) r.latencies.push(out.latencyMs);
        }
        if (req.once || hint.last) this.#open.delete(key);
      }
    }
    if (hint?.cancel !== undefined) this.#open.delete(`${side} ${hint.cancel}`);
    name ??= m.type;
    out.row = name;
    if (m.heartbeat) this.heartbeats++;
    else {
      let r = this.#rows.get(name);
      if (!r) {
        r = { name, type: m.type, sent: 0, received: 0, bytes: 0, latencies: [] };
        this.#rows.set(name, r);
      }
      if (side === 'send') r.sent++;
      else r.received++;
      r.bytes += f.length;
    }
    for (const o of hint?.open ?? []) {
      this.#open.set(`${side} ${o.key}`, { seq: f.seq, time: f.time, row: name, once: !!o.once, answered: false });
    }
    return out;
  }

  /** Requests still waiting for their first reply (keep-alive pings left out). */
  get pending(): number {
    let n = 0;
    for (const o of this.#open.values()) if (!o.answered && this.#rows.has(o.row)) n++;
    return n;
  }

  /** The table, busiest first. */
  rows(): ProtocolStatsRow[] {
    const out: ProtocolStatsRow[] = [];
    for (const r of this.#rows.values()) {
      const row: ProtocolStatsRow = {
        name: r.name,
        type: r.type,
        sent: r.sent,
        received: r.received,
        bytes: r.bytes,
        answered: r.latencies.length,
      };
      if (r.latencies.length > 0) {
        const sorted = [...r.latencies].sort((a, b) => a - b);
        row.p50Ms = percentile(sorted, 0.5);
        row.p95Ms = percentile(sorted, 0.95);
      }
      out.push(row);
    }
    return out.sort((a, b) => b.sent + b.received - (a.sent + a.received) || a.name.localeCompare(b.name));
  }
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  const i = Math.max(0, Math.ceil(p * sorted.length) - 1);
  return sorted[Math.min(i, sorted.length - 1)]!;
}
