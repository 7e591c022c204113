/**
 * `kubectl occupier tasks <kind>/<name>`: the order's `status.tasks` as the manual's Tasks page
 * — per site and step: state, attempts, items done, when it next runs (a retry, or a step that
 * waits for its `notBefore`), last error — filtered by state, site and step.
 */
import type { Task, TaskState } from '../api/index.ts';
import type { OrderKind, Output } from './args.ts';
import type { PlanView } from './plan.ts';
import { orderFacts } from './plan.ts';
import type { Out } from './render.ts';
import { colourState, hint, oneLine, table, until } from './render.ts';
import type { Session } from './session.ts';

export interface TaskFilter {
  states: TaskState[];
  sites: string[];
  steps: string[];
}

export interface TasksView {
  order: PlanView['order'];
  filter: TaskFilter;
  /** Tasks of the order before filtering. */
  total: number;
  tasks: Task[];
}

/** The tasks that pass every filter given (an empty filter passes all). */
export function filterTasks(tasks: readonly Task[], f: TaskFilter): Task[] {
  return tasks.filter(
    (t) => (f.states.length === 0 || f.states.includes(t.state)) && (f.sites.length === 0 || f.sites.includes(t.site)) && (f.steps.length === 0 || f.steps.includes(t.step)),
  );
}

export async function tasksView(session: Session, kind: OrderKind, name: string, filter: TaskFilter): Promise<TasksView> {
  const order = await session.orders(kind).get(session.namespace, name);
  const all = order.status?.tasks ?? [];
  return { order: orderFacts(kind, order), filter, total: all.length, tasks: filterTasks(all, filter) };
}

/** When the task next runs: a retry after a failed attempt, or a step waiting for its notBefore. */
export function nextRun(t: Task, now: number): string {
  if (t.state === 'Succeeded') return '';
  if (t.nextRetryAt) return `retry ${until(t.nextRetryAt, now)}`;
  if (t.state === 'Pending' && t.notBefore && Date.parse(t.notBefore) > now) return `starts ${until(t.notBefore, now)}`;
  return '';
}

function filterText(f: TaskFilter): string {
  const parts = [...(f.states.length ? [`--state ${f.states.join(',')}`] : []), ...(f.sites.length ? [`--site ${f.sites.join(',')}`] : []), ...(f.steps.length ? [`--step ${f.steps.join(',')}`] : [])];
  return parts.join(' ');
}

export function renderTasks(out: Out, v: TasksView, output: Output, now: number): void {
  const o = v.order;
  const where = `${o.kind.toLowerCase()} ${o.namespace}/${o.name}`;
  if (v.total === 0) {
    process.stderr.write(`No tasks yet in ${where}: it is ${o.phase ?? 'not yet seen by the operator'} (tasks are fixed when the run begins).\n`);
    return;
  }
  const filtered = filterText(v.filter);
  if (v.tasks.length === 0) {
    process.stderr.write(`No tasks of ${where} match ${filtered} (it has ${v.total}).\n`);
    return;
  }
  const wide = output === 'wide';
  const headers = ['site', 'step', 'state', 'attempts', 'items', 'next', 'last error', ...(wide ? ['not before', 'next retry at', 'started', 'completed'] : [])];
  const rows = v.tasks.map((t) => [
    t.site,
    t.step,
    { text: t.state, shown: colourState(out, t.state) },
    String(t.attempts),
    t.items ? `${t.items.done}/${t.items.total}` : '',
    nextRun(t, now),
    oneLine(t.lastError),
    ...(wide ? [t.notBefore ?? '', t.nextRetryAt ?? '', t.startedAt ?? '', t.completedAt ?? ''] : []),
  ]);
  // The error is the last column of the narrow table; in the wide one it moves to the end.
  const order = wide ? [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 6] : headers.map((_, i) => i);
  out.write(table(order.map((i) => headers[i] ?? ''), rows.map((r) => order.map((i) => r[i] ?? ''))));
  // Notes go to stderr, as kubectl's do: stdout stays the table, for grep and awk.
  if (filtered) process.stderr.write(`${v.tasks.length} of ${v.total} tasks (${filtered})\n`);
  if (o.phase === 'Failed' && v.tasks.some((t) => t.state === 'Failed')) process.stderr.write(`Resume from the failed step: ${hint(o.namespace, `retry ${o.kind.toLowerCase()}/${o.name}`)}\n`);
}
