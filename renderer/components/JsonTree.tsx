// Collapsible JSON tree (details/summary): objects open two levels deep, long arrays shown in part.
import type { ComponentChildren } from 'preact';

const LIMIT = 500;

function Leaf({ value }: { value: unknown }) {
  if (value === null) return <span class="j-null">null</span>;
  switch (typeof value) {
    case 'string':
      return <span class="j-str">{JSON.stringify(value)}</span>;
    case 'number':
      return <span class="j-num">{String(value)}</span>;
    case 'boolean':
      return <span class="j-bool">{String(value)}</span>;
    default:
      return <span>{String(value)}</span>;
  }
}

function Node({ name, value, depth }: { name: ComponentChildren; value: unknown; depth: number }) {
  if (value === null || typeof value !== 'object') {
    return (
      <div class="j-row">
        {name !== null && <span class="j-key">{name}: </span>}
        <Leaf value={value} />
      </div>
    );
  }
  const isArray = Array.isArray(value);
  const entries = isArray
    ? (value as unknown[]).map((v, i) => [String(i), v] as const)
    : Object.entries(value as object);
  const summary = isArray
    ? `Array(${entries.length})`
    : `{${entries.length === 0 ? '' : '…'}} ${entries.length} ${entries.length === 1 ? 'key' : 'keys'}`;
  return (
    <details class="j-node" open={depth < 2}>
      <summary>
        {name !== null && <span class="j-key">{name}: </span>}
        <span class="j-sum">{summary}</span>
      </summary>
      <div class="j-children">
        {entries.slice(0, LIMIT).map(([k, v]) => (
          <Node key={k} name={isArray ? <span class="j-idx">{k}</span> : k} value={v} depth={depth + 1} />
        ))}
        {entries.length > LIMIT && <div class="muted">… {entries.length - LIMIT} more</div>}
      </div>
    </details>
  );
}

export function JsonTree({ value }: { value: unknown }) {
  return (
    <div class="json-tree mono" role="group" aria-label="JSON tree">
      <Node name={null} value={value} depth={0} />
    </div>
  );
}
