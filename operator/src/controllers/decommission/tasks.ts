/** Per-site tasks of a decommission and their state transitions (pure). */
import type { Task } from '../../api/index.ts';
import { DECOMMISSION_STEPS } from '../../planner/decommission.ts';
import type { PlanItem } from '../../planner/types.ts';
import { FINAL_STEPS } from './executable.ts';

/** Attempts a step gets for transient failures before the order fails. */
export const RETRY_BUDGET = 8;
const BASE_RETRY_MS = 2_000;
const MAX_RETRY_MS = 5 * 60_000;

/** Delay before attempt `attempts + 1` after a transient failure: 2 s doubling, at most 5 min. */
export function retryDelayMs(attempts: number): number {
  return Math.min(MAX_RETRY_MS, BASE_RETRY_MS * 2 ** Math.max(0, attempts - 1));
}

/** One Pending task per site and step (every step listed, even with no items), then the final steps at the first site. */
export function initialTasks(items: readonly PlanItem[], sites: readonly string[]): Task[] {
  const count = (site: string, step: string): number => items.filter((i) => i.site === site && i.step === step).length;
  const tasks: Task[] = sites.flatMap((site) =>
    DECOMMISSION_STEPS.map((step): Task => ({ site, step, state: 'Pending', attempts: 0, items: { total: count(site, step), done: 0 } })),
  );
  const first = sites[0];
  if (first !== undefined) for (const step of FINAL_STEPS) tasks.push({ site: first, step, state: 'Pending', attempts: 0 });
  return tasks;
}

/** Whether a task belongs to the per-site steps (not the final archive/notify). */
export function isSiteStep(task: Pick<Task, 'step'>): boolean {
  return (DECOMMISSION_STEPS as readonly string[]).includes(task.step);
}

/** Failed tasks go back to Pending with a fresh retry budget (the `occupier.dev/retry` annotation). */
export function resetFailed(tasks: readonly Task[]): Task[] {
  return tasks.map((t) => {
    if (t.state !== 'Failed') return t;
    const { nextRetryAt: _n, completedAt: _c, ...rest } = t;
    return { ...rest, state: 'Pending', attempts: 0 };
  });
}

export type TaskSummary = 'Succeeded' | 'Failed' | 'Running';

export function summarizeTasks(tasks: readonly Task[]): TaskSummary {
  if (tasks.some((t) => t.state === 'Failed')) return 'Failed';
  if (tasks.every((t) => t.state === 'Succeeded')) return 'Succeeded';
  return 'Running';
}
