import { CelEvalError } from './ast.ts';
import type { Expr } from './ast.ts';
import { GLOBAL_FUNCTIONS, MEMBER_FUNCTIONS, TYPE_VALUES, addValues } from './functions.ts';
import {
  CelDuration, CelOptional, CelTimestamp, CelUint, celCompare, celEquals, checkedDuration, checkedInt,
  checkedTimestamp, checkedUint, fromJson, isMapValue, mapGet, mapKeys, noOverload,
} from './values.ts';

/** Variable bindings; comprehension scopes chain to their parent. */
export type Scope = { vars: Record<string, unknown>; parent: Scope | undefined };

function lookup(scope: Scope, name: string): { v: unknown } | undefined {
  for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
    if (Object.prototype.hasOwnProperty.call(s.vars, name)) return { v: s.vars[name] };
  }
  return undefined;
}

/** Evaluates an expression; CEL errors are thrown as CelEvalError. */
export function evaluate(e: Expr, scope: Scope): unknown {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'id': {
      const v = lookup(scope, e.name);
      if (v !== undefined) return fromJson(v.v);
      const t = TYPE_VALUES.get(e.name);
      if (t !== undefined) return t;
      throw new CelEvalError(`undeclared reference to '${e.name}'`);
    }
    case 'sel': {
      const op = evaluate(e.op, scope);
      if (e.opt) return optSelect(op, e.field);
      if (op instanceof CelOptional) return optSelect(op, e.field);
      return select(op, e.field);
    }
    case 'idx': {
      const op = evaluate(e.op, scope);
      const index = evaluate(e.index, scope);
      if (e.opt || op instanceof CelOptional) {
        const base = op instanceof CelOptional ? op : new CelOptional(true, op);
        if (!base.has) return base;
        try {
          return new CelOptional(true, indexValue(base.value, index));
        } catch (err) {
          if (err instanceof CelEvalError && /no such key|index out of range/.test(err.message)) return new CelOptional(false);
          throw err;
        }
      }
      return indexValue(op, index);
    }
    case 'has': {
      const op = evaluate(e.op, scope);
      if (isMapValue(op)) return mapGet(op, e.field) !== undefined;
      if (op instanceof CelOptional) return op.has && isMapValue(op.value) && mapGet(op.value, e.field) !== undefined;
      throw new CelEvalError(`invalid type for field selection: has() on ${typeof op}`);
    }
    case 'call':
      return call(e, scope);
    case 'list': {
      const out: unknown[] = [];
      for (let i = 0; i < e.elems.length; i++) {
        const v = evaluate(e.elems[i] as Expr, scope);
        if (e.optional[i] === true) {
          if (!(v instanceof CelOptional)) throw noOverload('optional list element', [v]);
          if (v.has) out.push(v.value);
        } else out.push(v);
      }
      return out;
    }
    case 'map': {
      const m = new Map<unknown, unknown>();
      for (const ent of e.entries) {
        const k = evaluate(ent.key, scope);
        if (!(typeof k === 'string' || typeof k === 'bigint' || typeof k === 'boolean' || k instanceof CelUint))
          throw new CelEvalError(`unsupported key type: ${typeof k}`);
        if (mapGet(m, k) !== undefined) throw new CelEvalError(`Failed with repeated key: ${String(k instanceof CelUint ? k.v : k)}`);
        const v = evaluate(ent.value, scope);
        if (ent.opt) {
          if (!(v instanceof CelOptional)) throw noOverload('optional map entry', [v]);
          if (v.has) m.set(k, v.value);
        } else m.set(k, v);
      }
      return m;
    }
    case 'cond': {
      const c = evaluate(e.c, scope);
      if (typeof c !== 'boolean') throw noOverload('_?_:_', [c]);
      return evaluate(c ? e.t : e.f, scope);
    }
    case 'and':
    case 'or':
      return logical(e.k === 'and', e.l, e.r, scope);
    case 'not': {
      const v = evaluate(e.e, scope);
      if (typeof v !== 'boolean') throw noOverload('!_', [v]);
      return !v;
    }
    case 'neg': {
      const v = evaluate(e.e, scope);
      if (typeof v === 'bigint') return checkedInt(-v);
      if (typeof v === 'number') return -v;
      if (v instanceof CelDuration) return checkedDuration(-v.ns);
      throw noOverload('-_', [v]);
    }
    case 'bin':
      return binary(e.op, evaluate(e.l, scope), evaluate(e.r, scope));
    case 'comp':
      return comprehension(e, scope);
  }
}

function select(op: unknown, field: string): unknown {
  if (isMapValue(op)) {
    const v = mapGet(op, field);
    if (v === undefined) throw new CelEvalError(`no such key: ${field}`);
    return v.v;
  }
  throw new CelEvalError(`type '${op === null ? 'null_type' : Array.isArray(op) ? 'list' : typeof op}' does not support field selection`);
}

function optSelect(op: unknown, field: string): CelOptional {
  const base = op instanceof CelOptional ? op : new CelOptional(true, op);
  if (!base.has) return base;
  if (!isMapValue(base.value)) return new CelOptional(false);
  const v = mapGet(base.value, field);
  return v === undefined ? new CelOptional(false) : new CelOptional(true, v.v);
}

function indexValue(op: unknown, index: unknown): unknown {
  if (Array.isArray(op)) {
    let i: number;
    if (typeof index === 'bigint') i = Number(index);
    else if (index instanceof CelUint) i = Number(index.v);
    else if (typeof index === 'number' && Number.isInteger(index)) i = index;
    else throw noOverload('_[_]', [op, index]);
    if (i < 0 || i >= op.length) throw new CelEvalError(`index out of range: ${i}`);
    return fromJson(op[i]);
  }
  if (isMapValue(op)) {
    const v = mapGet(op, index);
    if (v === undefined) throw new CelEvalError(`no such key: ${String(index instanceof CelUint ? index.v : index)}`);
    return v.v;
  }
  throw noOverload('_[_]', [op, index]);
}

/** CEL's commutative && / ||: an error on one side is absorbed when the other side decides. */
function logical(isAnd: boolean, l: Expr, r: Expr, scope: Scope): boolean {
  const decisive = !isAnd; // false decides &&, true decides ||
  let lerr: unknown;
  let lv: unknown;
  try {
    lv = evaluate(l, scope);
    if (typeof lv !== 'boolean') lerr = noOverload(isAnd ? '_&&_' : '_||_', [lv]);
    else if (lv === decisive) return decisive;
  } catch (err) {
    lerr = err;
  }
  let rv: unknown;
  try {
    rv = evaluate(r, scope);
  } catch (err) {
    if (lerr !== undefined) throw lerr;
    throw err;
  }
  if (rv === decisive) return decisive;
  if (typeof rv !== 'boolean') throw lerr ?? noOverload(isAnd ? '_&&_' : '_||_', [lv, rv]);
  if (lerr !== undefined) throw lerr;
  return !decisive;
}

function call(e: Expr & { k: 'call' }, scope: Scope): unknown {
  // namespaced global functions such as optional.of(x) parse as member calls on an identifier
  if (e.target !== undefined && e.target.k === 'id' && lookup(scope, e.target.name) === undefined) {
    const g = GLOBAL_FUNCTIONS[`${e.target.name}.${e.fn}`];
    if (g !== undefined) return g(e.args.map((a) => evaluate(a, scope)));
  }
  const args: unknown[] = [];
  if (e.target !== undefined) args.push(evaluate(e.target, scope));
  for (const a of e.args) args.push(evaluate(a, scope));
  const fn = e.target !== undefined ? MEMBER_FUNCTIONS[e.fn] : GLOBAL_FUNCTIONS[e.fn];
  if (fn === undefined) throw new CelEvalError(`undeclared reference to '${e.fn}'`);
  return fn(args);
}

export function binary(op: string, a: unknown, b: unknown): unknown {
  switch (op) {
    case '==':
      return celEquals(a, b);
    case '!=':
      return !celEquals(a, b);
    case '<':
      return celCompare(a, b) < 0;
    case '<=':
      return celCompare(a, b) <= 0;
    case '>':
      return celCompare(a, b) > 0;
    case '>=':
      return celCompare(a, b) >= 0;
    case 'in':
      if (Array.isArray(b)) return b.some((x) => celEquals(a, fromJson(x)));
      if (isMapValue(b)) return mapGet(b, a) !== undefined;
      throw noOverload('@in', [a, b]);
    case '+':
      return addValues(a, b);
    case '-':
      if (typeof a === 'bigint' && typeof b === 'bigint') return checkedInt(a - b);
      if (typeof a === 'number' && typeof b === 'number') return a - b;
      if (a instanceof CelUint && b instanceof CelUint) return checkedUint(a.v - b.v);
      if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return Number(a) - Number(b);
      if (a instanceof CelTimestamp && b instanceof CelTimestamp) return checkedDuration(a.ns - b.ns);
      if (a instanceof CelTimestamp && b instanceof CelDuration) return checkedTimestamp(a.ns - b.ns);
      if (a instanceof CelDuration && b instanceof CelDuration) return checkedDuration(a.ns - b.ns);
      throw noOverload('_-_', [a, b]);
    case '*':
      if (typeof a === 'bigint' && typeof b === 'bigint') return checkedInt(a * b);
      if (typeof a === 'number' && typeof b === 'number') return a * b;
      if (a instanceof CelUint && b instanceof CelUint) return checkedUint(a.v * b.v);
      if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return Number(a) * Number(b);
      throw noOverload('_*_', [a, b]);
    case '/':
      if (typeof a === 'bigint' && typeof b === 'bigint') {
        if (b === 0n) throw new CelEvalError('division by zero');
        return checkedInt(a / b);
      }
      if (a instanceof CelUint && b instanceof CelUint) {
        if (b.v === 0n) throw new CelEvalError('division by zero');
        return new CelUint(a.v / b.v);
      }
      if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return Number(a) / Number(b);
      throw noOverload('_/_', [a, b]);
    case '%':
      if (typeof a === 'bigint' && typeof b === 'bigint') {
        if (b === 0n) throw new CelEvalError('modulus by zero');
        return a % b;
      }
      if (a instanceof CelUint && b instanceof CelUint) {
        if (b.v === 0n) throw new CelEvalError('modulus by zero');
        return new CelUint(a.v % b.v);
      }
      throw noOverload('_%_', [a, b]);
  }
  throw new CelEvalError(`unknown operator ${op}`);
}

/**
 * Runtime cost guard: comprehension iterations per evaluation (the apiserver's per-call
 * limit plays this role; a rule that loops this much is refused, not run to completion).
 */
export const MAX_ITERATIONS = 1_000_000;
let iterations = 0;
export function resetCost(): void {
  iterations = 0;
}

function comprehension(e: Expr & { k: 'comp' }, scope: Scope): unknown {
  const range = evaluate(e.range, scope);
  let items: unknown[];
  if (Array.isArray(range)) items = range;
  else if (isMapValue(range)) items = mapKeys(range);
  else throw new CelEvalError(`expression of type '${typeof range}' cannot be range of a comprehension (must be list, map, or dynamic)`);
  iterations += items.length;
  if (iterations > MAX_ITERATIONS) throw new CelEvalError('operation cancelled: actual cost limit exceeded');
  const inner: Scope = { vars: {}, parent: scope };
  const test = (x: unknown): unknown => {
    inner.vars[e.v] = x;
    return evaluate(e.pred as Expr, inner);
  };
  switch (e.macro) {
    case 'all':
    case 'exists': {
      const decisive = e.macro === 'exists';
      let firstErr: unknown;
      for (const x of items) {
        let r: unknown;
        try {
          r = test(x);
        } catch (err) {
          firstErr ??= err;
          continue;
        }
        if (r === decisive) return decisive;
        if (typeof r !== 'boolean') firstErr ??= noOverload(e.macro, [r]);
      }
      if (firstErr !== undefined) throw firstErr;
      return !decisive;
    }
    case 'exists_one': {
      let n = 0;
      for (const x of items) {
        const r = test(x);
        if (typeof r !== 'boolean') throw noOverload('exists_one', [r]);
        if (r) n++;
      }
      return n === 1;
    }
    case 'filter': {
      const out: unknown[] = [];
      for (const x of items) {
        const r = test(x);
        if (typeof r !== 'boolean') throw noOverload('filter', [r]);
        if (r) out.push(fromJson(x));
      }
      return out;
    }
    case 'map': {
      const out: unknown[] = [];
      for (const x of items) {
        if (e.pred !== undefined) {
          const r = test(x);
          if (typeof r !== 'boolean') throw noOverload('map', [r]);
          if (!r) continue;
        }
        inner.vars[e.v] = x;
        out.push(evaluate(e.xform as Expr, inner));
      }
      return out;
    }
  }
}
