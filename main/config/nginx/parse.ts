// Builds the directive tree from tokens (nginx's block rules) and splices `include`d files in place.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { NginxSyntaxError, tokenize, type Token } from './lexer.ts';
import type { Warnings } from './warnings.ts';

export interface Directive {
  name: string;
  args: string[];
  /** Which args were quoted (same indexes as args). */
  quoted: boolean[];
  /** Present for block directives (`server { ... }`). */
  block?: Directive[];
  file: string;
  line: number;
  column: number;
}

/** Directives that always take a block (`server` is left out: inside `upstream` it is a plain directive). */
const BLOCK = new Set([
  'http',
  'location',
  'upstream',
  'map',
  'if',
  'events',
  'types',
  'limit_except',
  'geo',
  'split_clients',
]);

/** Well-known directives that never take a block (nginx: `directive "x" is not terminated by ";"`). */
const SIMPLE = new Set([
  'listen',
  'server_name',
  'root',
  'alias',
  'index',
  'charset',
  'autoindex',
  'try_files',
  'include',
  'client_max_body_size',
  'proxy_pass',
  'proxy_set_header',
  'add_header',
  'proxy_redirect',
  'proxy_http_version',
  'proxy_connect_timeout',
  'proxy_send_timeout',
  'proxy_read_timeout',
  'client_body_timeout',
  'send_timeout',
  'proxy_cookie_domain',
  'proxy_cookie_path',
  'proxy_cookie_flags',
  'return',
  'rewrite',
  'expires',
  'gzip',
  'access_log',
  'error_log',
  'proxy_hide_header',
  'proxy_ssl_verify',
  'proxy_ssl_server_name',
  'proxy_ssl_name',
  'proxy_buffering',
  'keepalive',
  'worker_processes',
  'user',
  'pid',
  'sendfile',
]);

/** Parse one file's text into directives (no includes). */
export function parseText(text: string, file: string): Directive[] {
  const { tokens, end } = tokenize(text, file);
  let pos = 0;

  const parseBlock = (depth: number): Directive[] => {
    const out: Directive[] = [];
    let args: Token[] = [];
    for (;;) {
      const tok = tokens[pos++];
      if (!tok) {
        if (args.length)
          throw new NginxSyntaxError('unexpected end of file, expecting ";" or "}"', file, end.line, end.column);
        if (depth > 0) throw new NginxSyntaxError('unexpected end of file, expecting "}"', file, end.line, end.column);
        return out;
      }
      if (tok.kind === 'word') {
        args.push(tok);
        continue;
      }
      if (args.length) notAComment(args[0]!, file);
      if (tok.kind === '}') {
        if (args.length || depth === 0) throw new NginxSyntaxError('unexpected "}"', file, tok.line, tok.column);
        return out;
      }
      if (!args.length) throw new NginxSyntaxError(`unexpected "${tok.kind}"`, file, tok.line, tok.column);
      const head = args[0]!;
      const d: Directive = {
        name: head.value,
        args: args.slice(1).map((t) => t.value),
        quoted: args.slice(1).map((t) => t.quoted),
        file,
        line: head.line,
        column: head.column,
      };
      if (tok.kind === ';') {
        if (BLOCK.has(d.name) && !head.quoted) {
          throw new NginxSyntaxError(`directive "${d.name}" has no opening "{"`, file, tok.line, tok.column);
        }
      } else {
        if (SIMPLE.has(d.name) && !head.quoted) {
          throw new NginxSyntaxError(`directive "${d.name}" is not terminated by ";"`, file, tok.line, tok.column);
        }
        d.block = parseBlock(depth + 1);
      }
      out.push(d);
      args = [];
    }
  };
  return parseBlock(0);
}

/**
 * `//` and `/*` are not comments in nginx: the words become a directive nginx rejects (`unknown
 * directive "//"`, or `unexpected "}"` when no `;` follows). Name the comment's own line and the fix.
 */
function notAComment(head: Token, file: string): void {
  if (head.quoted) return;
  const mark = head.value.startsWith('//') ? '//' : head.value.startsWith('/*') ? '/*' : undefined;
  if (!mark) return;
  throw new NginxSyntaxError(
    `unknown directive "${head.value}": "${mark}" is not an nginx comment, start the line with "#"`,
    file,
    head.line,
    head.column,
  );
}

export type ReadFile = (path: string) => string;

export interface ParseOptions {
  file: string;
  readFile?: ReadFile;
  warnings: Warnings;
}

/** Parse a config and everything it includes; includes are resolved like nginx (then next to the file). */
export function parseConfig(text: string, opts: ParseOptions): Directive[] {
  const mainDir = dirname(opts.file);
  const read: ReadFile = opts.readFile ?? ((p) => readFileSync(p, 'utf8'));
  const canList = !opts.readFile;

  const expand = (list: Directive[], depth: number, seen: string[]): Directive[] => {
    const out: Directive[] = [];
    for (const d of list) {
      if (d.name !== 'include' || d.block) {
        if (d.block) d.block = expand(d.block, depth, seen);
        out.push(d);
        continue;
      }
      const pattern = d.args[0];
      if (d.args.length !== 1 || !pattern) {
        opts.warnings.at(d, 'include takes exactly one file name: ignored');
        continue;
      }
      if (depth >= 16) {
        opts.warnings.at(d, `include "${pattern}" nested too deeply (a loop?): not read`);
        continue;
      }
      for (const path of resolveInclude(pattern, d.file, mainDir, read, canList, opts.warnings, d)) {
        if (seen.includes(path)) {
          opts.warnings.at(d, `include "${pattern}" includes itself: not read again`);
          continue;
        }
        let text: string;
        try {
          text = read(path);
        } catch (e) {
          opts.warnings.at(
            d,
            `include "${pattern}" could not be read (${(e as Error).message ?? e}): its directives are missing`,
          );
          continue;
        }
        out.push(...expand(parseText(text, path), depth + 1, [...seen, path]));
      }
    }
    return out;
  };
  return expand(parseText(text, opts.file), 0, [opts.file]);
}

function resolveInclude(
  pattern: string,
  fromFile: string,
  mainDir: string,
  read: ReadFile,
  canList: boolean,
  warnings: Warnings,
  d: Directive,
): string[] {
  const bases = isAbsolute(pattern) ? [''] : [...new Set([mainDir, dirname(fromFile), dirname(mainDir)])];
  if (!/[*?[]/.test(pattern)) {
    const candidates = bases.map((b) => (b ? join(b, pattern) : pattern));
    for (const c of candidates) {
      try {
        read(c);
        return [c];
      } catch {
        /* try the next base */
      }
    }
    return [candidates[0]!];
  }
  if (!canList) {
    warnings.at(d, `include "${pattern}" uses a wildcard: paste or import the matching files one by one`);
    return [];
  }
  const dirPart = dirname(pattern);
  if (/[*?[]/.test(dirPart)) {
    warnings.at(d, `include "${pattern}": wildcards are supported in the file name only`);
    return [];
  }
  const re = globToRegExp(basename(pattern));
  for (const b of bases) {
    const dir = b ? join(b, dirPart) : dirPart;
    try {
      return readdirSync(dir)
        .filter((name) => re.test(name))
        .sort()
        .map((name) => join(dir, name));
    } catch {
      /* try the next base */
    }
  }
  return [];
}

function globToRegExp(glob: string): RegExp {
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '[^/]*';
    else if (ch === '?') src += '[^/]';
    else src += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}
