// STOMP 1.0-1.2 frames over WebSocket (command, headers, body; heart-beat EOLs), read and written.
import type { DecodedMessage } from '../../../../shared/events.ts';
import { parseJson, textOf } from './payload.ts';
import type { Decoded, FrameLike, PairHint } from './types.ts';

const PROTOCOL = 'stomp';
const COMMANDS = new Set([
  'CONNECT',
  'STOMP',
  'CONNECTED',
  'SEND',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'ACK',
  'NACK',
  'BEGIN',
  'COMMIT',
  'ABORT',
  'DISCONNECT',
  'MESSAGE',
  'RECEIPT',
  'ERROR',
]);

export interface StompFrame {
  command: string;
  headers: Record<string, string>;
  body: string;
}

/** Does the text start like a STOMP frame (a known command on its own line)? */
export function looksLikeStomp(text: string): boolean {
  const nl = text.indexOf('\n');
  const cmd = (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '');
  return COMMANDS.has(cmd) && (nl >= 0 || text.endsWith('\0'));
}

/** Every frame in the text (a WebSocket message may carry several), heart-beat EOLs skipped. */
export function parseStomp(text: string): { frames: StompFrame[]; error?: string } {
  const frames: StompFrame[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && (text[i] === '\n' || text[i] === '\r')) i++;
    if (i >= text.length) break;
    const head = findHeadEnd(text, i);
    if (!head) return { frames, error: 'a frame without the blank line after its headers' };
    const lines = text.slice(i, head.at).split(/\r?\n/);
    const command = lines.shift()!;
    if (!COMMANDS.has(command)) return { frames, error: `unknown STOMP command "${command.slice(0, 40)}"` };
    const raw = command !== 'CONNECT' && command !== 'CONNECTED';
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = raw ? unescapeHeader(line.slice(0, colon)) : line.slice(0, colon);
      // A repeated header: the first one counts (STOMP 1.2, 'Repeated Header Entries').
      if (!(name in headers)) headers[name] = raw ? unescapeHeader(line.slice(colon + 1)) : line.slice(colon + 1);
    }
    const bodyStart = head.at + head.skip;
    const length = Number(headers['content-length']);
    let end: number;
    if (headers['content-length'] !== undefined && Number.isSafeInteger(length) && length >= 0) {
      // content-length counts octets; find the character index after that many UTF-8 bytes.
      end = afterBytes(text, bodyStart, length);
    } else {
      end = text.indexOf('\0', bodyStart);
      if (end < 0) end = text.length;
    }
    frames.push({ command, headers, body: text.slice(bodyStart, end) });
    i = end + 1;
  }
  return { frames };
}

/** Where the headers end: the first empty line (LF or CRLF line ends). */
function findHeadEnd(text: string, from: number): { at: number; skip: number } | undefined {
  const m = /\r?\n\r?\n/.exec(text.slice(from));
  return m ? { at: from + m.index, skip: m[0].length } : undefined;
}

function afterBytes(text: string, from: number, bytes: number): number {
  let i = from;
  let n = 0;
  while (i < text.length && n < bytes) {
    const c = text.codePointAt(i)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    i += c >= 0x10000 ? 2 : 1;
  }
  return i;
}

function unescapeHeader(s: string): string {
  return s.replace(/\\([\\nrc])/g, (_m, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'c' ? ':' : '\\'));
}

function escapeHeader(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/:/g, '\\c');
}

export function decodeStomp(frame: FrameLike): Decoded | undefined {
  if (frame.opcode !== 1 && frame.opcode !== 2) return undefined;
  const text = textOf(frame);
  if (/^[\r\n]*$/.test(text)) return { message: { protocol: PROTOCOL, type: 'heart-beat', heartbeat: true } };
  const { frames, error } = parseStomp(text);
  if (frames.length === 0) return { message: { protocol: PROTOCOL, type: 'unknown', error: error ?? 'no frame' } };
  const pair: PairHint = {};
  const messages = frames.map((f) => toMessage(f, pair));
  const first = messages[0]!;
  if (messages.length > 1) first.more = messages.slice(1);
  if (error) first.error = error;
  return { message: first, pair: pair.open || pair.reply || pair.cancel ? pair : undefined };
}

function toMessage(f: StompFrame, pair: PairHint): DecodedMessage {
  const h = f.headers;
  const message: DecodedMessage = { protocol: PROTOCOL, type: f.command };
  const name = h.destination;
  if (name !== undefined) message.name = name;
  const id =
    f.command === 'SUBSCRIBE' || f.command === 'UNSUBSCRIBE'
      ? h.id
      : (h.subscription ?? h['receipt-id'] ?? h.receipt ?? h['message-id']);
  if (id !== undefined) message.id = id;
  const json = f.body === '' ? undefined : parseJson(f.body);
  message.payload = { headers: h, ...(f.body === '' ? {} : { body: json ? json.value : f.body }) };
  const open = (key: string, once?: boolean) => (pair.open ??= []).push({ key, once });
  if (h.receipt !== undefined) open(`receipt ${h.receipt}`, true);
  switch (f.command) {
    case 'CONNECT':
    case 'STOMP':
      open('connect', true);
      break;
    case 'CONNECTED':
      pair.reply = 'connect';
      pair.last = true;
      break;
    case 'SUBSCRIBE':
      if (h.id !== undefined) open(`sub ${h.id}`);
      break;
    case 'UNSUBSCRIBE':
      if (h.id !== undefined) pair.cancel = `sub ${h.id}`;
      break;
    case 'MESSAGE':
      if (h.subscription !== undefined) pair.reply = `sub ${h.subscription}`;
      break;
    case 'RECEIPT':
      if (h['receipt-id'] !== undefined) {
        pair.reply = `receipt ${h['receipt-id']}`;
        pair.last = true;
      }
      break;
    case 'ERROR':
      if (h['receipt-id'] !== undefined) {
        pair.reply = `receipt ${h['receipt-id']}`;
        pair.last = true;
      } else {
        pair.reply = 'connect';
        pair.last = true;
      }
      break;
  }
  return message;
}

/** A SEND frame (headers escaped as STOMP 1.2 says; content-length in bytes), NUL-terminated. */
export function encodeStompSend(destination: string, body: string, headers: Record<string, string> = {}): string {
  const all: Record<string, string> = { destination, ...headers, 'content-length': String(Buffer.byteLength(body)) };
  let head = 'SEND\n';
  for (const [k, v] of Object.entries(all)) head += `${escapeHeader(k)}:${escapeHeader(v)}\n`;
  return `${head}\n${body}\0`;
}
