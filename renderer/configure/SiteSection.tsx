// The static site (root, index files, SPA fallback, directory listing, charset) and where Loopgate listens.
import { listFromText, numberOrText, textFromList, textOf } from './draft.ts';
import { Section, Switch, TextField } from '../components/ui.tsx';
import { DEFAULTS, flagOf, read, type Form } from './form.ts';

/** "from the command line (--root dist)" beside a field the command line set. */
function FromFlag({ flag }: { flag: string | undefined }) {
  return flag ? (
    <span
      class="badge cli"
      title="Set on the command line: it wins over loopgate.json and is not written into it unless you change it here"
    >
      command line: {flag}
    </span>
  ) : null;
}

export function SiteSection({ form, siteUrl }: { form: Form; siteUrl: string | null }) {
  const root = read<string | null>(form, ['root']);
  return (
    <Section
      title="Static site"
      id="site"
      note={root ? 'serves files, routes take their paths first' : 'no root: only routes answer'}
    >
      <div class="grid-4">
        <TextField<string | undefined>
          label="Root folder"
          nginx="root"
          mono
          wide
          name="root"
          value={root ?? undefined}
          placeholder="dist (relative to loopgate.json)"
          error={form.errors.at(['root'])}
          hint={
            <>
              <FromFlag flag={flagOf(form, 'root')} />
              The built SPA. Empty serves no files.
            </>
          }
          onChange={(v) => form.set(['root'], v)}
        />
        <TextField<string[] | undefined>
          label="Index files"
          nginx="index"
          mono
          value={read<string[]>(form, ['index'])}
          format={textFromList}
          parse={listFromText}
          placeholder={DEFAULTS.index}
          error={form.errors.under(['index']).join('; ') || undefined}
          onChange={(v) => form.set(['index'], v)}
        />
        <TextField
          label="Charset"
          nginx="charset"
          mono
          size="s"
          value={read<string>(form, ['charset'])}
          placeholder={DEFAULTS.charset}
          error={form.errors.at(['charset'])}
          onChange={(v) => form.set(['charset'], v)}
        />
      </div>
      <div class="switch-row">
        <Switch
          label="SPA fallback"
          nginx="try_files $uri $uri/ /index.html"
          checked={read<boolean>(form, ['spa']) ?? true}
          hint="Page navigations to unknown paths get index.html; missing assets still 404."
          onChange={(v) => form.set(['spa'], v, true)}
        />
        <Switch
          label="Directory listing"
          nginx="autoindex"
          checked={read<boolean>(form, ['autoindex']) ?? false}
          hint="List folders that have no index file."
          onChange={(v) => form.set(['autoindex'], v, true)}
        />
      </div>
      <h3 class="subhead">Listen</h3>
      <div class="grid-4">
        <TextField
          label="Host"
          nginx="listen"
          mono
          size="m"
          value={read<string>(form, ['listen', 'host'])}
          placeholder={DEFAULTS.host}
          error={form.errors.at(['listen', 'host'])}
          hint={
            <>
              <FromFlag flag={flagOf(form, 'listen.host')} />
              127.0.0.1 keeps it on this machine.
            </>
          }
          onChange={(v) => form.set(['listen', 'host'], v)}
        />
        <TextField<number | string | undefined>
          label="Port"
          mono
          size="s"
          name="port"
          value={read<number>(form, ['listen', 'port'])}
          format={textOf}
          parse={numberOrText}
          placeholder={String(DEFAULTS.port)}
          error={form.errors.at(['listen', 'port'])}
          hint={
            siteUrl ? (
              <>
                <FromFlag flag={flagOf(form, 'listen.port')} />
                Now serving{' '}
                <a href={siteUrl} target="_blank" rel="noreferrer">
                  {siteUrl}
                </a>
              </>
            ) : (
              'Not listening'
            )
          }
          onChange={(v) => form.set(['listen', 'port'], v)}
        />
        <TextField<string[] | undefined>
          label="Allowed host names"
          mono
          wide
          value={read<string[]>(form, ['allowedHosts'])}
          format={textFromList}
          parse={listFromText}
          placeholder="app.local (localhost and IPs always pass)"
          error={form.errors.under(['allowedHosts']).join('; ') || undefined}
          hint="Other Host headers are refused (DNS rebinding guard)."
          onChange={(v) => form.set(['allowedHosts'], v)}
        />
      </div>
    </Section>
  );
}
