// nginx-style request-path normalization (ngx_http_parse_complex_uri) and nginx's re-escaping of it.
//
// Paths are handled as nginx handles them: as bytes. "%XX" decodes to a byte; the bytes are then read
// as UTF-8 so the result is an ordinary JS string ("/caf%C3%A9" → "/café"). Bytes that are not valid
// UTF-8 are kept as lone surrogates U+DC80–U+DCFF (Python's "surrogateescape"), so nothing is lost and
// escapePath() gives back exactly the bytes nginx would send upstream.

/**
 * nginx-style normalization of the request path (no query): percent-decode, merge "//", resolve "." and "..".
 * Returns null for a path nginx would answer 400 to (".." above root, invalid %XX, NUL byte, not starting with "/").
 *
 * Like nginx, everything from a literal "#" on is dropped, a decoded "%2F" counts as "/" and a decoded
 * "%2E" as "." (so "/a/%2e%2e/b" is "/b"), while a decoded "%25" or "%3F" stays a literal "%" or "?".
 * Raw spaces and control characters are refused (nginx answers 400; Node's parser does before us).
 */
export function normalizePath(rawPath: string): string | null {
  if (rawPath.charCodeAt(0) !== 0x2f) return null;
  // Fast path: plain ASCII, nothing to decode, no "//", "/." or "#": the path is already normal.
  const len = rawPath.length;
  let prev = 0x2f;
  for (let i = 1; i < len; i++) {
    const c = rawPath.charCodeAt(i);
    if (
      c <= 0x20 ||
      c >= 0x7f ||
      c === 0x25 /* % */ ||
      c === 0x23 /* # */ ||
      (prev === 0x2f && (c === 0x2f || c === 0x2e))
    ) {
      return normalizeSlow(rawPath);
    }
    prev = c;
  }
  return rawPath;
}

function normalizeSlow(rawPath: string): string | null {
  const bytes = decodeToBytes(rawPath);
  if (bytes === null) return null;
  const segments = bytes.split('/');
  const out: string[] = [];
  // segments[0] is the empty string before the leading "/".
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (out.length === 0) return null; // ".." above the root: nginx answers 400
      out.pop();
      continue;
    }
    out.push(s);
  }
  const last = segments[segments.length - 1]!;
  const trailingSlash = segments.length > 1 && (last === '' || last === '.' || last === '..');
  const joined = out.length === 0 ? '/' : `/${out.join('/')}${trailingSlash ? '/' : ''}`;
  return bytesToString(joined);
}

/**
 * Percent-decode into a "byte string" (one char per byte, 0–255), stopping at "#".
 * Raw non-ASCII characters are taken as text and UTF-8 encoded. null when nginx would answer 400.
 */
function decodeToBytes(raw: string): string | null {
  let out = '';
  let start = 0;
  const len = raw.length;
  let i = 0;
  for (; i < len; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x23) break; // "#": the rest is a fragment
    if (c === 0x25) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return null;
      const b = (hi << 4) | lo;
      if (b === 0) return null;
      out += raw.slice(start, i) + String.fromCharCode(b);
      i += 2;
      start = i + 1;
    } else if (c <= 0x20 || c === 0x7f) {
      return null;
    } else if (c >= 0x80) {
      out += raw.slice(start, i);
      const cp = raw.codePointAt(i)!;
      if (cp > 0xffff) i++;
      out += utf8Bytes(cp);
      start = i + 1;
    }
  }
  return out + raw.slice(start, i);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1; // also NaN (past the end)
}

/** UTF-8 bytes of one code point, as a byte string. Lone surrogates become U+FFFD. */
function utf8Bytes(cp: number): string {
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  if (cp < 0x80) return String.fromCharCode(cp);
  if (cp < 0x800) return String.fromCharCode(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  if (cp < 0x10000) return String.fromCharCode(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  return String.fromCharCode(
    0xf0 | (cp >> 18),
    0x80 | ((cp >> 12) & 0x3f),
    0x80 | ((cp >> 6) & 0x3f),
    0x80 | (cp & 0x3f),
  );
}

/** Read a byte string as UTF-8; invalid bytes become U+DC80–U+DCFF (surrogateescape). */
function bytesToString(bytes: string): string {
  let i = 0;
  const len = bytes.length;
  while (i < len && bytes.charCodeAt(i) < 0x80) i++;
  if (i === len) return bytes;
  let out = bytes.slice(0, i);
  while (i < len) {
    const b0 = bytes.charCodeAt(i);
    if (b0 < 0x80) {
      out += bytes[i];
      i++;
      continue;
    }
    let need = 0;
    let lo = 0x80;
    let hi = 0xbf;
    let cp = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      if (b0 === 0xe0) lo = 0xa0; // no overlong forms
      if (b0 === 0xed) hi = 0x9f; // no UTF-16 surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      if (b0 === 0xf0) lo = 0x90;
      if (b0 === 0xf4) hi = 0x8f; // nothing above U+10FFFF
    }
    let ok = need > 0 && i + need < len;
    if (ok) {
      for (let k = 1; k <= need; k++) {
        const b = bytes.charCodeAt(i + k);
        if (b < (k === 1 ? lo : 0x80) || b > (k === 1 ? hi : 0xbf)) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (b & 0x3f);
      }
    }
    if (ok) {
      out += String.fromCodePoint(cp);
      i += need + 1;
    } else {
      out += String.fromCharCode(0xdc00 | b0); // b0 is 0x80–0xff: U+DC80–U+DCFF
      i++;
    }
  }
  return out;
}

/** nginx's NGX_ESCAPE_URI set: controls and space, '#', '%', '?', DEL; every byte >= 0x80 is escaped too. */
const ESCAPE = new Uint8Array(128);
for (let c = 0; c <= 0x20; c++) ESCAPE[c] = 1;
ESCAPE[0x23] = 1;
ESCAPE[0x25] = 1;
ESCAPE[0x3f] = 1;
ESCAPE[0x7f] = 1;

const HEX = '0123456789ABCDEF';
const pct = (b: number) => `%${HEX[b >> 4]}${HEX[b & 15]}`;

/**
 * Re-escape a normalized path the way nginx does before sending it upstream (ngx_escape_uri with
 * NGX_ESCAPE_URI, upper-case hex). The result is plain ASCII, safe for a request line.
 */
export function escapePath(path: string): string {
  const len = path.length;
  let i = 0;
  for (; i < len; i++) {
    const c = path.charCodeAt(i);
    if (c >= 0x80 || ESCAPE[c]) break;
  }
  if (i === len) return path;
  let out = path.slice(0, i);
  for (; i < len; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x80) {
      out += ESCAPE[c] ? pct(c) : path[i];
    } else if (c >= 0xdc80 && c <= 0xdcff) {
      out += pct(c & 0xff); // a byte kept by surrogateescape (a paired low surrogate never gets here)
    } else {
      const cp = path.codePointAt(i)!;
      if (cp > 0xffff) i++;
      const bytes = utf8Bytes(cp);
      for (let k = 0; k < bytes.length; k++) out += pct(bytes.charCodeAt(k));
    }
  }
  return out;
}

/** The query of a raw request URI as nginx sees it ($args): after the first "?", up to a "#"; "" when none. */
export function rawQuery(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  if (q < 0) return '';
  const h = rawUrl.indexOf('#');
  if (h >= 0 && h < q) return '';
  return rawUrl.slice(q + 1, h < 0 ? rawUrl.length : h);
}
