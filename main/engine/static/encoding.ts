// Accept-Encoding negotiation for precompressed siblings (nginx gzip_static / brotli_static).

export type Coding = 'br' | 'gzip';

/**
 * The precompressed codings the client accepts, best first (by q, then br before gzip).
 * A coding is accepted when listed with q > 0, or covered by "*" with q > 0 and not listed.
 */
export function acceptedCodings(header: string | undefined): Coding[] {
  if (!header) return [];
  const q = new Map<string, number>();
  for (const item of header.split(',')) {
    const [name, ...params] = item.trim().toLowerCase().split(';');
    if (!name) continue;
    let value = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m) value = Number(m[1]);
    }
    const key = name.trim() === 'x-gzip' ? 'gzip' : name.trim();
    if (!Number.isNaN(value)) q.set(key, Math.max(q.get(key) ?? 0, value));
  }
  const star = q.get('*');
  const out: Array<{ c: Coding; q: number; order: number }> = [];
  (['br', 'gzip'] as const).forEach((c, order) => {
    const v = q.has(c) ? q.get(c)! : (star ?? 0);
    if (v > 0) out.push({ c, q: v, order });
  });
  return out.sort((a, b) => b.q - a.q || a.order - b.order).map((x) => x.c);
}
