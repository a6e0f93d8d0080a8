// The app's own settings (user data folder): which loopgate.json to open. Unreadable → defaults.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../config/atomic.ts';
import { CONFIG_NAME } from './launch-args.ts';

export const SETTINGS_NAME = 'app-settings.json';

export interface AppSettings {
  /** The project config last opened; absent: the app's own (userData/loopgate.json). */
  configFile?: string;
}

export class SettingsFile {
  readonly file: string;
  /** The app's own config, in the user data folder. */
  readonly appConfig: string;

  constructor(userData: string) {
    this.file = join(userData, SETTINGS_NAME);
    this.appConfig = join(userData, CONFIG_NAME);
  }

  async load(): Promise<AppSettings> {
    try {
      const raw = JSON.parse(await readFile(this.file, 'utf8')) as unknown;
      if (typeof raw !== 'object' || raw === null) return {};
      const c = (raw as Record<string, unknown>).configFile;
      return typeof c === 'string' && isAbsolute(c) ? { configFile: c } : {};
    } catch {
      return {};
    }
  }

  async save(settings: AppSettings): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify(settings, null, 2)}\n`);
  }
}
