// The IPC contract of the Electron bridge: channel names and the reply envelope (methods: shared/api.ts's table).
import { bridgeMethodNames, type BridgeMethod } from '../../../shared/api.ts';

export type { BridgeMethod };

/** The global the preload defines in the page: `window.loopgate`. */
export const BRIDGE_GLOBAL = 'loopgate';

/** Every method of LoopgateBridge, in the order shared/api.ts declares them (its API_METHODS table). */
export const BRIDGE_METHODS: readonly BridgeMethod[] = bridgeMethodNames();

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
