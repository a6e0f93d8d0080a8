// Editor for a { name: value } map (headers, cookie path rewrites): rows of two inputs, add and remove.
import { useEffect, useRef, useState } from 'preact/hooks';
import { sameJson } from '../configure/draft.ts';

interface Props {
  label: string;
  nginx?: string;
  value: Record<string, string> | undefined;
  onChange: (v: Record<string, string> | undefined) => void;
  keyPlaceholder?: string;
  valuePlaceholder?: string;
  /** Messages from the engine for anything under this map. */
  errors?: string[];
  hint?: string;
}

type Row = [string, string];

function toObject(rows: Row[]): Record<string, string> | undefined {
  if (rows.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of rows) out[k] = v;
  return out;
}

export function KeyValueEditor({
  label,
  nginx,
  value,
  onChange,
  keyPlaceholder,
  valuePlaceholder,
  errors,
  hint,
}: Props) {
  const [rows, setRows] = useState<Row[]>(() => Object.entries(value ?? {}));
  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  useEffect(() => {
    if (!sameJson(toObject(rowsRef.current), value ?? undefined)) setRows(Object.entries(value ?? {}));
  }, [JSON.stringify(value ?? null)]);

  const commit = (next: Row[]) => {
    setRows(next);
    onChange(toObject(next));
  };
  const edit = (i: number, col: 0 | 1, text: string) =>
    commit(rows.map((r, j) => (j === i ? (col === 0 ? [text, r[1]] : [r[0], text]) : r)));

  return (
    <fieldset class="kv">
      <legend class="field-label">
        {label}
        {nginx && <code class="field-nginx">{nginx}</code>}
      </legend>
      {rows.map(([k, v], i) => (
        <div class="kv-row" key={i}>
          <input
            class="input mono"
            aria-label={`${label}: name ${i + 1}`}
            placeholder={keyPlaceholder ?? 'Name'}
            value={k}
            spellcheck={false}
            onInput={(e) => edit(i, 0, (e.currentTarget as HTMLInputElement).value)}
          />
          <input
            class="input mono"
            aria-label={`${label}: value ${i + 1}`}
            placeholder={valuePlaceholder ?? 'value ("" removes)'}
            value={v}
            spellcheck={false}
            onInput={(e) => edit(i, 1, (e.currentTarget as HTMLInputElement).value)}
          />
          <button
            type="button"
            class="btn icon"
            aria-label={`Remove ${k || 'row'}`}
            title="Remove"
            onClick={() => commit(rows.filter((_, j) => j !== i))}
          >
            ×
          </button>
        </div>
      ))}
      <button type="button" class="btn small ghost" onClick={() => setRows([...rows, ['', '']])}>
        + Add
      </button>
      {errors && errors.length > 0 && (
        <div class="field-error" role="alert">
          {errors.join('; ')}
        </div>
      )}
      {hint && <div class="field-hint">{hint}</div>}
    </fieldset>
  );
}
