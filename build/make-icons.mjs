// Draws Loopgate's icons (app icon PNGs + .ico + .icns, tray icons per state) with signed distances; no image libraries.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateSync } from 'node:zlib';

// ---- PNG encoding (RGBA, 8 bits, filter 0) ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encode width×height RGBA pixels (Uint8Array, row-major) as a PNG file. */
export function encodePng(width, height, rgba) {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0;
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Windows .ico holding PNG images (Vista and later read these). */
export function encodeIco(images) {
  const head = Buffer.alloc(6 + 16 * images.length);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(images.length, 4);
  let offset = head.length;
  images.forEach(({ size, png }, i) => {
    const e = 6 + 16 * i;
    head[e] = size >= 256 ? 0 : size;
    head[e + 1] = size >= 256 ? 0 : size;
    head.writeUInt16LE(1, e + 4); // planes
    head.writeUInt16LE(32, e + 6); // bits per pixel
    head.writeUInt32LE(png.length, e + 8);
    head.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([head, ...images.map((i) => i.png)]);
}

/** macOS .icns holding PNG images under their OSType (ic07 128, ic08 256, ic09 512, ic10 1024, …). */
export function encodeIcns(entries) {
  const parts = entries.map(({ type, png }) => {
    const h = Buffer.alloc(8);
    h.write(type, 0, 'ascii');
    h.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([h, png]);
  });
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(8);
  h.write('icns', 0, 'ascii');
  h.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([h, body]);
}

// ---- drawing: shapes as signed distances in unit coordinates (0..1), antialiased by pixel size ----

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];

function roundRect(px, py, cx, cy, hw, hh, r) {
  const qx = Math.abs(px - cx) - hw + r;
  const qy = Math.abs(py - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

/** A ring of radius r and width w around (cx, cy) with a gap of `gap` radians centred on angle `at`; round caps. */
function arc(px, py, cx, cy, r, w, gap, at = 0) {
  const dx = px - cx;
  const dy = py - cy;
  let a = Math.atan2(dy, dx) - at;
  a = Math.atan2(Math.sin(a), Math.cos(a));
  if (Math.abs(a) >= gap / 2) return Math.abs(Math.hypot(dx, dy) - r) - w / 2;
  const end = (s) =>
    Math.hypot(px - (cx + r * Math.cos(at + (s * gap) / 2)), py - (cy + r * Math.sin(at + (s * gap) / 2))) - w / 2;
  return Math.min(end(1), end(-1));
}

const circle = (px, py, cx, cy, r) => Math.hypot(px - cx, py - cy) - r;

/** Composite layers ({ d(x,y), color: [r,g,b], alpha }) over transparency at size×size. */
function render(size, layers) {
  const out = new Uint8Array(size * size * 4);
  const aa = 1 / size;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const px = (x + 0.5) / size;
      const py = (y + 0.5) / size;
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (const layer of layers) {
        const cover = clamp(0.5 - layer.d(px, py) / aa, 0, 1) * (layer.alpha ?? 1);
        if (cover <= 0) continue;
        const [lr, lg, lb] = typeof layer.color === 'function' ? layer.color(px, py) : layer.color;
        // "over" in premultiplied form
        r = lr * cover + r * (1 - cover);
        g = lg * cover + g * (1 - cover);
        b = lb * cover + b * (1 - cover);
        a = cover + a * (1 - cover);
      }
      const i = (y * size + x) * 4;
      out[i] = a > 0 ? Math.round(r / a) : 0;
      out[i + 1] = a > 0 ? Math.round(g / a) : 0;
      out[i + 2] = a > 0 ? Math.round(b / a) : 0;
      out[i + 3] = Math.round(a * 255);
    }
  }
  return out;
}

// ---- the designs ----

const TOP = hex('#14b8a6');
const BOTTOM = hex('#0e4f66');

/** App icon: teal rounded square, a white loop open on the right with a gate bar through the opening. */
function appIcon(size) {
  const m = 0.06; // margin, as macOS icons have
  return render(size, [
    {
      d: (x, y) => roundRect(x, y, 0.5, 0.5, 0.5 - m, 0.5 - m, 0.2),
      color: (_x, y) => TOP.map((t, i) => Math.round(t + (BOTTOM[i] - t) * clamp((y - m) / (1 - 2 * m), 0, 1))),
    },
    { d: (x, y) => arc(x, y, 0.47, 0.5, 0.22, 0.085, 1.3), color: [255, 255, 255] },
    { d: (x, y) => roundRect(x, y, 0.705, 0.5, 0.032, 0.17, 0.03), color: [255, 255, 255] },
    { d: (x, y) => circle(x, y, 0.47, 0.5, 0.065), color: [255, 255, 255], alpha: 0.9 },
  ]);
}

const STATE_COLOR = { running: hex('#22c55e'), stopped: hex('#9ca3af'), error: hex('#ef4444') };

/** The glyph inside the loop: running a dot, stopped nothing, error an exclamation mark. */
function stateGlyph(phase) {
  if (phase === 'running') return [(x, y) => circle(x, y, 0.5, 0.5, 0.14)];
  if (phase === 'error')
    return [(x, y) => roundRect(x, y, 0.5, 0.45, 0.055, 0.13, 0.05), (x, y) => circle(x, y, 0.5, 0.67, 0.06)];
  return [];
}

/** Tray icon: a loop (open on the right) and the state glyph; colored, or black+alpha for macOS templates. */
function trayIcon(size, phase, template) {
  const ink = template ? [0, 0, 0] : STATE_COLOR[phase];
  const ring = (x, y) => arc(x, y, 0.5, 0.5, 0.36, 0.13, 1.1);
  const layers = [];
  // A thin dark outline keeps the colored icon visible on light panels too.
  if (!template) layers.push({ d: (x, y) => ring(x, y) - 0.035, color: [20, 20, 20], alpha: 0.55 });
  layers.push({ d: ring, color: ink });
  for (const g of stateGlyph(phase)) {
    if (!template) layers.push({ d: (x, y) => g(x, y) - 0.035, color: [20, 20, 20], alpha: 0.55 });
    layers.push({ d: g, color: ink });
  }
  return render(size, layers);
}

export const APP_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
export const TRAY_PHASES = ['running', 'stopped', 'error'];
const ICNS_TYPES = {
  icp4: 16,
  icp5: 32,
  ic11: 32,
  icp6: 64,
  ic12: 64,
  ic07: 128,
  ic08: 256,
  ic13: 256,
  ic09: 512,
  ic14: 512,
  ic10: 1024,
};

/** Write every icon under `outDir`; returns the relative paths written. */
export function makeIcons(outDir) {
  const written = [];
  const put = (rel, data) => {
    mkdirSync(join(outDir, rel, '..'), { recursive: true });
    writeFileSync(join(outDir, rel), data);
    written.push(rel);
  };
  const png = new Map(APP_SIZES.map((s) => [s, encodePng(s, s, appIcon(s))]));
  for (const [s, data] of png) put(`png/${s}x${s}.png`, data);
  put('icon.png', png.get(1024));
  put('app.png', png.get(256));
  put('icon.ico', encodeIco([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, png: png.get(size) }))));
  put('icon.icns', encodeIcns(Object.entries(ICNS_TYPES).map(([type, size]) => ({ type, png: png.get(size) }))));
  for (const phase of TRAY_PHASES) {
    for (const template of [false, true]) {
      const base = `tray/tray-${phase}${template ? 'Template' : ''}`;
      put(`${base}.png`, encodePng(16, 16, trayIcon(16, phase, template)));
      put(`${base}@2x.png`, encodePng(32, 32, trayIcon(32, phase, template)));
    }
  }
  return written;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = process.argv[2] ?? new URL('./icons/', import.meta.url).pathname;
  const files = makeIcons(out);
  console.log(`make-icons: wrote ${files.length} files to ${out}`);
}
