// Network conditions (conditions: latency, jitter, failRate; global and per route) on real sockets with no backend running.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ConfigInput, validateConfig } from '../../../shared/config.ts';
import { fullConditions } from '../../../shared/effective.ts';
import { checkLines } from '../../../main/config-lines.ts';
import { Engine } from '../../../main/engine/server.ts';
import { compileSnapshot } from '../../../main/engine/snapshot.ts';
import { delayOf } from '../../../main/engine/steps/conditions.ts';
import { freePort } from '../../helpers/net.ts';
import { waitingRecorder } from '../../helpers/waiting-recorder.ts';

describe('conditions with no backend running', () => {
  const recorder = waitingRecorder();
  const engine = new Engine({ recorder });
  let base = '';

  before(async () => {
    const absent = `http://127.0.0.1:${await freePort()}`;
    const input: ConfigInput = {
      listen: { port: 0 },
      // Global: every route is 300 ms late unless it says otherwise.
      conditions: { latency: '300ms' },
      routes: [
        { match: '/slow-mock', target: absent, respond: { body: { ok: true } } },
        { match: '/fast-mock', target: absent, respond: { body: 'quick' }, conditions: { latency: 0 } },
        { match: '/fail', target: absent, conditions: { latency: 0, failRate: 1 }, respond: { body: 'never' } },
        { match: '/pass', target: absent, conditions: { latency: 0, failRate: 0 }, respond: { body: 'passed' } },
        { match: '/slow-real', target: absent, conditions: { latency: '200ms' } },
      ],
    };
    const r = validateConfig(input);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    base = await engine.start(compileSnapshot(r.config, { baseDir: '.' }));
  });
  after(() => engine.stop());

  test('global latency holds a mock answer at least that long before its first byte', async () => {
    const t0 = performance.now();
    const res = await fetch(`${base}/slow-mock`);
    const headersAt = performance.now() - t0;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
    assert.ok(headersAt >= 295, `answer after ${headersAt.toFixed(0)} ms, latency is 300 ms`);
    const rec = await recorder.done('/slow-mock');
    assert.equal(rec.standIn, 'mocked');
    assert.ok((rec.timings.headers ?? 0) >= 295);
  });

  test("a route's own latency 0 overrides the global one", async () => {
    const res = await fetch(`${base}/fast-mock`);
    assert.equal(await res.text(), 'quick');
    const rec = await recorder.done('/fast-mock');
    assert.ok((rec.timings.end ?? 1e9) < 295, `took ${rec.timings.end} ms with latency 0`);
  });

  test('failRate 1: 502 "failed by rule", the mock not sent, the record marked', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${base}/fail?n=${i}`);
      assert.equal(res.status, 502);
      const body = await res.text();
      assert.match(body, /failed by rule/);
      assert.doesNotMatch(body, /never/);
    }
    const rec = await recorder.done('/fail?n=0');
    assert.equal(rec.standIn, 'failed by rule');
    assert.equal(rec.error?.code, 'FAILED_BY_RULE');
    assert.equal(rec.status, 502);
  });

  test('failRate 0: every request passes', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${base}/pass?n=${i}`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'passed');
    }
  });

  test('a client that leaves while the latency holds its request: the record says so, nothing is sent', async () => {
    const ac = new AbortController();
    const pending = fetch(`${base}/slow-mock?leave=1`, { signal: ac.signal }).catch((e: Error) => e);
    // Aborted once the request is held (its record published), before the 300 ms latency ends.
    await recorder.when('/slow-mock?leave=1', () => true);
    ac.abort();
    assert.ok((await pending) instanceof Error);
    const rec = await recorder.done('/slow-mock?leave=1');
    assert.equal(rec.error?.code, 'CLIENT_ABORTED');
    assert.equal(rec.standIn, 'delayed');
    assert.equal(rec.status, undefined);
  });

  test('latency on a proxied route: the request reaches the (absent) backend after the delay; marked delayed', async () => {
    const t0 = performance.now();
    const res = await fetch(`${base}/slow-real`);
    const took = performance.now() - t0;
    assert.equal(res.status, 502);
    assert.ok(took >= 195, `answered after ${took.toFixed(0)} ms, latency is 200 ms`);
    const rec = await recorder.done('/slow-real');
    assert.equal(rec.standIn, 'delayed');
    assert.equal(rec.error?.code, 'ECONNREFUSED');
  });
});

describe('conditions: merging and config errors', () => {
  test('the route overrides the global conditions field by field; nothing set is null', () => {
    assert.deepEqual(fullConditions({ latency: 300, failRate: 0.5 }, { failRate: 0 }), {
      latency: 300,
      jitter: 0,
      failRate: 0,
    });
    assert.equal(fullConditions(undefined, { latency: 0 }), null);
    assert.equal(fullConditions(undefined, undefined), null);
  });

  test('latency takes nginx units; bad values are errors naming the field', () => {
    const ok = validateConfig({ conditions: { latency: '1s 500ms', jitter: '50ms', failRate: 0.25 } });
    assert.ok(ok.ok);
    assert.deepEqual(ok.config.conditions, { latency: 1500, jitter: 50, failRate: 0.25 });
    const bad = validateConfig({
      conditions: { latency: 'soon' },
      routes: [{ match: '/a', target: 'http://127.0.0.1:1', conditions: { failRate: 1.5, jitter: -1 } }],
    });
    assert.equal(bad.ok, false);
    const byPath = Object.fromEntries((bad.ok ? [] : bad.errors).map((e) => [e.path, e.message]));
    assert.match(byPath['conditions.latency'] ?? '', /"soon" is not a time/);
    assert.match(byPath['routes.0.conditions.failRate'] ?? '', /from 0 to 1/);
    assert.ok(byPath['routes.0.conditions.jitter'], JSON.stringify(byPath));
  });
});

test("`loopgate check` lists each route's mock and conditions under it", () => {
  const r = validateConfig({
    conditions: { latency: '300ms' },
    routes: [
      { match: '/api/users', target: 'http://127.0.0.1:3000', respond: { body: { users: [] } } },
      { match: '/api/', target: 'http://127.0.0.1:3000', conditions: { failRate: 0.1 } },
    ],
  });
  assert.ok(r.ok);
  const text = checkLines(r.config, compileSnapshot(r.config, { baseDir: '.' })).join('\n');
  assert.match(text, /\/api\/users .*\n {4}mock: 200 \(12 bytes, application\/json\); the backend is not called/);
  assert.match(text, /\/api\/ .*\n {4}conditions: latency 300ms, failRate 0\.1 \(502 "failed by rule"\)/);
});

test('jitter moves the latency by up to ± its value per request, never below 0', () => {
  const delays = Array.from({ length: 200 }, () => delayOf({ latency: 100, jitter: 50, failRate: 0 }));
  assert.ok(
    delays.every((d) => d >= 50 && d <= 150),
    `out of 100 ± 50: ${delays.filter((d) => d < 50 || d > 150)}`,
  );
  assert.ok(new Set(delays).size > 10, 'jitter varies the delay');
  const low = Array.from({ length: 50 }, () => delayOf({ latency: 10, jitter: 100, failRate: 0 }));
  assert.ok(low.every((d) => d >= 0));
  assert.equal(delayOf({ latency: 300, jitter: 0, failRate: 0 }), 300);
});
