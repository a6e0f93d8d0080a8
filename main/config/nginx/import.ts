// Imports nginx config (a whole nginx.conf, an http{} body or bare server{} blocks) as Loopgate sites.
import type { ConfigInput, CorsInput } from '../../../shared/config.ts';
import { validateConfig } from '../../../shared/config.ts';
import { formatDuration, formatSize } from '../../../shared/units.ts';
import { readCors, type OriginMaps } from './cors.ts';
import {
  CORS_DEFAULTS,
  DEFAULTS,
  TIMEOUT_DIRECTIVES,
  TIMEOUT_KEYS,
  type FullCors,
  type Timeouts,
} from '../../../shared/effective.ts';
import { readFileLocation } from './files.ts';
import { flattenLocations, type LocNode } from './locations.ts';
import { parseConfig, type Directive, type ReadFile } from './parse.ts';
import {
  findPreflight,
  plainHeaders,
  importRoute,
  preflightHeaders,
  readDuration,
  readSize,
  toAddHeaders,
  type ImportContext,
  type ServerContext,
} from './route.ts';
import { list, scalar, Used, walk } from './scope.ts';
import { NGINX_STOCK_TYPES, readStatic } from './static.ts';
import { collectUpstreams } from './target.ts';
import { unsupportedMessage, Warnings, type ImportWarning } from './warnings.ts';

export type { ImportWarning } from './warnings.ts';
export { NginxSyntaxError } from './lexer.ts';

export interface ImportResult {
  sites: Array<{ name: string; config: ConfigInput }>;
  warnings: ImportWarning[];
}

/**
 * Parse an nginx config (a whole nginx.conf, an http{} body, or bare server{} blocks); `include`s are
 * read relative to the file (readFile injectable for tests / UI paste). Throws NginxSyntaxError.
 */
export function importNginx(text: string, opts: { file: string; readFile?: ReadFile }): ImportResult {
  const w = new Warnings();
  const used = new Used();
  const tree = parseConfig(text, { file: opts.file, readFile: opts.readFile, warnings: w });

  const https = tree.filter((d) => d.name === 'http' && d.block);
  used.mark(...https);
  let http = https.length ? https.flatMap((d) => d.block!) : tree;
  let servers = http.filter((d) => d.name === 'server' && d.block);
  used.mark(...servers);
  let bodies = servers.map((s) => ({ d: s, body: s.block! }));
  if (
    !servers.length &&
    http.some((d) => ['location', 'proxy_pass', 'listen', 'root', 'server_name'].includes(d.name))
  ) {
    // A pasted server body without its `server {}`.
    bodies = [{ d: http[0]!, body: http }];
    http = [];
    servers = [];
  }
  const maps = collectMaps(https.length ? http : tree, used, w);
  const ctx: ImportContext = {
    w,
    used,
    upstreams: collectUpstreams(http, used),
    originMaps: maps.origins,
    upgradeVars: maps.upgrade,
  };

  const sites = bodies.map(({ d, body }, i) => importServer(d, body, http, i, ctx));
  if (!bodies.length) {
    w.at({ name: 'server', file: opts.file, line: 1 }, 'no server block found: nothing to import');
  }
  reportLeftovers(tree, used, w);
  return { sites: uniqueNames(sites), warnings: w.list };
}

function collectMaps(level: Directive[], used: Used, w: Warnings): { origins: OriginMaps; upgrade: Set<string> } {
  const origins: OriginMaps = new Map();
  const upgrade = new Set<string>();
  for (const d of level) {
    if (d.name !== 'map' || !d.block) continue;
    const [source, variable] = d.args;
    const name = variable?.replace(/^\$/, '');
    if (d.args.length !== 2 || !name) continue;
    const entries = d.block.filter((e) => !['hostnames', 'volatile'].includes(e.name));
    if (source === '$http_upgrade') {
      used.mark(d, ...d.block);
      upgrade.add(name);
    } else if (source === '$http_origin') {
      const list: string[] = [];
      let ok = true;
      for (const e of entries) {
        const value = e.args[0];
        if (e.name === 'default') {
          if (value !== '' && value !== undefined) ok = false;
        } else if (e.name.startsWith('~')) {
          w.at(e, `origin pattern ${e.name}: regex origins are not supported, list them one by one`);
        } else if (value === '$http_origin' || value === e.name) {
          list.push(e.name);
        } else if (value !== '') {
          ok = false;
        }
      }
      if (!ok) continue;
      used.mark(d, ...d.block);
      origins.set(name, list);
    }
  }
  return { origins, upgrade };
}

function importServer(
  server: Directive,
  body: Directive[],
  http: Directive[],
  index: number,
  ctx: ImportContext,
): { name: string; config: ConfigInput } {
  const { w, used } = ctx;
  const config: ConfigInput = {};
  const listen = readListen(body, w, used);
  if (listen) config.listen = listen;

  const nodes = flattenLocations(body, w, used);
  const staticNode = nodes.find((n) => n.depth === 0 && n.modifier === '' && n.pattern === '/' && !ownPass(n));
  const site = readStatic(http, body, staticNode, w, used);
  Object.assign(config, site.fields);

  const level = [http, body];
  const timeouts: Timeouts = { ...DEFAULTS.timeouts };
  const tIn: NonNullable<ConfigInput['timeouts']> = {};
  for (const key of TIMEOUT_KEYS) {
    const d = scalar(level, TIMEOUT_DIRECTIVES[key], used);
    const ms = d ? readDuration(d, w) : undefined;
    if (ms !== undefined) {
      timeouts[key] = ms;
      tIn[key] = formatDuration(ms);
    }
  }
  const bodyD = scalar(level, 'client_max_body_size', used);
  const bytes = bodyD ? readSize(bodyD, w) : undefined;
  if (bytes !== undefined) config.maxBodySize = formatSize(bytes);
  if (Object.keys(tIn).length) config.timeouts = tIn;

  // The server's own CORS: what static answers carry (location / or the server level).
  const serverPreflight = findPreflight(body, used);
  const staticChain = staticNode ? [http, body, staticNode.d.block!] : level;
  const staticAdds = toAddHeaders(list(staticChain, 'add_header', used).items, w);
  const staticIf = (staticNode && findPreflight(staticNode.d.block!, used)) ?? serverPreflight;
  const inherited =
    staticIf === serverPreflight && staticNode ? toAddHeaders(list(level, 'add_header', used).items, w) : staticAdds;
  const staticRead = readCors(staticAdds, preflightHeaders(staticIf, inherited, w, used), ctx.originMaps, w);
  const topCors = staticRead.cors;
  if (topCors) config.cors = minimizeCors(topCors, CORS_DEFAULTS);
  if (config.root !== undefined) {
    // add_header of location / (or the server): on the files served, as nginx adds them.
    const headers = plainHeaders(staticRead.rest, w);
    if (headers) config.addHeaders = headers;
  }

  const allowed = readServerNames(body, w, used);
  if (allowed.hosts.length) config.allowedHosts = allowed.hosts;

  const serverName = body.find((d) => d.name === 'server_name')?.args[0] ?? '';
  const srv: ServerContext = {
    serverName,
    http,
    server: body,
    timeouts,
    maxBodySize: bytes ?? DEFAULTS.maxBodySize,
    preflight: serverPreflight,
  };
  const routes: NonNullable<ConfigInput['routes']> = [];
  const locations: NonNullable<ConfigInput['locations']> = [];
  const routeNodes: LocNode[] = [];
  for (const node of nodes) {
    const pass = ownPass(node);
    if (pass) {
      used.mark(pass);
      const r = importRoute(node, pass, ctx, srv);
      if (!r) continue;
      if (!sameCors(r.cors, topCors))
        r.route.cors = r.cors ? minimizeCors(r.cors, topCors ?? CORS_DEFAULTS) : { enabled: false };
      routes.push(r.route);
      routeNodes.push(node);
    } else if (node !== staticNode) {
      const files = readFileLocation(node, config.root ?? undefined, w, used);
      if (files) locations.push(files);
      else warnStaticLocation(node, nodes, w, config.root !== undefined);
    }
  }
  if (routes.length) config.routes = routes;
  if (locations.length) {
    config.locations = locations;
    // Files served without a root of the server's own: still nginx's defaults, not Loopgate's.
    if (config.root === undefined) {
      Object.assign(config, { charset: 'off', gzipStatic: false, brotliStatic: false, expires: 'off' });
      config.types = { ...NGINX_STOCK_TYPES };
    }
  }
  ensureValid(config, server, routeNodes, w);
  const name =
    allowed.first ?? (config.listen?.port !== undefined ? `server :${config.listen.port}` : `server ${index + 1}`);
  return { name, config };
}

/** A location that serves files: say what Loopgate does instead, and where routes can now take its URIs. */
function warnStaticLocation(node: LocNode, nodes: LocNode[], w: Warnings, hasRoot: boolean): void {
  const regex = node.modifier === '~' || node.modifier === '~*';
  if (node.d.block!.some((d) => d.name !== 'location')) {
    w.at(node.d, `location ${node.match} has no proxy_pass: ${whereFilesGo(node, nodes, regex, hasRoot)}`);
    return;
  }
  // A container of nested locations still answers the URIs its children do not take.
  const routes = nodes.filter((n) => n !== node && ownPass(n));
  const regexRoutes = routes.some((n) => n.flatModifier === '~' || n.flatModifier === '~*');
  const shorter = routes.find(
    (n) =>
      (n.flatModifier === '' || n.flatModifier === '^~') &&
      node.pattern.startsWith(n.flatPattern) &&
      n.flatPattern.length < node.pattern.length,
  );
  if (node.modifier === '^~' && regexRoutes) {
    w.at(
      node.d,
      `location ${node.match} (files) keeps regex locations away from its URIs in nginx; in Loopgate regex routes can take them`,
    );
  } else if (shorter) {
    w.at(
      node.d,
      `location ${node.match} (files) wins over "${shorter.match}" in nginx; in Loopgate that route takes these URIs`,
    );
  }
}

/**
 * What Loopgate does with the URIs of a file location it cannot serve as nginx does: a proxied prefix
 * route that covers them (a `/` route covers all) sends them to its backend; otherwise the server's root
 * serves them, or nothing does.
 */
function whereFilesGo(node: LocNode, nodes: LocNode[], regex: boolean, hasRoot: boolean): string {
  const covering = nodes
    .filter(
      (n) =>
        n !== node &&
        ownPass(n) &&
        (n.flatModifier === '' || n.flatModifier === '^~') &&
        (regex ? n.flatPattern === '/' : node.pattern.startsWith(n.flatPattern)),
    )
    .sort((a, b) => b.flatPattern.length - a.flatPattern.length)[0];
  const nginxSays = regex
    ? 'in nginx it serves files and takes matching URIs away from other locations'
    : 'in nginx it serves files';
  if (covering) return `${nginxSays}; in Loopgate the route "${covering.match}" sends these URIs to its backend`;
  if (hasRoot) {
    return regex
      ? `${nginxSays}; Loopgate serves files from the server's root only where no route matches`
      : `${nginxSays}; Loopgate serves these URIs from the server's root (not this location's settings) where no route matches`;
  }
  return `${nginxSays}; Loopgate has no root here and answers these URIs 404 where no route matches`;
}

function ownPass(node: LocNode): Directive | undefined {
  return node.d.block!.filter((d) => d.name === 'proxy_pass').pop();
}

function readListen(body: Directive[], w: Warnings, used: Used): ConfigInput['listen'] | undefined {
  const listens = body.filter((d) => d.name === 'listen');
  used.mark(...listens);
  const first = listens[0];
  for (const extra of listens.slice(1)) w.at(extra, 'Loopgate listens on one address: only the first listen is used');
  const addr = first?.args[0];
  if (!first || !addr) return undefined;
  if (first.args.slice(1).some((p) => ['ssl', 'http2', 'quic', 'http3'].includes(p))) {
    w.at(first, 'TLS is not terminated by Loopgate: it serves plain HTTP on your machine');
  }
  if (addr.startsWith('unix:')) {
    w.at(first, 'UNIX socket listeners are not supported: Loopgate listens on TCP');
    return undefined;
  }
  let host: string | undefined;
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(addr);
  const hp = /^(.+):(\d+)$/.exec(addr);
  if (v6) [host, port] = [v6[1]!, v6[2] ? Number(v6[2]) : 80];
  else if (/^\d+$/.test(addr)) port = Number(addr);
  else if (hp) [host, port] = [hp[1]!, Number(hp[2])];
  else [host, port] = [addr, 80];
  if (port === undefined || port > 65535) {
    w.at(first, `listen ${addr}: not a port Loopgate can use`);
    return undefined;
  }
  const out: ConfigInput['listen'] = { port };
  if (host && ['*', '0.0.0.0', '::'].includes(host)) {
    w.at(
      first,
      `listen ${addr}: nginx listens on every interface; Loopgate listens on 127.0.0.1 unless listen.host is set`,
    );
  } else if (host && (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host))) {
    out.host = host;
  } else if (host) {
    w.at(
      first,
      `listen ${addr}: Loopgate is a local tool and listens on 127.0.0.1 (set listen.host to ${host} yourself if you need it)`,
    );
  }
  if (port > 0 && port < 1024)
    w.at(
      first,
      `port ${port} needs administrator rights on most systems: change listen.port if Loopgate cannot bind it`,
    );
  return out;
}

function readServerNames(body: Directive[], w: Warnings, used: Used): { hosts: string[]; first?: string } {
  const hosts: string[] = [];
  let first: string | undefined;
  for (const d of body.filter((x) => x.name === 'server_name')) {
    used.mark(d);
    for (const name of d.args) {
      if (name === '' || name === '_') continue;
      first ??= name;
      if (['localhost', '127.0.0.1', '[::1]', '::1'].includes(name.toLowerCase())) continue;
      if (name.startsWith('~') || name.includes('*')) {
        w.at(d, `server_name ${name}: wildcard and regex names are not supported in allowedHosts: list the host names`);
        continue;
      }
      if (!hosts.includes(name)) hosts.push(name);
    }
  }
  return { hosts, first };
}

const CORS_KEYS = Object.keys(CORS_DEFAULTS) as Array<keyof FullCors>;

function sameCors(a: FullCors | null, b: FullCors | null): boolean {
  if (!a || !b) return a === b;
  return CORS_KEYS.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

/** The fewest CORS fields that give `full` when merged over `base` (as the engine merges). */
function minimizeCors(full: FullCors, base: FullCors): CorsInput {
  const out: Record<string, unknown> = { enabled: true };
  for (const k of CORS_KEYS) {
    if (JSON.stringify(full[k]) === JSON.stringify(base[k])) continue;
    // Times are written with units so the config never reads as a validated one (ms).
    out[k] = k === 'maxAge' ? formatDuration(full.maxAge * 1000) : full[k];
  }
  return out as CorsInput;
}

/** Last line of defence: whatever validateConfig still rejects is dropped, with a warning. */
function ensureValid(config: ConfigInput, server: Directive, routeNodes: LocNode[], w: Warnings): void {
  for (let round = 0; round < 5; round++) {
    const v = validateConfig(config);
    if (v.ok) return;
    const dropRoutes = new Set<number>();
    for (const e of v.errors) {
      const [top, idx] = e.path.split('.');
      if (top === 'routes' && idx !== undefined && config.routes?.[Number(idx)]) {
        dropRoutes.add(Number(idx));
        const node = routeNodes[Number(idx)];
        w.at(node?.d ?? server, `location skipped: ${e.path.split('.').slice(2).join('.') || 'route'}: ${e.message}`);
      } else if (top && top in config) {
        w.at(server, `${top} dropped: ${e.message}`);
        delete (config as Record<string, unknown>)[top];
      }
    }
    if (dropRoutes.size && config.routes) {
      config.routes = config.routes.filter((_, i) => !dropRoutes.has(i));
      routeNodes.splice(0, routeNodes.length, ...routeNodes.filter((_, i) => !dropRoutes.has(i)));
      if (!config.routes.length) delete config.routes;
    }
  }
}

const NOT_APPLIED = 'not applied: no proxied location uses it (an inner level sets its own, or nothing proxies here)';
const LEFTOVER: Record<string, string> = {
  add_header: 'not applied: Loopgate adds response headers to proxied routes only',
  proxy_set_header: NOT_APPLIED,
  proxy_hide_header: NOT_APPLIED,
  proxy_redirect: NOT_APPLIED,
  proxy_cookie_domain: NOT_APPLIED,
  proxy_cookie_path: NOT_APPLIED,
  proxy_cookie_flags: NOT_APPLIED,
  proxy_http_version: NOT_APPLIED,
  proxy_pass: 'proxy_pass is only understood directly inside a location',
  try_files: 'try_files is only understood in "location /" or at server level (the SPA fallback)',
  root: 'only the root of "location /" (or the server) is used: Loopgate serves one folder',
  index: 'only the index of "location /" (or the server) is used',
  server: 'server blocks are only understood inside http {} or at top level',
  location: 'location is only understood inside a server block',
};

function reportLeftovers(tree: Directive[], used: Used, w: Warnings): void {
  const visit = (items: Directive[]) => {
    for (const d of items) {
      if (!used.has(d)) {
        w.at(
          d,
          LEFTOVER[d.name] ??
            (d.name === 'map'
              ? `map ${d.args.join(' ')}: only the $http_upgrade and $http_origin maps are understood`
              : unsupportedMessage(d.name)),
        );
        for (const inner of walk(d.block ?? [])) used.mark(inner);
        continue;
      }
      if (d.block) visit(d.block);
    }
  };
  visit(tree);
}

function uniqueNames<T extends { name: string; config: ConfigInput }>(sites: T[]): T[] {
  const taken = new Set<string>();
  return sites.map((s) => {
    const port = s.config.listen?.port;
    const candidates = [s.name, port !== undefined ? `${s.name}:${port}` : s.name];
    for (let n = 2; n < sites.length + 2; n++) candidates.push(`${s.name} (${n})`);
    const name = candidates.find((c) => !taken.has(c))!;
    taken.add(name);
    return name === s.name ? s : { ...s, name };
  });
}
