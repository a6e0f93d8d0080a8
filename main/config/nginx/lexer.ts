// nginx config tokenizer with nginx's own rules (quotes, escapes, comments, `${var}`) and `nginx -t` style errors.

/** A syntax error placed like `nginx -t` places it: `unexpected "}" in /etc/nginx/app.conf:12`. */
export class NginxSyntaxError extends Error {
  file: string;
  line: number;
  column: number;
  /** The message without the " in FILE:LINE" suffix. */
  reason: string;

  constructor(reason: string, file: string, line: number, column: number) {
    super(`${reason} in ${file}:${line}`);
    this.name = 'NginxSyntaxError';
    this.reason = reason;
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

export type TokenKind = 'word' | ';' | '{' | '}';

export interface Token {
  kind: TokenKind;
  /** The word after nginx's unescaping (quotes removed); the punctuation itself otherwise. */
  value: string;
  /** True when the word was written in single or double quotes. */
  quoted: boolean;
  line: number;
  column: number;
}

export interface TokenStream {
  tokens: Token[];
  /** Where the text ends (line and column), for "unexpected end of file" errors. */
  end: { line: number; column: number };
}

const SPACE = new Set([' ', '\t', '\r', '\n']);

/** nginx unescapes every word: \" \' \\ lose the backslash, \t \r \n become control characters. */
export function unescapeWord(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\\' && i + 1 < raw.length) {
      const next = raw[i + 1]!;
      if (next === '"' || next === "'" || next === '\\') {
        out += next;
        i++;
        continue;
      }
      if (next === 't' || next === 'r' || next === 'n') {
        out += next === 't' ? '\t' : next === 'r' ? '\r' : '\n';
        i++;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

/** Split config text into words and punctuation, exactly where nginx would. */
export function tokenize(text: string, file: string): TokenStream {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let col = 1;
  const n = text.length;

  const advance = () => {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
    i++;
  };

  while (i < n) {
    const ch = text[i]!;
    if (SPACE.has(ch)) {
      advance();
      continue;
    }
    if (ch === '#') {
      while (i < n && text[i] !== '\n') advance();
      continue;
    }
    if (ch === ';' || ch === '{' || ch === '}') {
      tokens.push({ kind: ch, value: ch, quoted: false, line, column: col });
      advance();
      continue;
    }
    const startLine = line;
    const startCol = col;
    if (ch === '"' || ch === "'") {
      advance();
      const from = i;
      while (i < n && text[i] !== ch) {
        if (text[i] === '\\' && i + 1 < n) advance();
        advance();
      }
      if (i >= n) {
        throw new NginxSyntaxError('unexpected end of file, expecting ";" or "}"', file, line, col);
      }
      const raw = text.slice(from, i);
      advance(); // closing quote
      tokens.push({ kind: 'word', value: unescapeWord(raw), quoted: true, line: startLine, column: startCol });
      // nginx wants a separator right after a closing quote; ")" counts as one (for `if (...)`).
      if (i < n) {
        const next = text[i]!;
        if (!SPACE.has(next) && next !== ';' && next !== '{' && next !== ')') {
          throw new NginxSyntaxError(`unexpected "${next}"`, file, line, col);
        }
      }
      continue;
    }
    // A bare word: ends at space, ";" or "{" ("${" keeps going); "}" and quotes inside a word are literal.
    const from = i;
    let prevDollar = false;
    while (i < n) {
      const c = text[i]!;
      if (c === '\\') {
        advance();
        if (i < n) advance();
        prevDollar = false;
        continue;
      }
      if (c === '{' && prevDollar) {
        advance();
        prevDollar = false;
        continue;
      }
      if (SPACE.has(c) || c === ';' || c === '{') break;
      prevDollar = c === '$';
      advance();
    }
    tokens.push({
      kind: 'word',
      value: unescapeWord(text.slice(from, i)),
      quoted: false,
      line: startLine,
      column: startCol,
    });
  }
  return { tokens, end: { line, column: col } };
}
