// nginx `expires` values and the headers they add to static answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExpires } from '../../../shared/units.ts';
import { expiresHeaders } from '../../../main/engine/static/expires.ts';

test('expires values parse with nginx units (y = 365d, M = 30d, m = minutes), and refuse the rest', () => {
  assert.deepEqual(parseExpires('1y'), { kind: 'seconds', seconds: 31_536_000 });
  assert.deepEqual(parseExpires('1M'), { kind: 'seconds', seconds: 2_592_000 });
  assert.deepEqual(parseExpires('5m'), { kind: 'seconds', seconds: 300 });
  assert.deepEqual(parseExpires('-1'), { kind: 'seconds', seconds: -1 });
  assert.deepEqual(parseExpires('1h 30m'), { kind: 'seconds', seconds: 5400 });
  assert.deepEqual(parseExpires('epoch'), { kind: 'epoch' });
  assert.equal(parseExpires('$expires'), undefined);
  assert.equal(parseExpires('soon'), undefined);
});

test('expires adds Expires and Cache-Control on the statuses nginx adds them to', () => {
  const now = Date.UTC(2026, 0, 1);
  assert.deepEqual(expiresHeaders({ kind: 'seconds', seconds: 60 }, 200, now), [
    ['Expires', 'Thu, 01 Jan 2026 00:01:00 GMT'],
    ['Cache-Control', 'max-age=60'],
  ]);
  assert.deepEqual(expiresHeaders({ kind: 'seconds', seconds: -1 }, 200, now)[1], ['Cache-Control', 'no-cache']);
  assert.deepEqual(expiresHeaders({ kind: 'max' }, 304, now)[1], ['Cache-Control', 'max-age=315360000']);
  assert.deepEqual(expiresHeaders({ kind: 'seconds', seconds: 60 }, 404, now), []);
  assert.deepEqual(expiresHeaders({ kind: 'off' }, 200, now), []);
});
