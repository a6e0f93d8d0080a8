// Frame inspector: direction/opcode/name filters, heartbeats hidden, regex search, the virtualized frame list (decoded column) and the selected frame.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { FrameRecord } from '../../shared/events.ts';
import { clock, formatBytes, OPCODE_NAMES } from '../lib/format.ts';
import { decodedNames, FrameIndex, indexOfSeq, repliesBySeq, type Direction, type FrameFilter } from './frames.ts';
import type { SessionFrames } from './live.ts';
import { cx } from '../components/ui.tsx';
import { VirtualList } from '../components/VirtualList.tsx';
import { FrameView } from './FrameView.tsx';

export const FRAME_ROW_HEIGHT = 20;
const OPS: Array<[number, string]> = [
  [1, 'text'],
  [2, 'binary'],
  [8, 'close'],
  [9, 'ping'],
  [10, 'pong'],
];
const PREVIEW_CHARS = 240;

function preview(f: FrameRecord): string {
  if (f.opcode === 8) return `close ${f.closeCode ?? ''} ${f.closeReason ?? ''}`;
  if (f.encoding === 'base64') return `[binary ${f.length} B] ${f.data.slice(0, 60)}`;
  const s = f.data.length > PREVIEW_CHARS ? f.data.slice(0, PREVIEW_CHARS) : f.data;
  return s.replace(/\s+/g, ' ');
}

export function FrameInspector({
  model,
  version,
  protocol,
  pick,
}: {
  model: SessionFrames;
  version: number;
  /** The session's application protocol: frames then show their decoded message in a column of their own. */
  protocol?: string | null;
  /** A name picked elsewhere (the protocol table): the list shows its frames. */
  pick?: { name: string; n: number } | null;
}) {
  const [filter, setFilter] = useState<FrameFilter>({ direction: 'all', opcodes: [], search: '' });
  const [selectedIndex, setSelectedIndex] = useState(-1);
  const [follow, setFollow] = useState(true);
  const index = useRef(new FrameIndex());
  const searchRef = useRef<HTMLInputElement>(null);
  const frames = model.frames;
  // A slow search goes on in slices (FrameIndex.pending): the page answers in between.
  const [slice, setSlice] = useState(0);
  const count = useMemo(() => index.current.update(frames, filter), [frames, frames.length, version, filter, slice]);
  const searching = index.current.pending;
  useEffect(() => {
    if (!searching) return;
    const t = setTimeout(() => setSlice((n) => n + 1), 0);
    return () => clearTimeout(t);
  }, [searching, count, slice]);
  const error = index.current.error;
  const selectedRow = selectedIndex >= 0 ? index.current.rowOf(selectedIndex) : -1;
  const selected = selectedIndex >= 0 ? frames[selectedIndex] : undefined;
  const decodedView = !!protocol;
  const names = useMemo(() => (decodedView ? decodedNames(frames) : []), [frames, decodedView, version]);
  const replies = useMemo(
    () => (decodedView ? repliesBySeq(frames) : new Map<number, number[]>()),
    [frames, decodedView, version],
  );
  /** Select the frame with this seq (a request's reply or a reply's request); filters that hide it are lifted. */
  const jump = (seq: number) => {
    const i = indexOfSeq(frames, seq);
    if (i < 0) return;
    if (index.current.rowOf(i) < 0) setFilter({ direction: 'all', opcodes: [], search: '', hideHeartbeats: false });
    setFollow(false);
    setSelectedIndex(i);
  };

  useEffect(() => {
    setSelectedIndex(-1);
    setFollow(true);
  }, [model]);

  useEffect(() => {
    if (pick) setFilter((f) => ({ ...f, name: pick.name }));
  }, [pick]);

  useEffect(() => {
    const onSlash = (e: Event) => {
      if ((e as CustomEvent<string>).detail === 'frames') searchRef.current?.focus();
    };
    window.addEventListener('loopgate:focus-search', onSlash);
    return () => window.removeEventListener('loopgate:focus-search', onSlash);
  }, []);

  const toggleOp = (op: number) =>
    setFilter((f) => ({
      ...f,
      opcodes: f.opcodes.includes(op) ? f.opcodes.filter((o) => o !== op) : [...f.opcodes, op].sort((a, b) => a - b),
    }));

  return (
    <div class="inspector">
      <div class="toolbar frame-toolbar" role="toolbar" aria-label="Frame filters">
        <div class="seg" role="radiogroup" aria-label="Direction">
          {(
            [
              ['all', 'All'],
              ['send', '↑ Sent'],
              ['receive', '↓ Received'],
            ] as Array<[Direction, string]>
          ).map(([d, text]) => (
            <button
              key={d}
              type="button"
              role="radio"
              aria-checked={filter.direction === d}
              class={cx('seg-btn', filter.direction === d && 'on')}
              onClick={() => setFilter((f) => ({ ...f, direction: d }))}
            >
              {text}
            </button>
          ))}
        </div>
        <div class="seg" role="group" aria-label="Opcodes">
          {OPS.map(([op, name]) => (
            <button
              key={op}
              type="button"
              aria-pressed={filter.opcodes.includes(op)}
              class={cx('seg-btn', filter.opcodes.includes(op) && 'on')}
              onClick={() => toggleOp(op)}
            >
              {name}
            </button>
          ))}
        </div>
        {decodedView && (
          <>
            <select
              class="input name-filter"
              aria-label="Filter by event, operation or method"
              value={filter.name ?? ''}
              onChange={(e) => {
                const name = (e.currentTarget as HTMLSelectElement).value;
                setFilter((f) => ({ ...f, name: name || undefined }));
              }}
            >
              <option value="">All names</option>
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
            <button
              type="button"
              class={cx('seg-btn', filter.hideHeartbeats && 'on')}
              aria-pressed={!!filter.hideHeartbeats}
              title="Hide keep-alive messages (ping/pong, ka, heart-beats)"
              onClick={() => setFilter((f) => ({ ...f, hideHeartbeats: !f.hideHeartbeats }))}
            >
              Hide heartbeats
            </button>
          </>
        )}
        <input
          ref={searchRef}
          class={cx('input search mono', error && 'bad')}
          type="search"
          name="frame-search"
          aria-label="Search frames (regular expression)"
          aria-invalid={error ? 'true' : undefined}
          placeholder="Regex search  /"
          spellcheck={false}
          value={filter.search}
          onInput={(e) => setFilter((f) => ({ ...f, search: (e.currentTarget as HTMLInputElement).value }))}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              setFilter((f) => ({ ...f, search: '' }));
              (e.currentTarget as HTMLInputElement).blur();
            }
          }}
        />
        {error && (
          <span class="error-text" role="alert">
            {error}
          </span>
        )}
        <span class="count mono" aria-live="polite" data-testid="frame-count">
          {model.loading
            ? 'loading…'
            : `${searching ? 'searching… ' : ''}${count.toLocaleString('en')} / ${frames.length.toLocaleString('en')}`}
          {model.evicted > 0 && ` (+${model.evicted.toLocaleString('en')} evicted)`}
        </span>
      </div>
      <div class={cx('frames-head frame-grid', decodedView && 'decoded')} role="presentation">
        <span>#</span>
        <span />
        <span>Time</span>
        <span>Op</span>
        <span class="num">Size</span>
        {decodedView && <span>Message</span>}
        <span>Data</span>
      </div>
      <VirtualList
        class="frames"
        label="Frames"
        idBase="frame-row"
        count={count}
        rowHeight={FRAME_ROW_HEIGHT}
        version={version}
        selected={selectedRow}
        onSelect={(row) => setSelectedIndex(index.current.at(row))}
        follow={follow}
        onFollowChange={setFollow}
        rowClass={(row) => {
          const f = frames[index.current.at(row)]!;
          return cx(
            'frame-grid',
            decodedView && 'decoded',
            f.decoded?.heartbeat && 'heartbeat',
            f.type === 'send' ? 'dir-send' : 'dir-receive',
            f.opcode >= 8 && 'control',
            f.injected && 'injected',
          );
        }}
        renderRow={(row) => {
          const f = frames[index.current.at(row)]!;
          return (
            <>
              <span class="num muted">{f.seq}</span>
              <span class="dir" aria-label={f.type === 'send' ? 'sent by the client' : 'received from the backend'}>
                {f.type === 'send' ? '↑' : '↓'}
              </span>
              <span class="muted">{clock(f.time * 1000)}</span>
              <span class={`op op-${f.opcode}`}>{OPCODE_NAMES[f.opcode]}</span>
              <span class="num">{formatBytes(f.length)}</span>
              {decodedView && <DecodedCell frame={f} />}
              <span class="data">{preview(f)}</span>
            </>
          );
        }}
      />
      {!follow && count > 0 && (
        <button type="button" class="btn small follow-btn" onClick={() => setFollow(true)}>
          ↓ Follow new frames
        </button>
      )}
      <div class={cx('frame-detail', !selected && 'empty-detail')}>
        {selected ? (
          <FrameView frame={selected} replies={replies.get(selected.seq)} onJump={jump} />
        ) : (
          <div class="empty small">Select a frame to see it as text, JSON, hex or base64.</div>
        )}
      </div>
    </div>
  );
}

/** The decoded column: a type badge, the name, and for a reply its request's seq and latency. */
function DecodedCell({ frame: f }: { frame: FrameRecord }) {
  const d = f.decoded;
  if (!d) return <span class="msg muted">—</span>;
  return (
    <span class="msg" title={d.error ?? undefined}>
      <span class={cx('badge', 'msg-type', d.heartbeat && 'hb', d.error && 'error')}>{d.type}</span>
      {d.name && <span class="msg-name">{d.name}</span>}
      {f.replyTo !== undefined && (
        <span class="muted reply-of">
          {' '}
          ↩ #{f.replyTo}
          {f.latencyMs !== undefined && ` · ${formatLatency(f.latencyMs)}`}
        </span>
      )}
    </span>
  );
}

export function formatLatency(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
