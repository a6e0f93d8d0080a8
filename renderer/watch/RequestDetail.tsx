// One HTTP exchange: where it went, timings, sizes, why it failed, headers and the first bytes of each body.
import { useState } from 'preact/hooks';
import type { HttpView, LoopgateBridge } from '../../shared/api.ts';
import { clock, explainHttpError, formatBytes, formatMs, statusTone } from '../lib/format.ts';
import { base64ToBytes, hexDump } from './frames.ts';
import { cx, Tabs } from '../components/ui.tsx';
import { CopyAs } from './CopyAs.tsx';
import { HeadersTable } from './Headers.tsx';
import { Resend } from './Resend.tsx';

type Tab = 'headers' | 'request' | 'response';

function bodyText(b64: string | undefined): string {
  if (!b64) return '';
  const bytes = base64ToBytes(b64);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  // Mostly control characters: show a hex dump instead.
  const odd = [...text.slice(0, 512)].filter((ch) => ch === '\uFFFD' || (ch < ' ' && !'\n\r\t'.includes(ch))).length;
  return odd > 8 ? hexDump(bytes, 4096) : text;
}

export function RequestDetail({
  record: r,
  onClose,
  bridge,
  onOpen,
}: {
  record: HttpView;
  onClose: () => void;
  /** With it: Resend / Edit and resend (issue #17). */
  bridge?: LoopgateBridge;
  /** Show another record (a resend's original, or the new one). */
  onOpen?: (id: number) => void;
}) {
  const [tab, setTab] = useState<Tab>('headers');
  const err = explainHttpError(r);
  return (
    <div class="request">
      <header class="detail-head">
        <span class={cx('pill', `tone-${statusTone(r)}`)}>{r.status ?? (r.done ? 'failed' : 'pending')}</span>
        <h2 class="mono url-title" title={r.url}>
          {r.imported && (
            <span class="badge imported" title="from an imported HAR file, not live traffic">
              imported
            </span>
          )}
          <span class="method">{r.method}</span> {r.url}
        </h2>
        <CopyAs record={r} />
        <button type="button" class="btn icon" aria-label="Close details (Esc)" title="Close (Esc)" onClick={onClose}>
          ×
        </button>
      </header>
      {err && (
        <div class="banner error" role="alert">
          {err}
        </div>
      )}
      <dl class="facts">
        <div>
          <dt>Handled by</dt>
          <dd>{r.handler}</dd>
        </div>
        <div>
          <dt>Route</dt>
          <dd class="mono">{r.route ?? '—'}</dd>
        </div>
        <div class="wide">
          <dt>Target</dt>
          <dd class="mono">{r.target ?? '—'}</dd>
        </div>
        {r.resentFrom !== undefined && (
          <div>
            <dt>Resent from</dt>
            <dd data-testid="resent-from">
              {onOpen ? (
                <button type="button" class="link mono" onClick={() => onOpen(r.resentFrom!)}>
                  #{r.resentFrom}
                </button>
              ) : (
                <span class="mono">#{r.resentFrom}</span>
              )}
            </dd>
          </div>
        )}
        {r.retried && (
          <div class="wide">
            <dt>Retried</dt>
            <dd data-testid="retried">
              once, on a fresh connection: the backend dropped the first before answering (a keep-alive connection it
              had closed)
            </dd>
          </div>
        )}
        <div>
          <dt>Started</dt>
          <dd class="mono">{clock(r.startedAt)}</dd>
        </div>
        <div>
          <dt>Headers after</dt>
          <dd class="mono">{formatMs(r.timings.headers) || '—'}</dd>
        </div>
        <div>
          <dt>Complete after</dt>
          <dd class="mono">{formatMs(r.timings.end) || '—'}</dd>
        </div>
        <div>
          <dt>Sent / received</dt>
          <dd class="mono">
            {formatBytes(r.bytesIn)} / {formatBytes(r.bytesOut)}
          </dd>
        </div>
        <div>
          <dt>Client</dt>
          <dd class="mono">{r.clientAddress}</dd>
        </div>
        <div>
          <dt>Host</dt>
          <dd class="mono">{r.host}</dd>
        </div>
      </dl>
      {bridge && <Resend record={r} bridge={bridge} onOpen={onOpen} />}
      <Tabs<Tab>
        label="Request views"
        idBase="req"
        value={tab}
        onChange={setTab}
        tabs={[
          ['headers', 'Headers'],
          ['request', 'Request body'],
          ['response', 'Response body'],
        ]}
      />
      <div class="tab-panel grow scroll pad" id={`req-panel-${tab}`} role="tabpanel" aria-labelledby={`req-tab-${tab}`}>
        {tab === 'headers' && (
          <>
            <HeadersTable title="Request headers (client → Loopgate)" headers={r.requestHeaders} />
            {r.upstreamHeaders && (
              <HeadersTable
                title="Request headers as sent to the backend (Loopgate → backend)"
                headers={r.upstreamHeaders}
                status={r.target ? `${r.method} ${r.target}` : undefined}
              />
            )}
            <HeadersTable
              title="Response headers"
              headers={r.responseHeaders}
              status={r.status !== undefined ? String(r.status) : undefined}
            />
          </>
        )}
        {tab !== 'headers' && (
          <>
            {(tab === 'request' ? r.requestBodyTruncated : r.responseBodyTruncated) && (
              <div class="badge warn">first bytes only (inspect.bodyBytes)</div>
            )}
            <pre class="mono body-pre">
              {bodyText(tab === 'request' ? r.requestBody : r.responseBody) || (
                <span class="muted">no body recorded</span>
              )}
            </pre>
          </>
        )}
      </div>
    </div>
  );
}
