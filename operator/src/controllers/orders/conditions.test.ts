import { describe, expect, it } from 'vitest';
import type { OrderStatus } from '../../api/index.ts';
import { awaitingApproval, blocked, failed, milestone, retrying, running, scheduled, succeeded } from './conditions.ts';
import type { StatusChange } from './conditions.ts';

const NOW = new Date('2026-12-01T12:00:00Z');
const apply = (s: OrderStatus, ...changes: StatusChange[]): OrderStatus => {
  const out = structuredClone(s);
  for (const c of changes) c(out, 3, NOW);
  return out;
};
const conds = (s: OrderStatus): string[] => (s.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`).sort();
const plan = { summary: 'Create 1', items: [] };

describe('order conditions: one constructor per change, nothing left claiming what has ended', () => {
  it.each<[string, StatusChange[], string | undefined, string[]]>([
    ['scheduled', [scheduled('2026-12-02T23:00:00Z', 'hint')], 'Scheduled', ['Scheduled=True/Scheduled']],
    ['blocked lists every failure, the first reason on the condition', [blocked([{ reason: 'A', message: 'a' }, { reason: 'B', message: 'b' }])], 'Blocked', ['Blocked=True/A']],
    ['awaiting approval clears Blocked', [blocked([{ reason: 'A', message: 'a' }]), awaitingApproval(plan, 'kubectl ...')], 'AwaitingApproval', ['AwaitingApproval=True/AwaitingApproval', 'Blocked=False/Unblocked']],
    [
      'running ends Scheduled, Blocked and AwaitingApproval',
      [scheduled('x', 'h'), blocked([{ reason: 'A', message: 'a' }]), awaitingApproval(plan, 'k'), running(plan, [], '2026-12-01T12:00:00Z', 'go')],
      'Running',
      ['AwaitingApproval=False/Approved', 'Blocked=False/Unblocked', 'Running=True/Started', 'Scheduled=False/Started'],
    ],
    ['a refused schedule fixed by a new scheduledAt is no longer Blocked', [blocked([{ reason: 'ScheduleInPast', message: 'm' }]), scheduled('x', 'h')], 'Scheduled', ['Blocked=False/Rescheduled', 'Scheduled=True/Scheduled']],
    ['succeeded ends Running', [running(plan, [], 't', 'go'), succeeded('done', 't2')], 'Succeeded', ['Running=False/Succeeded', 'Succeeded=True/Succeeded']],
    ['a schedule that ends Failed does not stay Scheduled', [scheduled('x', 'h'), failed('MissedSchedule', 'late', 't')], 'Failed', ['Failed=True/MissedSchedule', 'Scheduled=False/Ended']],
    ['retry after a failed step', [running(plan, [], 't', 'go'), failed('StepFailed', 'no', 't2'), retrying([])], 'Running', ['Failed=False/Retrying', 'Running=True/Retrying']],
    ['a milestone while running', [running(plan, [], 't', 'go'), milestone('DestinationReady', 'ready')], 'Running', ['DestinationReady=True/DestinationReady', 'Running=True/Started']],
  ])('%s', (_n, changes, phase, want) => {
    const s = apply({}, ...changes);
    expect(s.phase).toBe(phase);
    expect(conds(s)).toEqual(want);
  });

  it('an ended order records when; a retry forgets it', () => {
    const ended = apply({}, failed('StepFailed', 'no', '2026-12-01T12:00:00Z'));
    expect(ended.completedAt).toBe('2026-12-01T12:00:00Z');
    expect(apply(ended, retrying([])).completedAt).toBeUndefined();
  });
});
