// The renderer half of the bridge: a LoopgateBridge over ipcRenderer (plain; the preload hands it the real one).
import type { LoopgateBridge, StreamEvent } from '../../../shared/api.ts';
import { BRIDGE_METHODS, channelOf, EVENTS_CHANNEL, isReply, type BridgeMethod } from './bridge-methods.ts';

/** The parts of Electron's ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

type Invoker = (...args: unknown[]) => Promise<unknown>;

/**
 * Build the bridge. Each call becomes one invoke on its channel; a refusal from the main process
 * rejects with an Error whose message starts with its code ("BAD_REQUEST: ..."), since the context
 * bridge keeps only an error's message. Events arrive on one channel; the main process forwards them
 * only while this page has at least one subscriber. Listeners get the batch, never the IPC event.
 */
export function createBridge(ipc: IpcRendererLike): LoopgateBridge {
  const call =
    (method: BridgeMethod): Invoker =>
    async (...args: unknown[]) => {
      const reply = await ipc.invoke(channelOf(method), ...args);
      if (!isReply(reply)) throw new Error(`BAD_REPLY: the main process answered ${method} with something unexpected`);
      if (reply.ok) return reply.value;
      throw new Error(`${reply.code}: ${reply.message}`);
    };

  const listeners = new Set<(batch: StreamEvent[]) => void>();
  const onEvents = (_event: unknown, batch: unknown): void => {
    if (!Array.isArray(batch)) return;
    for (const fn of [...listeners]) {
      try {
        fn(batch as StreamEvent[]);
      } catch (err) {
        console.error('loopgate: an event listener threw', err);
      }
    }
  };

  const subscribe = (fn: (batch: StreamEvent[]) => void): (() => void) => {
    if (typeof fn !== 'function') throw new TypeError('subscribe expects a function');
    // Each subscription gets its own entry, so subscribing the same function twice needs two unsubscribes.
    const entry = (batch: StreamEvent[]) => fn(batch);
    if (listeners.size === 0) {
      ipc.on(EVENTS_CHANNEL, onEvents);
      void ipc.invoke(channelOf('subscribe'), { on: true }).catch(() => {});
    }
    listeners.add(entry);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      listeners.delete(entry);
      if (listeners.size === 0) {
        ipc.removeListener(EVENTS_CHANNEL, onEvents);
        void ipc.invoke(channelOf('subscribe'), { on: false }).catch(() => {});
      }
    };
  };

  const bridge: Record<string, unknown> = {};
  for (const method of BRIDGE_METHODS) bridge[method] = method === 'subscribe' ? subscribe : call(method);
  return bridge as unknown as LoopgateBridge;
}
