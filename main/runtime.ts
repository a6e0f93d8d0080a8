// Assembles a running Loopgate: config store → snapshots → engine, session log, controller and control server.
import { randomBytes } from 'node:crypto';
import pkg from '../package.json' with { type: 'json' };
import type { StatusInfo } from '../shared/api.ts';
import type { ConfigInput, ConfigResult } from '../shared/config.ts';
import { formatConfigErrors, validateConfig } from '../shared/config.ts';
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
  /** Config to run when there is no file (CLI flags only). */
  input?: ConfigInput;
  /** Folder relative paths resolve against when there is no file. */
  baseDir?: string;
  /** Values from the command line laid over the file's (not saved). */
  overlay?: Overlay;
  /** Control server (API + browser UI); false to run without one. */
  control?: { host?: string; port?: number; token?: string; uiDir?: string } | false;
  watch?: boolean;
}

export interface Overlay {
  listen?: { host?: string; port?: number };
  root?: string;
  routes?: NonNullable<ConfigInput['routes']>;
}

export class StartError extends Error {}

/** Lay CLI values over the file's config: listen fields replace, root replaces, routes are appended. */
export function applyOverlay(input: ConfigInput, overlay: Overlay | undefined): ConfigInput {
  if (!overlay) return input;
  return {
    ...input,
    ...(overlay.listen ? { listen: { ...input.listen, ...overlay.listen } } : {}),
    ...(overlay.root !== undefined ? { root: overlay.root } : {}),
    ...(overlay.routes?.length ? { routes: [...(input.routes ?? []), ...overlay.routes] } : {}),
  };
}

export class Runtime {
  readonly engine: Engine;
  readonly log: SessionLog;
  readonly store: ConfigStore;
  readonly controller: Controller;
  readonly token: string;
  controlUrl: string | null = null;
  #overlay: Overlay | undefined;
  #closeControl: (() => Promise<void>) | null = null;
  #unsubscribe: Array<() => void> = [];
  /** Last refused change (disk edit or overlay problem), for the status line. */
  lastError: string | null = null;

  private constructor(store: ConfigStore, overlay: Overlay | undefined, token: string) {
    this.store = store;
    this.#overlay = overlay;
    this.token = token;
    this.log = new SessionLog({ capBytes: 64 * 1024 * 1024 });
    this.engine = new Engine({ recorder: this.log });
    this.controller = new Controller({
      log: this.log,
      tunnels: this.engine.tunnels,
      config: {
        get: () => this.store.input,
        put: (input: unknown) => this.#put(input),
        setProfile: (name: string | null) => this.store.setProfile(name),
      },
      status: () => this.status(),
    });
  }

  static async start(opts: RuntimeOptions): Promise<Runtime> {
    const store = opts.configFile
      ? await ConfigStore.open(opts.configFile, { watch: opts.watch ?? true })
      : ConfigStore.memory(opts.input ?? {}, opts.baseDir ?? process.cwd());
    const rt = new Runtime(
      store,
      opts.overlay,
      (opts.control && opts.control.token) || randomBytes(16).toString('hex'),
    );
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
    rt.#unsubscribe.push(
      store.onChange(() => void rt.#apply()),
      store.onError((err) => {
        rt.lastError = err.message;
      }),
    );
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
      lastError: this.lastError,
    };
  }

  /** The snapshot the engine should run for the store's current config plus the overlay. */
  #compile(version: number): { ok: true; snapshot: Snapshot } | { ok: false; message: string } {
    const merged = validateConfig(applyOverlay(this.store.input, this.#overlay));
    if (!merged.ok) return { ok: false, message: formatConfigErrors(merged.errors) };
    return { ok: true, snapshot: compileSnapshot(merged.config, { baseDir: this.store.baseDir, version }) };
  }

  async #put(input: unknown): Promise<ConfigResult> {
    // Check the overlay still fits before anything is saved: nothing is lost on a refused change.
    if (input && typeof input === 'object') {
      const merged = validateConfig(applyOverlay(input as ConfigInput, this.#overlay));
      if (!merged.ok) return merged;
    }
    return this.store.put(input);
  }

  async #apply(): Promise<void> {
    const next = this.#compile(this.store.version);
    if (!next.ok) {
      this.lastError = next.message;
      return;
    }
    this.lastError = null;
    this.log.publish({ type: 'config', version: this.store.version });
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
