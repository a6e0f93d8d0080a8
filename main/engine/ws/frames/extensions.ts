// Reads the permessage-deflate parameters (RFC 7692) a backend accepted in its 101 answer.

export interface Deflate {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/** Split an extension header value on `sep`, ignoring separators inside quoted strings. */
function splitOutsideQuotes(value: string, sep: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && quoted) i++;
    else if (c === sep && !quoted) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts;
}

function windowBits(value: string | true): number {
  if (value === true) return 15;
  const n = Number(value);
  return Number.isInteger(n) && n >= 8 && n <= 15 ? n : 15;
}

/**
 * Parse the Sec-WebSocket-Extensions the BACKEND accepted in its 101; null when no permessage-deflate.
 * Only the first permessage-deflate entry counts (a server accepts one). Unknown parameters and bad
 * window sizes are tolerated (window falls back to 15): the tap decodes what peers actually send.
 */
export function parseDeflate(header: string | undefined): Deflate | null {
  if (!header) return null;
  for (const ext of splitOutsideQuotes(header, ',')) {
    const [name, ...params] = splitOutsideQuotes(ext, ';').map((p) => p.trim());
    if (name?.toLowerCase() !== 'permessage-deflate') continue;
    const out: Deflate = {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    };
    for (const param of params) {
      if (param === '') continue;
      const eq = param.indexOf('=');
      const key = (eq === -1 ? param : param.slice(0, eq)).trim().toLowerCase();
      let value: string | true = true;
      if (eq !== -1) {
        value = param.slice(eq + 1).trim();
        if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      }
      if (key === 'server_no_context_takeover') out.serverNoContextTakeover = true;
      else if (key === 'client_no_context_takeover') out.clientNoContextTakeover = true;
      else if (key === 'server_max_window_bits') out.serverMaxWindowBits = windowBits(value);
      else if (key === 'client_max_window_bits') out.clientMaxWindowBits = windowBits(value);
    }
    return out;
  }
  return null;
}
