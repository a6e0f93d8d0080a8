// LoopgateBridge over the control server's HTTP routes and its /api/events WebSocket (browser mode).
import type {
  ApiError,
  CloseRequest,
  FramesPage,
  FramesQuery,
  Har,
  ImportResult,
  ListPage,
  ListQuery,
  LoopgateBridge,
  NginxExportResult,
  NginxImportResult,
  RecordView,
  SendRequest,
  SendResult,
  SessionDetail,
  SessionView,
  StatusInfo,
  StreamEvent,
} from '../shared/api.ts';
import type { ConfigInput, ConfigResult } from '../shared/config.ts';

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
  /** Sent as a Bearer token; without it the cookie set by "?token=" is used. */
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
        credentials: 'same-origin',
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
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

  async function ok<T>(method: string, path: string, body?: unknown): Promise<T> {
    const a = await call(method, path, body);
    if (a.status >= 400) throw apiError(a);
    return a.body as T;
  }

  /** Config writes answer a ConfigResult on 400 too. */
  async function configCall(method: string, path: string, body: unknown): Promise<ConfigResult> {
    const a = await call(method, path, body);
    const b = a.body as Partial<ConfigResult> | null;
    if (b && typeof b === 'object' && 'ok' in b && (b.ok === true || Array.isArray((b as { errors?: unknown }).errors)))
      return b as ConfigResult;
    const err = apiError(a);
    return { ok: false, errors: [{ path: '(config)', message: err.message }] };
  }

  async function maybe<T>(path: string): Promise<T | null> {
    const a = await call('GET', path);
    if (a.status === 404) return null;
    if (a.status >= 400) throw apiError(a);
    return a.body as T;
  }

  async function result(path: string, body: unknown): Promise<SendResult> {
    const a = await call('POST', path, body);
    if (a.status < 400) return { ok: true };
    const e = apiError(a);
    return { ok: false, code: e.code, message: e.message };
  }

  return {
    status: () => ok<StatusInfo>('GET', '/api/status'),
    getConfig: () => ok<ConfigInput>('GET', '/api/config'),
    putConfig: (input) => configCall('PUT', '/api/config', input),
    setProfile: (name) => configCall('POST', '/api/profile', { name }),
    listRequests: (q?: ListQuery) => ok<ListPage<RecordView>>('GET', `/api/requests${query(q)}`),
    listSessions: (q?: ListQuery) => ok<ListPage<SessionView>>('GET', `/api/sessions${query(q)}`),
    getSession: (id) => maybe<SessionDetail>(`/api/sessions/${id}`),
    frames: (id, q?: FramesQuery) => maybe<FramesPage>(`/api/sessions/${id}/frames${query(q)}`),
    send: (id, message: SendRequest) => result(`/api/sessions/${id}/send`, message),
    close: (id, request: CloseRequest) => result(`/api/sessions/${id}/close`, request),
    exportHar: (o) => ok<Har>('GET', `/api/export.har${query(o)}`),
    async importHar(har): Promise<ImportResult> {
      const a = await call('POST', '/api/import.har', har);
      if (a.status < 400) return a.body as ImportResult;
      const e = apiError(a);
      return { ok: false, code: e.code, message: e.message };
    },
    async importNginx(request): Promise<NginxImportResult> {
      const a = await call('POST', '/api/nginx/import', request);
      const b = a.body as Partial<NginxImportResult> | null;
      if (b && typeof b === 'object' && (b.ok === true || (b.ok === false && typeof b.code === 'string'))) {
        const { error: _, ...result } = b as NginxImportResult & { error?: unknown };
        return result as NginxImportResult;
      }
      const e = apiError(a);
      return { ok: false, code: e.code, message: e.message };
    },
    exportNginx: (o) => ok<NginxExportResult>('GET', `/api/nginx/export${query(o)}`),
    async clear() {
      await ok('POST', '/api/clear', {});
    },
    // No route: `loopgate serve` runs the one config it was started with (StatusInfo.canOpenConfig is absent).
    openConfig: async () => {
      throw new BridgeError('NOT_SUPPORTED', OPEN_CONFIG_NOT_SUPPORTED);
    },
    subscribe: (onEvents) => subscribeEvents(base, opts, onEvents),
  };
}

/**
 * Keep a WebSocket to /api/events open (reconnecting with backoff). Each time it opens the UI gets an
 * overflow marker, since events may have been missed before, and refetches what it shows.
 */
function subscribeEvents(base: string, opts: HttpBridgeOptions, onEvents: (batch: StreamEvent[]) => void): () => void {
  const origin = base || location.origin;
  const url = new URL('/api/events', origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (opts.token) url.searchParams.set('token', opts.token);
  let ws: WebSocket | null = null;
  let stopped = false;
  let delay = opts.reconnectMs ?? 250;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = () => {
    if (stopped) return;
    ws = new WebSocket(url);
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
