/**
 * The Decommission controller: seed 001, declaratively. Waits for the schedule (a date means
 * 23:00 UTC), checks the prerequisites when the run begins (all of them, Blocked with backoff),
 * optionally waits for approval, fixes the plan into status, then runs the per-site steps
 * through the drivers — sites in parallel, steps in order, items in parallel — persisting
 * every task as it changes so a restart resumes exactly where it was.
 */
import type { DriverMetrics } from '../../../../drivers/src/call.ts';
import type { DecommissionResource, OccupierResource, OccupierStatus, OrderStatus, SiteResource, Task } from '../../api/index.ts';
import { checkPrerequisites, confirmation } from '../../planner/prerequisites.ts';
import { planDecommission } from '../../planner/decommission.ts';
import { resolveSchedule, scheduleDecision } from '../../planner/schedule.ts';
import type { Observed, OrderSummary, PlanItem } from '../../planner/types.ts';
import { finalizer, getCondition, rfc3339, setCondition, updateStatus } from '../../runtime/index.ts';
import type { Clock, EventRecorder, ReconcileContext, ReconcileResult, Reconciler, ResourceClient } from '../../runtime/index.ts';
import { executeItems, listItems, mapLimit, observeItem } from '../execute.ts';
import { archiveHistory } from '../records.ts';
import type { DriverResolver, ItemResult } from '../execute.ts';
import type { OrderMetrics } from '../orders/metrics.ts';
import { executablePlan, opsFor } from './executable.ts';
import type { Booking } from './executable.ts';
import { initialTasks, isSiteStep, resetFailed, RETRY_BUDGET, retryDelayMs, summarizeTasks } from './tasks.ts';

export const CONTROLLER_NAME = 'decommission';
export const ORDER_FINALIZER = 'occupier.dev/order';
export const APPROVE_ANNOTATION = 'occupier.dev/approve';
export const RETRY_ANNOTATION = 'occupier.dev/retry';
const KIND = 'Decommission' as const;

/** Reasons of the order's conditions and Events (PascalCase). */
export const REASON = {
  Scheduled: 'Scheduled',
  Rescheduled: 'Rescheduled',
  MissedSchedule: 'MissedSchedule',
  ConfirmationMismatch: 'ConfirmationMismatch',
  OccupierNotFound: 'OccupierNotFound',
  AwaitingApproval: 'AwaitingApproval',
  Started: 'Started',
  StepFailed: 'StepFailed',
  Retrying: 'Retrying',
  Succeeded: 'Succeeded',
  Cancelled: 'Cancelled',
  RunInProgress: 'RunInProgress',
  Unblocked: 'Unblocked',
} as const;

const BLOCKED_MIN_MS = 5_000;
const BLOCKED_MAX_MS = 5 * 60_000;

export interface DecommissionDeps {
  client: ResourceClient<DecommissionResource>;
  occupierClient: ResourceClient<OccupierResource>;
  occupiers: { get(key: string): OccupierResource | undefined };
  sites: { get(name: string): SiteResource | undefined; list(): SiteResource[] };
  /** Every order (any kind) for an occupier key `namespace/name`. */
  ordersFor(occupierKey: string): OrderSummary[];
  drivers: DriverResolver;
  driverMetrics?: DriverMetrics;
  orderMetrics?: OrderMetrics;
  events: EventRecorder;
  clock: Clock;
  /** Sites decommissioned at once (default 5) and items in flight per step (default 32). */
  siteConcurrency?: number;
  itemConcurrency?: number;
}

type Cond = NonNullable<OrderStatus['conditions']>[number];

/** Timestamps from the custom-objects API are RFC 3339 strings (typed Date by client-node). */
function isoOf(v: unknown): string | undefined {
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'string' ? v : undefined;
}

export function decommissionReconciler(deps: DecommissionDeps): Reconciler<DecommissionResource> {
  const now = (): Date => new Date(deps.clock.now());
  const identityOf = (o: DecommissionResource): string => `${o.metadata.namespace}/${o.spec.occupierRef.name}`;

  /**
   * Writes the order's status through `mutate`. `current` (the object last read or written)
   * saves the GET; a conflict re-reads and re-applies `mutate`.
   */
  async function writeOrder(order: DecommissionResource, mutate: (s: OrderStatus, gen: number | undefined) => void, current?: DecommissionResource): Promise<DecommissionResource> {
    return updateStatus(
      deps.client,
      order.metadata.namespace,
      order.metadata.name ?? '',
      (fresh) => {
        const s: OrderStatus = structuredClone(fresh.status ?? {});
        mutate(s, fresh.metadata.generation);
        s.observedGeneration = fresh.metadata.generation ?? 0;
        fresh.status = s;
      },
      current ? { current } : {},
    );
  }

  function cond(s: OrderStatus, gen: number | undefined, type: string, status: 'True' | 'False', reason: string, message: string): void {
    s.conditions = setCondition<Cond>(s.conditions ?? [], { type, status, reason, message }, gen, now());
  }

  /** Sets the occupier's phase and active order (the occupier controller leaves these to orders). */
  async function writeOccupier(order: DecommissionResource, mutate: (s: OccupierStatus) => void): Promise<void> {
    const ns = order.metadata.namespace;
    const name = order.spec.occupierRef.name;
    await updateStatus(deps.occupierClient, ns, name, (fresh) => {
      const s: OccupierStatus = structuredClone(fresh.status ?? {});
      mutate(s);
      fresh.status = s;
    });
  }

  const holds = (s: OccupierStatus, order: DecommissionResource): boolean => s.activeOrder?.kind === KIND && s.activeOrder.name === order.metadata.name;

  async function releaseOccupier(order: DecommissionResource, phase: 'Active' | 'DecommissionFailed' | 'Decommissioned'): Promise<void> {
    await writeOccupier(order, (s) => {
      if (phase === 'Active') {
        if (!holds(s, order)) return;
        delete s.activeOrder;
        if (s.phase === 'DecommissionScheduled') s.phase = (s.currentSites ?? []).length > 0 ? 'Active' : 'Pending';
        return;
      }
      s.phase = phase;
      if (phase === 'Decommissioned') delete s.activeOrder;
      else s.activeOrder = { kind: KIND, name: order.metadata.name ?? '' };
    });
  }

  // -------------------------------------------------------------------------------------
  // Before the run
  // -------------------------------------------------------------------------------------

  async function fail(order: DecommissionResource, reason: string, message: string): Promise<void> {
    const at = now();
    await writeOrder(order, (s, gen) => {
      s.phase = 'Failed';
      s.completedAt = rfc3339(at);
      cond(s, gen, 'Failed', 'True', reason, message);
      cond(s, gen, 'Blocked', 'False', reason, 'the order has ended');
    });
    void deps.events.warning(order, reason, message);
    if (order.status?.startedAt) deps.orderMetrics?.duration.observe({ kind: KIND, result: 'Failed' }, (at.getTime() - Date.parse(order.status.startedAt)) / 1000);
  }

  async function observe(occupier: OccupierResource, order: DecommissionResource, ctx: ReconcileContext): Promise<{ observed: Observed; bookings: Booking[] }> {
    const handsets: { site: string; number: string; loggedIn: boolean }[] = [];
    const services: NonNullable<Observed['services']>[number][] = [];
    const bookings: Booking[] = [];
    const identity = identityOf(order);
    const opts = { drivers: deps.drivers, signal: ctx.signal, ...(deps.driverMetrics ? { metrics: deps.driverMetrics } : {}) };
    for (const entry of occupier.spec.sites) {
      const site = deps.sites.get(entry.site);
      if (!site) continue;
      await mapLimit(entry.numbers ?? [], 16, async (n) => {
        const o = await observeItem(site, { capability: 'telephony', type: 'handset', key: n.number }, opts);
        const d = (o.details ?? {}) as { loggedIn?: boolean };
        handsets.push({ site: entry.site, number: n.number, loggedIn: d.loggedIn === true });
      });
      await mapLimit(entry.services ?? [], 16, async (svc) => {
        const o = await observeItem(site, { capability: 'billing', type: 'service', key: `${identity}/${svc.name}` }, opts);
        const d = (o.details ?? {}) as { state?: string; message?: string };
        if (o.exists && d.state) services.push({ site: entry.site, name: svc.name, state: d.state as 'Active', message: d.message });
      });
      for (const b of await listItems(site, 'billing', 'booking', identity, opts)) {
        const d = b.details as { start?: string; end?: string; resource?: string; userEmail?: string };
        if (d.start && d.end && d.resource) bookings.push({ id: b.key, site: entry.site, start: d.start, end: d.end, resource: d.resource, userEmail: d.userEmail });
      }
    }
    return { observed: { handsets, services, bookings: bookings.map((b) => ({ id: b.id, site: b.site, start: b.start, user: b.userEmail })) }, bookings };
  }

  async function beforeRun(order: DecommissionResource, occupier: OccupierResource, ctx: ReconcileContext): Promise<ReconcileResult | { started: DecommissionResource }> {
    const at = now();
    const createdIso = isoOf(order.metadata.creationTimestamp);
    const created = createdIso ? new Date(createdIso) : at;
    const scheduledFor = resolveSchedule(order.spec.scheduledAt, created);
    const decision = scheduleDecision({ now: at, scheduledFor, startingDeadlineSeconds: order.spec.startingDeadlineSeconds, started: false });
    const previousFor = order.status?.scheduledFor;
    const forText = rfc3339(scheduledFor);
    if (decision.action === 'Missed') {
      deps.orderMetrics?.missed.inc({ kind: KIND });
      await fail(order, REASON.MissedSchedule, `scheduled for ${forText}, not started within startingDeadlineSeconds (${order.spec.startingDeadlineSeconds ?? 0} s): it did not run`);
      await releaseOccupier(order, 'Active');
      return {};
    }
    if (decision.action === 'Wait') {
      await writeOrder(order, (s, gen) => {
        s.phase = 'Scheduled';
        s.scheduledFor = forText;
        cond(s, gen, 'Scheduled', 'True', REASON.Scheduled, `runs at ${forText}; edit spec.scheduledAt to reschedule, delete the order to cancel`);
      });
      await claimOccupier(order, 'DecommissionScheduled');
      if (previousFor !== undefined && previousFor !== forText) void deps.events.normal(order, REASON.Rescheduled, `rescheduled from ${previousFor} to ${forText}`);
      else if (previousFor === undefined) void deps.events.normal(order, REASON.Scheduled, `decommission of ${order.spec.occupierRef.name} scheduled for ${forText}`);
      return { requeueAfter: decision.delayMs };
    }

    // Due: prerequisites, as of now, all of them.
    const self: OrderSummary = { kind: KIND, name: order.metadata.name ?? '', occupier: order.spec.occupierRef.name, phase: order.status?.phase, createdAt: isoOf(order.metadata.creationTimestamp) };
    const siteIndex = new Map(deps.sites.list().map((s) => [s.metadata.name ?? '', s]));
    let observed: Observed;
    let bookings: Booking[];
    try {
      ({ observed, bookings } = await observe(occupier, order, ctx));
    } catch (err) {
      throw new Error(`observing handsets, services and bookings failed: ${(err as Error).message}`, { cause: err });
    }
    const failures = checkPrerequisites({ occupier, sites: siteIndex, now: at, observed, self, orders: deps.ordersFor(identityOf(order)) });
    if (failures.length > 0) {
      const message = failures.map((f) => `${f.reason}: ${f.message}`).join('; ');
      const blocked = getCondition(order.status?.conditions ?? [], 'Blocked');
      const since = blocked?.status === 'True' ? Date.parse(blocked.lastTransitionTime) : at.getTime();
      await writeOrder(order, (s, gen) => {
        s.phase = 'Blocked';
        s.scheduledFor = forText;
        cond(s, gen, 'Blocked', 'True', failures[0]?.reason ?? 'Blocked', message);
      });
      if (blocked?.status !== 'True' || blocked.message !== message) void deps.events.warning(order, failures[0]?.reason ?? 'Blocked', message);
      if (!failures.some((f) => f.reason === 'ConflictingOrder')) await claimOccupier(order, 'DecommissionScheduled');
      // Re-check with backoff: wait as long again as it has been blocked (5 s .. 5 min).
      return { requeueAfter: Math.min(BLOCKED_MAX_MS, Math.max(BLOCKED_MIN_MS, at.getTime() - since)) };
    }

    const identity = identityOf(order);
    const plan = planDecommission({ occupier, sites: siteIndex, now: at, observed });
    const items = executablePlan(plan, occupier.spec, identity, bookings);
    const planStatus = { computedAt: rfc3339(at), summary: plan.summary, items };
    if (order.spec.approval === 'Manual' && order.metadata.annotations?.[APPROVE_ANNOTATION] !== 'true') {
      await writeOrder(order, (s, gen) => {
        s.phase = 'AwaitingApproval';
        s.scheduledFor = forText;
        s.plan = planStatus;
        cond(s, gen, 'Blocked', 'False', REASON.Unblocked, 'every prerequisite is met');
        cond(s, gen, 'AwaitingApproval', 'True', REASON.AwaitingApproval, `review status.plan, then: kubectl annotate decommission ${order.metadata.name} ${APPROVE_ANNOTATION}=true`);
      });
      await claimOccupier(order, 'DecommissionScheduled');
      return {};
    }
    const tasks = initialTasks(items, plan.sites.map((s) => s.site));
    const started = await writeOrder(order, (s, gen) => {
      s.phase = 'Running';
      s.scheduledFor = forText;
      s.startedAt = rfc3339(at);
      s.plan = planStatus;
      s.tasks = tasks;
      cond(s, gen, 'Blocked', 'False', REASON.Unblocked, 'every prerequisite is met');
      if (getCondition(s.conditions ?? [], 'AwaitingApproval')) cond(s, gen, 'AwaitingApproval', 'False', 'Approved', 'approved');
      cond(s, gen, 'Running', 'True', REASON.Started, `decommissioning ${plan.sites.length} site(s): ${plan.summary}`);
    });
    await claimOccupier(order, 'DecommissionPending');
    void deps.events.normal(order, REASON.Started, `decommission of ${order.spec.occupierRef.name} started: ${plan.summary}`);
    return { started };
  }

  /** Records this order as the occupier's active order with the given phase (if nothing else holds it). */
  async function claimOccupier(order: DecommissionResource, phase: 'DecommissionScheduled' | 'DecommissionPending'): Promise<void> {
    await writeOccupier(order, (s) => {
      if (s.activeOrder && !holds(s, order)) return;
      if (s.phase === 'Decommissioned') return;
      s.activeOrder = { kind: KIND, name: order.metadata.name ?? '' };
      s.phase = phase;
    });
  }

  // -------------------------------------------------------------------------------------
  // The run
  // -------------------------------------------------------------------------------------

  async function run(order: DecommissionResource, ctx: ReconcileContext): Promise<ReconcileResult> {
    const status = order.status ?? {};
    const tasks: Task[] = structuredClone(status.tasks ?? []);
    const items = status.plan?.items ?? [];
    const identity = identityOf(order);
    const uid = order.metadata.uid ?? identity;
    // Task changes from parallel sites are coalesced: one write in flight, the latest state next.
    let latest: DecommissionResource = order;
    let inFlight: Promise<void> | undefined;
    let dirty = false;
    const flush = async (): Promise<void> => {
      while (dirty) {
        dirty = false;
        const snapshot = structuredClone(tasks);
        latest = await writeOrder(order, (s) => void (s.tasks = snapshot), latest);
      }
    };
    const persist = (): Promise<void> => {
      dirty = true;
      inFlight ??= flush().finally(() => (inFlight = undefined));
      return inFlight;
    };
    const chainDone = async (): Promise<void> => {
      while (inFlight) await inFlight;
    };
    const waits: number[] = [];
    const opts = { drivers: deps.drivers, uid, signal: ctx.signal, concurrency: deps.itemConcurrency ?? 32, ...(deps.driverMetrics ? { metrics: deps.driverMetrics } : {}) };

    const runTask = async (task: Task, ops: () => Promise<ItemResult[]>): Promise<'done' | 'wait' | 'failed'> => {
      if (task.state === 'Succeeded') return 'done';
      if (task.state === 'Failed') return 'failed';
      const at = now();
      if (task.nextRetryAt && Date.parse(task.nextRetryAt) > at.getTime()) {
        waits.push(Date.parse(task.nextRetryAt) - at.getTime());
        return 'wait';
      }
      // Each execution is an attempt, recorded before the calls when there is work to do, so a
      // long or stuck step shows as Running (and a crash mid-attempt still counts it).
      task.state = 'Running';
      task.startedAt ??= rfc3339(at);
      task.attempts += 1;
      if ((task.items?.total ?? 1) > 0) await persist();
      const results = await ops();
      const done = results.filter((r) => r.state === 'Done').length;
      if (task.items) task.items.done = done;
      const permanent = results.find((r) => r.state === 'Failed' && r.code === 'Permanent');
      const transient = results.find((r) => r.state === 'Failed' && r.code === 'Transient');
      const pending = results.filter((r) => r.state === 'InProgress');
      const end = now();
      if (permanent && permanent.state === 'Failed') {
        task.state = 'Failed';
        task.lastError = `${permanent.id}: ${permanent.reason}: ${permanent.message}`;
        task.completedAt = rfc3339(end);
        delete task.nextRetryAt;
      } else if (transient && transient.state === 'Failed') {
        task.lastError = `${transient.id}: ${transient.reason}: ${transient.message}`;
        if (task.attempts >= RETRY_BUDGET) {
          task.state = 'Failed';
          task.lastError = `retry budget of ${RETRY_BUDGET} attempts spent; last: ${task.lastError}`;
          task.completedAt = rfc3339(end);
          delete task.nextRetryAt;
        } else {
          const delay = Math.max(retryDelayMs(task.attempts), transient.retryAfterMs ?? 0);
          task.nextRetryAt = rfc3339(new Date(end.getTime() + delay));
          waits.push(delay);
        }
      } else if (pending.length > 0) {
        waits.push(Math.min(...pending.map((p) => (p.state === 'InProgress' ? p.retryAfterMs : 1000))));
      } else {
        task.state = 'Succeeded';
        task.completedAt = rfc3339(end);
        delete task.nextRetryAt;
        delete task.lastError;
      }
      await persist();
      return task.state === 'Succeeded' ? 'done' : task.state === 'Failed' ? 'failed' : 'wait';
    };

    const sites = [...new Set(tasks.filter(isSiteStep).map((t) => t.site))];
    await mapLimit(sites, deps.siteConcurrency ?? 5, async (siteName) => {
      const site = deps.sites.get(siteName);
      for (const task of tasks.filter((t) => t.site === siteName && isSiteStep(t))) {
        if (!site) {
          task.state = 'Failed';
          task.lastError = `SiteNotFound: site ${siteName} no longer exists`;
          await persist();
          return;
        }
        const stepItems = items.filter((i: PlanItem) => i.site === siteName && i.step === task.step);
        const outcome = await runTask(task, () => executeItems(site, stepItems.flatMap((i) => opsFor(i, identity)), opts));
        if (outcome !== 'done') return;
      }
    });

    let summary = summarizeTasks(tasks.filter(isSiteStep));
    if (summary === 'Succeeded') {
      for (const task of tasks.filter((t) => !isSiteStep(t))) {
        const site = deps.sites.get(task.site);
        if (!site) break;
        const outcome = await runTask(task, () => (task.step === 'archive' ? archive(order, ctx) : notify(order, site, uid, ctx)));
        if (outcome !== 'done') break;
      }
      summary = summarizeTasks(tasks);
    }
    await chainDone();
    if (summary === 'Failed') return finishFailed(order, tasks);
    if (summary === 'Succeeded') return finishSucceeded(order);
    return { requeueAfter: waits.length > 0 ? Math.max(50, Math.min(...waits)) : 1000 };
  }

  /** Archives the history through the records driver of the occupier's first site. */
  async function archive(order: DecommissionResource, ctx: ReconcileContext): Promise<ItemResult[]> {
    const identity = identityOf(order);
    const sites = [...new Set((order.status?.tasks ?? []).map((t) => t.site))].flatMap((name) => deps.sites.get(name) ?? []);
    return [await archiveHistory(sites, identity, { drivers: deps.drivers, uid: order.metadata.uid ?? identity, signal: ctx.signal, ...(deps.driverMetrics ? { metrics: deps.driverMetrics } : {}) })];
  }

  async function notify(order: DecommissionResource, site: SiteResource, uid: string, ctx: ReconcileContext): Promise<ItemResult[]> {
    const recipients = order.spec.notify ?? [];
    if (recipients.length === 0) return [];
    const occupier = order.spec.occupierRef.name;
    const body = `The decommission of ${occupier} (${order.metadata.namespace}) has completed. ${order.status?.plan?.summary ?? ''}`.trim();
    return executeItems(site, [{ op: 'ensure', capability: 'notify', type: 'message', key: `${uid}-completed`, spec: { recipients, subject: `Decommission of ${occupier} completed`, body }, step: 'notify' }], {
      drivers: deps.drivers,
      uid,
      signal: ctx.signal,
      ...(deps.driverMetrics ? { metrics: deps.driverMetrics } : {}),
    });
  }

  async function finishSucceeded(order: DecommissionResource): Promise<ReconcileResult> {
    const at = now();
    const startedAt = order.status?.startedAt;
    const items = order.status?.plan?.items ?? [];
    const counts = {
      contracts: items.filter((i) => i.kind === 'Contract' && i.action === 'Complete').length,
      occupancies: items.filter((i) => i.kind === 'Occupancy' && i.action === 'Complete').length,
      services: items.filter((i) => i.kind === 'Service' && i.action === 'Deprovision' && i.step === 'services').length,
    };
    await writeOccupier(order, (s) => {
      s.phase = 'Decommissioned';
      delete s.activeOrder;
      s.conditions = setCondition(s.conditions ?? [], { type: 'Ready', status: 'True', reason: 'Decommissioned', message: 'decommissioned across all of its sites; history archived' }, undefined, at);
      s.conditions = setCondition(s.conditions, { type: 'Immutable', status: 'True', reason: 'Decommissioned', message: 'the occupier is decommissioned: spec changes are ignored and nothing new can be provisioned' }, undefined, at);
      s.currentSites = [];
      s.sitesSummary = '';
      s.history = { ...(s.history ?? {}), archivedAt: rfc3339(at), recordRef: `records/archive/${identityOf(order)}`, ...counts };
      // Only history (billing records) is left outside.
      s.sites = (s.sites ?? []).map((site) => ({ site: site.site, ...(site.contract ? { contract: { ...site.contract, status: 'Completed' as const } } : {}), inventory: (site.inventory ?? []).filter((id) => id.startsWith('billing/')) }));
    });
    await writeOrder(order, (s, gen) => {
      s.phase = 'Succeeded';
      s.completedAt = rfc3339(at);
      cond(s, gen, 'Running', 'False', REASON.Succeeded, 'the run has ended');
      cond(s, gen, 'Succeeded', 'True', REASON.Succeeded, `${order.spec.occupierRef.name} is decommissioned across all of its sites; history is archived`);
    });
    if (startedAt) deps.orderMetrics?.duration.observe({ kind: KIND, result: 'Succeeded' }, (at.getTime() - Date.parse(startedAt)) / 1000);
    void deps.events.normal(order, REASON.Succeeded, `${order.spec.occupierRef.name} decommissioned across all of its sites`);
    return {};
  }

  async function finishFailed(order: DecommissionResource, tasks: Task[]): Promise<ReconcileResult> {
    const failed = tasks.find((t) => t.state === 'Failed');
    const message = `step ${failed?.step} at ${failed?.site} failed: ${failed?.lastError ?? 'unknown'}. Raise a case with the provider, fix the cause, then resume with: kubectl annotate decommission ${order.metadata.name} ${RETRY_ANNOTATION}=true`;
    await releaseOccupier(order, 'DecommissionFailed');
    await writeOrder(order, (s, gen) => cond(s, gen, 'Running', 'False', REASON.StepFailed, 'the run stopped at a failed step'));
    await fail(order, REASON.StepFailed, message);
    return {};
  }

  // -------------------------------------------------------------------------------------

  async function apply(order: DecommissionResource, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const phase = order.status?.phase;
    if (phase === 'Succeeded') return undefined;
    if (phase === 'Failed') {
      if (order.metadata.annotations?.[RETRY_ANNOTATION] !== 'true' || !order.status?.startedAt) return undefined;
      const updated = await writeOrder(order, (s, gen) => {
        s.phase = 'Running';
        s.tasks = resetFailed(s.tasks ?? []);
        delete s.completedAt;
        cond(s, gen, 'Failed', 'False', REASON.Retrying, 'resumed from the failed step');
        cond(s, gen, 'Running', 'True', REASON.Retrying, 'resumed from the failed step');
      });
      await deps.client.jsonPatch(order.metadata.namespace, order.metadata.name ?? '', [
        { op: 'test', path: `/metadata/annotations/${RETRY_ANNOTATION.replace('/', '~1')}`, value: 'true' },
        { op: 'remove', path: `/metadata/annotations/${RETRY_ANNOTATION.replace('/', '~1')}` },
      ]);
      await claimOccupier(order, 'DecommissionPending');
      void deps.events.normal(order, REASON.Retrying, 'resuming from the failed step');
      return run(updated, ctx);
    }
    if (phase === 'Running') return run(order, ctx);

    const occupier = deps.occupiers.get(identityOf(order));
    if (!occupier) {
      await writeOrder(order, (s, gen) => {
        s.phase = 'Blocked';
        cond(s, gen, 'Blocked', 'True', REASON.OccupierNotFound, `occupier ${order.spec.occupierRef.name} does not exist in ${order.metadata.namespace}`);
      });
      return { requeueAfter: 30_000 };
    }
    const mismatch = confirmation(order.spec, occupier.metadata.name ?? '');
    if (mismatch) {
      await fail(order, REASON.ConfirmationMismatch, mismatch.message);
      return undefined;
    }
    const next = await beforeRun(order, occupier, ctx);
    return 'started' in next ? run(next.started, ctx) : next;
  }

  /** Deleting the order: cancel before it starts; wait while it runs; archive the record after it ends. */
  async function cleanup(order: DecommissionResource): Promise<ReconcileResult | void> {
    const phase = order.status?.phase;
    if (phase === 'Running') throw new Error(`decommission ${order.metadata.name} is running: deletion waits until it ends`);
    if (phase === 'Succeeded' || phase === 'Failed') {
      const site = deps.sites.get(order.status?.tasks?.[0]?.site ?? '');
      if (site) {
        const key = `order/${order.metadata.namespace}/${order.metadata.name}`;
        const [r] = await executeItems(
          site,
          [{ op: 'ensure', capability: 'records', type: 'archive', key, spec: { occupier: identityOf(order), history: { contracts: [], occupancies: [], services: [], callCharges: [], accessLogs: [], bookings: [{ order: key, phase, startedAt: order.status?.startedAt, completedAt: order.status?.completedAt, plan: order.status?.plan?.summary, tasks: order.status?.tasks }] } }, step: 'archive-order' }],
          { drivers: deps.drivers, uid: order.metadata.uid ?? key },
        );
        if (r && r.state !== 'Done') throw new Error(`archiving the record of ${key} before deletion: ${r.state === 'Failed' ? r.message : 'in progress'}`);
      }
      if (phase === 'Failed') await releaseOccupier(order, 'Active').catch(() => undefined);
      return undefined;
    }
    await releaseOccupier(order, 'Active').catch(() => undefined);
    void deps.events.normal(order, REASON.Cancelled, `decommission of ${order.spec.occupierRef.name} cancelled before it started`);
    return undefined;
  }

  return async (order, ctx) => {
    if (!order) return undefined;
    return finalizer(deps.client, order, ORDER_FINALIZER, { apply: (o) => apply(o, ctx), cleanup });
  };
}
