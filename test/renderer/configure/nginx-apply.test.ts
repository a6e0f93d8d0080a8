// How an imported nginx site lands in the config: Apply replaces site settings and routes, Add as profile adds routes only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig, type ConfigInput } from '../../../shared/config.ts';
import {
  addProfile,
  applySite,
  freeProfileName,
  listenText,
  siteSummary,
} from '../../../renderer/configure/nginx-apply.ts';

const current: ConfigInput = {
  $schema: './loopgate.schema.json',
  listen: { host: '127.0.0.1', port: 8080 },
  root: 'dist',
  spa: true,
  cors: { enabled: true },
  inspect: { bodyBytes: '128k' },
  routes: [{ match: '/old', target: 'http://127.0.0.1:1' }],
  profiles: { staging: { routes: [{ match: '/api', target: 'https://staging.example.com/' }] } },
  activeProfile: 'staging',
};
const site: ConfigInput = {
  listen: { port: 80 },
  root: '/srv/app/dist',
  maxBodySize: '15m',
  timeouts: { read: '2m' },
  routes: [{ match: '/api', target: 'http://localhost:8888/api', ws: true }],
};

test('applySite: the site replaces settings and routes; listen, inspect, profiles and $schema stay; the imported routes become active', () => {
  const next = applySite(current, site);
  assert.deepEqual(next, {
    $schema: './loopgate.schema.json',
    listen: { host: '127.0.0.1', port: 8080 },
    root: '/srv/app/dist',
    maxBodySize: '15m',
    timeouts: { read: '2m' },
    routes: [{ match: '/api', target: 'http://localhost:8888/api', ws: true }],
    inspect: { bodyBytes: '128k' },
    profiles: current.profiles,
  });
  assert.ok(validateConfig(next).ok);
  assert.deepEqual(applySite(current, site, { useListen: true }).listen, { port: 80 });
  assert.deepEqual(applySite({}, { routes: [] }, { useListen: true }), { routes: [] });
  // Nothing shared with the import result: editing the draft later cannot change it.
  next.routes![0]!.target = 'http://changed';
  assert.equal(site.routes![0]!.target, 'http://localhost:8888/api');
});

test('addProfile adds the routes only; freeProfileName never overwrites one', () => {
  const next = addProfile(current, 'prod', site);
  assert.deepEqual(Object.keys(next.profiles!), ['staging', 'prod']);
  assert.deepEqual(next.profiles!.prod, { routes: site.routes });
  assert.equal(next.root, 'dist');
  assert.equal(next.activeProfile, 'staging');
  assert.ok(validateConfig(next).ok);
  assert.deepEqual(addProfile({}, 'x', {}).profiles, { x: { routes: [] } });
  assert.equal(freeProfileName('prod', current), 'prod');
  assert.equal(freeProfileName('staging', current), 'staging (2)');
  assert.equal(freeProfileName('staging', addProfile(current, 'staging (2)', site)), 'staging (3)');
  assert.equal(freeProfileName('  ', current), 'imported');
});

test('listenText and siteSummary', () => {
  assert.equal(listenText(undefined), null);
  assert.equal(listenText({ port: 80 }), ':80');
  assert.equal(listenText({ host: '127.0.0.1', port: 8081 }), '127.0.0.1:8081');
  assert.deepEqual(siteSummary(site), ['root /srv/app/dist', 'body ≤ 15m', 'timeouts: read 2m']);
  assert.deepEqual(siteSummary({ timeouts: { connect: '5s', clientBody: '30s', clientSend: '2m' } }), [
    'timeouts: connect 5s, client body 30s, client send 2m',
  ]);
  assert.deepEqual(siteSummary({ spa: false, cors: { enabled: true }, allowedHosts: ['app.test'] }), [
    'no SPA fallback',
    'CORS on',
    'hosts app.test',
  ]);
});
