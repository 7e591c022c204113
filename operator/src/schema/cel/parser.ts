import { CelCompileError } from './ast.ts';
import type { BinOp, Expr, Macro } from './ast.ts';
import { tokenize } from './lexer.ts';
import type { Token } from './lexer.ts';
import { CelUint } from './values.ts';

const RESERVED = new Set([
  'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package',
  'namespace', 'return', 'var', 'void', 'while',
]);
const MACROS: Record<string, Macro> = { all: 'all', exists: 'exists', exists_one: 'exists_one', map: 'map', filter: 'filter' };
const MAX_DEPTH = 250;

/** Parses a CEL expression (recursive descent, CEL's precedence) into an AST. */
export function parse(src: string): Expr {
  return new Parser(tokenize(src)).parseAll();
}

class Parser {
  private readonly toks: Token[];
  private p = 0;
  private depth = 0;

  constructor(toks: Token[]) {
    this.toks = toks;
  }

  parseAll(): Expr {
    const e = this.expr();
    const t = this.peek();
    if (t.t !== 'eof') this.fail(t, `Syntax error: mismatched input '${show(t)}' expecting <EOF>`);
    return e;
  }

  private peek(): Token {
    return this.toks[this.p] as Token;
  }
  private next(): Token {
    return this.toks[this.p++] as Token;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private eat(v: string): boolean {
    if (this.isOp(v)) {
      this.p++;
      return true;
    }
    return false;
  }
  private expect(v: string): void {
    const t = this.peek();
    if (!this.eat(v)) this.fail(t, `Syntax error: mismatched input '${show(t)}' expecting '${v}'`);
  }
  private fail(t: Token, msg: string): never {
    throw new CelCompileError(msg, t.pos);
  }

  private expr(): Expr {
    if (++this.depth > MAX_DEPTH) this.fail(this.peek(), 'expression recursion limit exceeded');
    const c = this.or();
    let out = c;
    if (this.eat('?')) {
      const t = this.or();
      this.expect(':');
      const f = this.expr();
      out = { k: 'cond', c, t, f };
    }
    this.depth--;
    return out;
  }

  private or(): Expr {
    let l = this.and();
    while (this.eat('||')) l = { k: 'or', l, r: this.and() };
    return l;
  }

  private and(): Expr {
    let l = this.relation();
    while (this.eat('&&')) l = { k: 'and', l, r: this.relation() };
    return l;
  }

  private relation(): Expr {
    let l = this.addition();
    for (;;) {
      const t = this.peek();
      let op: BinOp | undefined;
      if (t.t === 'op' && ['<', '<=', '>', '>=', '==', '!='].includes(t.v)) op = t.v as BinOp;
      else if (t.t === 'id' && t.v === 'in') op = 'in';
      if (op === undefined) return l;
      this.p++;
      l = { k: 'bin', op, l, r: this.addition() };
    }
  }

  private addition(): Expr {
    let l = this.multiplication();
    for (;;) {
      const t = this.peek();
      if (t.t === 'op' && (t.v === '+' || t.v === '-')) {
        this.p++;
        l = { k: 'bin', op: t.v, l, r: this.multiplication() };
      } else return l;
    }
  }

  private multiplication(): Expr {
    let l = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.t === 'op' && (t.v === '*' || t.v === '/' || t.v === '%')) {
        this.p++;
        l = { k: 'bin', op: t.v, l, r: this.unary() };
      } else return l;
    }
  }

  private unary(): Expr {
    if (this.isOp('!')) {
      let n = 0;
      while (this.eat('!')) n++;
      let e = this.member();
      for (let i = 0; i < n; i++) e = { k: 'not', e };
      return e;
    }
    if (this.isOp('-')) {
      let n = 0;
      while (this.eat('-')) n++;
      const t = this.peek();
      let e: Expr;
      // fold a negated numeric literal so that -9223372036854775808 is representable
      if (t.t === 'int' && !this.followedByMember()) {
        this.p++;
        e = { k: 'lit', v: -t.v };
        n--;
      } else if (t.t === 'double' && !this.followedByMember()) {
        this.p++;
        e = { k: 'lit', v: -t.v };
        n--;
      } else e = this.member();
      if (e.k === 'lit' && typeof e.v === 'bigint' && (e.v > (1n << 63n) - 1n))
        this.fail(t, 'Syntax error: integer literal out of range');
      for (let i = 0; i < n; i++) e = { k: 'neg', e };
      return e;
    }
    return this.member();
  }

  private followedByMember(): boolean {
    const t = this.toks[this.p + 1];
    return t !== undefined && t.t === 'op' && (t.v === '.' || t.v === '[' || t.v === '.?' || t.v === '[?');
  }

  private member(): Expr {
    let e = this.primary();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op') return e;
      if (t.v === '.' || t.v === '.?') {
        this.p++;
        const id = this.next();
        if (id.t !== 'id') this.fail(id, `Syntax error: mismatched input '${show(id)}' expecting IDENTIFIER`);
        if (t.v === '.' && this.isOp('(')) {
          this.p++;
          const args = this.args(')');
          e = this.memberCall(e, id, args);
        } else e = { k: 'sel', op: e, field: id.v, opt: t.v === '.?' };
      } else if (t.v === '[' || t.v === '[?') {
        this.p++;
        const index = this.expr();
        this.expect(']');
        e = { k: 'idx', op: e, index, opt: t.v === '[?' };
      } else if (t.v === '.?[') {
        this.fail(t, `Syntax error: unexpected '.?['`);
      } else return e;
    }
  }

  private memberCall(target: Expr, id: Token & { t: 'id' }, args: Expr[]): Expr {
    const macro = MACROS[id.v];
    if (macro !== undefined) {
      const want = macro === 'map' ? [2, 3] : [2];
      if (!want.includes(args.length)) this.fail(id, `macro '${id.v}' expects ${want.join(' or ')} arguments`);
      const v = args[0] as Expr;
      if (v.k !== 'id') this.fail(id, `argument must be a simple name`);
      if (macro === 'map') {
        const pred = args.length === 3 ? args[1] : undefined;
        return { k: 'comp', macro, range: target, v: v.name, pred, xform: args[args.length - 1] };
      }
      return { k: 'comp', macro, range: target, v: v.name, pred: args[1], xform: undefined };
    }
    return { k: 'call', fn: id.v, target, args, pos: id.pos };
  }

  private args(close: string): Expr[] {
    const out: Expr[] = [];
    if (this.eat(close)) return out;
    for (;;) {
      out.push(this.expr());
      if (this.eat(close)) return out;
      this.expect(',');
    }
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.t) {
      case 'int':
        if (t.v > (1n << 63n) - 1n) this.fail(t, 'Syntax error: integer literal out of range');
        return { k: 'lit', v: t.v };
      case 'uint':
        return { k: 'lit', v: new CelUint(t.v) };
      case 'double':
      case 'str':
      case 'bytes':
        return { k: 'lit', v: t.v };
      case 'eof':
        return this.fail(t, `Syntax error: mismatched input '<EOF>' expecting expression`);
      case 'id':
        return this.identOrCall(t);
      case 'op':
        break;
    }
    if (t.v === '.') {
      const id = this.next();
      if (id.t !== 'id') this.fail(id, `Syntax error: mismatched input '${show(id)}' expecting IDENTIFIER`);
      return this.identOrCall(id);
    }
    if (t.v === '(') {
      const e = this.expr();
      this.expect(')');
      return e;
    }
    if (t.v === '[') {
      const elems: Expr[] = [];
      const optional: boolean[] = [];
      while (!this.eat(']')) {
        optional.push(this.eat('?'));
        elems.push(this.expr());
        if (this.eat(']')) break;
        this.expect(',');
      }
      return { k: 'list', elems, optional };
    }
    if (t.v === '{') {
      const entries: { key: Expr; value: Expr; opt: boolean }[] = [];
      while (!this.eat('}')) {
        const opt = this.eat('?');
        const key = this.expr();
        this.expect(':');
        const value = this.expr();
        entries.push({ key, value, opt });
        if (this.eat('}')) break;
        this.expect(',');
      }
      return { k: 'map', entries };
    }
    return this.fail(t, `Syntax error: mismatched input '${show(t)}' expecting expression`);
  }

  private identOrCall(t: Token & { t: 'id' }): Expr {
    switch (t.v) {
      case 'true':
        return { k: 'lit', v: true };
      case 'false':
        return { k: 'lit', v: false };
      case 'null':
        return { k: 'lit', v: null };
      case 'in':
        this.fail(t, `Syntax error: mismatched input 'in' expecting expression`);
    }
    if (RESERVED.has(t.v)) this.fail(t, `Syntax error: reserved identifier: ${t.v}`);
    if (this.isOp('{')) this.fail(t, `message construction '${t.v}{...}' is not supported`);
    if (!this.eat('(')) return { k: 'id', name: t.v, pos: t.pos };
    const args = this.args(')');
    if (t.v === 'has') {
      const a = args[0];
      if (args.length !== 1 || a === undefined || a.k !== 'sel' || a.opt)
        this.fail(t, 'invalid argument to has() macro');
      return { k: 'has', op: a.op, field: a.field };
    }
    return { k: 'call', fn: t.v, target: undefined, args, pos: t.pos };
  }
}

function show(t: Token): string {
  if (t.t === 'eof') return '<EOF>';
  if (t.t === 'str') return JSON.stringify(t.v);
  if (t.t === 'bytes') return 'b"..."';
  return String(t.v);
}
