import { parseCIDR, parseIP } from './net.ts';
import { daysInMonth, parseDuration } from './cel/index.ts';

/**
 * String formats checked like kube-openapi's strfmt default registry (the one the
 * apiextensions-apiserver validates CRD objects with). Unknown formats always pass.
 */
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;
const EMAIL_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const HOSTNAME_RE = /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9\-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u;
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID3_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID4_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const UUID5_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HUMAN_DURATION_RE = /^\s*(\d+)\s*(ns|nanoseconds?|us|µs|microseconds?|ms|milliseconds?|s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|wk|weeks?)\s*$/;
const HEX_COLOR_RE = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const BSON_RE = /^[0-9a-fA-F]{24}$/;

function validCalendarDate(y: string, m: string, d: string): boolean {
  const mm = Number(m);
  const dd = Number(d);
  return mm >= 1 && mm <= 12 && dd >= 1 && dd <= daysInMonth(Number(y), mm);
}

const MAC48_RE = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}\1[0-9a-fA-F]{2}\1[0-9a-fA-F]{2}\1[0-9a-fA-F]{2}\1[0-9a-fA-F]{2}$/;

function isMAC(s: string): boolean {
  if (MAC48_RE.test(s)) return true;
  // net.ParseMAC: 6, 8 or 20 octets separated by ':' or '-', or dotted groups of 4 hex digits
  if (/^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2})*$/.test(s)) {
    const n = s.split(/[:-]/).length;
    return n === 6 || n === 8 || n === 20;
  }
  if (/^[0-9a-fA-F]{4}(\.[0-9a-fA-F]{4})*$/.test(s)) {
    const n = s.split('.').length * 2;
    return n === 6 || n === 8 || n === 20;
  }
  return false;
}

const CHECKERS: Record<string, (s: string) => boolean> = {
  date: (s) => {
    const m = DATE_RE.exec(s);
    return m !== null && validCalendarDate(m[1] as string, m[2] as string, m[3] as string);
  },
  'date-time': (s) => {
    const m = DATE_TIME_RE.exec(s);
    if (m === null || !validCalendarDate(m[1] as string, m[2] as string, m[3] as string)) return false;
    return Number(m[4]) <= 23 && Number(m[5]) <= 59 && Number(m[6] ?? 0) <= 60;
  },
  datetime: (s) => CHECKERS['date-time']?.(s) ?? false,
  email: (s) => s.length <= 254 && EMAIL_RE.test(s),
  hostname: (s) => s.length <= 255 && HOSTNAME_RE.test(s),
  ipv4: (s) => parseIP(s) !== undefined && s.includes('.'),
  ipv6: (s) => parseIP(s) !== undefined && s.includes(':'),
  cidr: (s) => parseCIDR(s) !== undefined,
  mac: isMAC,
  uuid: (s) => UUID_RE.test(s),
  uuid3: (s) => UUID3_RE.test(s),
  uuid4: (s) => UUID4_RE.test(s),
  uuid5: (s) => UUID5_RE.test(s),
  byte: (s) => BASE64_RE.test(s),
  duration: (s) => parseDuration(s) !== undefined || HUMAN_DURATION_RE.test(s),
  hexcolor: (s) => HEX_COLOR_RE.test(s),
  bsonobjectid: (s) => BSON_RE.test(s),
};

/** Whether `value` satisfies `format`; unknown formats (and `password`, `int32`, ...) pass. */
export function checkFormat(format: string, value: string): boolean {
  const c = CHECKERS[format];
  return c === undefined || c(value);
}

export function isKnownFormat(format: string): boolean {
  return CHECKERS[format] !== undefined;
}
