// Keep-alive connection pools to backends: one undici Pool per (origin, TLS verify, SNI name, connect timeout); one-shot connections for retries.
import { isIP } from 'node:net';
import { Client, Pool, type Dispatcher } from 'undici';
import type { CompiledRoute } from '../types.ts';

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

/** undici connect options for a route: TLS verification, SNI name, connect timeout. */
function connectOptions(route: CompiledRoute, sni: string | null) {
  return {
    timeout: route.timeouts.connect,
    rejectUnauthorized: route.secure,
    ...(sni ? { servername: sni } : {}),
  };
}

export class UpstreamPools {
  #pools = new Map<string, Pool>();
  /** One-shot connections (retries) not closed yet. */
  #oneShot = new Set<Client>();

  /** Pools currently open (for tests and stats). */
  get size(): number {
    return this.#pools.size;
  }

  /**
   * The TLS server name for a route and the Host header sent upstream: the target's host with
   * changeOrigin, else the client's Host name (undici derives it from the Host header we send, so
   * each pool only ever sees one name and never reconnects to switch).
   */
  #sni(route: CompiledRoute, host: string | undefined): string | null {
    return route.target.protocol === 'https:' ? serverName(route.changeOrigin ? route.target.host : host) : null;
  }

  /** The pool for a route and the Host header sent upstream. */
  get(route: CompiledRoute, host: string | undefined): Pool {
    const secure = route.target.protocol === 'https:';
    const sni = this.#sni(route, host);
    const key = `${route.target.origin}|${secure && route.secure ? 1 : 0}|${sni ?? ''}|${route.timeouts.connect}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new Pool(route.target.origin, { connect: connectOptions(route, sni) });
      pool.on('connectionError', () => {});
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /**
   * Dispatch one request on a connection of its own, opened for it with the pool's options and
   * closed once its answer is over. For a retry after a stale keep-alive connection: the pool could
   * hand it another idle socket the backend has closed too.
   */
  dispatchFresh(
    route: CompiledRoute,
    host: string | undefined,
    opts: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): void {
    const client = new Client(route.target.origin, {
      connect: connectOptions(route, this.#sni(route, host)),
      pipelining: 1,
    });
    client.on('connectionError', () => {});
    this.#oneShot.add(client);
    client.dispatch(opts, handler);
    // close() lets the dispatched request finish, then ends the connection.
    const forget = () => this.#oneShot.delete(client);
    client.close().then(forget, forget);
  }

  /**
   * Close every pool: in-flight requests get a short grace, then connections are destroyed. Later
   * requests open fresh pools (an engine may be started again).
   */
  async close(): Promise<void> {
    const dispatchers: Array<Pool | Client> = [...this.#pools.values(), ...this.#oneShot];
    this.#pools.clear();
    this.#oneShot.clear();
    await Promise.all(
      dispatchers.map(async (d) => {
        let timer: NodeJS.Timeout | undefined;
        const grace = new Promise<'late'>((r) => {
          timer = setTimeout(() => r('late'), CLOSE_GRACE_MS);
        });
        // A one-shot client is already closing: close() again answers when it is done.
        const closed = d.close().then(
          () => 'closed' as const,
          () => 'closed' as const,
        );
        const outcome = await Promise.race([closed, grace]);
        clearTimeout(timer);
        if (outcome === 'late') await d.destroy().catch(() => {});
      }),
    );
  }
}
