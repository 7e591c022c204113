/**
 * Compiling and running CEL rules on the library (env.ts): parse, the checks the apiserver
 * makes that the library does not (checks.ts), type check, then evaluate with cel-go's error
 * wording (errors.ts) behind a cost guard for nested loops (cost.ts).
 *
 * Known differences from a kube-apiserver (1.36, cel-go 0.26), beyond what is patched (each
 * pinned by a case in ../cel-cases.ts that runs on both servers):
 * - `self` and `oldSelf` are dyn here. When a CRD is written, ../rulechecks.ts types them from
 *   the schema (undefined fields, field selection on scalars, ==/!= of different types, non-bool
 *   rules); other type errors the apiserver finds (`int + string`) show at run time.
 * - Only the first compile error is given, except undeclared references (all, as cel-go).
 * - Timestamps are JavaScript Dates: milliseconds, no zone kept (`string()` prints UTC), and
 *   the library's `timestamp()` of a dynamic string rolls `2024-02-30` over to March.
 * - The library's own string functions count UTF-16 units (`indexOf`, `substring`), its
 *   `lowerAscii`/`upperAscii` change non-ASCII letters, `string(1e6)` prints `1000000`; a
 *   regex from the data given to `matches()` runs as JavaScript RegExp.
 * - Not supported: `.5` literals, optional list/map entries (`[?x]`, `{?k: v}`), two-variable
 *   comprehensions, `transformList`/`transformMap`, `sortBy`, the `format` library.
 * - Refused as there although the library has them: `base64`, `cel.bind`, the bytes methods
 *   `json`, `hex`, `at`, `base64`.
 * - The run-time cost guard counts loop iterations of nested comprehensions, not cel-go's cost
 *   units: one loop with an expensive body passes here and exceeds the per-call limit there. The
 *   static estimate at CRD write (../estimate/) is cel-go's, unit for unit.
 */
import { analyse } from './checks.ts';
import { CelEvalError, fromJson } from './convert.ts';
import { checkCost, loopsOf, nested } from './cost.ts';
import type { Loop } from './cost.ts';
import { environment, isFunctionName } from './env.ts';
import type { ASTNode } from '@marcbachmann/cel-js';
import { CelCompileError, compileError, displayError, fromLibCompileError, fromLibEvalError, isLibError } from './errors.ts';
import { RegexError } from './regex.ts';
import { undeclaredReferences } from './undeclared.ts';

/** A parsed and checked CEL expression, ready to evaluate many times. */
export interface Program {
  readonly source: string;
  /** The expression mentions `oldSelf` (a transition rule). */
  readonly usesOldSelf: boolean;
  /**
   * Every field name the expression can select (`.name`, `has(x.name)`, `x['name']`, or
   * compare as a map literal key); undefined when it indexes with a computed key and so may
   * read any field.
   */
  readonly fieldNames: ReadonlySet<string> | undefined;
  /** The checked result type (`bool`, `string`, `dyn`, `list<int>`...). */
  readonly resultType: string;
  /** Evaluates with `vars` bound to CEL values (ints as bigint: see fromJson). */
  eval(vars: Record<string, unknown>): unknown;
}

const RULE_VARS = ['self', 'oldSelf'] as const;
const cache = new Map<string, Program | CelCompileError>();
const MAX_CACHE = 10_000;

/** Parses and checks `source` with the given variable names declared; cached per (source, names). */
export function compile(source: string, declared: readonly string[] = RULE_VARS): Program {
  const key = declared === RULE_VARS ? source : `${declared.join(',')}\u0000${source}`;
  const hit = cache.get(key);
  if (hit instanceof CelCompileError) throw hit;
  if (hit !== undefined) return hit;
  let result: Program | CelCompileError;
  try {
    result = build(source, declared);
  } catch (err) {
    if (!(err instanceof CelCompileError)) throw err;
    result = err;
  }
  if (cache.size >= MAX_CACHE) cache.clear();
  cache.set(key, result);
  if (result instanceof CelCompileError) throw result;
  return result;
}

function build(source: string, declared: readonly string[]): Program {
  const env = environment(declared);
  let run: ReturnType<typeof env.parse>;
  try {
    run = env.parse(source);
  } catch (err) {
    throw isLibError(err) ? fromLibCompileError(source, err, isFunctionName) : err;
  }
  let analysis: ReturnType<typeof analyse>;
  let checked: ReturnType<typeof run.check>;
  try {
    analysis = analyse(run.ast, source);
    checked = run.check();
    if (!checked.valid) {
      const err = checked.error;
      throw isLibError(err) ? fromLibCompileError(source, err, isFunctionName) : compileError(source, String(err?.message), 0);
    }
  } catch (err) {
    throw err instanceof CelCompileError ? withAllUndeclared(source, run.ast, declared, err) : err;
  }
  const { usesOldSelf, fieldNames } = analysis;
  const loops: Loop[] = loopsOf(run.ast);
  const guarded = nested(loops);
  return {
    source,
    usesOldSelf,
    fieldNames,
    resultType: checked.type ?? 'dyn',
    eval: (vars) => {
      if (guarded) checkCost(loops, vars, (range, bound) => compile(source.slice(range.start, range.end), Object.keys(bound)).eval(bound));
      try {
        return run(vars);
      } catch (err) {
        if (isLibError(err)) throw fromLibEvalError(err);
        if (err instanceof RegexError) throw new CelEvalError(err.message);
        const zone = err instanceof RangeError ? /^Invalid time zone specified: (.*)$/.exec(err.message) : null;
        if (zone !== null) throw new CelEvalError(`unknown time zone ${zone[1]}`);
        throw err;
      }
    },
  };
}

/** An undeclared reference error with every other one of the rule (cel-go reports them all). */
function withAllUndeclared(source: string, ast: ASTNode, declared: readonly string[], err: CelCompileError): CelCompileError {
  if (!/^ERROR: <input>:\d+:\d+: undeclared reference to /.test(err.message)) return err;
  const refs = undeclaredReferences(source, ast, declared, isFunctionName);
  if (!refs.some((r) => r.pos === err.pos)) return err;
  return new CelCompileError(refs.map((r) => displayError(source, `undeclared reference to '${r.name}' (in container '')`, r.pos)).join('\n'), err.pos);
}

/**
 * Whether a CRD validation rule compiles (with `self` and `oldSelf` declared) to a bool; the
 * error as the apiserver words it (`compilation failed: ERROR: <input>:1:5: ...`).
 */
export function compileRule(rule: string): { ok: true } | { ok: false; error: string } {
  try {
    const p = compile(rule);
    if (p.resultType !== 'bool' && p.resultType !== 'dyn') return { ok: false, error: 'cel expression must evaluate to a bool' };
    return { ok: true };
  } catch (err) {
    if (!(err instanceof CelCompileError)) throw err;
    return { ok: false, error: `${err.stage === 'program' ? 'program instantiation failed' : 'compilation failed'}: ${err.message}` };
  }
}

/**
 * Compiles (cached) and evaluates `rule` with `vars` bound to JSON data (integral numbers
 * become ints). Returns the CEL value (ints as bigint, doubles as number, maps built by the
 * expression as plain objects); throws CelCompileError or CelEvalError.
 */
export function evaluateCel(rule: string, vars: Record<string, unknown>): unknown {
  const names = Object.keys(vars);
  const declared = names.length === 2 && names.includes('self') && names.includes('oldSelf') ? RULE_VARS : names.sort();
  const cel: Record<string, unknown> = {};
  for (const n of names) cel[n] = fromJson(vars[n]);
  return compile(rule, declared).eval(cel);
}

export { CelCompileError, CelEvalError };
