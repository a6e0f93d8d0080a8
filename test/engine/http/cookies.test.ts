// Set-Cookie parsing and per-route rewriting (domain, path, Secure, HttpOnly, SameSite).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseSetCookie,
  rewriteSetCookie,
  rewriteSetCookies,
  serializeSetCookie,
} from '../../../main/engine/http/cookies.ts';

describe('parseSetCookie', () => {
  it('keeps an Expires date with its comma inside one attribute', () => {
    const c = parseSetCookie('sid=a,b; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/; HttpOnly');
    assert.equal(c.pair, 'sid=a,b');
    assert.deepEqual(c.attributes, [
      { name: 'Expires', value: 'Wed, 21 Oct 2015 07:28:00 GMT' },
      { name: 'Path', value: '/' },
      { name: 'HttpOnly', value: null },
    ]);
  });

  it('round-trips through serialize with normalized separators', () => {
    const text = 'a=1;Path=/x ;  Secure;SameSite=Strict';
    assert.equal(serializeSetCookie(parseSetCookie(text)), 'a=1; Path=/x; Secure; SameSite=Strict');
  });

  it('keeps "=" inside the value of the name=value pair', () => {
    assert.equal(parseSetCookie('tok=abc==; Path=/').pair, 'tok=abc==');
  });
});

describe('rewriteSetCookie', () => {
  const full =
    'sid=abc; Domain=backend.example.com; Path=/api/v1; Expires=Thu, 01 Jan 2037 00:00:00 GMT; Secure; HttpOnly; SameSite=None';

  it('removes Domain', () => {
    const out = rewriteSetCookie(full, { domain: 'remove' });
    assert.doesNotMatch(out, /domain/i);
    assert.match(out, /Expires=Thu, 01 Jan 2037 00:00:00 GMT/);
  });

  it('replaces Domain in place and leaves cookies without one alone', () => {
    assert.match(rewriteSetCookie(full, { domain: 'localhost' }), /^sid=abc; Domain=localhost; Path=\/api\/v1;/);
    assert.equal(rewriteSetCookie('a=1; Path=/', { domain: 'localhost' }), 'a=1; Path=/');
  });

  it('rewrites the Path prefix with the first matching entry (case-sensitive, like proxy_cookie_path)', () => {
    assert.match(rewriteSetCookie(full, { path: { '/api': '/backend', '/': '/x' } }), /Path=\/backend\/v1;/);
    assert.match(rewriteSetCookie(full, { path: { '/API': '/backend' } }), /Path=\/api\/v1;/);
    assert.equal(rewriteSetCookie('a=1', { path: { '/': '/x' } }), 'a=1');
  });

  it('removes and adds Secure and HttpOnly', () => {
    const removed = rewriteSetCookie(full, { secure: 'remove', httpOnly: 'remove', sameSite: 'keep' });
    assert.doesNotMatch(removed, /Secure|HttpOnly/);
    const added = rewriteSetCookie('a=1', { secure: 'add', httpOnly: 'add' });
    assert.equal(added, 'a=1; Secure; HttpOnly');
    assert.equal(rewriteSetCookie('a=1; secure', { secure: 'add' }), 'a=1; secure', 'no duplicate flag');
  });

  it('sets, replaces and removes SameSite', () => {
    assert.equal(rewriteSetCookie('a=1', { sameSite: 'Strict' }), 'a=1; SameSite=Strict');
    assert.equal(rewriteSetCookie('a=1; samesite=lax', { sameSite: 'Strict' }), 'a=1; samesite=Strict');
    assert.equal(rewriteSetCookie('a=1; SameSite=Lax; Path=/', { sameSite: 'remove' }), 'a=1; Path=/');
  });

  it('turns SameSite=None without Secure into Lax (browsers drop such cookies)', () => {
    const out = rewriteSetCookie(full, { secure: 'remove' });
    assert.match(out, /SameSite=Lax$/);
    assert.match(rewriteSetCookie(full, {}), /Secure; HttpOnly; SameSite=None$/, 'None stays when Secure stays');
    assert.equal(rewriteSetCookie('a=1', { sameSite: 'None' }), 'a=1; SameSite=Lax');
    assert.equal(rewriteSetCookie('a=1', { sameSite: 'None', secure: 'add' }), 'a=1; Secure; SameSite=None');
  });

  it('rewrites each line of a multi-cookie header separately', () => {
    const out = rewriteSetCookies(['a=1; Domain=x.com; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'b=2; Domain=x.com'], {
      domain: 'remove',
    });
    assert.deepEqual(out, ['a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'b=2']);
    assert.equal(rewriteSetCookies('c=3; Domain=x.com', { domain: 'remove' }), 'c=3');
  });
});
