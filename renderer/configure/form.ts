// What every Configure section gets: the draft, the engine's errors, and a setter by path.
import type { CommandLineValue } from '../../shared/api.ts';
import type { ConfigInput } from '../../shared/config.ts';
import { DEFAULTS as D } from '../../shared/effective.ts';
import { formatSize } from '../../shared/units.ts';
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

/** The engine's defaults (shared/effective.ts), written as the form shows them, for placeholders. */
export const DEFAULTS = {
  port: D.port,
  host: D.host,
  index: D.index.join(' '),
  charset: D.charset,
  maxBodySize: formatSize(D.maxBodySize),
  timeout: `${D.timeouts.read / 1000}s`,
  corsMethods: D.corsMethods.join(', '),
  corsMaxAge: `${D.corsMaxAge}s`,
  bodyBytes: formatSize(D.inspect.bodyBytes),
  storeBytes: formatSize(D.inspect.storeBytes),
  frameBytes: formatSize(D.inspect.frameBytes),
};
