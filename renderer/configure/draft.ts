// Immutable edits of a config draft (the user's text kept as typed) and mapping of ConfigError paths to fields.
import type { ConfigError, ConfigInput, RouteInput } from '../../shared/config.ts';
import { splitMatch } from '../../shared/match.ts';

export type Path = ReadonlyArray<string | number>;

export function getIn(obj: unknown, path: Path): unknown {
  let cur = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/**
 * Copy of `obj` with the value at `path` replaced; `undefined` deletes the key, and objects left empty
 * by a delete are dropped too (arrays are kept), so the saved JSON stays as small as the user's.
 */
export function setIn<T>(obj: T, path: Path, value: unknown): T {
  if (path.length === 0) return value as T;
  const [key, ...rest] = path as [string | number, ...Array<string | number>];
  const base: unknown = obj ?? (typeof key === 'number' ? [] : {});
  const copy: Record<string | number, unknown> = Array.isArray(base)
    ? ([...base] as unknown as Record<number, unknown>)
    : { ...(base as object) };
  const child = rest.length ? setIn(copy[key], rest, value) : value;
  const emptyObject =
    child !== null && typeof child === 'object' && !Array.isArray(child) && Object.keys(child).length === 0;
  if (child === undefined || (rest.length > 0 && emptyObject && value === undefined)) {
    if (Array.isArray(copy)) (copy as unknown as unknown[])[key as number] = undefined;
    else delete copy[key];
  } else {
    copy[key] = child;
  }
  return copy as T;
}

/** Where the routes being edited live: the active profile's, or the top-level ones. */
export function routesPath(config: ConfigInput): Path {
  const p = config.activeProfile;
  return p && config.profiles?.[p] ? ['profiles', p, 'routes'] : ['routes'];
}

export function routesOf(config: ConfigInput): RouteInput[] {
  return (getIn(config, routesPath(config)) as RouteInput[] | undefined) ?? [];
}

export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const copy = [...list];
  if (from < 0 || from >= copy.length || to < 0 || to >= copy.length) return copy;
  const [item] = copy.splice(from, 1);
  copy.splice(to, 0, item!);
  return copy;
}

export function pathKey(path: Path): string {
  return path.join('.');
}

/** Errors by dotted path, for fields to look up their own. */
export class FieldErrors {
  readonly #map = new Map<string, string[]>();
  readonly all: ConfigError[];

  constructor(errors: ConfigError[] = []) {
    this.all = errors;
    for (const e of errors) {
      const list = this.#map.get(e.path) ?? [];
      list.push(e.message);
      this.#map.set(e.path, list);
    }
  }

  /** The message for exactly this field. */
  at(path: Path): string | undefined {
    return this.#map.get(pathKey(path))?.join('; ');
  }

  /** Messages for this field or anything under it, with the remaining path in front. */
  under(path: Path): string[] {
    const key = pathKey(path);
    const out: string[] = [];
    for (const e of this.all) {
      if (e.path === key) out.push(e.message);
      else if (e.path.startsWith(`${key}.`)) out.push(`${e.path.slice(key.length + 1)}: ${e.message}`);
    }
    return out;
  }

  get size(): number {
    return this.all.length;
  }
}

/** Text for a number field: numbers as numbers, anything else kept as typed (the engine says why). */
export function numberOrText(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : text;
}

/** Text for an nginx size/time field: kept as typed (the schema takes "15m", "90s" and numbers). */
export function unitOrText(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  return /^\d+$/.test(t) ? Number(t) : text;
}

export function listFromText(text: string): string[] | undefined {
  if (text.trim() === '') return undefined;
  return text.split(',').map((s) => s.trim());
}

export function textFromList(list: unknown): string {
  return Array.isArray(list) ? list.join(', ') : typeof list === 'string' ? list : '';
}

export function textOf(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The draft "Add route" opens: a free prefix under /api and no target yet (nothing routes until it is added). */
export function newRoute(existing: readonly RouteInput[]): RouteInput {
  const used = new Set(existing.map((r) => r.match));
  let match = '/api/';
  for (let n = 2; used.has(match); n++) match = `/api${n}/`;
  return { match, target: '', ws: true };
}

/** A copy of `list` with `item` put back at `index` (clamped to the list). */
export function insertAt<T>(list: readonly T[], index: number, item: T): T[] {
  const copy = [...list];
  copy.splice(Math.max(0, Math.min(index, copy.length)), 0, item);
  return copy;
}

/** Why a new route cannot be added yet (the engine checks the rest when it is applied), or null. */
export function draftProblem(route: RouteInput, existing: readonly RouteInput[]): string | null {
  const { modifier, pattern } = splitMatch(route.match);
  if (pattern.trim() === '') return 'write the path prefix to match, like /api/';
  if (!modifier.startsWith('~') && !pattern.startsWith('/')) return 'a prefix starts with /';
  if (existing.some((r) => r.match === route.match)) return `a route for ${route.match} exists already`;
  if (route.target.trim() === '') return 'write the backend URL, like http://localhost:8888';
  if (!/^(https?|wss?):\/\/[^/]/i.test(route.target.trim()))
    return 'the target is a URL: http://, https://, ws:// or wss://';
  return null;
}
