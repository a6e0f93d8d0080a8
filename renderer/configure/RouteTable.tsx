// The routes table: order (buttons, Alt+arrows, drag), on/off, match kind + pattern, target, WS, rewrite preview.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { RouteInput } from '../../shared/config.ts';
import { splitMatch } from '../../shared/match.ts';
import { moveItem, type Path } from './draft.ts';
import { kindOf, rewriteUrl, samplePath } from './rewrite.ts';
import { cx } from '../components/ui.tsx';
import { flagOf, type Form } from './form.ts';

const MODIFIERS = [
  ['', 'prefix'],
  ['=', '= exact'],
  ['^~', '^~ prefix'],
  ['~', '~ regex'],
  ['~*', '~* regex/i'],
] as const;

interface Props {
  form: Form;
  routes: RouteInput[];
  base: Path;
  selected: number | null;
  onSelect: (i: number | null) => void;
  /** Route picked by the path tester (highlighted). */
  matched: number | null;
  /** A route was deleted (the caller offers Undo). */
  onRemoved?: (route: RouteInput, index: number) => void;
}

export function joinMatch(modifier: string, pattern: string): string {
  return modifier ? `${modifier} ${pattern}` : pattern;
}

export function Preview({ route }: { route: RouteInput }) {
  const sample = samplePath(route.match);
  if (sample === null) {
    return (
      <span class="preview mono" title="Regex routes pass the URI unchanged">
        $uri → {route.target.replace(/\/$/, '')}$uri
      </span>
    );
  }
  const r = rewriteUrl(route.match, route.target, sample);
  return (
    <span class={cx('preview mono', r.warning && 'preview-warn')} title={r.warning ?? 'nginx proxy_pass rule'}>
      {sample} → {r.url}
      {r.warning && (
        <span class="warn-icon" aria-label={`Warning: ${r.warning}`}>
          {' '}
          ⚠
        </span>
      )}
    </span>
  );
}

export function RouteTable({ form, routes, base, selected, onSelect, matched, onRemoved }: Props) {
  const [dragFrom, setDragFrom] = useState<number | null>(null);
  const move = (from: number, to: number) => {
    if (to < 0 || to >= routes.length) return;
    form.set(base, moveItem(routes, from, to), true);
    if (selected === from) onSelect(to);
  };
  const remove = (i: number) => {
    const route = routes[i];
    form.set(
      base,
      routes.filter((_, j) => j !== i),
      true,
    );
    onSelect(null);
    if (route) onRemoved?.(route, i);
  };
  const setField = (i: number, key: keyof RouteInput, value: unknown, now = false) =>
    form.set([...base, i, key], value, now);

  return (
    <div class="table-wrap">
      <table class="routes" aria-label="Routes">
        <thead>
          <tr>
            <th class="c-order" scope="col">
              <span class="sr-only">Order</span>#
            </th>
            <th scope="col" class="c-on">
              On
            </th>
            <th scope="col">Match</th>
            <th scope="col">Target (proxy_pass)</th>
            <th scope="col" class="c-ws">
              WS
            </th>
            <th scope="col" class="c-actions">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {routes.map((r, i) => {
            const { modifier, pattern } = splitMatch(r.match);
            const errMatch = form.errors.at([...base, i, 'match']);
            const errTarget = form.errors.at([...base, i, 'target']);
            const other = form.errors
              .under([...base, i])
              .filter((m) => !m.startsWith('match:') && !m.startsWith('target:'));
            const label = r.name || r.match;
            const rowClass = cx(
              selected === i && 'selected',
              matched === i && 'matched',
              r.enabled === false && 'disabled',
              (errMatch || errTarget || other.length > 0) && 'invalid',
            );
            return (
              <Fragment key={i}>
                <tr
                  class={cx('main-row', rowClass)}
                  draggable
                  onDragStart={(e) => {
                    setDragFrom(i);
                    e.dataTransfer?.setData('text/plain', String(i));
                  }}
                  onDragOver={(e) => e.preventDefault()}
                  onDrop={(e) => {
                    e.preventDefault();
                    if (dragFrom !== null) move(dragFrom, i);
                    setDragFrom(null);
                  }}
                  onKeyDown={(e) => {
                    if (!e.altKey) return;
                    if (e.key === 'ArrowUp') move(i, i - 1);
                    else if (e.key === 'ArrowDown') move(i, i + 1);
                    else return;
                    e.preventDefault();
                  }}
                >
                  <td class="c-order">
                    <span class="drag" aria-hidden="true" title="Drag to reorder (or Alt+↑/↓)">
                      ⠿
                    </span>
                    <span class="idx">{i + 1}</span>
                    <span class="order-btns">
                      <button
                        type="button"
                        class="btn icon tiny"
                        aria-label={`Move ${label} up`}
                        disabled={i === 0}
                        onClick={() => move(i, i - 1)}
                      >
                        ▲
                      </button>
                      <button
                        type="button"
                        class="btn icon tiny"
                        aria-label={`Move ${label} down`}
                        disabled={i === routes.length - 1}
                        onClick={() => move(i, i + 1)}
                      >
                        ▼
                      </button>
                    </span>
                  </td>
                  <td class="c-on">
                    <input
                      type="checkbox"
                      role="switch"
                      class="switch"
                      aria-label={`Enable ${label}`}
                      checked={r.enabled !== false}
                      onChange={(e) =>
                        setField(i, 'enabled', (e.currentTarget as HTMLInputElement).checked ? undefined : false, true)
                      }
                    />
                  </td>
                  <td class="c-match">
                    <div class="match-cell">
                      <select
                        class={cx('input kind', `kind-${kindOf(r.match)}`)}
                        aria-label={`Match kind of route ${i + 1}`}
                        value={modifier}
                        onChange={(e) =>
                          setField(i, 'match', joinMatch((e.currentTarget as HTMLSelectElement).value, pattern), true)
                        }
                      >
                        {MODIFIERS.map(([m, text]) => (
                          <option key={m} value={m}>
                            {text}
                          </option>
                        ))}
                      </select>
                      <input
                        class="input mono"
                        name={`route-${i}-pattern`}
                        aria-label={`Pattern of route ${i + 1}`}
                        aria-invalid={errMatch ? 'true' : undefined}
                        value={pattern}
                        spellcheck={false}
                        onInput={(e) =>
                          setField(i, 'match', joinMatch(modifier, (e.currentTarget as HTMLInputElement).value))
                        }
                      />
                    </div>
                    {errMatch && (
                      <div class="field-error" role="alert">
                        {errMatch}
                      </div>
                    )}
                  </td>
                  <td class="c-target">
                    <input
                      class="input mono"
                      name={`route-${i}-target`}
                      aria-label={`Target of route ${i + 1}`}
                      aria-invalid={errTarget ? 'true' : undefined}
                      value={r.target}
                      spellcheck={false}
                      onInput={(e) => setField(i, 'target', (e.currentTarget as HTMLInputElement).value)}
                    />
                    {errTarget && (
                      <div class="field-error" role="alert">
                        {errTarget}
                      </div>
                    )}
                    {other.length > 0 && (
                      <div class="field-error" role="alert">
                        {other.join('; ')}
                      </div>
                    )}
                  </td>
                  <td class="c-ws">
                    <input
                      type="checkbox"
                      role="switch"
                      class="switch"
                      aria-label={`WebSocket upgrades on ${label}`}
                      checked={r.ws !== false}
                      onChange={(e) => setField(i, 'ws', (e.currentTarget as HTMLInputElement).checked, true)}
                    />
                  </td>
                  <td class="c-actions">
                    <button
                      type="button"
                      class={cx('btn small', selected === i && 'active')}
                      aria-expanded={selected === i}
                      onClick={() => onSelect(selected === i ? null : i)}
                    >
                      Details
                    </button>
                    <button
                      type="button"
                      class="btn icon danger"
                      aria-label={`Delete route ${label}`}
                      title="Delete"
                      onClick={() => remove(i)}
                    >
                      ×
                    </button>
                  </td>
                </tr>
                <tr class={cx('preview-row', rowClass)}>
                  <td colSpan={2} />
                  <td colSpan={4} class="c-preview">
                    {r.name && <span class="route-name">{r.name}</span>}
                    {r.remote && <span class="badge remote">remote</span>}
                    {flagOf(form, 'routes', r.match) && (
                      <span
                        class="badge cli"
                        title={`${flagOf(form, 'routes', r.match)}: set on the command line; not written into loopgate.json unless you change it here`}
                      >
                        command line
                      </span>
                    )}
                    {r.enabled === false && <span class="badge">off</span>}
                    <Preview route={r} />
                  </td>
                </tr>
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
