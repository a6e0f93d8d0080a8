// The wire format of the WebSocket handshake: the upgrade request sent upstream, the answer head parsed, chunked ends.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Headers } from '../../../shared/events.ts';
import { headerProblem } from '../http/header-value.ts';
import { withReusedReads } from './socket-read.ts';
import { expandVariables, hasRequestVariable } from '../http/variables.ts';
import type { CompiledRoute, UpgradeExchange } from '../types.ts';

/** Request headers never passed on as received (Upgrade and Connection are re-sent by us). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'http2-settings',
]);

/** The backend's answer head, parsed. */
export interface ResponseHead {
  status: number;
  reason: string;
  /** Lower-case names; repeated headers become arrays. */
  headers: Headers;
  /** [name, value] pairs as received (case kept), for relaying. */
  raw: Array<[string, string]>;
}

const clean = (v: string) => v.replace(/[\r\n]/g, '');

/**
 * A configured value (setHeaders, already its UTF-8 bytes: snapshot.ts) checked before it joins the
 * head: one that cannot be sent fails this upgrade with a sentence naming it (a 502), and can never
 * add a line to what the backend reads.
 */
function configured(route: CompiledRoute, name: string, value: string): string {
  const problem = headerProblem(name, value);
  if (problem === null) return value;
  throw Object.assign(new Error(`route ${route.label}: setHeaders cannot be sent: ${problem}`), {
    code: 'BAD_HEADER_VALUE',
  });
}

function rewriteReferer(value: string, origin: string): string {
  try {
    const u = new URL(value);
    return origin + u.pathname + u.search;
  } catch {
    return value;
  }
}

/** The upgrade request sent to the backend (nginx proxy_pass semantics, see the route options). */
export function buildRequestHead(ex: UpgradeExchange): Buffer {
  const { req, route } = ex;
  const set = new Map(
    route.setHeaders
      .filter(([k]) => k !== 'connection' && k !== 'upgrade')
      .map(([k, v]) => [k, hasRequestVariable(v) ? expandVariables(v, req, route) : v]),
  );
  const fw = route.forwarded;
  const listed = new Set(
    String(req.headers.connection ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase()),
  );
  const clientHost = req.headers.host;
  const host = set.has('host') ? set.get('host')! : route.changeOrigin || !clientHost ? route.target.host : clientHost;
  let head = `GET ${ex.upstreamPath} HTTP/1.1\r\n`;
  if (host !== '') head += `Host: ${set.has('host') ? configured(route, 'Host', host) : clean(host)}\r\n`;
  set.delete('host');
  let xff: string | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    let value = raw[i + 1]!;
    if (value === '' && lower === 'cookie') continue; // emptied by dropControlCookie (http/headers.ts)
    if (
      HOP_BY_HOP.has(lower) ||
      listed.has(lower) ||
      lower === 'host' ||
      route.removeHeaders.has(lower) ||
      set.has(lower)
    )
      continue;
    if (fw.forwardedFor && lower === 'x-forwarded-for') {
      xff = xff === undefined ? value : `${xff}, ${value}`;
      continue;
    }
    if (
      (fw.realIp && lower === 'x-real-ip') ||
      (fw.forwardedProto && lower === 'x-forwarded-proto') ||
      (fw.forwardedHost && lower === 'x-forwarded-host')
    )
      continue;
    if (route.rewriteOrigin && lower === 'origin') value = route.target.origin;
    else if (route.rewriteOrigin && lower === 'referer') value = rewriteReferer(value, route.target.origin);
    head += `${name}: ${value}\r\n`;
  }
  const addr = req.socket.remoteAddress ?? '';
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const computed: Array<[string, boolean, string]> = [
    ['X-Real-IP', fw.realIp, addr],
    ['X-Forwarded-For', fw.forwardedFor, xff === undefined ? addr : `${xff}, ${addr}`],
    ['X-Forwarded-Proto', fw.forwardedProto, encrypted ? 'https' : 'http'],
    ['X-Forwarded-Host', fw.forwardedHost, clientHost ?? ''],
  ];
  for (const [name, on, value] of computed) {
    if (on && value !== '' && !set.has(name.toLowerCase()) && !route.removeHeaders.has(name.toLowerCase()))
      head += `${name}: ${clean(value)}\r\n`;
  }
  for (const [name, value] of set) if (value !== '') head += `${name}: ${configured(route, name, value)}\r\n`;
  head += 'Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n';
  return Buffer.from(head, 'latin1');
}

/** Open the TCP (or TLS) connection to the route's target. `host` is the Host header sent. */
export function connectBackend(route: CompiledRoute, host: string | undefined): Socket {
  const t = route.target;
  const https = t.protocol === 'https:';
  const hostname = t.hostname.replace(/^\[|\]$/g, '');
  const port = Number(t.port) || (https ? 443 : 80);
  // Plain TCP reads into a reused buffer (handshake-read.ts); TLS sockets read the usual way.
  if (!https) return withReusedReads((onread) => netConnect({ host: hostname, port, onread }));
  const sniFrom = route.changeOrigin || !host ? hostname : host.replace(/^\[([^\]]*)\].*$|:\d+$/, '$1');
  const servername = sniFrom && isIP(sniFrom) === 0 ? sniFrom : undefined;
  return tlsConnect({
    host: hostname,
    port,
    servername,
    rejectUnauthorized: route.secure,
    ALPNProtocols: ['http/1.1'],
  });
}

/** Parse a response head (without the final blank line); a string is an error message. */
export function parseResponseHead(text: string): ResponseHead | string {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]!);
  if (!m) return `backend answered with something that is not HTTP/1.x: "${lines[0]!.slice(0, 80)}"`;
  const headers: Headers = {};
  const raw: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if ((line[0] === ' ' || line[0] === '\t') && raw.length > 0) {
      raw[raw.length - 1]![1] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return `backend sent a malformed header line: "${line.slice(0, 80)}"`;
    raw.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  for (const [name, value] of raw) {
    const k = name.toLowerCase();
    const prev = headers[k];
    headers[k] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return { status: Number(m[1]), reason: m[2] ?? '', headers, raw };
}

export const first = (h: Headers, k: string): string | undefined => {
  const v = h[k];
  return Array.isArray(v) ? v[0] : v;
};

/** Finds where a chunked body ends (bytes are relayed untouched); reports the data bytes for an excerpt. */
export class ChunkedEnd {
  #state = 0; // 0 size line, 1 extension, 2 data, 3 data CRLF, 4 trailer line start, 5 trailer line
  #size = 0;
  /** Index just after the body's end within buf, or -1 when more is needed. */
  feed(buf: Buffer, data: (b: Buffer) => void): number {
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i]!;
      switch (this.#state) {
        case 0:
        case 1:
          if (c === 0x0a) {
            this.#state = this.#size === 0 ? 4 : 2;
          } else if (this.#state === 0 && c !== 0x0d) {
            const v =
              c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x57 : -1;
            if (v < 0) this.#state = 1;
            else this.#size = this.#size * 16 + v;
          }
          break;
        case 2: {
          const take = Math.min(this.#size, buf.length - i);
          data(buf.subarray(i, i + take));
          this.#size -= take;
          i += take - 1;
          if (this.#size === 0) this.#state = 3;
          break;
        }
        case 3:
          if (c === 0x0a) this.#state = 0;
          break;
        case 4:
          if (c === 0x0a) return i + 1;
          if (c !== 0x0d) this.#state = 5;
          break;
        case 5:
          if (c === 0x0a) this.#state = 4;
          break;
      }
    }
    return -1;
  }
}
