// Where the running config comes from (file, command line, nginx import) and where changes go; "Save as loopgate.json" for a config in memory; "Open project…" in the desktop app.
import { useState } from 'preact/hooks';
import type { ConfigSourceInfo, ConfigWriteResult, LoopgateBridge, OpenConfigResult } from '../../shared/api.ts';

interface Props {
  bridge: LoopgateBridge;
  configFile: string | null;
  /** Where the config comes from (null until loaded). */
  source: ConfigSourceInfo | null;
  /** StatusInfo.canOpenConfig: the desktop app only. */
  canOpen: boolean;
  /** Called before the switch: unsaved edits go to the config they were made for. */
  beforeOpen: () => Promise<void>;
  /** A project was opened: the caller re-reads status and config. */
  onOpened: (result: OpenConfigResult) => void;
  /** Write the running config to loopgate.json (in memory only). */
  onSave: (opts?: { overwrite?: boolean }) => Promise<ConfigWriteResult>;
}

function originText(source: ConfigSourceInfo): string {
  const o = source.origin;
  if (o.kind === 'file') return 'loopgate.json';
  if (o.kind === 'nginx') return `an nginx import (${o.file})`;
  return 'the command line';
}

export function ProjectBar({ bridge, configFile, source, canOpen, beforeOpen, onOpened, onSave }: Props) {
  const [opening, setOpening] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<{ message: string; exists: boolean } | null>(null);

  const open = async () => {
    setOpening(true);
    setError(null);
    try {
      await beforeOpen();
      const result = await bridge.openConfig();
      // Cancelled: nothing to show.
      if (result.opened) onOpened(result);
    } catch (err) {
      // The IPC bridge's "CODE: message": the message is what the user can act on.
      setError(String((err as Error)?.message ?? err).replace(/^[A-Z_]+: /, ''));
    } finally {
      setOpening(false);
    }
  };

  const save = async (overwrite = false) => {
    setSaving(true);
    setSaveError(null);
    const result = await onSave({ overwrite });
    setSaving(false);
    if (!result.ok)
      setSaveError({ message: result.errors.map((e) => e.message).join('; '), exists: result.code === 'FILE_EXISTS' });
  };

  const file = source ? source.file : configFile;
  const flags = source?.commandLine ?? [];
  return (
    <div class="project">
      <div class="project-bar">
        <span class="muted">Config file</span>
        <code class="project-path" title={file ?? undefined} data-testid="config-path">
          {file ?? 'in memory (no file)'}
        </code>
        {source && (
          <span class="muted" data-testid="config-origin">
            from {originText(source)}
          </span>
        )}
        {canOpen && (
          <button
            type="button"
            class="btn small"
            disabled={opening}
            title="Run another project's loopgate.json (or its folder)"
            onClick={() => void open()}
          >
            {opening ? 'Opening…' : 'Open project…'}
          </button>
        )}
      </div>
      {source && !source.file && (
        <div class="banner warn" role="status" aria-label="Config in memory only">
          <strong>Changes live in memory only.</strong> This config came from {originText(source)}; what you change here
          runs at once but is lost when Loopgate stops, until you save it.
          <button type="button" class="btn small primary" disabled={saving} onClick={() => void save()}>
            {saving ? 'Saving…' : `Save as ${source.saveAs ?? 'loopgate.json'}`}
          </button>
          {saveError && (
            <div class="pre-wrap" role="alert">
              {saveError.message}{' '}
              {saveError.exists && (
                <button type="button" class="btn small" onClick={() => void save(true)}>
                  Save over it (keep a copy)
                </button>
              )}
            </div>
          )}
        </div>
      )}
      {source?.file && flags.length > 0 && (
        <div class="banner" role="note" aria-label="From the command line">
          <span>
            From the command line:{' '}
            {flags.map((f) => (
              <code key={f.flag}>{f.flag} </code>
            ))}{' '}
            — these win over {source.file.split(/[\\/]/).pop()} and are not written into it unless you change them here.
          </span>
        </div>
      )}
      {error && (
        <div class="banner error" role="alert" aria-label="Project not opened">
          <strong>Not opened — the running config is unchanged.</strong>
          <div class="pre-wrap">{error}</div>
          <button type="button" class="btn small" onClick={() => setError(null)}>
            Dismiss
          </button>
        </div>
      )}
    </div>
  );
}
