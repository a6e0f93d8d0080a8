// Command-line values (--host, --port, --root, --route) laid over a config file's, and taken back off it for saving.
import type { ConfigInput, RouteInput } from '../../shared/config.ts';
import type { CommandLineValue } from '../../shared/config-state.ts';

/** What the command line sets. Each value wins over the file's; a --route replaces the file's route of the same match. */
export interface CommandLine {
  listen?: { host?: string; port?: number };
  root?: string;
  routes?: RouteInput[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function isEmpty(cl: CommandLine | undefined): boolean {
  return (
    !cl ||
    (cl.listen?.host === undefined && cl.listen?.port === undefined && cl.root === undefined && !cl.routes?.length)
  );
}

/** The route list the engine runs: the active profile's when there is one, else the top-level routes. */
function routeListKey(input: Obj): { profile: string } | null {
  const p = input.activeProfile;
  const profiles = input.profiles;
  if (typeof p === 'string' && isObj(profiles) && Object.hasOwn(profiles, p) && isObj(profiles[p]))
    return { profile: p };
  return null;
}

function getRoutes(input: Obj, key: { profile: string } | null): unknown {
  return key ? ((input.profiles as Obj)[key.profile] as Obj).routes : input.routes;
}

function withRoutes(input: Obj, key: { profile: string } | null, routes: unknown[]): Obj {
  if (!key) return { ...input, routes };
  const profiles = input.profiles as Obj;
  return { ...input, profiles: { ...profiles, [key.profile]: { ...(profiles[key.profile] as Obj), routes } } };
}

/**
 * The running config: the file's with the command line's values over it. --route goes into the route
 * set that runs (the active profile's, or the top level), replacing a route of the same match in place.
 * A route list that is not a list is left as it is (validation then names it, once).
 */
export function applyCommandLine(input: ConfigInput, cl: CommandLine | undefined): ConfigInput {
  if (isEmpty(cl) || !isObj(input)) return input;
  let out: Obj = { ...(input as Obj) };
  if (cl!.listen?.host !== undefined || cl!.listen?.port !== undefined) {
    const listen = isObj(out.listen) ? { ...out.listen } : {};
    if (cl!.listen.host !== undefined) listen.host = cl!.listen.host;
    if (cl!.listen.port !== undefined) listen.port = cl!.listen.port;
    out.listen = listen;
  }
  if (cl!.root !== undefined) out.root = cl!.root;
  if (cl!.routes?.length) {
    const key = routeListKey(out);
    const list = getRoutes(out, key) ?? [];
    if (Array.isArray(list)) {
      const routes = [...list];
      for (const r of cl!.routes) {
        const at = routes.findIndex((x) => isObj(x) && x.match === r.match);
        if (at >= 0) routes[at] = structuredClone(r);
        else routes.push(structuredClone(r));
      }
      out = withRoutes(out, key, routes);
    }
  }
  return out as ConfigInput;
}

/** Every route list of a config (top level and each profile's), with how to put one back. */
function routeLists(input: Obj): Array<{ key: { profile: string } | null; routes: unknown[] }> {
  const out: Array<{ key: { profile: string } | null; routes: unknown[] }> = [];
  if (Array.isArray(input.routes)) out.push({ key: null, routes: input.routes });
  if (isObj(input.profiles)) {
    for (const [name, p] of Object.entries(input.profiles)) {
      if (isObj(p) && Array.isArray(p.routes)) out.push({ key: { profile: name }, routes: p.routes });
    }
  }
  return out;
}

/**
 * The part of the command line a running config still shows as the flags set it. A value the user
 * changed (or a --route edited or deleted) is theirs now: it is saved like any other field.
 */
export function stillFromCommandLine(running: ConfigInput, cl: CommandLine | undefined): CommandLine {
  if (isEmpty(cl) || !isObj(running)) return {};
  const r = running as Obj;
  const out: CommandLine = {};
  const listen = isObj(r.listen) ? r.listen : {};
  if (cl!.listen?.host !== undefined && listen.host === cl!.listen.host)
    out.listen = { ...out.listen, host: cl!.listen.host };
  if (cl!.listen?.port !== undefined && listen.port === cl!.listen.port)
    out.listen = { ...out.listen, port: cl!.listen.port };
  if (cl!.root !== undefined && r.root === cl!.root) out.root = cl!.root;
  const lists = routeLists(r);
  const routes = (cl!.routes ?? []).filter((route) => lists.some((l) => l.routes.some((x) => same(x, route))));
  if (routes.length) out.routes = routes;
  return out;
}

/**
 * What to write into the file for a running config: values still from the command line go back to
 * the file's own (`file`, as last read or written); a --route that replaced a file route gives it back.
 */
export function fileInputFor(running: ConfigInput, cl: CommandLine, file: ConfigInput): ConfigInput {
  if (isEmpty(cl) || !isObj(running)) return running;
  let out: Obj = { ...(running as Obj) };
  const f = (isObj(file) ? file : {}) as Obj;
  const fileListen = isObj(f.listen) ? f.listen : {};
  if (cl.listen && isObj(out.listen)) {
    const listen: Obj = { ...out.listen };
    for (const k of ['host', 'port'] as const) {
      if (cl.listen[k] === undefined) continue;
      if (fileListen[k] === undefined) delete listen[k];
      else listen[k] = fileListen[k];
    }
    if (Object.keys(listen).length) out.listen = listen;
    else delete out.listen;
  }
  if (cl.root !== undefined) {
    if (f.root === undefined) delete out.root;
    else out.root = f.root;
  }
  if (cl.routes?.length) {
    const fileLists = routeLists(f);
    for (const { key, routes } of routeLists(out)) {
      const fileRoutes = fileLists.find((l) => same(l.key, key))?.routes ?? [];
      const kept: unknown[] = [];
      for (const x of routes) {
        const flag = cl.routes.find((route) => same(x, route));
        if (!flag) kept.push(x);
        else {
          const original = fileRoutes.find((y) => isObj(y) && y.match === flag.match);
          if (original !== undefined) kept.push(original);
        }
      }
      out = withRoutes(out, key, kept);
    }
  }
  return out as ConfigInput;
}

/** The command line's values as the UI lists them. */
export function describeCommandLine(cl: CommandLine | undefined): CommandLineValue[] {
  if (isEmpty(cl)) return [];
  const out: CommandLineValue[] = [];
  if (cl!.listen?.host !== undefined) out.push({ field: 'listen.host', flag: `--host ${cl!.listen.host}` });
  if (cl!.listen?.port !== undefined) out.push({ field: 'listen.port', flag: `--port ${cl!.listen.port}` });
  if (cl!.root !== undefined) out.push({ field: 'root', flag: `--root ${cl!.root}` });
  for (const r of cl!.routes ?? [])
    out.push({ field: 'routes', match: r.match, flag: `--route ${r.match}=${r.target}` });
  return out;
}
