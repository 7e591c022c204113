/**
 * The Occupier controller: provisions each site entry of an occupier through the site's
 * drivers, removes what the spec no longer wants, and reports per-site state, conditions and
 * Events. Orders (SiteMove, CustomerMove, Decommission) own the occupier while they run: this
 * controller then leaves it alone, and never re-creates what an order ended.
 */
import { fingerprint } from '../../../../drivers/src/contract.ts';
import type { DriverMetrics } from '../../../../drivers/src/call.ts';
import { Occupier, parseResource, Site, ValidationError } from '../../api/index.ts';
import type { OccupierPhase, OccupierResource, OccupierStatus, SiteResource, SiteSpec } from '../../api/index.ts';
import { itemId, parseItemId, planProvisioning } from '../../planner/provision.ts';
import type { DesiredItem } from '../../planner/provision.ts';
import { finalizer, getCondition, isTrue, setCondition, TerminalError, updateStatus } from '../../runtime/index.ts';
import type { Clock, ConditionInput, EventRecorder, ReconcileContext, ReconcileResult, Reconciler, ResourceClient } from '../../runtime/index.ts';
import { executeItems } from '../execute.ts';
import { archiveHistory } from '../records.ts';
import type { DriverResolver, ItemOp, ItemResult } from '../execute.ts';
import { buildStatus, CONDITION, REASON } from './status.ts';
import type { SiteOutcome } from './status.ts';

export const CONTROLLER_NAME = 'occupier';
export const OCCUPIER_FINALIZER = 'occupier.dev/finalizer';

/** Phases in which an order owns the occupier; this controller does not provision then. */
const ORDER_OWNED: ReadonlySet<OccupierPhase> = new Set(['Moving', 'DecommissionPending', 'DecommissionFailed']);
/** Phases set by order controllers that this controller keeps as they are. */
const ORDER_PHASES: ReadonlySet<OccupierPhase> = new Set(['MoveScheduled', 'Moving', 'DecommissionScheduled', 'DecommissionPending', 'DecommissionFailed', 'Decommissioned']);

/** How long a permanently failed item waits before it is tried again without a spec change. */
const DEGRADED_RECHECK_MS = 5 * 60_000;

export interface OccupierDeps {
  client: ResourceClient<OccupierResource>;
  sites: { get(name: string): SiteResource | undefined };
  drivers: DriverResolver;
  driverMetrics?: DriverMetrics;
  events: EventRecorder;
  clock: Clock;
  /** Items in flight per site (default 16). */
  concurrency?: number;
}

function parsedSite(site: SiteResource): SiteSpec {
  return parseResource(Site, site).spec;
}

/** Remove order: what depends on other items goes first, the network last. */
const REMOVE_ORDER = ['directory', 'wifi', 'access', 'ports', 'telephony', 'notify', 'records', 'billing', 'network'];

export function occupierReconciler(deps: OccupierDeps): Reconciler<OccupierResource> {
  const now = (): Date => new Date(deps.clock.now());

  async function provisionSites(obj: OccupierResource, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const prevPhase = obj.status?.phase;
    if (prevPhase === 'Decommissioned') return markImmutable(obj);
    if (prevPhase !== undefined && ORDER_OWNED.has(prevPhase)) return markFrozen(obj);

    let spec;
    try {
      spec = parseResource(Occupier, obj).spec;
    } catch (err) {
      if (err instanceof ValidationError) {
        await writeInvalid(obj, err.message);
        throw new TerminalError('InvalidSpec', err.message, { cause: err });
      }
      throw err;
    }
    const identity = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const uid = obj.metadata.uid ?? identity;
    const siteObjs = new Map<string, SiteResource>();
    const siteSpecs = new Map<string, SiteSpec>();
    for (const e of spec.sites) {
      const s = deps.sites.get(e.site);
      if (s) {
        siteObjs.set(e.site, s);
        siteSpecs.set(e.site, parsedSite(s));
      }
    }
    const at = now();
    const plan = planProvisioning({ identity, spec, sites: siteSpecs, now: at });
    const prevSites = new Map((obj.status?.sites ?? []).map((s) => [s.site, s]));
    const outcomes: SiteOutcome[] = [];

    for (const p of plan.sites) {
      if (p.held) continue;
      const site = siteObjs.get(p.site);
      if (!site) continue;
      const prev = prevSites.get(p.site);
      const wanted = new Set(p.items.map(itemId));
      const previous = prev?.inventory ?? [];
      const stale = previous.filter((id) => !wanted.has(id));
      const hash = fingerprint(p.items);
      if (prev?.desiredHash === hash && stale.length === 0) continue;
      const ops: ItemOp[] = [...p.items.map(ensureOp), ...stale.map(removeOp)];
      const results = await runOps(site, ops, uid, ctx);
      outcomes.push({ site: p.site, results, previous, desiredHash: hash });
    }
    // Sites dropped from spec: remove what was provisioned there (history stays with billing/records).
    for (const [name, prev] of prevSites) {
      if (plan.sites.some((p) => p.site === name) || (prev.inventory ?? []).length === 0) continue;
      const site = deps.sites.get(name);
      if (!site) continue;
      const ops = (prev.inventory ?? []).map(removeOp);
      const results = await runOps(site, ops, uid, ctx);
      outcomes.push({ site: name, results, previous: prev.inventory ?? [], desiredHash: '' });
    }

    const phase: OccupierPhase = plan.sites.some((s) => s.contract === 'Active') ? 'Active' : 'Pending';
    const built = buildStatus({ prev: obj.status, generation: obj.metadata.generation, plan, outcomes, phase, now: at });
    const wasReady = isTrue(obj.status?.conditions ?? [], CONDITION.Ready);
    const prevDegraded = getCondition(obj.status?.conditions ?? [], CONDITION.Degraded);
    await writeStatus(obj, built.status);

    const nowReady = isTrue(built.status.conditions ?? [], CONDITION.Ready);
    if (nowReady && !wasReady) void deps.events.normal(obj, REASON.Provisioned, 'every site is provisioned as declared');
    const degraded = getCondition(built.status.conditions ?? [], CONDITION.Degraded);
    if (degraded?.status === 'True' && (prevDegraded?.status !== 'True' || prevDegraded.message !== degraded.message)) {
      void deps.events.warning(obj, degraded.reason, degraded.message);
    }
    for (const o of outcomes) {
      const done = o.results.filter((r) => r.state === 'Done');
      const removed = done.filter((r) => r.op === 'remove').length;
      if (removed > 0) void deps.events.normal(obj, 'Deprovisioned', `removed ${removed} item(s) at ${o.site}`);
    }

    const transient = built.pending.filter((t) => t.reason !== 'InProgress');
    if (transient.length > 0) {
      // Status is written; the error makes the runtime retry with backoff (counted in metrics).
      throw new Error(`${transient.length} item(s) failed transiently, first: ${transient[0]?.item}: ${transient[0]?.reason}: ${transient[0]?.message}`);
    }
    const waits: number[] = [];
    if (built.retryAfterMs !== undefined) waits.push(built.retryAfterMs);
    if (plan.nextChangeAt) waits.push(Math.max(0, plan.nextChangeAt.getTime() - at.getTime()) + 1000);
    if (built.failed.length > 0 || plan.problems.length > 0) waits.push(DEGRADED_RECHECK_MS);
    return waits.length > 0 ? { requeueAfter: Math.min(...waits) } : undefined;
  }

  async function runOps(site: SiteResource, ops: ItemOp[], uid: string, ctx: ReconcileContext): Promise<ItemResult[]> {
    const removes = ops.filter((o) => o.op === 'remove').sort((a, b) => REMOVE_ORDER.indexOf(a.capability) - REMOVE_ORDER.indexOf(b.capability));
    const ensures = ops.filter((o) => o.op === 'ensure');
    const opts = { drivers: deps.drivers, uid, signal: ctx.signal, concurrency: deps.concurrency ?? 16, ...(deps.driverMetrics ? { metrics: deps.driverMetrics } : {}) };
    const results: ItemResult[] = [];
    // Removals in dependency order (one capability at a time), then ensures in parallel.
    for (const cap of REMOVE_ORDER) {
      const batch = removes.filter((o) => o.capability === cap);
      if (batch.length > 0) results.push(...(await executeItems(site, batch, opts)));
    }
    results.push(...(await executeItems(site, ensures, opts)));
    return results;
  }

  async function writeStatus(obj: OccupierResource, next: OccupierStatus): Promise<void> {
    await updateStatus(
      deps.client,
      obj.metadata.namespace,
      obj.metadata.name ?? '',
      (fresh) => {
        const current = fresh.status ?? {};
        const keepPhase = current.phase !== undefined && ORDER_PHASES.has(current.phase);
        fresh.status = {
          ...current,
          ...next,
          // Fields order controllers own stay as they are on the server.
          ...(keepPhase ? { phase: current.phase } : {}),
          ...(current.activeOrder ? { activeOrder: current.activeOrder } : {}),
          ...(current.reseller ? { reseller: current.reseller } : {}),
          ...(current.history ? { history: current.history } : {}),
          ...(current.specDrift ? { specDrift: current.specDrift } : {}),
        };
        if (!next.activeOrder && !current.activeOrder) delete fresh.status.activeOrder;
        // Nothing changed (a re-reconcile, e.g. after a Site status update): no write.
        if (fingerprint(fresh.status) === fingerprint(current)) return false;
        return true;
      },
      { current: obj },
    );
  }

  /** Sets one condition on the occupier's status (stamping observedGeneration when asked). */
  async function writeCondition(obj: OccupierResource, cond: ConditionInput, stampGeneration = false): Promise<void> {
    await updateStatus(
      deps.client,
      obj.metadata.namespace,
      obj.metadata.name ?? '',
      (fresh) => {
        const conditions = setCondition(fresh.status?.conditions ?? [], cond, fresh.metadata.generation, now());
        fresh.status = { ...(fresh.status ?? {}), conditions, ...(stampGeneration ? { observedGeneration: fresh.metadata.generation ?? 0 } : {}) };
      },
      { current: obj },
    );
  }

  async function writeInvalid(obj: OccupierResource, message: string): Promise<void> {
    await writeCondition(obj, { type: CONDITION.Ready, status: 'False', reason: 'InvalidSpec', message });
    void deps.events.warning(obj, 'InvalidSpec', message);
  }

  async function markImmutable(obj: OccupierResource): Promise<void> {
    const existing = getCondition(obj.status?.conditions ?? [], CONDITION.Immutable);
    if (existing?.status === 'True' && existing.observedGeneration === obj.metadata.generation) return;
    const message = 'the occupier is decommissioned: spec changes are ignored and nothing new can be provisioned';
    await writeCondition(obj, { type: CONDITION.Immutable, status: 'True', reason: REASON.Decommissioned, message }, true);
  }

  /** While an order runs, spec changes are ignored: say so when the spec changed. */
  async function markFrozen(obj: OccupierResource): Promise<void> {
    const changed = obj.metadata.generation !== undefined && obj.metadata.generation !== obj.status?.observedGeneration;
    const existing = getCondition(obj.status?.conditions ?? [], CONDITION.SpecFrozen);
    if (!changed || (existing?.status === 'True' && existing.observedGeneration === obj.metadata.generation)) return;
    const order = obj.status?.activeOrder;
    const message = `spec changes are ignored while ${order ? `${order.kind} ${order.name}` : 'an order'} runs (phase ${obj.status?.phase}); they apply when it ends, if the occupier still exists`;
    await writeCondition(obj, { type: CONDITION.SpecFrozen, status: 'True', reason: REASON.OrderRunning, message });
    void deps.events.warning(obj, CONDITION.SpecFrozen, message);
  }

  /**
   * Deleting the Occupier: Decommission (the default) removes what it provisioned, keeps the
   * billing history (contracts complete, services inactive, call charges stopped); Orphan
   * leaves external state as it is. Either way the history is archived through the records
   * driver first (a decommissioned occupier's was archived by its order).
   */
  async function teardown(obj: OccupierResource, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    if (obj.status?.phase === 'DecommissionPending' || obj.status?.phase === 'Moving') {
      // Keeping records safe: an order is running on this occupier; deletion waits for it.
      throw new Error(`occupier ${obj.metadata.name} is in phase ${obj.status.phase}: deletion waits until the order ends`);
    }
    if (obj.status?.phase === 'Decommissioned') return undefined;
    const identity = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const uid = obj.metadata.uid ?? identity;
    const policy = (obj.spec as { deletionPolicy?: string } | undefined)?.deletionPolicy ?? 'Decommission';
    const failures: string[] = [];
    if (policy === 'Decommission') {
      for (const s of obj.status?.sites ?? []) {
        const site = deps.sites.get(s.site);
        const inventory = s.inventory ?? [];
        if (inventory.length === 0) continue;
        if (!site) {
          failures.push(`${s.site}: site no longer exists, ${inventory.length} item(s) cannot be removed`);
          continue;
        }
        const billing = inventory.filter((id) => parseItemId(id).capability === 'billing');
        const ops: ItemOp[] = [...inventory.filter((id) => !billing.includes(id)).map(removeOp), ...closeBilling(billing, obj, s.site)];
        const results = await runOps(site, ops, uid, ctx);
        for (const r of results) if (r.state !== 'Done') failures.push(`${s.site}: ${r.id}: ${r.state === 'Failed' ? `${r.reason}: ${r.message}` : 'in progress'}`);
      }
    }
    if (failures.length === 0) {
      const sites = [...new Set([...(obj.status?.sites ?? []).map((s) => s.site), ...obj.spec.sites.map((s) => s.site)])].flatMap((n) => deps.sites.get(n) ?? []);
      const archived = await archiveHistory(sites, identity, { drivers: deps.drivers, uid, signal: ctx.signal, ...(deps.driverMetrics ? { metrics: deps.driverMetrics } : {}) });
      if (archived.state !== 'Done') failures.push(`archiving history: ${archived.state === 'Failed' ? `${archived.reason}: ${archived.message}` : 'in progress'}`);
    }
    if (failures.length > 0) {
      void deps.events.warning(obj, 'DeprovisionFailed', failures.slice(0, 5).join('; '));
      throw new Error(`cleanup before deletion is incomplete: ${failures[0]}`);
    }
    if (policy === 'Orphan') void deps.events.normal(obj, 'Orphaned', 'deleted with deletionPolicy Orphan: history archived, external state left in place');
    else void deps.events.normal(obj, 'Deprovisioned', 'deprovisioned every site and archived the history before deletion (deletionPolicy Decommission)');
    return undefined;
  }

  /** Billing items stay as history: the contract completes (end date yesterday), services go inactive, call charges stop. */
  function closeBilling(ids: string[], obj: OccupierResource, siteName: string): ItemOp[] {
    const occupier = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const yesterday = new Date(deps.clock.now() - 86_400_000).toISOString().slice(0, 10);
    const contract = obj.spec.sites.find((e) => e.site === siteName)?.contract;
    return ids.flatMap((id): ItemOp[] => {
      const { type, key } = parseItemId(id);
      if (type === 'callCharges') return [{ op: 'ensure', capability: 'billing', type, key, spec: { occupier, state: 'Stopped' } }];
      if (type === 'service') {
        const name = key.slice(key.lastIndexOf('/') + 1);
        return [{ op: 'ensure', capability: 'billing', type, key, spec: { occupier, name, quantity: 0, state: 'Inactive' } }];
      }
      if (type === 'contract' && contract) {
        const endDate = yesterday < contract.startDate ? contract.startDate : yesterday;
        return [{ op: 'ensure', capability: 'billing', type, key, spec: { occupier, status: 'Completed', startDate: contract.startDate, endDate, tariff: contract.tariff } }];
      }
      return [];
    });
  }

  return async (obj, ctx) => {
    if (!obj) return undefined;
    return finalizer(deps.client, obj, OCCUPIER_FINALIZER, {
      apply: (o) => provisionSites(o, ctx),
      cleanup: (o) => teardown(o, ctx),
    });
  };
}

function ensureOp(item: DesiredItem): ItemOp {
  return { op: 'ensure', capability: item.capability, type: item.type, key: item.key, spec: item.spec };
}

function removeOp(id: string): ItemOp {
  const { capability, type, key } = parseItemId(id);
  return { op: 'remove', capability: capability as ItemOp['capability'], type, key };
}
