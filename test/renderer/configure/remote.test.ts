// The remote preset as the route details list it, against the engine: what "remote": true really changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig, type RouteInput } from '../../../shared/config.ts';
import { compileRoute } from '../../../main/engine/snapshot.ts';
import type { CompiledRoute } from '../../../main/engine/types.ts';
import { remoteExpansion } from '../../../renderer/configure/remote.ts';

function compiled(route: RouteInput): CompiledRoute {
  const v = validateConfig({ routes: [route] });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  return compileRoute(v.config.routes![0]!, 0, {
    timeouts: { connect: 60_000, send: 60_000, read: 60_000, clientBody: 60_000, clientSend: 60_000 },
    maxBodySize: 1 << 20,
    cors: undefined,
  });
}

function compiledValue(r: CompiledRoute, key: string): unknown {
  if (key.startsWith('cookies.')) return (r.cookies as Record<string, unknown> | null)?.[key.slice(8)];
  return (r as unknown as Record<string, unknown>)[key];
}

const routes: RouteInput[] = [
  { match: '/api/', target: 'https://staging.example.com/' },
  {
    match: '/api/',
    target: 'https://staging.example.com/',
    changeOrigin: false,
    rewriteOrigin: false,
    cookies: { sameSite: 'Strict', domain: 'app.test' },
  },
  { match: '/ws', target: 'wss://staging.example.com', rewriteRedirects: false, cookies: { secure: 'keep' } },
];

test('each listed item is what the engine does with remote: true; preset items change something, default ones and overridden ones do not', () => {
  for (const base of routes) {
    const off = compiled(base);
    const on = compiled({ ...base, remote: true });
    const items = remoteExpansion({ ...base, remote: true });
    assert.deepEqual(
      items.map((i) => i.key),
      ['changeOrigin', 'rewriteOrigin', 'cookies.domain', 'cookies.secure', 'cookies.sameSite', 'rewriteRedirects'],
    );
    for (const item of items) {
      const [a, b] = [compiledValue(off, item.key), compiledValue(on, item.key)];
      if (item.applies && item.byPreset)
        assert.notDeepEqual(b, a, `${item.key} is changed by the preset (${JSON.stringify(base)})`);
      else assert.deepEqual(b, a, `${item.key} is not changed by the preset (${JSON.stringify(base)})`);
      if (item.applies)
        assert.ok(b === true || typeof b === 'string', `${item.key} is on with the preset: ${String(b)}`);
    }
  }
  // The preset's own values, as the list says them.
  const on = compiled({ ...routes[0]!, remote: true });
  assert.deepEqual(
    [
      on.rewriteOrigin,
      on.cookies?.domain,
      on.cookies?.secure,
      on.cookies?.sameSite,
      on.changeOrigin,
      on.rewriteRedirects,
    ],
    [true, 'remove', 'remove', 'Lax', true, true],
  );
});
