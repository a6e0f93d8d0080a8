// A project folder's loopgate.json written for a test (the folder is created when missing).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeConfig(folder: string, config: unknown): string {
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'loopgate.json');
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}
