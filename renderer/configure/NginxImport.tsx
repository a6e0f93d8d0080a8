// "Import nginx config…": paste or open a .conf, see its warnings by line, pick a server block, apply it or add it as a profile.
import { useRef, useState } from 'preact/hooks';
import type { LoopgateBridge, NginxImportResult, NginxImportWarning } from '../../shared/api.ts';
import type { ConfigInput } from '../../shared/config.ts';
import { sameJson } from './draft.ts';
import { addProfile, applySite, freeProfileName, listenText, siteSummary } from './nginx-apply.ts';
import { cx } from '../components/ui.tsx';
import type { ConfigDraft } from './useConfigDraft.ts';

const PLACEHOLDER = `Paste a server { … } block, an http { … } body, a whole nginx.conf, or just the directives of one server:

    root /srv/app/dist;
    location /api { proxy_pass http://localhost:8888/api; }`;

type Done = { kind: 'apply' | 'profile'; config: ConfigInput; text: string };

/** Select line `line` (1-based) of a textarea and scroll it into view. */
function selectLine(ta: HTMLTextAreaElement | null, line: number): void {
  if (!ta) return;
  const lines = ta.value.split('\n');
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  const end = start + (lines[line - 1]?.length ?? 0);
  ta.focus();
  ta.setSelectionRange(start, end);
  const lineHeight = parseFloat(getComputedStyle(ta).lineHeight) || 15;
  ta.scrollTop = Math.max(0, (line - 3) * lineHeight);
}

export function NginxImport({
  bridge,
  cfg,
  onClose,
}: {
  bridge: LoopgateBridge;
  cfg: ConfigDraft;
  onClose: () => void;
}) {
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | undefined>(undefined);
  const [result, setResult] = useState<NginxImportResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [pick, setPick] = useState(0);
  const [useListen, setUseListen] = useState(false);
  const [profile, setProfile] = useState('');
  const [done, setDone] = useState<Done | null>(null);
  const ta = useRef<HTMLTextAreaElement>(null);

  const read = async (body: string, name: string | undefined) => {
    setBusy(true);
    setFailure(null);
    setDone(null);
    try {
      const r = await bridge.importNginx(name ? { text: body, fileName: name } : { text: body });
      setResult(r);
      setPick(0);
      setUseListen(false);
      if (r.ok && r.sites[0]) setProfile(freeProfileName(r.sites[0].name, cfg.saved));
    } catch (err) {
      setResult(null);
      setFailure((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const openFile = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    const body = await file.text();
    setText(body);
    setFileName(file.name);
    await read(body, file.name);
  };

  const sites = result?.ok ? result.sites : [];
  const site = sites[Math.min(pick, sites.length - 1)];
  const warnings = result?.ok ? result.warnings : [];
  const shownFile = fileName ?? 'pasted.conf';
  const listen = site ? listenText(site.config.listen) : null;

  const apply = () => {
    if (!site) return;
    const next = applySite(cfg.draft, site.config, { useListen });
    cfg.update(() => next, { now: true });
    const n = site.config.routes?.length ?? 0;
    setDone({
      kind: 'apply',
      config: next,
      text: `"${site.name}" applied: its site settings and ${n} route${n === 1 ? '' : 's'} are live.`,
    });
  };

  const asProfile = (e: Event) => {
    e.preventDefault();
    if (!site) return;
    const name = profile.trim();
    if (!name || cfg.draft.profiles?.[name]) return;
    const next = addProfile(cfg.draft, name, site.config);
    cfg.update(() => next, { now: true });
    setDone({
      kind: 'profile',
      config: next,
      text: `Profile "${name}" added with ${site.config.routes?.length ?? 0} routes: switch to it in the profile menu at the top.`,
    });
    setProfile(freeProfileName(name, next));
  };

  // Whether the last Apply / Add went through: the draft machinery saves it and reports refusals at the top.
  const doneState = !done
    ? null
    : cfg.status === 'invalid' || cfg.status === 'failed' || cfg.status === 'conflict'
      ? 'bad'
      : sameJson(cfg.saved, done.config)
        ? 'ok'
        : 'pending';
  const profileTaken = profile.trim() !== '' && Boolean(cfg.draft.profiles?.[profile.trim()]);

  return (
    <div class="nginx-import" role="region" aria-label="Import nginx config">
      <div class="import-input">
        <textarea
          ref={ta}
          class="input mono code-input"
          aria-label="nginx config to import"
          placeholder={PLACEHOLDER}
          spellcheck={false}
          rows={12}
          value={text}
          onInput={(e) => {
            setText((e.currentTarget as HTMLTextAreaElement).value);
            setFileName(undefined);
          }}
        />
        <div class="button-row">
          <button
            type="button"
            class="btn primary"
            disabled={busy || text.trim() === ''}
            onClick={() => void read(text, fileName)}
          >
            {busy ? 'Reading…' : 'Read config'}
          </button>
          <label class="btn file-btn">
            Open .conf file…
            <input
              type="file"
              class="sr-only"
              accept=".conf,.nginx,.txt,text/plain"
              aria-label="Open an nginx .conf file"
              onChange={(e) => void openFile(e)}
            />
          </label>
          {fileName && <span class="muted mono">{fileName}</span>}
          <span class="grow" />
          <span class="muted">include files are not read: paste their directives in place</span>
          <button type="button" class="btn small ghost" onClick={onClose}>
            Close
          </button>
        </div>
      </div>

      {failure && (
        <div class="banner error" role="alert">
          {failure}
        </div>
      )}
      {result && !result.ok && (
        <div class="banner error" role="alert" aria-label="nginx syntax error">
          <strong>{result.code === 'NGINX_SYNTAX' ? 'Syntax error' : 'Not imported'}</strong>
          {result.line !== undefined ? (
            <button type="button" class="link" onClick={() => selectLine(ta.current, result.line!)}>
              line {result.line}
              {result.column !== undefined ? `, column ${result.column}` : ''}
            </button>
          ) : null}
          <span>{result.message}</span>
          {result.line !== undefined && text.split('\n')[result.line - 1] !== undefined && (
            <pre class="excerpt">{text.split('\n')[result.line - 1]}</pre>
          )}
        </div>
      )}

      {result?.ok && sites.length === 0 && (
        <div class="banner warn">No server block found: nothing to import (see the warnings).</div>
      )}

      {site && (
        <div class="import-result">
          {sites.length > 1 && (
            <fieldset class="site-pick">
              <legend class="field-label">{sites.length} server blocks: import which one?</legend>
              {sites.map((s, i) => (
                <label key={s.name} class={cx('check', i === pick && 'on')}>
                  <input
                    type="radio"
                    name="nginx-site"
                    checked={i === pick}
                    onChange={() => {
                      setPick(i);
                      setProfile(freeProfileName(s.name, cfg.draft));
                    }}
                  />
                  <span class="mono">{s.name}</span>
                  <span class="muted">
                    {s.config.routes?.length ?? 0} routes
                    {listenText(s.config.listen) ? ` · listen ${listenText(s.config.listen)}` : ''}
                  </span>
                </label>
              ))}
            </fieldset>
          )}
          <div class="import-site" aria-label={`Imported site ${site.name}`}>
            <div class="field-label">
              {site.name}
              {siteSummary(site.config).length > 0 && <span class="muted">{siteSummary(site.config).join(' · ')}</span>}
            </div>
            <ul class="import-routes" aria-label="Imported routes">
              {(site.config.routes ?? []).map((r, i) => (
                <li key={i}>
                  <code>{r.match}</code> → <span class="mono">{r.target}</span>
                  {r.ws === false && <span class="muted"> (no WebSocket upgrades)</span>}
                </li>
              ))}
              {!site.config.routes?.length && <li class="muted">no proxied locations</li>}
            </ul>
            <details>
              <summary>As loopgate.json</summary>
              <pre class="code-view">{JSON.stringify(site.config, null, 2)}</pre>
            </details>
          </div>
          <div class="import-actions">
            <div class="button-row">
              <button type="button" class="btn primary" onClick={apply}>
                Apply
              </button>
              <span class="muted">
                replaces the site settings and the default routes
                {cfg.draft.activeProfile ? ` (and leaves profile "${cfg.draft.activeProfile}")` : ''}; inspector and
                profiles stay
              </span>
            </div>
            {listen && (
              <label class="check">
                <input
                  type="checkbox"
                  checked={useListen}
                  onChange={(e) => setUseListen((e.currentTarget as HTMLInputElement).checked)}
                />
                also listen on <span class="mono">{listen}</span> (else Loopgate keeps{' '}
                {listenText(cfg.draft.listen) ?? 'its address'})
              </label>
            )}
            <form class="inline-form" onSubmit={asProfile}>
              <input
                class="input"
                aria-label="Profile name"
                value={profile}
                onInput={(e) => setProfile((e.currentTarget as HTMLInputElement).value)}
              />
              <button type="submit" class="btn" disabled={!profile.trim() || profileTaken}>
                Add as profile
              </button>
              <span class="muted">
                {profileTaken ? 'a profile has this name' : 'its routes only, as a route set to switch to'}
              </span>
            </form>
            {done && (
              <div
                class={cx('import-done', doneState === 'bad' ? 'error-text' : doneState === 'ok' && 'ok-text')}
                role="status"
              >
                {doneState === 'bad'
                  ? 'Not saved: see the errors at the top.'
                  : doneState === 'ok'
                    ? done.text
                    : 'Saving…'}
              </div>
            )}
          </div>
        </div>
      )}

      {result?.ok && warnings.length > 0 && (
        <div class="import-warnings">
          <h4 class="subhead">
            {warnings.length} warning{warnings.length === 1 ? '' : 's'}: what Loopgate does differently or leaves out
          </h4>
          <ul aria-label="Import warnings">
            {warnings.map((w: NginxImportWarning, i) => (
              <li key={i}>
                {w.file === shownFile ? (
                  <button
                    type="button"
                    class="link mono"
                    title="Show the line"
                    onClick={() => selectLine(ta.current, w.line)}
                  >
                    line {w.line}
                  </button>
                ) : (
                  <span class="mono">
                    {w.file}:{w.line}
                  </span>
                )}{' '}
                {w.message.startsWith(w.directive) ? (
                  w.message
                ) : (
                  <>
                    <code>{w.directive}</code> {w.message}
                  </>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
