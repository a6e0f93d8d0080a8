// CORS both ways: recognize nginx's add_header Access-Control-* recipes, and write them for a CORS policy.
import { CORS_DEFAULTS, type FullCors } from '../../../shared/effective.ts';
import type { Directive } from './parse.ts';
import { commaList, hasVariable } from './values.ts';
import type { Warnings } from './warnings.ts';

export interface AddHeader {
  name: string;
  value: string;
  always: boolean;
  d: Directive;
}

const ACAO = 'access-control-allow-origin';
const ACAC = 'access-control-allow-credentials';
const ACAM = 'access-control-allow-methods';
const ACAH = 'access-control-allow-headers';
const ACEH = 'access-control-expose-headers';
const ACMA = 'access-control-max-age';
const ACAPN = 'access-control-allow-private-network';
const CORS_NAMES = new Set([ACAO, ACAC, ACAM, ACAH, ACEH, ACMA, ACAPN]);

export const CORS_RESPONSE_HEADERS = [
  'Access-Control-Allow-Origin',
  'Access-Control-Allow-Credentials',
  'Access-Control-Allow-Methods',
  'Access-Control-Allow-Headers',
  'Access-Control-Expose-Headers',
  'Access-Control-Max-Age',
  'Access-Control-Allow-Private-Network',
];

export function isCorsHeader(name: string): boolean {
  return CORS_NAMES.has(name.toLowerCase());
}

/** `map $http_origin $var { default ""; "https://a" $http_origin; ... }` → var name → allowed origins. */
export type OriginMaps = Map<string, string[]>;

export interface CorsRead {
  cors: FullCors | null;
  /** The add_headers that are not part of the CORS policy (kept as addHeaders). */
  rest: AddHeader[];
}

const last = (list: AddHeader[], name: string) => [...list].reverse().find((h) => h.name.toLowerCase() === name);
const isVaryOrigin = (h: AddHeader) => h.name.toLowerCase() === 'vary' && h.value.trim().toLowerCase() === 'origin';

/**
 * Read a CORS policy from the add_headers of a location (`main`) and of its preflight
 * `if ($request_method = OPTIONS) { ...; return 204; }` block, when it has one.
 */
export function readCors(
  main: AddHeader[],
  preflight: AddHeader[] | undefined,
  maps: OriginMaps,
  w: Warnings,
): CorsRead {
  const acao = last(main, ACAO) ?? (preflight ? last(preflight, ACAO) : undefined);
  const origins = acao ? parseOrigins(acao.value, maps) : undefined;
  if (!acao || !origins) {
    if (acao)
      w.at(
        acao.d,
        `Access-Control-Allow-Origin "${acao.value}" is not a CORS policy Loopgate knows ("*", $http_origin, one origin, or a map of origins): kept as a plain header`,
      );
    return { cors: null, rest: main };
  }
  if (Array.isArray(origins) && origins.length === 1 && !preflight) {
    // One fixed origin, no preflight of its own: nginx sends these headers to everyone, whatever the
    // Origin (browsers elsewhere refuse them). As plain headers Loopgate does the same, with no Vary: Origin.
    w.at(
      acao.d,
      `Access-Control-Allow-Origin ${acao.value} (one fixed origin) is kept as a plain header, sent to every origin as nginx does; use "cors" for Loopgate's policy (it answers only allowed origins)`,
    );
    return { cors: null, rest: main };
  }
  if (Array.isArray(origins) && origins.length === 1) {
    w.at(
      acao.d,
      `Access-Control-Allow-Origin ${acao.value} with a preflight block becomes a CORS policy: Loopgate answers only this origin (another one gets no CORS headers and a 403 preflight) and adds Vary: Origin; nginx sends the same headers to every origin`,
    );
  }
  if (!last(main, ACAO)) {
    w.at(
      acao.d,
      'Access-Control-Allow-Origin is only sent on preflight answers here; Loopgate sends it on every response',
    );
  }
  if (preflight && !last(preflight, ACAO)) {
    // add_header in the `if` block replaces the location's own: nginx's preflight answer lacks them.
    const own = preflight.find((h) => !main.includes(h));
    if (own) {
      w.at(
        own.d,
        "the preflight block has add_header lines of its own, so nginx sends none of the outer ones on preflight answers (no Access-Control-Allow-Origin: browsers refuse the preflight); Loopgate's preflight answer carries the CORS policy",
      );
    }
  }
  const consumed = new Set<AddHeader>([acao]);
  const pick = (name: string, preferPreflight: boolean): AddHeader | undefined => {
    const fromMain = last(main, name);
    const fromPre = preflight ? last(preflight, name) : undefined;
    return preferPreflight ? (fromPre ?? fromMain) : (fromMain ?? fromPre);
  };
  const cors: FullCors = { ...CORS_DEFAULTS, origins, preflight: preflight ? 'local' : 'forward' };

  const cred = pick(ACAC, false);
  if (cred && cred.value.trim().toLowerCase() === 'true') {
    cors.credentials = true;
    consumed.add(cred);
  }
  if (cors.origins === '*' && cors.credentials) {
    cors.origins = 'reflect';
    w.at(
      acao.d,
      'Access-Control-Allow-Origin "*" with credentials is refused by browsers; Loopgate echoes the Origin instead (origins: "reflect")',
    );
  }
  const expose = pick(ACEH, false);
  if (expose && !hasVariable(expose.value)) {
    cors.exposeHeaders = commaList(expose.value);
    consumed.add(expose);
  }
  const methods = pick(ACAM, true);
  if (methods && !hasVariable(methods.value)) {
    cors.methods = commaList(methods.value);
    consumed.add(methods);
  } else if (!methods && preflight) {
    w.at(
      acao.d,
      `the preflight answer has no Access-Control-Allow-Methods: Loopgate sends its default (${CORS_DEFAULTS.methods.join(', ')})`,
    );
  }
  const headers = pick(ACAH, true);
  if (headers) {
    const v = headers.value.trim();
    if (v === '$http_access_control_request_headers') cors.headers = 'reflect';
    else if (!hasVariable(v)) cors.headers = commaList(v);
    if (v === '$http_access_control_request_headers' || !hasVariable(v)) consumed.add(headers);
  }
  const maxAge = pick(ACMA, true);
  if (maxAge && /^\d+$/.test(maxAge.value.trim())) {
    cors.maxAge = Number(maxAge.value.trim());
    consumed.add(maxAge);
  } else if (!maxAge) {
    w.at(
      acao.d,
      `no Access-Control-Max-Age here: nginx sends none on preflight answers, Loopgate its default (${CORS_DEFAULTS.maxAge})`,
    );
  }
  for (const h of [methods, headers, expose]) {
    const v = h?.value.trim();
    if (h && v && consumed.has(h) && v !== commaList(v).join(', ')) {
      w.at(
        h.d,
        `add_header ${h.name} "${v}": Loopgate sends the list as "${commaList(v).join(', ')}" (the same to browsers)`,
      );
    }
  }
  const pna = pick(ACAPN, true);
  if (pna && pna.value.trim().toLowerCase() === 'true') {
    cors.privateNetwork = true;
    consumed.add(pna);
  }

  for (const h of main) {
    if (consumed.has(h) && !h.always) {
      w.at(
        h.d,
        `add_header ${h.name} without "always": nginx sends it only with 2xx/3xx answers, Loopgate's CORS answers every status`,
      );
    }
  }
  const rest = main.filter(
    (h) =>
      !consumed.has(h) &&
      !isVaryOrigin(h) &&
      !(isCorsHeader(h.name) && consumed.has(last(main, h.name.toLowerCase())!)),
  );
  // Preflight-only headers: the same CORS headers are fine; anything else is reported, not kept.
  for (const h of preflight ?? []) {
    if (consumed.has(h) || isVaryOrigin(h) || main.includes(h)) continue;
    const lname = h.name.toLowerCase();
    if (lname === 'content-type' || lname === 'content-length') continue;
    if (isCorsHeader(h.name)) {
      const used = [...consumed].find((c) => c.name.toLowerCase() === lname);
      if (used && used.value.trim() === h.value.trim()) continue;
      w.at(
        h.d,
        used
          ? `add_header ${h.name} differs between preflight and other answers: Loopgate uses "${used.value}" for both`
          : `add_header ${h.name} ${h.value}: not understood as CORS: dropped`,
      );
      continue;
    }
    if (rest.some((r) => r.name.toLowerCase() === lname && r.value === h.value)) continue;
    w.at(h.d, `add_header ${h.name} only on preflight answers: not supported, dropped`);
  }
  return { cors, rest };
}

function parseOrigins(value: string, maps: OriginMaps): FullCors['origins'] | undefined {
  const v = value.trim();
  if (v === '*') return '*';
  if (v === '$http_origin') return 'reflect';
  const m = /^\$\{?([A-Za-z0-9_]+)\}?$/.exec(v);
  if (m) {
    const list = maps.get(m[1]!);
    return list?.length ? list : undefined;
  }
  if (/^https?:\/\/[^\s/]+$/i.test(v)) return [v];
  return undefined;
}

/** Headers for every response of a route with this policy. `originVar` names the map for a list of origins. */
export function corsResponseHeaders(c: FullCors, originVar: string | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [['Access-Control-Allow-Origin', originValue(c, originVar)]];
  if (c.credentials) out.push(['Access-Control-Allow-Credentials', 'true']);
  if (c.exposeHeaders.length) out.push(['Access-Control-Expose-Headers', c.exposeHeaders.join(', ')]);
  if (c.preflight === 'forward') out.push(...preflightOnly(c));
  if (dependsOnOrigin(c)) out.push(['Vary', 'Origin']);
  return out;
}

/** Headers of a locally answered preflight. */
export function corsPreflightHeaders(c: FullCors, originVar: string | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [['Access-Control-Allow-Origin', originValue(c, originVar)]];
  if (c.credentials) out.push(['Access-Control-Allow-Credentials', 'true']);
  out.push(...preflightOnly(c));
  if (dependsOnOrigin(c)) out.push(['Vary', 'Origin']);
  return out;
}

function preflightOnly(c: FullCors): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (c.methods.length) out.push(['Access-Control-Allow-Methods', c.methods.join(', ')]);
  if (c.headers === 'reflect') out.push(['Access-Control-Allow-Headers', '$http_access_control_request_headers']);
  else if (c.headers.length) out.push(['Access-Control-Allow-Headers', c.headers.join(', ')]);
  out.push(['Access-Control-Max-Age', String(c.maxAge)]);
  if (c.privateNetwork) out.push(['Access-Control-Allow-Private-Network', 'true']);
  return out;
}

/** As the engine: "*" without credentials is the same for everyone; every other mode echoes the Origin. */
function dependsOnOrigin(c: FullCors): boolean {
  return !(c.origins === '*' && !c.credentials);
}

function originValue(c: FullCors, originVar: string | undefined): string {
  if (c.origins === '*') return c.credentials ? '$http_origin' : '*';
  if (c.origins === 'reflect') return '$http_origin';
  if (c.origins.length === 1) return c.origins[0]!;
  return `$${originVar}`;
}
