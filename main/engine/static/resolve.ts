// Maps a request path to a real file inside the site root: refuses dotfiles and anything that resolves outside it.
import type { Stats } from 'node:fs';
import { readlink, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

/** A request path split into checked segments. */
export interface SafePath {
  /** Non-empty segments, none "." / "..", no separators, no NUL. */
  segments: string[];
  /** The path ended with "/" (a directory was asked for). */
  trailingSlash: boolean;
}

const WINDOWS = process.platform === 'win32';
/** The router keeps bytes that are not UTF-8 as lone surrogates; no file name on disk can match them. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Check a decoded path segment by segment. Returns null when it must be refused: a "." or ".."
 * segment, a dotfile (except the first segment ".well-known"), a backslash, a NUL byte, bytes that
 * were not UTF-8 (lone surrogates from the router), or (Windows)
 * a colon (drive letters, alternate data streams) or a trailing dot/space (Windows drops them).
 */
export function checkPath(path: string): SafePath | null {
  if (!path.startsWith('/')) return null;
  const segments: string[] = [];
  const parts = path.split('/');
  for (let i = 0; i < parts.length; i++) {
    const s = parts[i]!;
    if (s === '') continue;
    if (s.includes('\0') || s.includes('\\') || LONE_SURROGATE.test(s)) return null;
    if (s.startsWith('.') && !(segments.length === 0 && s === '.well-known')) return null;
    if (WINDOWS && (s.includes(':') || /[. ]$/.test(s))) return null;
    segments.push(s);
  }
  return { segments, trailingSlash: path.endsWith('/') };
}

/** Is `real` (a realpath) the root itself or inside it? */
export function insideRoot(root: string, real: string): boolean {
  if (real === root) return true;
  const base = root.endsWith(sep) ? root : root + sep;
  return real.startsWith(base);
}

export type Resolved =
  | { kind: 'file' | 'dir'; real: string; stats: Stats }
  /** Nothing there (or not a regular file/directory: sockets, FIFOs, devices). */
  | { kind: 'missing' }
  /** It exists but resolves (through a symlink) outside the root. */
  | { kind: 'outside' };

/** Resolve segments under root to a real path and stat it, refusing anything that lands outside root. */
export function resolveInRoot(root: string, segments: readonly string[]): Promise<Resolved> {
  return resolvePath(root, segments.length ? join(root, ...segments) : root);
}

/** Resolve an absolute path (under root) to its real path and stat it; same refusals as resolveInRoot. */
export async function resolvePath(root: string, path: string): Promise<Resolved> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return { kind: 'missing' };
  }
  if (!insideRoot(root, real)) return { kind: 'outside' };
  let stats: Stats;
  try {
    stats = await stat(real);
  } catch {
    return { kind: 'missing' };
  }
  if (stats.isFile()) return { kind: 'file', real, stats };
  if (stats.isDirectory()) return { kind: 'dir', real, stats };
  return { kind: 'missing' };
}

/**
 * After `real` was opened (O_NOFOLLOW) as `fd`: is the file actually opened still inside root? A
 * folder on the path, or the root itself, swapped for a symlink between resolvePath and the open would
 * otherwise hand out a file from elsewhere (docs/hardening.md, "Symlink swaps"). On Linux
 * /proc/self/fd/N names the opened file itself, so the answer is certain; elsewhere the path is
 * resolved again and must still be inside root and name the same file (device and inode).
 */
export async function openedInRoot(root: string, fd: number, real: string, stats: Stats): Promise<boolean> {
  if (procFd) {
    try {
      return insideRoot(root, await readlink(`/proc/self/fd/${fd}`));
    } catch {
      procFd = false;
    }
  }
  try {
    const again = await realpath(real);
    if (!insideRoot(root, again)) return false;
    const now = await stat(again);
    // The stat followed the path as it was then: it must still resolve to the same place afterwards.
    return now.dev === stats.dev && now.ino === stats.ino && (await realpath(again)) === again;
  } catch {
    return false;
  }
}

/** /proc/self/fd is there (Linux); cleared at the first failure. */
let procFd = process.platform === 'linux';

/** Does the root folder itself exist (as a directory)? Only asked on the way to a 404. */
export async function rootExists(root: string): Promise<boolean> {
  try {
    return (await stat(root)).isDirectory();
  } catch {
    return false;
  }
}
