// Assembles a running Loopgate: config store → snapshots → engine, session log, controller and control server.
import { randomBytes } from 'node:crypto';
import pkg from '../package.json' with { type: 'json' };
import type { StatusInfo } from '../shared/api.ts';
import type { ConfigInput } from '../shared/config.ts';
import type { ConfigWriteOptions } from '../shared/config-state.ts';
import { formatConfigErrors, validateConfig } from '../shared/config.ts';
import { DEFAULTS } from '../shared/effective.ts';
import type { CommandLine } from './config/command-line.ts';
import { ConfigStore } from './config/store.ts';
import { Controller } from './control/controller.ts';
import { createControlServer } from './control/http-api.ts';
import { SessionLog } from './engine/log/store.ts';
import { Engine } from './engine/server.ts';
import { compileSnapshot } from './engine/snapshot.ts';
import type { Snapshot } from './engine/types.ts';

export interface RuntimeOptions {
  /** loopgate.json to load, watch and save to. */
  configFile?: string;
  /** Config to run when there is no file (an nginx import, or nothing: the flags alone). */
  input?: ConfigInput;
  /** The nginx file `input` was imported from (shown as the config's origin). */
  nginxFile?: string;
  /** Folder relative paths resolve against when there is no file (and where "Save" creates loopgate.json). */
  baseDir?: string;
  /** Values from the command line: part of the running config, over the file's; not written into it unless edited. */
  overlay?: CommandLine;
  /** Control server (API + browser UI); false to run without one. */
  control?: { host?: string; port?: number; token?: string; uiDir?: string } | false;
  watch?: boolean;
}

/** The command line's values (--host, --port, --root, --route). */
export type Overlay = CommandLine;

export class StartError extends Error {}

export class Runtime {
  readonly engine: Engine;
  readonly log: SessionLog;
  readonly store: ConfigStore;
  readonly controller: Controller;
  readonly token: string;
  controlUrl: string | null = null;
  #closeControl: (() => Promise<void>) | null = null;
  #unsubscribe: Array<() => void> = [];
  /** Last refused change (disk edit or overlay problem), for the status line. */
  lastError: string | null = null;

  private constructor(store: ConfigStore, token: string) {
    this.store = store;
    this.token = token;
    this.log = new SessionLog({ capBytes: DEFAULTS.inspect.storeBytes });
    this.engine = new Engine({ recorder: this.log });
    this.controller = new Controller({
      log: this.log,
      tunnels: this.engine.tunnels,
      breakpoints: this.engine.breakpoints,
      resend: this.engine,
      config: {
        get: () => this.store.input,
        state: () => this.store.state(),
        put: (input: unknown, opts?: ConfigWriteOptions) => this.store.put(input, opts),
        save: (opts?: ConfigWriteOptions) => this.store.save(opts),
        reload: () => this.store.reload(),
        setProfile: (name: string | null) => this.store.setProfile(name),
        // Accepted changes and refused hand edits alike: the UI re-reads the config state.
        onChange: (fn: () => void) => {
          const offChange = this.store.onChange(() => fn());
          const offError = this.store.onError(() => fn());
          return () => {
            offChange();
            offError();
          };
        },
      },
      status: () => this.status(),
    });
  }

  static async start(opts: RuntimeOptions): Promise<Runtime> {
    const stores = { watch: opts.watch ?? true, commandLine: opts.overlay };
    const store = opts.configFile
      ? await ConfigStore.open(opts.configFile, stores)
      : ConfigStore.memory(opts.input ?? {}, opts.baseDir ?? process.cwd(), {
          ...stores,
          origin: opts.nginxFile ? { kind: 'nginx', file: opts.nginxFile } : { kind: 'command-line' },
        });
    const rt = new Runtime(store, (opts.control ? opts.control.token : undefined) || randomBytes(16).toString('hex'));
    const snapshot = rt.#compile(store.version);
    if (!snapshot.ok) {
      store.close();
      throw new StartError(`the config is not valid:\n${snapshot.message}`);
    }
    rt.log.setCap(snapshot.snapshot.inspect.storeBytes);
    try {
      await rt.engine.start(snapshot.snapshot);
    } catch (err) {
      store.close();
      throw err;
    }
    // The `config` event is the controller's (its config access above).
    rt.#unsubscribe.push(store.onChange(() => void rt.#apply()));
    if (opts.control !== false) {
      const c = opts.control ?? {};
      const server = await createControlServer({
        controller: rt.controller,
        host: c.host,
        port: c.port,
        token: rt.token,
        uiDir: c.uiDir,
      });
      rt.controlUrl = server.url;
      rt.#closeControl = server.close;
    }
    return rt;
  }

  get siteUrl(): string | null {
    return this.engine.url;
  }

  status(): StatusInfo {
    return {
      appVersion: pkg.version,
      log: this.log.stats(),
      running: this.engine.url !== null,
      siteUrl: this.engine.url,
      controlUrl: this.controlUrl,
      configFile: this.store.file,
      version: this.store.version,
      activeProfile: this.store.config.activeProfile ?? null,
      profiles: Object.keys(this.store.config.profiles ?? {}),
      lastError: this.store.refused?.message ?? this.lastError,
    };
  }

  /** The snapshot the engine should run for the store's current config (command-line values included). */
  #compile(version: number): { ok: true; snapshot: Snapshot } | { ok: false; message: string } {
    const checked = validateConfig(this.store.input);
    if (!checked.ok) return { ok: false, message: formatConfigErrors(checked.errors) };
    return { ok: true, snapshot: compileSnapshot(checked.config, { baseDir: this.store.baseDir, version }) };
  }

  async #apply(): Promise<void> {
    const next = this.#compile(this.store.version);
    if (!next.ok) {
      this.lastError = next.message;
      return;
    }
    this.lastError = null;
    this.log.setCap(next.snapshot.inspect.storeBytes);
    try {
      await this.engine.update(next.snapshot);
    } catch (err) {
      this.lastError = `could not listen on ${next.snapshot.listen.host}:${next.snapshot.listen.port}: ${(err as Error).message}`;
    }
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe) u();
    await this.#closeControl?.();
    await this.engine.stop();
    this.store.close();
  }
}
