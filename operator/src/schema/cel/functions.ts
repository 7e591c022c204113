import { CelEvalError } from './ast.ts';
import {
  CelCIDR, CelDuration, CelIP, CelOptional, CelTimestamp, CelType, CelUint, celCompare, celEquals, celToString,
  checkedDuration, checkedInt, checkedUint, fromJson, isMapValue, mapSize, noOverload, parseDuration,
  parseTimestamp, timestampFields, typeName, checkedTimestamp, INT_MAX, INT_MIN,
} from './values.ts';
import { cidrContains, formatIP, maskIP, parseCIDR, parseIP } from '../net.ts';

type Fn = (args: unknown[]) => unknown;

const regexCache = new Map<string, RegExp>();
/** Compiles an RE2-style pattern to a JS RegExp (leading `(?i)`/`(?s)`/`(?m)` become flags). */
export function re2(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    let src = pattern;
    let flags = 'u';
    const m = /^\(\?([ims]+)\)/.exec(src);
    if (m !== null) {
      flags += m[1] as string;
      src = src.slice(m[0].length);
    }
    src = src.replace(/\\z/g, '$').replace(/\\A/g, '^').replace(/\(\?P</g, '(?<');
    if (/\(\?<?[=!]/.test(src)) throw new CelEvalError(`invalid regular expression '${pattern}': lookaround is not supported by RE2`);
    try {
      re = new RegExp(src, flags);
    } catch {
      // RE2 accepts identity escapes such as \- that JavaScript's unicode mode refuses
      try {
        re = new RegExp(src, flags.replace('u', ''));
      } catch (err) {
        throw new CelEvalError(`invalid regular expression '${pattern}': ${(err as Error).message}`);
      }
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

const str = (fn: string, args: unknown[], i: number): string => {
  const v = args[i];
  if (typeof v !== 'string') throw noOverload(fn, args);
  return v;
};
const int = (fn: string, args: unknown[], i: number): number => {
  const v = args[i];
  if (typeof v !== 'bigint') throw noOverload(fn, args);
  return Number(v);
};
const cps = (s: string): string[] => Array.from(s);

function size(args: unknown[]): unknown {
  const v = args[0];
  if (typeof v === 'string') return BigInt(cps(v).length);
  if (Array.isArray(v)) return BigInt(v.length);
  if (v instanceof Uint8Array) return BigInt(v.length);
  if (isMapValue(v)) return BigInt(mapSize(v));
  throw noOverload('size', args);
}

function toInt(args: unknown[]): bigint {
  const v = args[0];
  if (typeof v === 'bigint') return v;
  if (v instanceof CelUint) return checkedInt(v.v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v >= 2 ** 63 || v < -(2 ** 63)) throw new CelEvalError('int64 overflow');
    return BigInt(Math.trunc(v));
  }
  if (typeof v === 'string') {
    if (!/^[+-]?\d+$/.test(v)) throw new CelEvalError(`cannot convert '${v}' to int`);
    const n = BigInt(v);
    if (n < INT_MIN || n > INT_MAX) throw new CelEvalError('int64 overflow');
    return n;
  }
  if (v instanceof CelTimestamp) return v.ns >= 0n ? v.ns / 1_000_000_000n : -((-v.ns + 999_999_999n) / 1_000_000_000n);
  if (v instanceof CelDuration) return v.ns;
  throw noOverload('int', args);
}

function toUint(args: unknown[]): CelUint {
  const v = args[0];
  if (v instanceof CelUint) return v;
  if (typeof v === 'bigint') return checkedUint(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0 || v >= 18446744073709551616) throw new CelEvalError('uint64 overflow');
    return new CelUint(BigInt(Math.trunc(v)));
  }
  if (typeof v === 'string' && /^\+?\d+$/.test(v)) return checkedUint(BigInt(v));
  throw noOverload('uint', args);
}

function toDouble(args: unknown[]): number {
  const v = args[0];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof CelUint) return Number(v.v);
  if (typeof v === 'string') {
    const t = v.trim();
    if (t !== v || t === '' || !/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|[Ii]nf(inity)?|NaN)$/.test(t))
      throw new CelEvalError(`cannot convert '${v}' to double`);
    if (/inf/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
    return Number(t);
  }
  throw noOverload('double', args);
}

function toTimestamp(args: unknown[]): CelTimestamp {
  const v = args[0];
  if (v instanceof CelTimestamp) return v;
  if (typeof v === 'string') {
    const t = parseTimestamp(v);
    if (t === undefined) throw new CelEvalError(`timestamp('${v}'): invalid RFC 3339 timestamp`);
    return t;
  }
  if (typeof v === 'bigint') return new CelTimestamp(v * 1_000_000_000n);
  throw noOverload('timestamp', args);
}

function toDuration(args: unknown[]): CelDuration {
  const v = args[0];
  if (v instanceof CelDuration) return v;
  if (typeof v === 'string') {
    const d = parseDuration(v);
    if (d === undefined) throw new CelEvalError(`duration('${v}'): invalid duration`);
    return d;
  }
  if (typeof v === 'bigint') return checkedDuration(v);
  throw noOverload('duration', args);
}

function tzOffset(fn: string, args: unknown[]): number {
  if (args.length < 2) return 0;
  const tz = str(fn, args, 1);
  if (tz === 'UTC' || tz === 'Z') return 0;
  const m = /^([+-])?(\d{1,2}):(\d{2})$/.exec(tz);
  if (m !== null) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60);
  // IANA names: use Intl to find the offset at that instant
  const t = args[0] as CelTimestamp;
  try {
    const ms = Number(t.ns / 1_000_000n);
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' }).formatToParts(new Date(ms));
    const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const o = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
    return o === null ? 0 : (o[1] === '-' ? -1 : 1) * (Number(o[2]) * 3600 + Number(o[3]) * 60);
  } catch {
    throw new CelEvalError(`unknown time zone '${tz}'`);
  }
}

function tsGetter(field: (f: ReturnType<typeof timestampFields>) => number): Fn {
  return (args) => {
    const t = args[0];
    if (t instanceof CelTimestamp) return BigInt(field(timestampFields(t, tzOffset('timestamp getter', args))));
    throw noOverload('getter', args);
  };
}

function durGetter(name: string, unit: bigint, tsField?: (f: ReturnType<typeof timestampFields>) => number): Fn {
  const ts = tsField === undefined ? undefined : tsGetter(tsField);
  return (args) => {
    const d = args[0];
    if (d instanceof CelDuration) return d.ns / unit;
    if (ts !== undefined && d instanceof CelTimestamp) return ts(args);
    throw noOverload(name, args);
  };
}

function asIP(fn: string, args: unknown[], i: number): CelIP {
  const v = args[i];
  if (v instanceof CelIP) return v;
  if (typeof v === 'string') {
    const a = parseIP(v);
    if (a === undefined) throw new CelEvalError(`IP Address '${v}' parse error during conversion from string`);
    return new CelIP(a);
  }
  throw noOverload(fn, args);
}

function asCIDR(fn: string, args: unknown[], i: number): CelCIDR {
  const v = args[i];
  if (v instanceof CelCIDR) return v;
  if (typeof v === 'string') {
    const c = parseCIDR(v);
    if (c === undefined) throw new CelEvalError(`network address parse error during conversion from string: ${v}`);
    return new CelCIDR(c);
  }
  throw noOverload(fn, args);
}

function listOf(fn: string, args: unknown[]): unknown[] {
  const v = args[0];
  if (!Array.isArray(v)) throw noOverload(fn, args);
  return v.map(fromJson);
}

function indexOf(fn: string, last: boolean): Fn {
  return (args) => {
    const t = args[0];
    if (Array.isArray(t)) {
      const l = t.map(fromJson);
      for (let k = 0; k < l.length; k++) {
        const i = last ? l.length - 1 - k : k;
        if (celEquals(l[i], args[1])) return BigInt(i);
      }
      return -1n;
    }
    const s = cps(str(fn, args, 0));
    const sub = cps(str(fn, args, 1));
    const joined = sub.join('');
    let from = last ? s.length - sub.length : 0;
    if (args.length > 2) {
      const o = int(fn, args, 2);
      if (o < 0 || o > s.length) throw new CelEvalError(`index out of range: ${o}`);
      from = last ? Math.min(o, s.length - sub.length) : o;
    }
    if (last) {
      for (let i = from; i >= 0; i--) if (s.slice(i, i + sub.length).join('') === joined) return BigInt(i);
    } else {
      for (let i = from; i + sub.length <= s.length; i++) if (s.slice(i, i + sub.length).join('') === joined) return BigInt(i);
    }
    return -1n;
  };
}

const TYPE_NAMES = ['int', 'uint', 'double', 'string', 'bool', 'bytes', 'list', 'map', 'null_type', 'type'];
export const TYPE_VALUES: ReadonlyMap<string, CelType> = new Map(TYPE_NAMES.map((n) => [n, new CelType(n)]));

/** Global functions: name → implementation (arguments already evaluated). */
export const GLOBAL_FUNCTIONS: Record<string, Fn> = {
  size,
  int: toInt,
  uint: toUint,
  double: toDouble,
  string: (args) => {
    const v = args[0];
    if (Array.isArray(v) || isMapValue(v) || v === null) throw noOverload('string', args);
    if (v instanceof Uint8Array) {
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(v);
      } catch {
        throw new CelEvalError('invalid UTF-8 in bytes, cannot convert to string');
      }
    }
    return celToString(v);
  },
  bytes: (args) => {
    const v = args[0];
    if (v instanceof Uint8Array) return v;
    if (typeof v === 'string') return new TextEncoder().encode(v);
    throw noOverload('bytes', args);
  },
  bool: (args) => {
    const v = args[0];
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string') {
      if (['true', 'True', 'TRUE', 't', '1'].includes(v)) return true;
      if (['false', 'False', 'FALSE', 'f', '0'].includes(v)) return false;
      throw new CelEvalError(`cannot convert '${v}' to bool`);
    }
    throw noOverload('bool', args);
  },
  type: (args) => {
    const n = typeName(args[0]);
    return TYPE_VALUES.get(n) ?? new CelType(n);
  },
  dyn: (args) => args[0],
  timestamp: toTimestamp,
  duration: toDuration,
  matches: (args) => re2(str('matches', args, 1)).test(str('matches', args, 0)),
  isIP: (args) => parseIP(str('isIP', args, 0)) !== undefined,
  isCIDR: (args) => parseCIDR(str('isCIDR', args, 0)) !== undefined,
  ip: (args) => asIP('ip', args, 0),
  cidr: (args) => asCIDR('cidr', args, 0),
  'base64.encode': (args) => {
    const v = args[0];
    if (!(v instanceof Uint8Array)) throw noOverload('base64.encode', args);
    return Buffer.from(v).toString('base64');
  },
  'base64.decode': (args) => {
    const v = str('base64.decode', args, 0);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new CelEvalError('illegal base64 data');
    return Uint8Array.from(Buffer.from(v, 'base64'));
  },
  'sets.contains': (args) => {
    const [a, b] = [listOf('sets.contains', args), listOf('sets.contains', args.slice(1))];
    return b.every((x) => a.some((y) => celEquals(x, y)));
  },
  'sets.equivalent': (args) => {
    const [a, b] = [listOf('sets.equivalent', args), listOf('sets.equivalent', args.slice(1))];
    return b.every((x) => a.some((y) => celEquals(x, y))) && a.every((x) => b.some((y) => celEquals(x, y)));
  },
  'sets.intersects': (args) => {
    const [a, b] = [listOf('sets.intersects', args), listOf('sets.intersects', args.slice(1))];
    return b.some((x) => a.some((y) => celEquals(x, y)));
  },
  'optional.of': (args) => new CelOptional(true, args[0]),
  'optional.none': () => new CelOptional(false),
  'optional.ofNonZeroValue': (args) => {
    const v = args[0];
    const zero = v === null || v === '' || v === 0 || v === 0n || v === false ||
      (Array.isArray(v) && v.length === 0) || (isMapValue(v) && mapSize(v) === 0);
    return new CelOptional(!zero, v);
  },
};

/** Member functions (`target.fn(args)`): the target is args[0]. */
export const MEMBER_FUNCTIONS: Record<string, Fn> = {
  size,
  matches: (args) => re2(str('matches', args, 1)).test(str('matches', args, 0)),
  startsWith: (args) => str('startsWith', args, 0).startsWith(str('startsWith', args, 1)),
  endsWith: (args) => str('endsWith', args, 0).endsWith(str('endsWith', args, 1)),
  contains: (args) => str('contains', args, 0).includes(str('contains', args, 1)),
  lowerAscii: (args) => str('lowerAscii', args, 0).replace(/[A-Z]/g, (c) => c.toLowerCase()),
  upperAscii: (args) => str('upperAscii', args, 0).replace(/[a-z]/g, (c) => c.toUpperCase()),
  trim: (args) => str('trim', args, 0).replace(/^[\s\u0085]+|[\s\u0085]+$/g, ''),
  charAt: (args) => {
    const s = cps(str('charAt', args, 0));
    const i = int('charAt', args, 1);
    if (i < 0 || i > s.length) throw new CelEvalError(`index out of range: ${i}`);
    return s[i] ?? '';
  },
  indexOf: indexOf('indexOf', false),
  lastIndexOf: indexOf('lastIndexOf', true),
  replace: (args) => {
    const s = str('replace', args, 0);
    const from = str('replace', args, 1);
    const to = str('replace', args, 2);
    if (args.length > 3) {
      let n = int('replace', args, 3);
      if (n < 0) return s.split(from).join(to);
      let out = s;
      let pos = 0;
      while (n-- > 0) {
        const i = out.indexOf(from, pos);
        if (i < 0) break;
        out = out.slice(0, i) + to + out.slice(i + from.length);
        pos = i + to.length + (from === '' ? 1 : 0);
      }
      return out;
    }
    return s.split(from).join(to);
  },
  split: (args) => {
    const s = str('split', args, 0);
    const sep = str('split', args, 1);
    const parts = sep === '' ? cps(s) : s.split(sep);
    if (args.length > 2) {
      const n = int('split', args, 2);
      if (n === 0) return [];
      if (n > 0 && parts.length > n) return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
    }
    return parts;
  },
  substring: (args) => {
    const s = cps(str('substring', args, 0));
    const a = int('substring', args, 1);
    const b = args.length > 2 ? int('substring', args, 2) : s.length;
    if (a < 0 || a > s.length || b < a || b > s.length) throw new CelEvalError(`index out of range: ${a > s.length || a < 0 ? a : b}`);
    return s.slice(a, b).join('');
  },
  join: (args) => {
    const l = args[0];
    const sep = args.length > 1 ? str('join', args, 1) : '';
    if (!Array.isArray(l) || !l.every((x) => typeof x === 'string')) throw noOverload('join', args);
    return l.join(sep);
  },
  format: (args) => formatString(str('format', args, 0), args[1]),
  find: (args) => re2(str('find', args, 1)).exec(str('find', args, 0))?.[0] ?? '',
  findAll: (args) => {
    const re = re2(str('findAll', args, 1));
    const all = [...str('findAll', args, 0).matchAll(new RegExp(re.source, re.flags + 'g'))].map((m) => m[0]);
    return args.length > 2 && int('findAll', args, 2) >= 0 ? all.slice(0, int('findAll', args, 2)) : all;
  },
  isSorted: (args) => {
    const l = listOf('isSorted', args);
    for (let i = 1; i < l.length; i++) if (celCompare(l[i - 1], l[i]) > 0) return false;
    return true;
  },
  sum: (args) => {
    const l = listOf('sum', args);
    let acc: unknown = 0n;
    for (const x of l) acc = addValues(acc, x);
    return acc;
  },
  min: (args) => {
    const l = listOf('min', args);
    if (l.length === 0) throw new CelEvalError('min called on empty list');
    return l.reduce((a, b) => (celCompare(b, a) < 0 ? b : a));
  },
  max: (args) => {
    const l = listOf('max', args);
    if (l.length === 0) throw new CelEvalError('max called on empty list');
    return l.reduce((a, b) => (celCompare(b, a) > 0 ? b : a));
  },
  reverse: (args) => listOf('reverse', args).reverse(),
  distinct: (args) => {
    const out: unknown[] = [];
    for (const x of listOf('distinct', args)) if (!out.some((y) => celEquals(x, y))) out.push(x);
    return out;
  },
  getFullYear: tsGetter((f) => f.year),
  getMonth: tsGetter((f) => f.month - 1),
  getDayOfMonth: tsGetter((f) => f.day - 1),
  getDate: tsGetter((f) => f.day),
  getDayOfWeek: tsGetter((f) => f.dayOfWeek),
  getDayOfYear: tsGetter((f) => f.dayOfYear),
  getHours: durGetter('getHours', 3_600_000_000_000n, (f) => f.hour),
  getMinutes: durGetter('getMinutes', 60_000_000_000n, (f) => f.minute),
  getSeconds: durGetter('getSeconds', 1_000_000_000n, (f) => f.second),
  getMilliseconds: durGetter('getMilliseconds', 1_000_000n, (f) => Math.floor(f.nanos / 1e6)),
  // ip / cidr library
  family: (args) => BigInt(asIP('family', args, 0).addr.family),
  isUnspecified: (args) => asIP('isUnspecified', args, 0).addr.bytes.every((b) => b === 0),
  isLoopback: (args) => {
    const a = asIP('isLoopback', args, 0).addr;
    return a.family === 4 ? a.bytes[0] === 127 : a.bytes.slice(0, 15).every((b) => b === 0) && a.bytes[15] === 1;
  },
  isGlobalUnicast: (args) => {
    const a = asIP('isGlobalUnicast', args, 0).addr;
    if (a.bytes.every((b) => b === 0)) return false;
    if (a.family === 4) return !(a.bytes[0] === 127 || (a.bytes[0] as number) >= 224 || (a.bytes[0] === 169 && a.bytes[1] === 254) || a.bytes.every((b) => b === 255));
    return !((a.bytes[0] === 0xff) || (a.bytes[0] === 0xfe && ((a.bytes[1] as number) & 0xc0) === 0x80) || (a.bytes.slice(0, 15).every((b) => b === 0) && a.bytes[15] === 1));
  },
  isCanonical: (args) => {
    const v = args[0];
    if (typeof v === 'string') {
      const a = parseIP(v);
      if (a === undefined) throw new CelEvalError(`IP Address '${v}' parse error during conversion from string`);
      return formatIP(a) === v;
    }
    throw noOverload('isCanonical', args);
  },
  containsIP: (args) => cidrContains(asCIDR('containsIP', args, 0).cidr, asIP('containsIP', args, 1).addr),
  containsCIDR: (args) => {
    const a = asCIDR('containsCIDR', args, 0).cidr;
    const b = asCIDR('containsCIDR', args, 1).cidr;
    return b.prefix >= a.prefix && cidrContains(a, b.ip);
  },
  prefixLength: (args) => BigInt(asCIDR('prefixLength', args, 0).cidr.prefix),
  masked: (args) => {
    const c = asCIDR('masked', args, 0).cidr;
    return new CelCIDR({ ip: maskIP(c.ip, c.prefix), prefix: c.prefix });
  },
  ip: (args) => new CelIP(asCIDR('ip', args, 0).cidr.ip),
  // optionals
  hasValue: (args) => {
    const o = args[0];
    if (!(o instanceof CelOptional)) throw noOverload('hasValue', args);
    return o.has;
  },
  value: (args) => {
    const o = args[0];
    if (!(o instanceof CelOptional)) throw noOverload('value', args);
    if (!o.has) throw new CelEvalError('optional.none() dereference');
    return o.value;
  },
  orValue: (args) => {
    const o = args[0];
    if (!(o instanceof CelOptional)) throw noOverload('orValue', args);
    return o.has ? o.value : args[1];
  },
  or: (args) => {
    const o = args[0];
    if (!(o instanceof CelOptional)) throw noOverload('or', args);
    return o.has ? o : args[1];
  },
};

/** `+` on every CEL type that has it (ints checked for int64 overflow). */
export function addValues(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' && typeof b === 'bigint') return checkedInt(a + b);
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (a instanceof CelUint && b instanceof CelUint) return checkedUint(a.v + b.v);
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return Number(a) + Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Uint8Array.from([...a, ...b]);
  if (a instanceof CelDuration && b instanceof CelDuration) return checkedDuration(a.ns + b.ns);
  if (a instanceof CelTimestamp && b instanceof CelDuration) return tsPlus(a, b.ns);
  if (a instanceof CelDuration && b instanceof CelTimestamp) return tsPlus(b, a.ns);
  throw noOverload('_+_', [a, b]);
}

function tsPlus(t: CelTimestamp, ns: bigint): CelTimestamp {
  return checkedTimestamp(t.ns + ns);
}

/** The strings library's `"%s is %d".format([a, b])`: %s %d %f %e %x %X %o %b and %%. */
function formatString(fmt: string, list: unknown): string {
  if (!Array.isArray(list)) throw noOverload('format', [fmt, list]);
  let i = 0;
  return fmt.replace(/%(?:\.(\d+))?([sdfeExXob%])/g, (_m, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (i >= list.length) throw new CelEvalError(`index ${i} out of range`);
    const v = fromJson(list[i++]);
    const p = prec === undefined ? undefined : Number(prec);
    switch (verb) {
      case 's':
        return celToString(v);
      case 'd':
        if (typeof v === 'bigint') return v.toString();
        if (v instanceof CelUint) return v.v.toString();
        throw new CelEvalError(`error during formatting: decimal clause can only be used on integers, was given ${typeName(v)}`);
      case 'f':
      case 'e':
      case 'E': {
        if (typeof v !== 'number' && typeof v !== 'bigint') throw new CelEvalError(`error during formatting: fixed-point clause can only be used on doubles, was given ${typeName(v)}`);
        const n = Number(v);
        const out = verb === 'f' ? n.toFixed(p ?? 6) : n.toExponential(p ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
        return verb === 'E' ? out.toUpperCase() : out;
      }
      case 'x':
      case 'X': {
        let out: string;
        if (typeof v === 'bigint') out = v.toString(16);
        else if (v instanceof CelUint) out = v.v.toString(16);
        else if (typeof v === 'string') out = Buffer.from(v).toString('hex');
        else if (v instanceof Uint8Array) out = Buffer.from(v).toString('hex');
        else throw new CelEvalError(`error during formatting: only integers, byte buffers, and strings can be formatted as hex, was given ${typeName(v)}`);
        return verb === 'X' ? out.toUpperCase() : out;
      }
      case 'o':
      case 'b': {
        const n = typeof v === 'bigint' ? v : v instanceof CelUint ? v.v : undefined;
        if (n === undefined) throw new CelEvalError(`error during formatting: only integers can be formatted as ${verb === 'o' ? 'octal' : 'binary'}, was given ${typeName(v)}`);
        return n.toString(verb === 'o' ? 8 : 2);
      }
    }
    return '';
  });
}
