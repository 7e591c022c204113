import { CelEvalError } from './ast.ts';
import { formatIP } from '../net.ts';
import type { CIDR, IPAddr } from '../net.ts';

/**
 * CEL runtime values are plain JS values where possible: int = bigint, double = number,
 * string, bool, null, bytes = Uint8Array, list = array, map = Map or plain object (JSON
 * data). The classes below hold the rest.
 */
export class CelUint {
  readonly v: bigint;
  constructor(v: bigint) {
    this.v = v;
  }
}
export class CelTimestamp {
  private nanos: bigint | undefined;
  private readonly text: string | undefined;
  constructor(ns: bigint) {
    this.nanos = ns;
  }
  /** A timestamp parsed from RFC 3339 text on first use (values read out of objects). */
  static lazy(text: string): CelTimestamp {
    const t = Object.create(CelTimestamp.prototype) as { nanos: bigint | undefined; text: string | undefined };
    t.nanos = undefined;
    t.text = text;
    return t as unknown as CelTimestamp;
  }
  /** Nanoseconds since the Unix epoch. */
  get ns(): bigint {
    if (this.nanos === undefined) {
      const parsed = parseTimestamp(this.text ?? '');
      if (parsed === undefined) throw new CelEvalError(`invalid timestamp: ${JSON.stringify(this.text)}`);
      this.nanos = parsed.ns;
    }
    return this.nanos;
  }
}
export class CelDuration {
  readonly ns: bigint;
  constructor(ns: bigint) {
    this.ns = ns;
  }
}
export class CelType {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
}
export class CelIP {
  readonly addr: IPAddr;
  constructor(addr: IPAddr) {
    this.addr = addr;
  }
}
export class CelCIDR {
  readonly cidr: CIDR;
  constructor(cidr: CIDR) {
    this.cidr = cidr;
  }
}
export class CelOptional {
  readonly has: boolean;
  readonly value: unknown;
  constructor(has: boolean, value?: unknown) {
    this.has = has;
    this.value = value;
  }
}

export const INT_MIN = -(1n << 63n);
export const INT_MAX = (1n << 63n) - 1n;
export const UINT_MAX = (1n << 64n) - 1n;

export function checkedInt(v: bigint): bigint {
  if (v < INT_MIN || v > INT_MAX) throw new CelEvalError('integer overflow');
  return v;
}
export function checkedUint(v: bigint): CelUint {
  if (v < 0n || v > UINT_MAX) throw new CelEvalError('unsigned integer overflow');
  return new CelUint(v);
}

/** Converts a JSON value read out of the object into CEL's number domain (lazily, per access). */
export function fromJson(v: unknown): unknown {
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER) return BigInt(v);
  return v;
}

export function isMapValue(v: unknown): v is Map<unknown, unknown> | Record<string, unknown> {
  if (v instanceof Map) return true;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
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
    case 'undefined':
      return 'null_type';
  }
  if (v === null) return 'null_type';
  if (Array.isArray(v)) return 'list';
  if (v instanceof CelUint) return 'uint';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof CelTimestamp) return 'google.protobuf.Timestamp';
  if (v instanceof CelDuration) return 'google.protobuf.Duration';
  if (v instanceof CelType) return 'type';
  if (v instanceof CelIP) return 'net.IP';
  if (v instanceof CelCIDR) return 'net.CIDR';
  if (v instanceof CelOptional) return 'optional_type';
  if (isMapValue(v)) return 'map';
  return 'unknown';
}

export function mapKeys(m: Map<unknown, unknown> | Record<string, unknown>): unknown[] {
  return m instanceof Map ? [...m.keys()] : Object.keys(m);
}
export function mapSize(m: Map<unknown, unknown> | Record<string, unknown>): number {
  return m instanceof Map ? m.size : Object.keys(m).length;
}

/** Looks a key up in a CEL map; `undefined` when absent. Numeric keys compare across int/uint/double. */
export function mapGet(m: Map<unknown, unknown> | Record<string, unknown>, key: unknown): { v: unknown } | undefined {
  if (m instanceof Map) {
    if (m.has(key)) return { v: m.get(key) };
    const num = numericKey(key);
    if (num !== undefined) {
      for (const [k, v] of m) if (numericKey(k) === num) return { v };
    }
    return undefined;
  }
  if (typeof key !== 'string') return undefined;
  return Object.prototype.hasOwnProperty.call(m, key) ? { v: fromJson(m[key]) } : undefined;
}

function numericKey(k: unknown): bigint | undefined {
  if (typeof k === 'bigint') return k;
  if (k instanceof CelUint) return k.v;
  if (typeof k === 'number' && Number.isInteger(k)) return BigInt(k);
  return undefined;
}

function numeric(v: unknown): number | bigint | undefined {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  if (v instanceof CelUint) return v.v;
  return undefined;
}

/** Structural equality of JSON-shaped values (a fast path: true implies CEL equality). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  if (!isPlain(a) || !isPlain(b)) return celEquals(a, b);
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let n = 0;
  for (const k in ra) {
    if (!Object.prototype.hasOwnProperty.call(rb, k) || !jsonEqual(ra[k], rb[k])) return false;
    n++;
  }
  for (const k in rb) if (Object.prototype.hasOwnProperty.call(rb, k)) n--;
  return n === 0;
}

function isPlain(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** CEL heterogeneous equality (numbers compare by value across int/uint/double). */
export function celEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    // fast path for identical JSON trees (the common `self == oldSelf`)
    if ((Array.isArray(a) || isPlain(a)) && (Array.isArray(b) || isPlain(b)) && jsonEqual(a, b)) return true;
  }
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined || nb !== undefined) {
    if (na === undefined || nb === undefined) return false;
    if (typeof na === 'number' && Number.isNaN(na)) return false;
    if (typeof nb === 'number' && Number.isNaN(nb)) return false;
    return na == nb;
  }
  if (a === null || b === null || a === undefined || b === undefined) return a == null && b == null;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!celEquals(fromJson(a[i]), fromJson(b[i]))) return false;
    return true;
  }
  if (a instanceof Uint8Array) return b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  if (a instanceof CelTimestamp) return b instanceof CelTimestamp && a.ns === b.ns;
  if (a instanceof CelDuration) return b instanceof CelDuration && a.ns === b.ns;
  if (a instanceof CelType) return b instanceof CelType && a.name === b.name;
  if (a instanceof CelIP) return b instanceof CelIP && formatIP(a.addr) === formatIP(b.addr);
  if (a instanceof CelCIDR)
    return b instanceof CelCIDR && a.cidr.prefix === b.cidr.prefix && formatIP(a.cidr.ip) === formatIP(b.cidr.ip);
  if (a instanceof CelOptional)
    return b instanceof CelOptional && a.has === b.has && (!a.has || celEquals(a.value, b.value));
  if (isMapValue(a)) {
    if (!isMapValue(b) || mapSize(a) !== mapSize(b)) return false;
    for (const k of mapKeys(a)) {
      const bv = mapGet(b, k);
      if (bv === undefined) return false;
      const av = mapGet(a, k);
      if (!celEquals(av?.v, bv.v)) return false;
    }
    return true;
  }
  return false;
}

/** Ordering for <, <=, >, >=; throws "no such overload" for incomparable values. */
export function celCompare(a: unknown, b: unknown): number {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) return na < nb ? -1 : na > nb ? 1 : na == nb ? 0 : NaN;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof CelTimestamp && b instanceof CelTimestamp) return a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0;
  if (a instanceof CelDuration && b instanceof CelDuration) return a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
    return a.length - b.length;
  }
  throw noOverload('_<_', [a, b]);
}

export function noOverload(fn: string, args: unknown[]): CelEvalError {
  return new CelEvalError(`no such overload: ${fn}(${args.map(typeName).join(', ')})`);
}

/** A readable rendering, used for string() of lists/maps and in messages. */
export function celToString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatDouble(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null || v === undefined) return 'null';
  if (v instanceof CelUint) return v.v.toString();
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (v instanceof CelTimestamp) return formatTimestamp(v);
  if (v instanceof CelDuration) return formatDuration(v);
  if (v instanceof CelType) return v.name;
  if (v instanceof CelIP) return formatIP(v.addr);
  if (v instanceof CelCIDR) return `${formatIP(v.cidr.ip)}/${v.cidr.prefix}`;
  if (Array.isArray(v)) return `[${v.map((x) => celToString(fromJson(x))).join(', ')}]`;
  if (isMapValue(v)) return `{${mapKeys(v).map((k) => `${celToString(k)}: ${celToString(mapGet(v, k)?.v)}`).join(', ')}}`;
  return String(v);
}

export function formatDouble(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return v.toString();
  return v.toString();
}

// ---- timestamps and durations ----

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;
const TS_MIN = -62135596800n * 1_000_000_000n; // 0001-01-01T00:00:00Z
const TS_MAX = 253402300799n * 1_000_000_000n + 999_999_999n; // 9999-12-31T23:59:59.999999999Z

/** Parses an RFC 3339 timestamp; undefined when malformed or out of CEL's range. */
export function parseTimestamp(s: string): CelTimestamp | undefined {
  const m = TS_RE.exec(s);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, se, frac, off] = m as unknown as [string, string, string, string, string, string, string, string | undefined, string];
  const Y = Number(y);
  const M = Number(mo);
  const D = Number(d);
  if (M < 1 || M > 12 || D < 1 || D > daysInMonth(Y, M)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(se) > 60) return undefined;
  let secs = daysFromCivil(Y, M, D) * 86400 + Number(h) * 3600 + Number(mi) * 60 + Math.min(59, Number(se));
  if (off !== 'Z' && off !== 'z') {
    const sign = off[0] === '-' ? -1 : 1;
    const oh = Number(off.slice(1, 3));
    const om = Number(off.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    secs -= sign * (oh * 3600 + om * 60);
  }
  const ns = BigInt(secs) * 1_000_000_000n + (frac === undefined ? 0n : BigInt(frac.padEnd(9, '0')));
  if (ns < TS_MIN || ns > TS_MAX) return undefined;
  return new CelTimestamp(ns);
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z0: number): [number, number, number] {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

export function checkedTimestamp(ns: bigint): CelTimestamp {
  if (ns < TS_MIN || ns > TS_MAX) throw new CelEvalError('timestamp out of range');
  return new CelTimestamp(ns);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Broken-down UTC (plus offset seconds) fields of a timestamp. */
export function timestampFields(t: CelTimestamp, offsetSec = 0): {
  year: number; month: number; day: number; hour: number; minute: number; second: number; nanos: number; dayOfWeek: number; dayOfYear: number;
} {
  const secs = floorDiv(t.ns, 1_000_000_000n) + BigInt(offsetSec);
  const nanos = Number(t.ns - floorDiv(t.ns, 1_000_000_000n) * 1_000_000_000n);
  const days = Number(floorDiv(secs, 86400n));
  const sod = Number(secs - BigInt(days) * 86400n);
  const [year, month, day] = civilFromDays(days);
  const dayOfWeek = (((days % 7) + 7 + 4) % 7); // 1970-01-01 was a Thursday
  const dayOfYear = days - daysFromCivil(year, 1, 1);
  return { year, month, day, hour: Math.floor(sod / 3600), minute: Math.floor((sod % 3600) / 60), second: sod % 60, nanos, dayOfWeek, dayOfYear };
}

export function formatTimestamp(t: CelTimestamp): string {
  const f = timestampFields(t);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  let frac = '';
  if (f.nanos !== 0) frac = '.' + p(f.nanos, 9).replace(/0+$/, '');
  return `${p(f.year, 4)}-${p(f.month)}-${p(f.day)}T${p(f.hour)}:${p(f.minute)}:${p(f.second)}${frac}Z`;
}

const DUR_UNITS: Record<string, bigint> = {
  h: 3_600_000_000_000n, m: 60_000_000_000n, s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ns: 1n,
};
const DUR_MAX = 315_576_000_000n * 1_000_000_000n + 999_999_999n; // protobuf Duration range

/** Parses a Go duration string (`1h30m`, `1.5s`, `-300ms`); undefined when malformed. */
export function parseDuration(s: string): CelDuration | undefined {
  let i = 0;
  let sign = 1n;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1n;
    i = 1;
  }
  if (s.slice(i) === '0') return new CelDuration(0n);
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
  if (ns > DUR_MAX || ns < -DUR_MAX) return undefined;
  return new CelDuration(ns);
}

export function checkedDuration(ns: bigint): CelDuration {
  if (ns > DUR_MAX || ns < -DUR_MAX) throw new CelEvalError('duration out of range');
  return new CelDuration(ns);
}

export function formatDuration(d: CelDuration): string {
  const neg = d.ns < 0n;
  const abs = neg ? -d.ns : d.ns;
  const secs = abs / 1_000_000_000n;
  const nanos = abs % 1_000_000_000n;
  const frac = nanos === 0n ? '' : '.' + nanos.toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${secs}${frac}s`;
}
