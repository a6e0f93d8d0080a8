// Network conditions on a route's HTTP answers: latency (± jitter) before the first byte, failures by rule (502).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FullConditions } from '../../../shared/effective.ts';
import type { ErrorInfo } from '../../../shared/events.ts';
import { routeErrorHeaders } from '../cors.ts';
import { sendError } from '../errors.ts';
import type { CompiledRoute } from '../types.ts';

/** ms to hold this request: latency, moved by up to ± jitter at random (as netem's delay), never below 0. */
export function delayOf(c: FullConditions): number {
  const spread = c.jitter ? (Math.random() * 2 - 1) * c.jitter : 0;
  return Math.max(0, Math.round(c.latency + spread));
}

/** Does this request fail by rule (conditions.failRate)? */
export function failsByRule(c: FullConditions): boolean {
  return c.failRate > 0 && Math.random() < c.failRate;
}

/** The record's error for a request failed by rule: the route and the rate, so nobody blames the backend. */
export function failedByRule(route: CompiledRoute): ErrorInfo {
  return {
    code: 'FAILED_BY_RULE',
    side: 'loopgate',
    message: `failed by rule: conditions.failRate ${route.conditions?.failRate ?? 0} on route ${route.label} (the backend was not called)`,
  };
}

/** Answer 502 "failed by rule" with the route's CORS and add_header headers, the body unread. */
export function answerFailed(req: IncomingMessage, res: ServerResponse, route: CompiledRoute): void {
  req.resume();
  sendError(res, 502, failedByRule(route).message, routeErrorHeaders(route, req));
}
