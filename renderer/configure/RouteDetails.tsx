// One route's details: name, proxy switches, the remote preset (and what it expands to), headers, timeouts, CORS.
import type { ConfigInput, CookieRewrite, CorsInput, RouteInput } from '../../shared/config.ts';
import { listFromText, textFromList, unitOrText, type Path } from './draft.ts';
import { remoteExpansion } from './remote.ts';
import { KeyValueEditor } from '../components/KeyValueEditor.tsx';
import { SelectField, Switch, TextField } from '../components/ui.tsx';
import { CorsFields } from './CorsFields.tsx';
import type { Form } from './form.ts';
import { TimeoutFields } from './TimeoutFields.tsx';

interface Props {
  form: Form;
  route: RouteInput;
  path: Path;
  index: number;
  onClose: () => void;
}

export function RouteDetails({ form, route, path, index, onClose }: Props) {
  const p = (...k: Array<string | number>) => [...path, ...k];
  const set = (k: Path, v: unknown, now = false) => form.set(p(...k), v, now);
  const draft = form.draft as ConfigInput;
  const remote = route.remote === true;
  const cookies: Partial<CookieRewrite> = route.cookies ?? {};
  const fmt = (v: unknown) => (v === undefined ? '' : String(v));
  return (
    <section class="details" aria-label={`Route ${index + 1} details`}>
      <header class="details-head">
        <h3>
          Route {index + 1} <code>{route.match}</code>
        </h3>
        <button type="button" class="btn small ghost" onClick={onClose} aria-label="Close route details">
          Close
        </button>
      </header>
      <div class="grid-3">
        <TextField
          label="Name (shown in the log)"
          value={route.name}
          placeholder={route.match}
          error={form.errors.at(p('name'))}
          onChange={(v) => set(['name'], v)}
        />
        <TextField<string | number | undefined>
          label="WebSocket keep-alive ping"
          mono
          size="s"
          value={route.keepAlivePing}
          format={fmt}
          parse={unitOrText}
          placeholder="off"
          error={form.errors.at(p('keepAlivePing'))}
          hint="Pings both peers at this interval so idle tunnels outlive the read timeout."
          onChange={(v) => set(['keepAlivePing'], v)}
        />
      </div>
      <div class="switch-row">
        <Switch label="WebSocket upgrades" checked={route.ws !== false} onChange={(v) => set(['ws'], v, true)} />
        <Switch
          label="Change origin"
          nginx="proxy_set_header Host $proxy_host"
          checked={route.changeOrigin ?? true}
          hint="Send the target's Host and TLS SNI."
          onChange={(v) => set(['changeOrigin'], v, true)}
        />
        <Switch
          label="Verify TLS"
          nginx="proxy_ssl_verify"
          checked={route.secure ?? true}
          hint="Off for self-signed backends."
          onChange={(v) => set(['secure'], v, true)}
        />
        <Switch
          label="Rewrite Origin"
          checked={route.rewriteOrigin ?? remote}
          hint="Origin and Referer become the target's."
          onChange={(v) => set(['rewriteOrigin'], v, true)}
        />
        <Switch
          label="Rewrite redirects"
          nginx="proxy_redirect default"
          checked={route.rewriteRedirects ?? true}
          onChange={(v) => set(['rewriteRedirects'], v, true)}
        />
      </div>
      <div class={remote ? 'preset on' : 'preset'}>
        <Switch
          label="Remote backend preset"
          checked={remote}
          onChange={(v) => set(['remote'], v ? true : undefined, true)}
          hint="One switch for pointing a local build at a staging or production backend."
        />
        <ul class="preset-list" aria-label="What the remote preset turns on">
          {remoteExpansion(route).map(({ key, text, applies, byPreset }) => (
            <li key={key} class={applies ? '' : 'overridden'}>
              <code>{key}</code> {text}
              {!applies ? (
                <span class="muted"> — set on this route, kept</span>
              ) : (
                !byPreset && <span class="muted"> (on for every route by default)</span>
              )}
            </li>
          ))}
        </ul>
      </div>
      <h4 class="subhead">Headers</h4>
      <div class="grid-2">
        <KeyValueEditor
          label="Set request headers"
          nginx="proxy_set_header"
          value={route.setHeaders}
          errors={form.errors.under(p('setHeaders'))}
          hint="An empty value removes the header."
          onChange={(v) => set(['setHeaders'], v)}
        />
        <KeyValueEditor
          label="Add response headers"
          nginx="add_header … always"
          value={route.addHeaders}
          valuePlaceholder="value"
          errors={form.errors.under(p('addHeaders'))}
          onChange={(v) => set(['addHeaders'], v)}
        />
        <TextField<string[] | undefined>
          label="Remove request headers"
          mono
          value={route.removeHeaders}
          format={textFromList}
          parse={listFromText}
          placeholder="cookie, authorization"
          error={form.errors.under(p('removeHeaders')).join('; ') || undefined}
          onChange={(v) => set(['removeHeaders'], v)}
        />
        <div class="switch-row tight" role="group" aria-label="Forwarded headers">
          {(
            [
              ['realIp', 'X-Real-IP'],
              ['forwardedFor', 'X-Forwarded-For'],
              ['forwardedProto', 'X-Forwarded-Proto'],
              ['forwardedHost', 'X-Forwarded-Host'],
            ] as const
          ).map(([k, text]) => (
            <Switch
              key={k}
              compact
              label={text}
              checked={route.forwarded?.[k] ?? true}
              onChange={(v) => set(['forwarded', k], v, true)}
            />
          ))}
        </div>
      </div>
      <h4 class="subhead">
        Cookie rewrites <code class="field-nginx">proxy_cookie_domain / proxy_cookie_path / proxy_cookie_flags</code>
      </h4>
      <div class="grid-4">
        <TextField
          label="Domain"
          mono
          value={cookies.domain}
          placeholder={remote ? 'remove (preset)' : 'keep'}
          hint='"remove", or a domain to write instead.'
          error={form.errors.at(p('cookies', 'domain'))}
          onChange={(v) => set(['cookies', 'domain'], v)}
        />
        <SelectField
          label="Secure"
          value={cookies.secure ?? 'default'}
          options={[
            ['default', remote ? 'Default (remove)' : 'Default (keep)'],
            ['keep', 'Keep'],
            ['remove', 'Remove'],
            ['add', 'Add'],
          ]}
          onChange={(v) => set(['cookies', 'secure'], v === 'default' ? undefined : v, true)}
        />
        <SelectField
          label="SameSite"
          value={cookies.sameSite ?? 'default'}
          options={[
            ['default', remote ? 'Default (Lax)' : 'Default (keep)'],
            ['keep', 'Keep'],
            ['remove', 'Remove'],
            ['Lax', 'Lax'],
            ['Strict', 'Strict'],
            ['None', 'None'],
          ]}
          onChange={(v) => set(['cookies', 'sameSite'], v === 'default' ? undefined : v, true)}
        />
        <SelectField
          label="HttpOnly"
          value={cookies.httpOnly ?? 'default'}
          options={[
            ['default', 'Default (keep)'],
            ['keep', 'Keep'],
            ['remove', 'Remove'],
            ['add', 'Add'],
          ]}
          onChange={(v) => set(['cookies', 'httpOnly'], v === 'default' ? undefined : v, true)}
        />
      </div>
      <KeyValueEditor
        label="Cookie path rewrites"
        keyPlaceholder="/from"
        valuePlaceholder="/to"
        value={cookies.path}
        errors={form.errors.under(p('cookies', 'path'))}
        onChange={(v) => set(['cookies', 'path'], v)}
      />
      <h4 class="subhead">Timeouts and limits</h4>
      <TimeoutFields
        form={form}
        base={path}
        inherited={{
          connect: fmt(draft.timeouts?.connect) || undefined,
          send: fmt(draft.timeouts?.send) || undefined,
          read: fmt(draft.timeouts?.read) || undefined,
          clientBody: fmt(draft.timeouts?.clientBody) || undefined,
          clientSend: fmt(draft.timeouts?.clientSend) || undefined,
          maxBodySize: fmt(draft.maxBodySize) || undefined,
        }}
      />
      <h4 class="subhead">CORS</h4>
      <CorsFields form={form} path={p('cors')} global={(draft.cors ?? {}) as CorsInput} />
    </section>
  );
}
