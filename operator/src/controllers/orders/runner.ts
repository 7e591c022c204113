/**
 * Runs the frozen plan of a started order: sites in parallel, steps of a site in order, the
 * items of a step in parallel through the drivers. Every task change is persisted as it
 * happens, coalesced (one status patch in flight, the latest tasks next) and as a merge patch
 * of `status.tasks` only — never the plan — so a restart resumes exactly where it was.
 */
import type { Task } from '../../api/index.ts';
import type { PlanItem } from '../../planner/types.ts';
import { executeItems, mapLimit } from '../execute.ts';
import type { ExecuteOptions, ItemOp, ItemResult } from '../execute.ts';
import type { RunEnv } from './plugin.ts';
import { beginAttempt, isSiteStep, recordAttempt, summarizeTasks, taskGate } from './tasks.ts';
import type { TaskSummary } from './tasks.ts';

export interface RunOptions {
  /** Persists `tasks` (the runner calls it coalesced: never two at once). */
  persist(tasks: Task[]): Promise<void>;
  /** Runs a final step (archive, notify, ...) at its site. */
  final(task: Task): Promise<ItemResult[]>;
  finalSteps: readonly string[];
  env: RunEnv;
  uid: string;
  now(): Date;
  siteConcurrency: number;
  itemConcurrency: number;
}

export interface RunOutcome {
  summary: TaskSummary;
  tasks: Task[];
  /** When to look again (summary Running). */
  waitMs: number;
}

/** The driver operations of the items of one step at one site. */
export function stepOps(items: readonly PlanItem[], site: string, step: string): ItemOp[] {
  return items
    .filter((i) => i.site === site && i.step === step)
    .flatMap((i) => (i.ops ?? []).map((o): ItemOp => ({ op: o.op, capability: o.capability, type: o.type, key: o.key, ...(o.spec !== undefined ? { spec: o.spec } : {}), step })));
}

/** A coalescing writer: at most one persist in flight; changes made meanwhile go in the next. */
export function coalesced(tasks: Task[], persist: (tasks: Task[]) => Promise<void>): { mark(): Promise<void>; settle(): Promise<void> } {
  let inFlight: Promise<void> | undefined;
  let dirty = false;
  let error: unknown;
  const flush = async (): Promise<void> => {
    while (dirty) {
      dirty = false;
      await persist(structuredClone(tasks));
    }
  };
  return {
    mark() {
      dirty = true;
      inFlight ??= flush()
        .catch((err: unknown) => void (error ??= err))
        .finally(() => (inFlight = undefined));
      return inFlight;
    },
    /** Waits for the last write; throws the first write error (the run is then retried). */
    async settle() {
      while (inFlight) await inFlight;
      if (error !== undefined) throw error;
    },
  };
}

export async function runTasks(current: readonly Task[], items: readonly PlanItem[], opts: RunOptions): Promise<RunOutcome> {
  const tasks: Task[] = structuredClone([...current]);
  const writer = coalesced(tasks, opts.persist);
  const waits: number[] = [];
  const exec: ExecuteOptions = { ...opts.env.execute, uid: opts.uid, signal: opts.env.ctx.signal, concurrency: opts.itemConcurrency };

  /** One attempt of a task if its time has come; whether the next step of its site may go on. */
  const attempt = async (task: Task, call: () => Promise<ItemResult[]>, opsPerItem?: readonly number[]): Promise<boolean> => {
    const gate = taskGate(task, opts.now());
    if (gate.action === 'done') return true;
    if (gate.action === 'failed') return false;
    if (gate.action === 'wait') {
      waits.push(gate.delayMs);
      return false;
    }
    beginAttempt(task, opts.now());
    // Recorded before the calls when there is work to do, so a long step shows as Running.
    if ((task.items?.total ?? 1) > 0) void writer.mark();
    const results = await call();
    const wait = recordAttempt(task, results, opts.now(), opsPerItem);
    if (wait !== undefined) waits.push(wait);
    void writer.mark();
    return task.state === 'Succeeded';
  };

  const siteTasks = tasks.filter((t) => isSiteStep(t, opts.finalSteps));
  const sites = [...new Set(siteTasks.map((t) => t.site))];
  await mapLimit(sites, opts.siteConcurrency, async (siteName) => {
    const site = opts.env.sites.get(siteName);
    for (const task of siteTasks.filter((t) => t.site === siteName)) {
      if (!site) {
        if (task.state === 'Succeeded') continue;
        task.state = 'Failed';
        task.lastError = `SiteNotFound: site ${siteName} no longer exists`;
        void writer.mark();
        return;
      }
      const ops = stepOps(items, siteName, task.step);
      const opsPerItem = items.filter((i) => i.site === siteName && i.step === task.step).map((i) => (i.ops ?? []).length);
      if (!(await attempt(task, () => (ops.length > 0 ? executeItems(site, ops, exec) : Promise.resolve([])), opsPerItem))) return;
    }
  });

  if (summarizeTasks(siteTasks) === 'Succeeded') {
    for (const task of tasks.filter((t) => !isSiteStep(t, opts.finalSteps))) {
      if (!(await attempt(task, () => opts.final(task)))) break;
    }
  }
  await writer.settle();
  const summary = summarizeTasks(tasks);
  return { summary, tasks, waitMs: waits.length > 0 ? Math.max(50, Math.min(...waits)) : 1000 };
}
