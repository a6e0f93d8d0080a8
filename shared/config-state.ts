// The running config as the bridge carries it: version, where it came from, a refused hand edit, and write results.
import type { Config, ConfigError, ConfigInput } from './config.ts';

/** Where the running config came from. */
export type ConfigOrigin =
  /** A loopgate.json: watched, and saves go to it. */
  | { kind: 'file'; file: string }
  /** Command-line flags only (`loopgate serve --root … --route …`): in memory until saved. */
  | { kind: 'command-line' }
  /** `loopgate serve --nginx FILE`: the imported server block, in memory until saved. */
  | { kind: 'nginx'; file: string };

/** A running value the command line set: it wins over the file and is not written into it unless edited. */
export interface CommandLineValue {
  field: 'listen.host' | 'listen.port' | 'root' | 'routes';
  /** The route's match (field "routes"). */
  match?: string;
  /** The flag as it was given: "--port 9000", "--route /api=http://localhost:8888/api". */
  flag: string;
}

export interface ConfigSourceInfo {
  origin: ConfigOrigin;
  /** The file saves go to; null while the config lives in memory only. */
  file: string | null;
  /** In memory: the loopgate.json saveConfig would create. */
  saveAs?: string;
  /** Running values still as the command line set them. */
  commandLine: CommandLineValue[];
}

/** A hand edit of loopgate.json that failed validation: the previous config keeps running, the file is left alone. */
export interface RefusedEdit {
  file: string;
  /** What is wrong, in a few words ("not valid JSON", "the config is not valid"). */
  summary: string;
  /** Fields and reasons (a JSON syntax error: path "line L, column C"). */
  errors: ConfigError[];
}

/** The running config with what the UI needs to edit it safely (LoopgateBridge.getConfig). */
export interface ConfigState {
  /** What runs, as the user writes it (command-line values included). */
  config: ConfigInput;
  /** Increments on every applied change; putConfig sends it back. */
  version: number;
  source: ConfigSourceInfo;
  /** Until the user chooses (reloadConfig, or a write with overwrite), changes stay in memory. */
  refusedEdit: RefusedEdit | null;
}

/** The newer config a stale write was refused against (HTTP 409). */
export interface ConfigConflict {
  current: { version: number; config: ConfigInput };
  yours: { version: number | null };
}

/** Why a config write was refused. */
export type ConfigWriteCode = 'INVALID_CONFIG' | 'STALE_CONFIG' | 'FILE_EXISTS' | 'NOT_SUPPORTED' | 'SAVE_FAILED';

/** putConfig / saveConfig / reloadConfig: ConfigResult plus what happened to the file. */
export type ConfigWriteResult =
  | {
      ok: true;
      config: Config;
      version?: number;
      /** Written to `file`; false: applied in memory only (no file, or a refused hand edit waits for a choice). */
      saved?: boolean;
      file?: string | null;
      /** Copy of the file's previous text, when it was written over. */
      backup?: string;
    }
  | { ok: false; errors: ConfigError[]; code?: ConfigWriteCode; conflict?: ConfigConflict };

/** How a write treats the config it was made from. */
export interface ConfigWriteOptions {
  /** ConfigState.version the change was made from: a newer running config refuses it (STALE_CONFIG). */
  version?: number;
  /** Write even over a newer config, a refused hand edit or an existing file; its text is backed up first. */
  overwrite?: boolean;
}

/** HTTP status of a refused config write. */
export function configWriteStatus(code: ConfigWriteCode | undefined): number {
  if (code === 'STALE_CONFIG' || code === 'FILE_EXISTS') return 409;
  if (code === 'NOT_SUPPORTED') return 405;
  if (code === 'SAVE_FAILED') return 500;
  return 400;
}
