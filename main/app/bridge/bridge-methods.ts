// The IPC contract of the Electron bridge: the method list (exactly LoopgateBridge's), channel names, reply envelope.
import type { LoopgateBridge } from '../../../shared/api.ts';

/** The global the preload defines in the page: `window.loopgate`. */
export const BRIDGE_GLOBAL = 'loopgate';

/** Every method of LoopgateBridge, in the order shared/api.ts declares them. */
export const BRIDGE_METHODS = [
  'status',
  'getConfig',
  'putConfig',
  'setProfile',
  'listRequests',
  'listSessions',
  'getSession',
  'frames',
  'send',
  'close',
  'exportHar',
  'importHar',
  'importNginx',
  'exportNginx',
  'clear',
  'openConfig',
  'subscribe',
] as const satisfies readonly (keyof LoopgateBridge)[];

export type BridgeMethod = (typeof BRIDGE_METHODS)[number];

// Compile-time check that the list misses no method of the interface (the `satisfies` above checks
// that it names no method the interface lacks).
type Missing = Exclude<keyof LoopgateBridge, BridgeMethod>;
export const BRIDGE_METHODS_COMPLETE: [Missing] extends [never] ? true : Missing = true;

/** ipcMain.handle / ipcRenderer.invoke channel of a method. `subscribe` takes `{ on: boolean }`. */
export function channelOf(method: BridgeMethod): string {
  return `loopgate:${method}`;
}

/** Main → renderer: one batch of StreamEvent per message, for pages that subscribed. */
export const EVENTS_CHANNEL = 'loopgate:events';

/** What every handler answers: the value, or a refusal the preload turns into a rejected promise. */
export type Reply<T = unknown> = { ok: true; value: T } | { ok: false; code: string; message: string };

export function isReply(v: unknown): v is Reply {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return r.ok === true ? 'value' in r : r.ok === false && typeof r.code === 'string' && typeof r.message === 'string';
}
