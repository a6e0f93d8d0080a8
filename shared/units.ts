// nginx-style size ("15m") and time ("90s", "1h 30m") units, parsed to bytes and milliseconds.

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Parse an nginx size: a number of bytes, or "512", "15m", "1g" (k/m/g, either case). */
export function parseSize(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const m = /^\s*(\d+)\s*([kmg]?)\s*$/i.exec(value);
  if (!m) return undefined;
  const bytes = Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const TIME_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Parse an nginx time: a number of seconds, or "90", "90s", "500ms", "1m", "1h 30m".
 * Returns milliseconds.
 */
export function parseDuration(value: number | string): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  }
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  let total = 0;
  let rest = text;
  const part = /^(\d+)\s*(ms|s|m|h|d|w)\s*/i;
  while (rest.length > 0) {
    const m = part.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * TIME_UNITS[m[2]!.toLowerCase()]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** Format bytes the way nginx would accept them back ("15m", "512k", "100"). */
export function formatSize(bytes: number): string {
  for (const [unit, mult] of [
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ] as const) {
    if (bytes >= mult && bytes % mult === 0) return `${bytes / mult}${unit}`;
  }
  return String(bytes);
}

/** Format milliseconds as an nginx time ("90s", "500ms", "2m"). */
export function formatDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  const s = ms / 1000;
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600}h`;
  if (s >= 60 && s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

/** A parsed nginx `expires`: off, epoch, max, or seconds from now (negative: in the past). */
export type Expires = { kind: 'off' } | { kind: 'epoch' } | { kind: 'max' } | { kind: 'seconds'; seconds: number };

/** Parse an nginx `expires` value: "off", "epoch", "max", or a time with nginx's units (y = 365d, M = 30d). */
export function parseExpires(value: string): Expires | undefined {
  const v = value.trim();
  if (v === 'off' || v === 'epoch' || v === 'max') return { kind: v };
  const m = /^(-?)(.+)$/.exec(v)!;
  let rest = m[2]!;
  let seconds = 0;
  const part = /^(\d+)(ms|y|M|w|d|h|m|s)?\s*/;
  const unit: Record<string, number> = {
    ms: 0.001,
    y: 31_536_000,
    M: 2_592_000,
    w: 604_800,
    d: 86_400,
    h: 3600,
    m: 60,
    s: 1,
  };
  if (rest === '') return undefined;
  while (rest.length > 0) {
    const p = part.exec(rest);
    if (!p) return undefined;
    seconds += Number(p[1]) * unit[p[2] ?? 's']!;
    rest = rest.slice(p[0].length);
  }
  return { kind: 'seconds', seconds: Math.floor(m[1] ? -seconds : seconds) };
}
