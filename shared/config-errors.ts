// Schema problems in the user's words: the field's dotted path, what it should be, and the nearest valid key for a typo.
/** A field's problem (config.ts's ConfigError: the same shape, kept here so the two files do not import each other). */
export interface FieldProblem {
  path: string;
  message: string;
}

/** The parts of a zod issue read here (zod 4). */
export interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  keys?: string[];
}

/** How many single-character edits (insert, delete, replace, swap two neighbours) turn a into b. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known key a typo most likely meant, or undefined when none is close. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const kl = k.toLowerCase();
    const score = kl === lower ? 0 : editDistance(lower, kl);
    if (score < bestScore) {
      best = k;
      bestScore = score;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(key.length, best.length) / 3));
  return bestScore <= limit ? best : undefined;
}

type Schema = { def?: { type?: string }; shape?: Record<string, unknown>; unwrap?: () => unknown } & Record<
  string,
  unknown
>;

/** The object keys the schema takes at `path`, or null when it is not an object there. */
export function keysAt(schema: unknown, path: readonly PropertyKey[]): string[] | null {
  let s = schema as Schema | undefined;
  const unwrap = () => {
    for (let n = 0; n < 10 && s && (s.def?.type === 'optional' || s.def?.type === 'nullable'); n++)
      s = s.unwrap?.() as Schema | undefined;
  };
  unwrap();
  for (const key of path) {
    if (!s) return null;
    const type = s.def?.type;
    if (type === 'object') s = s.shape?.[String(key)] as Schema | undefined;
    else if (type === 'array') s = s.element as Schema | undefined;
    else if (type === 'record') s = s.valueType as Schema | undefined;
    else return null;
    unwrap();
  }
  return s?.def?.type === 'object' && s.shape ? Object.keys(s.shape) : null;
}

const A: Record<string, string> = {
  array: 'a list ([…])',
  object: 'an object ({…})',
  string: 'a string ("…")',
  number: 'a number',
  boolean: 'true or false',
};

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v === 'number' ? 'the number' : typeof v} ${String(v)}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let cur = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key as string))
      return { found: false, value: undefined };
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: cur };
}

const pathText = (path: readonly PropertyKey[]) => path.map(String).join('.') || '(config)';

/** zod issues → one error per field, each naming the field and saying what to write instead. */
export function issueErrors(issues: readonly Issue[], input: unknown, schema: unknown): FieldProblem[] {
  const errors: FieldProblem[] = [];
  for (const i of issues) {
    if (i.code === 'unrecognized_keys' && i.keys?.length) {
      const known = keysAt(schema, i.path) ?? [];
      for (const key of i.keys) {
        const near = nearestKey(key, known);
        const hint = near
          ? `did you mean "${near}"?`
          : known.length
            ? `the fields here are: ${known.join(', ')}`
            : 'remove it';
        errors.push({ path: pathText([...i.path, key]), message: `unknown field "${key}": ${hint}` });
      }
      continue;
    }
    if (i.code === 'invalid_type' && i.expected && A[i.expected]) {
      const { found, value } = valueAt(input, i.path);
      const message = !found
        ? `missing: this field is required (${A[i.expected]!.replace(/ \(.*\)$/, '')})`
        : `must be ${A[i.expected]}, not ${describe(value)}`;
      errors.push({ path: pathText(i.path), message });
      continue;
    }
    errors.push({ path: pathText(i.path), message: i.message });
  }
  // One error per field and message: a union's branches can repeat themselves.
  return errors.filter((e, n) => errors.findIndex((x) => x.path === e.path && x.message === e.message) === n);
}
