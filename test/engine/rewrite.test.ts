// nginx `rewrite ... break` before proxy_pass: the URI sent upstream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rewriteUri } from '../../main/engine/router.ts';

test('rewrite ... break: the first matching regex gives the URI sent upstream, query kept', () => {
  const rules = [{ regex: /\/api\/(.*)/, replacement: '/$1' }];
  assert.equal(rewriteUri(rules, '/api/users?id=7', '/api/users'), '/users?id=7');
  assert.equal(rewriteUri(rules, '/api', '/api'), null);
  assert.equal(rewriteUri([{ regex: /^\/(.*)$/, replacement: '/v2/$1?x=1' }], '/a?b=2', '/a'), '/v2/a?x=1&b=2');
  assert.equal(rewriteUri([{ regex: /^\/(.*)$/, replacement: '/v2/$1?' }], '/a?b=2', '/a'), '/v2/a');
});
