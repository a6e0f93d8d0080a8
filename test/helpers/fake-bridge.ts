// The one fake LoopgateBridge for tests in Node: every method of shared/api.ts's table, each refusing unless given.
import { bridgeMethodNames, type LoopgateBridge } from '../../shared/api.ts';

/**
 * A bridge whose methods throw "not in this fake" except those in `over`; subscribe hands back an
 * unsubscribe and clear resolves, unless given too. New API methods need nothing here.
 */
export function fakeBridge(over: Partial<LoopgateBridge> = {}): LoopgateBridge {
  const bridge: Record<string, unknown> = {};
  for (const name of bridgeMethodNames()) {
    bridge[name] = () => {
      throw new Error(`${name} is not in this fake bridge`);
    };
  }
  bridge.clear = async () => {};
  bridge.subscribe = () => () => {};
  return { ...(bridge as unknown as LoopgateBridge), ...over };
}
