// What needs the user's choice before anything is written: a refused hand edit of loopgate.json, a conflict with a newer config, a change on disk.
import { useState } from 'preact/hooks';
import type { ConfigError } from '../../shared/config.ts';
import type { ConfigDraft } from './useConfigDraft.ts';

function ErrorList({ errors }: { errors: ConfigError[] }) {
  return (
    <ul>
      {errors.map((e) => (
        <li key={e.path + e.message}>
          <code>{e.path}</code> {e.message}
        </li>
      ))}
    </ul>
  );
}

export function ConfigBanners({ cfg }: { cfg: ConfigDraft }) {
  const [busy, setBusy] = useState(false);
  const [stillBad, setStillBad] = useState(false);
  const refused = cfg.refusedEdit;
  const name = refused?.file.split(/[\\/]/).pop() ?? 'loopgate.json';

  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await fn();
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {refused && !cfg.keptForm && (
        <div class="banner error" role="alert" aria-label="Hand edit refused">
          <strong>
            Your edit of {name} was refused ({refused.summary}); the previous config keeps running.
          </strong>
          <span>
            The file is left exactly as you wrote it, and Loopgate will not write to it until you choose.
            {stillBad && ' It is still not valid.'}
          </span>
          <ErrorList errors={refused.errors} />
          <div class="button-row">
            <button
              type="button"
              class="btn small"
              disabled={busy}
              title={`Read ${name} again (after fixing it in your editor) and run it`}
              onClick={() =>
                void run(async () => {
                  const r = await cfg.reloadFromDisk();
                  setStillBad(!r.ok);
                })
              }
            >
              Reload from disk
            </button>
            <button
              type="button"
              class="btn small"
              disabled={busy}
              title="Keep editing here; changes run but are not written to the file"
              onClick={cfg.keepForm}
            >
              Keep the form
            </button>
            <button
              type="button"
              class="btn small danger"
              disabled={busy}
              title={`Write the form's config to ${name}; your edit is kept as a copy beside it`}
              onClick={() => void run(() => cfg.saveToFile({ overwrite: true }))}
            >
              Save the form over it (keep a copy)
            </button>
          </div>
        </div>
      )}
      {refused && cfg.keptForm && (
        <div class="banner warn" role="status" aria-label="Hand edit kept aside">
          Changes here run but are not written: {name} has an edit that is not valid.
          <button type="button" class="btn small" onClick={() => void run(() => cfg.saveToFile({ overwrite: true }))}>
            Save the form over it (keep a copy)
          </button>
          <button type="button" class="btn small" onClick={() => void run(() => cfg.reloadFromDisk())}>
            Reload from disk
          </button>
        </div>
      )}
      {cfg.conflict && (
        <div class="banner error" role="alert" aria-label="Config changed elsewhere">
          <strong>Not saved: the config changed since you loaded it</strong>
          <span>
            (yours was made from version {cfg.conflict.yours.version ?? '?'}, it is at version{' '}
            {cfg.conflict.current.version} now — the file was edited or saved elsewhere). Nothing was lost: the newer
            config runs, and your edits are still in this form.
          </span>
          <div class="button-row">
            <button type="button" class="btn small" disabled={busy} onClick={() => void run(() => cfg.reload(true))}>
              Load the current config (drop my edits)
            </button>
            <button
              type="button"
              class="btn small danger"
              disabled={busy}
              title="Your form replaces the newer config; the file's text is kept as a copy beside it"
              onClick={() => void run(() => cfg.overwrite())}
            >
              Save mine over it (keep a copy)
            </button>
          </div>
        </div>
      )}
      {cfg.changedElsewhere && !cfg.conflict && (
        <div class="banner warn" role="status">
          The config changed on disk while you had unsaved edits.
          <button type="button" class="btn small" onClick={() => void cfg.reload(true)}>
            Load the file's version
          </button>
        </div>
      )}
      {cfg.backup && (
        <div class="banner" role="status" aria-label="Copy kept">
          The text that was written over is kept in <code>{cfg.backup}</code>.
        </div>
      )}
    </>
  );
}
