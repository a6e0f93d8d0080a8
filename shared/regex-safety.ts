// Spots regular expressions whose backtracking can blow up (ReDoS): ambiguous nested loops, overlapping alternatives in a loop, adjacent overlapping quantifiers.

/*
 * A small static check, not a proof (docs/hardening.md, "ReDoS"). The pattern is parsed into
 * sequences, alternatives, quantifiers and character sets (ASCII exactly, everything else as one
 * "other" class), then three shapes are reported:
 * - a repeating quantifier inside an unbounded loop whose element can also start what follows it in
 *   the loop, the next iteration included: (a+)+, (\w+\s?)*, (a*b*)* — exponential;
 * - alternatives that can start with the same character, as the body of an unbounded loop:
 *   (a|aa)*, (\w|\d)+, (.|\s)* — exponential;
 * - two unbounded quantifiers with overlapping sets with nothing but optional parts between them:
 *   .*.*, \d+\d*, a+a+ — polynomial of a degree that a few KiB of input make take minutes.
 * Safe shapes stay allowed: (\/[a-z]+)*, ([a-z]+\.)+, ^/api/(.*)/(.*)$, \.(png|jpe?g)$.
 */

/** 128 ASCII bits plus "some character outside ASCII". */
interface CharSet {
  bits: Uint32Array;
  other: boolean;
}

/** `text`: the part of the source the node was parsed from (for messages). */
type Node = { text?: string } & (
  | { k: 'atom'; set: CharSet }
  | { k: 'empty' }
  | { k: 'seq'; items: Node[] }
  | { k: 'alt'; alts: Node[] }
  | { k: 'quant'; body: Node; min: number; max: number }
);

export interface RegexHazard {
  /** What makes it slow, for a person: names the part of the pattern. */
  reason: string;
  /** The pattern uses a backreference or a lookaround (V8's linear-time engine cannot run it). */
  needsBacktracking: boolean;
}

function emptySet(): CharSet {
  return { bits: new Uint32Array(4), other: false };
}

function allSet(): CharSet {
  return { bits: new Uint32Array(4).fill(0xffffffff), other: true };
}

function add(s: CharSet, code: number): void {
  if (code < 128) s.bits[code >> 5]! |= 1 << (code & 31);
  else s.other = true;
}

function addRange(s: CharSet, from: number, to: number): void {
  for (let c = from; c <= Math.min(to, 127); c++) add(s, c);
  if (to >= 128) s.other = true;
}

function union(a: CharSet, b: CharSet): CharSet {
  const out = emptySet();
  for (let i = 0; i < 4; i++) out.bits[i] = a.bits[i]! | b.bits[i]!;
  out.other = a.other || b.other;
  return out;
}

function overlaps(a: CharSet, b: CharSet): boolean {
  for (let i = 0; i < 4; i++) if ((a.bits[i]! & b.bits[i]!) !== 0) return true;
  return a.other && b.other;
}

function isEmpty(s: CharSet): boolean {
  return !s.other && s.bits.every((w) => w === 0);
}

function complement(s: CharSet): CharSet {
  const out = emptySet();
  for (let i = 0; i < 4; i++) out.bits[i] = ~s.bits[i]!;
  out.other = true; // outside ASCII there is always something left
  return out;
}

function classEscape(c: string): CharSet | null {
  const s = emptySet();
  switch (c.toLowerCase()) {
    case 'd':
      addRange(s, 48, 57);
      break;
    case 'w':
      addRange(s, 48, 57);
      addRange(s, 65, 90);
      addRange(s, 97, 122);
      add(s, 95);
      break;
    case 's':
      for (const code of [9, 10, 11, 12, 13, 32]) add(s, code);
      s.other = true;
      break;
    default:
      return null;
  }
  return c === c.toUpperCase() ? complement(s) : s;
}

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11, '0': 0 };

class Parser {
  i = 0;
  backtrackOnly = false;
  constructor(
    private readonly src: string,
    private readonly fold: boolean,
    private readonly dotAll: boolean,
  ) {}

  parse(): Node {
    const n = this.alt();
    if (this.i < this.src.length) throw new Error('unbalanced )');
    return n;
  }

  private alt(): Node {
    const alts = [this.seq()];
    while (this.src[this.i] === '|') {
      this.i++;
      alts.push(this.seq());
    }
    return alts.length === 1 ? alts[0]! : { k: 'alt', alts };
  }

  private seq(): Node {
    const start = this.i;
    const node = this.items();
    node.text ??= this.src.slice(start, this.i);
    return node;
  }

  private items(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      const start = this.i;
      let node = this.atom();
      node.text ??= this.src.slice(start, this.i);
      for (;;) {
        const q = this.quantifier();
        if (q === null) break;
        node = { k: 'quant', body: node, min: q[0], max: q[1], text: this.src.slice(start, this.i) };
      }
      items.push(node);
    }
    return items.length === 1 ? items[0]! : { k: 'seq', items };
  }

  private quantifier(): [number, number] | null {
    const c = this.src[this.i];
    let q: [number, number] | null = null;
    if (c === '*') q = [0, Infinity];
    else if (c === '+') q = [1, Infinity];
    else if (c === '?') q = [0, 1];
    if (q !== null) this.i++;
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (m === null) return null;
      this.i += m[0].length;
      const min = Number(m[1]);
      q = [min, m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3])];
    } else return null;
    if (this.src[this.i] === '?') this.i++; // lazy: the same backtracking, in another order
    return q;
  }

  private char(code: number): Node {
    const set = emptySet();
    add(set, code);
    if (this.fold) {
      const ch = String.fromCharCode(code);
      add(set, ch.toLowerCase().charCodeAt(0));
      add(set, ch.toUpperCase().charCodeAt(0));
    }
    return { k: 'atom', set };
  }

  private atom(): Node {
    const src = this.src;
    const c = src[this.i]!;
    if (c === '(') {
      this.i++;
      let look = false;
      if (src.startsWith('?:', this.i)) this.i += 2;
      else if (src.startsWith('?=', this.i) || src.startsWith('?!', this.i)) {
        this.i += 2;
        look = true;
      } else if (src.startsWith('?<=', this.i) || src.startsWith('?<!', this.i)) {
        this.i += 3;
        look = true;
      } else if (src.startsWith('?<', this.i)) this.i = src.indexOf('>', this.i) + 1;
      const body = this.alt();
      if (src[this.i] !== ')') throw new Error('unclosed (');
      this.i++;
      if (look) {
        this.backtrackOnly = true;
        return { k: 'empty' };
      }
      return body;
    }
    if (c === '[') return this.charClass();
    this.i++;
    if (c === '.') {
      const set = allSet();
      if (!this.dotAll) set.bits[0]! &= ~(1 << 10);
      return { k: 'atom', set };
    }
    if (c === '^' || c === '$') return { k: 'empty' };
    if (c === '\\') return this.escape(false) as Node;
    return this.char(c.charCodeAt(0));
  }

  /** After a backslash. In a class, returns a CharSet; outside, a Node. */
  private escape(inClass: boolean): Node | CharSet {
    const src = this.src;
    const c = src[this.i++] ?? '\\';
    const cls = classEscape(c);
    if (cls !== null) return inClass ? cls : { k: 'atom', set: cls };
    if (!inClass && (c === 'b' || c === 'B')) return { k: 'empty' };
    if (!inClass && (/[1-9]/.test(c) || (c === 'k' && src[this.i] === '<'))) {
      if (c === 'k') this.i = src.indexOf('>', this.i) + 1;
      else while (/[0-9]/.test(src[this.i] ?? '')) this.i++;
      this.backtrackOnly = true;
      return { k: 'atom', set: allSet() };
    }
    let code: number;
    if ((c === 'p' || c === 'P') && src[this.i] === '{') {
      this.i = src.indexOf('}', this.i) + 1;
      return inClass ? allSet() : { k: 'atom', set: allSet() };
    }
    if (c === 'x' && /^[0-9a-f]{2}/i.test(src.slice(this.i, this.i + 2))) {
      code = parseInt(src.slice(this.i, this.i + 2), 16);
      this.i += 2;
    } else if (c === 'u' && /^[0-9a-f]{4}/i.test(src.slice(this.i, this.i + 4))) {
      code = parseInt(src.slice(this.i, this.i + 4), 16);
      this.i += 4;
    } else if (c === 'u' && src[this.i] === '{') {
      const end = src.indexOf('}', this.i);
      code = parseInt(src.slice(this.i + 1, end), 16);
      this.i = end + 1;
    } else if (c === 'c' && /[a-z]/i.test(src[this.i] ?? '')) {
      code = src.charCodeAt(this.i++) % 32;
    } else code = SIMPLE_ESCAPES[c] ?? c.charCodeAt(0);
    if (inClass) {
      const s = emptySet();
      add(s, code);
      return s;
    }
    return this.char(code);
  }

  private charClass(): Node {
    const src = this.src;
    this.i++;
    const negate = src[this.i] === '^';
    if (negate) this.i++;
    let set = emptySet();
    while (this.i < src.length && src[this.i] !== ']') {
      let from: number;
      if (src[this.i] === '\\') {
        this.i++;
        const e = this.escape(true) as CharSet;
        const single = e.other ? -1 : singleCode(e);
        if (single < 0) {
          set = union(set, e);
          continue;
        }
        from = single;
      } else from = src.charCodeAt(this.i++);
      if (src[this.i] === '-' && src[this.i + 1] !== ']' && this.i + 1 < src.length) {
        this.i++;
        let to: number;
        if (src[this.i] === '\\') {
          this.i++;
          const e = this.escape(true) as CharSet;
          to = singleCode(e);
          if (to < 0) {
            add(set, from);
            set = union(set, e);
            continue;
          }
        } else to = src.charCodeAt(this.i++);
        addRange(set, from, to);
        if (this.fold) {
          addRange(
            set,
            String.fromCharCode(from).toLowerCase().charCodeAt(0),
            String.fromCharCode(to).toLowerCase().charCodeAt(0),
          );
          addRange(
            set,
            String.fromCharCode(from).toUpperCase().charCodeAt(0),
            String.fromCharCode(to).toUpperCase().charCodeAt(0),
          );
        }
      } else {
        add(set, from);
        if (this.fold) {
          add(set, String.fromCharCode(from).toLowerCase().charCodeAt(0));
          add(set, String.fromCharCode(from).toUpperCase().charCodeAt(0));
        }
      }
    }
    if (src[this.i] !== ']') throw new Error('unclosed [');
    this.i++;
    return { k: 'atom', set: negate ? complement(set) : set };
  }
}

function singleCode(s: CharSet): number {
  let found = -1;
  for (let c = 0; c < 128; c++) {
    if ((s.bits[c >> 5]! & (1 << (c & 31))) === 0) continue;
    if (found >= 0) return -1;
    found = c;
  }
  return found;
}

function nullable(n: Node): boolean {
  switch (n.k) {
    case 'atom':
      return false;
    case 'empty':
      return true;
    case 'seq':
      return n.items.every(nullable);
    case 'alt':
      return n.alts.some(nullable);
    case 'quant':
      return n.min === 0 || nullable(n.body);
  }
}

/** Characters a match of n can start with. */
function first(n: Node): CharSet {
  switch (n.k) {
    case 'atom':
      return n.set;
    case 'empty':
      return emptySet();
    case 'seq': {
      let s = emptySet();
      for (const item of n.items) {
        s = union(s, first(item));
        if (!nullable(item)) break;
      }
      return s;
    }
    case 'alt':
      return n.alts.reduce((s, a) => union(s, first(a)), emptySet());
    case 'quant':
      return n.max === 0 ? emptySet() : first(n.body);
  }
}

/** Does the node contain an unbounded (or long) loop? */
function loops(n: Node): boolean {
  switch (n.k) {
    case 'seq':
      return n.items.some(loops);
    case 'alt':
      return n.alts.some(loops);
    case 'quant':
      return n.max > 16 || loops(n.body);
    default:
      return false;
  }
}

/** The source text of a node, for messages. */
function show(n: Node): string {
  return n.text ?? '';
}

const UNBOUNDED = (n: Node): n is Extract<Node, { k: 'quant' }> => n.k === 'quant' && n.max > 16;

/**
 * Walk n with `follow`, the characters that can come right after it; report the first hazard.
 * `inLoop`: n sits inside the body of an unbounded loop.
 */
function scan(n: Node, follow: CharSet, inLoop: boolean): string | null {
  switch (n.k) {
    case 'atom':
    case 'empty':
      return null;
    case 'seq': {
      // Adjacent unbounded quantifiers whose sets overlap, with only optional parts between them.
      for (let a = 0; a < n.items.length; a++) {
        const x = n.items[a]!;
        if (!UNBOUNDED(x)) continue;
        for (let b = a + 1; b < n.items.length; b++) {
          const y = n.items[b]!;
          if (UNBOUNDED(y) && overlaps(first(x.body), first(y.body))) {
            return `"${show(x)}" and "${show(y)}" can match the same characters one after the other: the time grows with a power of the input's length`;
          }
          if (!nullable(y)) break;
        }
      }
      let f = follow;
      const after: CharSet[] = [];
      for (let j = n.items.length - 1; j >= 0; j--) {
        after[j] = f;
        const item = n.items[j]!;
        f = nullable(item) ? union(first(item), f) : first(item);
      }
      for (let j = 0; j < n.items.length; j++) {
        const r = scan(n.items[j]!, after[j]!, inLoop);
        if (r !== null) return r;
      }
      return null;
    }
    case 'alt':
      for (const a of n.alts) {
        const r = scan(a, follow, inLoop);
        if (r !== null) return r;
      }
      return null;
    case 'quant': {
      const repeats = n.max > 1;
      if (repeats && inLoop && n.max > 16 && overlaps(first(n.body), follow)) {
        return `"${show(n)}" sits inside another repetition and can also match what follows it there: nested quantifiers take exponential time`;
      }
      const loop = n.max > 16;
      if (loop && n.body.k === 'alt') {
        const alts = n.body.alts;
        for (let a = 0; a < alts.length; a++)
          for (let b = a + 1; b < alts.length; b++) {
            const fa = first(alts[a]!);
            if (!isEmpty(fa) && overlaps(fa, first(alts[b]!))) {
              return `the alternatives "${show(alts[a]!)}" and "${show(alts[b]!)}" of a repetition can start with the same character: this takes exponential time`;
            }
          }
      }
      const inner = repeats ? union(first(n.body), follow) : follow;
      return scan(n.body, inner, inLoop || (loop && loops(n.body)));
    }
  }
}

/**
 * Why `source` (with `flags`) can take super-linear time, or null when none of the shapes above is
 * found (including when it does not parse: the RegExp constructor reports those).
 */
export function regexHazard(source: string, flags = ''): RegexHazard | null {
  let tree: Node;
  const parser = new Parser(source, flags.includes('i'), flags.includes('s'));
  try {
    tree = parser.parse();
  } catch {
    return null;
  }
  const reason = scan(tree, emptySet(), false);
  return reason === null ? null : { reason, needsBacktracking: parser.backtrackOnly };
}

/** Does the pattern repeat anything (without a quantifier, backtracking is bounded by its length)? */
export function hasQuantifier(source: string): boolean {
  return /[*+?}]/.test(source.replace(/\\./g, ''));
}
