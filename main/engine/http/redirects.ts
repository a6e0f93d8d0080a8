// nginx `proxy_redirect default`: Location and Refresh that point at the target are pointed back at Loopgate.
import type { CompiledRoute } from '../types.ts';

/**
 * The rewrite for one route, computed once: a Location that starts with `pattern` has that prefix
 * replaced by the client's origin + `replacementPath`.
 *
 * nginx's default for `location /one/ { proxy_pass http://b:1/two/; }` is
 * `proxy_redirect http://b:1/two/ /one/;`, and for a proxy_pass without a URI it is
 * `proxy_redirect http://b:1/ /;`. nginx writes the replacement as a relative path; Loopgate writes
 * it absolute (client origin + path), which a browser resolves to the same place.
 */
export interface RedirectRule {
  pattern: string;
  replacementPath: string;
}

export function redirectRule(route: CompiledRoute): RedirectRule {
  if (route.targetPath !== null && route.kind !== 'regex') {
    return { pattern: route.target.origin + route.targetPath, replacementPath: route.pattern };
  }
  return { pattern: `${route.target.origin}/`, replacementPath: '/' };
}

/** The origin the client used: scheme + its Host header ("http://localhost:8080"). */
export function clientOrigin(host: string | undefined, encrypted: boolean): string {
  return `${encrypted ? 'https' : 'http'}://${host || 'localhost'}`;
}

/** Rewrite a Location value; anything not starting with the rule's pattern is left as is. */
export function rewriteLocation(value: string, rule: RedirectRule, origin: string): string {
  if (!value.startsWith(rule.pattern)) return value;
  return origin + rule.replacementPath + value.slice(rule.pattern.length);
}

const REFRESH_URL = /(;\s*url\s*=\s*['"]?)(.*)$/i;

/** Rewrite the URL part of a Refresh value ("5; url=http://backend/x"), like nginx does. */
export function rewriteRefresh(value: string, rule: RedirectRule, origin: string): string {
  const m = REFRESH_URL.exec(value);
  if (!m) return value;
  const rewritten = rewriteLocation(m[2]!, rule, origin);
  return rewritten === m[2] ? value : value.slice(0, m.index) + m[1] + rewritten;
}
