/**
 * The Kubernetes CEL libraries (https://kubernetes.io/docs/reference/using-api/cel/) that
 * @marcbachmann/cel-js does not ship, registered on its Environment: the strings extension
 * (charAt, replace, format, strings.quote), lists (isSorted, sum, min, max, indexOf,
 * lastIndexOf) and the lists extension (reverse, distinct, slice, sort, flatten, first, last,
 * lists.range), regex (find, findAll, global matches), sets, optional.ofNonZeroValue,
 * and the standard conversions and operators it lacks (string() of timestamps and durations,
 * int(timestamp), bytes ordering). ip/cidr/url live in network.ts, quantity in quantity.ts.
 */
import type { Environment } from '@marcbachmann/cel-js';
import {
  CelDuration, CelEvalError, CelOptional, CelUint, celCompare, celEquals, celToString, checkedInt, durationFromNanos,
  durationNanos, formatDuration, formatTimestamp, isPlainMap, typeName,
} from './convert.ts';
import { RegexError, re2 } from './regex.ts';

class ListsNamespace {}
class SetsNamespace {}
class StringsNamespace {}

const cps = (s: string): string[] => Array.from(s);

function indexOutOfRange(i: bigint | number): CelEvalError {
  return new CelEvalError(`index out of range: ${i}`);
}

function replace(s: string, from: string, to: string, n: bigint): string {
  if (n < 0n) return s.split(from).join(to);
  let out = s;
  let pos = 0;
  for (let left = n; left > 0n; left--) {
    const i = out.indexOf(from, pos);
    if (i < 0) break;
    out = out.slice(0, i) + to + out.slice(i + from.length);
    pos = i + to.length + (from === '' ? 1 : 0);
  }
  return out;
}

function quote(s: string): string {
  const esc: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v', '\u0007': '\\a' };
  return `"${cps(s).map((c) => esc[c] ?? c).join('')}"`;
}

/** A `format()` argument the verb cannot print; `arg` is its index in the list. */
export class FormatError extends CelEvalError {
  readonly arg: number;
  constructor(message: string, arg: number) {
    super(message);
    this.arg = arg;
  }
}

/** The strings extension's `"%s is %d".format([a, b])`: %s %d %f %e %x %X %o %b and %%, printed as cel-go does. */
export function format(fmt: string, list: unknown[]): string {
  let i = 0;
  return fmt.replace(/%(?:\.(\d+))?([sdfexXob%])/g, (_m, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (i >= list.length) throw new CelEvalError(`index ${i} out of range`);
    const v = list[i++];
    const fail = (what: string): never => {
      throw new FormatError(`error during formatting: ${what}, was given ${typeName(v)}`, i - 1);
    };
    const int = typeof v === 'bigint' ? v : v instanceof CelUint ? v.value : undefined;
    switch (verb) {
      case 's':
        return celToString(v) ?? fail('string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps');
      case 'd':
        if (int === undefined) return fail('decimal clause can only be used on integers');
        return int.toString();
      case 'f':
        if (typeof v !== 'number' && int === undefined) return fail('fixed-point clause can only be used on doubles');
        return Number(v).toFixed(prec === undefined ? 6 : Number(prec));
      case 'e': {
        // as cel-go prints it (the precision is not applied): 1.234500×10⁰³
        if (typeof v !== 'number' && int === undefined) return fail('scientific clause can only be used on doubles');
        const [mantissa, exp] = Number(v).toExponential(6).split('e') as [string, string];
        const sup = (d: string): string => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)] ?? d;
        return `${mantissa}×10${exp.startsWith('-') ? '⁻' : ''}${exp.replace(/^[+-]/, '').padStart(2, '0').replace(/\d/g, sup)}`;
      }
      case 'x':
      case 'X': {
        let out: string;
        if (int !== undefined) out = int.toString(16);
        else if (typeof v === 'string' || v instanceof Uint8Array) out = Buffer.from(v).toString('hex');
        else return fail('only integers, byte buffers, and strings can be formatted as hex');
        return verb === 'X' ? out.toUpperCase() : out;
      }
      default: // o, b
        if (int === undefined) return fail(`only integers can be formatted as ${verb === 'o' ? 'octal' : 'binary'}`);
        return int.toString(verb === 'o' ? 8 : 2);
    }
  });
}

/** `+` for list.sum(): ints checked for overflow, like kinds only. */
function add(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' && typeof b === 'bigint') return checkedInt(a + b);
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a instanceof CelUint && b instanceof CelUint) return new CelUint(a.value + b.value);
  if (a instanceof CelDuration && b instanceof CelDuration) return durationFromNanos(durationNanos(a) + durationNanos(b));
  if (typeof a === 'bigint' && a === 0n) return b; // the empty sum of a list of doubles, uints or durations
  throw new CelEvalError(`no such overload: _+_(${typeName(a)}, ${typeName(b)})`);
}

function extreme(l: unknown[], name: string, sign: number): unknown {
  if (l.length === 0) throw new CelEvalError(`${name} called on empty list`);
  return l.reduce((a, b) => (celCompare(b, a) * sign > 0 ? b : a));
}

function indexIn(l: unknown[], v: unknown, last: boolean): bigint {
  for (let k = 0; k < l.length; k++) {
    const i = last ? l.length - 1 - k : k;
    if (celEquals(l[i], v)) return BigInt(i);
  }
  return -1n;
}

/** The regex library's find/findAll report a bad pattern as `Illegal regex: ...`. */
function regex(p: string): RegExp {
  try {
    return re2(p);
  } catch (err) {
    if (err instanceof RegexError) throw new CelEvalError(`Illegal regex: ${err.message}`);
    throw err;
  }
}

function flatten(l: unknown[], depth: bigint): unknown[] {
  if (depth < 0n) throw new CelEvalError('level must be non-negative');
  return depth === 0n ? l : l.flatMap((x) => (Array.isArray(x) ? flatten(x, depth - 1n) : [x]));
}

function isZero(v: unknown): boolean {
  if (v === null || v === '' || v === 0 || v === 0n || v === false) return true;
  if (Array.isArray(v) || v instanceof Uint8Array) return v.length === 0;
  if (v instanceof CelUint) return v.value === 0n;
  if (v instanceof Map) return v.size === 0;
  return isPlainMap(v) && Object.keys(v).length === 0;
}

export function registerFunctions(env: Environment): void {
  const TS = 'google.protobuf.Timestamp';
  const DUR = 'google.protobuf.Duration';
  env
    .registerType('ListsNamespace', ListsNamespace)
    .registerType('SetsNamespace', SetsNamespace)
    .registerType('StringsNamespace', StringsNamespace)
    .registerConstant('lists', 'ListsNamespace', new ListsNamespace())
    .registerConstant('sets', 'SetsNamespace', new SetsNamespace())
    .registerConstant('strings', 'StringsNamespace', new StringsNamespace())
    // standard conversions and operators the library lacks
    .registerFunction(`string(${TS}): string`, formatTimestamp)
    .registerFunction(`string(${DUR}): string`, formatDuration)
    .registerFunction(`int(${TS}): int`, (t: Date) => BigInt(Math.floor(t.getTime() / 1000)))
    .registerFunction(`timestamp(${TS}): ${TS}`, (t: Date) => t)
    .registerFunction(`duration(${DUR}): ${DUR}`, (d: CelDuration) => d)
    .registerFunction('matches(string, string): bool', (s: string, p: string) => {
      try {
        return re2(p).test(s);
      } catch (err) {
        throw err instanceof RegexError ? new CelEvalError(err.message) : err;
      }
    })
    .registerOperator('bytes < bytes', (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) < 0)
    .registerOperator('bytes <= bytes', (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) <= 0)
    .registerOperator('bytes > bytes', (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) > 0)
    .registerOperator('bytes >= bytes', (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) >= 0)
    // strings extension
    .registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
      const c = cps(s);
      if (i < 0n || i > BigInt(c.length)) throw indexOutOfRange(i);
      return c[Number(i)] ?? '';
    })
    .registerFunction('string.replace(string, string): string', (s: string, from: string, to: string) => replace(s, from, to, -1n))
    .registerFunction('string.replace(string, string, int): string', replace)
    .registerFunction('string.format(list): string', format)
    .registerFunction('StringsNamespace.quote(string): string', (_ns: StringsNamespace, s: string) => quote(s))
    // regex
    .registerFunction('string.find(string): string', (s: string, p: string) => regex(p).exec(s)?.[0] ?? '')
    .registerFunction('string.findAll(string): list<string>', (s: string, p: string) => findAll(s, p, -1n))
    .registerFunction('string.findAll(string, int): list<string>', findAll)
    // lists
    .registerFunction('list.isSorted(): bool', (l: unknown[]) => l.every((x, i) => i === 0 || celCompare(l[i - 1], x) <= 0))
    .registerFunction('list.sum(): dyn', (l: unknown[]) => l.reduce(add, 0n))
    .registerFunction('list.min(): dyn', (l: unknown[]) => extreme(l, 'min', -1))
    .registerFunction('list.max(): dyn', (l: unknown[]) => extreme(l, 'max', 1))
    .registerFunction('list.indexOf(dyn): int', (l: unknown[], v: unknown) => indexIn(l, v, false))
    .registerFunction('list.lastIndexOf(dyn): int', (l: unknown[], v: unknown) => indexIn(l, v, true))
    .registerFunction('list.reverse(): list', (l: unknown[]) => [...l].reverse())
    .registerFunction('list.distinct(): list', (l: unknown[]) => l.filter((x, i) => l.findIndex((y) => celEquals(x, y)) === i))
    .registerFunction('list.slice(int, int): list', (l: unknown[], from: bigint, to: bigint) => {
      if (from < 0n || to < from || to > BigInt(l.length)) throw new CelEvalError(`cannot slice(${from}, ${to}), list is length ${l.length}`);
      return l.slice(Number(from), Number(to));
    })
    .registerFunction('list.sort(): list', (l: unknown[]) => [...l].sort(celCompare))
    .registerFunction('list.flatten(): list', (l: unknown[]) => flatten(l, 1n))
    .registerFunction('list.flatten(int): list', flatten)
    .registerFunction('list.first(): optional<dyn>', (l: unknown[]) => (l.length === 0 ? CelOptional.none() : CelOptional.of(l[0])))
    .registerFunction('list.last(): optional<dyn>', (l: unknown[]) => (l.length === 0 ? CelOptional.none() : CelOptional.of(l[l.length - 1])))
    .registerFunction('ListsNamespace.range(int): list<int>', (_ns: ListsNamespace, n: bigint) => Array.from({ length: Number(n > 0n ? n : 0n) }, (_, i) => BigInt(i)))
    // sets, optionals
    .registerFunction('SetsNamespace.contains(list, list): bool', (_ns: SetsNamespace, a: unknown[], b: unknown[]) => b.every((x) => a.some((y) => celEquals(x, y))))
    .registerFunction('SetsNamespace.equivalent(list, list): bool', (_ns: SetsNamespace, a: unknown[], b: unknown[]) =>
      b.every((x) => a.some((y) => celEquals(x, y))) && a.every((x) => b.some((y) => celEquals(x, y))))
    .registerFunction('SetsNamespace.intersects(list, list): bool', (_ns: SetsNamespace, a: unknown[], b: unknown[]) => b.some((x) => a.some((y) => celEquals(x, y))))
    .registerFunction('OptionalNamespace.ofNonZeroValue(dyn): optional<dyn>', (_ns: unknown, v: unknown) => (isZero(v) ? CelOptional.none() : CelOptional.of(v)));
}

function findAll(s: string, p: string, n: bigint): string[] {
  const re = regex(p);
  const all = [...s.matchAll(new RegExp(re.source, `${re.flags}g`))].map((m) => m[0]);
  return n >= 0n ? all.slice(0, Number(n)) : all;
}
