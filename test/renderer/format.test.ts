// The log's plain-language error lines: who failed, why, and which nginx setting to look at.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainHttpError } from '../../renderer/lib/format.ts';
import { httpRecord } from '../helpers/records.ts';

test('explainHttpError: no error → null; a known code adds the setting to look at; an unknown one only who and why', () => {
  assert.equal(explainHttpError(httpRecord(1)), null);
  const body = explainHttpError(
    httpRecord(2, {
      status: 408,
      error: { code: 'CLIENT_BODY_TIMEOUT', side: 'client', message: 'the client sent nothing for 60s' },
    }),
  );
  assert.match(
    body!,
    /^Who: .+ \(CLIENT_BODY_TIMEOUT\)\. Why: the client sent nothing for 60s\. .*client_body_timeout/,
  );
  const send = explainHttpError(
    httpRecord(3, {
      error: { code: 'CLIENT_SEND_TIMEOUT', side: 'client', message: 'the client took nothing for 60s' },
    }),
  );
  assert.match(send!, /send_timeout/);
  const read = explainHttpError(
    httpRecord(4, { status: 504, error: { code: 'READ_TIMEOUT', side: 'backend', message: 'quiet' } }),
  );
  assert.match(read!, /proxy_read_timeout/);
  assert.match(
    explainHttpError(httpRecord(5, { error: { code: 'SOMETHING_NEW', side: 'loopgate', message: 'odd' } }))!,
    /^Who: Loopgate \(SOMETHING_NEW\)\. Why: odd\.$/,
  );
});
