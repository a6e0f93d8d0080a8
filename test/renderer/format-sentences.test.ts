// The Watch view's explanations read as sentences: no "?." after a question, no "closed , no code".
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { SessionView } from '../../shared/api.ts';
import { describeUpstreamError } from '../../main/engine/errors.ts';
import { closeText, explainHttpError } from '../../renderer/lib/format.ts';
import { httpRecord, wsRecord } from '../helpers/records.ts';

it('explains a refused connection without doubled punctuation', () => {
  const { error } = describeUpstreamError({ code: 'ECONNREFUSED' }, 'http://127.0.0.1:9');
  const text = explainHttpError(httpRecord(1, { status: 502, error }))!;
  assert.doesNotMatch(text, /[?.!]\./);
  assert.match(text, /is it running\? Nothing listens at the target address/);
  const plain = explainHttpError(httpRecord(1, { error: { code: 'X', message: 'went away', side: 'backend' } }))!;
  assert.match(plain, /Why: went away\.$/);
});

it('says how a session closed, also when the record does not know', () => {
  const s = (extra: Partial<SessionView>) => wsRecord(1, { state: 'closed', ...extra }) as SessionView;
  assert.equal(closeText(s({ closedBy: 'client', closeCode: 1000 })), 'closed by the client (browser), 1000 Normal');
  assert.equal(closeText(s({ imported: true })), 'closed, the HAR does not say how');
  assert.equal(closeText(s({})), 'closed, no code');
});
