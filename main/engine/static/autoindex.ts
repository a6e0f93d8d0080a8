// The directory listing (nginx autoindex): HTML with escaped names, sizes and dates, directories first.
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { insideRoot } from './resolve.ts';

export interface ListingEntry {
  name: string;
  dir: boolean;
  size: number;
  mtimeMs: number;
}

/** How many entries are stat'ed at once (a huge folder must not open thousands of requests at a time). */
const STAT_BATCH = 64;

/**
 * Read a directory for a listing: dotfiles are left out (they are refused anyway), and so are
 * symlinks that resolve outside the root, sockets, FIFOs and devices.
 */
export async function readListing(root: string, dir: string): Promise<ListingEntry[]> {
  const dirents = await readdir(dir, { withFileTypes: true });
  const visible = dirents.filter((d) => !d.name.startsWith('.'));
  const entries: ListingEntry[] = [];
  for (let i = 0; i < visible.length; i += STAT_BATCH) {
    const batch = await Promise.all(visible.slice(i, i + STAT_BATCH).map((d) => entryOf(root, dir, d)));
    for (const e of batch) if (e) entries.push(e);
  }
  return entries.sort((a, b) => (a.dir !== b.dir ? (a.dir ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function entryOf(root: string, dir: string, d: Dirent): Promise<ListingEntry | null> {
  const full = join(dir, d.name);
  try {
    if (d.isSymbolicLink() && !insideRoot(root, await realpath(full))) return null;
    const s = await stat(full);
    if (!s.isFile() && !s.isDirectory()) return null;
    return { name: d.name, dir: s.isDirectory(), size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return null; // vanished or a dangling link
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 1536 → "1.5 KiB"; exact byte counts stay in the title attribute. */
export function humanSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[u]}`;
}

function date(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** Render the listing page for the URL path `urlPath` (ends with "/"). */
export function renderListing(urlPath: string, entries: ListingEntry[]): string {
  const title = escapeHtml(`Index of ${urlPath}`);
  const rows = entries.map((e) => {
    const href = encodeURIComponent(e.name) + (e.dir ? '/' : '');
    const label = escapeHtml(e.name) + (e.dir ? '/' : '');
    const size = e.dir ? '-' : `<span title="${e.size} bytes">${humanSize(e.size)}</span>`;
    return `<tr><td><a href="${escapeHtml(href)}">${label}</a></td><td class="s">${size}</td><td>${date(e.mtimeMs)}</td></tr>`;
  });
  const up = urlPath === '/' ? '' : '<tr><td><a href="../">../</a></td><td></td><td></td></tr>';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}td{padding:2px 16px 2px 0}td.s{text-align:right}</style>
</head><body><h1>${title}</h1><table>
${up}${rows.join('\n')}
</table><p><small>Loopgate</small></p></body></html>
`;
}
