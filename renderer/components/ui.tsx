// Small form and layout primitives: labelled fields with inline errors, text/number/list inputs, switches, tabs.
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { sameJson } from '../configure/draft.ts';

export function cx(...names: Array<string | number | false | null | undefined>): string {
  return names.filter(Boolean).join(' ');
}

interface FieldProps {
  label: string;
  /** nginx's name for it, shown small. */
  nginx?: string;
  hint?: ComponentChildren;
  error?: string;
  children: (id: string, describedBy: string | undefined) => ComponentChildren;
  wide?: boolean;
}

/** A label, the control, the engine's message when the value was refused, and a hint. */
export function Field({ label, nginx, hint, error, children, wide }: FieldProps) {
  const id = useId();
  const errId = `${id}-err`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errId : '', hint ? hintId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={cx('field', error && 'field-invalid', wide && 'field-wide')}>
      <label for={id} class="field-label">
        {label}
        {nginx && <code class="field-nginx">{nginx}</code>}
      </label>
      {children(id, describedBy)}
      {error && (
        <div id={errId} class="field-error" role="alert">
          {error}
        </div>
      )}
      {hint && (
        <div id={hintId} class="field-hint">
          {hint}
        </div>
      )}
    </div>
  );
}

/**
 * A text box over a parsed value: the user's text stays as typed while it still parses to the value,
 * and follows the value when it changes from elsewhere.
 */
export function useSyncedText<T>(
  value: T,
  format: (v: T) => string,
  parse: (t: string) => T,
): [string, (t: string) => T] {
  const [text, setText] = useState(() => format(value));
  const key = JSON.stringify(value) ?? '';
  const textRef = useRef(text);
  textRef.current = text;
  useEffect(() => {
    if (!sameJson(parse(textRef.current), value)) setText(format(value));
  }, [key]);
  return [
    text,
    (t: string) => {
      setText(t);
      return parse(t);
    },
  ];
}

interface TextProps<T> {
  label: string;
  nginx?: string;
  hint?: ComponentChildren;
  error?: string;
  value: T;
  onChange: (v: T) => void;
  format?: (v: T) => string;
  parse?: (t: string) => T;
  placeholder?: string;
  mono?: boolean;
  wide?: boolean;
  size?: 'xs' | 's' | 'm' | 'l';
  name?: string;
}

export function TextField<T = string | undefined>(p: TextProps<T>) {
  const format = p.format ?? ((v: T) => (v === undefined || v === null ? '' : String(v)));
  const parse = p.parse ?? ((t: string) => (t === '' ? undefined : t) as T);
  const [text, update] = useSyncedText(p.value, format, parse);
  return (
    <Field label={p.label} nginx={p.nginx} hint={p.hint} error={p.error} wide={p.wide}>
      {(id, describedBy) => (
        <input
          id={id}
          name={p.name}
          class={cx('input', p.mono && 'mono', p.size && `input-${p.size}`)}
          value={text}
          placeholder={p.placeholder}
          spellcheck={false}
          autocomplete="off"
          aria-invalid={p.error ? 'true' : undefined}
          aria-describedby={describedBy}
          onInput={(e) => p.onChange(update((e.currentTarget as HTMLInputElement).value))}
        />
      )}
    </Field>
  );
}

interface SwitchProps {
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  hint?: ComponentChildren;
  nginx?: string;
  error?: string;
  compact?: boolean;
  name?: string;
}

/** A checkbox shown as a switch (role="switch"), label on the right. */
export function Switch({ label, checked, onChange, hint, nginx, error, compact, name }: SwitchProps) {
  const id = useId();
  return (
    <div class={cx('switch-field', compact && 'compact', error && 'field-invalid')}>
      <input
        id={id}
        name={name}
        type="checkbox"
        role="switch"
        class="switch"
        checked={checked}
        aria-checked={checked}
        onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)}
      />
      <label for={id}>
        {label}
        {nginx && <code class="field-nginx">{nginx}</code>}
      </label>
      {hint && <div class="field-hint">{hint}</div>}
      {error && (
        <div class="field-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

interface SelectProps<T extends string> {
  label: string;
  value: T;
  options: ReadonlyArray<readonly [T, string]>;
  onChange: (v: T) => void;
  hint?: ComponentChildren;
  error?: string;
  nginx?: string;
}

export function SelectField<T extends string>({ label, value, options, onChange, hint, error, nginx }: SelectProps<T>) {
  return (
    <Field label={label} hint={hint} error={error} nginx={nginx}>
      {(id, describedBy) => (
        <select
          id={id}
          class="input"
          value={value}
          aria-describedby={describedBy}
          onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value as T)}
        >
          {options.map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

interface TabsProps<T extends string> {
  tabs: ReadonlyArray<readonly [T, string]>;
  value: T;
  onChange: (v: T) => void;
  label: string;
  idBase: string;
  small?: boolean;
}

/** ARIA tabs: arrow keys move between them; panels use `${idBase}-panel-${value}`. */
export function Tabs<T extends string>({ tabs, value, onChange, label, idBase, small }: TabsProps<T>) {
  const onKey = (e: KeyboardEvent) => {
    const i = tabs.findIndex(([v]) => v === value);
    let next = -1;
    if (e.key === 'ArrowRight') next = (i + 1) % tabs.length;
    else if (e.key === 'ArrowLeft') next = (i - 1 + tabs.length) % tabs.length;
    else return;
    e.preventDefault();
    onChange(tabs[next]![0]);
    const el = document.getElementById(`${idBase}-tab-${tabs[next]![0]}`);
    el?.focus();
  };
  return (
    <div role="tablist" aria-label={label} class={cx('tabs', small && 'tabs-small')} onKeyDown={onKey}>
      {tabs.map(([v, text]) => (
        <button
          key={v}
          id={`${idBase}-tab-${v}`}
          role="tab"
          type="button"
          class="tab"
          aria-selected={v === value}
          aria-controls={`${idBase}-panel-${v}`}
          tabIndex={v === value ? 0 : -1}
          onClick={() => onChange(v)}
        >
          {text}
        </button>
      ))}
    </div>
  );
}

export function Section({
  title,
  id,
  actions,
  children,
  note,
}: {
  title: string;
  id?: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
  note?: ComponentChildren;
}) {
  return (
    <section class="panel" id={id} aria-labelledby={id ? `${id}-title` : undefined}>
      <header class="panel-head">
        <h2 id={id ? `${id}-title` : undefined}>{title}</h2>
        {note && <span class="panel-note">{note}</span>}
        <div class="panel-actions">{actions}</div>
      </header>
      <div class="panel-body">{children}</div>
    </section>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}
