// "Copy as": a logged request as a curl / fetch / HTTPie command, a WebSocket session as websocat (issue #17).
//
// What is reproduced: what the backend received — the record's target URL and upstreamHeaders — or, for a
// request Loopgate answered itself (no target), what the client sent to Loopgate (http://host + url, the
// client's headers). Pure: no Node imports, runs in the renderer.
//
// Shell quoting is POSIX: every argument in single quotes, a ' written as '\'' — safe in bash, dash and any
// sh for quotes, newlines, $, backticks and backslashes. A body that is not valid UTF-8 text, or holds a
// NUL (which no argument can carry), is piped in instead: `printf '<format>' | curl --data-binary @- ...`,
// where every byte outside printable ASCII is a three-digit octal escape (\000, \377) — POSIX printf
// format escapes, understood by bash's and dash's builtin printf and /usr/bin/printf alike.
import type { Headers, HttpRecord, WsSessionRecord } from './events.ts';

/** Connection-scoped headers: each client sets its own; copying them would be wrong or refused. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'expect',
]);

/** What a copied command sends: URL, header pairs (hop-by-hop removed, Host only when it differs), body. */
export interface CopyRequest {
  method: string;
  url: string;
  headers: [string, string][];
  /** Body bytes, when the record captured any. */
  body?: Uint8Array;
  /** Only the first bytes of the body were recorded (inspect.bodyBytes). */
  truncated: boolean;
}

type RequestLike = Pick<
  HttpRecord,
  | 'method'
  | 'url'
  | 'host'
  | 'secure'
  | 'target'
  | 'requestHeaders'
  | 'upstreamHeaders'
  | 'requestBody'
  | 'requestBodyTruncated'
>;

function base64Bytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function headerPairs(headers: Headers | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) out.push([name, v]);
  }
  return out;
}

/** The request a copied command should send, from a logged record. */
export function copyRequest(r: RequestLike): CopyRequest {
  const toBackend = r.target !== undefined;
  const url = toBackend ? r.target! : `${r.secure ? 'https' : 'http'}://${r.host}${r.url}`;
  const authority = new URL(url).host;
  const headers = headerPairs(toBackend ? (r.upstreamHeaders ?? r.requestHeaders) : r.requestHeaders).filter(
    ([name, value]) => {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower)) return false;
      // Every client sends Host from the URL; keep it only when the record's differs (a name-based backend).
      return !(lower === 'host' && value.toLowerCase() === authority.toLowerCase());
    },
  );
  const body = r.requestBody ? base64Bytes(r.requestBody) : undefined;
  return { method: r.method.toUpperCase(), url, headers, body, truncated: r.requestBodyTruncated === true };
}

/** One POSIX shell word: single-quoted unless plainly safe. */
export function shellQuote(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The body as text when it is valid UTF-8 without NUL; undefined for bytes an argument cannot carry. */
function bodyAsText(body: Uint8Array): string | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    return text.includes('\0') ? undefined : text;
  } catch {
    return undefined;
  }
}

/** `printf '...'` writing exactly these bytes (octal escapes for all but printable ASCII). */
export function printfBytes(body: Uint8Array): string {
  let fmt = '';
  for (const b of body) {
    if (b === 0x25) fmt += '%%';
    else if (b === 0x5c) fmt += '\\\\';
    else if (b >= 0x20 && b < 0x7f && b !== 0x27) fmt += String.fromCharCode(b);
    else fmt += `\\${b.toString(8).padStart(3, '0')}`;
  }
  return `printf '${fmt}'`;
}

function truncatedNote(req: CopyRequest): string {
  return req.truncated
    ? '# Only the first bytes of this body were recorded (inspect.bodyBytes): it is cut short.\n'
    : '';
}

const hasHeader = (req: CopyRequest, name: string) => req.headers.some(([n]) => n.toLowerCase() === name);

/** A curl command line (bash or sh). */
export function toCurl(r: RequestLike): string {
  const req = copyRequest(r);
  const args = ['curl'];
  const text = req.body && bodyAsText(req.body);
  const piped = req.body !== undefined && text === undefined;
  if (req.method === 'HEAD') args.push('--head');
  else if (!(req.method === 'GET' && !req.body) && !(req.method === 'POST' && req.body)) args.push('-X', req.method);
  // Brackets and braces are URL globs to curl; --path-as-is keeps ../ segments as logged.
  if (/[[\]{}]/.test(req.url)) args.push('--globoff');
  args.push('--path-as-is', shellQuote(req.url));
  for (const [name, value] of req.headers) {
    // "Name:" would remove a header in curl; "Name;" sends it empty.
    args.push('-H', shellQuote(value === '' ? `${name};` : `${name}: ${value}`));
  }
  // curl adds these on its own; the logged request did not carry them.
  if (!hasHeader(req, 'user-agent')) args.push('-H', shellQuote('User-Agent:'));
  if (!hasHeader(req, 'accept')) args.push('-H', shellQuote('Accept:'));
  if (req.body && !hasHeader(req, 'content-type')) args.push('-H', shellQuote('Content-Type:'));
  if (text !== undefined) args.push('--data-raw', shellQuote(text));
  else if (piped) args.push('--data-binary', '@-');
  const line = args.join(' ');
  return truncatedNote(req) + (piped ? `${printfBytes(req.body!)} | ${line}` : line);
}

/** An HTTPie command line (`http`, 3.x for --raw). */
export function toHttpie(r: RequestLike): string {
  const req = copyRequest(r);
  const text = req.body && bodyAsText(req.body);
  const piped = req.body !== undefined && text === undefined;
  const args = ['http'];
  // --raw=... so that a body starting with '-' is not read as an option.
  if (text !== undefined) args.push(`--raw=${shellQuote(text)}`);
  args.push(req.method, shellQuote(req.url));
  // "Name:" removes a header in HTTPie; "Name;" sends it empty.
  for (const [name, value] of req.headers) args.push(shellQuote(value === '' ? `${name};` : `${name}:${value}`));
  const line = args.join(' ');
  return truncatedNote(req) + (piped ? `${printfBytes(req.body!)} | ${line}` : line);
}

/** Headers fetch() will not set (browsers refuse them; Node's fetch sets its own). */
const FETCH_REFUSED = new Set(['host']);

/** A JavaScript `await fetch(...)` call. */
export function toFetch(r: RequestLike): string {
  const req = copyRequest(r);
  const headers: Record<string, string> = {};
  const skipped: string[] = [];
  for (const [name, value] of req.headers) {
    if (FETCH_REFUSED.has(name.toLowerCase())) skipped.push(`${name}: ${value}`);
    else
      headers[name] =
        name in headers ? `${headers[name]}${name.toLowerCase() === 'cookie' ? '; ' : ', '}${value}` : value;
  }
  const init: string[] = [`  method: ${JSON.stringify(req.method)},`];
  const names = Object.keys(headers);
  if (names.length) {
    init.push('  headers: {');
    for (const n of names) init.push(`    ${JSON.stringify(n)}: ${JSON.stringify(headers[n])},`);
    init.push('  },');
  }
  if (req.body) {
    const text = bodyAsText(req.body);
    if (text !== undefined) init.push(`  body: ${JSON.stringify(text)},`);
    else {
      let bin = '';
      for (const b of req.body) bin += String.fromCharCode(b);
      init.push(`  body: Uint8Array.from(atob(${JSON.stringify(btoa(bin))}), (c) => c.charCodeAt(0)),`);
    }
  }
  const notes = [
    ...(req.truncated
      ? ['// Only the first bytes of this body were recorded (inspect.bodyBytes): it is cut short.']
      : []),
    ...skipped.map((h) => `// Not settable from fetch: ${h}`),
  ];
  return [...notes, `await fetch(${JSON.stringify(req.url)}, {`, ...init, '});'].join('\n');
}

/** Handshake headers websocat makes itself (or takes as --protocol). */
const WS_OWN = new Set([
  ...HOP_BY_HOP,
  'host',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
]);

type SessionLike = Pick<WsSessionRecord, 'url' | 'host' | 'secure' | 'target' | 'requestHeaders' | 'upstreamHeaders'>;

/** A websocat command opening the same session (to the backend, or to Loopgate when there was no target). */
export function toWebsocat(s: SessionLike): string {
  const toBackend = s.target !== undefined;
  const url = toBackend ? s.target! : `${s.secure ? 'wss' : 'ws'}://${s.host}${s.url}`;
  const pairs = headerPairs(toBackend ? (s.upstreamHeaders ?? s.requestHeaders) : s.requestHeaders);
  const args = ['websocat'];
  const protocols = pairs.filter(([n]) => n.toLowerCase() === 'sec-websocket-protocol').map(([, v]) => v);
  if (protocols.length) args.push('--protocol', shellQuote(protocols.join(', ')));
  for (const [name, value] of pairs) {
    if (!WS_OWN.has(name.toLowerCase())) args.push('-H', shellQuote(`${name}: ${value}`));
  }
  args.push(shellQuote(url));
  return args.join(' ');
}
