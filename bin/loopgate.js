#!/usr/bin/env node
// The `loopgate` command: runs the CLI bundle that `npm install` (prepare) builds.
import { existsSync } from 'node:fs';
const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('loopgate: dist/cli.js is missing; run `npm install` (or `npm run build`) in the project first.');
  process.exit(1);
}
await import(cli.href);
