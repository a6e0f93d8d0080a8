// The `loopgate` command line: serve, start, check, import-nginx, export-nginx.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ConfigInput, RouteInput } from '../shared/config.ts';
import { formatConfigErrors, validateConfig } from '../shared/config.ts';
import { exportNginx } from './config/nginx/export.ts';
import { importNginx } from './config/nginx/import.ts';
import { pickSite, type Picked } from './config/nginx/pick.ts';
import { cliErrorText, type ErrorContext, UsageError } from './cli-errors.ts';
import { configSourceLines, reportConfigEdits } from './config-notes.ts';
import { checkLines, rootProblem, serveLines } from './config-lines.ts';
import { compileSnapshot } from './engine/snapshot.ts';
import { parseRouteFlag, ROUTE_FLAG_HINT, SERVE_OPTIONS } from './flags.ts';
import { ensureElectron, openBrowserMode, runElectron } from './launch.ts';
import { Runtime, type Overlay } from './runtime.ts';

const HELP = `loopgate — a local nginx you can see into

Usage:
  loopgate serve [--config FILE | --nginx FILE] [--host H] [--port N] [--root DIR]
                 [--route PREFIX=URL]... [--control-port N] [--token T] [--no-control]
  loopgate start [same options]      desktop app (downloads its runtime on first use); else browser mode
  loopgate check [--config FILE]     validate a config and show the routes as nginx would match them
  loopgate import-nginx FILE         nginx server block → loopgate.json on stdout (warnings on stderr)
  loopgate export-nginx [--config FILE] [--server-name NAME]   loopgate.json → nginx server block

--nginx with several server blocks: --server PORT or --server NAME picks one (listen port or server_name).
Without --config, ./loopgate.json is used when it exists. --route may repeat:
  loopgate serve --root dist --route /api=http://localhost:8888/api --route /ws=ws://localhost:8888
`;

const OPTIONS = {
  ...SERVE_OPTIONS,
  'server-name': { type: 'string' },
  server: { type: 'string' },
  open: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

function routeFlag(flag: string): RouteInput {
  const route = parseRouteFlag(flag);
  if (!route) throw new UsageError(`--route "${flag}": ${ROUTE_FLAG_HINT}`);
  return route;
}

function parsePort(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`${flag} "${value}" is not a port number (0-65535)`);
  return n;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The UI bundle folder, next to the CLI bundle (dist/renderer) or built from the source tree. */
export function findUiDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [resolve(here, 'renderer'), resolve(here, '../dist/renderer')].find((d) =>
    existsSync(resolve(d, 'index.html')),
  );
}

/**
 * The config file a command reads: --config (which must exist: it is never created behind the user's
 * back), else ./loopgate.json when present, else none (serve then runs from flags, in memory).
 */
function configFileFrom(values: { config?: string }, command: string): string | undefined {
  if (values.config) {
    const file = resolve(values.config);
    if (!existsSync(file))
      throw new UsageError(
        `--config ${file}: no such file; ${command} does not create it (check the path${command === 'serve' || command === 'start' ? ', or leave --config out to run from flags in memory' : ''})`,
      );
    return file;
  }
  return existsSync('loopgate.json') ? resolve('loopgate.json') : undefined;
}

async function serve(
  values: Record<string, unknown>,
  mode: 'serve' | 'start',
  fallbackReason: string | null = null,
): Promise<void> {
  const v = values as { [K in keyof typeof OPTIONS]?: never } & Record<string, string | string[] | boolean | undefined>;
  const overlay: Overlay = {};
  if (v.host !== undefined || v.port !== undefined) {
    overlay.listen = {
      ...(v.host !== undefined ? { host: String(v.host) } : {}),
      ...(v.port !== undefined ? { port: parsePort(String(v.port), '--port') } : {}),
    };
  }
  if (v.root !== undefined) overlay.root = resolve(String(v.root));
  overlay.routes = ((v.route as string[] | undefined) ?? []).map(routeFlag);
  let input: ConfigInput | undefined;
  let configFile: string | undefined;
  let nginxFile: string | undefined;
  if (v.nginx) {
    const file = resolve(String(v.nginx));
    nginxFile = file;
    const result = importNginx(readFileSync(file, 'utf8'), { file });
    for (const w of result.warnings) console.error(`warning: ${w.file}:${w.line}: ${w.directive}: ${w.message}`);
    let picked: Picked;
    try {
      picked = pickSite(result.sites, file, v.server === undefined ? undefined : String(v.server));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (picked.note) console.error(`note: ${picked.note}`);
    input = picked.site.config;
  } else {
    configFile = configFileFrom(v as { config?: string }, mode);
  }
  const rt = await Runtime.start({
    configFile,
    input,
    nginxFile,
    baseDir: process.cwd(),
    overlay,
    watch: !v['no-watch'],
    control: v['no-control']
      ? false
      : {
          host: v['control-host'] ? String(v['control-host']) : undefined,
          port: v['control-port'] !== undefined ? parsePort(String(v['control-port']), '--control-port') : 0,
          token: v.token ? String(v.token) : undefined,
          uiDir: findUiDir(),
        },
  });
  // Signals first: whoever reads the URLs below may stop us at once.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log(`\n${signal}: draining and stopping…`);
    await rt.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const snap = rt.engine.snapshot!;
  console.log(`Loopgate serving ${rt.siteUrl}`);
  for (const line of configSourceLines(rt.store)) console.log(line);
  reportConfigEdits(rt.store);
  for (const line of serveLines(rt.store.config, snap)) console.log(line);
  if (rt.controlUrl) console.log(`Control  ${rt.controlUrl}/?token=${rt.token}`);
  if (mode === 'start' || v.open) openBrowserMode(rt, mode === 'start' ? fallbackReason : null);
}

function check(values: { config?: string }): void {
  const file = configFileFrom(values, 'check');
  if (!file) throw new UsageError('no config: pass --config FILE (or run where loopgate.json is)');
  const result = validateConfig(readJson(file));
  if (!result.ok) {
    console.error(`${file} is not valid:\n${formatConfigErrors(result.errors)}`);
    process.exitCode = 1;
    return;
  }
  const snap = compileSnapshot(result.config, { baseDir: dirname(file) });
  const problem = snap.site ? rootProblem(snap.site.root) : null;
  console.log(problem ? `${file} is valid JSON config, but its root cannot be served:` : `${file} is valid.`);
  for (const line of checkLines(result.config, snap)) console.log(line);
  if (problem) {
    // A validator fails on what would break serving: the root folder named, the exit code non-zero.
    console.error(`loopgate: check failed: root ${problem}`);
    process.exitCode = 1;
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [command = 'serve', ...rest] = positionals;
  if (values.version) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    console.log(pkg.version);
    return;
  }
  if (values.help || command === 'help') {
    console.log(HELP);
    return;
  }
  switch (command) {
    case 'serve':
      return serve(values, 'serve');
    case 'start': {
      if (values.nginx) return serve(values, 'start', 'the desktop app reads loopgate.json; run import-nginx first');
      configFileFrom(values, 'start'); // a missing --config is refused here, before the desktop app starts
      const electron = await ensureElectron((line) => console.log(line));
      if (!electron.ok) return serve(values, 'start', electron.reason);
      const result = await runElectron(electron.path, argv.slice(argv.indexOf('start') + 1));
      if (result.started) process.exit(result.code);
      return serve(values, 'start', result.reason);
    }
    case 'check':
      return check(values);
    case 'import-nginx': {
      const file = rest[0];
      if (!file) throw new UsageError('import-nginx needs a FILE');
      const path = resolve(file);
      const result = importNginx(readFileSync(path, 'utf8'), { file: path });
      for (const w of result.warnings) console.error(`warning: ${w.file}:${w.line}: ${w.directive}: ${w.message}`);
      const out = result.sites.length === 1 ? result.sites[0]!.config : { sites: result.sites };
      console.log(JSON.stringify(out, null, 2));
      return;
    }
    case 'export-nginx': {
      const file = configFileFrom(values, 'export-nginx');
      if (!file) throw new UsageError('no config: pass --config FILE (or run where loopgate.json is)');
      const result = validateConfig(readJson(file));
      if (!result.ok) throw new UsageError(`${file} is not valid:\n${formatConfigErrors(result.errors)}`);
      const out = exportNginx(result.config, { serverName: values['server-name'] });
      for (const w of out.warnings) console.error(`warning: ${w}`);
      console.log(out.text);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"\n\n${HELP}`);
  }
}

/** For error lines: the --control-port asked for, so that a port in use names the right flag. */
function errorContext(): ErrorContext {
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: OPTIONS,
      allowPositionals: true,
      strict: false,
    });
    const port = Number(values['control-port']);
    return {
      help: HELP,
      controlPort: values['control-port'] !== undefined && Number.isInteger(port) ? port : undefined,
    };
  } catch {
    return { help: HELP };
  }
}

const fail = (err: unknown) => {
  console.error(`loopgate: ${cliErrorText(err, errorContext())}`);
  process.exit(2);
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
main(process.argv.slice(2)).catch(fail);
