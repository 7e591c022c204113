/**
 * The schedule gate every order passes before it runs (pure): wait for `scheduledAt`, refuse
 * a time already past when the order was created (or rescheduled), and fail an order that
 * could not start within `startingDeadlineSeconds` of its time (e.g. the operator was down).
 */
import { rfc3339 } from '../../runtime/index.ts';
import { resolveSchedule, scheduleDecision, ScheduleError } from '../../planner/schedule.ts';
import { REASON } from './conditions.ts';

/** How far in the past a new `scheduledAt` may be (clock skew, a slow `kubectl apply`). */
export const SCHEDULE_PAST_GRACE_MS = 60_000;

/** Both accepted forms, for every message about a schedule. */
export const SCHEDULE_FORMS = 'a date YYYY-MM-DD (runs at 23:00 UTC that day) or an RFC 3339 time with an offset, e.g. 2026-12-01T18:00:00Z';

export interface GateInput {
  scheduledAt: string | undefined;
  createdAt: Date;
  now: Date;
  startingDeadlineSeconds?: number | undefined;
  /** `status.scheduledFor` as last written (a different value means the order was rescheduled). */
  previousFor?: string | undefined;
}

export type Gate =
  | { action: 'Wait'; delayMs: number; forText: string; rescheduled: boolean }
  | { action: 'Due'; forText: string }
  | { action: 'Refused'; reason: typeof REASON.ScheduleInPast | typeof REASON.InvalidSchedule; message: string; forText?: string }
  | { action: 'Missed'; forText: string; message: string };

export function scheduleGate(input: GateInput): Gate {
  let at: Date;
  try {
    at = resolveSchedule(input.scheduledAt, input.createdAt);
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    return { action: 'Refused', reason: REASON.InvalidSchedule, message: `spec.scheduledAt: ${JSON.stringify(input.scheduledAt)} is not a valid schedule: give ${SCHEDULE_FORMS}, or omit it to run now` };
  }
  const forText = rfc3339(at);
  const rescheduled = input.previousFor !== undefined && input.previousFor !== forText;
  if (input.scheduledAt !== undefined) {
    const reference = rescheduled ? input.now : input.createdAt;
    if (at.getTime() < reference.getTime() - SCHEDULE_PAST_GRACE_MS) {
      const what = rescheduled ? 'it was rescheduled' : 'the order was created';
      return {
        action: 'Refused',
        reason: REASON.ScheduleInPast,
        forText,
        message: `spec.scheduledAt: ${JSON.stringify(input.scheduledAt)} (${forText}) was already past when ${what} (${rfc3339(reference)}): omit scheduledAt to run now, or give a future time (${SCHEDULE_FORMS})`,
      };
    }
  }
  const decision = scheduleDecision({ now: input.now, scheduledFor: at, startingDeadlineSeconds: input.startingDeadlineSeconds, started: false });
  if (decision.action === 'Wait') return { action: 'Wait', delayMs: decision.delayMs, forText, rescheduled };
  if (decision.action === 'Missed') {
    return {
      action: 'Missed',
      forText,
      message: `scheduled for ${forText}, not started within startingDeadlineSeconds (${input.startingDeadlineSeconds ?? 0} s), ${Math.round(decision.lateMs / 1000)} s late: it did not run; create a new order to run it`,
    };
  }
  return { action: 'Due', forText };
}
