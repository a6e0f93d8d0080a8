// A headers table (name: value rows), used for HTTP requests and WebSocket handshakes.
import type { Headers } from '../../shared/events.ts';
import { headerLines } from '../lib/format.ts';

export function HeadersTable({
  title,
  headers,
  status,
}: {
  title: string;
  headers: Headers | undefined;
  status?: string;
}) {
  const lines = headerLines(headers);
  return (
    <section class="hdrs" aria-label={title}>
      <h4>
        {title}
        {status && <span class="hdrs-status mono">{status}</span>}
      </h4>
      {lines.length === 0 ? (
        <div class="muted small-pad">none recorded</div>
      ) : (
        <dl class="mono">
          {lines.map(([k, v], i) => (
            <div key={i} class="hdr">
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}
