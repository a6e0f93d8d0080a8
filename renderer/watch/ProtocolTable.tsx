// A session's protocol table: events / operations / methods with count, bytes and p50/p95 latency to the first reply.
import type { HttpView, ProtocolStats } from '../../shared/api.ts';
import { formatBytes } from '../lib/format.ts';
import { formatLatency } from './FrameInspector.tsx';

export function ProtocolTable({
  stats,
  polling = [],
  onPick,
}: {
  stats: ProtocolStats | null;
  /** Engine.IO long-polling requests of this session (before its upgrade), with their packets. */
  polling?: readonly HttpView[];
  onPick?: (name: string) => void;
}) {
  if (!stats) return <div class="empty small">Reading the session…</div>;
  if (!stats.protocol) {
    return (
      <div class="empty small">
        No application protocol recognised in this session. Set the route's <code>protocol</code> to read it as one.
      </div>
    );
  }
  const ms = (v: number | undefined) => (v === undefined ? '—' : formatLatency(v));
  return (
    <div class="protocol-table scroll pad" data-testid="protocol-table">
      <div class="protocol-summary">
        <span class="badge">{stats.protocol}</span> {stats.frames.toLocaleString('en')} messages read ·{' '}
        {stats.heartbeats.toLocaleString('en')} heartbeats · {stats.pending.toLocaleString('en')} awaiting a reply
      </div>
      <div class="table-wrap">
        <table class="routes stats">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th class="num">↑ sent</th>
              <th class="num">↓ received</th>
              <th class="num">Bytes</th>
              <th class="num">Answered</th>
              <th class="num">p50</th>
              <th class="num">p95</th>
            </tr>
          </thead>
          <tbody>
            {stats.rows.map((r) => (
              <tr key={r.name}>
                <td class="mono">
                  {onPick ? (
                    <button type="button" class="link mono" title="Show these frames" onClick={() => onPick(r.name)}>
                      {r.name}
                    </button>
                  ) : (
                    r.name
                  )}
                </td>
                <td>
                  <span class="badge msg-type">{r.type}</span>
                </td>
                <td class="num mono">{r.sent.toLocaleString('en')}</td>
                <td class="num mono">{r.received.toLocaleString('en')}</td>
                <td class="num mono">{formatBytes(r.bytes)}</td>
                <td class="num mono">{r.answered.toLocaleString('en')}</td>
                <td class="num mono">{ms(r.p50Ms)}</td>
                <td class="num mono">{ms(r.p95Ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {polling.length > 0 && <Polling requests={polling} />}
    </div>
  );
}

/** The packets that went over long-polling before the upgrade, in request order: one conversation with the frames. */
function Polling({ requests }: { requests: readonly HttpView[] }) {
  const packets = requests.flatMap((r) => [
    ...(r.decoded?.send ?? []).map((m) => ({ r, dir: '↑', m })),
    ...(r.decoded?.receive ?? []).map((m) => ({ r, dir: '↓', m })),
  ]);
  return (
    <section class="polling" aria-label="Long-polling before the upgrade">
      <h3 class="subhead">
        Long-polling before the upgrade: {requests.length} requests, {packets.length} packets
      </h3>
      <div class="table-wrap">
        <table class="routes stats">
          <tbody>
            {packets.map(({ r, dir, m }, i) => (
              <tr key={i}>
                <td class="mono muted">
                  {r.method} #{r.id}
                </td>
                <td class="mono">{dir}</td>
                <td>
                  <span class={`badge msg-type${m.heartbeat ? ' hb' : ''}`}>{m.type}</span>
                </td>
                <td class="mono">{m.name ?? ''}</td>
                <td class="mono data">{m.payload === undefined ? '' : JSON.stringify(m.payload).slice(0, 160)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
