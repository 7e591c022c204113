/**
 * Calendar dates (`YYYY-MM-DD`) in explicit IANA time zones.
 *
 * Every date in an Occupier is a calendar date at its site ("a contract that starts today"
 * means today *in that site's time zone*), while instants are `Date`s. These helpers convert
 * between the two with `Intl.DateTimeFormat` and never read the clock or the process time
 * zone: the caller always passes the instant and the zone.
 */

import { Recent } from '../util/recent.ts';

/** A calendar date, `YYYY-MM-DD`. */
export type CalendarDate = string;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** A malformed date or unknown time zone. */
export class DateError extends Error {
  readonly code: 'InvalidDate' | 'InvalidTimeZone';
  override readonly name = 'DateError';
  constructor(code: 'InvalidDate' | 'InvalidTimeZone', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch (cause) {
      throw new DateError('InvalidTimeZone', `unknown time zone ${JSON.stringify(tz)}`, { cause });
    }
    formatters.set(tz, f);
  }
  return f;
}

/** Whether `tz` is a time zone this runtime knows (e.g. `Europe/London`, `UTC`). */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * The last wall clocks read, by time zone and whole second (what they depend on). ICU's
 * formatToParts is slow, and orders due at one instant all ask for the same few.
 */
const wallClocks = new Recent<Readonly<WallClock>>(256);

function wallClock(instant: Date, tz: string): Readonly<WallClock> {
  const key = `${tz} ${Math.floor(instant.getTime() / 1000)}`;
  const known = wallClocks.get(key);
  if (known) return known;
  const out: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of formatter(tz).formatToParts(instant)) {
    if (p.type === 'year' || p.type === 'month' || p.type === 'day' || p.type === 'hour' || p.type === 'minute' || p.type === 'second') {
      out[p.type] = Number(p.value);
    }
  }
  wallClocks.remember(key, Object.freeze(out));
  return out;
}

/** Offset of `tz` from UTC at `instant`, in milliseconds (local minus UTC; London summer = +3,600,000). */
export function utcOffsetMs(instant: Date, tz: string): number {
  const w = wallClock(instant, tz);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  const whole = instant.getTime() - (((instant.getTime() % 1000) + 1000) % 1000);
  return asUtc - whole;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Checks and splits a `YYYY-MM-DD` date (rejects impossible dates like `2026-02-30`). */
export function parseDate(date: CalendarDate): { year: number; month: number; day: number } {
  const m = DATE_RE.exec(date);
  if (m) {
    const year = Number(m[1]);
    const month = Number(m[2]);
    const day = Number(m[3]);
    const d = new Date(Date.UTC(year, month - 1, day));
    if (d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day) {
      return { year, month, day };
    }
  }
  throw new DateError('InvalidDate', `not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
}

/** Whether `s` is a valid `YYYY-MM-DD` calendar date. */
export function isCalendarDate(s: string): boolean {
  try {
    parseDate(s);
    return true;
  } catch {
    return false;
  }
}

/** The calendar date in `tz` at `instant`: 23:30 UTC on 31 Mar 2026 is `2026-04-01` in Europe/London. */
export function localDate(instant: Date, tz: string): CalendarDate {
  const w = wallClock(instant, tz);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** `date` plus `n` days (negative goes back): `addDays('2026-03-01', -1)` is `2026-02-28`. */
export function addDays(date: CalendarDate, n: number): CalendarDate {
  const { year, month, day } = parseDate(date);
  const d = new Date(Date.UTC(year, month - 1, day) + n * DAY_MS);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/**
 * The first instant of `date` in `tz`. Usually local midnight; on a day whose midnight is
 * skipped by a DST change (e.g. America/Santiago, Asia/Beirut) it is the instant the day
 * actually begins.
 */
export function startOfDay(date: CalendarDate, tz: string): Date {
  const { year, month, day } = parseDate(date);
  const midnightAsUtc = Date.UTC(year, month - 1, day);
  // Local midnight is midnightAsUtc minus the offset in force then; the offset may differ
  // from the one at the first guess when a DST change happens within a day of it.
  for (const guess of [midnightAsUtc, midnightAsUtc - DAY_MS / 2, midnightAsUtc + DAY_MS / 2]) {
    const candidate = new Date(midnightAsUtc - utcOffsetMs(new Date(guess), tz));
    const w = wallClock(candidate, tz);
    if (localDate(candidate, tz) === date && w.hour === 0 && w.minute === 0 && w.second === 0) return candidate;
  }
  // Midnight does not exist on this day: binary-search the first instant whose local date is `date`.
  let lo = midnightAsUtc - 15 * 3_600_000; // offsets lie within -12h..+14h
  let hi = midnightAsUtc + 13 * 3_600_000;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDate(new Date(mid), tz) >= date) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/**
 * The instant `date` ends in `tz`: the first instant of the next day (an exclusive bound, so
 * `startOfDay(d) <= t < endOfDay(d)` is "t is on d"). 25 hours after the start on the day
 * clocks go back, 23 hours on the day they go forward. "Deprovisioned at the end of the day"
 * means at this instant.
 */
export function endOfDay(date: CalendarDate, tz: string): Date {
  return startOfDay(addDays(date, 1), tz);
}

/** -1, 0 or 1 as `a` is before, the same as or after `b`. */
export function compareDates(a: CalendarDate, b: CalendarDate): -1 | 0 | 1 {
  parseDate(a);
  parseDate(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether `a` is strictly before `b`. */
export function isBefore(a: CalendarDate, b: CalendarDate): boolean {
  return compareDates(a, b) < 0;
}

/** Whether `a` is strictly after `b`. */
export function isAfter(a: CalendarDate, b: CalendarDate): boolean {
  return compareDates(a, b) > 0;
}

/** Whole days from `a` to `b` (positive when `b` is later). */
export function daysBetween(a: CalendarDate, b: CalendarDate): number {
  const pa = parseDate(a);
  const pb = parseDate(b);
  return Math.round((Date.UTC(pb.year, pb.month - 1, pb.day) - Date.UTC(pa.year, pa.month - 1, pa.day)) / DAY_MS);
}
