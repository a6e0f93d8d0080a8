// The main half of the bridge: one IPC handler per bridge method, each checking its sender, calling the Controller.
import { isAbsolute } from 'node:path';
import {
  API_METHODS,
  isSessionId,
  type ApiArg,
  type ApiMethod,
  type OpenConfigResult,
  type StatusInfo,
  type StreamEvent,
} from '../../../shared/api.ts';
import type { Controller } from '../../control/controller.ts';
import { isAppUrl } from '../window/app-origin.ts';
import { BRIDGE_METHODS, channelOf, type BridgeMethod, type Reply } from './bridge-methods.ts';

/** What a handler sees of an IpcMainInvokeEvent. */
export interface InvokeEventLike {
  senderFrame: { url: string } | null;
  sender: WebContentsLike;
}

/** What the event forwarder needs of a WebContents. */
export interface WebContentsLike {
  id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** Where handlers find the running Controller (null while Loopgate could not start) and the status. */
export interface ControllerSource {
  controller(): Controller | null;
  /** Status, also when there is no controller (then running: false and the start error). */
  status(): StatusInfo;
  /** Called with every new Controller (another config opened): event subscriptions move to it. */
  onControllerChange(fn: () => void): () => void;
  /**
   * Open another loopgate.json (`path` checked here: absolute), or ask with the file dialog without
   * one. A source without it (a fixed runtime) answers openConfig with NOT_SUPPORTED and status with
   * canOpenConfig: false.
   */
  openProject?(path?: string): Promise<Reply<OpenConfigResult>>;
}

/** Longest path openConfig takes (Linux's PATH_MAX; Windows' long paths are shorter in practice). */
export const MAX_CONFIG_PATH = 4096;

export type Handler = (event: InvokeEventLike, ...args: unknown[]) => Promise<Reply>;

const refuse = (code: string, message: string): Reply => ({ ok: false, code, message });
const ok = (value: unknown): Reply => ({ ok: true, value });

/** Only the UI's own pages (app://loopgate/...) may call; a frame elsewhere (or gone) is refused. */
export function isTrustedSender(event: InvokeEventLike): boolean {
  return isAppUrl(event?.senderFrame?.url);
}

/** openConfig's untrusted argument → the path (undefined: the dialog), or a refusal. */
function openConfigPath(request: unknown): { path?: string } | Reply {
  if (request === undefined) return {};
  if (!optionalObject(request)) return refuse('BAD_REQUEST', 'openConfig expects {"path"?: string}');
  const unknownKeys = Object.keys(request).filter((k) => k !== 'path');
  if (unknownKeys.length)
    return refuse(
      'BAD_REQUEST',
      `openConfig takes only "path" (not ${unknownKeys.map((k) => JSON.stringify(k)).join(', ')})`,
    );
  const path = request.path;
  if (path === undefined) return {};
  if (typeof path !== 'string' || path === '') return refuse('BAD_REQUEST', '"path" must be a non-empty string');
  if (path.includes('\0')) return refuse('BAD_REQUEST', '"path" must not contain a NUL character');
  if (path.length > MAX_CONFIG_PATH)
    return refuse('BAD_REQUEST', `"path" is longer than ${MAX_CONFIG_PATH} characters`);
  if (!isAbsolute(path)) return refuse('BAD_REQUEST', `"path" must be absolute (got ${JSON.stringify(path)})`);
  return { path };
}

function optionalObject(v: unknown): v is Record<string, unknown> | undefined {
  return v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v));
}

/** Controller answers that are refusals ({ok: false, code, message}) where the bridge promises a page. */
function pageOrRefusal(result: unknown): Reply {
  const r = result as { ok?: unknown; code?: unknown; message?: unknown } | null;
  if (r && r.ok === false && typeof r.code === 'string') return refuse(r.code, String(r.message));
  return ok(result);
}

/**
 * The handler table: exactly one per bridge method. Arguments come from the renderer and are
 * checked as untrusted input. A foreign sender gets a rejected invoke (FORBIDDEN) and the
 * Controller is not called.
 */
export function createHandlers(source: ControllerSource, forwarder: EventForwarder): Record<BridgeMethod, Handler> {
  const withController = async (fn: (c: Controller) => Reply | Promise<Reply>): Promise<Reply> => {
    const c = source.controller();
    if (!c) {
      const err = source.status().lastError;
      return refuse(
        'NOT_RUNNING',
        `Loopgate is not running${err ? `: ${err}` : ''}. Fix the config, then use Retry in the tray menu.`,
      );
    }
    return fn(c);
  };
  // The methods whose checks or answers are the desktop's own; every other one comes from API_METHODS.
  const special: Partial<Record<BridgeMethod, (...args: unknown[]) => Reply | Promise<Reply>>> = {
    status: () =>
      ok({
        ...(source.controller()?.status() ?? source.status()),
        canOpenConfig: typeof source.openProject === 'function',
      }),
    putConfig: (input, expect) => {
      if (!optionalObject(expect))
        return refuse(
          'BAD_REQUEST',
          'the second argument must be {"configFile"?: …, "version"?: N, "overwrite"?: bool}',
        );
      const wanted = expect?.configFile;
      if (wanted !== undefined && wanted !== null && typeof wanted !== 'string')
        return refuse('BAD_REQUEST', '"configFile" must be a path or null');
      return withController(async (c) => {
        // The controller that would take the put: during a switch it is still the old one, and right.
        const running = c.status().configFile ?? null;
        if (wanted !== undefined && wanted !== running) {
          return refuse(
            'CONFIG_SWITCHED',
            `this edit was made for ${wanted ?? 'another config'}, but ${running ?? 'another config'} is open now; it was not saved`,
          );
        }
        return ok(await c.putConfig(input, { version: expect?.version, overwrite: expect?.overwrite }));
      });
    },
    exportHar: (options) => {
      if (!optionalObject(options)) return refuse('BAD_REQUEST', 'the options must be an object');
      const session = options?.session;
      if (session !== undefined && !isSessionId(session))
        return refuse('BAD_REQUEST', '"session" must be a positive integer');
      return withController((c) => {
        const har = c.exportHar(session === undefined ? {} : { session });
        return har ? ok(har) : refuse('NOT_FOUND', `session ${session} is not in the log`);
      });
    },
    // Not through withController: opening another config is how a user gets out of a failed start.
    openConfig: (request) => {
      const checked = openConfigPath(request);
      if ('ok' in checked) return checked;
      if (!source.openProject)
        return refuse('NOT_SUPPORTED', 'this Loopgate runs one fixed config and cannot open another');
      return source.openProject(checked.path);
    },
    subscribe: () => refuse('INTERNAL', 'handled below'),
  };
  const table = Object.fromEntries(
    BRIDGE_METHODS.map((m) => [m, special[m] ?? fromTable(m, withController)]),
  ) as Record<BridgeMethod, (...args: unknown[]) => Reply | Promise<Reply>>;
  const handlers = {} as Record<BridgeMethod, Handler>;
  for (const method of BRIDGE_METHODS) {
    handlers[method] = async (event, ...args) => {
      if (!isTrustedSender(event)) {
        throw new Error(
          `FORBIDDEN: ${method} may only be called by Loopgate's own window (sender ${String(event?.senderFrame?.url ?? 'unknown')})`,
        );
      }
      if (method === 'subscribe') {
        const on = (args[0] as { on?: unknown } | undefined)?.on;
        if (typeof on !== 'boolean') return refuse('BAD_REQUEST', 'subscribe expects {"on": true|false}');
        forwarder.set(event.sender, on);
        return ok(on);
      }
      try {
        return await table[method](...args);
      } catch (err) {
        return refuse('INTERNAL', `${method} failed: ${(err as Error)?.message ?? String(err)}`);
      }
    };
  }
  return handlers;
}

/** What each argument kind of API_METHODS must be, checked before the Controller is called. */
const ARG_CHECKS: Record<ApiArg, { ok: (v: unknown) => boolean; message: string } | null> = {
  id: { ok: isSessionId, message: 'the session id must be a positive integer' },
  query: { ok: optionalObject, message: 'the query must be an object' },
  options: { ok: optionalObject, message: 'the options must be an object' },
  body: null,
  local: null,
};

/** A method's handler from its line in API_METHODS: checked arguments in, the Controller's answer out. */
function fromTable(
  method: BridgeMethod,
  withController: (fn: (c: Controller) => Reply | Promise<Reply>) => Promise<Reply>,
): (...args: unknown[]) => Reply | Promise<Reply> {
  const spec: ApiMethod = API_METHODS[method];
  return (...args) => {
    for (const [i, kind] of spec.args.entries()) {
      const check = ARG_CHECKS[kind];
      if (check && !check.ok(args[i])) return refuse('BAD_REQUEST', check.message);
    }
    return withController(async (c) => {
      const result = await (c[method as keyof Controller] as (...a: unknown[]) => unknown).apply(
        c,
        args.slice(0, spec.args.length),
      );
      // A refusal where the bridge promises a value rejects; an outcome's refusal is its answer.
      return spec.answer === 'value' || spec.answer === 'found' ? pageOrRefusal(result) : ok(result);
    });
  };
}

/** Register every handler on ipcMain; returns the function that removes them. */
export function registerHandlers(ipcMain: IpcMainLike, handlers: Record<BridgeMethod, Handler>): () => void {
  for (const method of BRIDGE_METHODS) ipcMain.handle(channelOf(method), handlers[method]);
  return () => {
    for (const method of BRIDGE_METHODS) ipcMain.removeHandler(channelOf(method));
  };
}

/**
 * Forwards the log's event batches to the pages that subscribed, one Controller subscription per
 * page. When the Controller changes (another config), pages are told to refetch (a "cleared" event)
 * and keep receiving from the new one.
 */
export class EventForwarder {
  readonly #source: ControllerSource;
  readonly #pages = new Map<number, { wc: WebContentsLike; stop: (() => void) | null }>();
  readonly #channel: string;

  constructor(source: ControllerSource, channel: string) {
    this.#source = source;
    this.#channel = channel;
    source.onControllerChange(() => this.#resubscribeAll());
  }

  get size(): number {
    return this.#pages.size;
  }

  set(wc: WebContentsLike, on: boolean): void {
    const page = this.#pages.get(wc.id);
    if (!on) {
      page?.stop?.();
      this.#pages.delete(wc.id);
      return;
    }
    if (page) return;
    const entry = { wc, stop: this.#subscribe(wc) };
    this.#pages.set(wc.id, entry);
    wc.once('destroyed', () => {
      if (this.#pages.get(wc.id) === entry) this.set(wc, false);
    });
  }

  close(): void {
    for (const p of this.#pages.values()) p.stop?.();
    this.#pages.clear();
  }

  #subscribe(wc: WebContentsLike): (() => void) | null {
    const c = this.#source.controller();
    if (!c) return null;
    return c.subscribe((batch: StreamEvent[]) => {
      if (wc.isDestroyed()) return;
      try {
        wc.send(this.#channel, batch);
      } catch {
        /* the page is going away */
      }
    });
  }

  #resubscribeAll(): void {
    for (const page of this.#pages.values()) {
      page.stop?.();
      page.stop = this.#subscribe(page.wc);
      if (!page.wc.isDestroyed()) page.wc.send(this.#channel, [{ type: 'cleared' }] satisfies StreamEvent[]);
    }
  }
}
