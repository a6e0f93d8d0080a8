// How an imported nginx site lands in the config: replacing the site settings and routes, or as a new profile.
import type { ConfigInput } from '../../shared/config.ts';

/**
 * The config after "Apply": the site's settings and routes replace the current ones (a setting the
 * site does not have goes back to its default); listen, inspect and profiles stay, unless `useListen`.
 * activeProfile is dropped so that the imported routes are the ones serving.
 */
export function applySite(current: ConfigInput, site: ConfigInput, opts: { useListen?: boolean } = {}): ConfigInput {
  const { listen, $schema: _s, inspect: _i, profiles: _p, activeProfile: _a, ...rest } = site;
  const next: ConfigInput = {};
  if (current.$schema !== undefined) next.$schema = current.$schema;
  const l = opts.useListen && listen ? listen : current.listen;
  if (l !== undefined) next.listen = clone(l);
  Object.assign(next, clone(rest));
  // Loopgate's own settings are not nginx's: they stay as they are.
  if (current.inspect !== undefined) next.inspect = current.inspect;
  if (current.profiles !== undefined) next.profiles = current.profiles;
  return next;
}

/** The config after "Add as profile": the site's routes as profile `name` (nothing else changes). */
export function addProfile(current: ConfigInput, name: string, site: ConfigInput): ConfigInput {
  return { ...current, profiles: { ...current.profiles, [name]: { routes: clone(site.routes ?? []) } } };
}

/** A profile name not taken yet: "app.test", then "app.test (2)", ... */
export function freeProfileName(wanted: string, current: ConfigInput): string {
  const base = wanted.trim() || 'imported';
  const taken = new Set(Object.keys(current.profiles ?? {}));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base} (${n})`)) return `${base} (${n})`;
}

/** "127.0.0.1:8081", ":80" — how a listen setting reads. */
export function listenText(listen: ConfigInput['listen']): string | null {
  if (!listen || (listen.host === undefined && listen.port === undefined)) return null;
  return `${listen.host ?? ''}:${listen.port ?? 8080}`;
}

/** The site settings of an imported config, one short phrase each, for the summary. */
export function siteSummary(site: ConfigInput): string[] {
  const out: string[] = [];
  if (site.root) out.push(`root ${site.root}`);
  if (site.index) out.push(`index ${site.index.join(' ')}`);
  if (site.spa !== undefined) out.push(site.spa ? 'SPA fallback' : 'no SPA fallback');
  if (site.autoindex) out.push('directory listing');
  if (site.maxBodySize !== undefined) out.push(`body ≤ ${site.maxBodySize}`);
  const t = site.timeouts;
  if (t) {
    const names = {
      connect: 'connect',
      send: 'send',
      read: 'read',
      clientBody: 'client body',
      clientSend: 'client send',
    } as const;
    const parts = (Object.keys(names) as Array<keyof typeof names>)
      .filter((k) => t[k] !== undefined)
      .map((k) => `${names[k]} ${t[k]}`);
    if (parts.length) out.push(`timeouts: ${parts.join(', ')}`);
  }
  if (site.cors?.enabled) out.push('CORS on');
  if (site.allowedHosts?.length) out.push(`hosts ${site.allowedHosts.join(' ')}`);
  return out;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
