// Copies WebSocket payload bytes out of a live chunk, unmasking the copy (never the source).
import { endianness } from 'node:os';

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Copy src[start, end) to dst at dstOff and, when `mask` is given, unmask the copy in place; `maskOff`
 * is the position of src[start] within the frame's payload (masks repeat every 4 bytes).
 */
export function copyUnmasked(
  dst: Buffer,
  dstOff: number,
  src: Buffer,
  start: number,
  end: number,
  mask: Buffer | null,
  maskOff: number,
): void {
  const n = end - start;
  if (mask === null) {
    src.copy(dst, dstOff, start, end);
  } else if (n < 128) {
    // Small payloads: one pass, no native call.
    let k = maskOff & 3;
    for (let i = 0; i < n; i++) {
      dst[dstOff + i] = src[start + i]! ^ mask[k]!;
      k = (k + 1) & 3;
    }
  } else {
    src.copy(dst, dstOff, start, end);
    unmaskInPlace(dst, dstOff, dstOff + n, mask, maskOff);
  }
}

/** XOR buf[start, end) with the mask, buf[start] being payload byte number `maskOff`. */
export function unmaskInPlace(buf: Buffer, start: number, end: number, mask: Buffer, maskOff: number): void {
  let i = start;
  let k = maskOff & 3;
  if (LITTLE_ENDIAN && end - start >= 64) {
    // Byte-wise up to a 4-byte aligned address, then 32 bits at a time.
    while ((buf.byteOffset + i) & 3) {
      buf[i] = buf[i]! ^ mask[k]!;
      i++;
      k = (k + 1) & 3;
    }
    const words = (end - i) >>> 2;
    const m = mask[k]! | (mask[(k + 1) & 3]! << 8) | (mask[(k + 2) & 3]! << 16) | (mask[(k + 3) & 3]! << 24) | 0;
    const view = new Int32Array(buf.buffer, buf.byteOffset + i, words);
    let w = 0;
    for (; w + 4 <= words; w += 4) {
      view[w] = view[w]! ^ m;
      view[w + 1] = view[w + 1]! ^ m;
      view[w + 2] = view[w + 2]! ^ m;
      view[w + 3] = view[w + 3]! ^ m;
    }
    for (; w < words; w++) view[w] = view[w]! ^ m;
    i += words * 4;
  }
  for (; i < end; i++) {
    buf[i] = buf[i]! ^ mask[k]!;
    k = (k + 1) & 3;
  }
}
