// A stored frame's payload as text or bytes, and JSON read without throwing: what every decoder starts from.
import type { FrameLike } from './types.ts';

export function textOf(f: FrameLike): string {
  return f.encoding === 'text' ? f.data : Buffer.from(f.data, 'base64').toString('utf8');
}

export function bytesOf(f: FrameLike): Buffer {
  return f.encoding === 'base64' ? Buffer.from(f.data, 'base64') : Buffer.from(f.data, 'utf8');
}

/** JSON.parse, or undefined when the text is not JSON. */
export function parseJson(text: string): { value: unknown } | undefined {
  const t = text.trimStart();
  if (t === '') return undefined;
  const c = t[0]!;
  if (c !== '{' && c !== '[' && c !== '"' && c !== '-' && !(c >= '0' && c <= '9') && !/^(true|false|null)/.test(t)) {
    return undefined;
  }
  try {
    return { value: JSON.parse(t) };
  } catch {
    return undefined;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An id as the API shows it: strings as they are, numbers in decimal. */
export function idText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** Binary data inside a JSON tree (a Socket.IO attachment, a MessagePack bin): its size and first bytes. */
export function binaryNode(bytes: Uint8Array): { $binary: string; length: number } {
  const head = bytes.subarray(0, 4096);
  return {
    $binary: Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('base64'),
    length: bytes.length,
  };
}
