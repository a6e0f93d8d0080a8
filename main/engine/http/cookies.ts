// Set-Cookie rewriting (nginx proxy_cookie_domain / proxy_cookie_path / proxy_cookie_flags) for one route.
import type { CookieRewrite } from '../../../shared/config.ts';

export interface CookieAttribute {
  /** As written by the backend ("Domain", "secure", ...). */
  name: string;
  /** null for flag attributes (Secure, HttpOnly). */
  value: string | null;
}

export interface ParsedCookie {
  /** "name=value" exactly as sent. */
  pair: string;
  attributes: CookieAttribute[];
}

/**
 * Parse ONE Set-Cookie header value. Attributes are separated by ";" only: an Expires date holds a
 * comma ("Wed, 21 Oct 2015 07:28:00 GMT"), so a Set-Cookie value is never split on commas. Multiple
 * cookies arrive as multiple header lines (an array), one value each.
 */
export function parseSetCookie(header: string): ParsedCookie {
  const parts = header.split(';');
  const pair = parts[0]!.trim();
  const attributes: CookieAttribute[] = [];
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) attributes.push({ name: part, value: null });
    else attributes.push({ name: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() });
  }
  return { pair, attributes };
}

export function serializeSetCookie(cookie: ParsedCookie): string {
  let out = cookie.pair;
  for (const a of cookie.attributes) out += a.value === null ? `; ${a.name}` : `; ${a.name}=${a.value}`;
  return out;
}

function find(c: ParsedCookie, name: string): number {
  return c.attributes.findIndex((a) => a.name.toLowerCase() === name);
}

function remove(c: ParsedCookie, name: string): void {
  c.attributes = c.attributes.filter((a) => a.name.toLowerCase() !== name);
}

function setFlag(c: ParsedCookie, name: string, canonical: string, mode: 'keep' | 'remove' | 'add' | undefined): void {
  if (mode === 'remove') remove(c, name);
  else if (mode === 'add' && find(c, name) < 0) c.attributes.push({ name: canonical, value: null });
}

/** Apply a route's cookie rule to one Set-Cookie value. */
export function rewriteSetCookie(header: string, rule: CookieRewrite): string {
  const c = parseSetCookie(header);
  if (rule.domain !== undefined) {
    if (rule.domain === 'remove') remove(c, 'domain');
    else {
      const i = find(c, 'domain');
      if (i >= 0) c.attributes[i]!.value = rule.domain;
    }
  }
  if (rule.path) {
    const i = find(c, 'path');
    if (i >= 0) {
      const path = c.attributes[i]!.value ?? '';
      for (const [from, to] of Object.entries(rule.path)) {
        // Case-sensitive prefix match, first entry wins (nginx proxy_cookie_path with a plain string).
        if (path.startsWith(from)) {
          c.attributes[i]!.value = to + path.slice(from.length);
          break;
        }
      }
    }
  }
  setFlag(c, 'secure', 'Secure', rule.secure);
  setFlag(c, 'httponly', 'HttpOnly', rule.httpOnly);
  const sameSite = rule.sameSite;
  if (sameSite === 'remove') remove(c, 'samesite');
  else if (sameSite !== undefined && sameSite !== 'keep') {
    const i = find(c, 'samesite');
    if (i >= 0) c.attributes[i]!.value = sameSite;
    else c.attributes.push({ name: 'SameSite', value: sameSite });
  }
  // Browsers reject "SameSite=None" without Secure (the cookie is dropped entirely). That happens
  // whenever Secure was removed to make an https backend's cookie work on http://localhost, so such
  // a cookie is downgraded to SameSite=Lax, which a same-site local dev page still receives.
  const ss = find(c, 'samesite');
  if (ss >= 0 && c.attributes[ss]!.value?.toLowerCase() === 'none' && find(c, 'secure') < 0) {
    c.attributes[ss]!.value = 'Lax';
  }
  return serializeSetCookie(c);
}

/** Rewrite every Set-Cookie line of a response header value. */
export function rewriteSetCookies(value: string | string[], rule: CookieRewrite): string | string[] {
  return Array.isArray(value) ? value.map((v) => rewriteSetCookie(v, rule)) : rewriteSetCookie(value, rule);
}
