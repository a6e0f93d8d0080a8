// nginx upstream round robin: a route with servers hands out its backends in turn, the target's first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RouteSchema } from '../../shared/config.ts';
import { takeTurn } from '../../main/engine/router.ts';
import { compileRoute, DEFAULTS } from '../../main/engine/snapshot.ts';

test('servers are taken in turn, each with its own target and everything else alike', () => {
  const route = compileRoute(
    RouteSchema.parse({
      match: '/api/',
      target: 'http://127.0.0.1:9001/v1/',
      servers: ['127.0.0.1:9002', 'b.test:80'],
    }),
    0,
    { timeouts: DEFAULTS.timeouts, maxBodySize: DEFAULTS.maxBodySize, cors: undefined },
  );
  const hosts = Array.from({ length: 4 }, () => takeTurn(route).target.href);
  assert.deepEqual(hosts, [
    'http://127.0.0.1:9001/v1/',
    'http://127.0.0.1:9002/v1/',
    'http://b.test/v1/',
    'http://127.0.0.1:9001/v1/',
  ]);
  assert.equal(takeTurn(route).targetPath, '/v1/');
  assert.equal(RouteSchema.safeParse({ match: '/', target: 'http://a', servers: ['no-port'] }).success, false);
});
