// Command-line flags shared by `loopgate serve/start` and the desktop app: the option table and --route parsing.
import type { RouteInput } from '../shared/config.ts';

/** Flags that describe what to serve; the CLI and the app each add their own on top. */
export const SERVE_OPTIONS = {
  config: { type: 'string', short: 'c' },
  nginx: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string', short: 'p' },
  root: { type: 'string' },
  route: { type: 'string', multiple: true },
  'control-port': { type: 'string' },
  'control-host': { type: 'string' },
  token: { type: 'string' },
  'no-control': { type: 'boolean' },
  'no-watch': { type: 'boolean' },
} as const;

export const ROUTE_FLAG_HINT = 'write it as PREFIX=URL, e.g. /api=http://localhost:8888/api';

/** "--route /api=http://localhost:8888/api" → a route; null when the flag is not PREFIX=URL. */
export function parseRouteFlag(flag: string): RouteInput | null {
  const m = /^(.+?)=((?:https?|wss?):\/\/.+)$/i.exec(flag);
  return m ? { match: m[1]!, target: m[2]! } : null;
}
