// Config draft edits (paths, pruning, profiles) and the mapping of the engine's error paths to fields.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig, type ConfigInput } from '../../../shared/config.ts';
import {
  FieldErrors,
  getIn,
  listFromText,
  moveItem,
  newRoute,
  numberOrText,
  routesOf,
  routesPath,
  setIn,
  unitOrText,
} from '../../../renderer/configure/draft.ts';

describe('setIn / getIn', () => {
  it('sets deep values without touching the original', () => {
    const a: ConfigInput = { routes: [{ match: '/a', target: 'http://h' }] };
    const b = setIn(a, ['routes', 0, 'timeouts', 'read'], '2m');
    assert.equal(getIn(b, ['routes', 0, 'timeouts', 'read']), '2m');
    assert.equal(getIn(a, ['routes', 0, 'timeouts']), undefined);
    assert.notEqual(a.routes, b.routes);
  });

  it('deletes on undefined and drops objects left empty, but keeps arrays', () => {
    const a: ConfigInput = { timeouts: { read: '1m' }, routes: [] };
    const b = setIn(a, ['timeouts', 'read'], undefined);
    assert.deepEqual(b, { routes: [] });
    const c = setIn({ timeouts: { read: '1m', send: 5 } } as ConfigInput, ['timeouts', 'read'], undefined);
    assert.deepEqual(c, { timeouts: { send: 5 } });
  });
});

describe('routes being edited', () => {
  it("are the active profile's when one is active", () => {
    const cfg: ConfigInput = {
      routes: [{ match: '/a', target: 'http://a' }],
      profiles: { staging: { routes: [{ match: '/s', target: 'http://s' }] } },
      activeProfile: 'staging',
    };
    assert.deepEqual(routesPath(cfg), ['profiles', 'staging', 'routes']);
    assert.equal(routesOf(cfg)[0]!.match, '/s');
    assert.deepEqual(routesPath({ ...cfg, activeProfile: undefined }), ['routes']);
  });

  it('a new route takes a free /api prefix and validates', () => {
    const r = newRoute([{ match: '/api/', target: 'http://x' }]);
    assert.equal(r.match, '/api2/');
    assert.ok(validateConfig({ routes: [r] }).ok);
  });

  it('moveItem reorders', () => {
    assert.deepEqual(moveItem(['a', 'b', 'c'], 2, 0), ['c', 'a', 'b']);
    assert.deepEqual(moveItem(['a', 'b'], 0, 5), ['a', 'b']);
  });
});

describe('field text', () => {
  it('keeps what does not parse as typed', () => {
    assert.equal(numberOrText('8080'), 8080);
    assert.equal(numberOrText('80a'), '80a');
    assert.equal(numberOrText('  '), undefined);
    assert.equal(unitOrText('90'), 90);
    assert.equal(unitOrText('90s'), '90s');
    assert.deepEqual(listFromText('a, b,'), ['a', 'b', '']);
  });
});

describe('FieldErrors', () => {
  it("maps the engine's paths to fields", () => {
    const r = validateConfig({
      timeouts: { read: 'soon' },
      listen: { port: '80a' },
      routes: [{ match: '/a', target: 'http://h', setHeaders: { 'bad name': 'x' } }],
    });
    assert.ok(!r.ok);
    const e = new FieldErrors(r.errors);
    assert.match(e.at(['timeouts', 'read']) ?? '', /"soon" is not a time/);
    assert.ok(e.at(['listen', 'port']));
    assert.equal(e.at(['routes', 0, 'setHeaders']), undefined);
    assert.equal(e.under(['routes', 0, 'setHeaders']).length, 1);
    assert.match(e.under(['routes', 0])[0]!, /^setHeaders\.bad name: /);
    assert.equal(e.size, r.errors.length);
  });

  it('cross-field errors land on the route field', () => {
    const r = validateConfig({ routes: [{ match: '/a', target: 'localhost:8080' }] });
    assert.ok(!r.ok);
    assert.match(new FieldErrors(r.errors).at(['routes', 0, 'target']) ?? '', /is not a URL/);
  });
});
