// The backend timeouts (connect/send/read), the body size limit and the client-side timeouts (body, send), each with nginx's meaning spelled out.
import { formatDuration, formatSize, parseDuration, parseSize } from '../../shared/units.ts';
import { unitOrText, type Path } from './draft.ts';
import { TextField } from '../components/ui.tsx';
import { DEFAULTS, read, type Form } from './form.ts';

interface Props {
  form: Form;
  /** Where the block lives: [] for the server, the route's path for a route. */
  base: Path;
  /** For a route: the server's values it inherits, as shown in placeholders. */
  inherited?: {
    connect?: string;
    send?: string;
    read?: string;
    clientBody?: string;
    clientSend?: string;
    maxBodySize?: string;
  };
}

const asText = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** "90" → "90s (1m 30s)" style helper text for a time field. */
function explainTime(v: unknown): string | null {
  if (v === undefined || v === '') return null;
  const ms = parseDuration(v as string | number);
  return ms === undefined ? null : `= ${formatDuration(ms)}`;
}

function explainSize(v: unknown): string | null {
  if (v === undefined || v === '') return null;
  const b = parseSize(v as string | number);
  if (b === undefined) return null;
  return b === 0 ? '= no limit' : `= ${formatSize(b)} (${b.toLocaleString('en')} bytes)`;
}

export function TimeoutFields({ form, base, inherited }: Props) {
  const t = [...base, 'timeouts'];
  const field = (
    key: 'connect' | 'send' | 'read' | 'clientBody' | 'clientSend',
    label: string,
    nginx: string,
    meaning: string,
  ) => {
    const path = [...t, key];
    const v = read<string | number>(form, path);
    const ph = inherited?.[key] ?? DEFAULTS.timeout;
    return (
      <TextField
        label={label}
        nginx={nginx}
        size="s"
        mono
        name={`${key}-timeout`}
        value={v}
        format={asText}
        parse={unitOrText}
        placeholder={ph}
        error={form.errors.at(path)}
        hint={
          <>
            {meaning} {explainTime(v) ?? <span class="muted">{inherited ? `inherits ${ph}` : `default ${ph}`}</span>}
          </>
        }
        onChange={(nv) => form.set(path, nv)}
      />
    );
  };
  const sizePath = [...base, 'maxBodySize'];
  const size = read<string | number>(form, sizePath);
  return (
    <div class="grid-4">
      {field(
        'connect',
        'Connect timeout',
        'proxy_connect_timeout',
        'How long to wait for the backend to accept the TCP (and TLS) connection.',
      )}
      {field(
        'send',
        'Send timeout',
        'proxy_send_timeout',
        'Longest pause between two writes of the request to the backend — not the whole upload.',
      )}
      {field(
        'read',
        'Read timeout',
        'proxy_read_timeout',
        'Longest pause between two reads from the backend — not the whole response; idle WebSockets close after it.',
      )}
      <TextField
        label="Body size limit"
        nginx="client_max_body_size"
        size="s"
        mono
        name="max-body-size"
        value={size}
        format={asText}
        parse={unitOrText}
        placeholder={inherited?.maxBodySize ?? DEFAULTS.maxBodySize}
        error={form.errors.at(sizePath)}
        hint={
          <>
            Larger request bodies get 413. Units k/m/g; 0 turns the check off.{' '}
            {explainSize(size) ?? (
              <span class="muted">
                {inherited
                  ? `inherits ${inherited.maxBodySize ?? DEFAULTS.maxBodySize}`
                  : `default ${DEFAULTS.maxBodySize}`}
              </span>
            )}
          </>
        }
        onChange={(nv) => form.set(sizePath, nv)}
      />
      {field(
        'clientBody',
        'Client body timeout',
        'client_body_timeout',
        'Longest pause while the client uploads the request body: a stalled upload is cut without an answer (logged 408) and its backend request aborted.',
      )}
      {field(
        'clientSend',
        'Client send timeout',
        'send_timeout',
        'Longest time a client may take none of the answer: one that stops reading is cut, and the backend request with it.',
      )}
    </div>
  );
}
