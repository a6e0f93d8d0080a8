// When a failed upstream request is tried once more on a fresh connection (nginx's retry after an error on a cached keep-alive connection).
//
// nginx (ngx_http_upstream_next): an error on a cached keep-alive connection does not use up a try,
// so the request goes again, unless it is non-idempotent (POST, LOCK, PATCH: proxy_next_upstream
// has no non_idempotent by default), its body cannot be sent again (request_body_no_buffering), or
// the answer has reached the client. Timeouts are not treated this way.
//
// undici does not tell a dispatch handler which connection its request went on, nor whether it was
// reused (onRequestStart gets an abort controller only; ECONNRESET and EPIPE arrive as plain socket
// errors). So the rule here stands in for "the connection was cached" with "the request had been
// handed to an open connection and that connection failed before any response byte": a connect
// error (refused, DNS, connect timeout, TLS) never gets that far and is never retried. The cost of
// not knowing: a backend that kills even fresh connections sees an idempotent request twice.

/** RFC 9110 idempotent methods (nginx retries any method but POST, LOCK and PATCH). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/**
 * What undici reports when the backend closed or reset the connection under a request:
 * UND_ERR_SOCKET "other side closed" (FIN), ECONNRESET (RST on read), EPIPE (RST, then a write).
 */
const CONNECTION_LOST = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

export interface RetryFacts {
  method: string;
  /** The request has a body (Content-Length above 0, or Transfer-Encoding). */
  hasBody: boolean;
  /** undici had handed the request to an open connection (onRequestStart). */
  onConnection: boolean;
  /** The backend answered something (even a 1xx) on this attempt. */
  answered: boolean;
  /** Anything was sent to the client. */
  clientSent: boolean;
  /** This attempt is already the retry. */
  retried: boolean;
}

/**
 * Should this failure be tried once more, on a connection of its own? Only a request without a
 * body is replayed: its bytes are all in the head, nothing was consumed from the client that would
 * have to be kept (an empty chunked body counts as a body: its end is not known in advance).
 */
export function shouldRetry(err: unknown, f: RetryFacts): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    CONNECTION_LOST.has(code) &&
    f.onConnection &&
    !f.answered &&
    !f.clientSent &&
    !f.retried &&
    !f.hasBody &&
    IDEMPOTENT.has(f.method)
  );
}

/** Appended to the error message of a request that failed again on its retry. */
export const RETRIED_NOTE = '(retried once on a fresh connection)';
