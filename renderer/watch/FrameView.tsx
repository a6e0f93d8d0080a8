// The selected frame: text, JSON tree, hex and base64 views, with copy.
import { useMemo, useState } from 'preact/hooks';
import type { FrameRecord } from '../../shared/events.ts';
import { copyText } from '../lib/download.ts';
import { clock, formatBytes, OPCODE_NAMES } from '../lib/format.ts';
import { frameBase64, frameBytes, frameJson, frameText, hexDump } from './frames.ts';
import { JsonTree } from '../components/JsonTree.tsx';
import { Tabs } from '../components/ui.tsx';

type View = 'text' | 'json' | 'hex' | 'base64';

const MAX_TEXT = 256 * 1024;

export function FrameView({ frame }: { frame: FrameRecord }) {
  const json = useMemo(
    () => (frame.opcode === 1 || frame.opcode === 2 ? frameJson(frame) : { ok: false as const }),
    [frame],
  );
  const [view, setView] = useState<View>(frame.encoding === 'base64' ? 'hex' : 'text');
  const [copied, setCopied] = useState<string | null>(null);
  const effective: View = view === 'json' && !json.ok ? 'text' : view;

  const content = useMemo(() => {
    switch (effective) {
      case 'hex':
        return hexDump(frameBytes(frame));
      case 'base64':
        return frameBase64(frame);
      case 'json':
        return json.ok ? JSON.stringify(json.value, null, 2) : '';
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
        {effective === 'json' && json.ok ? (
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
