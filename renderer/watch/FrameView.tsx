// The selected frame: its decoded message (with its request or replies), text, JSON tree, hex and base64 views, with copy.
import { useMemo, useState } from 'preact/hooks';
import type { DecodedMessage, FrameRecord } from '../../shared/events.ts';
import { copyText } from '../lib/download.ts';
import { clock, formatBytes, OPCODE_NAMES } from '../lib/format.ts';
import { frameBase64, frameBytes, frameJson, frameText, hexDump } from './frames.ts';
import { JsonTree } from '../components/JsonTree.tsx';
import { Tabs } from '../components/ui.tsx';

type View = 'decoded' | 'text' | 'json' | 'hex' | 'base64';

const MAX_TEXT = 256 * 1024;

export function FrameView({
  frame,
  replies,
  onJump,
}: {
  frame: FrameRecord;
  /** Seqs of this request's replies. */
  replies?: readonly number[];
  /** Select another frame by seq (a reply, or the request a reply answers). */
  onJump?: (seq: number) => void;
}) {
  const json = useMemo(
    () => (frame.opcode === 1 || frame.opcode === 2 ? frameJson(frame) : { ok: false as const }),
    [frame],
  );
  const [view, setView] = useState<View>(frame.decoded ? 'decoded' : frame.encoding === 'base64' ? 'hex' : 'text');
  const [copied, setCopied] = useState<string | null>(null);
  const effective: View =
    (view === 'json' && !json.ok) || (view === 'decoded' && !frame.decoded)
      ? frame.decoded
        ? 'decoded'
        : 'text'
      : view;

  const content = useMemo(() => {
    switch (effective) {
      case 'hex':
        return hexDump(frameBytes(frame));
      case 'base64':
        return frameBase64(frame);
      case 'json':
        return json.ok ? JSON.stringify(json.value, null, 2) : '';
      case 'decoded':
        return JSON.stringify(frame.decoded, null, 2);
      default:
        return frame.opcode === 8 ? `${frame.closeCode ?? '(no code)'} ${frame.closeReason ?? ''}` : frameText(frame);
    }
  }, [frame, effective]);

  const copy = async () => {
    setCopied((await copyText(content)) ? 'Copied' : 'Copy failed');
    setTimeout(() => setCopied(null), 1500);
  };

  return (
    <div class="frame-view">
      <div class="frame-view-head">
        <Tabs<View>
          small
          label="Frame view"
          idBase="fv"
          value={effective}
          onChange={setView}
          tabs={[
            ...(frame.decoded ? [['decoded', 'Decoded'] as const] : []),
            ['text', 'Text'],
            ...(json.ok ? [['json', 'JSON'] as const] : []),
            ['hex', 'Hex'],
            ['base64', 'Base64'],
          ]}
        />
        <span class="frame-meta mono">
          #{frame.seq} {frame.type === 'send' ? '↑ client → backend' : '↓ backend → client'} ·{' '}
          {OPCODE_NAMES[frame.opcode]} · {frame.inflateCapped && 'over '}
          {formatBytes(frame.length)}
          {frame.wireLength !== frame.length && ` (${formatBytes(frame.wireLength)} on the wire)`}
          {frame.fragments > 1 && ` · ${frame.fragments} fragments`}
          {frame.compressed && ' · deflated'}
          {frame.injected && ' · injected'} · {clock(frame.time * 1000)}
        </span>
        <button type="button" class="btn small" onClick={() => void copy()} aria-label={`Copy frame as ${effective}`}>
          {copied ?? 'Copy'}
        </button>
      </div>
      {(frame.truncated || (frame.problems && frame.problems.length > 0)) && (
        <div class="frame-notes">
          {frame.truncated && !frame.inflateCapped && (
            <span class="badge warn">truncated: {formatBytes(frame.length)} sent, first part kept</span>
          )}
          {frame.inflateCapped && (
            <span class="badge warn">
              inflated only up to {formatBytes(frame.length)} (bomb guard), first part kept
            </span>
          )}
          {frame.problems?.map((p) => (
            <span key={p} class="badge error">
              {p}
            </span>
          ))}
        </div>
      )}
      <div
        class="frame-body"
        id={`fv-panel-${effective}`}
        role="tabpanel"
        aria-labelledby={`fv-tab-${effective}`}
        tabIndex={0}
      >
        {effective === 'decoded' && frame.decoded ? (
          <Decoded frame={frame} replies={replies} onJump={onJump} />
        ) : effective === 'json' && json.ok ? (
          <JsonTree value={json.value} />
        ) : (
          <pre class="mono">
            {content.length > MAX_TEXT
              ? `${content.slice(0, MAX_TEXT)}\n… ${content.length - MAX_TEXT} more characters (Copy takes all)`
              : content}
          </pre>
        )}
      </div>
    </div>
  );
}

function jumpLink(seq: number, onJump: ((seq: number) => void) | undefined) {
  return (
    <button key={seq} type="button" class="link mono" onClick={() => onJump?.(seq)}>
      #{seq}
    </button>
  );
}

/** One message's facts (type, name, id, namespace) and its payload as a tree. */
function Message({ m }: { m: DecodedMessage }) {
  return (
    <div class="decoded-msg">
      <div class="decoded-facts mono">
        <span class={`badge msg-type${m.heartbeat ? ' hb' : ''}`}>{m.type}</span>
        {m.name && <strong class="msg-name">{m.name}</strong>}
        {m.id !== undefined && <span class="muted"> id {m.id}</span>}
        {m.namespace && m.namespace !== '/' && <span class="muted"> ns {m.namespace}</span>}
        {m.encoding && <span class="muted"> · {m.encoding}</span>}
        {m.error && <span class="badge error">{m.error}</span>}
      </div>
      {m.payload !== undefined &&
        (typeof m.payload === 'object' && m.payload !== null ? (
          <JsonTree value={m.payload} />
        ) : (
          <pre class="mono">{JSON.stringify(m.payload)}</pre>
        ))}
    </div>
  );
}

/** The decoded view: protocol, the request this frame answers (and how long it took) or its replies, the message(s). */
function Decoded({
  frame,
  replies,
  onJump,
}: {
  frame: FrameRecord;
  replies?: readonly number[];
  onJump?: (seq: number) => void;
}) {
  const d = frame.decoded!;
  const shown = replies ? replies.slice(0, 50) : [];
  return (
    <div class="decoded" data-testid="decoded-view">
      <div class="decoded-pairing">
        <span class="badge">{d.protocol}</span>
        {frame.replyTo !== undefined && (
          <span>
            reply to {jumpLink(frame.replyTo, onJump)}
            {frame.latencyMs !== undefined && <> after {frame.latencyMs} ms</>}
          </span>
        )}
        {shown.length > 0 && (
          <span>
            {replies!.length === 1 ? 'reply' : `${replies!.length} replies`}: {shown.map((s) => jumpLink(s, onJump))}
            {replies!.length > shown.length && ' …'}
          </span>
        )}
        {d.attachmentOf !== undefined && <span>attachment of {jumpLink(d.attachmentOf, onJump)}</span>}
        {d.attachments && <span>attachments: {d.attachments.map((s) => jumpLink(s, onJump))}</span>}
      </div>
      <Message m={d} />
      {d.more?.map((m, i) => (
        <Message key={i} m={m} />
      ))}
    </div>
  );
}
