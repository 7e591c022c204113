/** The CEL abstract syntax tree produced by the parser and walked by the evaluator. */
export type Expr =
  | { k: 'lit'; v: unknown }
  | { k: 'id'; name: string; pos: number }
  | { k: 'sel'; op: Expr; field: string; opt: boolean }
  | { k: 'idx'; op: Expr; index: Expr; opt: boolean }
  | { k: 'call'; fn: string; target: Expr | undefined; args: Expr[]; pos: number }
  | { k: 'list'; elems: Expr[]; optional: boolean[] }
  | { k: 'map'; entries: { key: Expr; value: Expr; opt: boolean }[] }
  | { k: 'cond'; c: Expr; t: Expr; f: Expr }
  | { k: 'and'; l: Expr; r: Expr }
  | { k: 'or'; l: Expr; r: Expr }
  | { k: 'not'; e: Expr }
  | { k: 'neg'; e: Expr }
  | { k: 'bin'; op: BinOp; l: Expr; r: Expr }
  | { k: 'has'; op: Expr; field: string }
  | { k: 'comp'; macro: Macro; range: Expr; v: string; pred: Expr | undefined; xform: Expr | undefined };

export type BinOp = '+' | '-' | '*' | '/' | '%' | '<' | '<=' | '>' | '>=' | '==' | '!=' | 'in';
export type Macro = 'all' | 'exists' | 'exists_one' | 'map' | 'filter';

/** A syntax or declaration error; `pos` is the 0-based character offset in the rule. */
export class CelCompileError extends Error {
  readonly code = 'CEL_COMPILE' as const;
  readonly pos: number;
  constructor(message: string, pos: number) {
    super(message);
    this.name = 'CelCompileError';
    this.pos = pos;
  }
}

/** A runtime error (no such key, overflow, division by zero, no matching overload). */
export class CelEvalError extends Error {
  readonly code = 'CEL_EVAL' as const;
  constructor(message: string) {
    super(message);
    this.name = 'CelEvalError';
  }
}
