// LoopgateBridge over the control server's HTTP routes and its /api/events WebSocket (browser mode).
import {
  API_METHODS,
  bridgeMethodNames,
  HTTP_ONLY_ROUTES,
  EVENTS_PROTOCOL,
  TOKEN_PROTOCOL_PREFIX,
  type ApiError,
  type ApiMethod,
  type BridgeMethod,
  type LoopgateBridge,
  type StreamEvent,
} from '../shared/api.ts';
import type { ConfigResult } from '../shared/config.ts';

/** A refused call: the control server's code and message (or NETWORK when it could not be reached). */
export class BridgeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
  ) {
    super(message);
    this.name = 'BridgeError';
  }
}

export interface HttpBridgeOptions {
  /** Control server origin, "" for the page's own. */
  base?: string;
  /** Sent as a Bearer token, and as the events socket's subprotocol; never a cookie (renderer/lib/control-token.ts). */
  token?: string;
  /** Delay before reconnecting the event stream (ms, doubled up to 5 s). */
  reconnectMs?: number;
}

type Answer = { status: number; body: unknown };

/** Why browser mode cannot open another project, and what to do instead. */
export const OPEN_CONFIG_NOT_SUPPORTED =
  'NOT_SUPPORTED: browser mode runs the config it was started with; to use another project, stop it and run `loopgate serve --config <file>` (or `loopgate start --config <file>` for the desktop app)';

function query(q: object | undefined): string {
  if (!q) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function apiError(a: Answer): BridgeError {
  const e = (a.body as Partial<ApiError> | null)?.error;
  return new BridgeError(
    e?.code ?? `HTTP_${a.status}`,
    e?.message ?? `the control server answered ${a.status}`,
    a.status,
  );
}

export function createHttpBridge(opts: HttpBridgeOptions = {}): LoopgateBridge {
  const base = opts.base ?? '';
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;

  async function call(method: string, path: string, body?: unknown): Promise<Answer> {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        // No cookies: the site Loopgate serves shares this host (cookies ignore ports) and may have flooded it.
        credentials: 'omit',
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        // A string is a document's text already (a HAR file): sent as it is, never re-encoded.
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
    } catch (err) {
      throw new BridgeError(
        'NETWORK',
        `Loopgate's control server cannot be reached (${(err as Error).message}): is loopgate still running?`,
      );
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      throw new BridgeError(
        'BAD_ANSWER',
        `the control server sent something that is not JSON (HTTP ${res.status})`,
        res.status,
      );
    }
    return { status: res.status, body: parsed };
  }

  /** A refusal as the bridge's outcome answers it: the body when it is one, else from ApiError. */
  function outcome(a: Answer): unknown {
    const b = a.body as { ok?: unknown; code?: unknown; error?: unknown } | null;
    if (b && typeof b === 'object' && (b.ok === true || (b.ok === false && typeof b.code === 'string'))) {
      const { error: _, ...result } = b;
      return result;
    }
    if (a.status < 400) return a.body;
    const e = apiError(a);
    return { ok: false, code: e.code, message: e.message };
  }

  /** Config writes answer a ConfigResult on 400 too. */
  function configResult(a: Answer): ConfigResult {
    const b = a.body as Partial<ConfigResult> | null;
    if (b && typeof b === 'object' && 'ok' in b && (b.ok === true || Array.isArray((b as { errors?: unknown }).errors)))
      return b as ConfigResult;
    const err = apiError(a);
    return { ok: false, errors: [{ path: '(config)', message: err.message }] };
  }

  /** One bridge method from its line in API_METHODS: arguments into path, query and body; the answer back. */
  function method(name: BridgeMethod): (...args: unknown[]) => Promise<unknown> {
    const spec: ApiMethod = API_METHODS[name];
    const [verb, template] = (spec.route ?? '').split(' ') as [string, string];
    return async (...args) => {
      let path = template;
      let search = '';
      let body: unknown = verb === 'GET' ? undefined : {};
      spec.args.forEach((kind, i) => {
        const arg = args[i];
        if (kind === 'id') path = path.replace(':id', String(arg));
        else if (kind === 'query' || kind === 'options') search = query(arg as object | undefined);
        else if (kind === 'body') body = spec.bodyKey ? { [spec.bodyKey]: arg } : arg;
      });
      const a = await call(verb, path + search, body);
      switch (spec.answer) {
        case 'config':
          return configResult(a);
        case 'outcome':
        case 'result':
          return outcome(a);
        case 'found':
          if (a.status === 404) return null;
      }
      if (a.status >= 400) throw apiError(a);
      return spec.answer === 'none' ? undefined : a.body;
    };
  }

  const bridge: Record<string, unknown> = {};
  for (const name of bridgeMethodNames()) if (API_METHODS[name].route) bridge[name] = method(name);
  // No route: `loopgate serve` runs the one config it was started with (StatusInfo.canOpenConfig is absent).
  bridge.openConfig = async () => {
    throw new BridgeError('NOT_SUPPORTED', OPEN_CONFIG_NOT_SUPPORTED);
  };
  bridge.subscribe = (onEvents: (batch: StreamEvent[]) => void) => subscribeEvents(base, opts, onEvents);
  return bridge as unknown as LoopgateBridge;
}

/**
 * Keep a WebSocket to /api/events open (reconnecting with backoff). Each time it opens the UI gets an
 * overflow marker, since events may have been missed before, and refetches what it shows.
 */
function subscribeEvents(base: string, opts: HttpBridgeOptions, onEvents: (batch: StreamEvent[]) => void): () => void {
  const origin = base || location.origin;
  const url = new URL(HTTP_ONLY_ROUTES.events.split(' ')[1]!, origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  // A browser WebSocket cannot send headers: the token goes as a subprotocol beside the one the server picks.
  const protocols = opts.token ? [EVENTS_PROTOCOL, TOKEN_PROTOCOL_PREFIX + base64url(opts.token)] : [];
  let ws: WebSocket | null = null;
  let stopped = false;
  let delay = opts.reconnectMs ?? 250;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = () => {
    if (stopped) return;
    ws = new WebSocket(url, protocols);
    ws.onopen = () => {
      delay = opts.reconnectMs ?? 250;
      // Events before this moment were not seen: the UI refetches what it shows.
      onEvents([{ type: 'overflow', dropped: 0 }]);
    };
    ws.onmessage = (m) => {
      try {
        const batch = JSON.parse(String(m.data)) as StreamEvent[];
        if (Array.isArray(batch)) onEvents(batch);
      } catch {
        /* not ours: ignore */
      }
    };
    ws.onclose = () => {
      ws = null;
      if (stopped) return;
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 5000);
    };
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    ws?.close(1000);
  };
}

/** base64url of the token's UTF-8 bytes (subprotocol values must be HTTP tokens). */
function base64url(text: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
