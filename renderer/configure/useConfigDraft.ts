// The Configure tab's state: the saved config, the user's draft, live saves through putConfig, and refusals.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { LoopgateBridge } from '../../shared/api.ts';
import type { ConfigInput, ConfigResult } from '../../shared/config.ts';
import { FieldErrors, sameJson } from './draft.ts';

export type SaveStatus = 'loading' | 'saved' | 'pending' | 'saving' | 'invalid' | 'failed';

export interface DraftState {
  saved: ConfigInput;
  draft: ConfigInput;
  errors: FieldErrors;
  status: SaveStatus;
  /** Why a save failed for a reason other than the config (network, disk). */
  message: string | null;
  /** The config changed elsewhere (file edited on disk) while the draft had edits of its own. */
  changedElsewhere: ConfigInput | null;
}

export interface ConfigDraft extends DraftState {
  /** Change the draft; it is saved after a short pause (text) or at once (`now`, for switches and buttons). */
  update(fn: (d: ConfigInput) => ConfigInput, opts?: { now?: boolean }): void;
  /** Throw away the draft's edits: back to the saved config. */
  revert(): void;
  /** Load the config from main (after a profile switch or a change on disk). */
  reload(force?: boolean): Promise<void>;
  setProfile(name: string | null): Promise<ConfigResult>;
  /** Save a waiting edit now (before another config is opened, so it lands in the file it was made for). */
  settle(): Promise<void>;
}

const DEBOUNCE_MS = 400;

/**
 * `configFile` (undefined until the status is known): when it changes, another config was opened (from
 * the window or the tray) and the draft of the old one is dropped for the new one's config.
 */
export function useConfigDraft(bridge: LoopgateBridge, configVersion: number, configFile?: string | null): ConfigDraft {
  const [state, setState] = useState<DraftState>({
    saved: {},
    draft: {},
    errors: new FieldErrors(),
    status: 'loading',
    message: null,
    changedElsewhere: null,
  });
  const ref = useRef(state);
  ref.current = state;
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  /** The config file the saved config and the draft belong to (undefined until the status is known). */
  const lastFile = useRef<string | null | undefined>(undefined);
  const seq = useRef(0);

  const set = (patch: Partial<DraftState>) => {
    ref.current = { ...ref.current, ...patch };
    setState(ref.current);
  };

  const save = useCallback(async () => {
    clearTimeout(timer.current);
    const sent = ref.current.draft;
    const mine = ++seq.current;
    set({ status: 'saving' });
    let result: ConfigResult;
    try {
      // The file this draft belongs to: a put that reaches main after another config was opened is refused.
      const file = lastFile.current;
      result = await bridge.putConfig(sent, file === undefined ? undefined : { configFile: file });
    } catch (err) {
      if (mine === seq.current) set({ status: 'failed', message: (err as Error).message });
      return;
    }
    if (mine !== seq.current) return; // a newer save is on its way
    const dirty = !sameJson(ref.current.draft, sent);
    if (result.ok) {
      set({ saved: sent, errors: new FieldErrors(), status: dirty ? 'pending' : 'saved', message: null });
    } else {
      set({ errors: new FieldErrors(result.errors), status: dirty ? 'pending' : 'invalid', message: null });
    }
    if (dirty) timer.current = setTimeout(() => void save(), DEBOUNCE_MS);
  }, [bridge]);

  const update = useCallback(
    (fn: (d: ConfigInput) => ConfigInput, opts: { now?: boolean } = {}) => {
      const next = fn(ref.current.draft);
      if (sameJson(next, ref.current.draft)) return;
      set({ draft: next, status: 'pending' });
      clearTimeout(timer.current);
      if (opts.now) void save();
      else timer.current = setTimeout(() => void save(), DEBOUNCE_MS);
    },
    [save],
  );

  const reload = useCallback(
    async (force = false) => {
      let fresh: ConfigInput;
      try {
        fresh = await bridge.getConfig();
      } catch (err) {
        set({ status: 'failed', message: (err as Error).message });
        return;
      }
      const s = ref.current;
      if (!force && s.status !== 'loading') {
        if (sameJson(fresh, s.saved)) return;
        // Our own save, announced before its answer came back.
        if (sameJson(fresh, s.draft) || s.status === 'saving') return;
      }
      const clean = s.status === 'loading' || sameJson(s.draft, s.saved);
      if (force || clean) {
        clearTimeout(timer.current);
        seq.current++;
        set({
          saved: fresh,
          draft: fresh,
          errors: new FieldErrors(),
          status: 'saved',
          message: null,
          changedElsewhere: null,
        });
      } else {
        set({ changedElsewhere: fresh });
      }
    },
    [bridge],
  );

  const revert = useCallback(() => {
    clearTimeout(timer.current);
    seq.current++;
    set({ draft: ref.current.saved, errors: new FieldErrors(), status: 'saved', message: null });
  }, []);

  const setProfile = useCallback(
    async (name: string | null) => {
      const result = await bridge.setProfile(name);
      if (result.ok) await reload(true);
      return result;
    },
    [bridge, reload],
  );

  const settle = useCallback(async () => {
    if (ref.current.status === 'pending') await save();
  }, [save]);

  useEffect(() => {
    void reload();
  }, [configVersion]);

  useEffect(() => {
    if (configFile === undefined) return;
    if (lastFile.current !== undefined && lastFile.current !== configFile) {
      // A waiting edit of the old config must not fire once lastFile names the new one.
      clearTimeout(timer.current);
      seq.current++;
      void reload(true);
    }
    lastFile.current = configFile;
  }, [configFile]);

  useEffect(() => () => clearTimeout(timer.current), []);

  return { ...state, update, revert, reload, setProfile, settle };
}
