// The loopgate.json service: load and validate, atomic serialized saves, folder watching, backups, profiles.
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Config, ConfigError, ConfigInput, ConfigResult } from '../../shared/config.ts';
import { formatConfigErrors, validateConfig } from '../../shared/config.ts';
import type {
  ConfigOrigin,
  ConfigState,
  ConfigWriteOptions,
  ConfigWriteResult,
  RefusedEdit,
} from '../../shared/config-state.ts';
import { removeStaleTemps, writeFileAtomic } from './atomic.ts';
import {
  applyCommandLine,
  type CommandLine,
  describeCommandLine,
  fileInputFor,
  isEmpty,
  stillFromCommandLine,
} from './command-line.ts';
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
  /** What is wrong, without the file name ("not valid JSON", "the config is not valid"). */
  readonly summary: string;

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
    this.summary = summary;
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

const EDIT_REFUSED = 'edit refused, still running the previous config: ';

function summary(what: string, how: ErrorContext): string {
  return how.edit ? `${EDIT_REFUSED}${what}` : what;
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

/**
 * Copy a file next to itself as FILE.bak-<timestamp>; never overwrites an older backup. When a backup
 * with the same text exists already, that one is named instead: a start retried on the same broken
 * file does not leave a new copy each time.
 */
export async function backup(file: string, text?: string): Promise<string | undefined> {
  const dir = dirname(file);
  const prefix = `${basename(file)}.bak-`;
  const content = text ?? (await readFile(file, 'utf8').catch(() => undefined));
  if (content === undefined) return undefined;
  try {
    const names = (await readdir(dir))
      .filter((n) => n.startsWith(prefix))
      .sort()
      .reverse();
    for (const name of names) {
      const existing = await readFile(join(dir, name), 'utf8').catch(() => null);
      if (existing === content) return join(dir, name);
    }
  } catch {
    /* no folder listing: make a new copy */
  }
  const base = `${file}.bak-${stamp()}`;
  for (let n = 1; n < 100; n++) {
    const target = n === 1 ? base : `${base}-${n}`;
    try {
      await writeFile(target, content, { flag: 'wx' });
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
    }
  }
  return undefined;
}

/** What a store is created with besides its config. */
export interface StoreOptions {
  /** Watch the file for hand edits (also after a memory store is first saved). */
  watch?: boolean;
  /** Values from the command line: they win over the file's and are not written into it unless edited. */
  commandLine?: CommandLine;
}

/** Where a refusal is reported: a write's answer. */
const refusal = (
  code: Extract<ConfigWriteResult, { ok: false }>['code'],
  path: string,
  message: string,
): ConfigWriteResult => ({ ok: false, code, errors: [{ path, message }] });

export class ConfigStore {
  #file: string | null;
  readonly baseDir: string;
  #origin: ConfigOrigin;
  /** What runs, as the user writes it (command-line values included). */
  #input: ConfigInput;
  #config: Config;
  /** What the file says (as last read or written); for a memory store, what it started from. */
  #fileInput: ConfigInput;
  /** Command-line values the running config still shows as given (not written into the file). */
  #commandLine: CommandLine;
  /** The text the file has as far as we know (what we wrote, or the accepted disk edit). */
  #text: string | null;
  /** The text we last wrote ourselves: anything else on disk is a hand edit, backed up before we write over it. */
  #ownText: string | null = null;
  /** A hand edit refused: its text and why. The file is not written until the user chooses. */
  #refused: { text: string; error: ConfigFileError } | null = null;
  #version = 1;
  #watch: boolean;
  #queue: Promise<unknown> = Promise.resolve();
  #changeFns = new Set<(config: Config, version: number) => void>();
  #errorFns = new Set<(err: ConfigFileError) => void>();
  #watcher: FSWatcher | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  private constructor(
    file: string | null,
    baseDir: string,
    origin: ConfigOrigin,
    fileInput: ConfigInput,
    running: { input: ConfigInput; config: Config },
    text: string | null,
    opts: StoreOptions,
  ) {
    this.#file = file;
    this.baseDir = baseDir;
    this.#origin = origin;
    this.#fileInput = fileInput;
    this.#commandLine = stillFromCommandLine(running.input, opts.commandLine);
    this.#input = running.input;
    this.#config = running.config;
    this.#text = text;
    this.#watch = opts.watch ?? false;
  }

  /**
   * Load (or create with defaults when missing) FILE, with the command line's values over it; a
   * corrupt/invalid file at start is copied to FILE.bak-<timestamp> (once per content), and open()
   * rejects with a ConfigFileError naming file, line/column for JSON syntax errors and field paths.
   */
  static async open(file: string, opts: StoreOptions = {}): Promise<ConfigStore> {
    const path = resolve(file);
    await removeStaleTemps(path);
    let text: string;
    let created = false;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'ENOENT') throw fileProblem(path, e);
      text = `${JSON.stringify(DEFAULT_INPUT, null, 2)}\n`;
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFileAtomic(path, text);
        created = true;
      } catch (werr) {
        throw fileProblem(path, werr as NodeJS.ErrnoException, 'could not create it');
      }
    }
    const parsed = parseText(text);
    if (!parsed.ok) throw parsed.error(path, { backup: await backup(path, text) });
    const running = withCommandLine(parsed.input, opts.commandLine);
    const store = new ConfigStore(path, dirname(path), { kind: 'file', file: path }, parsed.input, running, text, opts);
    if (created) store.#ownText = text;
    if (store.#watch) store.#startWatching();
    return store;
  }

  /**
   * A config without a file (command-line flags, or an nginx import): changes stay in memory until
   * save() writes BASEDIR/loopgate.json.
   */
  static memory(input: ConfigInput, baseDir: string, opts: StoreOptions & { origin?: ConfigOrigin } = {}): ConfigStore {
    const running = withCommandLine(input, opts.commandLine);
    const origin = opts.origin ?? { kind: 'command-line' };
    return new ConfigStore(null, resolve(baseDir), origin, input, running, null, opts);
  }

  /** The loopgate.json saves go to; null while the config lives in memory only. */
  get file(): string | null {
    return this.#file;
  }

  /** What runs, as the user wrote it (units as strings). A copy: edit it and put() it back. */
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

  /** The file is watched for hand edits. */
  get watching(): boolean {
    return this.#watcher !== null;
  }

  /** A hand edit of the file that was refused and waits for the user's choice, or null. */
  get refused(): ConfigFileError | null {
    return this.#refused?.error ?? null;
  }

  /** The running config, its version, where it came from and a refused hand edit: what the UI edits from. */
  state(): ConfigState {
    const refused = this.#refused?.error;
    const refusedEdit: RefusedEdit | null = refused
      ? { file: refused.file, summary: refused.summary.replace(EDIT_REFUSED, ''), errors: refused.errors }
      : null;
    return {
      config: this.input,
      version: this.#version,
      source: {
        origin: this.#origin,
        file: this.#file,
        ...(this.#file ? {} : { saveAs: join(this.baseDir, 'loopgate.json') }),
        commandLine: describeCommandLine(this.#commandLine),
      },
      refusedEdit,
    };
  }

  /**
   * Validate, save atomically (temp file in the same folder + fsync + rename) and publish. Invalid →
   * { ok:false, errors } and nothing changes. `version` older than the running one → STALE_CONFIG with
   * both, nothing changes. A memory store, or a refused hand edit waiting, applies it without writing
   * (saved: false). `overwrite`: write anyway, the file's text backed up first. One at a time, in call order.
   */
  put(input: unknown, opts: ConfigWriteOptions = {}): Promise<ConfigWriteResult> {
    const p = prepare(input);
    if (!p.ok) return Promise.resolve({ ...p, code: 'INVALID_CONFIG' });
    return this.#enqueue(() => this.#save(p, opts));
  }

  /**
   * Write the running config to disk. In memory: create BASEDIR/loopgate.json (FILE_EXISTS when there
   * is one, unless overwrite; then it is backed up), and from then on the store is that file's, watched.
   * A refused hand edit waiting: write over it with overwrite (backed up first).
   */
  save(opts: ConfigWriteOptions = {}): Promise<ConfigWriteResult> {
    return this.#enqueue(async (): Promise<ConfigWriteResult> => {
      if (this.#file) {
        const p = prepare(this.#input);
        return p.ok ? this.#save(p, opts) : { ...p, code: 'INVALID_CONFIG' };
      }
      const stale = this.#stale(opts);
      if (stale) return stale;
      const target = join(this.baseDir, 'loopgate.json');
      const existing = await readFile(target, 'utf8').catch(() => null);
      if (existing !== null && !opts.overwrite) {
        return refusal(
          'FILE_EXISTS',
          '(file)',
          `${target} exists already: open it with --config, or save over it (a copy of it is kept)`,
        );
      }
      const copy = existing !== null ? await backup(target, existing) : undefined;
      if (existing !== null && !copy) return refusal('SAVE_FAILED', '(file)', `could not back up ${target}`);
      const text = `${JSON.stringify(this.#input, null, 2)}\n`;
      try {
        await writeFileAtomic(target, text);
      } catch (err) {
        return refusal('SAVE_FAILED', '(file)', writeProblem(target, err));
      }
      // Everything, command-line values included, is the file's now.
      this.#file = target;
      this.#origin = { kind: 'file', file: target };
      this.#fileInput = structuredClone(this.#input);
      this.#commandLine = {};
      this.#text = this.#ownText = text;
      this.#version++;
      this.#publish();
      if (this.#watch) this.#startWatching();
      return this.#written(copy);
    });
  }

  /** Read the file again and run it (changes kept in memory are dropped); still invalid → its errors. */
  reload(): Promise<ConfigWriteResult> {
    return this.#enqueue(async (): Promise<ConfigWriteResult> => {
      const file = this.#file;
      if (!file) return refusal('NOT_SUPPORTED', '(file)', 'this config has no file to reload: save it first');
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        const e = fileProblem(file, err as NodeJS.ErrnoException);
        return { ok: false, code: 'SAVE_FAILED', errors: e.errors };
      }
      const parsed = this.#readEdit(file, text);
      if (!parsed.ok) {
        this.#refused = { text, error: parsed.error };
        return { ok: false, code: 'INVALID_CONFIG', errors: parsed.error.errors };
      }
      const { running } = parsed;
      this.#refused = null;
      this.#fileInput = parsed.input;
      this.#text = text;
      // Published even when unchanged: the refusal is gone and the UI should hear of it.
      this.#accept(running.input, running.config, true);
      return this.#written(undefined);
    });
  }

  /** Switch the active profile (persisted like a put); null goes back to the top-level routes; unknown name → error result. */
  setProfile(name: string | null): Promise<ConfigWriteResult> {
    return this.#enqueue(async (): Promise<ConfigWriteResult> => {
      const profiles = Object.keys(this.#config.profiles ?? {});
      if (name !== null && !Object.hasOwn(this.#config.profiles ?? {}, name)) {
        const known = profiles.length ? `profiles are: ${profiles.join(', ')}` : 'the config has no profiles';
        return { ok: false, errors: [{ path: 'activeProfile', message: `no profile named "${name}" (${known})` }] };
      }
      const next: Record<string, unknown> = { ...this.#input };
      if (name === null) delete next.activeProfile;
      else next.activeProfile = name;
      const p = prepare(next);
      return p.ok ? this.#save(p, {}) : p;
    });
  }

  /** Called with each accepted change (from put, setProfile, save, reload, or an edit on disk). */
  onChange(fn: (config: Config, version: number) => void): () => void {
    this.#changeFns.add(fn);
    return () => this.#changeFns.delete(fn);
  }

  /** Called when an edit on disk is refused (the running config stays, the file is left alone). */
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

  #stale(opts: ConfigWriteOptions): ConfigWriteResult | null {
    if (opts.overwrite || opts.version === undefined || opts.version === this.#version) return null;
    return {
      ok: false,
      code: 'STALE_CONFIG',
      errors: [
        {
          path: '(config)',
          message: `the config changed since you loaded it (yours: version ${opts.version}, now: version ${this.#version}${this.#file ? `, ${this.#file} was edited or saved elsewhere` : ''}); nothing was written`,
        },
      ],
      conflict: { current: { version: this.#version, config: this.input }, yours: { version: opts.version } },
    };
  }

  #written(backupFile: string | undefined): ConfigWriteResult {
    return {
      ok: true,
      config: this.#config,
      version: this.#version,
      saved: this.#file !== null && this.#refused === null,
      file: this.#file,
      ...(backupFile ? { backup: backupFile } : {}),
    };
  }

  async #save(p: Extract<Prepared, { ok: true }>, opts: ConfigWriteOptions): Promise<ConfigWriteResult> {
    const file = this.#file;
    // An edit on disk the watcher has not brought in yet is taken in first: it makes a versioned put stale.
    const unseen = file ? await this.#catchUp() : false;
    const stale = this.#stale(opts);
    if (stale) return stale;
    const still = stillFromCommandLine(p.input, this.#commandLine);
    if (!file || (this.#refused && !opts.overwrite)) {
      this.#commandLine = still;
      this.#accept(p.input, p.config);
      return this.#written(undefined);
    }
    const fileInput = fileInputFor(p.input, still, this.#fileInput);
    const text = `${JSON.stringify(fileInput, null, 2)}\n`;
    // Never write over what someone else wrote without a copy: asked to (overwrite), or a hand edit came in unseen.
    let copy: string | undefined;
    const onDisk = await readFile(file, 'utf8').catch(() => null);
    if (onDisk !== null && onDisk !== text && (opts.overwrite || (unseen && onDisk !== this.#ownText))) {
      copy = await backup(file, onDisk);
      if (!copy)
        return refusal(
          'SAVE_FAILED',
          '(file)',
          `could not back up ${file} before writing over it; nothing was written`,
        );
    }
    try {
      await writeFileAtomic(file, text);
    } catch (err) {
      return refusal('SAVE_FAILED', '(file)', writeProblem(file, err));
    }
    const wasRefused = this.#refused !== null;
    this.#refused = null;
    this.#fileInput = fileInput;
    this.#commandLine = still;
    this.#text = this.#ownText = text;
    this.#accept(p.input, p.config, wasRefused);
    return this.#written(copy);
  }

  /** Bring in an edit on disk not processed yet (accepted or refused); true when there was one. */
  async #catchUp(): Promise<boolean> {
    const file = this.#file;
    if (!file) return false;
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text === null || text === this.#text || text === this.#refused?.text) return false;
    this.#takeDiskText(text);
    return true;
  }

  /** A new text of the file: run it (command-line values still over it), or refuse it and keep the config. */
  #takeDiskText(text: string): void {
    const parsed = this.#readEdit(this.#file!, text);
    if (!parsed.ok) {
      this.#refused = { text, error: parsed.error };
      this.#reportError(parsed.error);
      return;
    }
    const { running } = parsed;
    const wasRefused = this.#refused !== null;
    this.#refused = null;
    this.#fileInput = parsed.input;
    this.#text = text;
    this.#accept(running.input, running.config, wasRefused);
  }

  /** A text of the file, validated, with the command line's values still over it; or why it is refused. */
  #readEdit(
    file: string,
    text: string,
  ):
    | { ok: true; input: ConfigInput; running: { input: ConfigInput; config: Config } }
    | { ok: false; error: ConfigFileError } {
    const parsed = parseText(text);
    if (!parsed.ok) return { ok: false, error: parsed.error(file, { edit: true }) };
    try {
      return { ok: true, input: parsed.input, running: withCommandLine(parsed.input, this.#commandLine) };
    } catch (err) {
      const errors = err instanceof ConfigFileError ? err.errors : [{ path: '(config)', message: String(err) }];
      const what = "the config is not valid with the command line's values";
      return { ok: false, error: new ConfigFileError(file, summary(what, { edit: true }), errors) };
    }
  }

  /** Take a new running config; publish it unless it is the same as the running one (or `always`). */
  #accept(input: ConfigInput, config: Config, always = false): void {
    const same = JSON.stringify(input) === JSON.stringify(this.#input);
    if (same && !always) return;
    this.#input = input;
    this.#config = config;
    this.#version++;
    this.#publish();
  }

  #publish(): void {
    for (const fn of [...this.#changeFns]) {
      try {
        fn(this.#config, this.#version);
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
    const file = this.#file!;
    const base = basename(file);
    this.#closed = false;
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
    const file = this.#file;
    if (this.#closed || !file) return;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      // Mid-rename or deleted: keep running; the next event (the new file) brings us back.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.#reportError(fileProblem(file, err as NodeJS.ErrnoException, 'could not read the edit'));
      return;
    }
    if (text === this.#text) return; // our own write, or no change
    if (text === this.#refused?.text) return; // already reported
    this.#takeDiskText(text);
  }
}

/** The file's config with the command line's values over it, validated (bad flags name the flag's field). */
function withCommandLine(input: ConfigInput, cl: CommandLine | undefined): { input: ConfigInput; config: Config } {
  const running = applyCommandLine(input, cl);
  const p = prepare(running);
  if (!p.ok) {
    const from = isEmpty(cl) ? '(config)' : '(command line)';
    throw new ConfigFileError(from, 'the config is not valid', p.errors);
  }
  return { input: p.input, config: p.config };
}

function writeProblem(file: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return `could not save ${file}: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' ');
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
