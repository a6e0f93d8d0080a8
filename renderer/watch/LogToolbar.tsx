// The log's toolbar: text search, status classes, route, WS only, pause, clear, HAR export and import.
import { useEffect, useRef } from 'preact/hooks';
import type { StatusClass } from '../../shared/api.ts';
import type { LogFilter } from './log-filter.ts';
import { cx } from '../components/ui.tsx';

const CLASSES: StatusClass[] = ['2xx', '3xx', '4xx', '5xx', 'error', 'pending'];

interface Props {
  filter: LogFilter;
  onFilter: (f: LogFilter) => void;
  routes: string[];
  paused: boolean;
  held: number;
  onPause: (p: boolean) => void;
  onClear: () => void;
  onExport: () => void;
  onImport: (file: File) => void;
  shown: number;
  total: number;
}

export function LogToolbar(p: Props) {
  const search = useRef<HTMLInputElement>(null);
  const file = useRef<HTMLInputElement>(null);
  const f = p.filter;
  useEffect(() => {
    const on = (e: Event) => {
      if ((e as CustomEvent<string>).detail === 'log') search.current?.focus();
    };
    window.addEventListener('loopgate:focus-search', on);
    return () => window.removeEventListener('loopgate:focus-search', on);
  }, []);
  const toggle = (c: StatusClass) =>
    p.onFilter({ ...f, status: f.status.includes(c) ? f.status.filter((x) => x !== c) : [...f.status, c] });
  return (
    <div class="toolbar" role="toolbar" aria-label="Log filters and actions">
      <button
        type="button"
        class={cx('btn small rec', p.paused && 'paused')}
        aria-pressed={p.paused}
        title={p.paused ? 'Resume (p)' : 'Pause (p)'}
        onClick={() => p.onPause(!p.paused)}
      >
        {p.paused ? `▶ Resume${p.held ? ` (${p.held})` : ''}` : '❚❚ Pause'}
      </button>
      <button type="button" class="btn small" onClick={p.onClear} title="Clear the log">
        Clear
      </button>
      <span class="sep" />
      <input
        ref={search}
        type="search"
        name="log-search"
        class="input search"
        placeholder="Filter  /"
        aria-label="Filter requests by text"
        value={f.text}
        spellcheck={false}
        onInput={(e) => p.onFilter({ ...f, text: (e.currentTarget as HTMLInputElement).value })}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            p.onFilter({ ...f, text: '' });
            (e.currentTarget as HTMLInputElement).blur();
          }
        }}
      />
      <div class="seg" role="group" aria-label="Status classes">
        {CLASSES.map((c) => (
          <button
            key={c}
            type="button"
            class={cx('seg-btn', f.status.includes(c) && 'on', `cls-${c}`)}
            aria-pressed={f.status.includes(c)}
            onClick={() => toggle(c)}
          >
            {c}
          </button>
        ))}
      </div>
      <select
        class="input route-filter"
        aria-label="Filter by route"
        value={f.route}
        onChange={(e) => p.onFilter({ ...f, route: (e.currentTarget as HTMLSelectElement).value })}
      >
        <option value="">All routes</option>
        {p.routes.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <label class="check">
        <input
          type="checkbox"
          checked={f.wsOnly}
          onChange={(e) => p.onFilter({ ...f, wsOnly: (e.currentTarget as HTMLInputElement).checked })}
        />{' '}
        WS only
      </label>
      <span class="grow" />
      <span class="count mono muted" aria-live="polite">
        {p.shown === p.total
          ? `${p.total.toLocaleString('en')} rows`
          : `${p.shown.toLocaleString('en')} / ${p.total.toLocaleString('en')}`}
      </span>
      <button type="button" class="btn small" onClick={p.onExport} title="Download the whole log as HAR">
        Export HAR
      </button>
      <button
        type="button"
        class="btn small"
        onClick={() => file.current?.click()}
        title="Load a HAR file into the log"
      >
        Import HAR
      </button>
      <input
        ref={file}
        type="file"
        accept=".har,application/json"
        class="offscreen"
        aria-label="HAR file to import"
        tabIndex={-1}
        onChange={(e) => {
          const el = e.currentTarget as HTMLInputElement;
          const chosen = el.files?.[0];
          if (chosen) p.onImport(chosen);
          el.value = '';
        }}
      />
    </div>
  );
}
