/**
 * CEL values as @marcbachmann/cel-js represents them, and the conversions around them:
 * int = bigint, uint = CelUint, double = number, string, bool, null, bytes = Uint8Array,
 * list = array, map = plain object or Map, timestamp = Date (millisecond precision),
 * duration = CelDuration, optional = CelOptional; net.IP, net.CIDR, kubernetes.URL and
 * kubernetes.Quantity are our classes (network.ts, quantity.ts).
 */
import { Optional } from '@marcbachmann/cel-js';
import { Duration, UnsignedInt } from '@marcbachmann/cel-js/evaluator';

export { Duration as CelDuration, UnsignedInt as CelUint, Optional as CelOptional };

/** An evaluation error raised by our own library functions (mapped like the library's). */
export class CelEvalError extends Error {
  readonly code = 'CEL_EVAL' as const;
  constructor(message: string) {
    super(message);
    this.name = 'CelEvalError';
  }
}

export const INT_MIN = -(1n << 63n);
export const INT_MAX = (1n << 63n) - 1n;

export function checkedInt(v: bigint): bigint {
  if (v < INT_MIN || v > INT_MAX) throw new CelEvalError('integer overflow');
  return v;
}

export function isPlainMap(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const c: unknown = v.constructor;
  return c === undefined || c === Object;
}

/**
 * JSON data as CEL reads it without a schema: integral numbers become ints (bigint), other
 * numbers stay doubles. Copy-on-write: a subtree without integers is returned as is.
 */
export function fromJson(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = fromJson(v[i]);
      if (x !== v[i]) (out ??= v.slice())[i] = x;
    }
    return out ?? v;
  }
  if (isPlainMap(v)) {
    let out: Record<string, unknown> | undefined;
    for (const k of Object.keys(v)) {
      const x = fromJson(v[k]);
      if (x !== v[k]) (out ??= { ...v })[k] = x;
    }
    return out ?? v;
  }
  return v;
}

// ---- timestamps and durations ----

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;
const TS_MIN_MS = -62135596800000; // 0001-01-01T00:00:00Z
const TS_MAX_MS = 253402300799999; // 9999-12-31T23:59:59.999Z

/** Parses an RFC 3339 timestamp strictly (as Go's time.Parse); undefined when malformed or out of range. */
export function parseTimestamp(s: string): Date | undefined {
  const m = TS_RE.exec(s);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, se, frac, off] = m as unknown as [string, string, string, string, string, string, string, string | undefined, string];
  const [Y, M, D] = [Number(y), Number(mo), Number(d)];
  if (M < 1 || M > 12 || D < 1 || D > daysInMonth(Y, M) || Number(h) > 23 || Number(mi) > 59 || Number(se) > 60) return undefined;
  let offsetMin = 0;
  if (off !== 'Z' && off !== 'z') {
    const [oh, om] = [Number(off.slice(1, 3)), Number(off.slice(4, 6))];
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (off[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const t = new Date(0);
  t.setUTCFullYear(Y, M - 1, D); // not Date.UTC, which maps years 0-99 to 1900-1999
  t.setUTCHours(Number(h), Number(mi), Math.min(59, Number(se)), frac === undefined ? 0 : Math.floor(Number(frac.padEnd(9, '0')) / 1e6));
  const at = t.getTime() - offsetMin * 60_000;
  return at < TS_MIN_MS || at > TS_MAX_MS ? undefined : new Date(at);
}

/** RFC 3339 in UTC with the fraction trimmed, as cel-go prints a timestamp. */
export function formatTimestamp(t: Date): string {
  return t.toISOString().replace(/\.?0*Z$/, 'Z');
}

const NS_PER_S = 1_000_000_000n;
const DUR_UNITS: Record<string, bigint> = {
  h: 3_600n * NS_PER_S, m: 60n * NS_PER_S, s: NS_PER_S, ms: 1_000_000n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ns: 1n,
};
const DUR_MAX = 315_576_000_000n * NS_PER_S + 999_999_999n; // protobuf Duration range

export function durationFromNanos(ns: bigint): Duration {
  if (ns > DUR_MAX || ns < -DUR_MAX) throw new CelEvalError('duration out of range');
  return new Duration(ns / NS_PER_S, Number(ns % NS_PER_S));
}

export function durationNanos(d: Duration): bigint {
  return d.seconds * NS_PER_S + BigInt(d.nanos);
}

/** Parses a Go duration string (`1h30m`, `1.5s`, `-300ms`); undefined when malformed or out of range. */
export function parseDuration(s: string): Duration | undefined {
  let i = 0;
  let sign = 1n;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1n;
    i = 1;
  }
  if (s.slice(i) === '0') return new Duration(0n, 0);
  if (i >= s.length) return undefined;
  let total = 0n;
  const re = /^(\d*)(?:\.(\d*))?(h|ms|m|s|us|µs|μs|ns)/;
  while (i < s.length) {
    const m = re.exec(s.slice(i));
    if (m === null) return undefined;
    const [all, whole, frac, unit] = m as unknown as [string, string, string | undefined, string];
    if (whole === '' && (frac === undefined || frac === '')) return undefined;
    const u = DUR_UNITS[unit] as bigint;
    total += BigInt(whole === '' ? '0' : whole) * u;
    if (frac !== undefined && frac !== '') total += (BigInt(frac) * u) / 10n ** BigInt(frac.length);
    i += all.length;
  }
  const ns = sign * total;
  return ns > DUR_MAX || ns < -DUR_MAX ? undefined : durationFromNanos(ns);
}

/** Seconds with a trimmed fraction (`3600s`, `-1.5s`), as cel-go prints a duration. */
export function formatDuration(d: Duration): string {
  const ns = durationNanos(d);
  const abs = ns < 0n ? -ns : ns;
  const nanos = abs % NS_PER_S;
  const frac = nanos === 0n ? '' : '.' + nanos.toString().padStart(9, '0').replace(/0+$/, '');
  return `${ns < 0n ? '-' : ''}${abs / NS_PER_S}${frac}s`;
}

// ---- equality, ordering and text for the library functions ----

function numeric(v: unknown): number | bigint | undefined {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  if (v instanceof UnsignedInt) return v.value;
  return undefined;
}

function entries(m: Map<unknown, unknown> | Record<string, unknown>): [unknown, unknown][] {
  return m instanceof Map ? [...m.entries()] : Object.entries(m);
}

/** CEL heterogeneous equality (numbers compare by value across int, uint and double). */
export function celEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const [na, nb] = [numeric(a), numeric(b)];
  if (na !== undefined || nb !== undefined) return na !== undefined && nb !== undefined && na == nb;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => celEquals(x, b[i]));
  if (a instanceof Uint8Array) return b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof Duration) return b instanceof Duration && durationNanos(a) === durationNanos(b);
  if (a instanceof Optional) return b instanceof Optional && a.hasValue() === b.hasValue() && (!a.hasValue() || celEquals(a.value(), b.value()));
  if ((a instanceof Map || isPlainMap(a)) && (b instanceof Map || isPlainMap(b))) {
    const [ea, eb] = [entries(a), new Map(entries(b).map(([k, v]) => [String(k), v]))];
    return ea.length === eb.size && ea.every(([k, v]) => eb.has(String(k)) && celEquals(v, eb.get(String(k))));
  }
  const eq = (a as { equals?: unknown }).equals; // net.IP, net.CIDR, kubernetes.URL, kubernetes.Quantity
  return typeof eq === 'function' && eq.call(a, b) === true;
}

/** Ordering for isSorted/min/max; throws "no such overload" for values without one. */
export function celCompare(a: unknown, b: unknown): number {
  const [na, nb] = [numeric(a), numeric(b)];
  if (na !== undefined && nb !== undefined) return na < nb ? -1 : na > nb ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (a instanceof Duration && b instanceof Duration) return Number(durationNanos(a) - durationNanos(b));
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  throw new CelEvalError(`no such overload: _<_(${typeName(a)}, ${typeName(b)})`);
}

export function typeName(v: unknown): string {
  switch (typeof v) {
    case 'bigint':
      return 'int';
    case 'number':
      return 'double';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
  }
  if (v === null || v === undefined) return 'null_type';
  if (Array.isArray(v)) return 'list';
  if (v instanceof UnsignedInt) return 'uint';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Date) return 'google.protobuf.Timestamp';
  if (v instanceof Duration) return 'google.protobuf.Duration';
  if (v instanceof Optional) return 'optional_type';
  if (v instanceof Map || isPlainMap(v)) return 'map';
  const named = (v as { celType?: unknown }).celType;
  return typeof named === 'string' ? named : 'unknown';
}

/** A double as cel-go prints it (Go's shortest `%g`): `1e+06`, `0.0001`, `1e-05`, `+Inf`. */
export function formatDouble(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa, e] = v.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

/**
 * A value as the strings extension's `%s` prints it, or undefined when it cannot: at the top
 * level strings and bytes as text and doubles as `%g`; inside lists and maps strings quoted,
 * doubles as `%f`, timestamps as `timestamp("...")`, map keys sorted (`{"a":1, "b":2}`).
 */
export function celToString(v: unknown, nested = false): string | undefined {
  if (typeof v === 'string') return nested ? JSON.stringify(v) : v;
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return nested ? (Number.isFinite(v) ? v.toFixed(6) : JSON.stringify(formatDouble(v))) : formatDouble(v);
  if (v === null) return 'null';
  if (v instanceof UnsignedInt) return String(v.value);
  if (v instanceof Uint8Array) return nested ? `b${JSON.stringify(Buffer.from(v).toString('latin1'))}` : new TextDecoder().decode(v);
  if (v instanceof Date) return nested ? `timestamp("${formatTimestamp(v)}")` : formatTimestamp(v);
  if (v instanceof Duration) return nested ? `duration("${formatDuration(v)}")` : formatDuration(v);
  if (Array.isArray(v)) {
    const items = v.map((x) => celToString(x, true));
    return items.every((x): x is string => x !== undefined) ? `[${items.join(', ')}]` : undefined;
  }
  if (v instanceof Map || isPlainMap(v)) {
    const items = entries(v).map(([k, x]) => {
      const [ks, xs] = [celToString(k, true), celToString(x, true)];
      return ks === undefined || xs === undefined ? undefined : `${ks}:${xs}`;
    });
    return items.every((x): x is string => x !== undefined) ? `{${items.sort().join(', ')}}` : undefined;
  }
  return undefined;
}
