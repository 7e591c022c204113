/**
 * cel-go reports every undeclared reference of a rule, sorted by position; the library stops at
 * the first. When a rule fails for one, this finds them all on the parsed tree, as cel-go
 * reports them: an unknown identifier where it stands, an unknown function at its call's `(`
 * (`base64.encode(b)` gives two: `base64` and `encode`; `cel.bind(x, 1, x)` four).
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { children } from './cost.ts';
import { anchor } from './errors.ts';

const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
/** Identifiers every rule may use: type names and the namespaces of global functions. */
const BUILTIN_IDENTS = new Set(['string', 'bool', 'int', 'uint', 'double', 'map', 'list', 'bytes', 'null_type', 'type', 'dyn', 'google',
  'optional', 'lists', 'sets', 'strings', 'ip', 'format']);
/** Functions the library has and a kube-apiserver does not declare for CRD rules. */
const NOT_DECLARED = new Set(['bind', 'json', 'hex', 'at', 'base64']);

export interface Undeclared { pos: number; name: string }

/** The undeclared identifiers and functions of `root`, in source order. */
export function undeclaredReferences(source: string, root: ASTNode, declared: readonly string[], isFunction: (name: string) => boolean): Undeclared[] {
  const out: Undeclared[] = [];
  const known = (fn: string): boolean => isFunction(fn) && !NOT_DECLARED.has(fn);
  const visit = (n: ASTNode, scope: ReadonlySet<string>): void => {
    if (n.op === 'id') {
      if (!scope.has(n.args) && !declared.includes(n.args) && !BUILTIN_IDENTS.has(n.args)) out.push({ pos: n.start, name: n.args });
      return;
    }
    if (n.op === 'call' && n.args[0] === 'has') return; // has(x.f): its own error when malformed
    if (n.op === 'rcall') {
      const [fn, recv, args] = n.args;
      const v = args[0];
      if (MACROS.has(fn) && v?.op === 'id' && args.length >= 2) {
        visit(recv, scope);
        const inner = new Set([...scope, v.args]);
        for (const a of args.slice(1)) visit(a, inner);
        return;
      }
      visit(recv, scope);
      if (!known(fn)) out.push({ pos: anchor(source, n, n.start), name: fn });
      for (const a of args) visit(a, scope);
      return;
    }
    if (n.op === 'call' && !known(n.args[0])) out.push({ pos: anchor(source, n, n.start), name: n.args[0] });
    for (const c of children(n)) visit(c, scope);
  };
  visit(root, new Set());
  return out.sort((a, b) => a.pos - b.pos);
}
