// Content types of static files by extension, with the charset added to text types (nginx `types` + `charset`).

/** Extension (lower case, no dot) → media type. Unknown extensions get application/octet-stream (nginx default_type). */
const TYPES: Record<string, string> = {
  html: 'text/html',
  htm: 'text/html',
  shtml: 'text/html',
  xhtml: 'application/xhtml+xml',
  css: 'text/css',
  js: 'text/javascript',
  mjs: 'text/javascript',
  cjs: 'text/javascript',
  json: 'application/json',
  map: 'application/json',
  jsonld: 'application/ld+json',
  webmanifest: 'application/manifest+json',
  txt: 'text/plain',
  text: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  vtt: 'text/vtt',
  ics: 'text/calendar',
  yaml: 'text/yaml',
  yml: 'text/yaml',
  xml: 'application/xml',
  xsl: 'application/xml',
  rss: 'application/rss+xml',
  atom: 'application/atom+xml',
  svg: 'image/svg+xml',
  wasm: 'application/wasm',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  eot: 'application/vnd.ms-fontobject',
  png: 'image/png',
  apng: 'image/apng',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/x-icon',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  ogv: 'video/ogg',
  mov: 'video/quicktime',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  oga: 'audio/ogg',
  ogg: 'audio/ogg',
  opus: 'audio/ogg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  glb: 'model/gltf-binary',
  gltf: 'model/gltf+json',
};

/** Media types that are text (get `; charset=`) besides text/*. */
const TEXTUAL = new Set([
  'application/javascript',
  'application/json',
  'application/xml',
  'image/svg+xml',
  'application/xhtml+xml',
]);

/** The media type of a file name, without parameters; `types` (nginx types) goes over the built-in table. */
export function mediaType(fileName: string, types?: Record<string, string>): string {
  const slash = fileName.lastIndexOf('/');
  const dot = fileName.lastIndexOf('.');
  if (dot <= slash + 1) return 'application/octet-stream'; // no extension, or a bare dotfile
  const ext = fileName.slice(dot + 1).toLowerCase();
  return types?.[ext] ?? TYPES[ext] ?? 'application/octet-stream';
}

/** Does this media type carry text (so a charset applies and compression pays)? */
export function isTextual(type: string): boolean {
  return type.startsWith('text/') || TEXTUAL.has(type) || type.endsWith('+json') || type.endsWith('+xml');
}

/** Worth looking for a precompressed .br/.gz sibling (text, wasm, fonts without their own compression). */
export function isCompressible(type: string): boolean {
  return (
    isTextual(type) ||
    type === 'application/wasm' ||
    type === 'font/ttf' ||
    type === 'font/otf' ||
    type === 'application/vnd.ms-fontobject' ||
    type === 'image/x-icon' ||
    type === 'image/bmp'
  );
}

/** The Content-Type header for a file: media type, plus `; charset=` on text types when a charset is set. */
export function contentType(fileName: string, charset: string, types?: Record<string, string>): string {
  const type = mediaType(fileName, types);
  return charset && isTextual(type) ? `${type}; charset=${charset}` : type;
}
