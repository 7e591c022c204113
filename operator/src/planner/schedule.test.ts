import { describe, expect, it } from 'vitest';
import { resolveSchedule, ScheduleError, scheduleDecision } from './index.ts';

const created = new Date('2026-11-20T10:15:00Z');

describe('resolveSchedule', () => {
  it.each([
    ['absent: now (the order creation time)', undefined, '2026-11-20T10:15:00.000Z'],
    ['date only: 23:00 UTC of that date (the manual rule)', '2026-12-31', '2026-12-31T23:00:00.000Z'],
    ['date only in summer: still 23:00 UTC, not 23:00 London', '2026-07-01', '2026-07-01T23:00:00.000Z'],
    ['RFC 3339 in UTC: that instant', '2027-02-01T18:00:00Z', '2027-02-01T18:00:00.000Z'],
    ['RFC 3339 with an offset: that instant', '2027-02-01T18:00:00+09:00', '2027-02-01T09:00:00.000Z'],
    ['RFC 3339 with fractions', '2027-02-01T18:00:00.250Z', '2027-02-01T18:00:00.250Z'],
    ['date only in the past: still that date (then overdue)', '2026-11-01', '2026-11-01T23:00:00.000Z'],
  ])('%s', (_name, scheduledAt, want) => {
    expect(resolveSchedule(scheduledAt, created).toISOString()).toBe(want);
  });

  it.each(['2026-02-30', '2026-12-31T23:00:00', 'tomorrow', '2026-12-31 23:00:00Z'])('refuses %s', (s) => {
    expect(() => resolveSchedule(s, created)).toThrow(ScheduleError);
  });
});

describe('scheduleDecision', () => {
  const scheduledFor = new Date('2026-12-31T23:00:00Z');
  const plus = (ms: number): Date => new Date(scheduledFor.getTime() + ms);

  it.each([
    ['an hour early: wait an hour', plus(-3_600_000), undefined, false, { action: 'Wait', delayMs: 3_600_000 }],
    ['1 ms early: wait 1 ms', plus(-1), undefined, false, { action: 'Wait', delayMs: 1 }],
    ['exactly on time: run', plus(0), undefined, false, { action: 'Run', lateMs: 0 }],
    ['overdue with no deadline: run at once, never a negative delay', plus(5 * 86_400_000), undefined, false, { action: 'Run', lateMs: 5 * 86_400_000 }],
    ['overdue within the deadline: run', plus(3_600_000), 86_400, false, { action: 'Run', lateMs: 3_600_000 }],
    ['overdue exactly at the deadline: still run', plus(86_400_000), 86_400, false, { action: 'Run', lateMs: 86_400_000 }],
    ['overdue past the deadline: missed', plus(86_400_001), 86_400, false, { action: 'Missed', lateMs: 86_400_001 }],
    ['deadline 0 and 1 ms late: missed', plus(1), 0, false, { action: 'Missed', lateMs: 1 }],
    ['already started, past the deadline: keep running', plus(7 * 86_400_000), 60, true, { action: 'Run', lateMs: 7 * 86_400_000 }],
    ['started (clock skew puts now before the schedule): run', plus(-5), undefined, true, { action: 'Run', lateMs: 0 }],
  ] as const)('%s', (_name, now, startingDeadlineSeconds, started, want) => {
    expect(scheduleDecision({ now, scheduledFor, startingDeadlineSeconds, started })).toEqual(want);
  });

  it('a date-only schedule missed while the operator was down runs on recovery', () => {
    const at = resolveSchedule('2026-12-31', created);
    const back = new Date('2027-01-01T06:00:00Z');
    expect(scheduleDecision({ now: back, scheduledFor: at, started: false })).toEqual({ action: 'Run', lateMs: 7 * 3_600_000 });
    expect(scheduleDecision({ now: back, scheduledFor: at, startingDeadlineSeconds: 3600, started: false }).action).toBe('Missed');
  });
});
