// How a configured header value goes on the wire: its UTF-8 bytes as written (as nginx sends its config's bytes), never a line break.

/**
 * A configured value (setHeaders, addHeaders, cookie rewrites) as Node writes headers: one char per
 * byte (latin1). nginx sends the bytes of its config file as they are, and loopgate.json is UTF-8, so
 * "Dév — café" goes out as its UTF-8 bytes on HTTP and on the WebSocket handshake alike. ASCII-only
 * values (the usual case) are returned as they are.
 */
export function wireValue(value: string): string {
  return /^[\x00-\x7f]*$/.test(value) ? value : Buffer.from(value, 'utf8').toString('latin1');
}

/** What Node (and RFC 9110) lets a header value carry once on the wire: HTAB, visible ASCII, space, obs-text. */
const UNSENDABLE = /[^\t\x20-\x7e\x80-\xff]/;

/** Why a wire value cannot be sent ("U+000D at 4"), or null when it can. */
export function unsendable(wire: string): string | null {
  const m = UNSENDABLE.exec(wire);
  if (!m) return null;
  const code = m[0].codePointAt(0)!;
  const name = code === 0x0d ? ' (CR)' : code === 0x0a ? ' (LF)' : code === 0 ? ' (NUL)' : '';
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}${name} at position ${m.index}`;
}

/** Names Node can send (RFC 9110 token characters). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Can [name, value] (value already a wire value) be sent? null when yes, else a sentence saying why not. */
export function headerProblem(name: string, value: string): string | null {
  if (!TOKEN.test(name)) return `"${name.slice(0, 60)}" is not a valid header name`;
  const why = unsendable(value);
  return why === null ? null : `the value of ${name} has a character that cannot be sent in a header: ${why}`;
}
