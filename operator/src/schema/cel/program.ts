import { CelCompileError, CelEvalError } from './ast.ts';
import type { Expr } from './ast.ts';
import { evaluate, resetCost } from './eval.ts';
import { GLOBAL_FUNCTIONS, MEMBER_FUNCTIONS, TYPE_VALUES } from './functions.ts';
import { parse } from './parser.ts';

/** A parsed and checked CEL expression, ready to evaluate many times. */
export interface Program {
  readonly source: string;
  /** The expression mentions `oldSelf` (a transition rule). */
  readonly usesOldSelf: boolean;
  /**
   * Every field name the expression can select (`.name`, `has(x.name)`, `x['name']`);
   * undefined when it indexes with a computed key and so may read any field.
   */
  readonly fieldNames: ReadonlySet<string> | undefined;
  eval(vars: Record<string, unknown>): unknown;
}

const RULE_VARS = ['self', 'oldSelf'] as const;
const cache = new Map<string, Program | CelCompileError>();
const MAX_CACHE = 10_000;

/** Line:column of a character offset, 1-based like cel-go's `<input>:1:5`. */
function location(src: string, pos: number): string {
  const before = src.slice(0, pos).split('\n');
  return `${before.length}:${(before[before.length - 1] ?? '').length + 1}`;
}

function check(e: Expr, declared: ReadonlySet<string>): void {
  const fail = (msg: string, pos: number): never => {
    throw new CelCompileError(msg, pos);
  };
  const walk = (x: Expr, scope: ReadonlySet<string>): void => {
    switch (x.k) {
      case 'lit':
        return;
      case 'id':
        if (!scope.has(x.name) && !TYPE_VALUES.has(x.name)) fail(`undeclared reference to '${x.name}' (in container '')`, x.pos);
        return;
      case 'sel':
        if (x.op.k === 'id' && !scope.has(x.op.name) && GLOBAL_FUNCTIONS[`${x.op.name}.${x.field}`] !== undefined) return;
        walk(x.op, scope);
        return;
      case 'idx':
        walk(x.op, scope);
        walk(x.index, scope);
        return;
      case 'has':
        walk(x.op, scope);
        return;
      case 'call':
        if (x.target === undefined) {
          if (GLOBAL_FUNCTIONS[x.fn] === undefined) fail(`undeclared reference to '${x.fn}' (in container '')`, x.pos);
        } else if (x.target.k === 'id' && !scope.has(x.target.name) && GLOBAL_FUNCTIONS[`${x.target.name}.${x.fn}`] !== undefined) {
          // namespaced function such as optional.of(...)
        } else {
          if (MEMBER_FUNCTIONS[x.fn] === undefined) fail(`undeclared reference to '${x.fn}' (in container '')`, x.pos);
          walk(x.target, scope);
        }
        for (const a of x.args) walk(a, scope);
        return;
      case 'list':
        for (const a of x.elems) walk(a, scope);
        return;
      case 'map':
        for (const en of x.entries) {
          walk(en.key, scope);
          walk(en.value, scope);
        }
        return;
      case 'cond':
        walk(x.c, scope);
        walk(x.t, scope);
        walk(x.f, scope);
        return;
      case 'and':
      case 'or':
      case 'bin':
        walk(x.l, scope);
        walk(x.r, scope);
        return;
      case 'not':
      case 'neg':
        walk(x.e, scope);
        return;
      case 'comp': {
        walk(x.range, scope);
        const inner = new Set(scope);
        inner.add(x.v);
        if (x.pred !== undefined) walk(x.pred, inner);
        if (x.xform !== undefined) walk(x.xform, inner);
        return;
      }
    }
  };
  walk(e, declared);
}

function selectedFields(e: Expr): ReadonlySet<string> | undefined {
  const names = new Set<string>();
  let dynamic = false;
  const visit = (x: unknown): void => {
    if (dynamic || typeof x !== 'object' || x === null) return;
    if (Array.isArray(x)) {
      x.forEach(visit);
      return;
    }
    const o = x as Record<string, unknown>;
    if (o['k'] === 'lit') return;
    if (o['k'] === 'sel' || o['k'] === 'has') names.add(o['field'] as string);
    if (o['k'] === 'idx') {
      const i = o['index'] as Expr;
      if (i.k === 'lit' && typeof i.v === 'string') names.add(i.v);
      else if (!(i.k === 'lit' && typeof i.v === 'bigint')) dynamic = true;
    }
    for (const v of Object.values(o)) visit(v);
  };
  visit(e);
  return dynamic ? undefined : names;
}

function mentions(e: Expr, name: string): boolean {
  let found = false;
  const visit = (x: unknown): void => {
    if (found || typeof x !== 'object' || x === null) return;
    if (Array.isArray(x)) {
      x.forEach(visit);
      return;
    }
    const o = x as Record<string, unknown>;
    if (o['k'] === 'id' && o['name'] === name) {
      found = true;
      return;
    }
    if (o['k'] === 'lit') return;
    for (const v of Object.values(o)) visit(v);
  };
  visit(e);
  return found;
}

/** Parses and checks `source` with the given variable names declared; cached per (source, names). */
export function compile(source: string, declared: readonly string[] = RULE_VARS): Program {
  const key = declared === RULE_VARS ? source : `${declared.join(',')}\u0000${source}`;
  const hit = cache.get(key);
  if (hit instanceof CelCompileError) throw hit;
  if (hit !== undefined) return hit;
  let result: Program | CelCompileError;
  try {
    const ast = parse(source);
    check(ast, new Set(declared));
    result = {
      source,
      usesOldSelf: mentions(ast, 'oldSelf'),
      fieldNames: selectedFields(ast),
      eval: (vars) => {
        resetCost();
        return evaluate(ast, { vars, parent: undefined });
      },
    };
  } catch (err) {
    if (!(err instanceof CelCompileError)) throw err;
    result = new CelCompileError(`ERROR: <input>:${location(source, err.pos)}: ${err.message}`, err.pos);
  }
  if (cache.size >= MAX_CACHE) cache.clear();
  cache.set(key, result);
  if (result instanceof CelCompileError) throw result;
  return result;
}

/** Whether a CRD validation rule compiles (with `self` and `oldSelf` declared). */
export function compileRule(rule: string): { ok: true } | { ok: false; error: string } {
  try {
    compile(rule);
    return { ok: true };
  } catch (err) {
    if (err instanceof CelCompileError) return { ok: false, error: `compilation failed: ${err.message}` };
    throw err;
  }
}

/**
 * Compiles (cached) and evaluates `rule` with `vars` bound. Returns the CEL value (ints as
 * bigint, doubles as number, maps built by the expression as Map); throws CelCompileError
 * or CelEvalError.
 */
export function evaluateCel(rule: string, vars: Record<string, unknown>): unknown {
  const names = Object.keys(vars);
  const declared = names.length === 2 && names.includes('self') && names.includes('oldSelf') ? RULE_VARS : names.sort();
  return compile(rule, declared).eval(vars);
}

export { CelCompileError, CelEvalError };
