/**
 * The library's AST rewritten as cel-go's parser builds it, for the cost estimator: operators
 * as calls (`_==_`, `_[_]`, `_?_:_`...), `has()` as a test-only select, negative number
 * literals folded, namespaced functions (`sets.contains`) as global calls, and the macros
 * (all, exists, exists_one, map, filter) expanded into the comprehensions of cel-go's
 * parser/macro.go — the cost model prices those expansions node by node.
 */
import type { ASTNode } from '@marcbachmann/cel-js';

export type Literal =
  | { t: 'int' | 'uint'; v: bigint }
  | { t: 'double'; v: number }
  | { t: 'string'; v: string }
  | { t: 'bytes'; v: Uint8Array }
  | { t: 'bool'; v: boolean }
  | { t: 'null' };

export type Expr =
  | { kind: 'lit'; id: number; lit: Literal }
  | { kind: 'ident'; id: number; name: string }
  /** `pos`: where cel-go reports an error of the select (its `.`, or the `(` of has()). */
  | { kind: 'select'; id: number; operand: Expr; field: string; testOnly: boolean; pos: number }
  | { kind: 'call'; id: number; fn: string; target: Expr | undefined; args: Expr[]; pos?: number }
  | { kind: 'list'; id: number; elems: Expr[] }
  | { kind: 'map'; id: number; entries: [Expr, Expr][] }
  | {
    kind: 'comp'; id: number; iterVar: string; iterRange: Expr; accuVar: string; accuInit: Expr;
    cond: Expr; step: Expr; result: Expr;
  };

export const ACCU = '@result';

/** Namespaces of global functions (`optional.none()`, `sets.contains(a, b)`, `ip.isCanonical(s)`...). */
const NAMESPACES = new Set(['optional', 'sets', 'lists', 'strings', 'ip', 'format', 'math', 'base64', 'cel']);

const BINARY: Record<string, string> = {
  '==': '_==_', '!=': '_!=_', '<': '_<_', '<=': '_<=_', '>': '_>_', '>=': '_>=_', in: '@in',
  '+': '_+_', '-': '_-_', '*': '_*_', '/': '_/_', '%': '_%_', '&&': '_&&_', '||': '_||_',
};

class Builder {
  private next = 1;
  private readonly variables: ReadonlySet<string>;
  constructor(variables: ReadonlySet<string>) { this.variables = variables; }
  id(): number { return this.next++; }
  lit(lit: Literal): Expr { return { kind: 'lit', id: this.id(), lit }; }
  ident(name: string): Expr { return { kind: 'ident', id: this.id(), name }; }
  call(fn: string, args: Expr[], target?: Expr, pos?: number): Expr { return { kind: 'call', id: this.id(), fn, target, args, ...(pos === undefined ? {} : { pos }) }; }
  list(elems: Expr[]): Expr { return { kind: 'list', id: this.id(), elems }; }

  convert(n: ASTNode, scope: ReadonlySet<string>): Expr {
    switch (n.op) {
      case 'value': return this.lit(literal(n.args));
      case 'id': return this.ident(n.args);
      case '.': return { kind: 'select', id: this.id(), operand: this.convert(n.args[0], scope), field: n.args[1], testOnly: false, pos: n.input.indexOf('.', n.args[0].end) };
      case '.?': return this.call('_?._', [this.convert(n.args[0], scope), this.lit({ t: 'string', v: n.args[1] })], undefined, n.input.indexOf('.', n.args[0].end));
      case '[]': return this.call('_[_]', [this.convert(n.args[0], scope), this.convert(n.args[1], scope)]);
      case '[?]': return this.call('_[?_]', [this.convert(n.args[0], scope), this.convert(n.args[1], scope)]);
      case '?:': return this.call('_?_:_', n.args.map((a) => this.convert(a, scope)));
      case '!_': return this.call('!_', [this.convert(n.args, scope)]);
      case '-_': {
        const a = n.args;
        if (a.op === 'value' && (typeof a.args === 'bigint' || typeof a.args === 'number')) {
          return this.lit(typeof a.args === 'bigint' ? { t: 'int', v: -a.args } : { t: 'double', v: -a.args });
        }
        return this.call('-_', [this.convert(a, scope)]);
      }
      case 'list': return this.list(n.args.map((a) => this.convert(a, scope)));
      case 'map': return { kind: 'map', id: this.id(), entries: n.args.map(([k, v]) => [this.convert(k, scope), this.convert(v, scope)]) };
      case 'call': {
        const [fn, args] = n.args;
        const a0 = args[0];
        if (fn === 'has' && args.length === 1 && a0?.op === '.') {
          return { kind: 'select', id: this.id(), operand: this.convert(a0.args[0], scope), field: a0.args[1], testOnly: true, pos: n.input.indexOf('(', n.start) };
        }
        return this.call(fn, args.map((a) => this.convert(a, scope)));
      }
      case 'rcall': {
        const [fn, recv, args] = n.args;
        const v = args[0];
        if (v?.op === 'id' && ((['all', 'exists', 'exists_one', 'map', 'filter'].includes(fn) && args.length === 2) || (fn === 'map' && args.length === 3))) {
          return this.macro(fn, this.convert(recv, scope), v.args, args.slice(1), new Set([...scope, v.args]));
        }
        const ns = qualifiedName(recv);
        if (ns !== undefined && NAMESPACES.has(ns.split('.')[0] ?? '') && !scope.has(ns.split('.')[0] ?? '') && !this.variables.has(ns.split('.')[0] ?? '')) {
          return this.call(`${ns}.${fn}`, args.map((a) => this.convert(a, scope)));
        }
        return this.call(fn, args.map((a) => this.convert(a, scope)), this.convert(recv, scope));
      }
      default: {
        const op = BINARY[n.op];
        if (op === undefined) throw new Error(`cost estimate: unexpected node ${n.op}`);
        const [l, r] = n.args as [ASTNode, ASTNode];
        // cel-go's `x in list` is @in(x, list); an operator's errors are reported at the operator
        return this.call(op, [this.convert(l, scope), this.convert(r, scope)], undefined, n.input.indexOf(n.op, l.end));
      }
    }
  }

  /** cel-go parser/macro.go: MakeAll, MakeExists, MakeExistsOne, MakeMap, MakeFilter. */
  private macro(fn: string, range: Expr, v: string, body: ASTNode[], scope: ReadonlySet<string>): Expr {
    const accu = (): Expr => this.ident(ACCU);
    const comp = (init: Expr, cond: Expr, step: Expr, result: Expr): Expr => ({
      kind: 'comp', id: this.id(), iterVar: v, iterRange: range, accuVar: ACCU, accuInit: init, cond, step, result,
    });
    const b = body.map((x) => this.convert(x, scope));
    const [p, f] = b as [Expr, Expr | undefined];
    switch (fn) {
      case 'all':
        return comp(this.lit({ t: 'bool', v: true }), this.call('@not_strictly_false', [accu()]), this.call('_&&_', [accu(), p]), accu());
      case 'exists':
        return comp(this.lit({ t: 'bool', v: false }), this.call('@not_strictly_false', [this.call('!_', [accu()])]), this.call('_||_', [accu(), p]), accu());
      case 'exists_one':
        return comp(this.lit({ t: 'int', v: 0n }), this.lit({ t: 'bool', v: true }),
          this.call('_?_:_', [p, this.call('_+_', [accu(), this.lit({ t: 'int', v: 1n })]), accu()]),
          this.call('_==_', [accu(), this.lit({ t: 'int', v: 1n })]));
      case 'map': {
        const fnExpr = f ?? p;
        let step = this.call('_+_', [accu(), this.list([fnExpr])]);
        if (f !== undefined) step = this.call('_?_:_', [p, step, accu()]);
        return comp(this.list([]), this.lit({ t: 'bool', v: true }), step, accu());
      }
      default: // filter
        return comp(this.list([]), this.lit({ t: 'bool', v: true }),
          this.call('_?_:_', [p, this.call('_+_', [accu(), this.list([this.ident(v)])]), accu()]), accu());
    }
  }
}

function literal(v: unknown): Literal {
  if (typeof v === 'bigint') return { t: 'int', v };
  if (typeof v === 'number') return { t: 'double', v };
  if (typeof v === 'string') return { t: 'string', v };
  if (typeof v === 'boolean') return { t: 'bool', v };
  if (v instanceof Uint8Array) return { t: 'bytes', v };
  if (v === null) return { t: 'null' };
  const u = (v as { value?: unknown }).value;
  return { t: 'uint', v: typeof u === 'bigint' ? u : 0n };
}

/** `a.b.c` of identifiers and selects, or undefined. */
function qualifiedName(n: ASTNode): string | undefined {
  if (n.op === 'id') return n.args;
  if (n.op === '.') {
    const inner = qualifiedName(n.args[0]);
    return inner === undefined ? undefined : `${inner}.${n.args[1]}`;
  }
  return undefined;
}

/** The expression in cel-go's shape; `variables` are the declared variables (they shadow namespaces). */
export function toIR(ast: ASTNode, variables: readonly string[]): Expr {
  return new Builder(new Set(variables)).convert(ast, new Set());
}
