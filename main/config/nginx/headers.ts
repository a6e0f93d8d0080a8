// Maps a location's effective proxy_set_header list to Loopgate route settings (Host, forwarded, ws, Origin).
import { headerValueProblem, type RouteInput } from '../../../shared/config.ts';
import type { Directive } from './parse.ts';
import { HEADER_NAME, hasVariable } from './values.ts';
import type { Warnings } from './warnings.ts';

export interface RequestHeaderSettings {
  changeOrigin?: false;
  rewriteOrigin?: true;
  setHeaders: Record<string, string>;
  removeHeaders: string[];
  forwarded: { realIp: boolean; forwardedFor: boolean; forwardedProto: boolean; forwardedHost: boolean };
  upgrade: boolean;
  connectionUpgrade: boolean;
  /** The Host value nginx sends ($proxy_host unless set). */
  hostVariable: 'proxy' | 'client' | 'literal';
}

/** Variables the engine fills in per request (main/engine/http/variables.ts), so a value using only these is kept. */
const ENGINE_VARIABLES = new Set([
  'host',
  'http_host',
  'server_port',
  'remote_addr',
  'scheme',
  'proxy_host',
  'request_uri',
  'proxy_add_x_forwarded_for',
]);

function onlyEngineVariables(value: string): boolean {
  return [...value.matchAll(/\$\{?([A-Za-z_0-9]+)\}?/g)].every((m) => ENGINE_VARIABLES.has(m[1]!));
}

/**
 * Read proxy_set_header lines (already the effective ones for the location).
 * `origin` is the target's origin; `upgradeVars` the `map $http_upgrade` variables.
 */
export function readRequestHeaders(
  items: Directive[],
  origin: string | undefined,
  upgradeVars: Set<string>,
  w: Warnings,
  /** The server's first server_name (nginx's $server_name), "" when it has none. */
  serverName = '',
): RequestHeaderSettings {
  const s: RequestHeaderSettings = {
    setHeaders: {},
    removeHeaders: [],
    forwarded: { realIp: false, forwardedFor: false, forwardedProto: false, forwardedHost: false },
    upgrade: false,
    connectionUpgrade: false,
    hostVariable: 'proxy',
  };
  const joined = new Set<Directive>();
  for (const d of items) {
    const [name, rawValue] = d.args;
    if (d.args.length !== 2 || name === undefined || rawValue === undefined) {
      w.at(d, 'proxy_set_header takes a header name and a value: ignored');
      continue;
    }
    if (!HEADER_NAME.test(name)) {
      w.at(d, `"${name}" is not a valid header name: ignored`);
      continue;
    }
    const value = rawValue.trim();
    const problem = headerValueProblem(value);
    if (problem !== null) {
      w.at(d, `proxy_set_header ${name}: ${problem}: ignored`);
      continue;
    }
    const lname = name.toLowerCase();
    const variable = (what: string) => w.at(d, `proxy_set_header ${name} ${rawValue}: ${what}`);
    switch (lname) {
      case 'host':
        if (value === '$proxy_host') s.hostVariable = 'proxy';
        else if (value === '$http_host' || value === '${http_host}') {
          // The client's Host header as sent (with its port).
          s.hostVariable = 'client';
          s.changeOrigin = false;
        } else if (value === '$server_name' || value === '${server_name}') {
          s.hostVariable = 'client';
          s.changeOrigin = false;
          s.setHeaders[name] = serverName;
          if (serverName === '')
            variable('this server has no server_name: nginx sends an empty Host, and so does Loopgate');
        } else if (hasVariable(value) && onlyEngineVariables(value)) {
          // $host (no port), $host:$server_port, ...: filled in per request, as nginx does.
          s.hostVariable = 'client';
          s.changeOrigin = false;
          s.setHeaders[name] = value;
        } else if (value === '') {
          variable('an empty Host is not supported: ignored');
        } else if (hasVariable(value)) {
          variable("this variable is not supported: Loopgate sends the target's Host (changeOrigin)");
        } else {
          s.hostVariable = 'literal';
          s.setHeaders[name] = value;
        }
        continue;
      case 'x-real-ip':
        if (value === '$remote_addr') {
          s.forwarded.realIp = true;
          continue;
        }
        break;
      case 'x-forwarded-for':
        if (value === '$proxy_add_x_forwarded_for') {
          s.forwarded.forwardedFor = true;
          continue;
        }
        if (value === '$remote_addr') {
          s.forwarded.forwardedFor = true;
          variable(
            'mapped to forwarded.forwardedFor, which appends to an incoming X-Forwarded-For like $proxy_add_x_forwarded_for',
          );
          continue;
        }
        break;
      case 'x-forwarded-proto':
        if (value === '$scheme') {
          s.forwarded.forwardedProto = true;
          continue;
        }
        break;
      case 'x-forwarded-host':
        if (value === '$http_host' || value === '${http_host}') {
          s.forwarded.forwardedHost = true;
          continue;
        }
        break;
      case 'upgrade':
        if (value === '$http_upgrade') {
          s.upgrade = true;
          continue;
        }
        break;
      case 'connection': {
        const v = /^\$\{?([A-Za-z0-9_]+)\}?$/.exec(value);
        if ((v && upgradeVars.has(v[1]!)) || value.toLowerCase() === 'upgrade') {
          s.connectionUpgrade = true;
          continue;
        }
        if (v) {
          variable(`$${v[1]} is not defined by a "map $http_upgrade" block: WebSocket upgrades are not enabled by it`);
          continue;
        }
        if (value === '' || value.toLowerCase() === 'close' || value.toLowerCase() === 'keep-alive') {
          variable('not needed: Loopgate manages upstream connections itself');
          continue;
        }
        break;
      }
      case 'origin':
        if (origin && value.replace(/\/$/, '') === origin) {
          s.rewriteOrigin = true;
          continue;
        }
        break;
    }
    if (value === '') {
      if (!s.removeHeaders.some((h) => h.toLowerCase() === lname)) s.removeHeaders.push(name);
    } else if (hasVariable(value) && !onlyEngineVariables(value)) {
      variable('variables in header values are not supported: header not set');
    } else {
      // nginx sends a repeated name twice; the backend reads the two lines as one "a, b": send that.
      const key = Object.keys(s.setHeaders).find((k) => k.toLowerCase() === lname);
      if (key === undefined) s.setHeaders[name] = value;
      else {
        s.setHeaders[key] = `${s.setHeaders[key]}, ${value}`;
        joined.add(d);
      }
    }
  }
  warnRepeated(items, joined, w);
  return s;
}

/** A name set again (`include proxy_params` plus the same line): nginx sends every line; say what Loopgate sends. */
function warnRepeated(items: Directive[], joined: Set<Directive>, w: Warnings): void {
  const seen = new Map<string, Directive>();
  for (const d of items) {
    if (d.args.length !== 2 || d.args[1]!.trim() === '') continue;
    const lname = d.args[0]!.toLowerCase();
    const earlier = seen.get(lname);
    if (!earlier) {
      seen.set(lname, d);
      continue;
    }
    const where = earlier.file === d.file ? `line ${earlier.line}` : `${earlier.file}:${earlier.line}`;
    w.at(
      d,
      joined.has(d)
        ? `proxy_set_header ${d.args[0]} is also set on ${where}: nginx sends two lines, Loopgate one with both values ("a, b", as the backend reads them)`
        : `proxy_set_header ${d.args[0]} is also set on ${where}: nginx sends the header twice, Loopgate once (this later value)`,
    );
  }
}

/** The route fields for these settings (only what differs from Loopgate's defaults). */
export function headerFields(s: RequestHeaderSettings): Partial<RouteInput> {
  const out: Partial<RouteInput> = {};
  if (s.changeOrigin === false) out.changeOrigin = false;
  if (s.rewriteOrigin) out.rewriteOrigin = true;
  if (Object.keys(s.setHeaders).length) out.setHeaders = s.setHeaders;
  if (s.removeHeaders.length) out.removeHeaders = s.removeHeaders;
  const off = Object.entries(s.forwarded).filter(([, on]) => !on);
  if (off.length) out.forwarded = Object.fromEntries(off.map(([k]) => [k, false]));
  return out;
}
