// The app's command line (what `loopgate start` passes through, or a second launch): config, overlay, control, --hidden.
import { statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RouteInput } from '../../shared/config.ts';
import type { Overlay } from '../runtime.ts';
import { parseRouteFlag, ROUTE_FLAG_HINT, SERVE_OPTIONS } from '../flags.ts';
import { HIDDEN_FLAG } from './autostart.ts';

export const CONFIG_NAME = 'loopgate.json';

export interface LaunchOptions {
  /** --config FILE|FOLDER (or a positional path), resolved; a folder means FOLDER/loopgate.json. */
  configFile?: string;
  overlay: Overlay;
  /** The HTTP control API is off in the app unless --control-port is given (the window uses IPC). */
  control: { host?: string; port: number; token?: string } | false;
  watch: boolean;
  /** Start in the tray without opening the window (login launch). */
  hidden: boolean;
  /** Flags that could not be used, each a sentence. */
  problems: string[];
}

const OPTIONS = {
  ...SERVE_OPTIONS,
  hidden: { type: 'boolean' },
} as const;

/**
 * The user's arguments out of process.argv: Electron puts the executable first, and in development
 * (`electron path/to/app`) the app path second.
 */
export function userArgs(argv: readonly string[], defaultApp: boolean): string[] {
  return argv.slice(defaultApp ? 2 : 1);
}

/** A config path as given: a folder means its loopgate.json. */
export function configPathFrom(p: string, cwd: string): string {
  const abs = isAbsolute(p) ? p : resolve(cwd, p);
  try {
    if (statSync(abs).isDirectory()) return join(abs, CONFIG_NAME);
  } catch {
    /* a file that does not exist yet: the store creates it */
  }
  return abs;
}

/** A bare argument counts as a config only if it names a .json file or a folder (Chromium switch values do not). */
function looksLikeConfig(p: string, cwd: string): boolean {
  if (/\.json$/i.test(p)) return true;
  try {
    return statSync(resolve(cwd, p)).isDirectory();
  } catch {
    return false;
  }
}

function port(value: string, flag: string, problems: string[]): number | undefined {
  const n = Number(value);
  if (Number.isInteger(n) && n >= 0 && n <= 65535) return n;
  problems.push(`${flag} "${value}" is not a port number (0-65535); ignored`);
  return undefined;
}

/** Parse the app's arguments. Unknown switches (Chromium's, Electron's) are ignored, not fatal. */
export function parseLaunchArgs(args: readonly string[], cwd: string): LaunchOptions {
  const problems: string[] = [];
  const { values, positionals } = parseArgs({
    args: [...args],
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
  });
  const v = values as Partial<Record<keyof typeof OPTIONS, string | string[] | boolean>>;
  const str = (x: unknown): string | undefined => (typeof x === 'string' && x !== '' ? x : undefined);
  const overlay: Overlay = {};
  const host = str(v.host);
  const listenPort = str(v.port) !== undefined ? port(str(v.port)!, '--port', problems) : undefined;
  if (host !== undefined || listenPort !== undefined)
    overlay.listen = { ...(host ? { host } : {}), ...(listenPort !== undefined ? { port: listenPort } : {}) };
  if (str(v.root)) overlay.root = resolve(cwd, str(v.root)!);
  const routes: RouteInput[] = [];
  for (const flag of Array.isArray(v.route) ? v.route : typeof v.route === 'string' ? [v.route] : []) {
    const route = parseRouteFlag(String(flag));
    if (route) routes.push(route);
    else problems.push(`--route "${flag}": ${ROUTE_FLAG_HINT}; ignored`);
  }
  if (routes.length) overlay.routes = routes;
  if (str(v.nginx))
    problems.push(
      '--nginx is for the command line only: convert it with `loopgate import-nginx FILE > loopgate.json` and open that',
    );
  const path = str(v.config) ?? positionals.find((p) => looksLikeConfig(p, cwd));
  const controlPort =
    str(v['control-port']) !== undefined ? port(str(v['control-port'])!, '--control-port', problems) : undefined;
  return {
    ...(path ? { configFile: configPathFrom(path, cwd) } : {}),
    overlay,
    control:
      v['no-control'] === true || controlPort === undefined
        ? false
        : {
            port: controlPort,
            ...(str(v['control-host']) ? { host: str(v['control-host'])! } : {}),
            ...(str(v.token) ? { token: str(v.token)! } : {}),
          },
    watch: v['no-watch'] !== true,
    hidden: v.hidden === true || args.includes(HIDDEN_FLAG),
    problems,
  };
}
