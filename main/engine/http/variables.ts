// The nginx variables a proxied request header may name ($host, $http_host, $server_port, ...), filled in per request.
import type { IncomingMessage } from 'node:http';
import type { CompiledRoute } from '../types.ts';

const VARIABLE = /\$(?:\{([a-z_]+)\}|([a-z_]+))/g;
const KNOWN = new Set([
  'host',
  'http_host',
  'server_port',
  'remote_addr',
  'scheme',
  'proxy_host',
  'request_uri',
  'proxy_add_x_forwarded_for',
]);

/** Does this value name a variable the engine fills in? (Values without one are sent as written.) */
export function hasRequestVariable(value: string): boolean {
  for (const m of value.matchAll(VARIABLE)) if (KNOWN.has((m[1] ?? m[2])!)) return true;
  return false;
}

/**
 * nginx's meaning of each: `$host` is the Host header's name, lower-case, without its port; `$http_host`
 * the Host header as sent; `$server_port` the port the request came in on; `$proxy_host` the target's
 * host:port. Unknown variables stay as written.
 */
export function expandVariables(value: string, req: IncomingMessage, route: CompiledRoute): string {
  return value.replace(VARIABLE, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    switch (name) {
      case 'host':
        return hostName(req.headers.host) ?? '';
      case 'http_host':
        return req.headers.host ?? '';
      case 'server_port':
        return String(req.socket.localPort ?? '');
      case 'remote_addr':
        return req.socket.remoteAddress ?? '';
      case 'scheme':
        return (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
      case 'proxy_host':
        return route.target.host;
      case 'request_uri':
        return req.url ?? '';
      case 'proxy_add_x_forwarded_for': {
        const incoming = req.headers['x-forwarded-for'];
        const remote = req.socket.remoteAddress ?? '';
        const list = Array.isArray(incoming) ? incoming.join(', ') : incoming;
        return list ? `${list}, ${remote}` : remote;
      }
      default:
        return whole;
    }
  });
}

/** "Example.com:8080" → "example.com"; "[::1]:8080" → "[::1]". */
export function hostName(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const v6 = /^(\[[^\]]*\])/.exec(host);
  return (v6 ? v6[1]! : host.replace(/:\d*$/, '')).toLowerCase();
}
