// The Configure tab's state: the running config and its version, the user's draft, live saves through putConfig, refusals, conflicts and a refused hand edit.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type {
  ConfigConflict,
  ConfigSourceInfo,
  ConfigState,
  ConfigWriteResult,
  LoopgateBridge,
  RefusedEdit,
} from '../../shared/api.ts';
import type { ConfigInput, ConfigResult } from '../../shared/config.ts';
import { FieldErrors, sameJson } from './draft.ts';

/**
 * saved: running and written to the file. live: running, kept in memory only (no file, or the file
 * has a refused hand edit). conflict: the config changed elsewhere since the draft was made (409).
 */
export type SaveStatus = 'loading' | 'saved' | 'live' | 'pending' | 'saving' | 'invalid' | 'failed' | 'conflict';

export interface DraftState {
  saved: ConfigInput;
  draft: ConfigInput;
  /** Version of `saved` (what the next put is made from). */
  version: number;
  errors: FieldErrors;
  status: SaveStatus;
  /** Why a save failed for a reason other than the config (network, disk). */
  message: string | null;
  /** The config changed elsewhere (file edited on disk) while the draft had edits of its own. */
  changedElsewhere: ConfigInput | null;
  /** A put was refused as stale: the newer config and the version the draft was made from. */
  conflict: ConfigConflict | null;
  /** Where the config comes from (file, command line, nginx import) and the command line's values. */
  source: ConfigSourceInfo | null;
  /** A hand edit of loopgate.json that failed validation: nothing is written to the file until the user chooses. */
  refusedEdit: RefusedEdit | null;
  /** The user chose "Keep the form" for this refused edit (its text is left alone; the banner folds). */
  keptForm: boolean;
  /** The last write made a copy of the file it wrote over. */
  backup: string | null;
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
  /** Write the running config to a file: create loopgate.json (in memory), or write over a refused hand edit. */
  saveToFile(opts?: { overwrite?: boolean }): Promise<ConfigWriteResult>;
  /** Refused hand edit: read the file again (runs it when it is valid now). */
  reloadFromDisk(): Promise<ConfigWriteResult>;
  /** Refused hand edit: keep working in the form (in memory), the file left as the user wrote it. */
  keepForm(): void;
  /** After a conflict: write the draft over the newer config (its file backed up first). */
  overwrite(): Promise<void>;
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
    version: 0,
    errors: new FieldErrors(),
    status: 'loading',
    message: null,
    changedElsewhere: null,
    conflict: null,
    source: null,
    refusedEdit: null,
    keptForm: false,
    backup: null,
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

  /** The answer of a write that went through: saved to the file, or live in memory only. */
  const written = (result: Extract<ConfigWriteResult, { ok: true }>, sent: ConfigInput, dirty: boolean) => {
    set({
      saved: sent,
      version: result.version ?? ref.current.version,
      errors: new FieldErrors(),
      status: dirty ? 'pending' : result.saved === false ? 'live' : 'saved',
      message: null,
      conflict: null,
      // A copy made by this write is shown; an older one's note goes with the next ordinary save.
      backup: result.backup ?? null,
    });
  };

  const save = useCallback(
    async (opts: { overwrite?: boolean } = {}) => {
      clearTimeout(timer.current);
      const sent = ref.current.draft;
      const mine = ++seq.current;
      set({ status: 'saving' });
      let result: ConfigWriteResult;
      try {
        // The file this draft belongs to: a put that reaches main after another config was opened is refused.
        const file = lastFile.current;
        result = await bridge.putConfig(sent, {
          ...(file === undefined ? {} : { configFile: file }),
          version: ref.current.version,
          ...(opts.overwrite ? { overwrite: true } : {}),
        });
      } catch (err) {
        if (mine === seq.current) set({ status: 'failed', message: (err as Error).message });
        return;
      }
      if (mine !== seq.current) return; // a newer save is on its way
      const dirty = !sameJson(ref.current.draft, sent);
      if (result.ok) written(result, sent, dirty);
      else if (result.code === 'STALE_CONFIG' && result.conflict) {
        // Nothing was written: the draft stays, and the user chooses (load theirs, or write over it).
        set({ status: 'conflict', conflict: result.conflict, message: null, backup: null });
        return;
      } else if (result.code && result.code !== 'INVALID_CONFIG') {
        set({ status: 'failed', message: result.errors.map((e) => e.message).join('; '), errors: new FieldErrors() });
        return;
      } else {
        set({ errors: new FieldErrors(result.errors), status: dirty ? 'pending' : 'invalid', message: null });
      }
      if (dirty) timer.current = setTimeout(() => void save(), DEBOUNCE_MS);
    },
    [bridge],
  );

  const update = useCallback(
    (fn: (d: ConfigInput) => ConfigInput, opts: { now?: boolean } = {}) => {
      const next = fn(ref.current.draft);
      if (sameJson(next, ref.current.draft)) return;
      // In a conflict nothing is sent until the user chooses: the edit joins the draft.
      if (ref.current.status === 'conflict') {
        set({ draft: next });
        return;
      }
      set({ draft: next, status: 'pending' });
      clearTimeout(timer.current);
      if (opts.now) void save();
      else timer.current = setTimeout(() => void save(), DEBOUNCE_MS);
    },
    [save],
  );

  const reload = useCallback(
    async (force = false) => {
      let fresh: ConfigState;
      try {
        fresh = await bridge.getConfig();
      } catch (err) {
        set({ status: 'failed', message: (err as Error).message });
        return;
      }
      const s = ref.current;
      // Where it comes from and a refused hand edit are news whatever the draft holds.
      const refusedSame = sameJson(fresh.refusedEdit, s.refusedEdit);
      set({
        source: fresh.source,
        refusedEdit: fresh.refusedEdit,
        keptForm: refusedSame ? s.keptForm : false,
        ...(s.status === 'live' || s.status === 'saved'
          ? { status: fresh.refusedEdit || !fresh.source.file ? 'live' : 'saved' }
          : {}),
      });
      if (!force && s.status !== 'loading') {
        if (sameJson(fresh.config, s.saved)) {
          if (fresh.version > s.version) set({ version: fresh.version });
          return;
        }
        // Our own save, announced before its answer came back.
        if (sameJson(fresh.config, s.draft) || s.status === 'saving') return;
      }
      const clean = s.status === 'loading' || sameJson(s.draft, s.saved);
      if (force || clean) {
        clearTimeout(timer.current);
        seq.current++;
        set({
          saved: fresh.config,
          draft: fresh.config,
          version: fresh.version,
          errors: new FieldErrors(),
          status: fresh.refusedEdit || !fresh.source.file ? 'live' : 'saved',
          message: null,
          changedElsewhere: null,
          conflict: null,
          backup: null,
        });
      } else {
        set({ changedElsewhere: fresh.config });
      }
    },
    [bridge],
  );

  const revert = useCallback(() => {
    clearTimeout(timer.current);
    seq.current++;
    const s = ref.current;
    // In a conflict the saved config is the older one: going back means taking the newer one.
    if (s.conflict) {
      void reload(true);
      return;
    }
    set({
      draft: s.saved,
      errors: new FieldErrors(),
      status: s.refusedEdit || !s.source?.file ? 'live' : 'saved',
      message: null,
      conflict: null,
    });
  }, [reload]);

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

  const saveToFile = useCallback(
    async (opts: { overwrite?: boolean } = {}) => {
      await settle();
      const result = await bridge
        .saveConfig({ version: ref.current.version, ...(opts.overwrite ? { overwrite: true } : {}) })
        .catch(
          (err: Error): ConfigWriteResult => ({
            ok: false,
            code: 'SAVE_FAILED',
            errors: [{ path: '(file)', message: err.message }],
          }),
        );
      if (result.ok) {
        await reload(true);
        set({ backup: result.backup ?? null, keptForm: false });
      } else if (result.code === 'STALE_CONFIG' && result.conflict) {
        set({ status: 'conflict', conflict: result.conflict });
      }
      return result;
    },
    [bridge, reload, settle],
  );

  const reloadFromDisk = useCallback(async () => {
    const result = await bridge.reloadConfig().catch(
      (err: Error): ConfigWriteResult => ({
        ok: false,
        code: 'SAVE_FAILED',
        errors: [{ path: '(file)', message: err.message }],
      }),
    );
    await reload(true);
    return result;
  }, [bridge, reload]);

  const keepForm = useCallback(() => set({ keptForm: true }), []);

  const overwrite = useCallback(() => save({ overwrite: true }), [save]);

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

  return { ...state, update, revert, reload, setProfile, settle, saveToFile, reloadFromDisk, keepForm, overwrite };
}
