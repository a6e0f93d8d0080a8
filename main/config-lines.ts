// What `serve` and `check` print about a config's site and routes: targets as written, WebSocket marks, warnings.
import { statSync } from 'node:fs';
import type { Config, RouteConfig } from '../shared/config.ts';
import { routeWarnings } from './engine/router.ts';
import type { CompiledRoute, Snapshot } from './engine/types.ts';
import { formatDuration } from '../shared/units.ts';

/** Why a root cannot be served (missing, not a folder), or null when it can. */
export function rootProblem(root: string): string | null {
  try {
    return statSync(root).isDirectory() ? null : `${root} is not a folder`;
  } catch {
    return `${root} does not exist: every request that no route takes will get 404 until it does`;
  }
}

/**
 * A route's target as the config says it: `ws://` stays `ws://`, and a target without a path gets no
 * "/" added (a "/" would be a path, which replaces the matched prefix: see the README).
 */
function targetText(config: Config, route: CompiledRoute): string {
  const routes: RouteConfig[] =
    (config.activeProfile ? config.profiles?.[config.activeProfile]?.routes : config.routes) ?? [];
  return routes[route.index]?.target ?? route.target.href;
}

/** "+WebSocket" for routes that pass upgrades (`ws`, on unless set to false). */
function wsMark(route: CompiledRoute): string {
  return route.ws ? ' (+WebSocket)' : ' (no WebSocket: ws false)';
}

/** What stands in for the backend on a route (issue #18): its mock answer and its network conditions. */
function standInLines(route: CompiledRoute): string[] {
  const lines: string[] = [];
  const m = route.respond;
  if (m) {
    const what = m.file ? `file ${m.file}` : `${m.body?.length ?? 0} bytes, ${m.type}`;
    lines.push(
      `mock: ${m.status} (${what}); the backend is not called${route.ws ? ' (HTTP only: WebSocket upgrades still go to it)' : ''}`,
    );
  }
  const c = route.conditions;
  if (c) {
    const parts = [
      c.latency ? `latency ${formatDuration(c.latency)}` : '',
      c.jitter ? `jitter ±${formatDuration(c.jitter)}` : '',
      c.failRate ? `failRate ${c.failRate} (502 "failed by rule")` : '',
    ].filter(Boolean);
    lines.push(`conditions: ${parts.join(', ')}`);
  }
  return lines;
}

/** `serve`'s lines for the root and the routes, each warning under what it is about. */
export function serveLines(config: Config, snap: Snapshot): string[] {
  const lines: string[] = [];
  if (snap.site) {
    lines.push(`  root     ${snap.site.root}${snap.site.spa ? ' (SPA fallback on)' : ''}`);
    const problem = rootProblem(snap.site.root);
    if (problem) lines.push(`           warning: ${problem}`);
  }
  for (const r of snap.routes) {
    lines.push(`  route    ${r.match.padEnd(16)} → ${targetText(config, r)}${wsMark(r)}`);
    for (const l of standInLines(r)) lines.push(`           ${l}`);
    for (const w of routeWarnings(r)) lines.push(`           warning: ${w}`);
  }
  return lines;
}

/** `check`'s lines: the root, then the routes in the order the snapshot holds them, with their warnings. */
export function checkLines(config: Config, snap: Snapshot): string[] {
  const lines: string[] = [];
  if (snap.site) {
    lines.push(`Root: ${snap.site.root}`);
    const problem = rootProblem(snap.site.root);
    if (problem) lines.push(`  warning: ${problem}`);
  }
  lines.push('Routes (nginx order: "=" exact, then longest prefix; "^~" stops; else regexes in order):');
  for (const r of snap.routes) {
    lines.push(`  ${r.match.padEnd(20)} → ${targetText(config, r)}${wsMark(r)}`);
    for (const l of standInLines(r)) lines.push(`    ${l}`);
    for (const w of routeWarnings(r)) lines.push(`    warning: ${w}`);
  }
  return lines;
}
