// nginx try_files for the static site: which path a request ends up served from ($uri, $uri/, a fallback, =code).
import { checkPath, resolveInRoot } from './resolve.ts';

/** What try_files decides: serve this path the plain way, or answer with this status. */
export type TryResult = { kind: 'path'; path: string; fallback?: true } | { kind: 'status'; status: number };

/**
 * Walk the try_files list as nginx does: each probe but the last is a file (or, ending in "/", a
 * folder) under root, `$uri` standing for the request path; the first that exists is served. The last
 * is the fallback: "=404" answers that status, a URI ("/index.html", "/index.html?$args") is served
 * (its query part dropped: files have none). A named location ("@x") cannot be followed: 404.
 */
export async function tryFiles(root: string, list: readonly string[], path: string): Promise<TryResult> {
  for (const probe of list.slice(0, -1)) {
    const candidate = probe.replaceAll('$uri', path).replace(/\?.*$/, '');
    // nginx tests a folder only when the argument as written ends with "/" ("$uri/"), never for "$uri".
    const folder = probe.endsWith('/');
    const safe = checkPath(candidate);
    if (!safe) continue;
    const hit = await resolveInRoot(root, safe.segments);
    if (folder ? hit.kind === 'dir' : hit.kind === 'file') {
      // nginx serves the request's own URI: a folder asked for without its slash gets the 301.
      return { kind: 'path', path: candidate === path || candidate === `${path}/` ? path : candidate };
    }
  }
  const last = list[list.length - 1] ?? '=404';
  const code = /^=(\d{3})$/.exec(last);
  if (code) return { kind: 'status', status: Number(code[1]) };
  if (last.startsWith('@')) return { kind: 'status', status: 404 };
  return { kind: 'path', path: last.replaceAll('$uri', path).replace(/\?.*$/, '') || '/', fallback: true };
}
