// What `loopgate serve` prints about its config: where it came from, command-line values, and hand edits refused or taken in.
import { formatConfigErrors } from '../shared/config.ts';
import type { ConfigStore } from './config/store.ts';

type Print = (line: string) => void;

/** The lines under "Loopgate serving …" that say where the running config lives. */
export function configSourceLines(store: ConfigStore): string[] {
  const { source } = store.state();
  const lines: string[] = [];
  if (source.origin.kind === 'file')
    lines.push(`  config   ${source.origin.file}${store.watching ? ' (watched)' : ''}`);
  else {
    const from = source.origin.kind === 'nginx' ? `imported from ${source.origin.file}` : 'from the command line';
    lines.push(
      `  config   in memory, ${from}: changes in the UI are not saved until you save them as ${source.saveAs}`,
    );
  }
  if (source.file && source.commandLine.length) {
    lines.push(
      `  flags    ${source.commandLine.map((c) => c.flag).join(', ')} (win over ${source.file}; not written into it unless edited in the UI)`,
    );
  }
  return lines;
}

/** Print every hand edit of the file that is refused (fields and reasons), and when the file runs again. Returns the unsubscribe. */
export function reportConfigEdits(store: ConfigStore, print: Print = console.error): () => void {
  let refusedShown = false;
  const offError = store.onError((err) => {
    if (!err.errors.length || err.errors[0]!.path === '(file)') {
      print(`loopgate: ${err.message}`);
      return;
    }
    refusedShown = true;
    print(
      `loopgate: ${err.file}: ${err.summary}\n${formatConfigErrors(err.errors)}\n` +
        '  The file is left as you wrote it and is not overwritten: fix it, or choose in the UI (Configure).',
    );
  });
  const offChange = store.onChange(() => {
    if (!refusedShown || store.refused !== null) return;
    refusedShown = false;
    print(`loopgate: ${store.file}: the config is valid again and runs`);
  });
  return () => {
    offError();
    offChange();
  };
}
