// Resolves a location's proxy_pass (upstream blocks, URI part, `rewrite ... break` prefix strips) to a route target.
import type { Directive } from './parse.ts';
import type { Used } from './scope.ts';
import { hasVariable } from './values.ts';
import type { Warnings } from './warnings.ts';

export interface Upstream {
  d: Directive;
  servers: Directive[];
}

export interface Target {
  target: string;
  /** The host named an upstream block (nginx then sends Host: <upstream name> by default). */
  upstream?: string;
  /** The upstream's other servers (host:port), taken in turn after the target's. */
  servers?: string[];
}

/** `upstream` blocks of the http level, by name. */
export function collectUpstreams(http: Directive[], used: Used): Map<string, Upstream> {
  const out = new Map<string, Upstream>();
  for (const d of http) {
    if (d.name !== 'upstream' || !d.block || d.args.length !== 1) continue;
    used.mark(d);
    out.set(d.args[0]!, { d, servers: d.block.filter((s) => s.name === 'server' && !s.block) });
  }
  return out;
}

/** The route target of `proxy_pass`, or undefined (with a warning) when Loopgate cannot proxy it. */
export function resolveTarget(
  pass: Directive,
  upstreams: Map<string, Upstream>,
  w: Warnings,
  used: Used,
): Target | undefined {
  const value = pass.args[0];
  if (pass.args.length !== 1 || !value) {
    w.at(pass, 'proxy_pass takes one URL: location skipped');
    return undefined;
  }
  if (hasVariable(value)) {
    w.at(
      pass,
      `proxy_pass ${value}: variables in proxy_pass are not supported (write the backend URL): location skipped`,
    );
    return undefined;
  }
  const m = /^(https?):\/\/([^/?#]+)([^?#]*)$/i.exec(value);
  if (!m) {
    w.at(pass, `proxy_pass ${value}: only http:// and https:// backends are supported: location skipped`);
    return undefined;
  }
  const scheme = m[1]!.toLowerCase();
  let host = m[2]!;
  const path = m[3]!;
  if (host.toLowerCase().startsWith('unix:')) {
    w.at(pass, `proxy_pass ${value}: UNIX sockets are not supported: location skipped`);
    return undefined;
  }
  const up = upstreams.get(host);
  let upstream: string | undefined;
  const servers: string[] = [];
  if (up) {
    const first = up.servers[0];
    const address = first?.args[0];
    if (!first || !address) {
      w.at(up.d, `upstream ${host} has no server: location skipped`);
      return undefined;
    }
    used.mark(first);
    if (address.toLowerCase().startsWith('unix:')) {
      w.at(first, `upstream server ${address}: UNIX sockets are not supported: location skipped`);
      return undefined;
    }
    for (const extra of up.servers.slice(1)) {
      used.mark(extra);
      const addr = extra.args[0] ?? '';
      if (extra.args.includes('backup') || extra.args.includes('down')) {
        w.at(
          extra,
          `upstream ${host}: a ${extra.args.includes('down') ? 'down' : 'backup'} server is not taken in turn by Loopgate: left out`,
        );
      } else if (addr.toLowerCase().startsWith('unix:')) {
        w.at(extra, `upstream server ${addr}: UNIX sockets are not supported: left out`);
      } else {
        servers.push(/:\d+$/.test(addr) ? addr : `${addr}:80`);
      }
    }
    for (const s of up.servers) {
      const params = s.args.slice(1).filter((p) => p !== 'backup' && p !== 'down');
      if (params.length) {
        w.at(
          s,
          `server parameters (${params.join(' ')}): Loopgate takes the servers in plain turn (no weights, no failure counting)`,
        );
      }
    }
    upstream = host;
    host = /:\d+$/.test(address) || /^\[.*\]:\d+$/.test(address) ? address : `${address}:80`;
  }
  const target = `${scheme}://${host}${path}`;
  try {
    new URL(target);
  } catch {
    w.at(pass, `proxy_pass ${value}: not a valid URL: location skipped`);
    return undefined;
  }
  return { target, upstream, ...(servers.length ? { servers } : {}) };
}

/**
 * `rewrite ^/api/(.*)$ /$1 break;` before a proxy_pass without URI is the old spelling of a
 * prefix replacement: fold it into the target's path. Returns the new target, or undefined.
 */
export function foldRewrite(
  block: Directive[],
  prefix: string | undefined,
  target: string,
  used: Used,
): string | undefined {
  const rewrites = block.filter((d) => d.name === 'rewrite');
  if (rewrites.length !== 1 || prefix === undefined) return undefined;
  const r = rewrites[0]!;
  const [pattern, replacement, flag] = r.args;
  if (r.args.length !== 3 || flag !== 'break' || !pattern || !replacement) return undefined;
  const m = /^\^(.*)\(\.\*\)\$?$/.exec(pattern);
  if (!m) return undefined;
  const literal = unescapeLiteral(m[1]!);
  if (literal !== prefix) return undefined;
  const rep = /^(\/[^$?]*)\$1$/.exec(replacement);
  if (!rep) return undefined;
  if (/^[a-z]+:\/\/[^/]+\//i.test(target)) return undefined; // proxy_pass already has a URI part
  used.mark(r);
  return `${target}${rep[1]}`;
}

/** A regex fragment that is plain text ("\\/api\\/v1" → "/api/v1"), or undefined if it has operators. */
function unescapeLiteral(re: string): string | undefined {
  let out = '';
  for (let i = 0; i < re.length; i++) {
    const ch = re[i]!;
    if (ch === '\\') {
      const next = re[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined;
      out += next;
      i++;
    } else if (/[.*+?()[\]{}^$|]/.test(ch)) {
      return undefined;
    } else {
      out += ch;
    }
  }
  return out;
}
