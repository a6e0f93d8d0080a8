// Resend marks (issue #17): the controller's resent request carries a one-off secret header; the listener strips it and marks the record.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HttpRecord } from '../../../shared/events.ts';

/** The header a resend carries: `<secret>:<ticket>`. Stripped from every request, never forwarded. */
export const RESEND_HEADER = 'x-loopgate-resend';

/** One resend on its way: which record it repeats, and (once the listener saw it) the new record's id. */
export interface ResendTicket {
  readonly from: number;
  /** The header value the controller sends. */
  readonly header: string;
  /** The new record's id, set when the listener takes the request. */
  recordId?: number;
}

export class ResendMarks {
  /** Random per engine: a client cannot forge a mark it never saw. */
  readonly #secret = randomBytes(18).toString('base64url');
  readonly #pending = new Map<string, ResendTicket>();
  #next = 0;

  /** A ticket for resending record `from`; forget it with done() once the answer is in. */
  issue(from: number): ResendTicket {
    const header = `${this.#secret}:${++this.#next}`;
    const ticket: ResendTicket = { from, header };
    this.#pending.set(header, ticket);
    return ticket;
  }

  done(ticket: ResendTicket): void {
    this.#pending.delete(ticket.header);
  }

  /**
   * Strip the mark from a request (headers and raw headers alike, so nothing forwards it) and return
   * its ticket when it is one of ours. A single property lookup for requests without it.
   */
  take(req: IncomingMessage): ResendTicket | null {
    const value = req.headers[RESEND_HEADER];
    if (value === undefined) return null;
    delete req.headers[RESEND_HEADER];
    const raw = req.rawHeaders;
    for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.toLowerCase() === RESEND_HEADER) raw.splice(i, 2);
    const ticket = typeof value === 'string' ? this.#pending.get(value) : undefined;
    if (!ticket || ticket.recordId !== undefined) return null;
    return ticket;
  }

  /** Mark the listener's new record as the resend of the ticket's record. */
  static claim(ticket: ResendTicket, record: HttpRecord): void {
    ticket.recordId = record.id;
    record.resentFrom = ticket.from;
  }
}
