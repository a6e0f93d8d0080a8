// Inject a message into a live session (in its protocol's envelope, or text, hex or base64; to the client or the backend), or close it.
import { useState } from 'preact/hooks';
import type { ComposeRequest, LoopgateBridge, SendRequest, SessionView } from '../../shared/api.ts';
import { bytesToBase64, parseHex } from './frames.ts';

type Mode = 'text' | 'hex' | 'base64' | 'protocol';

/** Protocols whose envelope Loopgate writes, with what the composer calls a message in each. */
const COMPOSABLE: Record<string, string> = {
  'socket.io': 'Socket.IO event',
  'graphql-transport-ws': 'GraphQL subscribe',
  'graphql-ws': 'GraphQL start',
  stomp: 'STOMP SEND',
  signalr: 'SignalR invocation',
  'json-rpc': 'JSON-RPC call',
};

export function Composer({
  bridge,
  session,
  protocol,
}: {
  bridge: LoopgateBridge;
  session: SessionView;
  /** The session's protocol: the composer then writes its envelopes. */
  protocol?: string | null;
}) {
  const composable = protocol && COMPOSABLE[protocol] ? protocol : null;
  const [text, setText] = useState('');
  const [chosen, setMode] = useState<Mode | null>(null);
  const mode: Mode = chosen ?? (composable ? 'protocol' : 'text');
  const [fields, setFields] = useState<Record<string, string>>({});
  const [flag, setFlag] = useState(true);
  const [code, setCode] = useState('1000');
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  const open = session.state === 'open';

  const send = async (to: 'client' | 'backend') => {
    let msg: SendRequest;
    if (mode === 'protocol' && composable) {
      const compose = composeRequest(composable, fields, flag);
      if ('error' in compose) return setResult({ ok: false, message: compose.error });
      msg = { to, compose };
    } else if (mode === 'text') msg = { to, text };
    else if (mode === 'hex') {
      const bytes = parseHex(text);
      if (!bytes) return setResult({ ok: false, message: 'Not hex: write bytes like "de ad be ef".' });
      msg = { to, base64: bytesToBase64(bytes) };
    } else {
      msg = { to, base64: text.replace(/\s+/g, '') };
    }
    try {
      const r = await bridge.send(session.id, msg);
      setResult(
        r.ok
          ? {
              ok: true,
              message: r.sent
                ? `Sent to the ${to}: ${r.sent.length > 120 ? `${r.sent.slice(0, 120)}…` : r.sent}${r.id ? ` (id ${r.id}; its reply is paired)` : ''}`
                : `Sent to the ${to}.`,
            }
          : { ok: false, message: r.message },
      );
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
        {mode === 'protocol' && composable ? (
          <ProtocolForm
            protocol={composable}
            fields={fields}
            flag={flag}
            disabled={!open}
            onField={(k, v) => setFields((f) => ({ ...f, [k]: v }))}
            onFlag={setFlag}
            onSend={() => void send('backend')}
          />
        ) : (
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
        )}
        <div class="composer-actions">
          <select
            class="input"
            aria-label="Message format"
            value={mode}
            onChange={(e) => setMode((e.currentTarget as HTMLSelectElement).value as Mode)}
            disabled={!open}
          >
            {composable && <option value="protocol">{COMPOSABLE[composable]}</option>}
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

/** JSON typed in a field: undefined when empty, an error naming the field when it is not JSON. */
function jsonField(text: string | undefined, label: string): { value?: unknown } | { error: string } {
  if (text === undefined || text.trim() === '') return {};
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `${label} is not JSON: ${(e as Error).message}` };
  }
}

/** The compose request for the form's fields; `flag` is ack / receipt / notify by protocol. */
export function composeRequest(
  protocol: string,
  f: Record<string, string>,
  flag: boolean,
): ComposeRequest | { error: string } {
  switch (protocol) {
    case 'socket.io': {
      const args = jsonField(f.args, 'Arguments');
      if ('error' in args) return args;
      const list = args.value === undefined ? [] : Array.isArray(args.value) ? args.value : [args.value];
      return {
        protocol,
        name: (f.name ?? '').trim(),
        args: list,
        namespace: f.namespace?.trim() || undefined,
        ack: flag,
      };
    }
    case 'graphql-transport-ws':
    case 'graphql-ws': {
      const vars = jsonField(f.variables, 'Variables');
      if ('error' in vars) return vars;
      return {
        protocol,
        query: f.query ?? '',
        variables: vars.value as Record<string, unknown> | undefined,
        operationName: f.operationName?.trim() || undefined,
      };
    }
    case 'stomp':
      return { protocol, destination: (f.destination ?? '').trim(), body: f.body ?? '', receipt: flag };
    case 'signalr': {
      const args = jsonField(f.args, 'Arguments');
      if ('error' in args) return args;
      const list = args.value === undefined ? [] : Array.isArray(args.value) ? args.value : [args.value];
      return { protocol, target: (f.target ?? '').trim(), args: list };
    }
    default: {
      const params = jsonField(f.params, 'Params');
      if ('error' in params) return params;
      return { protocol: 'json-rpc', method: (f.method ?? '').trim(), params: params.value, notify: !flag };
    }
  }
}

/** Field names and labels per protocol: [key, label, placeholder, multi-line]. */
const FORMS: Record<string, Array<[string, string, string, boolean]>> = {
  'socket.io': [
    ['name', 'Event', 'chat', false],
    ['args', 'Arguments (JSON array)', '[{"text": "hi"}]', true],
    ['namespace', 'Namespace', '/', false],
  ],
  'graphql-transport-ws': [
    ['query', 'Query', 'subscription OnMessage { message { id text } }', true],
    ['variables', 'Variables (JSON)', '{}', true],
    ['operationName', 'Operation name', '', false],
  ],
  stomp: [
    ['destination', 'Destination', '/topic/chat', false],
    ['body', 'Body', '{"text": "hi"}', true],
  ],
  signalr: [
    ['target', 'Method', 'SendMessage', false],
    ['args', 'Arguments (JSON array)', '["user", "hi"]', true],
  ],
  'json-rpc': [
    ['method', 'Method', 'subtract', false],
    ['params', 'Params (JSON)', '[42, 23]', true],
  ],
};
FORMS['graphql-ws'] = FORMS['graphql-transport-ws']!;
const FLAGS: Record<string, string> = {
  'socket.io': 'with an ack',
  stomp: 'ask for a receipt',
  'json-rpc': 'with an id (not a notification)',
};

function ProtocolForm({
  protocol,
  fields,
  flag,
  disabled,
  onField,
  onFlag,
  onSend,
}: {
  protocol: string;
  fields: Record<string, string>;
  flag: boolean;
  disabled: boolean;
  onField: (key: string, value: string) => void;
  onFlag: (v: boolean) => void;
  onSend: () => void;
}) {
  return (
    <div class="protocol-form" role="group" aria-label={`${COMPOSABLE[protocol]} to send`}>
      {FORMS[protocol]!.map(([key, label, placeholder, multi]) => (
        <div key={key} class={multi ? 'pf-field grow' : 'pf-field'}>
          <span class="muted">{label}</span>
          {multi ? (
            <textarea
              class="input mono"
              rows={1}
              aria-label={label}
              placeholder={placeholder}
              disabled={disabled}
              value={fields[key] ?? ''}
              onInput={(e) => onField(key, (e.currentTarget as HTMLTextAreaElement).value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                  e.preventDefault();
                  onSend();
                }
              }}
            />
          ) : (
            <input
              class="input mono"
              aria-label={label}
              placeholder={placeholder}
              disabled={disabled}
              value={fields[key] ?? ''}
              onInput={(e) => onField(key, (e.currentTarget as HTMLInputElement).value)}
            />
          )}
        </div>
      ))}
      {FLAGS[protocol] && (
        <label class="inline">
          <input
            type="checkbox"
            checked={flag}
            disabled={disabled}
            onChange={(e) => onFlag((e.currentTarget as HTMLInputElement).checked)}
          />{' '}
          {FLAGS[protocol]}
        </label>
      )}
    </div>
  );
}
