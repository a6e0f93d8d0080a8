// Why Loopgate could not start or listen, as a code and a sentence the user can act on.
import { ConfigFileError } from '../config/store.ts';
import { StartError } from '../runtime.ts';
export interface StartProblem {
  code: string;
  message: string;
}

/** Describe a failure of Runtime.start (bad config file, busy port, …) for the tray and the window. */
export function describeStartError(err: unknown, configFile: string | null): StartProblem {
  const e = err as { code?: unknown; message?: unknown; port?: unknown; address?: unknown; name?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const where = configFile ? ` in ${configFile}` : '';
  if (e?.code === 'EADDRINUSE') {
    const port = typeof e.port === 'number' ? e.port : /:(\d+)\s*$/.exec(message)?.[1];
    return {
      code: 'PORT_IN_USE',
      message: `port ${port ?? '?'} is in use by another program: change "listen.port"${where} or stop that program, then Retry`,
    };
  }
  if (e?.code === 'EACCES') {
    return {
      code: 'PORT_DENIED',
      message: `not allowed to listen there (ports below 1024 need privileges): change "listen.port"${where}, then Retry`,
    };
  }
  if (e?.code === 'EADDRNOTAVAIL') {
    return {
      code: 'BAD_ADDRESS',
      message: `this machine has no address ${String(e.address ?? '')}: change "listen.host"${where}, then Retry`,
    };
  }
  if (err instanceof ConfigFileError || err instanceof StartError) {
    return { code: 'BAD_CONFIG', message: `${message}\nFix the file, then Retry (or open another config)` };
  }
  return { code: typeof e?.code === 'string' ? e.code : 'START_FAILED', message };
}
