// The Watch tab: live log (filters, pause, follow) on the left, the selected request or session on the right.
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { LoopgateBridge } from '../../shared/api.ts';
import { downloadJson } from '../lib/download.ts';
import type { LiveLog } from './live.ts';
import { EMPTY_LOG_FILTER, filterLog, routeLabels, type LogFilter } from './log-filter.ts';
import { Empty } from '../components/ui.tsx';
import { LogList } from './LogList.tsx';
import { LogToolbar } from './LogToolbar.tsx';
import { RequestDetail } from './RequestDetail.tsx';
import { SessionPanel } from './SessionPanel.tsx';

export function WatchView({
  bridge,
  live,
  version,
  notify,
}: {
  bridge: LoopgateBridge;
  live: LiveLog;
  version: number;
  notify: (msg: string, bad?: boolean) => void;
}) {
  const [filter, setFilter] = useState<LogFilter>(EMPTY_LOG_FILTER);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [follow, setFollow] = useState(true);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    const esc = () => setSelectedId(null);
    window.addEventListener('loopgate:escape', esc);
    return () => {
      clearInterval(t);
      window.removeEventListener('loopgate:escape', esc);
    };
  }, []);

  const records = useMemo(() => filterLog(live.records, filter), [version, filter]);
  const routes = useMemo(() => routeLabels(live.records), [version]);
  const selected = selectedId === null ? undefined : live.get(selectedId);

  const exportAll = async () => {
    try {
      downloadJson(`loopgate-${new Date().toISOString().replace(/[:.]/g, '-')}.har`, await bridge.exportHar());
    } catch (err) {
      notify((err as Error).message, true);
    }
  };
  const importHar = async (file: File) => {
    // The text goes as it is: Loopgate reads it entry by entry (a big file is never parsed whole here or there).
    const r = await bridge.importHar(await file.text()).catch((err: Error) => ({
      ok: false as const,
      code: 'FAILED',
      message: err.message,
    }));
    if (!r.ok) return notify(`${file.name}: ${r.message}`, true);
    const n = r.imported;
    const notes = [
      n.skipped ? `${n.skipped} messages skipped` : '',
      n.duplicates ? `${n.duplicates} already imported, left out` : '',
      n.dropped ? `${n.dropped} oldest dropped at once: the log keeps inspect.storeBytes` : '',
    ].filter(Boolean);
    notify(
      `Imported ${n.requests} requests, ${n.sessions} sessions, ${n.frames} frames${notes.length ? ` (${notes.join('; ')})` : ''}.`,
    );
    void live.reload();
  };
  const clear = async () => {
    setSelectedId(null);
    await live.clear().catch((err: Error) => notify(err.message, true));
  };

  return (
    <div class="watch">
      <LogToolbar
        filter={filter}
        onFilter={setFilter}
        routes={routes}
        paused={live.paused}
        held={live.heldCount}
        onPause={(p) => live.setPaused(p)}
        onClear={() => void clear()}
        onExport={() => void exportAll()}
        onImport={(f) => void importHar(f)}
        shown={records.length}
        total={live.records.length}
      />
      <div class={selected ? 'split open' : 'split'}>
        <div class="split-main">
          {live.records.length === 0 ? (
            <Empty>
              Nothing yet. Open the site Loopgate serves and requests appear here as they happen; WebSocket sessions
              show their frames.
            </Empty>
          ) : (
            <LogList
              records={records}
              selectedId={selectedId}
              onSelect={setSelectedId}
              follow={follow}
              onFollowChange={setFollow}
              version={version}
              now={now}
              compact={Boolean(selected)}
            />
          )}
          {!follow && records.length > 0 && (
            <button type="button" class="btn small follow-btn" onClick={() => setFollow(true)}>
              ↓ Follow new requests
            </button>
          )}
        </div>
        {selected && (
          <div class="split-side" role="region" aria-label={selected.kind === 'ws' ? 'WebSocket session' : 'Request'}>
            {selected.kind === 'ws' ? (
              <SessionPanel
                key={selected.id}
                bridge={bridge}
                live={live}
                session={selected}
                onClose={() => setSelectedId(null)}
                now={now}
              />
            ) : (
              <RequestDetail
                key={selected.id}
                record={selected}
                bridge={bridge}
                onOpen={setSelectedId}
                onClose={() => setSelectedId(null)}
              />
            )}
          </div>
        )}
      </div>
    </div>
  );
}
