// Schema errors in the user's words: the field named, the nearest valid key for a typo, one error for a wrong type.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editDistance, keysAt, nearestKey } from '../../shared/config-errors.ts';
import { ConfigSchema, validateConfig } from '../../shared/config.ts';

const errors = (v: unknown) => {
  const r = validateConfig(v);
  assert.equal(r.ok, false);
  return r.ok ? [] : r.errors;
};

describe('config errors', () => {
  it('suggests the nearest key of the object the typo is in', () => {
    assert.equal(editDistance('taget', 'target'), 1);
    assert.equal(editDistance('tagret', 'target'), 1, 'two letters swapped');
    assert.equal(nearestKey('taget', keysAt(ConfigSchema, ['routes', 0])!), 'target');
    assert.equal(nearestKey('Match', keysAt(ConfigSchema, ['routes', 0])!), 'match');
    assert.equal(nearestKey('prot', keysAt(ConfigSchema, ['listen'])!), 'port');
    assert.equal(nearestKey('routs', keysAt(ConfigSchema, ['profiles', 'staging'])!), 'routes');
    assert.equal(nearestKey('zzzzqq', keysAt(ConfigSchema, [])!), undefined, 'nothing close: no guess');
    assert.equal(keysAt(ConfigSchema, ['routes', 0, 'match']), null, 'not an object there');
  });

  it('names the field with the suggestion; lists the fields when nothing is close', () => {
    assert.deepEqual(errors({ routes: [{ match: '/api', target: 'http://h', tagret: 'x' }] }), [
      { path: 'routes.0.tagret', message: 'unknown field "tagret": did you mean "target"?' },
    ]);
    const [far] = errors({ zzzzqq: 1 });
    assert.equal(far!.path, 'zzzzqq');
    assert.match(far!.message, /the fields here are: \$schema, listen, root/);
    assert.deepEqual(errors({ cors: { enabeld: true } }), [
      { path: 'cors.enabeld', message: 'unknown field "enabeld": did you mean "enabled"?' },
    ]);
  });

  it('a wrong type is one error for the field, saying what it should be', () => {
    assert.deepEqual(errors({ routes: 'not-a-list' }), [
      { path: 'routes', message: 'must be a list ([…]), not the string "not-a-list"' },
    ]);
    assert.deepEqual(errors({ listen: { port: '80' } }), [
      { path: 'listen.port', message: 'must be a number, not the string "80"' },
    ]);
    assert.deepEqual(errors({ routes: [{ match: '/api' }] }), [
      { path: 'routes.0.target', message: 'missing: this field is required (a string)' },
    ]);
    assert.deepEqual(errors(null), [{ path: '(config)', message: 'must be an object ({…}), not null' }]);
  });
});
