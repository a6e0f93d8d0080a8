// CORS policy fields, for the server (global) or one route (fields override the global ones one by one).
import type { CorsInput } from '../../shared/config.ts';
import { listFromText, textFromList, unitOrText, type Path } from './draft.ts';
import { SelectField, Switch, TextField } from '../components/ui.tsx';
import { DEFAULTS, read, type Form } from './form.ts';

interface Props {
  form: Form;
  /** Path of the cors object: ["cors"] or [...route, "cors"]. */
  path: Path;
  /** For a route: the global policy it inherits from. */
  global?: CorsInput;
}

type OriginMode = 'inherit' | '*' | 'reflect' | 'list';

export function CorsFields({ form, path, global }: Props) {
  const cors = read<CorsInput>(form, path) ?? {};
  const p = (k: keyof CorsInput) => [...path, k];
  const set = (k: keyof CorsInput, v: unknown, now = false) => form.set(p(k), v, now);
  const isRoute = global !== undefined;
  const effective: CorsInput = { ...global, ...cors };
  const enabled = effective.enabled === true;

  const originMode: OriginMode =
    cors.origins === undefined
      ? isRoute
        ? 'inherit'
        : '*'
      : cors.origins === '*'
        ? '*'
        : cors.origins === 'reflect'
          ? 'reflect'
          : 'list';
  const effOrigins = effective.origins ?? '*';
  const credentialsWithStar = enabled && effective.credentials === true && effOrigins === '*';

  return (
    <div class="cors">
      {isRoute ? (
        <SelectField
          label="CORS on this route"
          value={cors.enabled === undefined ? 'inherit' : cors.enabled ? 'on' : 'off'}
          options={[
            ['inherit', `Inherit global (${global?.enabled ? 'on' : 'off'})`],
            ['on', 'On'],
            ['off', 'Off'],
          ]}
          error={form.errors.at(p('enabled'))}
          onChange={(v) => set('enabled', v === 'inherit' ? undefined : v === 'on', true)}
        />
      ) : (
        <Switch
          label="Answer CORS for every route"
          checked={cors.enabled === true}
          hint="Routes can turn it off or change any field."
          onChange={(v) => set('enabled', v, true)}
        />
      )}
      {enabled && (
        <div class="grid-3">
          <SelectField<OriginMode>
            label="Allowed origins"
            nginx="Access-Control-Allow-Origin"
            value={originMode}
            options={[
              ...(isRoute ? [['inherit', `Inherit (${textFromList(global?.origins ?? '*')})`] as const] : []),
              ['*', '* (any origin)'],
              ['reflect', 'Reflect the request Origin'],
              ['list', 'Only these origins…'],
            ]}
            error={form.errors.at(p('origins'))}
            onChange={(m) => set('origins', m === 'inherit' ? undefined : m === 'list' ? [] : m, m !== 'list')}
          />
          {originMode === 'list' && (
            <TextField<string[] | undefined>
              label="Origins (comma-separated)"
              mono
              wide
              value={Array.isArray(cors.origins) ? cors.origins : []}
              format={textFromList}
              parse={(t) => listFromText(t) ?? []}
              placeholder="http://localhost:5173, https://*.example.com"
              error={form.errors.under(p('origins')).join('; ') || undefined}
              onChange={(v) => set('origins', v ?? [])}
            />
          )}
          <Switch
            label="Allow credentials (cookies)"
            checked={effective.credentials === true}
            hint={
              <span class={credentialsWithStar ? 'note-strong' : undefined}>
                Credentials never with *: Loopgate reflects the Origin
                {credentialsWithStar ? ' instead of answering *' : ''}.
              </span>
            }
            onChange={(v) => set('credentials', v, true)}
          />
          <TextField<string[] | undefined>
            label="Methods"
            mono
            value={cors.methods}
            format={textFromList}
            parse={listFromText}
            placeholder={textFromList(global?.methods) || DEFAULTS.corsMethods}
            error={form.errors.under(p('methods')).join('; ') || undefined}
            onChange={(v) => set('methods', v)}
          />
          <TextField<string[] | 'reflect' | undefined>
            label="Allowed request headers"
            mono
            value={cors.headers}
            format={textFromList}
            parse={(t) => (t.trim() === 'reflect' ? 'reflect' : listFromText(t))}
            placeholder="reflect (echo Access-Control-Request-Headers)"
            error={form.errors.under(p('headers')).join('; ') || undefined}
            onChange={(v) => set('headers', v)}
          />
          <TextField<string[] | undefined>
            label="Exposed response headers"
            mono
            value={cors.exposeHeaders}
            format={textFromList}
            parse={listFromText}
            placeholder="none"
            error={form.errors.under(p('exposeHeaders')).join('; ') || undefined}
            onChange={(v) => set('exposeHeaders', v)}
          />
          <TextField<string | number | undefined>
            label="Preflight max age"
            nginx="Access-Control-Max-Age"
            mono
            size="s"
            value={cors.maxAge}
            format={(v) => (v === undefined ? '' : String(v))}
            parse={unitOrText}
            placeholder={DEFAULTS.corsMaxAge}
            error={form.errors.at(p('maxAge'))}
            onChange={(v) => set('maxAge', v)}
          />
          <SelectField
            label="Preflight (OPTIONS)"
            value={cors.preflight ?? (isRoute ? 'inherit' : 'local')}
            options={[
              ...(isRoute ? [['inherit', `Inherit (${global?.preflight ?? 'local'})`] as const] : []),
              ['local', 'Loopgate answers'],
              ['forward', 'Forward to the backend'],
            ]}
            onChange={(v) => set('preflight', v === 'inherit' ? undefined : v, true)}
          />
          <SelectField
            label="Backend's own CORS headers"
            value={cors.backendHeaders ?? (isRoute ? 'inherit' : 'replace')}
            options={[
              ...(isRoute ? [['inherit', `Inherit (${global?.backendHeaders ?? 'replace'})`] as const] : []),
              ['replace', 'Replace with ours'],
              ['keep', 'Keep theirs'],
            ]}
            onChange={(v) => set('backendHeaders', v === 'inherit' ? undefined : v, true)}
          />
          <Switch
            label="Private Network Access"
            checked={effective.privateNetwork === true}
            hint="Answer Access-Control-Request-Private-Network preflights."
            onChange={(v) => set('privateNetwork', v, true)}
          />
        </div>
      )}
    </div>
  );
}
