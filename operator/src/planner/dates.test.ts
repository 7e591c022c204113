import { describe, expect, it } from 'vitest';
import { addDays, compareDates, daysBetween, DateError, endOfDay, isAfter, isBefore, isCalendarDate, isValidTimeZone, localDate, startOfDay, utcOffsetMs } from './index.ts';

const at = (iso: string): Date => new Date(iso);

describe('localDate: the calendar date at a site', () => {
  it.each([
    // instant, zone, local date
    ['2026-03-31T23:30:00Z', 'UTC', '2026-03-31'],
    ['2026-03-31T23:30:00Z', 'Europe/London', '2026-04-01'], // BST: already 1 Apr
    ['2026-01-31T23:30:00Z', 'Europe/London', '2026-01-31'], // GMT: still 31 Jan
    ['2026-03-31T14:59:59Z', 'Asia/Tokyo', '2026-03-31'],
    ['2026-03-31T15:00:00Z', 'Asia/Tokyo', '2026-04-01'], // Tokyo is a day ahead from 15:00 UTC
    ['2026-04-01T03:59:59Z', 'America/New_York', '2026-03-31'], // EDT: still yesterday
    ['2026-04-01T04:00:00Z', 'America/New_York', '2026-04-01'],
    ['2026-12-31T23:00:00Z', 'Pacific/Kiritimati', '2027-01-01'], // +14
    ['2026-12-31T23:00:00Z', 'Pacific/Pago_Pago', '2026-12-31'], // -11
  ])('%s in %s is %s', (instant, tz, date) => {
    expect(localDate(at(instant), tz)).toBe(date);
  });

  it('refuses an unknown time zone with a typed error', () => {
    expect(() => localDate(at('2026-01-01T00:00:00Z'), 'Mars/Olympus')).toThrow(DateError);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('Europe/London')).toBe(true);
  });
});

describe('addDays and comparisons', () => {
  it.each([
    ['2026-03-01', -1, '2026-02-28'],
    ['2028-03-01', -1, '2028-02-29'], // leap year
    ['2026-12-31', 1, '2027-01-01'],
    ['2026-03-28', 1, '2026-03-29'], // across the London DST change: calendar days, not 24 h
    ['2026-01-15', 90, '2026-04-15'],
    ['2026-01-15', 0, '2026-01-15'],
  ])('addDays(%s, %i) = %s', (d, n, want) => {
    expect(addDays(d, n)).toBe(want);
  });

  it('compares calendar dates', () => {
    expect(compareDates('2026-03-31', '2026-04-01')).toBe(-1);
    expect(compareDates('2026-04-01', '2026-04-01')).toBe(0);
    expect(compareDates('2026-04-02', '2026-04-01')).toBe(1);
    expect(isBefore('2025-12-31', '2026-01-01')).toBe(true);
    expect(isAfter('2025-12-31', '2026-01-01')).toBe(false);
    expect(daysBetween('2026-03-01', '2026-03-31')).toBe(30);
    expect(daysBetween('2026-03-31', '2026-03-01')).toBe(-30);
  });

  it('rejects impossible dates', () => {
    expect(isCalendarDate('2026-02-30')).toBe(false);
    expect(isCalendarDate('2026-2-3')).toBe(false);
    expect(isCalendarDate('2026-02-28')).toBe(true);
    expect(() => addDays('2026-13-01', 1)).toThrow(DateError);
  });
});

describe('startOfDay / endOfDay are DST-correct', () => {
  it.each([
    // date, zone, start (UTC), end (UTC), hours in the day
    ['2026-01-15', 'UTC', '2026-01-15T00:00:00.000Z', '2026-01-16T00:00:00.000Z', 24],
    ['2026-07-15', 'Europe/London', '2026-07-14T23:00:00.000Z', '2026-07-15T23:00:00.000Z', 24],
    ['2026-03-29', 'Europe/London', '2026-03-29T00:00:00.000Z', '2026-03-29T23:00:00.000Z', 23], // clocks go forward
    ['2026-10-25', 'Europe/London', '2026-10-24T23:00:00.000Z', '2026-10-26T00:00:00.000Z', 25], // clocks go back
    ['2026-03-08', 'America/New_York', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z', 23],
    ['2026-04-02', 'Asia/Tokyo', '2026-04-01T15:00:00.000Z', '2026-04-02T15:00:00.000Z', 24],
    // Midnight does not exist (DST starts at 00:00): the day starts at 01:00 local.
    ['2026-09-06', 'America/Santiago', '2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z', 23],
    ['2026-03-29', 'Asia/Beirut', '2026-03-28T22:00:00.000Z', '2026-03-29T21:00:00.000Z', 23],
  ])('%s in %s runs from %s to %s (%i h)', (d, tz, start, end, hours) => {
    const s = startOfDay(d, tz);
    const e = endOfDay(d, tz);
    expect(s.toISOString()).toBe(start);
    expect(e.toISOString()).toBe(end);
    expect((e.getTime() - s.getTime()) / 3_600_000).toBe(hours);
    // The bounds really are the edges of the local day.
    expect(localDate(s, tz)).toBe(d);
    expect(localDate(new Date(s.getTime() - 1), tz)).toBe(addDays(d, -1));
    expect(localDate(new Date(e.getTime() - 1), tz)).toBe(d);
    expect(localDate(e, tz)).toBe(addDays(d, 1));
  });

  it('reports UTC offsets', () => {
    expect(utcOffsetMs(at('2026-07-01T12:00:00Z'), 'Europe/London')).toBe(3_600_000);
    expect(utcOffsetMs(at('2026-01-01T12:00:00Z'), 'Europe/London')).toBe(0);
    expect(utcOffsetMs(at('2026-01-01T12:00:00.750Z'), 'America/New_York')).toBe(-5 * 3_600_000);
  });
});
