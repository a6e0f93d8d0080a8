// Profiles: named route sets (local / staging / production); create one from the current routes, or delete.
import { useState } from 'preact/hooks';
import type { RouteInput } from '../../shared/config.ts';
import { routesOf } from './draft.ts';
import { Section } from '../components/ui.tsx';
import type { Form } from './form.ts';

export function ProfilesSection({ form, onSwitch }: { form: Form; onSwitch: (name: string | null) => void }) {
  const [name, setName] = useState('');
  const profiles = form.draft.profiles ?? {};
  const active = form.draft.activeProfile ?? null;
  const names = Object.keys(profiles);
  const create = (e: Event) => {
    e.preventDefault();
    const n = name.trim();
    if (!n || profiles[n]) return;
    const routes: RouteInput[] = JSON.parse(JSON.stringify(routesOf(form.draft))) as RouteInput[];
    form.set(['profiles', n], { routes }, true);
    setName('');
  };
  return (
    <Section title="Profiles" id="profiles" note="named route sets, switched live">
      <ul class="profiles" aria-label="Profiles">
        <li class={active === null ? 'active' : ''}>
          <button
            type="button"
            class="link"
            aria-current={active === null ? 'true' : undefined}
            onClick={() => onSwitch(null)}
          >
            Default routes
          </button>
          <span class="muted">{(form.draft.routes ?? []).length} routes</span>
        </li>
        {names.map((n) => (
          <li key={n} class={active === n ? 'active' : ''}>
            <button
              type="button"
              class="link"
              aria-current={active === n ? 'true' : undefined}
              onClick={() => onSwitch(n)}
            >
              {n}
            </button>
            <span class="muted">{profiles[n]!.routes.length} routes</span>
            <button
              type="button"
              class="btn icon danger"
              aria-label={`Delete profile ${n}`}
              disabled={active === n}
              title={active === n ? 'Switch to another profile first' : 'Delete'}
              onClick={() => form.set(['profiles', n], undefined, true)}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <form class="inline-form" onSubmit={create}>
        <input
          class="input"
          aria-label="New profile name"
          placeholder="staging"
          value={name}
          onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
        />
        <button type="submit" class="btn small" disabled={!name.trim() || name.trim() in profiles}>
          New profile from current routes
        </button>
      </form>
    </Section>
  );
}
