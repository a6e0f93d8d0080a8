// Small value helpers shared by import and export: units, quoting, location modifiers, header names.
import { formatDuration, formatSize, parseDuration, parseSize } from '../../../shared/units.ts';

/** An nginx size ("15m", "1M", "0") in Loopgate's canonical spelling, or undefined. */
export function normalizeSize(value: string): string | undefined {
  const bytes = parseSize(value);
  return bytes === undefined ? undefined : formatSize(bytes);
}

/** An nginx time ("90", "90s", "1m30s") in Loopgate's canonical spelling, or undefined. */
export function normalizeDuration(value: string): string | undefined {
  const ms = parseDuration(value.replace(/\s+/g, ''));
  return ms === undefined ? undefined : formatDuration(ms);
}

export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Does the value use an nginx variable ($x or ${x})? */
export function hasVariable(value: string): boolean {
  return /\$(\{?[A-Za-z_0-9]+)/.test(value);
}

export type Modifier = '' | '=' | '^~' | '~' | '~*' | '@';

/** The modifier and pattern of `location` args: ["~*", "\\.js$"], ["=/x"] and ["/api"] all work. */
export function locationArgs(args: string[]): { modifier: Modifier; pattern: string } | undefined {
  if (args.length === 2) {
    const m = args[0]!;
    if (m === '=' || m === '^~' || m === '~' || m === '~*') return { modifier: m, pattern: args[1]! };
    return undefined;
  }
  if (args.length !== 1) return undefined;
  const a = args[0]!;
  if (a.startsWith('@')) return { modifier: '@', pattern: a.slice(1) };
  if (a.startsWith('~*') && a.length > 2) return { modifier: '~*', pattern: a.slice(2) };
  if (a.startsWith('^~') && a.length > 2) return { modifier: '^~', pattern: a.slice(2) };
  if (a.startsWith('~') && a.length > 1) return { modifier: '~', pattern: a.slice(1) };
  if (a.startsWith('=') && a.length > 1) return { modifier: '=', pattern: a.slice(1) };
  if (a === '=' || a === '~' || a === '~*' || a === '^~') return undefined;
  return { modifier: '', pattern: a };
}

/** A Loopgate match string for a modifier and pattern ("^~ /static", "/api"). */
export function matchString(modifier: Modifier, pattern: string): string {
  return modifier === '' ? pattern : `${modifier} ${pattern}`;
}

/** Escape text for use inside a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Write one nginx word: bare when nginx would read it back unchanged, else double-quoted with
 * backslashes and quotes escaped (nginx unescapes \\ \" \' \t \r \n in every word).
 */
export function quote(word: string): string {
  const bare = word !== '' && !/[\s;{}"']/.test(word) && !word.startsWith('#') && !/\\([\\"'tnr]|$)/.test(word);
  if (bare) return word;
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A URL's origin as Loopgate sees it (ws: → http:, wss: → https:). */
export function targetOrigin(target: string): string | undefined {
  try {
    const u = new URL(target);
    if (u.protocol === 'ws:') u.protocol = 'http:';
    if (u.protocol === 'wss:') u.protocol = 'https:';
    return u.origin;
  } catch {
    return undefined;
  }
}

/** Split a comma list ("GET, POST") into trimmed items. */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function isOn(value: string | undefined): boolean {
  return value === 'on';
}
