// A new route being written: nothing routes through it until the user adds it (no placeholder target goes live).
import { useState } from 'preact/hooks';
import type { RouteInput } from '../../shared/config.ts';
import { draftProblem } from './draft.ts';
import { Preview } from './RouteTable.tsx';

interface Props {
  /** The match it starts with (a free prefix). */
  initial: RouteInput;
  existing: readonly RouteInput[];
  onApply: (route: RouteInput) => void;
  onCancel: () => void;
}

export function RouteDraft({ initial, existing, onApply, onCancel }: Props) {
  const [route, setRoute] = useState<RouteInput>(initial);
  const problem = draftProblem(route, existing);
  const apply = () => {
    if (!problem) onApply({ ...route, target: route.target.trim() });
  };
  return (
    <form
      class="route-draft"
      aria-label="New route"
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      <h3 class="subhead">New route — not live until you add it</h3>
      <div class="grid-4">
        <label class="field">
          <span class="field-label">Match (location)</span>
          <input
            class="input mono"
            name="new-route-match"
            value={route.match}
            spellcheck={false}
            onInput={(e) => setRoute({ ...route, match: (e.currentTarget as HTMLInputElement).value })}
          />
        </label>
        <label class="field wide">
          <span class="field-label">Target (proxy_pass)</span>
          <input
            class="input mono"
            name="new-route-target"
            value={route.target}
            placeholder="http://localhost:8888"
            spellcheck={false}
            // biome-ignore lint/a11y/noAutofocus: the user just asked for a new route; the target is what to write
            autoFocus
            onInput={(e) => setRoute({ ...route, target: (e.currentTarget as HTMLInputElement).value })}
          />
        </label>
        <label class="switch-field">
          <input
            type="checkbox"
            role="switch"
            class="switch"
            checked={route.ws !== false}
            onChange={(e) => setRoute({ ...route, ws: (e.currentTarget as HTMLInputElement).checked })}
          />{' '}
          WebSocket upgrades
        </label>
      </div>
      <div class="button-row">
        <button type="submit" class="btn primary small" disabled={problem !== null}>
          Add route
        </button>
        <button type="button" class="btn small" onClick={onCancel}>
          Cancel
        </button>
        <span class="muted" role="status">
          {problem ?? <Preview route={route} />}
        </span>
      </div>
    </form>
  );
}
