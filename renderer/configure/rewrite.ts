// nginx's location order and proxy_pass rewrite, computed in the UI for the route table's previews.
import { splitMatch, targetHasPath } from '../../shared/match.ts';

export interface RouteLike {
  match: string;
  target: string;
  enabled?: boolean;
}

export type KindLabel = 'prefix' | 'exact' | 'prefix-stop' | 'regex' | 'regex-i';

export function kindOf(match: string): KindLabel {
  const { modifier } = splitMatch(match);
  return modifier === '='
    ? 'exact'
    : modifier === '^~'
      ? 'prefix-stop'
      : modifier === '~'
        ? 'regex'
        : modifier === '~*'
          ? 'regex-i'
          : 'prefix';
}

/** A path that shows what the route does: "/api" → "/api/users", "= /x" → "/x"; null for regexes. */
export function samplePath(match: string): string | null {
  const { modifier, pattern } = splitMatch(match);
  if (modifier === '~' || modifier === '~*') return null;
  if (modifier === '=') return pattern;
  return pattern.endsWith('/') ? `${pattern}users` : `${pattern}/users`;
}

export interface Rewrite {
  /** The upstream URL the request goes to. */
  url: string;
  /** A slash mismatch nginx would also produce (worth a warning). */
  warning?: string;
}

/** The target's path part, when it has one ("http://h:1/v2/" → "/v2/"). */
function targetPath(target: string): string | null {
  if (!targetHasPath(target)) return null;
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(\/[^?#]*)/i.exec(target);
  return m ? m[1]! : null;
}

function targetOrigin(target: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)/i.exec(target);
  return m ? m[1]! : target;
}

/**
 * nginx's proxy_pass rule: a target with a path replaces the matched part of the URI (the prefix, or
 * the whole URI for "="); a target without one passes the URI unchanged. Query strings pass through.
 */
export function rewriteUrl(match: string, target: string, requestPath: string): Rewrite {
  const { modifier, pattern } = splitMatch(match);
  const q = requestPath.indexOf('?');
  const path = q === -1 ? requestPath : requestPath.slice(0, q);
  const query = q === -1 ? '' : requestPath.slice(q);
  const tPath = targetPath(target);
  const origin = targetOrigin(target);
  if (tPath === null || modifier === '~' || modifier === '~*') return { url: origin + path + query };
  const rest = modifier === '=' ? '' : path.startsWith(pattern) ? path.slice(pattern.length) : path;
  const rewrite: Rewrite = { url: origin + tPath + rest + query };
  if (modifier !== '=' && rest !== '') {
    if (pattern.endsWith('/') && !tPath.endsWith('/') && !rest.startsWith('/')) {
      rewrite.warning = `"${pattern}" ends with "/" but the target path "${tPath}" does not: ${path} becomes ${tPath + rest}`;
    } else if (!pattern.endsWith('/') && tPath.endsWith('/') && rest.startsWith('/')) {
      rewrite.warning = `the target path "${tPath}" ends with "/" but "${pattern}" does not: ${path} becomes ${tPath + rest}`;
    }
  }
  return rewrite;
}

export interface MatchResult {
  /** Index in the given list. */
  index: number;
  /** Which of nginx's rules picked it. */
  rule: string;
}

/**
 * Which route nginx would pick for a path: "=" exact first; then the longest prefix is remembered
 * ("^~" on it stops the search); regexes in list order; else the longest prefix. Disabled routes skip.
 */
export function matchRoute(routes: RouteLike[], requestPath: string): MatchResult | null {
  const path = requestPath.split('?')[0]!;
  let longest: { index: number; len: number; stop: boolean } | null = null;
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i]!;
    if (r.enabled === false) continue;
    const { modifier, pattern } = splitMatch(r.match);
    if (modifier === '=') {
      if (path === pattern) return { index: i, rule: 'exact match (=) wins at once' };
    } else if (modifier === '' || modifier === '^~') {
      if (path.startsWith(pattern) && (!longest || pattern.length > longest.len)) {
        longest = { index: i, len: pattern.length, stop: modifier === '^~' };
      }
    }
  }
  if (longest?.stop) return { index: longest.index, rule: 'longest prefix, and ^~ stops the regex search' };
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i]!;
    if (r.enabled === false) continue;
    const { modifier, pattern } = splitMatch(r.match);
    if (modifier !== '~' && modifier !== '~*') continue;
    let re: RegExp;
    try {
      re = new RegExp(pattern, modifier === '~*' ? 'i' : '');
    } catch {
      continue;
    }
    if (re.test(path)) return { index: i, rule: 'first matching regex, in list order' };
  }
  if (longest) return { index: longest.index, rule: 'longest matching prefix' };
  return null;
}
