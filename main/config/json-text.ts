// Parse JSON text and, when it is broken, say where (line, column) and what is wrong in words.

export type JsonParse = { ok: true; value: unknown } | { ok: false; line: number; column: number; message: string };

/** JSON.parse with a useful error: 1-based line and column of the first problem, and a sentence. */
export function parseJsonText(text: string): JsonParse {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const offset = body === text ? 0 : 1;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (err) {
    if (body.trim() === '')
      return {
        ok: false,
        line: 1,
        column: 1,
        message: 'the file is empty: write {} or delete the file to start from defaults',
      };
    const found = locate(body);
    const at = found?.at ?? positionFromMessage((err as Error).message) ?? 0;
    const { line, column } = lineColumn(text, at + offset);
    return { ok: false, line, column, message: found?.message ?? (err as Error).message };
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function positionFromMessage(message: string): number | undefined {
  const m = /at position (\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

class Stop {
  constructor(
    readonly at: number,
    readonly message: string,
  ) {}
}

/** A small JSON scanner that only finds the first error (JSON.parse already did the parsing). */
function locate(s: string): { at: number; message: string } | null {
  let i = 0;
  const show = (at: number) => (at >= s.length ? 'end of file' : JSON.stringify(s[at]));
  const fail = (what: string, at = i): never => {
    let hint = '';
    if (s[at] === '/' && (s[at + 1] === '/' || s[at + 1] === '*')) hint = ': comments are not allowed in JSON';
    else if (s[at] === "'") hint = ': JSON strings need double quotes';
    throw new Stop(at, `unexpected ${show(at)}, expected ${what}${hint}`);
  };
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  const string = () => {
    const start = i;
    i++;
    for (;;) {
      if (i >= s.length) throw new Stop(start, 'this string is never closed (missing ")');
      const c = s.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 0x20) throw new Stop(i, 'line break or control character inside a string: write it as \\n or \\t');
      if (c === 92) {
        const e = s[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6)))
            throw new Stop(i, 'bad \\u escape: it needs 4 hex digits');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else throw new Stop(i, `bad escape "\\${e ?? ''}" in a string`);
      } else i++;
    }
  };
  const value = (depth: number): void => {
    if (depth > 5000) throw new Stop(i, 'nested too deeply');
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      ws();
      if (s[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (s[i] !== '"') {
          if (s[i] === '}') throw new Stop(i, 'trailing comma before "}": JSON does not allow it');
          fail('a property name in double quotes');
        }
        string();
        ws();
        if (s[i] !== ':') fail('":" after the property name');
        i++;
        value(depth + 1);
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === '}') {
          i++;
          return;
        }
        fail('"," or "}"');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (s[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (s[i] === ']') throw new Stop(i, 'trailing comma before "]": JSON does not allow it');
        value(depth + 1);
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === ']') {
          i++;
          return;
        }
        fail('"," or "]"');
      }
    }
    if (c === '"') return string();
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(s.slice(i, i + 400));
    if (m && m[0] !== '-' && m[0] !== '') {
      i += m[0].length;
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (s.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    fail('a value (object, array, string, number, true, false or null)');
  };
  try {
    value(0);
    ws();
    if (i < s.length) fail('the end of the file (there is more after the value)');
    return null;
  } catch (e) {
    if (e instanceof Stop) return { at: e.at, message: e.message };
    return null;
  }
}
