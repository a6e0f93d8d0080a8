// The HTTP proxy (nginx proxy_pass for plain HTTP): streams one routed request to its backend over undici and back.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ErrorInfo } from '../../../shared/events.ts';
import { CLIENT_ABORTED, describeBodyTooLarge, describeClientTimeout, describeUpstreamError } from '../errors.ts';
import { buildRequestHeaders } from './headers.ts';
import { Capture, headersFromList } from '../log/capture.ts';
import { answerBug, answerError, finishRecord, noteBodyTimeout, writeResponseHead } from './response.ts';
import { RETRIED_NOTE, shouldRetry } from './retry.ts';
import { IdleTimer, lingerOn } from './timers.ts';
import { SendWatch } from '../send-watch.ts';
import type { CompiledRoute, Exchange } from '../types.ts';
import { UpstreamPools } from './upstream.ts';
import type { Breakpoints } from '../steps/breakpoints.ts';
import { ResponseHold } from '../steps/pause-response.ts';

const noop = () => {};

export class HttpProxy {
  #pools = new UpstreamPools();
  /** The engine's breakpoints: response-stage ones are looked for while there are any (issue #17). */
  breakpoints: Breakpoints | null = null;

  constructor() {}

  /** Proxy one routed request (Exchange from main/engine/types.ts) and fill its HttpRecord; never throws. */
  handle(ex: Exchange): void {
    try {
      new ProxyCall(ex, this.#pools, this.breakpoints?.size ? this.breakpoints : null).start();
    } catch (err) {
      answerBug(ex, err);
    }
  }

  /** Close all upstream pools (engine stop). */
  close(): Promise<void> {
    return this.#pools.close();
  }
}

type State = 'waiting' | 'streaming' | 'done';

/** Where the shared request/response listeners find their call (see ProxyCall's static listeners). */
const CALL = Symbol('loopgate.proxy.call');
type Tagged = { [CALL]?: ProxyCall };

/** One request through the proxy; also the undici dispatch handler for it. */
class ProxyCall implements Dispatcher.DispatchHandler {
  readonly #ex: Exchange;
  readonly #pools: UpstreamPools;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #route: CompiledRoute;
  #state: State = 'waiting';
  #controller: Dispatcher.DispatchController | null = null;
  /** Set when the upstream request must be aborted but undici has not handed us a controller yet. */
  #abortReason: Error | null = null;
  /** The request body as undici reads it (null without a body). */
  #body: Readable | null = null;
  /** What was dispatched, kept for a retry (proxy-retry.ts). */
  #dispatched: Dispatcher.DispatchOptions | null = null;
  #host: string | undefined;
  /** undici handed the current attempt to an open connection. */
  #connected = false;
  /** The backend answered something (even a 1xx) on the current attempt. */
  #answered = false;
  #retried = false;
  #sendTimer: NodeJS.Timeout | null = null;
  /** Our own read timer (short read timeouts only, see proxy-timers.ts). */
  #readTimer: IdleTimer<ProxyCall> | null = null;
  /** nginx client_body_timeout: runs while we wait for the client's next body bytes. */
  #bodyTimer: IdleTimer<ProxyCall> | null = null;
  /** nginx send_timeout: made at the first backpressure from the client. */
  #sendWatch: SendWatch<ProxyCall> | null = null;
  /** Reading from the backend is paused because the client is slow: the read timeout waits. */
  #paused = false;
  #drainHooked = false;
  #bytesIn = 0;
  #bytesOut = 0;
  #reqCapture: Capture | null = null;
  #resCapture: Capture | null = null;
  /** Breakpoints with any in them (else null: nothing is looked up). */
  #breakpoints: Breakpoints | null;
  /** A response breakpoint holds this answer: its body is buffered, not streamed. */
  #hold: ResponseHold | null = null;

  constructor(ex: Exchange, pools: UpstreamPools, breakpoints: Breakpoints | null) {
    this.#breakpoints = breakpoints;
    this.#ex = ex;
    this.#pools = pools;
    this.#req = ex.req;
    this.#res = ex.res;
    this.#route = ex.route;
  }

  start(): void {
    const req = this.#req;
    const res = this.#res;
    const route = this.#route;
    req.on('error', noop);
    (this.#res as Tagged)[CALL] = this;
    this.#res.on('close', ProxyCall.#onResClose);
    const cl = req.headers['content-length'];
    const limit = route.maxBodySize;
    if (limit > 0 && cl !== undefined && Number(cl) > limit) {
      // client_max_body_size: refused before any upstream connection.
      this.#tooLarge();
      return;
    }
    try {
      const host = (this.#host = route.changeOrigin ? route.target.host : req.headers.host);
      const pool = this.#pools.get(route, host);
      const hasBody = req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
      if (hasBody) this.#body = this.#bodyStream();
      const read = route.timeouts.read;
      this.#readTimer = IdleTimer.forRead<ProxyCall>(read, ProxyCall.#onReadTimeout, this);
      const undiciRead = this.#readTimer ? 0 : read;
      const headers = buildRequestHeaders(req, route);
      // What the backend gets (Host, X-Real-IP, X-Forwarded-*, rewritten Origin), beside what the client sent.
      this.#ex.record.upstreamHeaders = headersFromList(headers);
      if (req.headers.expect !== undefined && /^100-continue$/i.test(String(req.headers.expect))) {
        // The listener left 100 Continue to us (checkContinue): the body is wanted now.
        if (!res.headersSent) res.writeContinue();
      }
      this.#dispatched = {
        path: this.#ex.upstreamPath,
        method: req.method ?? 'GET',
        headers,
        body: this.#body,
        headersTimeout: undiciRead,
        bodyTimeout: undiciRead,
      };
      // Invalid options make undici call onResponseError synchronously; it does not throw.
      pool.dispatch(this.#dispatched, this);
    } catch (err) {
      const { status, error } = describeUpstreamError(err, route.target.origin);
      this.#fail(status, { ...error, side: 'loopgate' }, true);
    }
  }

  /**
   * The request body, relayed through a Readable of our own so that undici never touches (or
   * destroys) the client's request: we count it against maxBodySize, keep the first bytes, and
   * see backpressure from the backend for the send timeout.
   */
  #bodyStream(): Readable {
    const req = this.#req;
    const body = new Readable({
      read: () => {
        // The backend side took data: the send timeout restarts, the client may send more.
        this.#clearSendTimer();
        if (this.#state === 'done') return;
        req.resume();
        if (!req.complete) this.#bodyTimer?.arm();
      },
    });
    this.#bodyTimer = IdleTimer.of<ProxyCall>(this.#route.timeouts.clientBody, ProxyCall.#onBodyTimeout, this);
    if (!req.complete) this.#bodyTimer?.arm();
    body.on('error', noop);
    body.on('end', () => {
      this.#clearSendTimer();
      // The whole request is sent: the read timeout starts (nginx proxy_read_timeout).
      this.#armReadTimer();
    });
    (req as Tagged)[CALL] = this;
    req.on('data', ProxyCall.#onReqData);
    req.once('end', () => {
      this.#bodyTimer?.clear();
      if (this.#state !== 'done') body.push(null);
    });
    return body;
  }

  // Listeners shared by every call (no closures per request); `this` is the request or the response.
  static #onReqData(this: IncomingMessage, chunk: Buffer): void {
    const call = (this as Tagged)[CALL];
    if (call) call.#onRequestData(chunk);
  }

  static #onResClose(this: ServerResponse): void {
    const call = (this as Tagged)[CALL];
    if (call) call.#onClientClose();
  }

  #onRequestData(chunk: Buffer): void {
    if (this.#state === 'done') return;
    this.#bytesIn += chunk.length;
    const limit = this.#route.maxBodySize;
    if (limit > 0 && this.#bytesIn > limit) {
      this.#tooLarge();
      return;
    }
    const keep = this.#ex.snapshot.inspect.bodyBytes;
    if (keep > 0) (this.#reqCapture ??= new Capture(keep)).add(chunk);
    if (this.#body!.push(chunk)) {
      this.#bodyTimer?.arm();
    } else {
      // The backend is the slow side now: the send timeout runs, not the client's body timeout.
      this.#req.pause();
      this.#bodyTimer?.clear();
      this.#armSendTimer();
    }
  }

  #armSendTimer(): void {
    if (!this.#connected || this.#sendTimer || this.#state === 'done') return;
    this.#sendTimer = setTimeout(() => {
      this.#sendTimer = null;
      const { status, error } = describeUpstreamError({ code: 'SEND_TIMEOUT' }, this.#route.target.origin);
      this.#fail(status, error, true);
    }, this.#route.timeouts.send);
  }

  #clearSendTimer(): void {
    if (this.#sendTimer) {
      clearTimeout(this.#sendTimer);
      this.#sendTimer = null;
    }
  }

  /** Start (or restart) our read timer, when we run it ourselves. */
  #armReadTimer(): void {
    if (this.#state !== 'done') this.#readTimer?.arm();
  }

  /** client_body_timeout: like nginx, the connection is closed without an answer (logged as 408). */
  static #onBodyTimeout(call: ProxyCall): void {
    if (call.#state === 'done') return;
    call.#state = 'done';
    call.#clearSendTimer();
    call.#abortUpstream(noteBodyTimeout(call.#ex));
    call.#req.off('data', ProxyCall.#onReqData);
    call.#res.destroy();
    call.#record();
  }

  /** send_timeout: the client took none of the waiting bytes; both sides are cut. */
  static #onSendStall(call: ProxyCall): void {
    // After the whole answer was handed over there is nothing to abort: the connection goes.
    if (call.#state === 'done') return void call.#res.destroy();
    call.#fail(408, describeClientTimeout('send', call.#route.timeouts.clientSend), true);
  }

  static #onReadTimeout(call: ProxyCall): void {
    if (call.#state === 'done') return;
    // A client too slow to take the answer is not a backend that went quiet.
    if (call.#paused) return call.#armReadTimer();
    const code = call.#state === 'streaming' ? 'UND_ERR_BODY_TIMEOUT' : 'UND_ERR_HEADERS_TIMEOUT';
    const controller = call.#controller;
    if (controller && !controller.aborted) {
      // As undici does with its own timers: the request is aborted (the backend connection
      // closed), and the answer follows from onResponseError.
      controller.abort(Object.assign(new Error('backend sent nothing within the read timeout'), { code }));
      return;
    }
    const { status, error } = describeUpstreamError({ code }, call.#route.target.origin);
    call.#fail(status, error, true);
  }

  // ---- undici handler ----

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#abortReason) {
      controller.abort(this.#abortReason);
      return;
    }
    this.#connected = true;
    if (this.#body && this.#req.isPaused() && !this.#req.complete) this.#armSendTimer();
    if (!this.#body) this.#armReadTimer();
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (this.#state !== 'waiting') return;
    this.#answered = true;
    this.#armReadTimer();
    if (statusCode < 200) return;
    const ex = this.#ex;
    const bp = this.#breakpoints && this.#matchResponse();
    if (bp) {
      this.#hold = new ResponseHold(this.#breakpoints!, bp, statusCode, headers, statusMessage);
      this.#state = 'streaming';
      return;
    }
    const refused = writeResponseHead(ex, statusCode, headers, statusMessage);
    if (refused !== null) {
      const message = `backend sent a response node cannot relay (${refused}) (${ex.route.target.origin})`;
      this.#fail(502, { code: 'BAD_RESPONSE', side: 'backend', message }, true);
      return;
    }
    this.#state = 'streaming';
    ex.recorder.http(ex.record);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#state !== 'streaming') return;
    this.#armReadTimer();
    if (this.#hold?.add(chunk)) return;
    if (this.#hold && !this.#unhold()) return;
    this.#bytesOut += chunk.length;
    const keep = this.#ex.snapshot.inspect.bodyBytes;
    if (keep > 0) (this.#resCapture ??= new Capture(keep)).add(chunk);
    if (!this.#res.write(chunk)) {
      // Backpressure: stop reading from the backend until the client has taken what we gave it.
      controller.pause();
      this.#paused = true;
      (this.#sendWatch ??= SendWatch.for<ProxyCall>(
        this.#res,
        this.#route.timeouts.clientSend,
        ProxyCall.#onSendStall,
        this,
      ))?.waiting();
      if (!this.#drainHooked) {
        this.#drainHooked = true;
        this.#res.on('drain', () => {
          this.#paused = false;
          this.#sendWatch?.clear();
          this.#armReadTimer();
          this.#controller?.resume();
        });
      }
    }
  }

  onResponseEnd(): void {
    if (this.#state !== 'streaming') return;
    if (this.#hold) return this.#pauseResponse();
    this.#state = 'done';
    this.#clearSendTimer();
    this.#res.end();
    this.#stopReadingRequest();
    this.#record();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.#state === 'done') return;
    if (this.#retry(err)) return;
    const { status, error } = describeUpstreamError(err, this.#route.target.origin);
    if (this.#retried) error.message = `${error.message} ${RETRIED_NOTE}`;
    this.#fail(status, error, false);
  }

  /**
   * A connection lost under a request before any answer, most often a keep-alive connection the
   * backend closed as the request went out: the request goes again, once, on a connection of its
   * own (rules in proxy-retry.ts). Returns false when it may not.
   */
  #retry(err: Error): boolean {
    const facts = {
      method: this.#dispatched?.method ?? '',
      hasBody: this.#body !== null,
      onConnection: this.#connected,
      answered: this.#answered,
      clientSent: this.#res.headersSent,
      retried: this.#retried,
    };
    if (this.#state !== 'waiting' || !this.#dispatched || !shouldRetry(err, facts)) return false;
    this.#retried = true;
    this.#ex.record.retried = true;
    this.#connected = false;
    this.#controller = null;
    this.#readTimer?.clear();
    this.#pools.dispatchFresh(this.#route, this.#host, this.#dispatched, this);
    return true;
  }

  // ---- response breakpoints (steps/pause-response.ts) ----

  #matchResponse() {
    const url = this.#req.url ?? '/';
    const q = url.indexOf('?');
    return this.#breakpoints!.match(
      'response',
      this.#route.label,
      this.#req.method ?? 'GET',
      q < 0 ? url : url.slice(0, q),
    );
  }

  /** Too big to hold: the head and what was kept go out, and the rest streams as usual. False if that failed. */
  #unhold(): boolean {
    const h = this.#hold!;
    this.#hold = null;
    const refused = writeResponseHead(this.#ex, h.status, h.headers, h.statusMessage);
    if (refused !== null) {
      this.#fail(
        502,
        { code: 'BAD_RESPONSE', side: 'backend', message: `backend sent a response node cannot relay (${refused})` },
        true,
      );
      return false;
    }
    this.#ex.recorder.http(this.#ex.record);
    for (const c of h.chunks) this.onResponseData(this.#controller!, c);
    return true;
  }

  /** The whole answer is here: the read timeout stops (held time is not the backend's), and the user decides. */
  #pauseResponse(): void {
    const h = this.#hold!;
    this.#readTimer?.clear();
    this.#clearSendTimer();
    h.pause(this.#ex.record, this.#req.method ?? 'GET', this.#req.url ?? '/', (answer) => {
      this.#hold = null;
      if (this.#state === 'done') return;
      if (answer === null) {
        const message = `dropped at breakpoint ${h.bp.id}`;
        return this.#fail(502, { code: 'BREAKPOINT_DROPPED', side: 'loopgate', message }, false);
      }
      const refused = writeResponseHead(this.#ex, answer.status, answer.headers, h.statusMessage);
      if (refused !== null) {
        const message = `the edited response cannot be sent (${refused})`;
        return this.#fail(502, { code: 'BAD_RESPONSE', side: 'loopgate', message }, false);
      }
      this.#bytesOut += answer.body.length;
      const keep = this.#ex.snapshot.inspect.bodyBytes;
      if (keep > 0 && answer.body.length > 0) (this.#resCapture = new Capture(keep)).add(answer.body);
      this.#state = 'done';
      this.#res.end(answer.body);
      this.#stopReadingRequest();
      this.#record();
    });
  }

  // ---- endings ----

  #onClientClose(): void {
    this.#sendWatch?.clear();
    this.#hold?.forget();
    if (this.#state === 'done') return;
    this.#state = 'done';
    this.#clearSendTimer();
    this.#ex.record.error = { ...CLIENT_ABORTED };
    this.#abortUpstream(new Error('client closed the connection'));
    this.#record();
  }

  /** client_max_body_size exceeded: 413 if the answer has not started, else both sides are cut. */
  #tooLarge(): void {
    this.#fail(413, describeBodyTooLarge(this.#route.maxBodySize, this.#route.label), true);
  }

  /** Answer with Loopgate's error (or cut the response if it already started) and record it. */
  #fail(status: number, error: ErrorInfo, abortUpstream: boolean): void {
    if (this.#state === 'done') return;
    this.#state = 'done';
    this.#clearSendTimer();
    const { route, record } = this.#ex;
    const message = error.code === 'BODY_TOO_LARGE' ? error.message : `route ${route.label}: ${error.message}`;
    record.error = { ...error, message };
    if (abortUpstream) this.#abortUpstream(Object.assign(new Error(message), { code: error.code }));
    else this.#body?.destroy();
    const own = answerError(this.#ex, status, message);
    if (own.size > 0) {
      this.#bytesOut += own.size;
      this.#resCapture = own.capture;
    }
    this.#stopReadingRequest();
    this.#record();
  }

  #abortUpstream(reason: Error): void {
    this.#body?.destroy(reason);
    if (this.#controller) {
      if (!this.#controller.aborted) this.#controller.abort(reason);
    } else {
      this.#abortReason = reason;
    }
  }

  /** The answer is decided: read and discard what the client still sends, for a bounded time. */
  #stopReadingRequest(): void {
    this.#req.off('data', ProxyCall.#onReqData);
    lingerOn(this.#req);
  }

  #record(): void {
    this.#readTimer?.clear();
    this.#bodyTimer?.clear();
    finishRecord(this.#ex, this.#bytesIn, this.#bytesOut, this.#reqCapture, this.#resCapture);
  }
}
