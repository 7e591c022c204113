/** Per-site tasks of an order and their state transitions (pure). */
import type { Task } from '../../api/index.ts';
import { rfc3339 } from '../../runtime/index.ts';
import type { ItemResult } from '../execute.ts';
import type { PlannedStep } from './plugin.ts';

/** Attempts a step gets for transient failures before the order fails. */
export const RETRY_BUDGET = 8;
const BASE_RETRY_MS = 2_000;
const MAX_RETRY_MS = 5 * 60_000;

/** The step every order ends with: the completion message to `spec.notify`. */
export const NOTIFY_STEP = 'notify';

/** Delay before attempt `attempts + 1` after a transient failure: 2 s doubling, at most 5 min. */
export function retryDelayMs(attempts: number): number {
  return Math.min(MAX_RETRY_MS, BASE_RETRY_MS * 2 ** Math.max(0, attempts - 1));
}

/**
 * Plan items whose every operation is Done: `results` are in the order of the items'
 * operations, `opsPerItem` how many each item has (a user is three: Wi-Fi, directory, access).
 */
export function itemsDone(results: readonly ItemResult[], opsPerItem: readonly number[]): number {
  let at = 0;
  let done = 0;
  for (const n of opsPerItem) {
    if (results.slice(at, at + n).every((r) => r.state === 'Done')) done++;
    at += n;
  }
  return done;
}

/**
 * One Pending task per planned site step (every step listed, even with no items, in plan
 * order), then the final steps and `notify` at the first planned site.
 */
export function initialTasks(steps: readonly PlannedStep[], finalSteps: readonly string[]): Task[] {
  const tasks: Task[] = steps.map((s): Task => ({
    site: s.site,
    step: s.step,
    state: 'Pending',
    attempts: 0,
    items: { total: s.items.length, done: 0 },
    ...(s.notBefore ? { notBefore: rfc3339(s.notBefore) } : {}),
  }));
  const first = steps[0]?.site;
  if (first !== undefined) for (const step of [...finalSteps, NOTIFY_STEP]) tasks.push({ site: first, step, state: 'Pending', attempts: 0 });
  return tasks;
}

/** Whether a task is one of the per-site plan steps (not a final step or notify). */
export function isSiteStep(task: Pick<Task, 'step'>, finalSteps: readonly string[]): boolean {
  return task.step !== NOTIFY_STEP && !finalSteps.includes(task.step);
}

/**
 * Failed tasks go back to Pending with a fresh retry budget (the `occupier.dev/retry`
 * annotation). `attempts` keeps counting: the history of a step says how often it was tried.
 */
export function resetFailed(tasks: readonly Task[]): Task[] {
  return tasks.map((t) => {
    if (t.state !== 'Failed') return t;
    const { nextRetryAt: _n, completedAt: _c, ...rest } = t;
    return { ...rest, state: 'Pending', retryFrom: t.attempts };
  });
}

export type TaskSummary = 'Succeeded' | 'Failed' | 'Running';

export function summarizeTasks(tasks: readonly Task[]): TaskSummary {
  if (tasks.some((t) => t.state === 'Failed')) return 'Failed';
  if (tasks.every((t) => t.state === 'Succeeded')) return 'Succeeded';
  return 'Running';
}

/** What to do with a task now: run it, wait (ms), or nothing (it ended). */
export type TaskGate = { action: 'run' } | { action: 'wait'; delayMs: number } | { action: 'done' } | { action: 'failed' };

/** Whether a task may run at `now` (its `notBefore` and `nextRetryAt` have passed). */
export function taskGate(task: Task, now: Date): TaskGate {
  if (task.state === 'Succeeded') return { action: 'done' };
  if (task.state === 'Failed') return { action: 'failed' };
  const waits = [task.notBefore, task.nextRetryAt].map((t) => (t ? Date.parse(t) - now.getTime() : 0));
  const delayMs = Math.max(...waits);
  return delayMs > 0 ? { action: 'wait', delayMs } : { action: 'run' };
}

/** Marks an attempt as begun (before the driver calls, so a crash mid-attempt still counts it). */
export function beginAttempt(task: Task, now: Date): void {
  task.state = 'Running';
  task.startedAt ??= rfc3339(now);
  task.attempts += 1;
}

/**
 * Records the results of one attempt. A permanent failure fails the task; a transient one
 * schedules a retry with backoff until the retry budget (counted from the last manual retry)
 * is spent; in-progress items wait for the driver's hint. Returns how long to wait before
 * the next look (undefined: the task ended).
 */
export function recordAttempt(task: Task, results: readonly ItemResult[], now: Date, opsPerItem?: readonly number[]): number | undefined {
  const retryBase = task.retryFrom ?? 0;
  if (task.items) task.items.done = opsPerItem ? itemsDone(results, opsPerItem) : results.filter((r) => r.state === 'Done').length;
  const permanent = results.find((r) => r.state === 'Failed' && r.code === 'Permanent');
  const transient = results.find((r) => r.state === 'Failed' && r.code === 'Transient');
  const pending = results.filter((r) => r.state === 'InProgress');
  const end = (): void => {
    task.completedAt = rfc3339(now);
    delete task.nextRetryAt;
  };
  if (permanent?.state === 'Failed') {
    task.state = 'Failed';
    task.lastError = `${permanent.id}: ${permanent.reason}: ${permanent.message}`;
    end();
    return undefined;
  }
  if (transient?.state === 'Failed') {
    task.lastError = `${transient.id}: ${transient.reason}: ${transient.message}`;
    if (task.attempts - retryBase >= RETRY_BUDGET) {
      task.state = 'Failed';
      task.lastError = `retry budget of ${RETRY_BUDGET} attempts spent; last: ${task.lastError}`;
      end();
      return undefined;
    }
    const delay = Math.max(retryDelayMs(task.attempts - retryBase), transient.retryAfterMs ?? 0);
    task.nextRetryAt = rfc3339(new Date(now.getTime() + delay));
    return delay;
  }
  if (pending.length > 0) return Math.min(...pending.map((p) => (p.state === 'InProgress' ? p.retryAfterMs : 1000)));
  task.state = 'Succeeded';
  end();
  delete task.lastError;
  return undefined;
}
