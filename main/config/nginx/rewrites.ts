// Response rewrites: proxy_redirect → rewriteRedirects, proxy_cookie_domain/path/flags → cookies.
import type { RouteInput } from '../../../shared/config.ts';
import type { Directive } from './parse.ts';
import { hasVariable } from './values.ts';
import type { Warnings } from './warnings.ts';

type CookiesInput = NonNullable<RouteInput['cookies']>;

const ALL_COOKIES = new Set(['~', '~.*', '~.+', '~^.*$', '~^.+$', '~*']);
const ANY_DOMAIN = ALL_COOKIES;

/** proxy_redirect list (effective) → rewriteRedirects (undefined = Loopgate's default, on). */
export function readRedirects(items: Directive[], target: string, w: Warnings): false | undefined {
  if (!items.length) return undefined;
  if (items.some((d) => d.args.length === 1 && d.args[0] === 'off')) {
    const others = items.filter((d) => !(d.args.length === 1 && d.args[0] === 'off'));
    for (const d of others) w.at(d, 'proxy_redirect off at the same level turns redirect rewriting off: ignored');
    return false;
  }
  for (const d of items) {
    if (d.args.length === 1 && d.args[0] === 'default') continue;
    const [from, to] = d.args;
    if (d.args.length !== 2 || from === undefined || to === undefined) {
      w.at(d, 'proxy_redirect takes "default", "off" or a pair of URLs: ignored');
      continue;
    }
    let host = '';
    try {
      host = new URL(target).host;
    } catch {
      /* target already validated */
    }
    const aboutTarget = !from.startsWith('~') && host !== '' && from.includes(host);
    w.at(
      d,
      aboutTarget
        ? `proxy_redirect ${from} ${to}: Loopgate rewrites every redirect that points at the target back to this server (rewriteRedirects)`
        : `proxy_redirect ${from} ${to}: custom redirect rewrites are not supported; Loopgate rewrites redirects that point at the target (rewriteRedirects)`,
    );
  }
  return undefined;
}

/** proxy_cookie_domain / proxy_cookie_path / proxy_cookie_flags (effective lists) → cookies. */
export function readCookies(
  domains: Directive[],
  paths: Directive[],
  flags: Directive[],
  w: Warnings,
): CookiesInput | undefined {
  const c: CookiesInput = {};
  for (const d of domains) {
    if (d.args.length === 1 && d.args[0] === 'off') continue;
    const [from, to] = d.args;
    if (d.args.length !== 2 || from === undefined || to === undefined) {
      w.at(d, 'proxy_cookie_domain takes "off" or a domain and its replacement: ignored');
      continue;
    }
    let value: string;
    if (to === '' || to === '$host' || to === '$http_host') {
      value = 'remove';
      if (to !== '') w.at(d, `Domain=${to} is read as "remove" (a host-only cookie for this server)`);
    } else if (hasVariable(to)) {
      w.at(d, `proxy_cookie_domain ${from} ${to}: variables are not supported: ignored`);
      continue;
    } else {
      value = to;
    }
    if (c.domain !== undefined && c.domain !== value) {
      w.at(d, 'several cookie domain rewrites: Loopgate has one (the first is kept)');
      continue;
    }
    if (!ANY_DOMAIN.has(from)) {
      w.at(d, `proxy_cookie_domain ${from}: Loopgate rewrites the Domain of every cookie, not only "${from}"`);
    }
    c.domain = value;
  }
  for (const d of paths) {
    if (d.args.length === 1 && d.args[0] === 'off') continue;
    const [from, to] = d.args;
    if (d.args.length !== 2 || from === undefined || to === undefined || from.startsWith('~') || hasVariable(to)) {
      w.at(d, `proxy_cookie_path ${d.args.join(' ')}: only plain "from to" prefixes are supported: ignored`);
      continue;
    }
    c.path = { ...c.path, [from]: to };
  }
  for (const d of flags) {
    if (d.args.length === 1 && d.args[0] === 'off') continue;
    const [cookie, ...list] = d.args;
    if (cookie === undefined || !list.length) {
      w.at(d, 'proxy_cookie_flags takes a cookie name and flags: ignored');
      continue;
    }
    if (!ALL_COOKIES.has(cookie)) {
      w.at(d, `proxy_cookie_flags ${cookie}: Loopgate applies cookie flags to every cookie, not only "${cookie}"`);
    }
    for (const flag of list) {
      const f = flag.toLowerCase();
      if (f === 'secure') c.secure = 'add';
      else if (f === 'nosecure') c.secure = 'remove';
      else if (f === 'httponly') c.httpOnly = 'add';
      else if (f === 'nohttponly') c.httpOnly = 'remove';
      else if (f === 'nosamesite') c.sameSite = 'remove';
      else if (f === 'samesite=lax') c.sameSite = 'Lax';
      else if (f === 'samesite=strict') c.sameSite = 'Strict';
      else if (f === 'samesite=none') c.sameSite = 'None';
      else w.at(d, `cookie flag "${flag}" is not supported: ignored`);
    }
  }
  return Object.keys(c).length ? c : undefined;
}
