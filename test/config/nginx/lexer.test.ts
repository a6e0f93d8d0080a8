// nginx config tokenizer and parser: quoting, escapes, comments, includes, and `nginx -t`-style error positions.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { NginxSyntaxError, tokenize, unescapeWord } from '../../../main/config/nginx/lexer.ts';
import { parseConfig, parseText, type Directive } from '../../../main/config/nginx/parse.ts';
import { Warnings } from '../../../main/config/nginx/warnings.ts';
import { NGINX_BIN, nginxMissing } from '../../helpers/nginx.ts';

const words = (text: string) => tokenize(text, 'x.conf').tokens.map((t) => (t.kind === 'word' ? t.value : t.kind));

function syntaxError(fn: () => unknown): NginxSyntaxError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof NginxSyntaxError, `expected NginxSyntaxError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a syntax error');
}

describe('tokenize', () => {
  test('splits words and punctuation like nginx', () => {
    assert.deepEqual(words('location /api { proxy_pass http://h:1/; }'), [
      'location',
      '/api',
      '{',
      'proxy_pass',
      'http://h:1/',
      ';',
      '}',
    ]);
  });

  test('double and single quotes keep spaces, semicolons, braces and #', () => {
    assert.deepEqual(words(`add_header X "a b; {c} #d" 'e f';`), ['add_header', 'X', 'a b; {c} #d', 'e f', ';']);
  });

  test('escapes: \\" \\\' \\\\ lose the backslash, \\t \\n become control characters, others stay', () => {
    assert.deepEqual(words(String.raw`x "a\"b" 'c\'d' "e\\f" "g\th" "i\.j" k\.l;`), [
      'x',
      'a"b',
      "c'd",
      'e\\f',
      'g\th',
      'i\\.j',
      'k\\.l',
      ';',
    ]);
    assert.equal(unescapeWord(String.raw`\n`), '\n');
    assert.equal(unescapeWord('tail\\'), 'tail\\');
  });

  test('comments run to the end of the line, but # inside a word is part of it', () => {
    assert.deepEqual(words('a b; # c d;\n e f#g;'), ['a', 'b', ';', 'e', 'f#g', ';']);
  });

  test('${var} keeps its braces inside a word; "}" inside a bare word is literal', () => {
    assert.deepEqual(words('set $a ${host}x; y a}b;'), ['set', '$a', '${host}x', ';', 'y', 'a}b', ';']);
  });

  test('a closing quote may be followed by ")" (if conditions)', () => {
    assert.deepEqual(words(`if ($request_method = 'OPTIONS') { }`), [
      'if',
      '($request_method',
      '=',
      'OPTIONS',
      ')',
      '{',
      '}',
    ]);
  });

  test('tokens carry line and column', () => {
    const t = tokenize('a;\n  bb "c";', 'x.conf').tokens;
    assert.deepEqual(
      t.map((x) => [x.value, x.line, x.column]),
      [
        ['a', 1, 1],
        [';', 1, 2],
        ['bb', 2, 3],
        ['c', 2, 6],
        [';', 2, 9],
      ],
    );
    assert.equal(t[3]!.quoted, true);
  });

  test('a word glued to a closing quote is an error at that character', () => {
    const e = syntaxError(() => tokenize('a "b"c;', 'f.conf'));
    assert.equal(e.message, 'unexpected "c" in f.conf:1');
    assert.deepEqual([e.line, e.column], [1, 6]);
  });

  test('an unterminated quote is an end-of-file error', () => {
    const e = syntaxError(() => tokenize('a "b;\n\n', 'f.conf'));
    assert.equal(e.message, 'unexpected end of file, expecting ";" or "}" in f.conf:3');
  });
});

describe('parseText', () => {
  test('builds the directive tree with positions', () => {
    const tree = parseText('http {\n  server {\n    listen 80;\n  }\n}\n', 'n.conf');
    const server = tree[0]!.block![0]!;
    assert.equal(server.name, 'server');
    assert.deepEqual(server.block![0], {
      name: 'listen',
      args: ['80'],
      quoted: [false],
      file: 'n.conf',
      line: 3,
      column: 5,
    });
  });

  const cases: Array<[string, string, number, number]> = [
    ['server {\n  location / {\n  }\n}}\n', 'unexpected "}"', 4, 2],
    ['server {\n  listen 80\n}\n', 'unexpected "}"', 3, 1],
    ['server {\n  ;\n}\n', 'unexpected ";"', 2, 3],
    ['server {\n  listen 80;\n', 'unexpected end of file, expecting "}"', 3, 1],
    ['server {\n  listen 80', 'unexpected end of file, expecting ";" or "}"', 2, 12],
    ['server {\n  location /;\n}\n', 'directive "location" has no opening "{"', 2, 13],
    ['server {\n  proxy_pass http://x {\n}}\n', 'directive "proxy_pass" is not terminated by ";"', 2, 23],
    ['{ }', 'unexpected "{"', 1, 1],
  ];
  for (const [text, reason, line, column] of cases) {
    test(`error: ${reason} at ${line}:${column}`, () => {
      const e = syntaxError(() => parseText(text, '/etc/nginx/app.conf'));
      assert.equal(e.reason, reason);
      assert.equal(e.message, `${reason} in /etc/nginx/app.conf:${line}`);
      assert.deepEqual([e.file, e.line, e.column], ['/etc/nginx/app.conf', line, column]);
    });
  }

  const slashComments: Array<[string, string, number, number]> = [
    ['server {\n  location / {\n    // to the app\n    proxy_pass http://a;\n  }\n}\n', '//', 3, 5],
    ['server {\n  location / {\n    proxy_pass http://a;\n    // the end\n  }\n}\n', '//', 4, 5],
    ['server {\n  /* old */\n  listen 80;\n}\n', '/*', 2, 3],
  ];
  for (const [text, mark, line, column] of slashComments) {
    test(`a "${mark}" comment is an error on its own line (${line}) saying it is not an nginx comment`, () => {
      const e = syntaxError(() => parseText(text, '/etc/nginx/app.conf'));
      assert.match(
        e.reason,
        new RegExp(`"${mark.replace('*', '\\*')}" is not an nginx comment, start the line with "#"`),
      );
      assert.deepEqual([e.line, e.column], [line, column]);
      assert.match(e.message, new RegExp(`in /etc/nginx/app.conf:${line}$`));
    });
  }

  test('"//" inside a value (a URL) or quoted is no comment', () => {
    const tree = parseText('server {\n  proxy_pass http://a//b;\n  add_header X "// y";\n}\n', 'n.conf');
    assert.deepEqual(
      tree[0]!.block!.map((d) => d.args),
      [['http://a//b'], ['X', '// y']],
    );
  });

  test('real nginx -t rejects the same "//" lines too', { skip: nginxMissing }, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'loopgate-lexer-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    slashComments.slice(0, 2).forEach(([text], i) => {
      const file = join(dir, `c${i}.conf`);
      writeFileSync(file, `events {}\nhttp {\n${text}}\n`);
      const r = spawnSync(NGINX_BIN!, ['-t', '-p', dir, '-c', file], { encoding: 'utf8' });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /unknown directive "\/\/"|unexpected "}"/);
    });
  });

  test('the same broken files get the same message and line from real nginx -t', { skip: nginxMissing }, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'loopgate-lexer-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const broken = [
      'events {}\nhttp {\n  server {\n    location / {\n    }\n  }}}\n',
      'events {}\nhttp {\n  server {\n    listen 127.0.0.1:1 \n  }\n}\n',
      'events {}\nhttp {\n  server {\n    add_header X "a"b;\n  }\n}\n',
      'events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n',
      'events {}\nhttp {\n  server {\n    add_header X "abc;\n  }\n}\n',
      'events {}\nhttp {\n  server {\n    ;\n  }\n}\n',
    ];
    broken.forEach((text, i) => {
      const file = join(dir, `b${i}.conf`);
      writeFileSync(file, text);
      const r = spawnSync(NGINX_BIN!, ['-t', '-p', dir, '-c', file], { encoding: 'utf8' });
      const nginxSays = /\[emerg\] \d+#\d+: (.*)/.exec(r.stderr)?.[1];
      assert.ok(nginxSays, r.stderr);
      const e = syntaxError(() => parseText(text, file));
      assert.equal(e.message, nginxSays);
    });
  });
});

describe('parseConfig includes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-include-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const names = (list: Directive[]): string[] => list.flatMap((d) => [d.name, ...(d.block ? names(d.block) : [])]);

  test('includes are read relative to the main file and spliced in place, keeping their own file and line', () => {
    const files: Record<string, string> = {
      '/etc/nginx/nginx.conf': 'http {\n  include conf.d/app.conf;\n  gzip on;\n}\n',
      '/etc/nginx/conf.d/app.conf': 'server {\n  include snippets/h.conf;\n}\n',
      '/etc/nginx/snippets/h.conf': '\nproxy_set_header Host $host;\n',
    };
    const w = new Warnings();
    const tree = parseConfig(files['/etc/nginx/nginx.conf']!, {
      file: '/etc/nginx/nginx.conf',
      readFile: (p) => {
        const text = files[p];
        if (text === undefined) throw new Error(`ENOENT ${p}`);
        return text;
      },
      warnings: w,
    });
    assert.deepEqual(names(tree), ['http', 'server', 'proxy_set_header', 'gzip']);
    const psh = tree[0]!.block![0]!.block![0]!;
    assert.deepEqual([psh.file, psh.line], ['/etc/nginx/snippets/h.conf', 2]);
    assert.deepEqual(w.list, []);
  });

  test('an include that cannot be read is a warning with file and line; a loop stops', () => {
    const w = new Warnings();
    const files: Record<string, string> = { '/c/a.conf': 'include missing.conf;\ninclude a.conf;\nlisten 1;\n' };
    const tree = parseConfig(files['/c/a.conf']!, {
      file: '/c/a.conf',
      readFile: (p) => {
        if (files[p] === undefined) throw new Error('not found');
        return files[p]!;
      },
      warnings: w,
    });
    assert.deepEqual(names(tree), ['listen']);
    assert.deepEqual(
      w.list.map((x) => [x.file, x.line, x.directive]),
      [
        ['/c/a.conf', 1, 'include'],
        ['/c/a.conf', 2, 'include'],
      ],
    );
    assert.match(w.list[0]!.message, /could not be read/);
    assert.match(w.list[1]!.message, /includes itself/);
  });

  test('a syntax error inside an included file names that file', () => {
    const e = syntaxError(() =>
      parseConfig('server { include bad.conf; }', {
        file: '/x/main.conf',
        readFile: () => 'location / {\n  listen 1\n}\n',
        warnings: new Warnings(),
      }),
    );
    assert.equal(e.message, 'unexpected "}" in /x/bad.conf:3');
  });

  test('wildcard includes read matching files from disk in name order', () => {
    mkdirSync(join(dir, 'sites'));
    writeFileSync(join(dir, 'sites', 'b.conf'), 'server { listen 2; }');
    writeFileSync(join(dir, 'sites', 'a.conf'), 'server { listen 1; }');
    writeFileSync(join(dir, 'sites', 'skip.txt'), 'server { listen 3; }');
    const main = join(dir, 'nginx.conf');
    const w = new Warnings();
    const tree = parseConfig('http { include sites/*.conf; }', { file: main, warnings: w });
    assert.deepEqual(
      tree[0]!.block!.map((s) => s.block![0]!.args[0]),
      ['1', '2'],
    );
    const pasted = new Warnings();
    parseConfig('include sites/*.conf;', { file: main, readFile: () => '', warnings: pasted });
    assert.match(pasted.list[0]!.message, /wildcard/);
  });
});
