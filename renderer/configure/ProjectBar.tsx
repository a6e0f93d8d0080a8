// The config file Loopgate runs (full path), and in the desktop app "Open project…" to switch to another project's loopgate.json.
import { useState } from 'preact/hooks';
import type { LoopgateBridge, OpenConfigResult } from '../../shared/api.ts';

interface Props {
  bridge: LoopgateBridge;
  configFile: string | null;
  /** StatusInfo.canOpenConfig: the desktop app only. */
  canOpen: boolean;
  /** Called before the switch: unsaved edits go to the config they were made for. */
  beforeOpen: () => Promise<void>;
  /** A project was opened: the caller re-reads status and config. */
  onOpened: (result: OpenConfigResult) => void;
}

export function ProjectBar({ bridge, configFile, canOpen, beforeOpen, onOpened }: Props) {
  const [opening, setOpening] = useState(false);
  const [error, setError] = useState<string | null>(null);

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

  return (
    <div class="project">
      <div class="project-bar">
        <span class="muted">Config file</span>
        <code class="project-path" title={configFile ?? undefined} data-testid="config-path">
          {configFile ?? 'in memory (no file)'}
        </code>
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
