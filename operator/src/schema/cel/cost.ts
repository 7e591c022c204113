/**
 * A runtime cost guard for nested comprehensions. The library has no cost tracking, so
 * before a rule with nested loops runs, the iterations it may take are counted from the data
 * (ranges evaluated, loop bodies not), as the apiserver's per-call cost limit would stop it.
 * A single loop costs at most the size of its input, so rules without nesting are not counted.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { CelEvalError, isPlainMap } from './convert.ts';

/** Iterations per evaluation, like the apiserver's per-call cost limit. */
export const MAX_ITERATIONS = 1_000_000;

export type Loop = { range: ASTNode; iterVar: string; body: Loop[] };

const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

export function children(n: ASTNode): ASTNode[] {
  const out: ASTNode[] = [];
  const visit = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(visit);
    else if (typeof x === 'object' && x !== null && 'op' in x && 'args' in x) out.push(x as ASTNode);
  };
  visit(n.args);
  return out;
}

/** The comprehensions in `n` that are not inside another one's body, with their own nesting. */
export function loopsOf(n: ASTNode): Loop[] {
  if (n.op === 'rcall') {
    const [name, receiver, args] = n.args;
    const v = args[0];
    if (MACROS.has(name) && (args.length === 2 || args.length === 3) && v?.op === 'id') {
      return [...loopsOf(receiver), { range: receiver, iterVar: v.args, body: args.slice(1).flatMap(loopsOf) }];
    }
  }
  return children(n).flatMap(loopsOf);
}

export const nested = (loops: Loop[]): boolean => loops.some((l) => l.body.length > 0 || nested(l.body));

function mentions(n: ASTNode, name: string): boolean {
  return (n.op === 'id' && n.args === name) || children(n).some((c) => mentions(c, name));
}

/** Whether any range inside `loops` (at any depth) reads `name`. */
const rangesMention = (loops: Loop[], name: string): boolean => loops.some((l) => mentions(l.range, name) || rangesMention(l.body, name));

function items(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Map) return [...v.keys()];
  return isPlainMap(v) ? Object.keys(v) : [];
}

/**
 * Throws "operation cancelled: actual cost limit exceeded" when the loops would iterate more
 * than MAX_ITERATIONS times. `evalRange` evaluates a range expression with `vars` bound.
 */
export function checkCost(loops: Loop[], vars: Record<string, unknown>, evalRange: (range: ASTNode, vars: Record<string, unknown>) => unknown): void {
  let spent = 0;
  const spend = (n: number): void => {
    spent += n;
    if (spent > MAX_ITERATIONS) throw new CelEvalError('operation cancelled: actual cost limit exceeded');
  };
  const run = (ls: Loop[], bound: Record<string, unknown>, times: number): void => {
    for (const l of ls) {
      let range: unknown[];
      try {
        range = items(evalRange(l.range, bound));
      } catch {
        continue; // the rule itself will report it
      }
      spend(range.length * times);
      if (l.body.length === 0) continue;
      if (!rangesMention(l.body, l.iterVar)) {
        // the inner ranges are the same on every iteration: count them once, times the outer size
        if (range.length > 0) run(l.body, bound, times * range.length);
        continue;
      }
      for (const x of range) run(l.body, { ...bound, [l.iterVar]: x }, times);
    }
  };
  run(loops, vars, 1);
}
