/**
 * The one order engine: the lifecycle every order shares, written once. A kind plugs in what
 * differs (`plugin.ts`). In order:
 *
 *   schedule gate → prerequisites (all listed, re-checked with backoff) → approval gate →
 *   start (plan and tasks frozen into status; cheap, and separate from the run) → run (per
 *   site tasks, `runner.ts`) → finish (Succeeded or Failed + Warning Event) → retry
 *   (`occupier.dev/retry=true`) → archive of the record when the order is deleted.
 *
 * The start of a due order and the run of a started one go beside the controller's workers
 * (`runs.ts`): a reconcile launches them and returns, so no worker is held for a run.
 *
 * The engine writes only the order's own status (the Occupier controller derives the
 * occupier's phase from the orders). Each step below is a top-level function over `Step`.
 */
import type { OccupierResource, OrderStatus, Task } from '../../api/index.ts';
import { conflictingOrder } from '../../planner/prerequisites.ts';
import type { Failure, OrderSummary } from '../../planner/types.ts';
import { finalizer, getCondition, OwnWrites, rfc3339, updateStatus } from '../../runtime/index.ts';
import type { Clock, EventRecorder, ReconcileContext, ReconcileResult, Reconciler, ResourceClient } from '../../runtime/index.ts';
import type { DriverMetrics } from '../../../../drivers/src/call.ts';
import { BlobLostError } from '../blobs.ts';
import { executeItems } from '../execute.ts';
import type { DriverResolver, ItemResult } from '../execute.ts';
import { awaitingApproval, blocked, blockedMessage, CONDITION, failed, milestone, REASON, retrying, running, scheduled, succeeded } from './conditions.ts';
import type { StatusChange } from './conditions.ts';
import type { OrderMetrics } from './metrics.ts';
import { approvedFor, previewPlan } from './approval.ts';
import { INLINE_PLAN_BYTES, planItemsOf, savePlan, sha256 } from './planstore.ts';
import type { PlanStore } from './planstore.ts';
import type { AnyOrder, OrderPlan, OrderPlugin, RunEnv } from './plugin.ts';
import { requesterChange } from './requester.ts';
import { runTasks } from './runner.ts';
import type { Lane, OrderRuns } from './runs.ts';
import { scheduleGate } from './schedule.ts';
import { initialTasks, NOTIFY_STEP, resetFailed } from './tasks.ts';

export const ORDER_FINALIZER = 'occupier.dev/order';
export const APPROVE_ANNOTATION = 'occupier.dev/approve';
export const RETRY_ANNOTATION = 'occupier.dev/retry';

const BLOCKED_MIN_MS = 5_000;
const BLOCKED_MAX_MS = 5 * 60_000;

export interface EngineDeps<R extends AnyOrder, G> {
  plugin: OrderPlugin<R, G>;
  client: ResourceClient<R>;
  occupiers: { get(key: string): OccupierResource | undefined };
  sites: RunEnv['sites'];
  /** Every order (any kind) of the occupier `namespace/name`. */
  ordersFor(occupierKey: string): OrderSummary[];
  drivers: DriverResolver;
  driverMetrics?: DriverMetrics;
  orderMetrics?: OrderMetrics;
  events: EventRecorder;
  clock: Clock;
  /**
   * The occupier as orders must see it: its spec with completed orders applied (a move's
   * destination, not its source, while Git has not caught up). Default: as it is.
   */
  effective?(occupier: OccupierResource): OccupierResource;
  /** Keeps plans too large for status (absent: every plan inline, whatever its size). */
  planStore?: PlanStore;
  /** Largest plan (JSON bytes) kept inline in status (default 64 KiB). */
  inlinePlanBytes?: number;
  /** Sites run at once (default 5) and driver calls in flight per step (default 32). */
  siteConcurrency?: number;
  itemConcurrency?: number;
  /**
   * Starts and runs beside the workers (`runs.ts`): a reconcile launches them and returns;
   * `enqueue` brings the order back when one ends. Absent: they run inside the reconcile.
   */
  runs?: { tracker: OrderRuns; enqueue(key: string): void };
  /** Its own last status writes: `OwnWrites.following(cache)` forgets each as the cache catches up (absent: one per engine, kept until a pass sees the cache caught up, or the TTL). */
  ownWrites?: OwnWrites<AnyOrder>;
}

/** One reconcile of one order: the deps, the order as last known, and the time. */
export interface Step<R extends AnyOrder, G> {
  deps: EngineDeps<R, G>;
  order: R;
  ctx: ReconcileContext;
  now(): Date;
  /** Writes a status change; false when nothing changed or `guard` refused. */
  write(change: StatusChange, guard?: (s: OrderStatus) => boolean): Promise<boolean>;
}

/** `kubectl -n <ns> <verb> <kind> <name> ...` as a user types it. */
export function kubectlHint<R extends AnyOrder>(plugin: OrderPlugin<R>, order: R, args: string): string {
  return `kubectl -n ${order.metadata.namespace} ${args.replace('{}', `${plugin.kubectlName} ${order.metadata.name}`)}`;
}

function isoOf(v: unknown): string | undefined {
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'string' ? v : undefined;
}

const occupierKey = (o: AnyOrder): string => `${o.metadata.namespace}/${o.spec.occupierRef.name}`;

function summaryOf<R extends AnyOrder>(plugin: OrderPlugin<R>, o: R): OrderSummary {
  return { kind: plugin.kind, name: o.metadata.name ?? '', occupier: o.spec.occupierRef.name, phase: o.status?.phase, startedAt: o.status?.startedAt, createdAt: isoOf(o.metadata.creationTimestamp) };
}

export function executeOpts<R extends AnyOrder, G>(deps: EngineDeps<R, G>): RunEnv['execute'] {
  return { drivers: deps.drivers, ...(deps.driverMetrics ? { metrics: deps.driverMetrics } : {}) };
}

// ---------------------------------------------------------------------------------------
// Before the run
// ---------------------------------------------------------------------------------------

/** Ends the order without success (before its run or after a failed step), once. */
export async function failOrder<R extends AnyOrder, G>(s: Step<R, G>, reason: string, message: string): Promise<void> {
  const at = s.now();
  const wrote = await s.write(failed(reason, message, rfc3339(at)), (st) => st.phase !== 'Failed' && st.phase !== 'Succeeded');
  if (!wrote) return;
  void s.deps.events.warning(s.order, reason, message);
  const startedAt = s.order.status?.startedAt;
  if (startedAt) s.deps.orderMetrics?.duration.observe({ kind: s.deps.plugin.kind, result: 'Failed' }, (at.getTime() - Date.parse(startedAt)) / 1000);
}

/** The schedule gate: wait, refuse a time already past, or fail a missed one. Undefined: due. */
export async function gateSchedule<R extends AnyOrder, G>(s: Step<R, G>): Promise<ReconcileResult | undefined> {
  const { order, deps } = s;
  const created = isoOf(order.metadata.creationTimestamp);
  const previousFor = order.status?.scheduledFor;
  const gate = scheduleGate({
    scheduledAt: order.spec.scheduledAt,
    createdAt: created ? new Date(created) : s.now(),
    now: s.now(),
    startingDeadlineSeconds: order.spec.startingDeadlineSeconds,
    previousFor,
  });
  switch (gate.action) {
    case 'Due':
      if (previousFor !== undefined && previousFor !== gate.forText) {
        // Rescheduled to now (scheduledAt removed, or moved to a time already come): the plan's
        // dates follow the new schedule, not the one it was waiting for.
        const now = order.spec.scheduledAt === undefined;
        await s.write((st) => {
          if (now) delete st.scheduledFor;
          else st.scheduledFor = gate.forText;
        });
        void deps.events.normal(order, REASON.Rescheduled, `rescheduled from ${previousFor} to ${now ? 'now (spec.scheduledAt removed)' : gate.forText}: it runs now`);
      }
      return undefined;
    case 'Refused': {
      const failure = { reason: gate.reason, message: gate.message };
      const prev = getCondition(order.status?.conditions ?? [], CONDITION.Blocked);
      await s.write((st, g, n) => {
        blocked([failure])(st, g, n);
        if (gate.forText) st.scheduledFor = gate.forText;
      });
      if (prev?.status !== 'True' || prev.message !== failure.message) void deps.events.warning(order, gate.reason, gate.message);
      // A spec edit (a new generation) re-evaluates it; nothing changes by waiting.
      return {};
    }
    case 'Missed':
      deps.orderMetrics?.missed.inc({ kind: deps.plugin.kind });
      await failOrder(s, REASON.MissedSchedule, gate.message);
      return {};
    case 'Wait': {
      const hint = `edit spec.scheduledAt to reschedule, or cancel with: ${kubectlHint(deps.plugin, order, 'delete {}')}`;
      await s.write(scheduled(gate.forText, hint));
      if (gate.rescheduled) void deps.events.normal(order, REASON.Rescheduled, `rescheduled from ${previousFor} to ${gate.forText}`);
      else if (previousFor === undefined || order.status?.phase !== 'Scheduled') void deps.events.normal(order, REASON.Scheduled, `${deps.plugin.text.what(order)} scheduled for ${gate.forText}`);
      return { requeueAfter: gate.delayMs };
    }
  }
}

/** Every unmet prerequisite (the kind's own, then ConflictingOrder). */
export function prerequisiteFailures<R extends AnyOrder, G>(deps: EngineDeps<R, G>, order: R, occupier: OccupierResource, gathered: G, now: Date): Failure[] {
  const own = deps.plugin.prerequisites(order, occupier, gathered, now);
  const conflict = conflictingOrder({ occupier, self: summaryOf(deps.plugin, order), orders: deps.ordersFor(occupierKey(order)), sites: new Map(), now });
  return conflict ? [...own, conflict] : own;
}

/** Blocked: listed, a Warning Event when the reasons change, re-checked with backoff. */
export async function block<R extends AnyOrder, G>(s: Step<R, G>, failures: Failure[]): Promise<ReconcileResult> {
  const prev = getCondition(s.order.status?.conditions ?? [], CONDITION.Blocked);
  const message = blockedMessage(failures);
  const at = s.now().getTime();
  const since = prev?.status === 'True' ? Date.parse(prev.lastTransitionTime) : at;
  await s.write(blocked(failures));
  if (prev?.status !== 'True' || prev.message !== message) void s.deps.events.warning(s.order, failures[0]?.reason ?? 'Blocked', message);
  // Wait as long again as it has been blocked (5 s .. 5 min).
  return { requeueAfter: Math.min(BLOCKED_MAX_MS, Math.max(BLOCKED_MIN_MS, at - since)) };
}

/** Due: gather, check, plan; wait for approval or start. */
export async function prepare<R extends AnyOrder, G>(s: Step<R, G>, occupier: OccupierResource): Promise<ReconcileResult> {
  const { deps, order } = s;
  const plugin = deps.plugin;
  const at = s.now();
  let gathered: G;
  try {
    gathered = await plugin.gather(order, occupier, { sites: deps.sites, ordersFor: deps.ordersFor, execute: executeOpts(deps), ctx: s.ctx, now: at });
  } catch (err) {
    throw new Error(`gathering what ${plugin.text.what(order)} needs failed: ${(err as Error).message}`, { cause: err });
  }
  const failures = prerequisiteFailures(deps, order, occupier, gathered, at);
  const plan = plugin.plan(order, occupier, gathered, at);
  if (failures.length > 0) {
    // The review shows what is unmatched even while Blocked.
    if (plan.unmatched?.length) await s.write((st) => void (st.plan = { computedAt: rfc3339(at), summary: plan.summary, unmatched: plan.unmatched ?? [] }));
    return block(s, failures);
  }
  const planStatus = await freezePlan(s, plan, at);
  if (order.spec.approval === 'Manual' && !(await approvedFor(s, planStatus))) {
    const hint = kubectlHint(plugin, order, `annotate {} ${APPROVE_ANNOTATION}=true`);
    const was = s.order.status?.phase;
    await s.write(awaitingApproval(planStatus, hint));
    if (was !== 'AwaitingApproval') void deps.events.normal(order, REASON.AwaitingApproval, `${plugin.text.what(order)} waits for approval: ${plan.summary}; review status.plan, then: ${hint}`);
    return {};
  }
  return start(s, planStatus, initialTasks(plan.steps, (plugin.finalSteps ?? []).map((f) => f.step)));
}

/** The plan as status holds it: its items inline when small, else in the plan store. */
export async function freezePlan<R extends AnyOrder, G>(s: Step<R, G>, plan: OrderPlan, at: Date): Promise<NonNullable<OrderStatus['plan']>> {
  const items = plan.steps.flatMap((st) => st.items.map((i) => ({ ...i, site: st.site, step: st.step })));
  const counts: Record<string, number> = {};
  for (const i of items) counts[`${i.kind}/${i.action}`] = (counts[`${i.kind}/${i.action}`] ?? 0) + 1;
  const json = JSON.stringify(items);
  const digest = sha256(json);
  const base = { computedAt: rfc3339(at), summary: plan.summary, itemCount: items.length, counts, digest, ...(plan.unmatched?.length ? { unmatched: plan.unmatched } : {}) };
  const store = s.deps.planStore;
  if (!store || Buffer.byteLength(json) <= (s.deps.inlinePlanBytes ?? INLINE_PLAN_BYTES)) return { ...base, items };
  return { ...base, stored: await savePlan(store, s.order, items) };
}


/** Start: stamp `startedAt`, freeze plan and tasks. Cheap; the run is the next reconcile. */
export async function start<R extends AnyOrder, G>(s: Step<R, G>, plan: NonNullable<OrderStatus['plan']>, tasks: Task[]): Promise<ReconcileResult> {
  const { deps, order } = s;
  const approved = order.status?.phase === 'AwaitingApproval';
  const message = `${deps.plugin.text.what(order)}: ${plan.summary}`;
  const wrote = await s.write(running(plan, tasks, rfc3339(s.now()), message), (st) => st.startedAt === undefined);
  if (!wrote) return { requeueAfter: 0 };
  if (approved) void deps.events.normal(order, REASON.Approved, `approved with ${APPROVE_ANNOTATION}=true`);
  void deps.events.normal(order, REASON.Started, `${message} (started)`);
  return { requeueAfter: 0 };
}

// ---------------------------------------------------------------------------------------
// The run and its end
// ---------------------------------------------------------------------------------------

/** Runs what is due of a started order; finishes it when every task has ended. */
export async function runOrder<R extends AnyOrder, G>(s: Step<R, G>): Promise<ReconcileResult> {
  const { deps, order } = s;
  const uid = order.metadata.uid ?? occupierKey(order);
  const env: RunEnv = { sites: deps.sites, execute: executeOpts(deps), ctx: s.ctx };
  const finals = deps.plugin.finalSteps ?? [];
  let items;
  try {
    items = await planItemsOf(s.order, s.deps.planStore);
  } catch (err) {
    if (!(err instanceof BlobLostError)) throw err;
    // Waiting would never bring it back, and a run without the plan it froze could do other than what was reviewed.
    await failOrder(s, REASON.PlanLost, `the frozen plan of ${deps.plugin.text.what(order)} is lost: ${err.message}. The order cannot resume; the steps that ended are in status.tasks. To plan and run what is left again, delete it (${kubectlHint(deps.plugin, order, 'delete {}')}) and apply its manifest again (or let your GitOps sync do it)`);
    return {};
  }
  const outcome = await runTasks(order.status?.tasks ?? [], items, {
    persist: async (tasks) => {
      const updated = await deps.client.mergePatchStatus(order.metadata.namespace, order.metadata.name ?? '', { status: { tasks } });
      remember(deps, updated);
      s.order = updated;
    },
    final: (task) => {
      if (task.step === NOTIFY_STEP) return notify(s, task.site, uid);
      const f = finals.find((x) => x.step === task.step);
      return f ? f.run(order, env) : Promise.resolve([]);
    },
    finalSteps: finals.map((f) => f.step),
    env,
    uid,
    now: s.now,
    siteConcurrency: deps.siteConcurrency ?? 5,
    itemConcurrency: deps.itemConcurrency ?? 32,
  });
  await reachMilestones(s, outcome.tasks);
  if (outcome.summary === 'Succeeded') return finishSucceeded(s);
  if (outcome.summary === 'Failed') return finishFailed(s, outcome.tasks);
  return { requeueAfter: outcome.waitMs };
}

/** Sets the plug-in's milestone conditions the tasks have reached, each once, with an Event. */
export async function reachMilestones<R extends AnyOrder, G>(s: Step<R, G>, tasks: readonly Task[]): Promise<void> {
  for (const m of s.deps.plugin.milestones ?? []) {
    if (!m.reached(s.order, tasks)) continue;
    const message = m.message(s.order);
    const wrote = await s.write(milestone(m.type, message), (st) => !(st.conditions ?? []).some((c) => c.type === m.type && c.status === 'True'));
    if (wrote) void s.deps.events.normal(s.order, m.type, message);
  }
}

/** The completion message to `spec.notify` (none: nothing to send). */
async function notify<R extends AnyOrder, G>(s: Step<R, G>, siteName: string, uid: string): Promise<ItemResult[]> {
  const recipients = s.order.spec.notify ?? [];
  const site = s.deps.sites.get(siteName);
  if (recipients.length === 0 || !site) return [];
  const text = s.deps.plugin.text.succeeded(s.order);
  const body = `${text}. ${s.order.status?.plan?.summary ?? ''} (${s.deps.plugin.kind} ${s.order.metadata.namespace}/${s.order.metadata.name})`;
  const spec = { recipients, subject: text, body };
  return executeItems(site, [{ op: 'ensure', capability: 'notify', type: 'message', key: `${uid}-completed`, spec, step: NOTIFY_STEP }], { ...executeOpts(s.deps), uid, signal: s.ctx.signal });
}

/** Succeeded, once: the condition, the Event and the duration are recorded by the write that makes it so. */
export async function finishSucceeded<R extends AnyOrder, G>(s: Step<R, G>): Promise<ReconcileResult> {
  const { deps, order } = s;
  const at = s.now();
  const text = deps.plugin.text.succeeded(order);
  const wrote = await s.write(succeeded(text, rfc3339(at)), (st) => st.phase === 'Running');
  if (!wrote) return {};
  const startedAt = order.status?.startedAt;
  if (startedAt) deps.orderMetrics?.duration.observe({ kind: deps.plugin.kind, result: 'Succeeded' }, (at.getTime() - Date.parse(startedAt)) / 1000);
  void deps.events.normal(order, REASON.Succeeded, text);
  return {};
}

async function finishFailed<R extends AnyOrder, G>(s: Step<R, G>, tasks: Task[]): Promise<ReconcileResult> {
  const bad = tasks.find((t) => t.state === 'Failed');
  const hint = kubectlHint(s.deps.plugin, s.order, `annotate {} ${RETRY_ANNOTATION}=true`);
  const message = `step ${bad?.step} at ${bad?.site} failed after ${bad?.attempts ?? 0} attempt(s): ${bad?.lastError ?? 'unknown'}. Raise a case with the provider, fix the cause, then resume with: ${hint}`;
  await failOrder(s, REASON.StepFailed, message);
  return {};
}

/** `occupier.dev/retry=true` on a Failed order that had started: resume from the failed step. */
export async function retryOrder<R extends AnyOrder, G>(s: Step<R, G>): Promise<ReconcileResult> {
  const { deps, order } = s;
  const wrote = await s.write((st, g, n) => retrying(resetFailed(st.tasks ?? []))(st, g, n), (st) => st.phase === 'Failed');
  const path = `/metadata/annotations/${RETRY_ANNOTATION.replace('/', '~1')}`;
  await deps.client.jsonPatch(order.metadata.namespace, order.metadata.name ?? '', [
    { op: 'test', path, value: 'true' },
    { op: 'remove', path },
  ]);
  if (wrote) void deps.events.normal(order, REASON.Retrying, `resuming ${deps.plugin.text.what(order)} from the failed step`);
  return { requeueAfter: 0 };
}

// ---------------------------------------------------------------------------------------
// Deletion: cancel before the start, wait while running, archive the record after the end
// ---------------------------------------------------------------------------------------

export async function cleanupOrder<R extends AnyOrder, G>(s: Step<R, G>): Promise<ReconcileResult | void> {
  const { deps, order } = s;
  const phase = order.status?.phase;
  const what = deps.plugin.text.what(order);
  if (phase === 'Running') throw new Error(`${what} is running: deletion waits until it ends`);
  if (phase === 'Succeeded' && deps.plugin.kind !== 'Decommission') {
    // The order is the record of what changed until Git says so too: without it, the
    // Occupier controller would provision the old spec again.
    const drift = deps.occupiers.get(occupierKey(order))?.status?.specDrift ?? [];
    if (drift.length > 0) {
      const message = `deletion waits until Git declares the result of ${what}: change ${drift.join('; ')} in the Occupier spec (its SpecDrift condition)`;
      void deps.events.warning(order, 'DeletionWaitsForGit', message);
      throw new Error(message);
    }
  }
  if (phase === 'Succeeded' || phase === 'Failed') {
    const site = deps.sites.get(order.status?.tasks?.[0]?.site ?? '');
    if (site) {
      const key = `order/${order.metadata.namespace}/${order.metadata.name}`;
      const record = { order: key, kind: deps.plugin.kind, phase, startedAt: order.status?.startedAt, completedAt: order.status?.completedAt, plan: order.status?.plan?.summary, tasks: order.status?.tasks };
      const history = { contracts: [], occupancies: [], services: [], callCharges: [], accessLogs: [], bookings: [record] };
      const [r] = await executeItems(site, [{ op: 'ensure', capability: 'records', type: 'archive', key, spec: { occupier: occupierKey(order), history }, step: 'archive-order' }], {
        ...executeOpts(deps),
        uid: order.metadata.uid ?? key,
      });
      if (r && r.state !== 'Done') throw new Error(`archiving the record of ${key} before deletion: ${r.state === 'Failed' ? r.message : 'in progress'}`);
    }
    return undefined;
  }
  void deps.events.normal(order, REASON.Cancelled, `${what} cancelled before it started`);
  return undefined;
}

// ---------------------------------------------------------------------------------------

/** The newest object this engine wrote per order, per engine (the cache may not have caught up yet). */
const written = new WeakMap<object, OwnWrites<AnyOrder>>();

function ownWrites<R extends AnyOrder, G>(deps: EngineDeps<R, G>): OwnWrites<AnyOrder> {
  if (deps.ownWrites) return deps.ownWrites;
  let w = written.get(deps);
  if (!w) written.set(deps, (w = new OwnWrites<AnyOrder>()));
  return w;
}

function remember<R extends AnyOrder, G>(deps: EngineDeps<R, G>, obj: AnyOrder): void {
  ownWrites(deps).remember(obj);
}

function stepFor<R extends AnyOrder, G>(deps: EngineDeps<R, G>, order: R, ctx: ReconcileContext): Step<R, G> {
  const now = (): Date => new Date(deps.clock.now());
  const s: Step<R, G> = {
    deps,
    order,
    ctx,
    now,
    write: async (change, guard) => {
      let changed = false;
      const updated = await updateStatus(
        deps.client,
        s.order.metadata.namespace,
        s.order.metadata.name ?? '',
        (fresh) => {
          // `fresh` is updateStatus's own copy of metadata and status: changed in place.
          const next: OrderStatus = fresh.status ?? {};
          if (guard && !guard(next)) return false;
          const before = JSON.stringify(next);
          change(next, fresh.metadata.generation, now());
          next.observedGeneration = fresh.metadata.generation ?? 0;
          if (JSON.stringify(next) === before) return false;
          fresh.status = next;
          changed = true;
          return true;
        },
        { current: s.order },
      );
      if (changed) {
        remember(deps, updated);
        s.order = updated;
      }
      return changed;
    },
  };
  return s;
}

async function apply<R extends AnyOrder, G>(s: Step<R, G>): Promise<ReconcileResult | void> {
  const requester = requesterChange(s.order);
  if (requester) await s.write(requester);
  const { deps, order } = s;
  const phase = order.status?.phase;
  if (phase === 'Succeeded') return undefined;
  if (phase === 'Failed') {
    if (order.metadata.annotations?.[RETRY_ANNOTATION] !== 'true' || !order.status?.startedAt) return undefined;
    return retryOrder(s);
  }
  if (phase === 'Running') return detach(s, 'run', runOrder);

  const cached = deps.occupiers.get(occupierKey(order));
  const occupier = cached && deps.effective ? deps.effective(cached) : cached;
  if (!occupier) {
    const failure = { reason: REASON.OccupierNotFound, message: `occupier ${order.spec.occupierRef.name} does not exist in namespace ${order.metadata.namespace}` };
    await block(s, [failure]);
    return { requeueAfter: 30_000 };
  }
  const refusal = deps.plugin.refuse?.(order, occupier);
  if (refusal) {
    await failOrder(s, refusal.reason, refusal.message);
    return undefined;
  }
  const waiting = await gateSchedule(s);
  if (waiting) {
    if (order.spec.approval === 'Manual' && s.order.status?.phase === 'Scheduled') await previewPlan(s, occupier);
    return waiting;
  }
  return detach(s, 'start', (st) => prepare(st, occupier));
}

/**
 * The start of a due order or the run of a started one, beside the workers when the engine
 * has `runs` (the reconcile returns at once; the order comes back when the work ends), else
 * inside this reconcile.
 */
function detach<R extends AnyOrder, G>(s: Step<R, G>, lane: Lane, work: (s: Step<R, G>) => Promise<ReconcileResult>): Promise<ReconcileResult> | ReconcileResult {
  const runs = s.deps.runs;
  if (!runs) return work(s);
  const key = s.ctx.key;
  runs.tracker.launch(s.order.metadata.uid ?? key, lane, (signal) => {
    s.ctx = { ...s.ctx, signal };
    return work(s);
  }, () => runs.enqueue(key));
  return {};
}

/**
 * Before a pass, with `runs`: an order whose start or run is in flight is left to it (it
 * comes back when that ends); the outcome of one that ended is taken — its error thrown
 * (retried with backoff), its result returned — unless something changed meanwhile or it
 * asks to go on at once. Undefined: reconcile as usual.
 */
function outcomeOf<R extends AnyOrder, G>(deps: EngineDeps<R, G>, uid: string): ReconcileResult | undefined {
  const tracker = deps.runs?.tracker;
  if (!tracker) return undefined;
  if (tracker.claimIfActive(uid)) return {};
  const last = tracker.take(uid);
  if (!last) return undefined;
  if (last.error !== undefined) throw last.error;
  if (last.dirty || last.result?.requeueAfter === 0) return undefined;
  return last.result ?? {};
}

/** The reconciler of one order kind on the engine. */
export function orderReconciler<R extends AnyOrder, G>(deps: EngineDeps<R, G>): Reconciler<R> {
  return async (cached, ctx) => {
    if (!cached) return undefined;
    const pending = outcomeOf(deps, cached.metadata.uid ?? ctx.key);
    if (pending) return pending;
    const order = ownWrites(deps).freshest(cached);
    return finalizer(deps.client, order, ORDER_FINALIZER, {
      apply: (o) => apply(stepFor(deps, o, ctx)),
      cleanup: (o) => cleanupOrder(stepFor(deps, o, ctx)),
      // An order created to run now is on its requester's critical path: no extra round trip.
      applyAfterAdd: true,
    });
  };
}

/**
 * Order updates that others (the Occupier controller, other orders' prerequisites) depend on:
 * a new phase, start or end, a spec change, deletion — not task progress.
 */
export function orderLifecycleChanged<R extends AnyOrder>(oldObj: R, newObj: R): boolean {
  const o = oldObj.status;
  const n = newObj.status;
  if (o?.phase !== n?.phase || o?.startedAt !== n?.startedAt || o?.completedAt !== n?.completedAt) return true;
  if (oldObj.metadata.generation !== newObj.metadata.generation) return true;
  return (oldObj.metadata.deletionTimestamp === undefined) !== (newObj.metadata.deletionTimestamp === undefined);
}
