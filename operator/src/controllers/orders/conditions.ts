/**
 * Reasons and conditions of every order (PascalCase), written once: the union types derive
 * from the `as const` objects, and each condition change is one constructor.
 */
import type { OrderPhase, OrderStatus } from '../../api/index.ts';
import { setCondition } from '../../runtime/index.ts';
import type { Failure } from '../../planner/types.ts';

export const REASON = {
  Scheduled: 'Scheduled',
  Rescheduled: 'Rescheduled',
  ScheduleInPast: 'ScheduleInPast',
  InvalidSchedule: 'InvalidSchedule',
  MissedSchedule: 'MissedSchedule',
  OccupierNotFound: 'OccupierNotFound',
  AwaitingApproval: 'AwaitingApproval',
  Approved: 'Approved',
  PlanChanged: 'PlanChanged',
  Unblocked: 'Unblocked',
  Started: 'Started',
  StepFailed: 'StepFailed',
  /** The ConfigMaps of a started order's frozen plan are gone or changed: it cannot resume. */
  PlanLost: 'PlanLost',
  Retrying: 'Retrying',
  Succeeded: 'Succeeded',
  Ended: 'Ended',
  Cancelled: 'Cancelled',
} as const;
export type OrderReason = (typeof REASON)[keyof typeof REASON];

export const CONDITION = {
  Scheduled: 'Scheduled',
  Blocked: 'Blocked',
  AwaitingApproval: 'AwaitingApproval',
  Running: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
} as const;
export type OrderConditionType = (typeof CONDITION)[keyof typeof CONDITION];

type Cond = NonNullable<OrderStatus['conditions']>[number];

/** A change to an order's status: phase and conditions, applied to a fresh copy. */
export type StatusChange = (s: OrderStatus, generation: number | undefined, now: Date) => void;

function set(s: OrderStatus, gen: number | undefined, now: Date, type: OrderConditionType, status: 'True' | 'False', reason: string, message: string): void {
  s.conditions = setCondition<Cond>(s.conditions ?? [], { type, status, reason, message }, gen, now);
}

/** Sets a condition to False if the order has it (so a condition never claims what has ended). */
function clear(s: OrderStatus, gen: number | undefined, now: Date, type: OrderConditionType, reason: string, message: string): void {
  if ((s.conditions ?? []).some((c) => c.type === type && c.status === 'True')) set(s, gen, now, type, 'False', reason, message);
}

const phase =
  (p: OrderPhase): StatusChange =>
  (s) => {
    s.phase = p;
  };

const all =
  (...changes: StatusChange[]): StatusChange =>
  (s, g, n) => {
    for (const c of changes) c(s, g, n);
  };

/** The message of a Blocked condition: every failure, reason first. */
export function blockedMessage(failures: readonly Failure[]): string {
  return failures.map((f) => `${f.reason}: ${f.message}`).join('; ');
}

/** Waiting for its time. */
export const scheduled = (forText: string, hint: string): StatusChange =>
  all(phase('Scheduled'), (s, g, n) => {
    s.scheduledFor = forText;
    // e.g. a ScheduleInPast fixed by a new scheduledAt
    clear(s, g, n, CONDITION.Blocked, REASON.Rescheduled, 'waiting for its scheduled time');
    set(s, g, n, CONDITION.Scheduled, 'True', REASON.Scheduled, `runs at ${forText}; ${hint}`);
  });

/** Due, but prerequisites fail: every one listed, the first reason on the condition. */
export const blocked = (failures: readonly Failure[]): StatusChange =>
  all(phase('Blocked'), (s, g, n) => set(s, g, n, CONDITION.Blocked, 'True', failures[0]?.reason ?? 'Blocked', blockedMessage(failures)));

/** The plan is in status; the run waits for `occupier.dev/approve=true`. */
export const awaitingApproval = (plan: NonNullable<OrderStatus['plan']>, hint: string): StatusChange =>
  all(phase('AwaitingApproval'), (s, g, n) => {
    s.plan = plan;
    clear(s, g, n, CONDITION.Blocked, REASON.Unblocked, 'every prerequisite is met');
    set(s, g, n, CONDITION.AwaitingApproval, 'True', REASON.AwaitingApproval, `review status.plan, then: ${hint}`);
  });

/** The run begins: the plan and tasks are frozen into status. */
export const running = (plan: NonNullable<OrderStatus['plan']>, tasks: NonNullable<OrderStatus['tasks']>, startedAt: string, message: string): StatusChange =>
  all(phase('Running'), (s, g, n) => {
    s.startedAt = startedAt;
    s.plan = plan;
    s.tasks = tasks;
    clear(s, g, n, CONDITION.Blocked, REASON.Unblocked, 'every prerequisite is met');
    clear(s, g, n, CONDITION.Scheduled, REASON.Started, 'the run has begun');
    clear(s, g, n, CONDITION.AwaitingApproval, REASON.Approved, 'approved with occupier.dev/approve=true');
    set(s, g, n, CONDITION.Running, 'True', REASON.Started, message);
  });

/** Resumed from the failed step (`occupier.dev/retry=true`). */
export const retrying = (tasks: NonNullable<OrderStatus['tasks']>): StatusChange =>
  all(phase('Running'), (s, g, n) => {
    s.tasks = tasks;
    delete s.completedAt;
    set(s, g, n, CONDITION.Failed, 'False', REASON.Retrying, 'resumed from the failed step');
    set(s, g, n, CONDITION.Running, 'True', REASON.Retrying, 'resumed from the failed step');
  });

/** The order ended without success (before or during its run). */
export const failed = (reason: string, message: string, completedAt: string): StatusChange =>
  all(phase('Failed'), (s, g, n) => {
    s.completedAt = completedAt;
    clear(s, g, n, CONDITION.Scheduled, REASON.Ended, 'the order has ended');
    clear(s, g, n, CONDITION.Blocked, REASON.Ended, 'the order has ended');
    clear(s, g, n, CONDITION.AwaitingApproval, REASON.Ended, 'the order has ended');
    clear(s, g, n, CONDITION.Running, reason, 'the run stopped');
    set(s, g, n, CONDITION.Failed, 'True', reason, message);
  });

/** The order ended with every step done. */
export const succeeded = (message: string, completedAt: string): StatusChange =>
  all(phase('Succeeded'), (s, g, n) => {
    s.completedAt = completedAt;
    clear(s, g, n, CONDITION.Scheduled, REASON.Ended, 'the order has ended');
    clear(s, g, n, CONDITION.Running, REASON.Succeeded, 'the run has ended');
    set(s, g, n, CONDITION.Succeeded, 'True', REASON.Succeeded, message);
  });

/** A milestone of the run reached (e.g. DestinationReady), while it goes on. */
export const milestone = (type: string, message: string): StatusChange => (s, g, n) => set(s, g, n, type as OrderConditionType, 'True', type, message);
