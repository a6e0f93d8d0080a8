// The nginx variables of proxied request headers: $host is not $http_host, nor $host:$server_port, nor $server_name.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { expandVariables, hasRequestVariable, hostName } from '../../../main/engine/http/variables.ts';
import type { CompiledRoute } from '../../../main/engine/types.ts';

const req = {
  headers: { host: 'App.Local:8080' },
  url: '/api/x?y=1',
  socket: { localPort: 8080, remoteAddress: '127.0.0.1' },
} as unknown as IncomingMessage;
const route = { target: new URL('http://127.0.0.1:5000/v2/') } as CompiledRoute;

test('each variable as nginx fills it in; unknown ones stay as written', () => {
  assert.equal(expandVariables('$host', req, route), 'app.local');
  assert.equal(expandVariables('$http_host', req, route), 'App.Local:8080');
  assert.equal(expandVariables('$host:$server_port', req, route), 'app.local:8080');
  assert.equal(expandVariables('${host}', req, route), 'app.local');
  assert.equal(expandVariables('$proxy_host', req, route), '127.0.0.1:5000');
  assert.equal(expandVariables('$scheme://$host$request_uri', req, route), 'http://app.local/api/x?y=1');
  assert.equal(expandVariables('$request_id', req, route), '$request_id');
  assert.equal(hasRequestVariable('staging'), false);
  assert.equal(hasRequestVariable('$request_id'), false);
  assert.equal(hasRequestVariable('$host'), true);
  assert.equal(hostName('[::1]:8080'), '[::1]');
  assert.equal(hostName(undefined), undefined);
});
