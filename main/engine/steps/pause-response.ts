// Response-stage breakpoint step (issue #17): the backend's answer is buffered whole, held, then sent (edited) or dropped.
import type { Breakpoint } from '../../../shared/breakpoints.ts';
import type { HttpRecord } from '../../../shared/events.ts';
import { type Breakpoints, bodyView, editedBody, type Release } from './breakpoints.ts';

/** Largest answer held at a breakpoint; a bigger one streams on unheld (memory is not spent on a download). */
export const MAX_HELD_BYTES = 64 * 1024 * 1024;

type Head = Record<string, string | string[] | undefined>;

/** One backend answer being buffered for a response breakpoint (made by the proxy at its head). */
export class ResponseHold {
  readonly chunks: Buffer[] = [];
  size = 0;
  #pausedId = 0;
  #registry: Breakpoints;

  constructor(
    registry: Breakpoints,
    readonly bp: Breakpoint,
    readonly status: number,
    readonly headers: Head,
    readonly statusMessage: string | undefined,
  ) {
    this.#registry = registry;
  }

  /** Keep a body chunk; false once the answer is too big to hold (the caller streams it on). */
  add(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > MAX_HELD_BYTES) return false;
    this.chunks.push(chunk);
    return true;
  }

  /** The whole answer is here: hold it; `send` gets the (edited) answer, or null for drop. */
  pause(
    record: HttpRecord,
    method: string,
    url: string,
    send: (answer: { status: number; headers: Head; body: Buffer } | null) => void,
  ): void {
    const body = Buffer.concat(this.chunks);
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(this.headers)) if (v !== undefined) headers[k] = v;
    const release: Release = (action, edits) => {
      this.#pausedId = 0;
      record.breakpoint = this.bp.id;
      if (action === 'drop') {
        record.intervened = 'dropped';
        return send(null);
      }
      const changed = Object.keys(edits).length > 0;
      if (changed) record.intervened = 'edited';
      const out: Head = { ...(edits.headers ?? headers) };
      const next = editedBody(edits, body);
      if (changed) {
        // Content-Length follows the body sent; a re-framed body is no longer chunked.
        delete out['transfer-encoding'];
        out['content-length'] = String(next.length);
      }
      send({ status: edits.status ?? this.status, headers: out, body: next });
    };
    this.#pausedId = this.#registry.hold(
      {
        at: 'response',
        breakpoint: this.bp.id,
        requestId: record.id,
        method,
        url,
        status: this.status,
        headers,
        ...bodyView(body),
      },
      release,
    ).id;
  }

  /** The client went away while held. */
  forget(): void {
    if (this.#pausedId) this.#registry.forget(this.#pausedId);
    this.#pausedId = 0;
  }
}
