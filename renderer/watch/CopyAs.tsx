// "Copy as" buttons for a request (curl / fetch / HTTPie) or a WebSocket session (websocat), issue #17.
import { useState } from 'preact/hooks';
import type { HttpRecord, WsSessionRecord } from '../../shared/events.ts';
import { toCurl, toFetch, toHttpie, toWebsocat } from '../../shared/copy-as.ts';
import { copyText } from '../lib/download.ts';

type Kind = 'curl' | 'fetch' | 'HTTPie' | 'websocat';

const make: Record<Kind, (r: HttpRecord | WsSessionRecord) => string> = {
  curl: (r) => toCurl(r as HttpRecord),
  fetch: (r) => toFetch(r as HttpRecord),
  HTTPie: (r) => toHttpie(r as HttpRecord),
  websocat: (r) => toWebsocat(r as WsSessionRecord),
};

export function CopyAs({ record }: { record: HttpRecord | WsSessionRecord }) {
  const [note, setNote] = useState<string | null>(null);
  const kinds: Kind[] = record.kind === 'ws' ? ['websocat'] : ['curl', 'fetch', 'HTTPie'];
  const what = record.target ? 'the request as the backend received it' : 'the request as sent to Loopgate';
  const copy = async (kind: Kind) => {
    let text: string;
    try {
      text = make[kind](record);
    } catch (err) {
      setNote(`Cannot build: ${(err as Error).message}`);
      return;
    }
    setNote((await copyText(text)) ? `${kind} copied` : 'Copy failed');
    setTimeout(() => setNote(null), 1500);
  };
  return (
    <span
      class="copy-as"
      role="group"
      aria-label="Copy as"
      style={{ display: 'inline-flex', gap: '4px', alignItems: 'center' }}
    >
      <span class="muted">Copy as</span>
      {kinds.map((k) => (
        <button
          key={k}
          type="button"
          class="btn small"
          title={`Copy ${what} as a ${k} command`}
          onClick={() => void copy(k)}
        >
          {k}
        </button>
      ))}
      {note && (
        <span class="muted" role="status">
          {note}
        </span>
      )}
    </span>
  );
}
