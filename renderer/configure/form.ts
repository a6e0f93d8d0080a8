// What every Configure section gets: the draft, the engine's errors, and a setter by path.
import type { CommandLineValue } from '../../shared/api.ts';
import type { ConfigInput } from '../../shared/config.ts';
import { getIn, type FieldErrors, type Path } from './draft.ts';

export interface Form {
  draft: ConfigInput;
  errors: FieldErrors;
  /** Set a value by path ("undefined" removes it); `now` saves at once (switches, buttons). */
  set(path: Path, value: unknown, now?: boolean): void;
  /** Running values the command line set (shown as such; not written into loopgate.json unless edited). */
  commandLine?: CommandLineValue[];
}

/** The flag that set this field ("--port 9000"), while the value is still the flag's. */
export function flagOf(form: Form, field: CommandLineValue['field'], match?: string): string | undefined {
  return form.commandLine?.find((c) => c.field === field && (match === undefined || c.match === match))?.flag;
}

export function read<T>(form: Form, path: Path): T | undefined {
  return getIn(form.draft, path) as T | undefined;
}

/** nginx defaults, as the engine applies them (main/engine/snapshot.ts), for placeholders. */
export const DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  index: 'index.html',
  charset: 'utf-8',
  maxBodySize: '1m',
  timeout: '60s',
  corsMethods: 'GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS',
  corsMaxAge: '600s',
  bodyBytes: '64k',
  storeBytes: '64m',
  frameBytes: '256k',
};
