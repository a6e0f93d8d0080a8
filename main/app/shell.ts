// The desktop app's core, free of Electron: runs the Runtime, keeps the tray's state, carries out tray actions.
import { existsSync } from 'node:fs';
import type { OpenConfigResult, StatusInfo } from '../../shared/api.ts';
import { formatConfigErrors, type ConfigResult } from '../../shared/config.ts';
import type { Controller } from '../control/controller.ts';
import type { Overlay, Runtime, RuntimeOptions } from '../runtime.ts';
import type { LaunchAtLogin } from './autostart.ts';
import type { Reply } from './bridge/bridge-methods.ts';
import { checkConfigPath } from './config-check.ts';
import { FailedUpgrades } from './tray/failed-upgrades.ts';
import type { ControllerSource } from './bridge/ipc-handlers.ts';
import { configPathFrom, type LaunchOptions } from './launch-args.ts';
import type { SettingsFile } from './settings.ts';
import { describeStartError, type StartProblem } from './start-error.ts';
import {
  FAILED_UPGRADES_WINDOW_MIN,
  trayIconName,
  trayMenu,
  trayTooltip,
  type MenuItemModel,
  type TrayAction,
  type TrayState,
} from './tray/tray-menu.ts';

/** What the tray shows: rendered by the Electron wiring (image, tooltip, context menu). */
export interface TrayView {
  state: TrayState;
  icon: string;
  tooltip: string;
  menu: MenuItemModel[];
}

export interface ShellDeps {
  startRuntime(opts: RuntimeOptions): Promise<Runtime>;
  settings: SettingsFile;
  launchAtLogin: LaunchAtLogin;
  platform: NodeJS.Platform;
  renderTray(view: TrayView): void;
  openWindow(): void;
  openExternal(url: string): void;
  copyText(text: string): void;
  /** Ask for a loopgate.json or a project folder; null when cancelled. */
  chooseConfig(): Promise<string | null>;
  quit(): void;
  log(message: string): void;
  /** How often the tray state is re-read (refused disk edits, ageing failed upgrades). Default 2 s. */
  refreshMs?: number;
  now?: () => number;
}

type Launch = Pick<LaunchOptions, 'overlay' | 'control' | 'watch'>;

/** What a switch goes back to when the new config cannot start. */
interface Fallback {
  file: string;
  launch: Launch;
  /** It was running (then it is started again), or it had failed with `startError`. */
  running: boolean;
  startError: string | null;
}

export class AppShell implements ControllerSource {
  readonly #deps: ShellDeps;
  #runtime: Runtime | null = null;
  #configFile: string | null = null;
  #launch: Launch = { overlay: {}, control: false, watch: true };
  #startError: string | null = null;
  #actionError: string | null = null;
  #busy = false;
  #login: boolean | null = null;
  #failed: FailedUpgrades;
  #unsubscribe: (() => void) | null = null;
  #changeFns = new Set<() => void>();
  #timer: NodeJS.Timeout | null = null;
  #rendered = '';
  #stopped = false;
  #pending = new Set<Promise<void>>();

  constructor(deps: ShellDeps) {
    this.#deps = deps;
    this.#failed = new FailedUpgrades(FAILED_UPGRADES_WINDOW_MIN * 60_000, deps.now);
  }

  /** Start with the launch options (argv); without --config, the last opened project or the app's config. */
  async start(launch: LaunchOptions): Promise<void> {
    for (const p of launch.problems) this.#deps.log(`loopgate: ${p}`);
    this.#launch = { overlay: launch.overlay, control: launch.control, watch: launch.watch };
    this.#login = await this.#deps.launchAtLogin.get().catch(() => null);
    const saved = launch.configFile ? undefined : (await this.#deps.settings.load()).configFile;
    // A project config that was moved or deleted: back to the app's own, rather than recreating it there.
    if (saved && !existsSync(saved)) this.#deps.log(`loopgate: ${saved} is gone; using the app's config`);
    const starting = this.#switch(
      launch.configFile ?? (saved && existsSync(saved) ? saved : this.#deps.settings.appConfig),
      false,
    ).then(() => {});
    this.#track(starting);
    await starting;
    this.#timer = setInterval(() => this.refresh(), this.#deps.refreshMs ?? 2000);
    this.#timer.unref?.();
  }

  get runtime(): Runtime | null {
    return this.#runtime;
  }

  get configFile(): string | null {
    return this.#configFile;
  }

  controller(): Controller | null {
    return this.#runtime?.controller ?? null;
  }

  status(): StatusInfo {
    if (this.#runtime) return { ...this.#runtime.controller.status(), canOpenConfig: true };
    return {
      running: false,
      siteUrl: null,
      controlUrl: null,
      configFile: this.#configFile,
      version: 0,
      activeProfile: null,
      profiles: [],
      lastError: this.#startError,
      canOpenConfig: true,
    };
  }

  onControllerChange(fn: () => void): () => void {
    this.#changeFns.add(fn);
    return () => this.#changeFns.delete(fn);
  }

  state(): TrayState {
    const rt = this.#runtime;
    const st = rt?.status();
    const error = this.#startError ?? this.#actionError ?? st?.lastError ?? null;
    const siteUrl = st?.siteUrl ?? null;
    return {
      phase: error ? 'error' : siteUrl ? 'running' : 'stopped',
      siteUrl,
      error,
      // Without a runtime and not (re)starting one: only Retry / another config help.
      failedToStart: !rt && !this.#busy,
      configFile: this.#configFile,
      appConfig: this.#configFile === this.#deps.settings.appConfig,
      profiles: st?.profiles ?? [],
      activeProfile: st?.activeProfile ?? null,
      corsEnabled: rt?.store.config.cors?.enabled === true,
      failedUpgrades: this.#failed.count(),
      launchAtLogin: this.#login,
      busy: this.#busy,
    };
  }

  /** Re-read the state; the tray is re-rendered (menu rebuilt) only when something changed. */
  refresh(force = false): void {
    if (this.#stopped) return;
    const state = this.state();
    const key = JSON.stringify(state);
    if (!force && key === this.#rendered) return;
    this.#rendered = key;
    this.#deps.renderTray({
      state,
      icon: trayIconName(state.phase, this.#deps.platform),
      tooltip: trayTooltip(state),
      menu: trayMenu(state, {
        run: (a) => this.#track(this.run(a)),
        setProfile: (n) => this.#track(this.setProfile(n)),
      }),
    });
  }

  /** Resolves once every action started from the menu so far has finished. */
  async settled(): Promise<void> {
    while (this.#pending.size) await Promise.all(this.#pending);
  }

  #track(p: Promise<void>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  /** Carry out a tray action. Failures become the tray's error line, never an exception. */
  async run(action: TrayAction): Promise<void> {
    try {
      await this.#run(action);
    } catch (err) {
      this.#actionError = `${action}: ${(err as Error)?.message ?? String(err)}`;
    }
    this.refresh();
  }

  async setProfile(name: string | null): Promise<void> {
    const c = this.controller();
    if (!c) return;
    this.#noteResult(
      await c.setProfile(name),
      `switch to ${name === null ? 'the top-level routes' : `profile "${name}"`}`,
    );
    this.refresh();
  }

  /**
   * Open another config, a file or a project folder (tray, second launch with --config; a missing file
   * is created with defaults, as at launch). A refusal becomes the tray's error line; the running
   * config stays (see #open).
   */
  async openConfig(file: string, launch?: Launch): Promise<Reply<OpenConfigResult>> {
    const result = await this.#open(configPathFrom(file, process.cwd()), launch ?? this.#launch, true);
    if (!result.ok) {
      this.#actionError = `could not open ${file}: ${result.message}`;
      this.refresh();
    }
    return result;
  }

  /**
   * The window's "Open project…" (bridge openConfig): `path` (absolute, checked by the IPC handler) or,
   * without it, the file dialog. Cancel → opened: false. The file must exist; refusals are answered,
   * not put in the tray (the window shows them), and the running config stays.
   */
  async openProject(path?: string): Promise<Reply<OpenConfigResult>> {
    const chosen = path ?? (await this.#deps.chooseConfig());
    if (!chosen) return { ok: true, value: { opened: false, configFile: this.#configFile } };
    return this.#open(chosen, { ...this.#launch, overlay: {} }, false);
  }

  /** Drain and stop (the app is quitting). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    // Let a start/stop/switch in progress finish first, so no runtime is left behind.
    await this.settled().catch(() => {});
    await this.#stopRuntime();
  }

  async #run(action: TrayAction): Promise<void> {
    const rt = this.#runtime;
    const url = rt?.siteUrl ?? null;
    switch (action) {
      case 'toggleRunning':
        if (!rt || this.#busy) return;
        await this.#busyWhile(async () => {
          this.#actionError = null;
          if (url) await rt.engine.stop();
          else
            await rt.engine.start(rt.engine.snapshot!).catch((err: unknown) => {
              this.#actionError = describeStartError(err, this.#configFile).message;
            });
        });
        return;
      case 'openWindow':
      case 'showFailedUpgrades':
        this.#deps.openWindow();
        return;
      case 'openSite':
        if (url) this.#deps.openExternal(url);
        return;
      case 'copyUrl':
        if (url) this.#deps.copyText(url);
        return;
      case 'toggleCors': {
        if (!rt) return;
        const input = rt.controller.getConfig().config;
        const on = rt.store.config.cors?.enabled === true;
        this.#noteResult(
          await rt.controller.putConfig({ ...input, cors: { ...(input.cors ?? {}), enabled: !on } }),
          `turn global CORS ${on ? 'off' : 'on'}`,
        );
        return;
      }
      case 'openConfig': {
        const chosen = await this.#deps.chooseConfig();
        if (chosen) await this.openConfig(chosen, { ...this.#launch, overlay: {} });
        return;
      }
      case 'useAppConfig':
        await this.openConfig(this.#deps.settings.appConfig, { ...this.#launch, overlay: {} });
        return;
      case 'retry':
        await this.#switch(this.#configFile ?? this.#deps.settings.appConfig, false);
        return;
      case 'toggleLaunchAtLogin':
        if (this.#login === null) return;
        await this.#deps.launchAtLogin.set(!this.#login);
        this.#login = await this.#deps.launchAtLogin.get();
        return;
      case 'quit':
        this.#deps.quit();
        return;
    }
  }

  #noteResult(result: ConfigResult, what: string): void {
    this.#actionError = result.ok ? null : `could not ${what}:\n${formatConfigErrors(result.errors)}`;
  }

  async #busyWhile(fn: () => Promise<void>): Promise<void> {
    this.#busy = true;
    this.refresh();
    try {
      await fn();
    } finally {
      this.#busy = false;
      this.refresh();
    }
  }

  /**
   * Switch to FILE, never losing a working setup: the file is read and validated first (a refusal
   * leaves the running config untouched), and when it then cannot start (port in use, …) the previous
   * config is started again. The refusal names the problem; the choice is remembered only on success.
   */
  async #open(path: string, launch: Launch, createMissing: boolean): Promise<Reply<OpenConfigResult>> {
    const busy = {
      ok: false,
      code: 'BUSY',
      message: 'Loopgate is starting or switching configs: try again in a moment',
    } as const;
    if (this.#busy) return busy;
    const check = await checkConfigPath(path, { createMissing });
    if (!check.ok) return check;
    // Again after the check's await: #switch marks the shell busy before its first await, so two opens cannot interleave.
    if (this.#busy) return busy;
    if (check.file === this.#configFile && this.#runtime)
      return { ok: true, value: { opened: true, configFile: check.file } };
    const previous: Fallback | null = this.#configFile
      ? { file: this.#configFile, launch: this.#launch, running: this.#runtime !== null, startError: this.#startError }
      : null;
    this.#launch = launch;
    const switching = this.#switch(check.file, true, previous);
    this.#track(switching.then(() => {}));
    const problem = await switching;
    if (!problem) return { ok: true, value: { opened: true, configFile: check.file } };
    const back =
      previous?.running && this.#runtime
        ? `\nStill running ${previous.file}.`
        : previous
          ? `\nStill on ${previous.file}.`
          : '';
    return { ok: false, code: problem.code, message: `${problem.message}${back}` };
  }

  /** Stop the runtime, start FILE's; with a fallback, a FILE that cannot start gives way to the fallback again. */
  async #switch(file: string, remember: boolean, fallback: Fallback | null = null): Promise<StartProblem | null> {
    if (this.#busy && this.#runtime)
      return { code: 'BUSY', message: 'Loopgate is starting or switching configs: try again in a moment' };
    let problem = null as StartProblem | null;
    await this.#busyWhile(async () => {
      await this.#stopRuntime();
      if (this.#stopped) return;
      this.#configFile = file;
      this.#startError = null;
      this.#actionError = null;
      this.#failed.clear();
      try {
        if (!(await this.#startRuntime(file))) return;
      } catch (err) {
        problem = describeStartError(err, file);
        this.#deps.log(`loopgate: could not start (${problem.code}): ${problem.message}`);
        if (fallback) {
          // Back to the previous config (running again if it ran): the failed pick is reported, not remembered.
          remember = false;
          this.#configFile = fallback.file;
          this.#launch = fallback.launch;
          this.#startError = fallback.startError;
          if (fallback.running) {
            try {
              await this.#startRuntime(fallback.file);
            } catch (again) {
              this.#startError = describeStartError(again, fallback.file).message;
              this.#deps.log(`loopgate: could not restart ${fallback.file}: ${this.#startError}`);
            }
          }
        } else {
          this.#startError = problem.message;
        }
      }
      if (remember) {
        const appConfig = file === this.#deps.settings.appConfig;
        await this.#deps.settings
          .save(appConfig ? {} : { configFile: file })
          .catch((err: unknown) => this.#deps.log(`loopgate: could not save settings: ${(err as Error).message}`));
      }
      for (const fn of this.#changeFns) fn();
    });
    return problem;
  }

  /** Start FILE's runtime and make it current; false when the app quit meanwhile (then it is stopped again). */
  async #startRuntime(file: string): Promise<boolean> {
    const overlay: Overlay = this.#launch.overlay;
    const rt = await this.#deps.startRuntime({
      configFile: file,
      overlay,
      control: this.#launch.control,
      watch: this.#launch.watch,
    });
    if (this.#stopped) {
      await rt.stop(); // quit while it was starting
      return false;
    }
    this.#runtime = rt;
    this.#unsubscribe = rt.controller.subscribe((batch) => {
      if (this.#failed.note(batch) || batch.some((e) => e.type === 'config')) this.refresh();
    });
    this.#deps.log(`Loopgate serving ${rt.siteUrl} (config ${file})`);
    return true;
  }

  async #stopRuntime(): Promise<void> {
    const rt = this.#runtime;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#runtime = null;
    if (rt) await rt.stop();
  }
}
