// The app shell: top bar (status, tabs, profile, theme, save state), event stream wiring, keyboard shortcuts.
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { LoopgateBridge, StatusInfo } from '../shared/api.ts';
import { ConfigureView } from './configure/ConfigureView.tsx';
import { useConfigDraft, type SaveStatus } from './configure/useConfigDraft.ts';
import { LiveLog } from './watch/live.ts';
import { installShortcuts, SHORTCUTS } from './lib/keys.ts';
import { applyTheme, loadTheme, type Theme } from './lib/theme.ts';
import { cx, Tabs } from './components/ui.tsx';
import { WatchView } from './watch/WatchView.tsx';

type Tab = 'configure' | 'watch';

const SAVE_TEXT: Record<SaveStatus, string> = {
  loading: 'Loading…',
  saved: 'Saved · live',
  live: 'Live · not saved to a file',
  conflict: 'Not saved: changed elsewhere',
  pending: 'Editing…',
  saving: 'Saving…',
  invalid: 'Not saved: fix the errors',
  failed: 'Save failed',
};

export function App({ bridge, initialTab }: { bridge: LoopgateBridge; initialTab?: Tab }) {
  const [tab, setTab] = useState<Tab>(initialTab ?? 'watch');
  const [status, setStatus] = useState<StatusInfo | null>(null);
  const [statusError, setStatusError] = useState<string | null>(null);
  const [configVersion, setConfigVersion] = useState(0);
  const [liveVersion, setLiveVersion] = useState(0);
  const [theme, setTheme] = useState<Theme>(loadTheme());
  const [toast, setToast] = useState<{ msg: string; bad: boolean } | null>(null);
  const [help, setHelp] = useState(false);
  const live = useMemo(() => new LiveLog(bridge), [bridge]);
  const cfg = useConfigDraft(bridge, configVersion, status ? (status.configFile ?? null) : undefined);

  const refreshStatus = () =>
    bridge.status().then(
      (s) => {
        setStatus(s);
        setStatusError(null);
      },
      (err: Error) => setStatusError(err.message),
    );

  useEffect(() => {
    let frame = 0;
    const offLive = live.subscribe(() => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setLiveVersion(live.version);
      });
    });
    const off = bridge.subscribe((batch) => {
      live.apply(batch);
      // "cleared": the log was cleared, or another config was opened (tray or window): re-read both.
      if (batch.some((e) => e.type === 'config' || e.type === 'cleared')) {
        setConfigVersion((v) => v + 1);
        void refreshStatus();
      }
    });
    void live.reload().catch((err: Error) => setStatusError(err.message));
    void refreshStatus();
    const t = setInterval(() => void refreshStatus(), 5000);
    return () => {
      off();
      offLive();
      clearInterval(t);
      cancelAnimationFrame(frame);
    };
  }, [bridge, live]);

  useEffect(() => applyTheme(theme), [theme]);

  useEffect(
    () =>
      installShortcuts({
        tab: (t) => setTab(t),
        pause: () => live.setPaused(!live.paused),
        help: () => setHelp((h) => !h),
        escape: () => setHelp(false),
      }),
    [live],
  );

  const notify = (msg: string, bad = false) => {
    setToast({ msg, bad });
    setTimeout(() => setToast(null), 5000);
  };

  const switchProfile = async (name: string | null) => {
    const r = await cfg
      .setProfile(name)
      .catch((err: Error) => ({ ok: false as const, errors: [{ path: 'activeProfile', message: err.message }] }));
    if (!r.ok) notify(r.errors.map((e) => e.message).join('; '), true);
    void refreshStatus();
  };

  const profiles = status?.profiles ?? Object.keys(cfg.saved.profiles ?? {});
  const active = status?.activeProfile ?? cfg.saved.activeProfile ?? null;
  const running = status?.running ?? false;

  return (
    <div class="app">
      <header class="topbar">
        <div class="brand" aria-label="Loopgate">
          <span class="logo" aria-hidden="true" />
          Loopgate
        </div>
        <Tabs<Tab>
          label="Main views"
          idBase="main"
          value={tab}
          onChange={setTab}
          tabs={[
            ['configure', 'Configure'],
            ['watch', 'Watch'],
          ]}
        />
        <div class="status" role="status" aria-label="Server status">
          <span class={cx('dot', statusError ? 'bad' : running ? 'ok' : 'off')} aria-hidden="true" />
          {statusError ? (
            <span class="error-text">{statusError}</span>
          ) : status?.siteUrl ? (
            <a href={status.siteUrl} target="_blank" rel="noreferrer" class="mono">
              {status.siteUrl}
            </a>
          ) : (
            <span class="muted">{status ? 'stopped' : 'connecting…'}</span>
          )}
          {status?.lastError && (
            <span class="error-text" title={status.lastError}>
              {' '}
              ⚠ {status.lastError.split('\n')[0]}
            </span>
          )}
        </div>
        <span class="grow" />
        <span class={cx('save-state', `save-${cfg.status}`)} aria-live="polite">
          {SAVE_TEXT[cfg.status]}
        </span>
        <label class="top-select">
          <span class="sr-only">Profile</span>
          <select
            class="input"
            aria-label="Active profile"
            value={active ?? ''}
            disabled={profiles.length === 0}
            title={
              profiles.length === 0
                ? 'No profiles in loopgate.json (add one under Configure → Profiles)'
                : 'Switch the active route set'
            }
            onChange={(e) => {
              const v = (e.currentTarget as HTMLSelectElement).value;
              void switchProfile(v === '' ? null : v);
            }}
          >
            <option value="">Default routes</option>
            {profiles.map((p) => (
              <option key={p} value={p}>
                Profile: {p}
              </option>
            ))}
          </select>
        </label>
        <label class="top-select">
          <span class="sr-only">Theme</span>
          <select
            class="input"
            aria-label="Theme"
            value={theme}
            onChange={(e) => setTheme((e.currentTarget as HTMLSelectElement).value as Theme)}
          >
            <option value="auto">Auto theme</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
        <button
          type="button"
          class="btn icon"
          aria-label="Keyboard shortcuts"
          title="Keyboard shortcuts (?)"
          onClick={() => setHelp((h) => !h)}
        >
          ?
        </button>
      </header>
      <main class="main">
        <div
          id="main-panel-configure"
          role="tabpanel"
          aria-labelledby="main-tab-configure"
          hidden={tab !== 'configure'}
          class="tab-main"
        >
          <ConfigureView
            bridge={bridge}
            cfg={cfg}
            siteUrl={status?.siteUrl ?? null}
            configFile={status?.configFile ?? null}
            canOpenConfig={status?.canOpenConfig === true}
            onConfigOpened={() => void refreshStatus()}
            onSwitchProfile={(n) => void switchProfile(n)}
          />
        </div>
        <div
          id="main-panel-watch"
          role="tabpanel"
          aria-labelledby="main-tab-watch"
          hidden={tab !== 'watch'}
          class="tab-main"
        >
          <WatchView bridge={bridge} live={live} version={liveVersion} notify={notify} />
        </div>
      </main>
      {toast && (
        <div class={cx('toast', toast.bad && 'bad')} role={toast.bad ? 'alert' : 'status'}>
          {toast.msg}
        </div>
      )}
      {help && (
        <div class="help" role="dialog" aria-modal="false" aria-label="Keyboard shortcuts">
          <h2>Keyboard</h2>
          <dl>
            {SHORTCUTS.map(([k, text]) => (
              <div key={k}>
                <dt>
                  <kbd>{k}</kbd>
                </dt>
                <dd>{text}</dd>
              </div>
            ))}
          </dl>
          <button type="button" class="btn small" onClick={() => setHelp(false)}>
            Close
          </button>
        </div>
      )}
    </div>
  );
}
