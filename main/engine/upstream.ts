// Keep-alive connection pools to backends: one undici Pool per (origin, TLS verify, SNI name, connect timeout).
import { isIP } from 'node:net';
import { Pool } from 'undici';
import type { CompiledRoute } from './types.ts';

/** How long close() lets pools finish their requests before destroying them. */
const CLOSE_GRACE_MS = 1000;

/**
 * The TLS server name for a Host value: the name without its port; null for IP literals (SNI cannot
 * carry an IP) and empty values.
 */
export function serverName(host: string | undefined): string | null {
  if (!host) return null;
  let name = host;
  if (name.startsWith('[')) return null;
  const colon = name.lastIndexOf(':');
  if (colon >= 0) name = name.slice(0, colon);
  name = name.replace(/\.$/, '');
  return name && isIP(name) === 0 ? name : null;
}

export class UpstreamPools {
  #pools = new Map<string, Pool>();

  /** Pools currently open (for tests and stats). */
  get size(): number {
    return this.#pools.size;
  }

  /**
   * The pool for a route and the Host header sent upstream. The SNI name is the target's host with
   * changeOrigin, else the client's Host name (undici derives it from the Host header we send, so
   * each pool only ever sees one name and never reconnects to switch).
   */
  get(route: CompiledRoute, host: string | undefined): Pool {
    const secure = route.target.protocol === 'https:';
    const sni = secure ? serverName(route.changeOrigin ? route.target.host : host) : null;
    const key = `${route.target.origin}|${secure && route.secure ? 1 : 0}|${sni ?? ''}|${route.timeouts.connect}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new Pool(route.target.origin, {
        connect: {
          timeout: route.timeouts.connect,
          rejectUnauthorized: route.secure,
          ...(sni ? { servername: sni } : {}),
        },
      });
      pool.on('connectionError', () => {});
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /**
   * Close every pool: in-flight requests get a short grace, then connections are destroyed. Later
   * requests open fresh pools (an engine may be started again).
   */
  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(
      pools.map(async (pool) => {
        let timer: NodeJS.Timeout | undefined;
        const grace = new Promise<'late'>((r) => {
          timer = setTimeout(() => r('late'), CLOSE_GRACE_MS);
        });
        const closed = pool.close().then(() => 'closed' as const, () => 'closed' as const);
        const outcome = await Promise.race([closed, grace]);
        clearTimeout(timer);
        if (outcome === 'late') await pool.destroy().catch(() => {});
      }),
    );
  }
}
