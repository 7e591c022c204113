/**
 * When an order runs. Orders run once, at `spec.scheduledAt` (absent = now), like a Job
 * with a CronJob-style starting deadline.
 */

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
// RFC 3339 with an explicit offset (the API schema's `dateTime` format).
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** UTC hour at which a date-only schedule runs (seed 001: "11:00 PM UTC on your selected date"). */
export const DATE_ONLY_RUN_HOUR_UTC = 23;

/** A `scheduledAt` that is neither a date nor an RFC 3339 time (the CRD schema refuses these). */
export class ScheduleError extends Error {
  readonly code = 'InvalidSchedule';
  override readonly name = 'ScheduleError';
}

/**
 * The instant an order runs.
 *
 * - absent: `createdAt` (the order runs as soon as it exists, "Decommission now");
 * - a date `YYYY-MM-DD`: 23:00 UTC on that date, whatever the site time zones (the
 *   manual: "All scheduled decommissions begin at 11:00 PM UTC on the scheduled date");
 * - an RFC 3339 time: that instant.
 */
export function resolveSchedule(scheduledAt: string | undefined, createdAt: Date): Date {
  if (scheduledAt === undefined) return new Date(createdAt.getTime());
  const d = DATE_ONLY.exec(scheduledAt);
  if (d) {
    const year = Number(d[1]);
    const month = Number(d[2]) - 1;
    const day = Number(d[3]);
    const t = new Date(Date.UTC(year, month, day, DATE_ONLY_RUN_HOUR_UTC));
    if (t.getUTCFullYear() !== year || t.getUTCMonth() !== month || t.getUTCDate() !== day) {
      throw new ScheduleError(`scheduledAt ${JSON.stringify(scheduledAt)} is not a calendar date`);
    }
    return t;
  }
  const t = new Date(scheduledAt);
  if (!RFC3339.test(scheduledAt) || Number.isNaN(t.getTime())) {
    throw new ScheduleError(
      `scheduledAt ${JSON.stringify(scheduledAt)} is neither a date (YYYY-MM-DD) nor an RFC 3339 time with an offset`,
    );
  }
  return t;
}

export interface ScheduleInput {
  /** The current instant (from the injected clock). */
  now: Date;
  /** The resolved instant the order should run (`resolveSchedule`). */
  scheduledFor: Date;
  /** `spec.startingDeadlineSeconds`: how late the order may still start. Absent: no limit. */
  startingDeadlineSeconds?: number | undefined;
  /** Whether the run has already begun (`status.startedAt` set). */
  started: boolean;
}

/** What to do with an order now. */
export type ScheduleDecision =
  /** Not due yet: requeue after `delayMs` (always > 0). Re-check on every reconcile; a requeue is only a hint. */
  | { action: 'Wait'; delayMs: number }
  /** Due (or overdue by `lateMs`, or already started): run now. */
  | { action: 'Run'; lateMs: number }
  /** Overdue by more than the starting deadline: fail with reason `MissedSchedule` instead of running. */
  | { action: 'Missed'; lateMs: number };

/**
 * Decide whether an order waits, runs or has missed its schedule.
 *
 * An overdue order runs at once (never a negative delay), e.g. a schedule that passed while
 * the operator was down runs when it is back — unless it is more than
 * `startingDeadlineSeconds` late (strictly more, as a CronJob's deadline), then it is
 * `Missed`. A started order always keeps running: the deadline is about starting.
 *
 * (Seed 001 retries a missed decommission at 23:00 UTC the next day; SPEC §2 replaces that
 * with "run on recovery unless the starting deadline has passed".)
 */
export function scheduleDecision(input: ScheduleInput): ScheduleDecision {
  const lateMs = input.now.getTime() - input.scheduledFor.getTime();
  if (input.started) return { action: 'Run', lateMs: Math.max(0, lateMs) };
  if (lateMs < 0) return { action: 'Wait', delayMs: -lateMs };
  const deadline = input.startingDeadlineSeconds;
  if (deadline !== undefined && lateMs > deadline * 1000) return { action: 'Missed', lateMs };
  return { action: 'Run', lateMs };
}
