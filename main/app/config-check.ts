// Before the app switches projects: resolve the chosen path to a loopgate.json and check it can be read and is valid.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatConfigErrors, validateConfig } from '../../shared/config.ts';
import { parseJsonText } from '../config/json-text.ts';
import { CONFIG_NAME } from './launch-args.ts';

export type ConfigCheck = { ok: true; file: string } | { ok: false; code: string; message: string };

/** Larger than any loopgate.json a person writes; a bigger pick is almost surely the wrong file. */
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * `path` (absolute) names a loopgate.json, or a folder whose loopgate.json is used (a folder without
 * one gets one with defaults when the store opens it, as `loopgate start --config FOLDER` does). A
 * missing file (unless `createMissing`), a non-file, an unreadable, non-JSON or invalid one is refused with a code and a
 * sentence naming the file. Nothing is written here (no backup of a refused file either): the running
 * config is not touched by a refused pick.
 */
export async function checkConfigPath(path: string, opts: { createMissing?: boolean } = {}): Promise<ConfigCheck> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      return { ok: false, code: 'UNREADABLE', message: `${path} cannot be read: ${(err as Error).message}` };
    // The command line's `--config new.json` (and the app's own config) is created with defaults; a pick in the window must exist.
    if (opts.createMissing) return { ok: true, file: path };
    return {
      ok: false,
      code: 'NOT_FOUND',
      message: `${path} does not exist: choose a loopgate.json or a project folder`,
    };
  }
  let file = path;
  if (info.isDirectory()) {
    file = join(path, CONFIG_NAME);
    try {
      info = await stat(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, file };
      return { ok: false, code: 'UNREADABLE', message: `${file} cannot be read: ${(err as Error).message}` };
    }
  }
  if (!info.isFile())
    return {
      ok: false,
      code: 'NOT_A_FILE',
      message: `${file} is not a file: choose a loopgate.json or a project folder`,
    };
  if (info.size > MAX_BYTES)
    return { ok: false, code: 'TOO_LARGE', message: `${file} is ${info.size} bytes: too large for a loopgate.json` };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, code: 'UNREADABLE', message: `${file} cannot be read: ${(err as Error).message}` };
  }
  const json = parseJsonText(text);
  if (!json.ok)
    return {
      ok: false,
      code: 'NOT_JSON',
      message: `${file} is not valid JSON: line ${json.line}, column ${json.column}: ${json.message}`,
    };
  const result = validateConfig(json.value);
  if (!result.ok)
    return {
      ok: false,
      code: 'INVALID_CONFIG',
      message: `${file} is not a valid Loopgate config:\n${formatConfigErrors(result.errors)}`,
    };
  return { ok: true, file };
}
