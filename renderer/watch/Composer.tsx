// Inject a message into a live session (text, hex or base64; to the client or the backend), or close it.
import { useState } from 'preact/hooks';
import type { LoopgateBridge, SendRequest, SessionView } from '../../shared/api.ts';
import { bytesToBase64, parseHex } from './frames.ts';

type Mode = 'text' | 'hex' | 'base64';

export function Composer({ bridge, session }: { bridge: LoopgateBridge; session: SessionView }) {
  const [text, setText] = useState('');
  const [mode, setMode] = useState<Mode>('text');
  const [code, setCode] = useState('1000');
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  const open = session.state === 'open';

  const send = async (to: 'client' | 'backend') => {
    let msg: SendRequest;
    if (mode === 'text') msg = { to, text };
    else if (mode === 'hex') {
      const bytes = parseHex(text);
      if (!bytes) return setResult({ ok: false, message: 'Not hex: write bytes like "de ad be ef".' });
      msg = { to, base64: bytesToBase64(bytes) };
    } else {
      msg = { to, base64: text.replace(/\s+/g, '') };
    }
    try {
      const r = await bridge.send(session.id, msg);
      setResult(r.ok ? { ok: true, message: `Sent to the ${to}.` } : { ok: false, message: r.message });
    } catch (err) {
      setResult({ ok: false, message: (err as Error).message });
    }
  };

  const close = async () => {
    try {
      const r = await bridge.close(session.id, { code: Number(code), reason });
      setResult(r.ok ? { ok: true, message: 'Close frames sent to both sides.' } : { ok: false, message: r.message });
    } catch (err) {
      setResult({ ok: false, message: (err as Error).message });
    }
  };

  return (
    <div class="composer" role="group" aria-label="Send a message">
      <div class="composer-row">
        <textarea
          class="input mono"
          aria-label="Message to send"
          rows={2}
          placeholder={
            open
              ? mode === 'text'
                ? 'Message text — Ctrl+Enter sends to the backend'
                : mode === 'hex'
                  ? 'de ad be ef'
                  : 'base64'
              : 'The session is not open'
          }
          value={text}
          disabled={!open}
          onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void send(e.shiftKey ? 'client' : 'backend');
            }
          }}
        />
        <div class="composer-actions">
          <select
            class="input"
            aria-label="Message format"
            value={mode}
            onChange={(e) => setMode((e.currentTarget as HTMLSelectElement).value as Mode)}
            disabled={!open}
          >
            <option value="text">Text</option>
            <option value="hex">Binary (hex)</option>
            <option value="base64">Binary (base64)</option>
          </select>
          <button type="button" class="btn small primary" disabled={!open} onClick={() => void send('backend')}>
            Send ↑ backend
          </button>
          <button type="button" class="btn small" disabled={!open} onClick={() => void send('client')}>
            Send ↓ client
          </button>
        </div>
      </div>
      <div class="composer-row close-row">
        <label class="inline">
          Close code
          <input
            class="input input-xs mono"
            aria-label="Close code"
            value={code}
            disabled={!open}
            onInput={(e) => setCode((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <label class="inline grow">
          Reason
          <input
            class="input"
            aria-label="Close reason"
            value={reason}
            maxLength={123}
            disabled={!open}
            onInput={(e) => setReason((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <button type="button" class="btn small danger" disabled={!open} onClick={() => void close()}>
          Close session
        </button>
        {result && (
          <span class={result.ok ? 'ok-text' : 'error-text'} role="status">
            {result.message}
          </span>
        )}
      </div>
    </div>
  );
}
