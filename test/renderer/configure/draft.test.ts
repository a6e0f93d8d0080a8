// Config draft edits (paths, pruning, profiles) and the mapping of the engine's error paths to fields.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig, type ConfigInput } from '../../../shared/config.ts';
import {
  draftProblem,
  FieldErrors,
  getIn,
  listFromText,
  moveItem,
  insertAt,
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

  it('a new route takes a free /api prefix and has no target: it cannot go live before the user writes one', () => {
    const existing = [{ match: '/api/', target: 'http://x' }];
    const r = newRoute(existing);
    assert.equal(r.match, '/api2/');
    assert.equal(r.target, '');
    assert.equal(validateConfig({ routes: [r] }).ok, false, 'a placeholder never validates');
    assert.match(draftProblem(r, existing) ?? '', /backend URL/);
    assert.match(draftProblem({ ...r, match: '/api/', target: 'http://h' }, existing) ?? '', /exists already/);
    assert.match(draftProblem({ ...r, target: 'localhost:8888' }, existing) ?? '', /is a URL/);
    const ready = { ...r, target: 'http://localhost:8888' };
    assert.equal(draftProblem(ready, existing), null);
    assert.ok(validateConfig({ routes: [ready] }).ok);
  });

  it('insertAt puts a deleted route back where it was', () => {
    assert.deepEqual(insertAt(['a', 'c'], 1, 'b'), ['a', 'b', 'c']);
    assert.deepEqual(insertAt(['a'], 9, 'b'), ['a', 'b']);
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
