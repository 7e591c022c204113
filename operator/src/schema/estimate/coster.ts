/**
 * cel-go's static cost estimator (checker/cost.go, cel-go 0.26) ported node for node, with the
 * estimators the apiserver plugs into it: Kubernetes' library costs
 * (k8s.io/apiserver/pkg/cel/library/cost.go `EstimateCallCost`), the lists and sets extensions'
 * overload estimators, and the CRD size estimator (sizes of what `self` reaches, from the
 * schema declaration: apiextensions-apiserver schema/cel/compilation.go `sizeEstimator`).
 * Costs and sizes are uint64 ranges, saturating at 2^64-1, as in Go.
 */
import type { DeclType } from './decl.ts';
import type { Expr } from './ir.ts';
import { DYN, sameType } from './types.ts';
import type { CelType } from './types.ts';

export interface Range { readonly min: bigint; readonly max: bigint }

export const MAX_U64 = (1n << 64n) - 1n;
const TWO_64 = 2 ** 64;
const sat = (n: bigint): bigint => (n > MAX_U64 ? MAX_U64 : n);
export const fixed = (n: bigint): Range => ({ min: n, max: n });
const ZERO = fixed(0n);
const ONE = fixed(1n);
const UNKNOWN: Range = { min: 0n, max: MAX_U64 };
const add = (a: Range, b: Range): Range => ({ min: sat(a.min + b.min), max: sat(a.max + b.max) });
const mul = (a: Range, b: Range): Range => ({ min: sat(a.min * b.min), max: sat(a.max * b.max) });
const union = (a: Range, b: Range): Range => ({ min: a.min < b.min ? a.min : b.min, max: a.max > b.max ? a.max : b.max });
/** x × factor rounded up, through float64 as Go does it. */
function byFactorOne(x: bigint, f: number): bigint {
  const xf = Number(x);
  if (xf > 0 && f > 0 && xf > TWO_64 / f) return MAX_U64;
  const c = Math.ceil(xf * f);
  return c >= TWO_64 ? MAX_U64 : BigInt(c);
}
const byFactor = (a: Range, f: number): Range => ({ min: byFactorOne(a.min, f), max: byFactorOne(a.max, f) });

const STRING_TRAVERSAL = 0.1;
const REGEX_LENGTH = 0.25;
const LIST_CREATE = 10n;
const MAP_CREATE = 30n;
const MAX_NAME_FORMAT_REGEX_SIZE = 128;
const MAX_FORMAT_SIZE = 64n;

interface Entry { container: 'list' | 'map' | undefined; key: Range; val: Range }
const unionEntry = (a: Entry | undefined, b: Entry | undefined): Entry | undefined =>
  a === undefined || b === undefined ? undefined : { container: a.container, key: union(a.key, b.key), val: union(a.val, b.val) };

/** cel-go's checker.AstNode: what an estimator sees of an argument. */
interface Node { path: string[] | undefined; type: CelType; expr: Expr | undefined; computed: Range | undefined }
interface LocalVar { path: string[] | undefined; size: Range | undefined; entry: Entry | undefined }
type CallEstimate = { cost: Range; resultSize?: Range | undefined };

const isAccumulator = (name: string | undefined): boolean => name === '@result' || name === '__result__';
const isScalar = (t: CelType): boolean =>
  ['bool', 'double', 'duration', 'int', 'timestamp', 'uint'].includes(t.kind) || (t.kind === 'opaque' && t.name === 'optional_type' && isScalar(t.params?.[0] ?? DYN));

export class Coster {
  private readonly paths = new Map<number, string[]>();
  private readonly sizes = new Map<number, Range>();
  private readonly entries = new Map<number, Entry>();
  private readonly locals = new Map<string, LocalVar[]>();

  private readonly root: DeclType;
  private readonly types: ReadonlyMap<number, CelType>;
  private readonly overloads: ReadonlyMap<number, string[]>;

  constructor(root: DeclType, types: ReadonlyMap<number, CelType>, overloads: ReadonlyMap<number, string[]>) {
    this.root = root;
    this.types = types;
    this.overloads = overloads;
  }

  private type(e: Expr): CelType { return this.types.get(e.id) ?? DYN; }
  private local(name: string): LocalVar | undefined { const s = this.locals.get(name); return s?.[s.length - 1]; }
  private push(name: string, v: LocalVar): void { this.locals.set(name, [...(this.locals.get(name) ?? []), v]); }
  private pop(name: string): void { this.locals.get(name)?.pop(); }
  private getPath(e: Expr): string[] | undefined {
    if (e.kind === 'ident') { const v = this.local(e.name); if (v !== undefined) return v.path; }
    return this.paths.get(e.id);
  }

  /** The CRD size estimator: sizes of what `self` reaches, from the declaration. */
  private estimateSize(path: string[] | undefined): Range | undefined {
    if (path === undefined || path.length === 0) return undefined;
    let cur: DeclType | undefined = this.root;
    for (const name of path.slice(1)) {
      if (name === '@items' || name === '@values') cur = cur.elem;
      else if (name === '@keys') cur = cur.key;
      else cur = cur.fields?.get(name);
      if (cur === undefined) return undefined;
    }
    return { min: 0n, max: BigInt(cur.maxElements) };
  }

  private computeSize(e: Expr): Range | undefined {
    const known = this.sizes.get(e.id);
    if (known !== undefined) return known;
    if (e.kind === 'lit') {
      const l = e.lit;
      return fixed(l.t === 'string' ? BigInt(Array.from(l.v).length) : l.t === 'bytes' ? BigInt(l.v.length) : 1n);
    }
    if (e.kind === 'list') return fixed(BigInt(e.elems.length));
    if (e.kind === 'map') return fixed(BigInt(e.entries.length));
    const est = this.estimateSize(this.getPath(e));
    if (est !== undefined) { this.sizes.set(e.id, est); return est; }
    if (isScalar(this.type(e))) return ONE;
    if (e.kind === 'ident') return this.local(e.name)?.size;
    return undefined;
  }
  private sizeOf(e: Expr): Range { return this.computeSize(e) ?? UNKNOWN; }
  private entryOf(e: Expr): Entry | undefined {
    return this.entries.get(e.id) ?? (e.kind === 'ident' ? this.local(e.name)?.entry : undefined);
  }
  private node(e: Expr): Node {
    const p = this.getPath(e);
    return { path: p !== undefined && isAccumulator(p[0]) ? undefined : p, type: this.type(e), expr: e, computed: this.computeSize(e) };
  }
  /** The library estimators' size of a node: computed, else from the declaration, else unknown. */
  private sizeEstimate(n: Node): Range { return n.computed ?? this.estimateSize(n.path) ?? UNKNOWN; }

  cost(e: Expr): Range {
    switch (e.kind) {
      case 'lit': return ZERO;
      case 'ident':
        this.paths.set(e.id, this.local(e.name)?.path ?? [e.name]);
        return ONE;
      case 'select': {
        if (e.testOnly) return this.cost(e.operand); // has(): presence tests cost nothing in the apiserver
        let sum = this.cost(e.operand);
        const k = this.type(e.operand).kind;
        if (k === 'map' || k === 'struct') sum = add(sum, ONE);
        this.paths.set(e.id, [...(this.getPath(e.operand) ?? []), e.field]);
        return sum;
      }
      case 'call': return this.costCall(e);
      case 'list': {
        let sum = ZERO;
        let item: Range = e.elems.length === 0 ? ZERO : { min: MAX_U64, max: 0n };
        for (const x of e.elems) { sum = add(sum, this.cost(x)); item = union(item, this.sizeOf(x)); }
        this.entries.set(e.id, { container: 'list', key: ONE, val: item });
        return add(sum, fixed(LIST_CREATE));
      }
      case 'map': {
        let sum = ZERO;
        const empty = e.entries.length === 0;
        let key: Range = empty ? ZERO : { min: MAX_U64, max: 0n };
        let val: Range = empty ? ZERO : { min: MAX_U64, max: 0n };
        for (const [k, v] of e.entries) {
          sum = add(add(sum, this.cost(k)), this.cost(v));
          key = union(key, this.sizeOf(k));
          val = union(val, this.sizeOf(v));
        }
        this.entries.set(e.id, { container: 'map', key, val });
        return add(sum, fixed(MAP_CREATE));
      }
      case 'comp': return this.costComprehension(e);
    }
  }

  private costComprehension(e: Extract<Expr, { kind: 'comp' }>): Range {
    let sum = add(this.cost(e.iterRange), this.cost(e.accuInit));
    this.push(e.accuVar, { path: this.getPath(e.accuInit), size: this.computeSize(e.accuInit), entry: this.entryOf(e.accuInit) });
    const entry = this.entryOf(e.iterRange);
    const container = entry?.container ?? (this.type(e.iterRange).kind === 'list' ? 'list' : 'other');
    const isList = container === 'list';
    this.push(e.iterVar, { path: [...(this.getPath(e.iterRange) ?? []), isList ? '@items' : '@keys'], size: isList ? entry?.val : entry?.key, entry: undefined });
    const loop = add(this.cost(e.cond), this.cost(e.step));
    this.pop(e.iterVar);
    sum = add(sum, this.cost(e.result));
    this.pop(e.accuVar);
    const count = this.sizeOf(e.iterRange);
    sum = add(sum, mul(count, loop));
    if (e.accuInit.kind === 'lit') {
      const s = this.computeSize(e.accuInit);
      if (s !== undefined) this.sizes.set(e.id, s);
    } else if (e.accuInit.kind === 'list' || e.accuInit.kind === 'map') {
      this.sizes.set(e.id, count);
      const stepEntry = this.entryOf(e.step);
      if (stepEntry !== undefined) this.entries.set(e.id, stepEntry);
    }
    return sum;
  }

  private costCall(e: Extract<Expr, { kind: 'call' }>): Range {
    if (e.fn === 'dyn' && e.args[0] !== undefined) {
      const a = e.args[0];
      const c = this.cost(a);
      const s = this.computeSize(a);
      if (s !== undefined) this.sizes.set(e.id, s);
      const en = this.entryOf(a);
      if (en !== undefined) this.entries.set(e.id, en);
      return add(ONE, c);
    }
    const argCosts: Range[] = [];
    const argNodes: Node[] = [];
    for (const a of e.args) { argCosts.push(this.cost(a)); argNodes.push(this.node(a)); }
    const ids = this.overloads.get(e.id) ?? [e.fn];
    let sum = ZERO;
    let target: Node | undefined;
    if (e.target !== undefined) { sum = add(sum, this.cost(e.target)); target = this.node(e.target); }
    let fnCost: Range = { min: MAX_U64, max: 0n };
    let resultSize: Range | undefined;
    for (const id of ids) {
      const c = this.functionCost(e, id, target, argNodes, argCosts);
      fnCost = union(fnCost, c.cost);
      if (c.resultSize !== undefined) resultSize = resultSize === undefined ? c.resultSize : union(resultSize, c.resultSize);
      const a0 = e.args[0];
      if ((id === 'index_list' || id === 'index_map') && a0 !== undefined) {
        resultSize = this.entryOf(a0)?.val;
        this.paths.set(e.id, [...(this.getPath(a0) ?? []), id === 'index_list' ? '@items' : '@values']);
      }
      resultSize ??= this.computeSize(e);
    }
    if (resultSize !== undefined) this.sizes.set(e.id, resultSize);
    return add(sum, fnCost);
  }

  private functionCost(e: Extract<Expr, { kind: 'call' }>, id: string, target: Node | undefined, args: Node[], argCosts: Range[]): CallEstimate {
    const argSum = argCosts.reduce(add, ZERO);
    const withArgs = (c: CallEstimate | undefined): CallEstimate | undefined => (c === undefined ? undefined : { cost: add(c.cost, argSum), resultSize: c.resultSize });
    const ext = withArgs(this.extensionCost(id, target, args));
    if (ext !== undefined) return ext;
    const k8s = withArgs(this.libraryCost(e.fn, id, target, args));
    if (k8s !== undefined) return k8s;
    const a0 = args[0];
    const a1 = args[1];
    const traverse = (n: Node | undefined): Range => byFactor(n?.computed ?? UNKNOWN, STRING_TRAVERSAL);
    const sizeOf = (n: Node | undefined): Range => n?.computed ?? UNKNOWN;
    switch (id) {
      case 'string_format':
        if (target !== undefined) return { cost: add(traverse(target), argSum) };
        break;
      case 'string_to_bytes': case 'bytes_to_string': case 'strings_quote':
        if (args.length === 1) {
          const sz = sizeOf(a0);
          const resultSize = id === 'string_to_bytes' ? { min: sz.min, max: sat(sz.max * 4n) }
            : id === 'bytes_to_string' ? { min: sz.min / 4n, max: sz.max } : { min: sat(sz.min + 2n), max: sat(sz.max * 2n + 2n) };
          return { cost: add(traverse(a0), argSum), resultSize };
        }
        break;
      case 'starts_with_string': case 'ends_with_string':
        if (args.length === 1) return { cost: add(traverse(a0), argSum) };
        break;
      case 'in_list':
        if (args.length === 2) return { cost: add(byFactor(sizeOf(a1), 1), argSum) };
        break;
      case 'matches_string':
        if (target !== undefined && args.length === 1) {
          const str = byFactor(add(sizeOf(target), ONE), STRING_TRAVERSAL);
          return { cost: add(mul(str, byFactor(sizeOf(a0), REGEX_LENGTH)), argSum) };
        }
        break;
      case 'contains_string':
        if (target !== undefined && args.length === 1) return { cost: add(mul(traverse(target), traverse(a0)), argSum) };
        break;
      case 'logical_or': case 'logical_and': {
        const [l = ZERO, r = ZERO] = argCosts;
        return { cost: { min: l.min, max: add(l, r).max } };
      }
      case 'conditional': {
        const [a, b, c] = e.args;
        if (a === undefined || b === undefined || c === undefined) break;
        const size = union(this.sizeOf(b), this.sizeOf(c));
        const en = unionEntry(this.entryOf(b), this.entryOf(c));
        if (en !== undefined) this.entries.set(e.id, en);
        const [cc = ZERO, tc = ZERO, fc = ZERO] = argCosts;
        return { cost: add(cc, union(tc, fc)), resultSize: size };
      }
      case 'add_string': case 'add_bytes': case 'add_list': {
        const [l, r] = e.args;
        if (l === undefined || r === undefined) break;
        const resultSize = add(this.sizeOf(l), this.sizeOf(r));
        const en = unionEntry(this.entryOf(l), this.entryOf(r));
        if (en !== undefined) this.entries.set(e.id, en);
        if (id === 'add_list') return { cost: add(ONE, argSum), resultSize };
        return { cost: add(byFactor(resultSize, STRING_TRAVERSAL), argSum), resultSize };
      }
      case 'compare_string': case 'compare_bytes': case 'equals': case 'not_equals': {
        const l = sizeOf(a0);
        const r = sizeOf(a1);
        const smallest = l.max < r.max ? l.max : r.max;
        return { cost: add(byFactor({ min: smallest > 0n ? 1n : 0n, max: smallest }, STRING_TRAVERSAL), argSum) };
      }
    }
    return { cost: add(ONE, argSum) };
  }

  /** The lists and sets extensions' overload estimators (they take precedence). */
  private extensionCost(id: string, target: Node | undefined, args: Node[]): CallEstimate | undefined {
    const intArg = (n: Node | undefined, dflt: bigint): bigint => {
      const x = n?.expr;
      if (x?.kind !== 'lit' || x.lit.t !== 'int') return dflt;
      return x.lit.v < 0n ? 0n : x.lit.v;
    };
    const listCall = (factor: number, size: Range): CallEstimate => ({ cost: add(add(byFactor(size, factor), ONE), fixed(LIST_CREATE)), resultSize: size });
    const sets = (factor: number): CallEstimate | undefined => {
      if (args.length !== 2) return undefined;
      const [a, b] = args as [Node, Node];
      return { cost: add(byFactor(mul(this.sizeEstimate(a), this.sizeEstimate(b)), factor), ONE) };
    };
    switch (id) {
      case 'list_sets_contains_list': case 'list_sets_intersects_list': return sets(1);
      case 'list_sets_equivalent_list': return sets(2);
      case 'list_slice': {
        if (target === undefined || args.length !== 2) return undefined;
        const start = intArg(args[0], 0n);
        const end = intArg(args[1], this.sizeEstimate(target).max);
        return listCall(1, fixed(end >= start ? end - start : 0n));
      }
      case 'lists_range': return target !== undefined || args.length !== 1 ? undefined : listCall(1, fixed(intArg(args[0], MAX_U64)));
      case 'list_reverse': return target === undefined || args.length !== 0 ? undefined : listCall(1, this.sizeEstimate(target));
      case 'list_flatten': case 'list_flatten_int':
        return target === undefined || args.length > 1 ? undefined : listCall(Number(args.length === 1 ? intArg(args[0], MAX_U64) : 1n), this.sizeEstimate(target));
      case 'list_distinct': {
        if (target === undefined || args.length !== 0) return undefined;
        const sz = this.sizeEstimate(target);
        return listCall(2, mul(sz, sz));
      }
      default:
        if (/^list_\w+_sort$/.test(id) && target !== undefined && args.length === 0) {
          const sz = this.sizeEstimate(target);
          const elem = target.type.params?.[0]?.kind;
          return listCall(elem === 'string' || elem === 'bytes' ? 2 + STRING_TRAVERSAL : 2, mul(sz, sz));
        }
        return undefined;
    }
  }

  /** k8s.io/apiserver/pkg/cel/library/cost.go EstimateCallCost. */
  private libraryCost(fn: string, id: string, target: Node | undefined, args: Node[]): CallEstimate | undefined {
    const a0 = args[0];
    const traverse = (n: Node, f = STRING_TRAVERSAL): Range => byFactor(this.sizeEstimate(n), f);
    switch (fn) {
      case 'isSorted': case 'sum': case 'max': case 'min': case 'indexOf': case 'lastIndexOf': {
        if (target === undefined) return undefined;
        const elem = target.type.params?.[0];
        if (elem !== undefined) {
          let el: Range = ONE;
          if (elem.kind === 'string' || elem.kind === 'bytes') {
            const elNode: Node = { path: target.path === undefined ? undefined : [...target.path, '@items'], type: elem, expr: undefined, computed: undefined };
            el = add(el, traverse(elNode));
          }
          return { cost: mul(this.sizeEstimate(target), el) };
        }
        return { cost: traverse(target) };
      }
      case 'url': case 'jsonpatch.escapeKey':
        if (a0 !== undefined) { const sz = this.sizeEstimate(a0); return { cost: byFactor(sz, STRING_TRAVERSAL), resultSize: sz }; }
        return undefined;
      case 'lowerAscii': case 'upperAscii': case 'substring': case 'trim':
        if (target !== undefined) { const sz = this.sizeEstimate(target); return { cost: byFactor(sz, STRING_TRAVERSAL), resultSize: sz }; }
        return undefined;
      case 'replace': return target !== undefined && args.length >= 2 ? this.replaceCost(target, args[0] as Node, args[1] as Node) : undefined;
      case 'split': {
        if (target === undefined) return undefined;
        const sz = this.sizeEstimate(target);
        const lim = args[1]?.expr;
        const max = lim?.kind === 'lit' && lim.lit.t === 'int' ? BigInt.asUintN(64, lim.lit.v) : sz.max;
        return { cost: byFactor(sz, 2 * STRING_TRAVERSAL), resultSize: { min: 0n, max } };
      }
      case 'join': {
        if (target === undefined) return undefined;
        let sz: Range = ZERO;
        const listSize = this.sizeEstimate(target);
        const elem = target.type.params?.[0];
        if (elem !== undefined) {
          const elNode: Node = { path: target.path === undefined ? undefined : [...target.path, '@items'], type: elem, expr: undefined, computed: undefined };
          sz = mul(listSize, this.sizeEstimate(elNode));
        }
        if (a0 !== undefined) {
          const seps = { min: listSize.min > 0n ? listSize.min - 1n : 0n, max: listSize.max > 0n ? listSize.max - 1n : 0n };
          sz = add(sz, mul(this.sizeEstimate(a0), seps));
        }
        return { cost: byFactor(sz, STRING_TRAVERSAL), resultSize: sz };
      }
      case 'find': case 'findAll': {
        if (target === undefined || a0 === undefined) return undefined;
        const sz = this.sizeEstimate(target);
        const str = byFactor(add(sz, ONE), STRING_TRAVERSAL);
        return { cost: mul(str, byFactor(this.sizeEstimate(a0), REGEX_LENGTH)), resultSize: { min: 0n, max: sz.max } };
      }
      case 'cidr': case 'isIP': case 'isCIDR': case 'quantity': case 'isQuantity': case 'semver': case 'isSemver':
        return a0 === undefined ? undefined : { cost: traverse(a0) };
      case 'ip':
        if (id === 'cidr_ip') return { cost: ONE };
        return a0 === undefined ? undefined : { cost: traverse(a0) };
      case 'ip.isCanonical': return a0 === undefined ? undefined : { cost: traverse(a0, 2 * STRING_TRAVERSAL) };
      case 'masked': case 'prefixLength': case 'family': case 'isUnspecified': case 'isLoopback': case 'isLinkLocalMulticast': case 'isLinkLocalUnicast':
      case 'isGlobalUnicast': case 'format.named': case 'sign': case 'asInteger': case 'isInteger': case 'asApproximateFloat': case 'isGreaterThan':
      case 'isLessThan': case 'compareTo': case 'add': case 'sub': case 'major': case 'minor': case 'patch': case 'getScheme': case 'getHostname':
      case 'getHost': case 'getPort': case 'getEscapedPath': case 'getQuery':
        return { cost: ONE };
      case 'containsIP': case 'containsCIDR': {
        if (a0 === undefined) return undefined;
        const sz = { min: 4n, max: 16n };
        let c = byFactor(add(sz, sz), STRING_TRAVERSAL);
        if (fn === 'containsCIDR') c = add(add(c, byFactor(sz, STRING_TRAVERSAL)), ONE);
        if (id.endsWith('_string')) c = add(c, traverse(a0));
        return { cost: c };
      }
      case 'validate': return a0 === undefined ? undefined : { cost: byFactor(traverse(a0), MAX_NAME_FORMAT_REGEX_SIZE * REGEX_LENGTH) };
      case '_==_': {
        const b = args[1];
        if (a0 === undefined || b === undefined || !sameType(a0.type, b.type)) return undefined;
        const name = a0.type.name;
        if (name === 'net.IP' || name === 'net.CIDR' || name === 'kubernetes.Quantity' || name === 'kubernetes.Semver') return { cost: ONE };
        if (name === 'kubernetes.NamedFormat') return { cost: byFactor({ min: 1n, max: MAX_FORMAT_SIZE }, STRING_TRAVERSAL) };
        if (name === 'kubernetes.URL') return { cost: byFactor({ min: 1n, max: (b.computed ?? ONE).max }, STRING_TRAVERSAL) };
        return undefined;
      }
    }
    return undefined;
  }

  private replaceCost(target: Node, from: Node, to: Node): CallEstimate {
    const sz = this.sizeEstimate(target);
    const f = this.sizeEstimate(from);
    const r = this.sizeEstimate(to);
    let countMax: bigint; let countMin: bigint; let keptMax = 0n; let keptMin = 0n;
    if (f.min === 0n) { countMax = sz.max < MAX_U64 ? sz.max + 1n : sz.max; keptMax = sz.max; }
    else if (r.max <= f.min) { countMax = 0n; keptMax = sz.max; }
    else countMax = BigInt(Math.ceil(Number(sz.max) / Number(f.min)));
    if (f.max === 0n) { countMin = sz.min < MAX_U64 ? sz.min + 1n : sz.min; keptMin = sz.min; }
    else if (f.max <= r.min) { countMin = 0n; keptMin = sz.min; }
    else countMin = BigInt(Math.ceil(Number(sz.min) / Number(f.max)));
    const size = add(mul({ min: countMin, max: countMax }, r), { min: keptMin, max: keptMax });
    return { cost: byFactor(sz, 2 * STRING_TRAVERSAL), resultSize: size };
  }
}
