// One WebSocket session: handshake, negotiated options, who closed and why, counters, rate charts, frames, its protocol table, composer.
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { HttpView, LoopgateBridge, ProtocolStats, SessionView } from '../../shared/api.ts';
import type { FrameRecord } from '../../shared/events.ts';
import { downloadJson } from '../lib/download.ts';
import { closeText, clock, explainUpgrade, formatBytes, formatMs, who } from '../lib/format.ts';
import { rates } from './frames.ts';
import { SessionFrames, type LiveLog } from './live.ts';
import { Sparkline } from '../components/Sparkline.tsx';
import { cx, Tabs } from '../components/ui.tsx';
import { Composer } from './Composer.tsx';
import { CopyAs } from './CopyAs.tsx';
import { FrameInspector } from './FrameInspector.tsx';
import { HeadersTable } from './Headers.tsx';
import { ProtocolTable } from './ProtocolTable.tsx';

type Tab = 'frames' | 'protocol' | 'handshake';

/** The record's counters, or what the frames held show when those are ahead (records refresh once a second). */
/** Loopgate closed the session because nothing passed for the read timeout. */
function idleClosed(s: SessionView): boolean {
  return s.state === 'closed' && s.closedBy === 'loopgate' && s.closeReason === 'idle timeout';
}

function liveCounts(s: SessionView, frames: readonly FrameRecord[]): SessionView['counts'] {
  let toBackend = 0;
  let toClient = 0;
  let bytesToBackend = 0;
  let bytesToClient = 0;
  for (const f of frames) {
    if (f.type === 'send') {
      toBackend++;
      bytesToBackend += f.wireLength;
    } else {
      toClient++;
      bytesToClient += f.wireLength;
    }
  }
  const c = s.counts;
  return {
    framesToBackend: Math.max(c.framesToBackend, toBackend),
    framesToClient: Math.max(c.framesToClient, toClient),
    bytesToBackend: Math.max(c.bytesToBackend, bytesToBackend),
    bytesToClient: Math.max(c.bytesToClient, bytesToClient),
  };
}

export function SessionPanel({
  bridge,
  live,
  session,
  onClose,
  now,
}: {
  bridge: LoopgateBridge;
  live: LiveLog;
  session: SessionView;
  onClose: () => void;
  now: number;
}) {
  const [tab, setTab] = useState<Tab>(session.state === 'failed' ? 'handshake' : 'frames');
  const [version, setVersion] = useState(0);
  const model = useMemo(() => new SessionFrames(bridge, session.id, { readLive: true }), [bridge, session.id]);
  const [stats, setStats] = useState<ProtocolStats | null>(null);
  const [pick, setPick] = useState<{ name: string; n: number } | null>(null);

  useEffect(() => {
    const offModel = model.subscribe(() => setVersion(model.version));
    const offFrames = live.onFrames((f) => model.add(f));
    void model.load();
    return () => {
      offModel();
      offFrames();
      model.stop();
    };
  }, [model]);

  // Counters move with every frame: refresh the record while the session is live.
  const liveState = session.state === 'open' || session.state === 'connecting';

  // The protocol table: read once, then at most once a second while frames come in.
  const statsTick = liveState ? Math.floor(now / 1000) : 0;
  useEffect(() => {
    let live = true;
    void bridge
      .protocolStats(session.id)
      .then((s) => live && setStats(s))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [session.id, statsTick, tab]);
  const protocol = stats?.protocol ?? session.protocol ?? null;

  // A Socket.IO session that began on long-polling: the polling requests of the same sid, read as packets.
  const sid = protocol === 'socket.io' ? engineIoSid(session.url) : null;
  const [polling, setPolling] = useState<HttpView[]>([]);
  useEffect(() => {
    if (!sid || tab !== 'protocol') return;
    let live = true;
    void bridge
      .listRequests({ kind: 'http', text: 'transport=polling', limit: 1000 })
      .then(
        (page) =>
          live &&
          setPolling(
            page.items.filter(
              (r): r is HttpView =>
                r.kind === 'http' &&
                !!r.decoded &&
                // Its sid in the URL, or the handshake whose open packet gave that sid.
                (r.url.includes(`sid=${sid}`) || r.decoded.receive.some((m) => m.type === 'open' && m.id === sid)),
            ),
          ),
      )
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [sid, tab]);
  useEffect(() => {
    if (!liveState) return;
    const t = setInterval(async () => {
      const d = await bridge.getSession(session.id).catch(() => null);
      if (d) live.upsert(d.session);
    }, 1000);
    return () => clearInterval(t);
  }, [session.id, liveState]);

  const r = useMemo(() => rates(model.frames, now / 1000, 60), [model.frames, version, Math.floor(now / 1000)]);
  const failure = explainUpgrade(session);
  const c = useMemo(() => liveCounts(session, model.frames), [session, model.frames, version]);
  const exportHar = async () =>
    downloadJson(`loopgate-session-${session.id}.har`, await bridge.exportHar({ session: session.id }));

  return (
    <div class="session">
      <header class="detail-head">
        <span class={cx('pill', `state-${session.state}`)}>{session.state}</span>
        <h2 class="mono url-title" title={session.url}>
          {session.imported && (
            <span class="badge imported" title="from an imported HAR file, not live traffic">
              imported
            </span>
          )}
          {session.url}
        </h2>
        <CopyAs record={session} />
        <button type="button" class="btn small" onClick={() => void exportHar()}>
          Export HAR
        </button>
        <button type="button" class="btn icon" aria-label="Close details (Esc)" title="Close (Esc)" onClick={onClose}>
          ×
        </button>
      </header>
      {failure && (
        <div class="banner error" role="alert">
          <strong>Upgrade failed.</strong> {failure}
          {session.responseBody && <pre class="mono excerpt">{session.responseBody}</pre>}
        </div>
      )}
      {idleClosed(session) && (
        <div class="banner warn" role="note" data-testid="idle-hint">
          <span>
            Nothing went either way for the route's read timeout, so Loopgate closed the session, as nginx does
            (proxy_read_timeout). To keep quiet sessions open, set <code>keepAlivePing</code> on the route (for example
            "30s"): Loopgate then pings both sides while the session is idle.
          </span>
        </div>
      )}
      <dl class="facts">
        <div>
          <dt>Host</dt>
          <dd class="mono">{session.host || '—'}</dd>
        </div>
        <div>
          <dt>Route</dt>
          <dd class="mono">{session.route ?? '—'}</dd>
        </div>
        <div class="wide">
          <dt>Target</dt>
          <dd class="mono">{session.target ?? '—'}</dd>
        </div>
        <div>
          <dt>Opened</dt>
          <dd class="mono">{session.openedAt ? clock(session.openedAt) : clock(session.startedAt)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd class="mono">
            {session.closedAt === undefined && session.imported
              ? '—'
              : formatMs((session.closedAt ?? now) - session.startedAt)}
          </dd>
        </div>
        <div>
          <dt>Subprotocol</dt>
          <dd class="mono">{session.subprotocol || 'none'}</dd>
        </div>
        <div class="wide">
          <dt>Extensions</dt>
          <dd class="mono">{session.extensions || 'none'}</dd>
        </div>
        <div class="wide">
          <dt>Closed</dt>
          <dd>
            {session.state === 'closed' ? closeText(session) : session.state}
            {session.error && session.state !== 'failed' && (
              <span class="error-text">
                {' '}
                — {who(session.error.side)}: {session.error.message}
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>↑ to backend</dt>
          <dd class="mono">
            {c.framesToBackend.toLocaleString('en')} msgs · {formatBytes(c.bytesToBackend)}
          </dd>
        </div>
        <div>
          <dt>↓ to client</dt>
          <dd class="mono">
            {c.framesToClient.toLocaleString('en')} msgs · {formatBytes(c.bytesToClient)}
          </dd>
        </div>
      </dl>
      {session.state !== 'failed' && (
        <div class="sparks">
          <Sparkline label="messages/s" values={r.messages} format={(n) => n.toLocaleString('en')} tone="a" />
          <Sparkline label="bytes/s" values={r.bytes} format={formatBytes} tone="b" />
        </div>
      )}
      <Tabs<Tab>
        label="Session views"
        idBase="sess"
        value={tab}
        onChange={setTab}
        tabs={[
          ['frames', `Frames (${model.frames.length.toLocaleString('en')})`],
          ...(protocol ? [['protocol', `Protocol · ${protocol}`] as [Tab, string]] : []),
          ['handshake', 'Handshake'],
        ]}
      />
      <div class="tab-panel grow" id={`sess-panel-${tab}`} role="tabpanel" aria-labelledby={`sess-tab-${tab}`}>
        {tab === 'frames' ? (
          <>
            {model.error && <div class="banner error">{model.error}</div>}
            <FrameInspector model={model} version={version} protocol={protocol} pick={pick} />
            {liveState && <Composer bridge={bridge} session={session} protocol={protocol} />}
          </>
        ) : tab === 'protocol' ? (
          <ProtocolTable
            stats={stats}
            polling={polling}
            onPick={(name) => {
              setPick((p) => ({ name, n: (p?.n ?? 0) + 1 }));
              setTab('frames');
            }}
          />
        ) : (
          <div class="scroll pad">
            <HeadersTable
              title="Request (client → Loopgate)"
              headers={session.requestHeaders}
              status={`GET ${session.url}`}
            />
            {session.upstreamHeaders && (
              <HeadersTable
                title="Request as sent to the backend (Loopgate → backend)"
                headers={session.upstreamHeaders}
                status={session.target ? `GET ${session.target}` : undefined}
              />
            )}
            <HeadersTable
              title="Response (backend → client)"
              headers={session.responseHeaders}
              status={session.status ? String(session.status) : 'no answer'}
            />
          </div>
        )}
      </div>
    </div>
  );
}

/** The Engine.IO session id in an upgrade URL (`…&transport=websocket&sid=…`), or null. */
function engineIoSid(url: string): string | null {
  const q = url.indexOf('?');
  return q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get('sid');
}
