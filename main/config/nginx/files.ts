// An nginx location without proxy_pass: the files it serves (root or alias, try_files, expires, add_header, return).
import type { FileLocation } from '../../../shared/config.ts';
import { parseExpires } from '../../../shared/units.ts';
import type { LocNode } from './locations.ts';
import { plainHeaders, toAddHeaders } from './route.ts';
import type { Used } from './scope.ts';
import type { Warnings } from './warnings.ts';

const TRY_ARG = /^(\$uri|\/)\S*$|^=\d{3}$|^@\S+$/;

/**
 * The file location for `node`, or undefined when Loopgate cannot serve it as nginx would (nested
 * locations, no folder at all, variables): the caller then warns as before. `siteRoot`: the server's root.
 */
export function readFileLocation(
  node: LocNode,
  siteRoot: string | undefined,
  w: Warnings,
  used: Used,
): (FileLocation & { match: string }) | undefined {
  const block = node.d.block ?? [];
  if (block.some((d) => d.name === 'location' || d.name === 'if')) return undefined;
  const own = (name: string) => block.filter((d) => d.name === name).pop();
  const root = own('root');
  const alias = own('alias');
  const regex = node.flatModifier === '~' || node.flatModifier === '~*';
  const out: FileLocation & { match: string } = { match: node.match };
  const ret = own('return');
  if (ret) {
    const status = Number(ret.args[0]);
    if (!/^\d{3}$/.test(ret.args[0] ?? '') || ret.args.length > 2 || /\$/.test(ret.args[1] ?? '')) return undefined;
    used.mark(ret);
    out.return = { status, ...(ret.args[1] !== undefined ? { text: ret.args[1] } : {}) };
    return out;
  }
  for (const d of [root, alias]) {
    if (d && (d.args.length !== 1 || /\$/.test(d.args[0]!))) return undefined;
  }
  if (alias) {
    if (regex) {
      w.at(alias, 'alias in a regex location (with captures) is not supported: location skipped');
      return undefined;
    }
    out.alias = alias.args[0]!;
    used.mark(alias);
  } else if (root) {
    out.root = root.args[0]!;
    used.mark(root);
  } else if (!siteRoot) {
    return undefined;
  }
  const index = own('index');
  if (index?.args.every((n) => !n.includes('$'))) {
    out.index = index.args;
    used.mark(index);
  }
  const tryD = own('try_files');
  if (tryD && tryD.args.length >= 2 && tryD.args.every((a) => TRY_ARG.test(a))) {
    out.tryFiles = tryD.args;
    used.mark(tryD);
  }
  const expires = own('expires');
  if (expires?.args.length === 1 && parseExpires(expires.args[0]!) !== undefined) {
    out.expires = expires.args[0]!;
    used.mark(expires);
  }
  const adds = block.filter((d) => d.name === 'add_header');
  if (adds.length) {
    used.mark(...adds);
    const headers = plainHeaders(
      toAddHeaders(adds, w).map((h) => ({ ...h, always: true })),
      w,
    );
    for (const d of adds) {
      if (d.args[2] !== 'always') {
        w.at(
          d,
          `add_header ${d.args[0]} without "always": nginx adds it only to 2xx/3xx answers, Loopgate to every answer of this location`,
        );
      }
    }
    if (headers) out.addHeaders = headers;
  }
  return out;
}
