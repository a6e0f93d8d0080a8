// A matched HTTP route's stand-ins for the backend, in order: the conditions' delay, a failure by rule, a mock answer; else the proxy.
import type { Exchange } from '../types.ts';
import { answerFailed, delayOf, failedByRule, failsByRule } from './conditions.ts';
import { answerMock } from './respond.ts';

/**
 * Called only for routes with `respond` or `conditions`. `ownAnswer` starts the record of an answer
 * Loopgate sends itself; `forward` hands the request to the proxy (the record already published).
 */
export function standIn(ex: Exchange, ownAnswer: () => void, forward: () => void): void {
  const { req, res, route, record } = ex;
  const c = route.conditions;
  const ms = c ? delayOf(c) : 0;
  const go = () => {
    if (c && failsByRule(c)) {
      record.standIn = 'failed by rule';
      record.error = failedByRule(route);
      ownAnswer();
      return answerFailed(req, res, route);
    }
    if (route.respond) {
      record.standIn = 'mocked';
      ownAnswer();
      return answerMock(req, res, route);
    }
    if (ms > 0) record.standIn = 'delayed';
    forward();
  };
  if (ms <= 0) return go();
  ex.recorder.http(record);
  const timer = setTimeout(() => {
    res.off('close', gone);
    go();
  }, ms);
  // The client left while the request was held: nothing more to send, the record says so.
  const gone = () => {
    clearTimeout(timer);
    record.done = true;
    record.standIn = 'delayed';
    record.timings.end = Date.now() - record.startedAt;
    record.error = {
      code: 'CLIENT_ABORTED',
      side: 'client',
      message: `client closed the connection while conditions.latency held the request (${ms} ms)`,
    };
    ex.recorder.http(record);
  };
  res.once('close', gone);
}
