// Breakpoints (issue #17): what the control API and the UI exchange about stopping traffic and what is held now.

export type BreakAt = 'request' | 'response' | 'message';

export interface BreakpointMatch {
  /** Route label (its name, else its match). */
  route?: string;
  /** HTTP method, any case. */
  method?: string;
  /** Path prefix, or "/regex/" (checked for ReDoS as route regexes are). */
  path?: string;
  /** WebSocket messages only. */
  direction?: 'to-backend' | 'to-client';
  /** "/regex/" or plain text found in a WebSocket message's text. */
  text?: string;
}

/** What POST /api/breakpoints takes. */
export interface BreakpointInput {
  match?: BreakpointMatch;
  at: BreakAt;
}

export interface Breakpoint {
  id: number;
  match: BreakpointMatch;
  at: BreakAt;
}

/** One request (or response) held by a breakpoint, as GET /api/paused shows it. */
export interface Paused {
  id: number;
  at: BreakAt;
  /** The breakpoint's id. */
  breakpoint: number;
  requestId: number;
  method: string;
  url: string;
  /** Response stage only. */
  status?: number;
  headers: Record<string, string | string[]>;
  /** The body as UTF-8 text, or base64 when it is not valid UTF-8. */
  text?: string;
  base64?: string;
  pausedAt: number;
}

/** Edits of POST /api/paused/:id/continue (all optional) and the answer of /respond (status required). */
export interface PausedEdits {
  method?: string;
  url?: string;
  status?: number;
  headers?: Record<string, string | string[]>;
  text?: string;
  base64?: string;
}

/** How a paused entry ended; the HttpRecord keeps the same word (shared/events.ts `intervened`). */
export type Resolution = 'continued' | 'edited' | 'answered' | 'dropped';
