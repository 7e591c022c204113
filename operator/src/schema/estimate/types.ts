/**
 * Just enough of cel-go's type checker for the cost estimator: the type of each node (from the
 * schema's declaration for `self`, `oldSelf` and what is selected from them) and the overloads a
 * call resolves to where the cost model depends on them (`_+_` of strings or lists, `@in` of a
 * list or a map, comparisons of strings, `_[_]` of lists or maps...). Rules reaching here
 * compiled already, so nothing is reported: what is not known is `dyn`.
 */
import type { DeclType } from './decl.ts';
import { ACCU } from './ir.ts';
import type { Expr } from './ir.ts';

export type Kind = 'bool' | 'bytes' | 'double' | 'duration' | 'int' | 'null' | 'string' | 'timestamp' | 'uint' | 'list' | 'map' | 'struct'
  | 'opaque' | 'dyn' | 'type';

export interface CelType {
  readonly kind: Kind;
  /** struct and opaque types: `object` (a schema object), `kubernetes.Quantity`, `optional_type`, `net.IP`... */
  readonly name?: string;
  /** list: [elem]; map: [key, value]; optional: [value]. */
  readonly params?: readonly CelType[];
  /** Schema objects: their declaration (for field selection). */
  readonly decl?: DeclType;
  /** The type is certain (from the schema or a literal): errors found with it are the apiserver's. */
  readonly certain?: true;
}

const t = (kind: Kind, name?: string, params?: CelType[]): CelType => ({ kind, ...(name ? { name } : {}), ...(params ? { params } : {}) });
export const DYN = t('dyn');
const BOOL = t('bool');
const INT = t('int');
const UINT = t('uint');
const DOUBLE = t('double');
const STRING = t('string');
const BYTES = t('bytes');
const DURATION = t('duration');
const TIMESTAMP = t('timestamp');
const listOf = (e: CelType): CelType => t('list', undefined, [e]);
const mapOf = (k: CelType, v: CelType): CelType => t('map', undefined, [k, v]);
const optionalOf = (v: CelType): CelType => t('opaque', 'optional_type', [v]);
const QUANTITY = t('struct', 'kubernetes.Quantity');
const URL = t('struct', 'kubernetes.URL');
const SEMVER = t('struct', 'kubernetes.Semver');
const NAMED_FORMAT = t('struct', 'kubernetes.NamedFormat');
const IP = t('opaque', 'net.IP');
const CIDR = t('opaque', 'net.CIDR');

/** The CEL type of a schema declaration. */
export function fromDecl(d: DeclType): CelType {
  switch (d.kind) {
    case 'object': return { kind: 'struct', name: 'object', decl: d, certain: true };
    case 'list': return { ...listOf(d.elem === undefined ? DYN : fromDecl(d.elem)), certain: true };
    case 'map': return { ...mapOf(STRING, d.elem === undefined ? DYN : fromDecl(d.elem)), certain: true };
    case 'dyn': return DYN;
    default: return { kind: d.kind, certain: true };
  }
}

/** A type as cel-go prints it in errors: `int`, `timestamp`, `list(string)`. */
export function typeName(x: CelType): string {
  if (x.kind === 'list') return `list(${typeName(param(x))})`;
  if (x.kind === 'map') return `map(${typeName(param(x))}, ${typeName(param(x, 1))})`;
  return x.name ?? x.kind;
}

const SCALARS = new Set<Kind>(['int', 'uint', 'double', 'string', 'bool', 'bytes', 'timestamp', 'duration', 'null']);

/** A compile error the schema's types reveal (the library sees `self` as dyn). */
export interface TypeError { pos: number; message: string }

export function sameType(a: CelType, b: CelType): boolean {
  if (a.kind !== b.kind || a.name !== b.name) return false;
  if (a.decl !== undefined || b.decl !== undefined) return a.decl === b.decl;
  const ap = a.params ?? [];
  const bp = b.params ?? [];
  return ap.length === bp.length && ap.every((p, i) => sameType(p, bp[i] as CelType));
}

const param = (x: CelType, i = 0): CelType => x.params?.[i] ?? DYN;
const isDyn = (x: CelType): boolean => x.kind === 'dyn';
/** The overload a binary operator resolves to for a kind (`add_string`...), all of them for dyn. */
const byKind = (prefix: string, x: CelType, kinds: readonly Kind[]): string[] =>
  isDyn(x) ? kinds.map((k) => `${prefix}_${k}`) : kinds.includes(x.kind) ? [`${prefix}_${x.kind}`] : [`${prefix}_other`];

const STRING_RESULT = new Set(['charAt', 'lowerAscii', 'upperAscii', 'replace', 'substring', 'trim', 'format', 'strings.quote', 'find', 'join',
  'getScheme', 'getHost', 'getHostname', 'getPort', 'getEscapedPath', 'string']);
const BOOL_RESULT = new Set(['contains', 'startsWith', 'endsWith', 'matches', 'isSorted', 'sets.contains', 'sets.equivalent', 'sets.intersects',
  'isQuantity', 'isURL', 'isIP', 'isCIDR', 'ip.isCanonical', 'isUnspecified', 'isLoopback', 'isLinkLocalMulticast', 'isLinkLocalUnicast',
  'isGlobalUnicast', 'containsIP', 'containsCIDR', 'isInteger', 'isGreaterThan', 'isLessThan', 'hasValue', 'isSemver', '@not_strictly_false',
  '_==_', '_!=_', '_<_', '_<=_', '_>_', '_>=_', '@in', '!_', '_&&_', '_||_', 'bool']);
const INT_RESULT = new Set(['size', 'indexOf', 'lastIndexOf', 'family', 'prefixLength', 'sign', 'asInteger', 'compareTo', 'major', 'minor', 'patch',
  'getFullYear', 'getMonth', 'getDayOfYear', 'getDayOfMonth', 'getDate', 'getDayOfWeek', 'getHours', 'getMinutes', 'getSeconds',
  'getMilliseconds', 'int']);

/** The result type and overloads of a call. */
export function callType(fn: string, target: CelType | undefined, args: readonly CelType[]): { type: CelType; overloads: string[] } {
  const a0 = args[0] ?? DYN;
  const a1 = args[1] ?? DYN;
  const self = target ?? a0;
  const one = (type: CelType, overload = fn): { type: CelType; overloads: string[] } => ({ type, overloads: [overload] });
  switch (fn) {
    case '_+_': {
      const known = isDyn(a0) ? a1 : a0;
      // lists: an empty literal's element type (a map/filter accumulator) takes the other's
      const e0 = param(a0);
      const e1 = param(a1);
      const type = known.kind !== 'list' || isDyn(a0) || isDyn(a1) ? known : listOf(isDyn(e0) ? e1 : isDyn(e1) || sameType(e0, e1) ? e0 : DYN);
      if (isDyn(a0) && isDyn(a1)) return { type: DYN, overloads: ['add_int', 'add_uint', 'add_double', 'add_string', 'add_bytes', 'add_list', 'add_duration'] };
      return one(known.kind === 'timestamp' || a1.kind === 'timestamp' ? TIMESTAMP : type, `add_${known.kind}`);
    }
    case '_-_': return one(a0.kind === 'timestamp' && a1.kind === 'timestamp' ? DURATION : isDyn(a0) ? a1 : a0);
    case '_*_': case '_/_': case '_%_': case '-_': return one(isDyn(a0) ? a1 : a0);
    case '_<_': case '_<=_': case '_>_': case '_>=_':
      return { type: BOOL, overloads: byKind('compare', isDyn(a0) ? a1 : a0, ['string', 'bytes']) };
    case '_==_': return one(BOOL, 'equals');
    case '_!=_': return one(BOOL, 'not_equals');
    case '@in': return { type: BOOL, overloads: isDyn(a1) ? ['in_list', 'in_map'] : a1.kind === 'map' ? ['in_map'] : ['in_list'] };
    case '_[_]':
      if (a0.kind === 'list') return one(param(a0), 'index_list');
      if (a0.kind === 'map') return one(param(a0, 1), 'index_map');
      return { type: DYN, overloads: ['index_list', 'index_map'] };
    case '_[?_]': return one(optionalOf(a0.kind === 'list' ? param(a0) : a0.kind === 'map' ? param(a0, 1) : DYN));
    case '_?._': return one(optionalOf(DYN));
    case '_?_:_': return one(sameType(a1, args[2] ?? DYN) ? a1 : isDyn(a1) ? (args[2] ?? DYN) : a1, 'conditional');
    case '_&&_': return one(BOOL, 'logical_and');
    case '_||_': return one(BOOL, 'logical_or');
    case 'dyn': return one(DYN);
    case 'double': return one(DOUBLE);
    case 'uint': return one(UINT);
    case 'bytes': return { type: BYTES, overloads: isDyn(a0) ? ['bytes', 'string_to_bytes'] : [a0.kind === 'string' ? 'string_to_bytes' : 'bytes'] };
    case 'string': return { type: STRING, overloads: isDyn(a0) ? ['string', 'bytes_to_string'] : [a0.kind === 'bytes' ? 'bytes_to_string' : 'string'] };
    case 'type': return one(t('type'));
    case 'timestamp': return one(TIMESTAMP);
    case 'duration': return one(DURATION);
    case 'matches': return one(BOOL, target !== undefined ? 'matches_string' : 'matches');
    case 'contains': return one(BOOL, target?.kind === 'string' || (target !== undefined && isDyn(target)) ? 'contains_string' : 'contains');
    case 'startsWith': return one(BOOL, 'starts_with_string');
    case 'endsWith': return one(BOOL, 'ends_with_string');
    case 'format': return target === undefined ? one(NAMED_FORMAT) : one(STRING, 'string_format');
    case 'strings.quote': return one(STRING, 'strings_quote');
    case 'split': case 'findAll': return one(listOf(STRING));
    case 'min': case 'max': case 'sum': return one(param(self));
    case 'first': case 'last': return one(optionalOf(param(self)));
    case 'reverse': case 'distinct': case 'slice': case 'sort': case 'sortBy':
      return one(self, fn === 'sort' ? `list_${param(self).kind}_sort` : fn === 'sortBy' ? 'list_sortBy' : `list_${fn}`);
    case 'flatten': return one(listOf(param(self).kind === 'list' ? param(param(self)) : DYN), args.length === 0 ? 'list_flatten' : 'list_flatten_int');
    case 'lists.range': return one(listOf(INT), 'lists_range');
    case 'sets.contains': return one(BOOL, 'list_sets_contains_list');
    case 'sets.intersects': return one(BOOL, 'list_sets_intersects_list');
    case 'sets.equivalent': return one(BOOL, 'list_sets_equivalent_list');
    case 'quantity': case 'add': case 'sub': return one(QUANTITY);
    case 'asApproximateFloat': return one(DOUBLE);
    case 'url': return one(URL);
    case 'getQuery': return one(mapOf(STRING, listOf(STRING)));
    case 'ip': return target !== undefined ? one(IP, 'cidr_ip') : one(IP);
    case 'cidr': case 'masked': return one(CIDR);
    case 'containsIP': return one(BOOL, a0.kind === 'string' ? 'cidr_contains_ip_string' : 'cidr_contains_ip_ip');
    case 'containsCIDR': return one(BOOL, a0.kind === 'string' ? 'cidr_contains_cidr_string' : 'cidr_contains_cidr');
    case 'semver': return one(SEMVER);
    case 'optional.of': case 'optional.ofNonZeroValue': return one(optionalOf(a0));
    case 'optional.none': return one(optionalOf(DYN));
    case 'value': case 'orValue': return one(target?.kind === 'opaque' ? param(target) : DYN);
    case 'or': return one(target ?? DYN);
    case 'format.named': return one(optionalOf(NAMED_FORMAT));
    case 'validate': return one(optionalOf(listOf(STRING)));
    default:
      if (fn.startsWith('format.')) return one(NAMED_FORMAT);
      if (STRING_RESULT.has(fn)) return one(STRING);
      if (BOOL_RESULT.has(fn)) return one(BOOL);
      if (INT_RESULT.has(fn)) return one(INT);
      return one(DYN);
  }
}

/** Types every node of `e`; `vars` are the declared variables. */
export function typeCheck(e: Expr, vars: ReadonlyMap<string, CelType>): { types: Map<number, CelType>; overloads: Map<number, string[]>; errors: TypeError[] } {
  const types = new Map<number, CelType>();
  const overloads = new Map<number, string[]>();
  const errors: TypeError[] = [];
  /** Selecting `field` from a schema-typed value: an object must declare it; scalars and lists have no fields. */
  const checkSelect = (o: CelType, field: string, pos: number | undefined): void => {
    if (o.certain !== true || pos === undefined) return;
    if (o.kind === 'struct' && o.decl !== undefined && o.decl.fields?.has(field) !== true) errors.push({ pos, message: `undefined field '${field}'` });
    else if (o.kind !== 'struct' && o.kind !== 'map') errors.push({ pos, message: `type '${typeName(o)}' does not support field selection` });
  };
  const scope = new Map(vars);
  const visit = (x: Expr): CelType => {
    let r: CelType;
    switch (x.kind) {
      case 'lit': r = { kind: x.lit.t, certain: true }; break;
      case 'ident': r = scope.get(x.name) ?? DYN; break;
      case 'select': {
        const o = visit(x.operand);
        checkSelect(o, x.field, x.pos);
        if (x.testOnly) { r = BOOL; break; }
        const f = o.decl?.fields?.get(x.field);
        r = f !== undefined ? fromDecl(f) : o.kind === 'map' ? param(o, 1) : DYN;
        break;
      }
      case 'call': {
        const target = x.target === undefined ? undefined : visit(x.target);
        const args = x.args.map(visit);
        const f = x.args[1];
        if (x.fn === '_?._' && args[0] !== undefined && f?.kind === 'lit' && f.lit.t === 'string') checkSelect(args[0], f.lit.v, x.pos);
        const [l, rt] = args;
        if ((x.fn === '_==_' || x.fn === '_!=_') && l?.certain && rt?.certain && x.pos !== undefined && SCALARS.has(l.kind) && SCALARS.has(rt.kind) && l.kind !== rt.kind) {
          errors.push({ pos: x.pos, message: `found no matching overload for '${x.fn}' applied to '(${typeName(l)}, ${typeName(rt)})'` });
        }
        const c = callType(x.fn, target, args);
        overloads.set(x.id, c.overloads);
        r = x.fn === 'size' ? { kind: 'int', certain: true } : c.type;
        break;
      }
      case 'list': {
        const elems = x.elems.map(visit);
        const first = elems[0];
        r = listOf(first !== undefined && elems.every((e2) => sameType(e2, first)) ? first : DYN);
        break;
      }
      case 'map': {
        const ks = x.entries.map(([k]) => visit(k));
        const vs = x.entries.map(([, v]) => visit(v));
        const k0 = ks[0];
        const v0 = vs[0];
        r = mapOf(k0 !== undefined && ks.every((k) => sameType(k, k0)) ? k0 : DYN, v0 !== undefined && vs.every((v) => sameType(v, v0)) ? v0 : DYN);
        break;
      }
      case 'comp': {
        const range = visit(x.iterRange);
        const init = visit(x.accuInit);
        const saved = [scope.get(x.iterVar), scope.get(x.accuVar)] as const;
        scope.set(x.iterVar, range.kind === 'list' ? param(range) : range.kind === 'map' ? param(range, 0) : DYN);
        scope.set(x.accuVar, init);
        visit(x.cond);
        const step = visit(x.step);
        // a map/filter accumulator starts as [] and takes the type of what the step appends
        if (init.kind === 'list' && step.kind === 'list') { scope.set(x.accuVar, step); visit(x.step); }
        r = visit(x.result);
        restore(scope, x.iterVar, saved[0]);
        restore(scope, x.accuVar, saved[1]);
        break;
      }
    }
    types.set(x.id, r);
    return r;
  };
  visit(e);
  return { types, overloads, errors: errors.sort((a, b) => a.pos - b.pos) };
}

function restore(scope: Map<string, CelType>, name: string, v: CelType | undefined): void {
  if (v === undefined) scope.delete(name);
  else scope.set(name, v);
}

export { ACCU };
