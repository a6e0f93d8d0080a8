// The Configure tab: every section of loopgate.json, saved live through putConfig, refusals shown in place.
import { useState } from 'preact/hooks';
import type { LoopgateBridge, OpenConfigResult } from '../../shared/api.ts';
import type { ConfigInput } from '../../shared/config.ts';
import { setIn, unitOrText } from './draft.ts';
import { downloadJson } from '../lib/download.ts';
import { Section, Switch, TextField } from '../components/ui.tsx';
import { ConfigBanners } from './ConfigBanners.tsx';
import { CorsFields } from './CorsFields.tsx';
import { DEFAULTS, read, type Form } from './form.ts';
import { NginxExport } from './NginxExport.tsx';
import { NginxImport } from './NginxImport.tsx';
import { ProfilesSection } from './ProfilesSection.tsx';
import { ProjectBar } from './ProjectBar.tsx';
import { RoutesSection } from './RoutesSection.tsx';
import { SiteSection } from './SiteSection.tsx';
import { TimeoutFields } from './TimeoutFields.tsx';
import type { ConfigDraft } from './useConfigDraft.ts';

const NAV = [
  ['site', 'Static site'],
  ['routes', 'Routes'],
  ['limits', 'Timeouts & limits'],
  ['cors', 'CORS'],
  ['inspect', 'Inspector'],
  ['profiles', 'Profiles'],
  ['export', 'Import & export'],
] as const;

/** Scroll to the inline error showing this message and focus its input. */
function showField(message: string): void {
  const el = [
    ...document.querySelectorAll<HTMLElement>('.configure-main .field-error, .configure-main .kv .field-error'),
  ].find((x) => x.textContent?.includes(message));
  if (!el) return;
  el.scrollIntoView({ block: 'center' });
  el.closest('.field, .kv, td, .switch-field')
    ?.querySelector<HTMLElement>('input, select, textarea')
    ?.focus({ preventScroll: true });
}

interface Props {
  bridge: LoopgateBridge;
  cfg: ConfigDraft;
  siteUrl: string | null;
  configFile: string | null;
  /** StatusInfo.canOpenConfig: show "Open project…". */
  canOpenConfig: boolean;
  onConfigOpened: (result: OpenConfigResult) => void;
  onSwitchProfile: (n: string | null) => void;
}

export function ConfigureView({
  bridge,
  cfg,
  siteUrl,
  configFile,
  canOpenConfig,
  onConfigOpened,
  onSwitchProfile,
}: Props) {
  const [nginx, setNginx] = useState<'import' | 'export' | null>(null);
  const form: Form = {
    draft: cfg.draft,
    errors: cfg.errors,
    set: (path, value, now) => cfg.update((d) => setIn<ConfigInput>(d, path, value), { now }),
    commandLine: cfg.source?.commandLine ?? [],
  };
  const unitText = (v: unknown) => (v === undefined ? '' : String(v));
  return (
    <div class="configure">
      <nav class="side-nav" aria-label="Configure sections">
        {NAV.map(([id, text]) => (
          <a
            key={id}
            href={`#${id}`}
            onClick={(e) => {
              e.preventDefault();
              document.getElementById(id)?.scrollIntoView({ block: 'start' });
            }}
          >
            {text}
          </a>
        ))}
        <div class="side-foot muted">
          {(cfg.source?.file ?? configFile) ? (
            <span title={cfg.source?.file ?? configFile ?? undefined}>
              {(cfg.source?.file ?? configFile)!.split('/').pop()}
            </span>
          ) : (
            'in memory (no file)'
          )}
        </div>
      </nav>
      <div class="configure-main" id="configure-main">
        <ProjectBar
          bridge={bridge}
          configFile={configFile}
          source={cfg.source}
          canOpen={canOpenConfig}
          beforeOpen={cfg.settle}
          onOpened={onConfigOpened}
          onSave={cfg.saveToFile}
        />
        <ConfigBanners cfg={cfg} />
        {cfg.errors.size > 0 && (
          <div class="banner error" role="alert" aria-label="Config not saved">
            <strong>Not saved — the running config is unchanged.</strong> Fix{' '}
            {cfg.errors.size === 1 ? 'this' : `these ${cfg.errors.size}`}:
            <ul>
              {cfg.errors.all.map((e) => (
                <li key={e.path + e.message}>
                  <button type="button" class="link" title="Show the field" onClick={() => showField(e.message)}>
                    <code>{e.path}</code>
                  </button>{' '}
                  {e.message}
                </li>
              ))}
            </ul>
            <button type="button" class="btn small" onClick={cfg.revert}>
              Undo my edits
            </button>
          </div>
        )}
        {cfg.message && (
          <div class="banner error" role="alert">
            {cfg.message}
          </div>
        )}
        <SiteSection form={form} siteUrl={siteUrl} />
        <RoutesSection form={form} />
        <Section title="Timeouts & limits" id="limits" note="server defaults; routes can override">
          <TimeoutFields form={form} base={[]} />
        </Section>
        <Section title="CORS" id="cors" note="global policy; each route can override any field">
          <CorsFields form={form} path={['cors']} />
        </Section>
        <Section title="Inspector" id="inspect" note="what the session log keeps">
          <div class="grid-4">
            {(
              [
                ['bodyBytes', 'Body bytes kept', DEFAULTS.bodyBytes, 'First bytes of each HTTP body.'],
                ['frameBytes', 'Frame bytes kept', DEFAULTS.frameBytes, 'Per WebSocket message; the rest is counted.'],
                ['storeBytes', 'Log memory cap', DEFAULTS.storeBytes, 'Oldest records and frames go first.'],
              ] as const
            ).map(([k, label, ph, hint]) => (
              <TextField<string | number | undefined>
                key={k}
                label={label}
                mono
                size="s"
                value={read<string | number>(form, ['inspect', k])}
                format={unitText}
                parse={unitOrText}
                placeholder={ph}
                hint={hint}
                error={form.errors.at(['inspect', k])}
                onChange={(v) => form.set(['inspect', k], v)}
              />
            ))}
            <Switch
              label="Record WebSocket frames"
              checked={read<boolean>(form, ['inspect', 'frames']) ?? true}
              onChange={(v) => form.set(['inspect', 'frames'], v, true)}
            />
          </div>
        </Section>
        <ProfilesSection form={form} onSwitch={onSwitchProfile} />
        <Section title="Import & export" id="export" note="nginx config in and out; loopgate.json as a file">
          <div class="button-row">
            <button
              type="button"
              class={nginx === 'import' ? 'btn active' : 'btn'}
              aria-expanded={nginx === 'import'}
              onClick={() => setNginx(nginx === 'import' ? null : 'import')}
            >
              Import nginx config…
            </button>
            <button
              type="button"
              class={nginx === 'export' ? 'btn active' : 'btn'}
              aria-expanded={nginx === 'export'}
              onClick={() => setNginx(nginx === 'export' ? null : 'export')}
            >
              Export nginx config
            </button>
            <button type="button" class="btn" onClick={() => downloadJson('loopgate.json', cfg.saved)}>
              Download loopgate.json
            </button>
            <span class="muted">
              also on the command line: <code>loopgate import-nginx site.conf</code>, <code>loopgate export-nginx</code>
            </span>
          </div>
          {nginx === 'import' && <NginxImport bridge={bridge} cfg={cfg} onClose={() => setNginx(null)} />}
          {nginx === 'export' && <NginxExport bridge={bridge} saved={cfg.saved} onClose={() => setNginx(null)} />}
        </Section>
      </div>
    </div>
  );
}
