// The breakpoint registry (issue #17): which traffic stops, what is held now, and the calls that let it go.
import type {
  Breakpoint,
  BreakAt,
  BreakpointMatch,
  Paused,
  PausedEdits,
  Resolution,
} from '../../../shared/breakpoints.ts';
import { regexHazard } from '../../../shared/regex-safety.ts';

/** A refusal naming the problem (the control API's error shape). */
export type BreakRefusal = { ok: false; code: string; message: string };

export type PauseAction = 'continue' | 'respond' | 'drop';

/** What the step that held an entry does with the user's decision (edits already checked). */
export type Release = (action: PauseAction, edits: PausedEdits) => void;

/** Announced on every change (the controller turns them into events). */
export type BreakEvent =
  | { type: 'paused'; paused: Paused }
  | { type: 'resolved'; id: number; requestId: number; resolution: Resolution };

interface Compiled {
  bp: Breakpoint;
  method?: string;
  prefix?: string;
  regex?: RegExp;
}

const AT: BreakAt[] = ['request', 'response', 'message'];
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const refuse = (code: string, message: string): BreakRefusal => ({ ok: false, code, message });

/** "/regex/" (flags i, s, m, u allowed after the last slash), or null for a plain string. */
function asRegex(s: string, what: string): RegExp | BreakRefusal | null {
  const m = /^\/(.+)\/([imsu]*)$/s.exec(s);
  if (!m) return null;
  const hazard = regexHazard(m[1]!, m[2]);
  if (hazard) return refuse('BAD_REQUEST', `${what} regex ${s} is refused: ${hazard.reason}`);
  try {
    return new RegExp(m[1]!, m[2]);
  } catch (err) {
    return refuse('BAD_REQUEST', `${what} regex ${s} is invalid: ${(err as Error).message}`);
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class Breakpoints {
  #list: Compiled[] = [];
  #held = new Map<number, { paused: Paused; release: Release }>();
  #nextBp = 1;
  #nextPause = 1;
  #listeners = new Set<(e: BreakEvent) => void>();

  /** Number of breakpoints: the engine looks further only when it is not 0. */
  get size(): number {
    return this.#list.length;
  }

  list(): Breakpoint[] {
    return this.#list.map((c) => c.bp);
  }

  paused(): Paused[] {
    return [...this.#held.values()].map((h) => h.paused);
  }

  onEvent(fn: (e: BreakEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Check and add a breakpoint from an untrusted caller. */
  add(input: unknown): Breakpoint | BreakRefusal {
    if (!isObj(input))
      return refuse('BAD_REQUEST', 'a breakpoint is {"match": {...}, "at": "request"|"response"|"message"}');
    const at = input.at;
    if (!AT.includes(at as BreakAt)) return refuse('BAD_REQUEST', `"at" must be one of ${AT.join(', ')}`);
    if (at === 'message')
      return refuse(
        'BAD_REQUEST',
        'WebSocket message breakpoints ("at": "message") are not supported yet: use "request" or "response"',
      );
    const m = input.match ?? {};
    if (!isObj(m)) return refuse('BAD_REQUEST', '"match" must be an object');
    const known = ['route', 'method', 'path', 'direction', 'text'];
    const unknown = Object.keys(m).find((k) => !known.includes(k));
    if (unknown) return refuse('BAD_REQUEST', `"match.${unknown}" is unknown (use ${known.join(', ')})`);
    for (const k of known)
      if (m[k] !== undefined && (typeof m[k] !== 'string' || m[k] === ''))
        return refuse('BAD_REQUEST', `"match.${k}" must be a non-empty string`);
    const match = m as BreakpointMatch;
    const c: Compiled = { bp: { id: 0, match: { ...match }, at: at as BreakAt } };
    if (match.method !== undefined) {
      if (!TOKEN.test(match.method))
        return refuse('BAD_REQUEST', `"match.method" ${match.method} is not an HTTP method`);
      c.method = match.method.toUpperCase();
    }
    if (match.path !== undefined) {
      const r = asRegex(match.path, '"match.path"');
      if (r && 'ok' in r) return r;
      if (r) c.regex = r;
      else if (!match.path.startsWith('/'))
        return refuse('BAD_REQUEST', `"match.path" must start with "/" (a prefix) or be a "/regex/"`);
      else c.prefix = match.path;
    }
    if (match.direction !== undefined && match.direction !== 'to-backend' && match.direction !== 'to-client')
      return refuse('BAD_REQUEST', '"match.direction" must be "to-backend" or "to-client"');
    if ((match.direction !== undefined || match.text !== undefined) && at !== 'message')
      return refuse('BAD_REQUEST', '"match.direction" and "match.text" are for "at": "message" only');
    if (match.text !== undefined) {
      const r = asRegex(match.text, '"match.text"');
      if (r && 'ok' in r) return r;
    }
    c.bp.id = this.#nextBp++;
    this.#list.push(c);
    return c.bp;
  }

  /** Remove a breakpoint; what it holds goes on unchanged. False when there is no such breakpoint. */
  remove(id: number): boolean {
    const i = this.#list.findIndex((c) => c.bp.id === id);
    if (i < 0) return false;
    this.#list.splice(i, 1);
    for (const h of [...this.#held.values()]) if (h.paused.breakpoint === id) this.resolve(h.paused.id, 'continue', {});
    return true;
  }

  /** The first breakpoint at `at` whose match fits this request, if any. */
  match(at: BreakAt, route: string, method: string, path: string): Breakpoint | undefined {
    for (const c of this.#list) {
      if (c.bp.at !== at) continue;
      if (c.bp.match.route !== undefined && c.bp.match.route !== route) continue;
      if (c.method !== undefined && c.method !== method.toUpperCase()) continue;
      if (c.prefix !== undefined && !path.startsWith(c.prefix)) continue;
      if (c.regex !== undefined && !c.regex.test(path)) continue;
      return c.bp;
    }
    return undefined;
  }

  /** Hold an entry until the user (or remove/releaseAll) decides; `release` carries the decision out. */
  hold(entry: Omit<Paused, 'id' | 'pausedAt'>, release: Release): Paused {
    const paused: Paused = { id: this.#nextPause++, ...entry, pausedAt: Date.now() };
    this.#held.set(paused.id, { paused, release });
    this.#emit({ type: 'paused', paused });
    return paused;
  }

  /** Forget an entry whose client went away (nothing to release). */
  forget(id: number): void {
    const h = this.#held.get(id);
    if (!h) return;
    this.#held.delete(id);
    this.#emit({ type: 'resolved', id, requestId: h.paused.requestId, resolution: 'dropped' });
  }

  /** Continue (with optional edits), answer locally (request stage) or drop one held entry. */
  resolve(id: number, action: PauseAction, input: unknown): { ok: true; resolution: Resolution } | BreakRefusal {
    const h = this.#held.get(id);
    if (!h) return refuse('NOT_FOUND', `nothing is paused with id ${id}`);
    const edits = checkEdits(input ?? {}, action, h.paused.at);
    if ('ok' in edits) return edits;
    this.#held.delete(id);
    const resolution: Resolution =
      action === 'drop'
        ? 'dropped'
        : action === 'respond'
          ? 'answered'
          : Object.keys(edits).length
            ? 'edited'
            : 'continued';
    this.#emit({ type: 'resolved', id, requestId: h.paused.requestId, resolution });
    h.release(action, edits);
    return { ok: true, resolution };
  }

  /** Engine stop: everything held goes on unchanged. */
  releaseAll(): void {
    for (const id of [...this.#held.keys()]) this.resolve(id, 'continue', {});
  }

  #emit(e: BreakEvent): void {
    for (const fn of this.#listeners) fn(e);
  }
}

/** Edits from an untrusted caller, checked for the action and stage; a refusal names the bad field. */
export function checkEdits(input: unknown, action: PauseAction, at: BreakAt): PausedEdits | BreakRefusal {
  if (!isObj(input)) return refuse('BAD_REQUEST', 'the body must be an object of edits');
  if (action === 'drop') return {};
  const out: PausedEdits = {};
  const { method, url, status, headers, text, base64 } = input;
  const allowed =
    action === 'respond'
      ? ['status', 'headers', 'text', 'base64']
      : at === 'request'
        ? ['method', 'url', 'headers', 'text', 'base64']
        : ['status', 'headers', 'text', 'base64'];
  const extra = Object.keys(input).find((k) => !allowed.includes(k));
  if (extra) return refuse('BAD_REQUEST', `"${extra}" cannot be set here (use ${allowed.join(', ')})`);
  if (action === 'respond' && at !== 'request') return refuse('BAD_REQUEST', 'respond is for the request stage only');
  if (method !== undefined) {
    if (typeof method !== 'string' || !TOKEN.test(method))
      return refuse('BAD_REQUEST', '"method" must be an HTTP method');
    out.method = method.toUpperCase();
  }
  if (url !== undefined) {
    if (typeof url !== 'string' || !url.startsWith('/') || /[\s\u0000-\u001f\u007f]/.test(url))
      return refuse(
        'BAD_REQUEST',
        '"url" must be a path starting with "/" (query allowed), without spaces or control characters',
      );
    out.url = url;
  }
  if (status !== undefined || action === 'respond') {
    if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599)
      return refuse('BAD_REQUEST', '"status" must be an integer from 200 to 599');
    out.status = status as number;
  }
  if (headers !== undefined) {
    if (!isObj(headers))
      return refuse('BAD_REQUEST', '"headers" must be an object of name → value (or list of values)');
    const h: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(headers)) {
      if (!TOKEN.test(k)) return refuse('BAD_REQUEST', `header name "${k.slice(0, 60)}" is invalid`);
      const values = Array.isArray(v) ? v : [v];
      if (!values.every((x) => typeof x === 'string' && !/[\r\n\u0000]/.test(x)))
        return refuse('BAD_REQUEST', `header "${k}" must be a string (or list of strings) without CR, LF or NUL`);
      h[k.toLowerCase()] = v as string | string[];
    }
    out.headers = h;
  }
  if (text !== undefined && base64 !== undefined) return refuse('BAD_REQUEST', 'give "text" or "base64", not both');
  if (text !== undefined) {
    if (typeof text !== 'string') return refuse('BAD_REQUEST', '"text" must be a string');
    out.text = text;
  }
  if (base64 !== undefined) {
    if (typeof base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 === 1)
      return refuse('BAD_REQUEST', '"base64" is not valid base64');
    out.base64 = base64;
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A body as the API shows it: text when it is valid UTF-8, else base64. */
export function bodyView(body: Buffer): { text: string } | { base64: string } {
  try {
    return { text: utf8.decode(body) };
  } catch {
    return { base64: body.toString('base64') };
  }
}

/** The body after edits (the original when neither text nor base64 was given). */
export function editedBody(edits: PausedEdits, original: Buffer): Buffer {
  if (edits.text !== undefined) return Buffer.from(edits.text, 'utf8');
  if (edits.base64 !== undefined) return Buffer.from(edits.base64, 'base64');
  return original;
}
