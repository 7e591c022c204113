import { describe, expect, it } from 'vitest';
import { scheduleGate } from './schedule.ts';

const created = new Date('2026-12-01T10:00:00Z');
const at = (iso: string): Date => new Date(iso);

describe('scheduleGate', () => {
  it.each([
    ['absent: due at once', undefined, '2026-12-01T10:00:01Z', undefined, undefined, 'Due'],
    ['date-only: 23:00 UTC that day', '2026-12-01', '2026-12-01T10:00:01Z', undefined, undefined, 'Wait'],
    ['date-only reached', '2026-12-01', '2026-12-01T23:00:00Z', undefined, undefined, 'Due'],
    ['RFC 3339 instant in the future', '2026-12-01T12:00:00+01:00', '2026-12-01T10:30:00Z', undefined, undefined, 'Wait'],
    ['created with a time already past', '2026-11-30T09:00:00Z', '2026-12-01T10:00:01Z', undefined, undefined, 'Refused'],
    ['a date already past', '2026-11-30', '2026-12-01T10:00:01Z', undefined, undefined, 'Refused'],
    ['within the grace of creation', '2026-12-01T09:59:30Z', '2026-12-01T10:00:01Z', undefined, undefined, 'Due'],
    ['passed during an outage, no deadline: runs late', '2026-12-01T11:00:00Z', '2026-12-01T15:00:00Z', undefined, '2026-12-01T11:00:00Z', 'Due'],
    ['passed during an outage beyond the deadline: missed', '2026-12-01T11:00:00Z', '2026-12-01T15:00:00Z', 600, '2026-12-01T11:00:00Z', 'Missed'],
    ['passed during an outage within the deadline', '2026-12-01T11:00:00Z', '2026-12-01T11:05:00Z', 600, '2026-12-01T11:00:00Z', 'Due'],
    ['rescheduled into the past', '2026-12-01T11:00:00Z', '2026-12-01T14:00:00Z', undefined, '2026-12-02T11:00:00Z', 'Refused'],
    ['not a schedule', '2026-02-30', '2026-12-01T10:00:01Z', undefined, undefined, 'Refused'],
  ])('%s', (_name, scheduledAt, now, deadline, previousFor, action) => {
    const gate = scheduleGate({ scheduledAt, createdAt: created, now: at(now), startingDeadlineSeconds: deadline, previousFor });
    expect(gate.action).toBe(action);
  });

  it('refuses a past time naming the value, the instant and both accepted forms, and says to omit it to run now', () => {
    const gate = scheduleGate({ scheduledAt: '2026-11-30', createdAt: created, now: created });
    expect(gate).toMatchObject({ action: 'Refused', reason: 'ScheduleInPast', forText: '2026-11-30T23:00:00Z' });
    const message = gate.action === 'Refused' ? gate.message : '';
    expect(message).toContain('spec.scheduledAt: "2026-11-30" (2026-11-30T23:00:00Z)');
    expect(message).toContain('omit scheduledAt to run now');
    expect(message).toContain('YYYY-MM-DD');
    expect(message).toContain('RFC 3339');
  });

  it('an invalid value is named with both accepted forms', () => {
    const gate = scheduleGate({ scheduledAt: '2026-02-30', createdAt: created, now: created });
    expect(gate).toMatchObject({ action: 'Refused', reason: 'InvalidSchedule' });
    expect(gate.action === 'Refused' ? gate.message : '').toMatch(/"2026-02-30".*YYYY-MM-DD.*RFC 3339/);
  });

  it('a reschedule is noticed; a wait says how long', () => {
    const gate = scheduleGate({ scheduledAt: '2026-12-03', createdAt: created, now: created, previousFor: '2026-12-02T23:00:00Z' });
    expect(gate).toEqual({ action: 'Wait', delayMs: Date.parse('2026-12-03T23:00:00Z') - created.getTime(), forText: '2026-12-03T23:00:00Z', rescheduled: true });
  });
});
