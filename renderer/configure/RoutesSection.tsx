// Routes: the table, nginx's order rules beside it, a path tester, and the selected route's details.
import { useEffect, useState } from 'preact/hooks';
import type { RouteInput } from '../../shared/config.ts';
import { insertAt, newRoute, routesOf, routesPath } from './draft.ts';
import { matchRoute, rewriteUrl } from './rewrite.ts';
import { Empty, Section } from '../components/ui.tsx';
import type { Form } from './form.ts';
import { RouteDetails } from './RouteDetails.tsx';
import { RouteDraft } from './RouteDraft.tsx';
import { RouteTable } from './RouteTable.tsx';

export function RoutesSection({ form }: { form: Form }) {
  const [selected, setSelected] = useState<number | null>(null);
  const [probe, setProbe] = useState('/api/users');
  const base = routesPath(form.draft);
  const routes = routesOf(form.draft);
  const hit = probe.startsWith('/') ? matchRoute(routes, probe) : null;
  const hitRoute: RouteInput | undefined = hit ? routes[hit.index] : undefined;
  const profile = form.draft.activeProfile;
  /** "+ Add route" opens a draft: it routes nothing until the user adds it. */
  const [draft, setDraft] = useState<RouteInput | null>(null);
  /** The last deleted route, for Undo (until another delete, or a while). */
  const [deleted, setDeleted] = useState<{ route: RouteInput; index: number } | null>(null);
  useEffect(() => {
    if (!deleted) return;
    const t = setTimeout(() => setDeleted(null), 15_000);
    return () => clearTimeout(t);
  }, [deleted]);
  const add = () => setDraft(draft ?? newRoute(routes));
  const apply = (route: RouteInput) => {
    form.set(base, [...routes, route], true);
    setDraft(null);
    setSelected(routes.length);
  };
  const undo = () => {
    if (!deleted) return;
    form.set(base, insertAt(routes, deleted.index, deleted.route), true);
    setDeleted(null);
  };
  const sel = selected !== null && selected < routes.length ? selected : null;

  return (
    <Section
      title="Routes"
      id="routes"
      note={profile ? `profile "${profile}"` : 'proxy_pass locations'}
      actions={
        <button type="button" class="btn primary small" onClick={add} disabled={draft !== null}>
          + Add route
        </button>
      }
    >
      <div class="routes-layout">
        <div class="routes-main">
          {deleted && (
            <div class="banner" role="status" aria-label="Route deleted">
              Deleted route <code>{deleted.route.match}</code> → <code>{deleted.route.target}</code>.
              <button type="button" class="btn small" onClick={undo}>
                Undo
              </button>
            </div>
          )}
          {draft && <RouteDraft initial={draft} existing={routes} onApply={apply} onCancel={() => setDraft(null)} />}
          {routes.length === 0 ? (
            <Empty>
              No routes yet: every request goes to the static site. Add one to proxy a path prefix to a backend.
            </Empty>
          ) : (
            <RouteTable
              form={form}
              routes={routes}
              base={base}
              selected={sel}
              onSelect={setSelected}
              matched={hit?.index ?? null}
              onRemoved={(route, index) => setDeleted({ route, index })}
            />
          )}
          <div class="probe" role="group" aria-label="Test a path">
            <label for="probe-input" class="field-label">
              Test a path
            </label>
            <input
              id="probe-input"
              class="input mono"
              value={probe}
              spellcheck={false}
              onInput={(e) => setProbe((e.currentTarget as HTMLInputElement).value)}
            />
            <output class="probe-out mono" for="probe-input" aria-live="polite">
              {!probe.startsWith('/') ? (
                <span class="muted">a path starts with /</span>
              ) : hit && hitRoute ? (
                <>
                  route {hit.index + 1} <code>{hitRoute.match}</code> <span class="muted">({hit.rule})</span> →{' '}
                  {rewriteUrl(hitRoute.match, hitRoute.target, probe).url}
                </>
              ) : (
                <span class="muted">no route matches: the static site answers</span>
              )}
            </output>
          </div>
        </div>
        <aside class="rules" aria-label="How nginx picks a route">
          <h3>Which route wins</h3>
          <ol>
            <li>
              <code>= /path</code> exact first — wins at once
            </li>
            <li>
              longest prefix (<code>/api</code>, <code>^~ /x</code>) is remembered, wherever it is in the list
            </li>
            <li>
              <code>^~</code> on it stops: regexes are not tried
            </li>
            <li>
              regexes (<code>~</code>, <code>~*</code>) in order — the first match wins
            </li>
            <li>else the longest prefix; no match → static site</li>
          </ol>
          <p class="muted">
            Target with a path (<code>http://h/v2/</code>) replaces the matched prefix; without one the URI passes
            unchanged.
          </p>
        </aside>
      </div>
      {sel !== null && routes[sel] && (
        <RouteDetails
          form={form}
          route={routes[sel]!}
          path={[...base, sel]}
          index={sel}
          onClose={() => setSelected(null)}
        />
      )}
    </Section>
  );
}
