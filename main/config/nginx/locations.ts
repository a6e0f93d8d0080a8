// Flattens nested `location` blocks into Loopgate's flat route list, keeping nginx's matching order where it can.
import type { Directive } from './parse.ts';
import type { Used } from './scope.ts';
import { escapeRegExp, locationArgs, matchString, type Modifier } from './values.ts';
import type { Warnings } from './warnings.ts';

export interface LocNode {
  d: Directive;
  modifier: Modifier;
  pattern: string;
  parent: LocNode | undefined;
  depth: number;
  /** The location blocks from the outermost ancestor to this one (each block's own directives). */
  blocks: Directive[][];
  /** The flat equivalent: modifier and pattern Loopgate matches with. */
  flatModifier: Modifier;
  flatPattern: string;
  match: string;
  children: LocNode[];
}

const isRegex = (m: Modifier) => m === '~' || m === '~*';
const isPrefix = (m: Modifier) => m === '' || m === '^~';

/** Every location of a server (nested ones flattened), in the order Loopgate should list them. */
export function flattenLocations(server: Directive[], w: Warnings, used: Used): LocNode[] {
  const all: LocNode[] = [];
  const levels = new Map<LocNode | undefined, LocNode[]>();

  const visit = (block: Directive[], parent: LocNode | undefined, blocks: Directive[][]) => {
    const siblings: LocNode[] = [];
    levels.set(parent, siblings);
    for (const d of block) {
      if (d.name !== 'location' || !d.block) continue;
      used.mark(d);
      const la = locationArgs(d.args);
      if (!la) {
        w.at(d, `location ${d.args.join(' ')}: expected "location [= | ^~ | ~ | ~*] pattern": skipped`);
        markAll(d.block, used);
        continue;
      }
      if (la.modifier === '@') {
        w.at(d, `named location @${la.pattern} is not supported (Loopgate has no internal redirects): skipped`);
        markAll(d.block, used);
        continue;
      }
      if (parent && parent.modifier === '=') {
        w.at(d, `nginx does not allow a location inside an exact location ("${parent.match}"): skipped`);
        markAll(d.block, used);
        continue;
      }
      const node: LocNode = {
        d,
        modifier: la.modifier,
        pattern: la.pattern,
        parent,
        depth: parent ? parent.depth + 1 : 0,
        blocks: [...blocks, d.block],
        flatModifier: la.modifier,
        flatPattern: la.pattern,
        match: '',
        children: [],
      };
      flatten(node, w);
      node.match = matchString(node.flatModifier, node.flatPattern);
      siblings.push(node);
      parent?.children.push(node);
      all.push(node);
      visit(d.block, node, node.blocks);
    }
  };
  visit(server, undefined, []);

  for (const node of all) {
    if (isPrefix(node.modifier)) chooseModifier(node, levels, w);
    if (node.parent) checkShadowing(node, levels, w);
  }
  return routeOrder(all);
}

function markAll(block: Directive[], used: Used): void {
  for (const d of block) {
    used.mark(d);
    if (d.block) markAll(d.block, used);
  }
}

/** The flat pattern of a nested location (the outer location's condition folded in). */
function flatten(node: LocNode, w: Warnings): void {
  const parent = node.parent;
  if (!parent) return;
  const d = node.d;
  if (!isRegex(node.modifier)) {
    if (isRegex(parent.flatModifier)) {
      w.at(
        d,
        `prefix location "${node.pattern}" inside regex location "${parent.match}": flattened as a plain prefix, the regex no longer applies`,
      );
    } else if (!node.pattern.startsWith(parent.pattern)) {
      w.at(
        d,
        `location "${node.pattern}" is outside location "${parent.pattern}" (nginx rejects this): kept as a top-level location`,
      );
    }
    return;
  }
  if (isRegex(parent.flatModifier)) {
    if (parent.flatModifier !== node.modifier) {
      w.at(
        d,
        `regex "${node.pattern}" (${node.modifier}) nested in "${parent.match}" (${parent.flatModifier}): flattened with ${node.modifier} for both`,
      );
    }
    node.flatPattern = `^(?=.*?(?:${parent.flatPattern})).*?(?:${node.pattern})`;
    return;
  }
  if (node.modifier === '~' && literalPrefix(node.pattern).startsWith(parent.pattern)) return;
  if (node.modifier === '~*') {
    w.at(
      d,
      `case-insensitive regex nested in "${parent.match}": the flattened route matches "${parent.pattern}" case-insensitively too`,
    );
  }
  node.flatPattern = `^(?=${escapeRegExp(parent.pattern)}).*?(?:${node.pattern})`;
}

/** The literal text a regex must start with ("^/api/v1/(.*)" → "/api/v1/"); "" when it is not anchored. */
function literalPrefix(re: string): string {
  if (!re.startsWith('^') || re.includes('|')) return '';
  let out = '';
  for (let i = 1; i < re.length; i++) {
    const ch = re[i]!;
    if (ch === '\\') {
      const next = re[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) break;
      out += next;
      i++;
      continue;
    }
    if (/[.*+?()[\]{}^$|]/.test(ch)) {
      // a quantifier makes the last literal character optional or repeated
      if (/[*+?{]/.test(ch)) out = out.slice(0, -1);
      break;
    }
    out += ch;
  }
  return out;
}

/**
 * nginx checks the regexes of each nesting level only when the location chosen at that level is not
 * `^~` (and always those nested in the final location). Loopgate checks all regexes or none, so pick
 * the flat modifier that gives the same answer, or warn when neither does.
 */
function chooseModifier(node: LocNode, levels: Map<LocNode | undefined, LocNode[]>, w: Warnings): void {
  const chain: LocNode[] = [];
  for (let n: LocNode | undefined = node; n; n = n.parent) chain.unshift(n);
  const hasRegex = (parent: LocNode | undefined) => (levels.get(parent) ?? []).some((s) => isRegex(s.modifier));
  let checked = node.children.some((c) => isRegex(c.modifier));
  let suppressed = false;
  chain.forEach((a) => {
    if (!hasRegex(a.parent)) return;
    if (a.modifier === '^~') suppressed = true;
    else checked = true;
  });
  if (checked && suppressed) {
    w.at(
      node.d,
      `location "${node.pattern}": nginx checks some regex locations here and skips others (nested "^~"); Loopgate checks all or none, so matching can differ`,
    );
    return;
  }
  if (suppressed) node.flatModifier = '^~';
  else if (checked) node.flatModifier = '';
  node.match = matchString(node.flatModifier, node.flatPattern);
}

/** A nested location whose outer prefix loses to a longer sibling prefix in nginx can win once flattened. */
function checkShadowing(node: LocNode, levels: Map<LocNode | undefined, LocNode[]>, w: Warnings): void {
  for (let a: LocNode | undefined = node.parent; a; a = a.parent) {
    if (!isPrefix(a.modifier)) continue;
    const siblings = levels.get(a.parent) ?? [];
    for (const q of siblings) {
      if (q === a || !isPrefix(q.modifier)) continue;
      if (q.pattern.length <= a.pattern.length || !q.pattern.startsWith(a.pattern)) continue;
      if (isRegex(node.modifier) || node.pattern.startsWith(q.pattern)) {
        w.at(
          node.d,
          `location "${node.pattern}" is nested in "${a.pattern}", but nginx sends URIs under "${q.pattern}" to that location instead; flattened, this one can take them`,
        );
        return;
      }
    }
  }
}

/** Document order, except that regexes nested deeper come first (nginx tries inner regexes first). */
function routeOrder(all: LocNode[]): LocNode[] {
  const regexSlots: number[] = [];
  all.forEach((n, i) => {
    if (isRegex(n.flatModifier)) regexSlots.push(i);
  });
  const regexes = regexSlots.map((i) => all[i]!).sort((a, b) => b.depth - a.depth);
  const out = [...all];
  regexSlots.forEach((slot, k) => (out[slot] = regexes[k]!));
  return out;
}
