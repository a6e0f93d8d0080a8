// The static site of a server: root, index, try_files (SPA fallback), autoindex, charset, expires, gzip_static, types.
import type { ConfigInput } from '../../../shared/config.ts';
import type { LocNode } from './locations.ts';
import type { Directive } from './parse.ts';
import { parseExpires, parseSize } from '../../../shared/units.ts';
import { scalar, type Used } from './scope.ts';
import { Warnings } from './warnings.ts';

type SiteFields = Pick<
  ConfigInput,
  | 'root'
  | 'index'
  | 'spa'
  | 'tryFiles'
  | 'autoindex'
  | 'charset'
  | 'gzip'
  | 'gzipStatic'
  | 'brotliStatic'
  | 'expires'
  | 'types'
>;

/** Where the stock mime.types nginx ships (and every distribution includes) names a type Loopgate's table does not. */
export const NGINX_STOCK_TYPES: Record<string, string> = { js: 'application/javascript', xml: 'text/xml' };

/** Read the static settings effective in `location /` (or at server level when it has none). */
export function readStatic(
  http: Directive[],
  body: Directive[],
  staticNode: LocNode | undefined,
  w: Warnings,
  used: Used,
): { fields: SiteFields } {
  const own = staticNode?.d.block ?? [];
  const chain = staticNode ? [http, body, own] : [http, body];
  const fields: SiteFields = {};

  // root at server level stays "used" even when location / overrides it (other locations inherit it).
  scalar([http, body], 'root', used);
  const rootD = scalar(chain, 'root', used);
  const indexD = scalar(chain, 'index', used);
  const autoD = scalar(chain, 'autoindex', used);
  const charsetD = scalar(chain, 'charset', used);
  const tryD = scalar(staticNode ? [body, own] : [body], 'try_files', used);
  const ret = own.find((d) => d.name === 'return');
  const serveNothing = ret?.args.length === 1 && ret.args[0] === '404';
  if (serveNothing) used.mark(ret);

  const root = rootD?.args[0];
  if (serveNothing || !root) {
    if (!serveNothing && staticNode && !own.some((d) => d.name === 'location')) {
      w.at(
        staticNode.d,
        'no root: nginx would serve its own html folder here; Loopgate serves no files until root is set',
      );
    }
    return { fields };
  }
  if (rootD!.args.length !== 1 || /\$/.test(root)) {
    w.at(rootD!, `root ${rootD!.args.join(' ')}: variables are not supported: no static files`);
    return { fields };
  }
  fields.root = root;
  if (!root.startsWith('/')) {
    w.at(rootD!, 'relative root: nginx reads it from its prefix folder, Loopgate from the folder of loopgate.json');
  }
  if (indexD) {
    const names = indexD.args.filter((n) => n !== '' && !n.includes('$'));
    if (names.length !== indexD.args.length) w.at(indexD, 'index names with variables are not supported: left out');
    if (names.length) fields.index = names;
  }
  const indexFile = (fields.index ?? LOOPGATE_INDEX)[0]!;
  const literal = tryD && tryD.args.length >= 2 && tryD.args.every((a) => TRY_ARG.test(a));
  // try_files as written runs as nginx runs it; `spa` stays as the summary the UI shows.
  fields.spa = tryD ? readTryFiles(tryD, indexFile, literal ? new Warnings() : w) : false;
  if (literal) {
    fields.tryFiles = tryD.args;
    const named = tryD.args[tryD.args.length - 1]!;
    if (named.startsWith('@')) {
      w.at(
        tryD,
        `try_files falls back to the named location ${named}: Loopgate does not follow named locations and answers 404`,
      );
    }
  }
  if (autoD) {
    if (autoD.args[0] === 'on') fields.autoindex = true;
    else if (autoD.args[0] === 'off') fields.autoindex = false;
  }
  const charset = charsetD?.args[0];
  // Literal: nginx adds no charset, serves no precompressed sibling and sets no caching headers unless told.
  fields.charset = charset && charset !== 'off' ? charset : 'off';
  if (charsetD && fields.charset !== 'off') {
    w.at(
      charsetD,
      `charset ${charset}: nginx adds it only to text/html, text/plain, text/xml, application/javascript and RSS (charset_types); Loopgate to every text type (CSS, JSON, SVG too)`,
    );
  }
  const gz = scalar(chain, 'gzip_static', used);
  fields.gzipStatic = gz?.args[0] === 'on' || gz?.args[0] === 'always';
  fields.brotliStatic = scalar(chain, 'brotli_static', used)?.args[0] === 'on';
  const expiresD = scalar(chain, 'expires', used);
  const expires = expiresD?.args.length === 1 ? expiresD.args[0]! : expiresD ? undefined : 'off';
  if (expires !== undefined && parseExpires(expires) !== undefined) fields.expires = expires;
  else {
    fields.expires = 'off';
    w.at(
      expiresD!,
      `expires ${expiresD!.args.join(' ')}: only "off", "epoch", "max" or a time is understood: no caching headers`,
    );
  }
  fields.types = { ...NGINX_STOCK_TYPES, ...readTypes(chain, used, w) };
  const gzipD = scalar(chain, 'gzip', used);
  if (gzipD?.args[0] === 'on') {
    const types = scalar(chain, 'gzip_types', used)?.args.filter((t) => t !== 'text/html');
    const minD = scalar(chain, 'gzip_min_length', used);
    const min = minD?.args.length === 1 ? parseSize(minD.args[0]!) : undefined;
    const vary = scalar(chain, 'gzip_vary', used)?.args[0] === 'on';
    fields.gzip = {
      ...(types?.length ? { types } : {}),
      ...(min !== undefined ? { minLength: min } : {}),
      ...(vary ? { vary } : {}),
    };
    for (const name of ['gzip_comp_level', 'gzip_proxied', 'gzip_disable', 'gzip_buffers', 'gzip_http_version']) {
      scalar(chain, name, used);
    }
    w.at(
      gzipD,
      'gzip: Loopgate compresses static files on the fly; proxied answers pass through as the backend sends them (nginx compresses those too)',
    );
  }
  return { fields };
}

const LOOPGATE_INDEX = ['index.html'];
const TRY_ARG = /^(\$uri|\/)\S*$|^=\d{3}$|^@\S+$/;

/** `types { application/javascript js mjs; }` blocks (the innermost level that has one wins, as in nginx). */
function readTypes(chain: Directive[][], used: Used, w: Warnings): Record<string, string> {
  for (let i = chain.length - 1; i >= 0; i--) {
    const blocks = chain[i]!.filter((d) => d.name === 'types' && d.block);
    if (!blocks.length) continue;
    const out: Record<string, string> = {};
    for (const b of blocks) {
      used.mark(b);
      for (const entry of b.block!) {
        used.mark(entry);
        for (const ext of entry.args) {
          if (/^[A-Za-z0-9_+.-]+$/.test(ext)) out[ext.toLowerCase()] = entry.name;
          else w.at(entry, `types: "${ext}" is not a file extension: ignored`);
        }
      }
    }
    return out;
  }
  return {};
}

/** `try_files $uri $uri/ /index.html` → SPA fallback; `$uri $uri/ =404` → none; others warn. */
function readTryFiles(d: Directive, indexFile: string, w: Warnings): boolean {
  const args = d.args;
  const lastArg = args[args.length - 1] ?? '';
  const probes = args.slice(0, -1);
  const plain = probes.length > 0 && probes.includes('$uri') && probes.every((a) => a === '$uri' || a === '$uri/');
  if (plain && lastArg === '=404') return false;
  if (plain && /^\/[^$@=]+$/.test(lastArg)) {
    if (lastArg !== `/${indexFile}`) {
      w.at(d, `try_files falls back to ${lastArg}; Loopgate's SPA fallback serves the index file (/${indexFile})`);
    }
    return true;
  }
  if (probes.some((a) => a !== '$uri' && a !== '$uri/') && /^\/[^$@=]+$/.test(lastArg)) {
    w.at(d, `try_files ${args.join(' ')}: only $uri and $uri/ are probed by Loopgate; the SPA fallback is kept`);
    return true;
  }
  w.at(
    d,
    `try_files ${args.join(' ')}: not supported (Loopgate serves the file, the folder's index, then the SPA fallback): spa is off`,
  );
  return false;
}
