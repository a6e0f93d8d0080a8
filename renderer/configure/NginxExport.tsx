// "Export nginx config": the running config as an nginx server{} block, read-only, with Copy, Download and its warnings.
import { useEffect, useState } from 'preact/hooks';
import type { LoopgateBridge, NginxExportResult } from '../../shared/api.ts';
import type { ConfigInput } from '../../shared/config.ts';
import { copyText, downloadBlob } from '../lib/download.ts';

export function NginxExport({
  bridge,
  saved,
  onClose,
}: {
  bridge: LoopgateBridge;
  saved: ConfigInput;
  onClose: () => void;
}) {
  const [serverName, setServerName] = useState('');
  const [asked, setAsked] = useState('');
  const [result, setResult] = useState<NginxExportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const savedKey = JSON.stringify(saved);

  // The running config: fetched again whenever a save goes through or another server_name is asked for.
  useEffect(() => {
    let live = true;
    bridge.exportNginx(asked ? { serverName: asked } : {}).then(
      (r) => {
        if (!live) return;
        setResult(r);
        setError(null);
      },
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [bridge, savedKey, asked]);

  const copy = async () => {
    if (!result) return;
    setCopied((await copyText(result.text)) ? 'yes' : 'no');
    setTimeout(() => setCopied(null), 2000);
  };

  return (
    <div class="nginx-export" role="region" aria-label="Export nginx config">
      <div class="button-row">
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            setAsked(serverName.trim());
          }}
        >
          <input
            class="input mono"
            aria-label="server_name"
            placeholder="server_name (default: allowed hosts, else localhost)"
            value={serverName}
            onInput={(e) => setServerName((e.currentTarget as HTMLInputElement).value)}
          />
          <button type="submit" class="btn small" disabled={serverName.trim() === asked}>
            Use
          </button>
        </form>
        <span class="grow" />
        <button type="button" class="btn" disabled={!result} onClick={() => void copy()}>
          {copied === 'yes' ? 'Copied' : copied === 'no' ? 'Copy failed' : 'Copy'}
        </button>
        <button
          type="button"
          class="btn"
          disabled={!result}
          onClick={() => result && downloadBlob('loopgate-nginx.conf', new Blob([result.text], { type: 'text/plain' }))}
        >
          Download
        </button>
        <button type="button" class="btn small ghost" onClick={onClose}>
          Close
        </button>
      </div>
      {error && (
        <div class="banner error" role="alert">
          {error}
        </div>
      )}
      {result && (
        <>
          {result.warnings.length > 0 && (
            <ul class="export-warnings" aria-label="Export warnings">
              {result.warnings.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ul>
          )}
          <pre class="code-view" tabIndex={0} aria-label="Exported nginx config">
            {result.text}
          </pre>
        </>
      )}
    </div>
  );
}
