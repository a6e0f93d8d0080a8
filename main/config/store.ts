// The loopgate.json service: load and validate, atomic serialized saves, folder watching, backups, profiles.
import { watch, type FSWatcher } from 'node:fs';
import { constants, copyFile, mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Config, ConfigError, ConfigInput, ConfigResult } from '../../shared/config.ts';
import { formatConfigErrors, validateConfig } from '../../shared/config.ts';
import { removeStaleTemps, writeFileAtomic } from './atomic.ts';
import { parseJsonText } from './json-text.ts';

/** What a missing loopgate.json is created with. */
export const DEFAULT_INPUT: ConfigInput = { listen: { host: '127.0.0.1', port: 8080 }, routes: [] };

/** Quiet time after the last file event before the file is read (editors write in several steps). */
const DEBOUNCE_MS = 100;

/** The config file (or the command line's config) cannot be used; `errors` say which fields and why. */
export class ConfigFileError extends Error {
  readonly file: string;
  readonly errors: ConfigError[];
  /** Where a JSON syntax error is (1-based). */
  readonly line?: number;
  readonly column?: number;
  /** Copy of the refused file, when one was made. */
  readonly backup?: string;

  constructor(
    file: string,
    summary: string,
    errors: ConfigError[],
    extra: { line?: number; column?: number; backup?: string } = {},
  ) {
    const tail = extra.backup
      ? `\nA copy was saved as ${extra.backup}. Fix the file, or delete it to start from defaults.`
      : '';
    super(`${file}: ${summary}\n${formatConfigErrors(errors)}${tail}`);
    this.name = 'ConfigFileError';
    this.file = file;
    this.errors = errors;
    this.line = extra.line;
    this.column = extra.column;
    this.backup = extra.backup;
  }
}

type Parsed =
  | { ok: true; input: ConfigInput; config: Config }
  | { ok: false; error: (file: string, how: ErrorContext) => ConfigFileError };

/** At start a refused file is backed up; while running, an edit is refused and the old config stays. */
type ErrorContext = { backup?: string; edit?: boolean };

function summary(what: string, how: ErrorContext): string {
  return how.edit ? `edit refused, still running the previous config: ${what}` : what;
}

/**
 * validateConfig plus what it misses: "activeProfile" must name one of the config's OWN profiles. An
 * inherited name ("toString", "constructor", "__proto__") passed the shared check and then crashed
 * the engine when it compiled the profile's routes (and, once saved, on every start).
 */
function validateInput(value: unknown): ConfigResult {
  const result = validateConfig(value);
  if (!result.ok) return result;
  const { activeProfile, profiles } = result.config;
  if (activeProfile !== undefined && !(profiles !== undefined && Object.hasOwn(profiles, activeProfile))) {
    return {
      ok: false,
      errors: [{ path: 'activeProfile', message: `no profile named "${activeProfile}" in profiles` }],
    };
  }
  return result;
}

/** Text of loopgate.json → validated config, or an error naming line/column or field paths. */
function parseText(text: string): Parsed {
  const json = parseJsonText(text);
  if (!json.ok) {
    const { line, column, message } = json;
    return {
      ok: false,
      error: (file, how) =>
        new ConfigFileError(
          file,
          summary('not valid JSON', how),
          [{ path: `line ${line}, column ${column}`, message }],
          { line, column, backup: how.backup },
        ),
    };
  }
  const result = validateInput(json.value);
  if (!result.ok) {
    return {
      ok: false,
      error: (file, how) =>
        new ConfigFileError(file, summary('the config is not valid', how), result.errors, { backup: how.backup }),
    };
  }
  return { ok: true, input: json.value as ConfigInput, config: result.config };
}

type Prepared = { ok: true; input: ConfigInput; config: Config; text: string } | { ok: false; errors: ConfigError[] };

/** A value from the UI or API → the exact text we would save, re-read and validated. */
function prepare(input: unknown): Prepared {
  let text: string;
  try {
    text = `${JSON.stringify(input, null, 2)}\n`;
  } catch (err) {
    return {
      ok: false,
      errors: [{ path: '(config)', message: `cannot be written as JSON: ${(err as Error).message}` }],
    };
  }
  if (text === 'undefined\n') return { ok: false, errors: [{ path: '(config)', message: 'no config given' }] };
  const plain = JSON.parse(text) as unknown;
  const result = validateInput(plain);
  if (!result.ok) return result;
  return { ok: true, input: plain as ConfigInput, config: result.config, text };
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** Copy a refused file next to itself as FILE.bak-<timestamp>; never overwrites an older backup. */
async function backup(file: string): Promise<string | undefined> {
  const base = `${file}.bak-${stamp()}`;
  for (let n = 1; n < 100; n++) {
    const target = n === 1 ? base : `${base}-${n}`;
    try {
      await copyFile(file, target, constants.COPYFILE_EXCL);
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
    }
  }
  return undefined;
}

export class ConfigStore {
  readonly file: string | null;
  readonly baseDir: string;
  #input: ConfigInput;
  #config: Config;
  /** The text the file has as far as we know (what we wrote, or the accepted disk edit). */
  #text: string | null;
  /** A disk edit already refused and reported, so the same text is not reported twice. */
  #refusedText: string | null = null;
  #version = 1;
  #queue: Promise<unknown> = Promise.resolve();
  #changeFns = new Set<(config: Config, version: number) => void>();
  #errorFns = new Set<(err: ConfigFileError) => void>();
  #watcher: FSWatcher | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  private constructor(file: string | null, baseDir: string, input: ConfigInput, config: Config, text: string | null) {
    this.file = file;
    this.baseDir = baseDir;
    this.#input = input;
    this.#config = config;
    this.#text = text;
  }

  /**
   * Load (or create with defaults when missing) FILE; a corrupt/invalid file at start is copied to
   * FILE.bak-<timestamp>, and open() rejects with a ConfigFileError naming file, line/column for
   * JSON syntax errors and field paths for schema errors.
   */
  static async open(file: string, opts: { watch?: boolean } = {}): Promise<ConfigStore> {
    const path = resolve(file);
    await removeStaleTemps(path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'ENOENT') throw fileProblem(path, e);
      text = `${JSON.stringify(DEFAULT_INPUT, null, 2)}\n`;
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFileAtomic(path, text);
      } catch (werr) {
        throw fileProblem(path, werr as NodeJS.ErrnoException, 'could not create it');
      }
    }
    const parsed = parseText(text);
    if (!parsed.ok) throw parsed.error(path, { backup: await backup(path) });
    const store = new ConfigStore(path, dirname(path), parsed.input, parsed.config, text);
    if (opts.watch) store.#startWatching();
    return store;
  }

  /** Build one from an in-memory input without a file (CLI flags only); put() then keeps it in memory. */
  static memory(input: ConfigInput, baseDir: string): ConfigStore {
    const p = prepare(input);
    if (!p.ok) throw new ConfigFileError('(command line)', 'the config is not valid', p.errors);
    return new ConfigStore(null, resolve(baseDir), p.input, p.config, null);
  }

  /** What the user wrote (units as strings), for the UI and export. A copy: edit it and put() it back. */
  get input(): ConfigInput {
    return structuredClone(this.#input);
  }

  /** The validated config (sizes in bytes, times in ms). */
  get config(): Config {
    return this.#config;
  }

  /** Increments on every accepted change. */
  get version(): number {
    return this.#version;
  }

  /**
   * Validate then save atomically (temp file in the same folder + fsync + rename) and publish;
   * invalid → { ok:false, errors } and nothing changes (file and memory untouched). Saves run one
   * at a time, in call order.
   */
  put(input: unknown): Promise<ConfigResult> {
    const p = prepare(input);
    if (!p.ok) return Promise.resolve(p);
    return this.#enqueue(() => this.#save(p));
  }

  /** Switch the active profile (persisted); null goes back to the top-level routes; unknown name → error result. */
  setProfile(name: string | null): Promise<ConfigResult> {
    return this.#enqueue(async (): Promise<ConfigResult> => {
      const profiles = Object.keys(this.#config.profiles ?? {});
      if (name !== null && !Object.hasOwn(this.#config.profiles ?? {}, name)) {
        const known = profiles.length ? `profiles are: ${profiles.join(', ')}` : 'the config has no profiles';
        return { ok: false, errors: [{ path: 'activeProfile', message: `no profile named "${name}" (${known})` }] };
      }
      const next: Record<string, unknown> = { ...this.#input };
      if (name === null) delete next.activeProfile;
      else next.activeProfile = name;
      const p = prepare(next);
      return p.ok ? this.#save(p) : p;
    });
  }

  /** Called with each accepted change (from put, setProfile, or an edit on disk). */
  onChange(fn: (config: Config, version: number) => void): () => void {
    this.#changeFns.add(fn);
    return () => this.#changeFns.delete(fn);
  }

  /** Called when an edit on disk is refused (the running config stays). */
  onError(fn: (err: ConfigFileError) => void): () => void {
    this.#errorFns.add(fn);
    return () => this.#errorFns.delete(fn);
  }

  /** Stop watching. Saves already asked for still complete. */
  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #save(p: Extract<Prepared, { ok: true }>): Promise<ConfigResult> {
    if (this.file) {
      try {
        await writeFileAtomic(this.file, p.text);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return {
          ok: false,
          errors: [
            {
              path: '(file)',
              message: `could not save ${this.file}: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' '),
            },
          ],
        };
      }
    }
    this.#refusedText = null;
    this.#accept(p.input, p.config, p.text);
    return { ok: true, config: p.config };
  }

  /** Take a new config; publish it unless it is the same as the running one. */
  #accept(input: ConfigInput, config: Config, text: string | null): void {
    const same = JSON.stringify(input) === JSON.stringify(this.#input);
    this.#text = text;
    if (same) return;
    this.#input = input;
    this.#config = config;
    this.#version++;
    for (const fn of [...this.#changeFns]) {
      try {
        fn(config, this.#version);
      } catch (err) {
        console.error('loopgate: a config change listener failed:', err);
      }
    }
  }

  #reportError(err: ConfigFileError): void {
    for (const fn of [...this.#errorFns]) {
      try {
        fn(err);
      } catch (e) {
        console.error('loopgate: a config error listener failed:', e);
      }
    }
  }

  /** Watch the folder, not the file: editors save by writing a new file and renaming it over. */
  #startWatching(): void {
    const file = this.file!;
    const base = basename(file);
    try {
      this.#watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
        if (name && name.toString() !== base) return;
        this.#schedule();
      });
    } catch (err) {
      this.#reportError(fileProblem(file, err as NodeJS.ErrnoException, 'cannot watch it for edits'));
      return;
    }
    this.#watcher.on('error', (err) =>
      this.#reportError(fileProblem(file, err as NodeJS.ErrnoException, 'stopped watching it for edits')),
    );
  }

  #schedule(): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#enqueue(() => this.#checkDisk());
    }, DEBOUNCE_MS);
    this.#timer.unref();
  }

  /** Runs in the save queue, so it never sees one of our own writes half done. */
  async #checkDisk(): Promise<void> {
    if (this.#closed || !this.file) return;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      // Mid-rename or deleted: keep running; the next event (the new file) brings us back.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.#reportError(fileProblem(this.file, err as NodeJS.ErrnoException, 'could not read the edit'));
      return;
    }
    if (text === this.#text) return; // our own write, or no change
    if (text === this.#refusedText) return; // already reported
    const parsed = parseText(text);
    if (!parsed.ok) {
      this.#refusedText = text;
      this.#reportError(parsed.error(this.file, { edit: true }));
      return;
    }
    this.#refusedText = null;
    this.#accept(parsed.input, parsed.config, text);
  }
}

function fileProblem(file: string, err: NodeJS.ErrnoException, what = 'cannot be read'): ConfigFileError {
  const hint =
    err.code === 'EACCES' || err.code === 'EPERM'
      ? 'check its permissions'
      : err.code === 'EISDIR'
        ? 'this is a folder: pass the path of a .json file'
        : (err.message ?? String(err));
  return new ConfigFileError(file, what, [{ path: '(file)', message: `${err.code ?? 'error'}: ${hint}` }]);
}
