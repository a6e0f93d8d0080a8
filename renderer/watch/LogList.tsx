// The live log table: one fixed-height row per request or WebSocket session, virtualized.
import type { RecordView } from '../../shared/api.ts';
import { clock, durationOf, formatBytes, formatMs, methodOf, sizeOf, statusText, statusTone } from '../lib/format.ts';
import { cx } from '../components/ui.tsx';
import { VirtualList } from '../components/VirtualList.tsx';

interface Props {
  records: RecordView[];
  selectedId: number | null;
  onSelect: (id: number) => void;
  follow: boolean;
  onFollowChange: (f: boolean) => void;
  version: number;
  now: number;
  compact: boolean;
}

export const LOG_ROW_HEIGHT = 22;

export function LogList({ records, selectedId, onSelect, follow, onFollowChange, version, now, compact }: Props) {
  const selected = selectedId === null ? -1 : records.findIndex((r) => r.id === selectedId);
  return (
    <div class={cx('log', compact && 'compact')}>
      <div class="log-head log-grid" role="presentation">
        <span>Status</span>
        <span>Method</span>
        <span>URL</span>
        <span class="col-route">Route</span>
        <span class="col-target">Target</span>
        <span class="num">Time</span>
        <span class="num">Duration</span>
        <span class="num">Size</span>
      </div>
      <VirtualList
        class="log-body"
        label="Requests and WebSocket sessions"
        idBase="log-row"
        count={records.length}
        rowHeight={LOG_ROW_HEIGHT}
        version={version}
        selected={selected}
        onSelect={(i) => {
          const r = records[i];
          if (r) onSelect(r.id);
        }}
        follow={follow}
        onFollowChange={onFollowChange}
        rowClass={(i) => {
          const r = records[i]!;
          return cx('log-grid', `tone-${statusTone(r)}`, r.kind === 'ws' && 'is-ws', r.imported && 'imported');
        }}
        renderRow={(i) => {
          const r = records[i]!;
          return (
            <>
              <span class="status" title={statusText(r)}>
                {statusText(r)}
              </span>
              <span class={cx('method', r.kind === 'ws' && 'ws')}>{methodOf(r)}</span>
              <span class="url" title={r.imported ? `${r.url} (from an imported HAR)` : r.url}>
                {r.imported && <span class="badge imported">HAR</span>}
                {r.url}
              </span>
              <span class="col-route" title={r.route}>
                {r.route ?? (r.kind === 'http' ? r.handler : '')}
              </span>
              <span class="col-target" title={r.target}>
                {r.target ?? ''}
              </span>
              <span class="num muted">{clock(r.startedAt)}</span>
              <span class="num">{formatMs(durationOf(r, now))}</span>
              <span class="num">{formatBytes(sizeOf(r))}</span>
            </>
          );
        }}
      />
    </div>
  );
}
