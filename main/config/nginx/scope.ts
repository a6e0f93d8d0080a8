// nginx inheritance: a value comes from the innermost level that sets it; list directives come whole from one level.
import type { Directive } from './parse.ts';

/** Blocks from outermost (http) to innermost (the location); each is that level's own directives. */
export type Chain = Directive[][];

/** Remembers which directives the import understood, so every other one can be warned about. */
export class Used {
  private readonly set = new WeakSet<Directive>();
  mark(...ds: Array<Directive | undefined>): void {
    for (const d of ds) if (d) this.set.add(d);
  }
  has(d: Directive): boolean {
    return this.set.has(d);
  }
}

/** The effective single-value directive (the innermost level's last one), marked as used. */
export function scalar(chain: Chain, name: string, used: Used): Directive | undefined {
  for (let i = chain.length - 1; i >= 0; i--) {
    const own = chain[i]!.filter((d) => d.name === name && !d.block);
    if (own.length) {
      used.mark(...own);
      return own[own.length - 1];
    }
  }
  return undefined;
}

export interface ListResult {
  items: Directive[];
  /** Index in the chain of the level the items come from (-1 when none). */
  level: number;
  /** Items at outer levels that nginx ignores here because an inner level sets its own. */
  shadowed: Directive[];
}

/**
 * The effective list directive (proxy_set_header, add_header, ...): all of the innermost level that
 * has any; nginx does not merge them with outer levels.
 */
export function list(chain: Chain, name: string, used: Used): ListResult {
  for (let i = chain.length - 1; i >= 0; i--) {
    const own = chain[i]!.filter((d) => d.name === name && !d.block);
    if (own.length) {
      used.mark(...own);
      const shadowed = chain.slice(0, i).flatMap((level) => level.filter((d) => d.name === name && !d.block));
      return { items: own, level: i, shadowed };
    }
  }
  return { items: [], level: -1, shadowed: [] };
}

/** Every directive in a tree, depth first (blocks included). */
export function* walk(list: Directive[]): Generator<Directive> {
  for (const d of list) {
    yield d;
    if (d.block) yield* walk(d.block);
  }
}
