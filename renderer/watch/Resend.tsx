// "Resend" and "Edit and resend" for a logged request (issue #17): the same route again, via POST /api/requests/:id/resend.
import { useState } from 'preact/hooks';
import type { HttpView, LoopgateBridge } from '../../shared/api.ts';
import type { PausedEdits } from '../../shared/breakpoints.ts';
import type { Headers } from '../../shared/events.ts';
import { base64ToBytes } from './frames.ts';

/** Set again by Loopgate (or per connection): not offered in the editor. */
const NOT_EDITED = new Set([
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);

/** "name: value" lines, one per value. */
export function headersToLines(h: Headers): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(h)) {
    if (NOT_EDITED.has(k.toLowerCase())) continue;
    for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  }
  return lines.join('\n');
}

/** The lines back to headers (a name given twice becomes a list); a bad line throws naming it. */
export function linesToHeaders(text: string): Headers {
  const out: Headers = {};
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const at = line.indexOf(':');
    const name = at > 0 ? line.slice(0, at).trim().toLowerCase() : '';
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) throw new Error(`header line ${i + 1} is not "name: value"`);
    const value = line.slice(at + 1).trim();
    const had = out[name];
    out[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  return out;
}

function bodyForEdit(b64: string | undefined): { text: string; binary: boolean } {
  if (!b64) return { text: '', binary: false };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(base64ToBytes(b64)), binary: false };
  } catch {
    return { text: b64, binary: true };
  }
}

export function Resend({
  record: r,
  bridge,
  onOpen,
}: {
  record: HttpView;
  bridge: LoopgateBridge;
  /** Show another record (the new one). */
  onOpen?: (id: number) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ id: number; status: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const original = bodyForEdit(r.requestBody);
  const [method, setMethod] = useState(r.method);
  const [url, setUrl] = useState(r.url);
  const [headers, setHeaders] = useState(() => headersToLines(r.requestHeaders));
  const [body, setBody] = useState(original.text);
  const [binary, setBinary] = useState(original.binary);

  const send = async (edits: PausedEdits) => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const out = await bridge.resendRequest(r.id, edits);
      setResult({ id: out.id, status: out.status });
      setEditing(false);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const sendEdited = () => {
    let h: Headers;
    try {
      h = linesToHeaders(headers);
    } catch (err) {
      setError((err as Error).message);
      return;
    }
    void send({ method, url, headers: h, ...(binary ? { base64: body.trim() } : { text: body }) });
  };

  return (
    <div
      class="resend"
      data-testid="resend"
      style={{
        padding: '6px 10px',
        borderBottom: '1px solid var(--border)',
        flex: 'none',
        overflow: 'auto',
        maxHeight: '60%',
      }}
    >
      <div style={{ display: 'flex', gap: '6px', alignItems: 'center', flexWrap: 'wrap' }}>
        <button
          type="button"
          class="btn small"
          disabled={busy || !r.done}
          title="Send this request again through the same route"
          onClick={() => void send({})}
        >
          Resend
        </button>
        <button
          type="button"
          class={editing ? 'btn small active' : 'btn small'}
          disabled={busy || !r.done}
          aria-expanded={editing}
          onClick={() => setEditing(!editing)}
        >
          Edit and resend
        </button>
        {busy && <span class="muted">sending…</span>}
        {result && (
          <span role="status">
            sent as{' '}
            <button type="button" class="link mono" onClick={() => onOpen?.(result.id)}>
              #{result.id}
            </button>{' '}
            → {result.status}
          </span>
        )}
        {error && (
          <span class="field-error" role="alert">
            {error}
          </span>
        )}
      </div>
      {editing && (
        <form
          class="resend-form"
          style={{ display: 'grid', gap: '6px', marginTop: '8px', gridTemplateColumns: '110px 1fr' }}
          onSubmit={(e) => {
            e.preventDefault();
            sendEdited();
          }}
        >
          <label class="field">
            <span class="field-label">Method</span>
            <input class="input mono" value={method} onInput={(e) => setMethod(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span class="field-label">URL (path and query)</span>
            <input class="input mono" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
          </label>
          <label class="field field-wide">
            <span class="field-label">Headers (one "name: value" a line; Content-Length is set from the body)</span>
            <textarea
              class="input mono"
              rows={Math.min(7, headers.split('\n').length + 1)}
              value={headers}
              onInput={(e) => setHeaders(e.currentTarget.value)}
            />
          </label>
          <label class="field field-wide">
            <span class="field-label">
              Body{binary ? ' (base64)' : ''}
              {r.requestBodyTruncated && (
                <span class="field-error">the log kept only the first bytes: paste the whole body</span>
              )}
            </span>
            <textarea class="input mono" rows={4} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
          </label>
          <div class="field-wide" style={{ display: 'flex', gap: '8px', alignItems: 'center' }}>
            <label>
              <input type="checkbox" checked={binary} onChange={(e) => setBinary(e.currentTarget.checked)} /> body is
              base64
            </label>
            <button type="submit" class="btn small primary" disabled={busy}>
              Send
            </button>
            <button type="button" class="btn small" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
