// The loopgate.json schema: units, field errors that name the field, cross-field rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitMatch, targetHasPath, validateConfig } from '../../shared/config.ts';
import { formatDuration, formatSize, parseDuration, parseSize } from '../../shared/units.ts';

test('nginx size units', () => {
  assert.equal(parseSize('15m'), 15 * 1024 * 1024);
  assert.equal(parseSize('512K'), 512 * 1024);
  assert.equal(parseSize('1g'), 1024 ** 3);
  assert.equal(parseSize(100), 100);
  assert.equal(parseSize('0'), 0);
  assert.equal(parseSize('15 mb'), undefined);
  assert.equal(parseSize(-1), undefined);
  assert.equal(formatSize(15 * 1024 * 1024), '15m');
  assert.equal(formatSize(1000), '1000');
});

test('nginx time units', () => {
  assert.equal(parseDuration(90), 90_000);
  assert.equal(parseDuration('90'), 90_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1h 30m'), 5_400_000);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('soon'), undefined);
  assert.equal(parseDuration(''), undefined);
  assert.equal(formatDuration(120_000), '2m');
  assert.equal(formatDuration(90_000), '90s');
  assert.equal(formatDuration(250), '250ms');
});

test('a valid config normalizes units', () => {
  const r = validateConfig({
    maxBodySize: '15m',
    timeouts: { connect: 90, send: '120s', read: '2m' },
    routes: [{ match: '/api', target: 'http://localhost:8888/api', ws: true }],
  });
  assert.ok(r.ok);
  assert.equal(r.config.maxBodySize, 15 * 1024 * 1024);
  assert.deepEqual(r.config.timeouts, { connect: 90_000, send: 120_000, read: 120_000 });
});

test('errors name the field and the problem', () => {
  const r = validateConfig({
    maxBodySize: '15 megs',
    listen: { port: 70000 },
    routes: [
      { match: 'api', target: 'localhost:8888' },
      { match: '~ (', target: 'http://h' },
      { match: '~ ^/x', target: 'http://h/path' },
    ],
    colour: 'blue',
  });
  assert.ok(!r.ok);
  const paths = r.errors.map((e) => e.path);
  assert.ok(paths.includes('maxBodySize'), JSON.stringify(r.errors));
  assert.ok(paths.includes('listen.port'));
  assert.ok(
    r.errors.some((e) => e.message.includes('colour')),
    'unknown keys are named',
  );
});

test('route cross-checks: match form, target URL, regex with a URI part', () => {
  const r = validateConfig({
    routes: [
      { match: 'api', target: 'localhost:8888' },
      { match: '~ (', target: 'http://h' },
      { match: '~ ^/x', target: 'http://h/path' },
    ],
  });
  assert.ok(!r.ok);
  const byPath = Object.fromEntries(r.errors.map((e) => [e.path, e.message]));
  assert.match(byPath['routes.0.match']!, /must start with "\/"/);
  assert.match(byPath['routes.0.target']!, /not a URL/);
  assert.match(byPath['routes.1.match']!, /invalid regular expression/);
  assert.match(byPath['routes.2.target']!, /regex route cannot have a path/);
});

test('activeProfile must name a profile', () => {
  const r = validateConfig({ activeProfile: 'staging', profiles: { local: { routes: [] } } });
  assert.ok(!r.ok);
  assert.equal(r.errors[0]!.path, 'activeProfile');
});

test('match modifiers and proxy_pass URI parts', () => {
  assert.deepEqual(splitMatch('= /x'), { modifier: '=', pattern: '/x' });
  assert.deepEqual(splitMatch('^~ /static/'), { modifier: '^~', pattern: '/static/' });
  assert.deepEqual(splitMatch('~* \\.png$'), { modifier: '~*', pattern: '\\.png$' });
  assert.deepEqual(splitMatch('/api'), { modifier: '', pattern: '/api' });
  assert.equal(targetHasPath('http://h:1'), false);
  assert.equal(targetHasPath('http://h:1/'), true);
  assert.equal(targetHasPath('http://h:1/api'), true);
});
