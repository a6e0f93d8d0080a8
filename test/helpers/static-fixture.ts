// The site tree both static test files serve: every MIME kind, precompressed siblings, dotfiles, folders and escaping symlinks.
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { makeSiteTree, type SiteTree } from './static-site.ts';

export const INDEX = '<!doctype html><title>app</title>';
export const APP = 'console.log("hello from app.js");'.repeat(20);
export const BIG = Buffer.alloc(4 * 1024 * 1024, 'abcdefgh');
export const BYTES = Buffer.from(Array.from({ length: 100 }, (_, i) => i));

/** A fresh tree (its own temp folder): tests may add files or rename root without touching another file's tree. */
export function makeFixtureTree(): SiteTree {
  return makeSiteTree(
    {
      '/index.html': INDEX,
      '/main.html': '<title>main</title>',
      '/assets/app.js': APP,
      '/assets/app.js.br': brotliCompressSync(APP),
      '/assets/app.js.gz': gzipSync(APP),
      '/assets/only.css': 'body{}',
      '/style.css': 'a{color:red}',
      '/mod.mjs': 'export {}',
      '/data.json': '{"a":1}',
      '/app.js.map': '{}',
      '/site.webmanifest': '{}',
      '/logo.svg': '<svg/>',
      '/feed.xml': '<x/>',
      '/notes.txt': 'notes',
      '/mod.wasm': Buffer.from([0, 97, 115, 109]),
      '/font.woff2': Buffer.from('wOF2'),
      '/img/pic.png': Buffer.from([137, 80, 78, 71]),
      '/img/photo.JPG': Buffer.from([255, 216]),
      '/blob.unknownext': 'x',
      '/bytes.bin': BYTES,
      '/big.bin': BIG,
      '/empty.txt': '',
      '/.env': 'SECRET=1',
      '/.git/config': '[core]',
      '/docs/.hidden': 'hidden',
      '/.well-known/security.txt': 'Contact: me',
      '/.well-known/.private': 'no',
      '/blog/index.html': 'blog index',
      '/multi/main.html': 'multi main',
      '/multi/index.html': 'multi index',
      '/docs/b.txt': 'bb',
      '/docs/a.txt': 'a',
      '/docs/<b>&"x\'.txt': 'weird',
      '/docs/zdir/': '',
      '/docs/adir/': '',
      '/empty-dir/': '',
    },
    {
      '/escape.txt': '../secret.txt',
      '/escdir': '..',
      '/evil': '../site-evil',
      '/inner.js': 'assets/app.js',
      '/docs/link-out': '../../secret.txt',
    },
  );
}
