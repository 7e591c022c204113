/**
 * What a kube-apiserver refuses when it compiles a rule and the library would let through,
 * checked on the library's parsed tree, with the apiserver's wording: int literals out of
 * range, macros called with the wrong arity, `cel.bind` and the library's bytes methods (`hex`,
 * `json`, `at`, `base64`: not in the CRD environment), list
 * and map literals mixing element types (Kubernetes checks homogeneous aggregate literals),
 * `format()` on literal arguments, timestamp and duration literals, and regex literals (a
 * pattern in `dyn("...")` too: cel-go plans it as a constant). The tree is analysed on the way:
 * whether the rule reads `oldSelf` and which field names it may select.
 *
 * One rewrite: the library's own `matches()` runs `new RegExp(pattern)`, so a regex literal
 * given to it is translated from RE2 to JavaScript syntax in place (regex.ts). A dynamic
 * pattern gets no translation.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { CelUint, INT_MAX, INT_MIN, parseDuration, parseTimestamp } from './convert.ts';
import { children } from './cost.ts';
import { CelCompileError, anchor, compileError } from './errors.ts';
import { FormatError, format } from './functions.ts';
import { RegexError, inlineRe2, re2 } from './regex.ts';

export type Analysis = {
  usesOldSelf: boolean;
  /** Every field name the rule can select; undefined when it indexes with a computed key. */
  fieldNames: Set<string> | undefined;
};

const REGEX_FUNCTIONS = new Set(['matches', 'find', 'findAll']);
const BYTES_METHODS = new Set(['json', 'hex', 'at', 'base64']);
const MACRO_ARITY: Record<string, readonly number[]> = { all: [2, 3], exists: [2, 3], exists_one: [2, 3], map: [2, 3], filter: [2] };

/** The static type of a literal (`int`, `list(string)`, `dyn` for dyn(...)); undefined when not a literal. */
function literalType(n: ASTNode): string | undefined {
  switch (n.op) {
    case 'value': {
      const v = n.args;
      if (v === null) return 'null';
      if (v instanceof Uint8Array) return 'bytes';
      if (v instanceof CelUint) return 'uint';
      return ({ bigint: 'int', number: 'double', string: 'string', boolean: 'bool' } as Record<string, string>)[typeof v];
    }
    case '-_':
      return n.args.op === 'value' ? literalType(n.args) : undefined;
    case 'call':
      return n.args[0] === 'dyn' ? 'dyn' : undefined;
    case 'list': {
      const t = n.args[0] === undefined ? undefined : literalType(n.args[0]);
      return t === undefined ? undefined : `list(${t})`;
    }
    case 'map': {
      const [k, v] = n.args[0] ?? [];
      const [kt, vt] = [k && literalType(k), v && literalType(v)];
      return kt === undefined || vt === undefined ? undefined : `map(${kt}, ${vt})`;
    }
  }
  return undefined;
}

function homogeneous(source: string, elems: ASTNode[]): void {
  let first: string | undefined;
  for (const e of elems) {
    const t = literalType(e);
    if (t === undefined) continue;
    if (first === undefined) first = t;
    else if (t !== first) throw compileError(source, `expected type '${first}' but found '${t}'`, anchor(source, e, e.start));
  }
}

function literalValue(n: ASTNode): { v: unknown } | undefined {
  if (n.op === 'value') return { v: n.args };
  if (n.op === '-_' && n.args.op === 'value' && (typeof n.args.args === 'bigint' || typeof n.args.args === 'number')) return { v: -n.args.args };
  return undefined;
}

function checkCall(source: string, n: ASTNode & { op: 'call' | 'rcall' }): void {
  const name = n.args[0];
  const args = n.op === 'call' ? n.args[1] : n.args[2];
  const arity = MACRO_ARITY[name];
  if (n.op === 'rcall' && arity !== undefined && !arity.includes(args.length)) {
    throw compileError(source, `undeclared reference to '${name}' (in container '')`, anchor(source, n, n.start));
  }
  if (n.op === 'rcall' && name === 'bind' && n.args[1].op === 'id' && n.args[1].args === 'cel') {
    throw compileError(source, "undeclared reference to 'cel' (in container '')", n.args[1].start);
  }
  // the library's bytes methods: not declared for CRD rules
  if (n.op === 'rcall' && BYTES_METHODS.has(name)) throw compileError(source, `undeclared reference to '${name}' (in container '')`, anchor(source, n, n.start));
  if (n.op === 'rcall' && name === 'format' && n.args[1].op === 'value' && typeof n.args[1].args === 'string' && args[0]?.op === 'list') {
    const values = args[0].args.map(literalValue);
    if (values.every((x) => x !== undefined)) {
      try {
        format(n.args[1].args, values.map((x) => x.v));
      } catch (err) {
        if (!(err instanceof Error) || !/^(error during formatting|index \d+ out of range)/.test(err.message)) throw err;
        const bad = err instanceof FormatError ? args[0].args[err.arg] : undefined;
        throw compileError(source, err.message, bad === undefined ? anchor(source, n, n.start) : bad.start);
      }
    }
  }
  // cel-go's literal validators: timestamp("...") and duration("...") must parse
  const a0 = args[0];
  if (n.op === 'call' && (name === 'timestamp' || name === 'duration') && args.length === 1 && a0?.op === 'value' && typeof a0.args === 'string') {
    if ((name === 'timestamp' ? parseTimestamp(a0.args) : parseDuration(a0.args)) === undefined) throw compileError(source, `invalid ${name} argument`, a0.start);
  }
  const arg = n.op === 'call' && name === 'matches' ? args[1] : args[0];
  // a constant pattern in dyn() escapes the literal check but is compiled when the program is planned
  const folded = arg?.op === 'call' && arg.args[0] === 'dyn' && arg.args[1].length === 1 ? arg.args[1][0] : undefined;
  if (REGEX_FUNCTIONS.has(name) && folded?.op === 'value' && typeof folded.args === 'string') {
    try {
      re2(folded.args);
    } catch (err) {
      if (!(err instanceof RegexError)) throw err;
      throw new CelCompileError(err.message, folded.start, 'program');
    }
  }
  const lit = arg;
  if (REGEX_FUNCTIONS.has(name) && lit?.op === 'value' && typeof lit.args === 'string') {
    try {
      re2(lit.args);
    } catch (err) {
      if (!(err instanceof RegexError)) throw err;
      // cel-go refuses a bad literal for matches() when it checks the call, the others when it plans the program
      if (n.op === 'rcall' && name === 'matches') throw compileError(source, 'invalid matches argument', lit.start);
      throw new CelCompileError(err.message, lit.start, 'program');
    }
    if (n.op === 'rcall' && name === 'matches') (lit as { args: unknown }).args = inlineRe2(lit.args);
  }
}

/** Checks the parsed rule as the apiserver would; throws CelCompileError. */
export function analyse(root: ASTNode, source: string): Analysis {
  const a: Analysis = { usesOldSelf: false, fieldNames: new Set() };
  const visit = (n: ASTNode, parent: ASTNode | undefined): void => {
    switch (n.op) {
      case 'id':
        if (n.args === 'oldSelf') a.usesOldSelf = true;
        break;
      case 'value':
        if (typeof n.args === 'bigint' && (n.args > INT_MAX || n.args < INT_MIN) && !(parent?.op === '-_' && n.args === INT_MAX + 1n))
          throw compileError(source, 'invalid int literal', n.start);
        break;
      case '.':
      case '.?':
        a.fieldNames?.add(n.args[1]);
        break;
      case '[]':
      case '[?]': {
        const i = n.args[1];
        if (i.op === 'value' && typeof i.args === 'string') a.fieldNames?.add(i.args);
        else if (!(i.op === 'value' && typeof i.args === 'bigint')) a.fieldNames = undefined;
        break;
      }
      case 'list':
        homogeneous(source, n.args);
        break;
      case 'map':
        homogeneous(source, n.args.map(([k]) => k));
        homogeneous(source, n.args.map(([, v]) => v));
        // a map literal compared with data names the fields it holds: `self == {"a": 1}`
        for (const [k] of n.args) if (k.op === 'value' && typeof k.args === 'string') a.fieldNames?.add(k.args);
        break;
      case 'call':
      case 'rcall':
        checkCall(source, n);
        break;
    }
    for (const c of children(n)) visit(c, n);
  };
  visit(root, undefined);
  return a;
}
