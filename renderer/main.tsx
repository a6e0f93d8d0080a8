// Entry point: picks the bridge (Electron's preload when present, else the control server over HTTP) and renders.
import { render } from 'preact';
import type { LoopgateBridge } from '../shared/api.ts';
import { App } from './app.tsx';
import { createHttpBridge } from './bridge-http.ts';
import { takeControlToken } from './lib/control-token.ts';

declare global {
  interface Window {
    /** Set by the Electron preload (and by tests/benchmarks with a fake). */
    loopgate?: LoopgateBridge;
  }
}

// Desktop: the preload's IPC bridge (no token). Browser mode: the token from the control URL (lib/control-token.ts).
const bridge = window.loopgate ?? createHttpBridge({ token: takeControlToken() });
const params = new URLSearchParams(location.search);
const tab = params.get('tab') === 'configure' ? 'configure' : params.get('tab') === 'watch' ? 'watch' : undefined;
render(<App bridge={bridge} initialTab={tab} />, document.getElementById('app')!);
