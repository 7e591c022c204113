/**
 * The Occupier controller: provisions each site entry of an occupier through the site's
 * drivers, removes what the spec no longer wants, and reports per-site state, conditions and
 * Events. It is the one writer of `Occupier.status`: orders (SiteMove, CustomerMove,
 * Decommission) write only their own status, and this controller derives the lifecycle phase,
 * the active order and their lasting effects from the orders it sees (`orders.ts`). While an
 * order runs it leaves the occupier alone; after a move it provisions the effective spec (the
 * spec with completed orders applied), so it never re-creates what an order ended, and names
 * the fields to change in Git (`SpecDrift`).
 */
import { fingerprint, toDriverError } from '../../../../drivers/src/contract.ts';
import type { DriverMetrics } from '../../../../drivers/src/call.ts';
import { Occupier, parsedSpec, Site, ValidationError } from '../../api/index.ts';
import type { OccupierPhase, OccupierResource, OccupierStatus, SiteResource, SiteSpec } from '../../api/index.ts';
import { itemId, parseItemId, planProvisioning } from '../../planner/provision.ts';
import type { DesiredItem } from '../../planner/provision.ts';
import { errorMessage, finalizer, getCondition, isTooLarge, isTrue, OwnWrites, setCondition, putStatus, TerminalError, updateStatus } from '../../runtime/index.ts';
import type { Clock, ConditionInput, EventRecorder, ReconcileContext, ReconcileResult, Reconciler, ResourceClient } from '../../runtime/index.ts';
import { executeItems, listItems } from '../execute.ts';
import { BlobLostError } from '../blobs.ts';
import { archiveHistory } from '../records.ts';
import type { DriverResolver, ItemOp, ItemResult } from '../execute.ts';
import { activeOrderFor, driftEvent, effectiveOf, ORDER_OWNED, phaseEvent, viewOrders } from './orders.ts';
import type { AnyOrder, OccupierEvent, OrderView } from './orders.ts';
import { planItemsOf } from '../orders/planstore.ts';
import type { PlanStore } from '../orders/planstore.ts';
import { detailsCommand } from './details.ts';
import type { StatusDetails } from './details.ts';
import { buildStatus, CONDITION, decommissionedStatus, REASON, withCustomers } from './status.ts';
import type { SiteOutcome } from './status.ts';

export const CONTROLLER_NAME = 'occupier';
export const OCCUPIER_FINALIZER = 'occupier.dev/finalizer';

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
  /** Where large order plans are kept (to read a Decommission's record). */
  planStore?: PlanStore;
  /**
   * Where the per-item lists of a large occupier's `status.sites` are kept, so the object stays
   * within the API server's limit (absent: always inline, whatever the size).
   */
  details?: StatusDetails;
  /**
   * Every order (SiteMove, CustomerMove, Decommission; `kind` set) of the occupier
   * `namespace/name`, as the caches hold them. The controller must also be queued when one of
   * them changes (a watch of each order cache mapping to its occupier's key).
   */
  orders(occupierKey: string): AnyOrder[];
  /**
   * The names of the customers of the reseller `namespace/name` (`resellerKeysOf` indexes the
   * occupier cache by it), for `status.customers` of a reseller. The controller must also be
   * queued for the old and the new reseller when a customer's reseller changes (a watch of the
   * occupier cache mapping with `resellerKeysOf`, filtered by `resellerChanged`). Absent:
   * `status.customers` is left as it is.
   */
  customersOf?(resellerKey: string): string[];
  /** Its own last status writes: `OwnWrites.following(cache)` forgets each as the cache catches up (absent: kept until a pass sees the cache caught up, or the TTL). */
  ownWrites?: OwnWrites<OccupierResource>;
}

function parsedSite(site: SiteResource): SiteSpec {
  return parsedSpec(Site, site);
}

/** Remove order: what depends on other items goes first, the network last. */
const REMOVE_ORDER = ['directory', 'wifi', 'access', 'ports', 'telephony', 'notify', 'records', 'billing', 'network'];

export function occupierReconciler(deps: OccupierDeps): Reconciler<OccupierResource> {
  const now = (): Date => new Date(deps.clock.now());

  const keyOf = (obj: OccupierResource): string => `${obj.metadata.namespace}/${obj.metadata.name}`;
  /**
   * This controller's last status write per occupier, until the cache has caught up: a pass from
   * a stale copy would find "nothing changed" against an outdated status and skip a needed write
   * (an order failing right after it was scheduled left its occupier DecommissionScheduled until
   * the resync).
   */
  const lastWritten = deps.ownWrites ?? new OwnWrites<OccupierResource>();
  /** The occupier as stored (its status bounded) behind one with `status.sites` whole. */
  const stored = new WeakMap<OccupierResource, OccupierResource>();
  const siteOf = (name: string): SiteResource | undefined => deps.sites.get(name);
  /** `status.customers` of a reseller (null: not a reseller; undefined: not wired, as it was). */
  const customersOf = (obj: OccupierResource): string[] | null | undefined => {
    if (!deps.customersOf) return undefined;
    if (obj.spec?.reseller !== true) return null;
    return deps.customersOf(keyOf(obj)).filter((n) => n !== obj.metadata.name);
  };
  const emit = (obj: OccupierResource, e: OccupierEvent | undefined): void => {
    if (e) void (e.type === 'Warning' ? deps.events.warning(obj, e.reason, e.message) : deps.events.normal(obj, e.reason, e.message));
  };

  async function provisionSites(obj: OccupierResource, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const orders = deps.orders(keyOf(obj));
    const view = viewOrders(orders, obj.status);
    if (view.decommissioned) return settleDecommissioned(obj, view, orders);
    const owner = view.phase(true);
    if (ORDER_OWNED.has(owner)) return markFrozen(obj, view, owner, orders);

    let spec;
    try {
      spec = parsedSpec(Occupier, obj);
    } catch (err) {
      if (err instanceof ValidationError) {
        await writeInvalid(obj, err.message);
        throw new TerminalError('InvalidSpec', err.message, { cause: err });
      }
      throw err;
    }
    const identity = keyOf(obj);
    const uid = obj.metadata.uid ?? identity;
    // What to provision: the spec with completed orders applied.
    const effective = effectiveOf(spec, orders, siteOf);
    spec = effective.spec;
    const left = new Set(effective.left.map((l) => l.site));
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
    // A site a completed move left is not touched: the move ended everything there.
    for (const [name, prev] of prevSites) {
      if (left.has(name) || plan.sites.some((p) => p.site === name) || (prev.inventory ?? []).length === 0) continue;
      const site = deps.sites.get(name);
      if (!site) continue;
      const ops = (prev.inventory ?? []).map(removeOp);
      const results = await runOps(site, ops, uid, ctx);
      outcomes.push({ site: name, results, previous: prev.inventory ?? [], desiredHash: '' });
    }

    const phase = view.phase(plan.sites.some((s) => s.contract === 'Active'));
    const activeOrder = activeOrderFor(view, phase);
    const built = buildStatus({
      prev: obj.status,
      generation: obj.metadata.generation,
      plan,
      outcomes,
      phase,
      now: at,
      activeOrder,
      drift: effective.drift,
      // The current reseller: Git's, or the last completed CustomerMove's.
      reseller: spec.resellerRef?.name ?? null,
      customers: customersOf(obj),
      left: effective.left,
    });
    // Changes are told against the status the write replaced; no write, nothing changed to tell.
    const replaced = await writeStatus(obj, built.status);
    if (replaced) {
      emit(obj, phaseEvent(replaced.phase, phase, activeOrder, orders));
      emit(obj, driftEvent(replaced.specDrift, effective.drift));
      const nowReady = isTrue(built.status.conditions ?? [], CONDITION.Ready);
      if (nowReady && !isTrue(replaced.conditions ?? [], CONDITION.Ready)) void deps.events.normal(obj, REASON.Provisioned, 'every site is provisioned as declared');
      const prevDegraded = getCondition(replaced.conditions ?? [], CONDITION.Degraded);
      const degraded = getCondition(built.status.conditions ?? [], CONDITION.Degraded);
      if (degraded?.status === 'True' && (prevDegraded?.status !== 'True' || prevDegraded.message !== degraded.message)) {
        void deps.events.warning(obj, degraded.reason, degraded.message);
      }
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

  /** Writes the whole status (this controller is its one writer); no write when nothing changed. */
  /**
   * Returns the status the write replaced (as stored: a pass from a stale cached copy must not
   * report a phase change twice), or undefined when nothing was written.
   */
  async function writeStatus(obj: OccupierResource, next: OccupierStatus): Promise<OccupierStatus | undefined> {
    const raw = stored.get(obj) ?? obj;
    const bounded = deps.details ? await deps.details.bound(raw, next) : next;
    // Nothing changed (a re-reconcile, e.g. after a Site status update): no write.
    const wanted = fingerprint(bounded);
    let put;
    try {
      put = await putStatus(deps.client, raw, bounded, (st) => wanted === fingerprint(st ?? {}));
    } catch (err) {
      if (isTooLarge(err)) await refusedForSize(raw, bounded, err);
      throw err;
    }
    if (!put.written) return undefined;
    lastWritten.remember(put.object);
    if (deps.details && put.replaced?.details?.sha256 !== bounded.details?.sha256) await deps.details.prune(raw, bounded.details);
    if (bounded.details && !put.replaced?.details) {
      const ns = raw.metadata.namespace ?? 'default';
      void deps.events.normal(raw, REASON.DetailsInConfigMaps, `the per-item lists of status.sites (${bounded.details.bytes} bytes) are kept in ConfigMap(s) ${bounded.details.configMaps.join(', ')}; status.sites holds their counts; print them with: ${detailsCommand(ns, bounded.details)}`);
    }
    return put.replaced ?? {};
  }

  /**
   * The API server refused the status for its size (the spec is near the object limit, or the
   * status holds a list this controller does not bound): say so where a person looks — a
   * condition if even that fits, and a Warning Event — and stop retrying the same write.
   */
  async function refusedForSize(raw: OccupierResource, status: OccupierStatus, err: unknown): Promise<never> {
    const ns = raw.metadata.namespace ?? 'default';
    const name = raw.metadata.name ?? '';
    const message =
      `the API server refused the status (${Buffer.byteLength(JSON.stringify(status))} bytes) with the spec ` +
      `(${Buffer.byteLength(JSON.stringify(raw.spec ?? {}))} bytes) for its size: ${errorMessage(err)}. ` +
      `An object is limited to 1.5 MiB; split the occupier or shorten spec.users (see: kubectl -n ${ns} get occupier ${name} -o json | wc -c). ` +
      'It is tried again when the spec changes.';
    const existing = getCondition(raw.status?.conditions ?? [], CONDITION.Ready);
    if (existing?.reason !== REASON.StatusTooLarge || existing.message !== message) {
      void deps.events.warning(raw, REASON.StatusTooLarge, message);
      await writeCondition(raw, { type: CONDITION.Ready, status: 'False', reason: REASON.StatusTooLarge, message }, true).catch(() => undefined);
    }
    throw new TerminalError(REASON.StatusTooLarge, message, { cause: err });
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
      { current: stored.get(obj) ?? obj },
    );
  }

  async function writeInvalid(obj: OccupierResource, message: string): Promise<void> {
    await writeCondition(obj, { type: CONDITION.Ready, status: 'False', reason: 'InvalidSpec', message });
    void deps.events.warning(obj, 'InvalidSpec', message);
  }

  /** Decommissioned: the status the Decommission's record says, the spec ignored (Immutable). */
  async function settleDecommissioned(obj: OccupierResource, view: OrderView, orders: readonly AnyOrder[]): Promise<void> {
    let items: Awaited<ReturnType<typeof planItemsOf>> = [];
    try {
      if (view.decommission) items = await planItemsOf(view.decommission, deps.planStore);
    } catch (err) {
      if (!(err instanceof BlobLostError)) throw err;
      // The record of what the decommission did per item is gone; its outcome (status.tasks) is not.
      void deps.events.warning(obj, REASON.DetailsLost, `the plan of decommission ${view.decommission?.metadata.name} is lost (${err.message}): the status lists no items it removed or kept`);
    }
    const next = decommissionedStatus({ prev: obj.status, order: view.decommission, items, identity: keyOf(obj), generation: obj.metadata.generation, now: now() });
    const replaced = await writeStatus(obj, withCustomers(next, customersOf(obj)));
    if (replaced) emit(obj, phaseEvent(replaced.phase, 'Decommissioned', undefined, orders));
  }

  /** While an order runs, nothing is provisioned and spec changes are ignored: phase, active order, and say so when the spec changed. */
  async function markFrozen(obj: OccupierResource, view: OrderView, phase: OccupierPhase, orders: readonly AnyOrder[]): Promise<void> {
    const prev = obj.status ?? {};
    const activeOrder = activeOrderFor(view, phase);
    const next: OccupierStatus = withCustomers({ ...prev, phase }, customersOf(obj));
    delete next.activeOrder;
    if (activeOrder) next.activeOrder = activeOrder;
    const changed = obj.metadata.generation !== undefined && obj.metadata.generation !== prev.observedGeneration;
    const existing = getCondition(prev.conditions ?? [], CONDITION.SpecFrozen);
    let frozen: string | undefined;
    if (changed && !(existing?.status === 'True' && existing.observedGeneration === obj.metadata.generation)) {
      frozen = `spec changes are ignored while ${activeOrder ? `${activeOrder.kind} ${activeOrder.name}` : 'an order'} runs (phase ${phase}); they apply when it ends, if the occupier still exists`;
      next.conditions = setCondition(prev.conditions ?? [], { type: CONDITION.SpecFrozen, status: 'True', reason: REASON.OrderRunning, message: frozen }, obj.metadata.generation, now());
    }
    const replaced = await writeStatus(obj, next);
    if (replaced) emit(obj, phaseEvent(replaced.phase, phase, activeOrder, orders));
    if (frozen) void deps.events.warning(obj, CONDITION.SpecFrozen, frozen);
  }

  /**
   * Deleting the Occupier: Decommission (the default) removes what it provisioned, keeps the
   * billing history (contracts complete, services inactive, call charges stopped); Orphan
   * leaves external state as it is. Either way the history is archived through the records
   * driver first (a decommissioned occupier's was archived by its order).
   */
  async function teardown(obj: OccupierResource, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const orders = deps.orders(keyOf(obj));
    const view = viewOrders(orders, obj.status);
    if (view.decommissioned) return undefined;
    const phase = view.phase(true);
    if (phase === 'DecommissionPending' || phase === 'Moving') {
      // Keeping records safe: an order is running on this occupier; deletion waits for it.
      throw new Error(`occupier ${obj.metadata.name} is in phase ${phase}: deletion waits until the order ends`);
    }
    const identity = keyOf(obj);
    // Completed moves: the sites they left were ended by them; contracts are the effective ones.
    const effective = effectiveOf(obj.spec, orders, siteOf);
    const left = new Set(effective.left.map((l) => l.site));
    const uid = obj.metadata.uid ?? identity;
    const policy = (obj.spec as { deletionPolicy?: string } | undefined)?.deletionPolicy ?? 'Decommission';
    const failures: string[] = [];
    if (policy === 'Decommission') {
      const statusSites = new Map((obj.status?.sites ?? []).map((s) => [s.site, s]));
      // Every site the occupier is or was at: its inventory where it still is, and everywhere
      // what a CustomerMove made in the directory (not in any inventory).
      const names = [...new Set([...statusSites.keys(), ...effective.spec.sites.map((e) => e.site), ...left])];
      for (const name of names) {
        const site = deps.sites.get(name);
        const inventory = left.has(name) ? [] : (statusSites.get(name)?.inventory ?? []);
        if (!site) {
          if (inventory.length > 0) failures.push(`${name}: site no longer exists, ${inventory.length} item(s) cannot be removed`);
          continue;
        }
        let directory: ItemOp[];
        try {
          directory = await customerDirectoryOps(site, identity, ctx);
        } catch (err) {
          const e = toDriverError(err);
          failures.push(`${name}: listing directory/entitlements: ${e.reason}: ${e.message}`);
          continue;
        }
        const billing = inventory.filter((id) => parseItemId(id).capability === 'billing');
        const ops: ItemOp[] = [
          ...inventory.filter((id) => !billing.includes(id)).map(removeOp),
          ...directory.filter((op) => !inventory.includes(itemId(op))),
          ...closeBilling(billing, obj, effective.spec.sites.find((e) => e.site === name)?.contract),
        ];
        const results = await runOps(site, ops, uid, ctx);
        for (const r of results) if (r.state !== 'Done') failures.push(`${name}: ${r.id}: ${r.state === 'Failed' ? `${r.reason}: ${r.message}` : 'in progress'}`);
      }
    }
    if (failures.length === 0) {
      const sites = [...new Set([...(obj.status?.sites ?? []).map((s) => s.site), ...effective.spec.sites.map((s) => s.site)])].flatMap((n) => deps.sites.get(n) ?? []);
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

  /**
   * What a CustomerMove made in the directory at `site`, which no inventory lists: the
   * occupier's customer record and the entitlements of its users (those the driver lists as
   * the occupier's, so another occupier's user with the same email is left alone). Removes of
   * absent items are no-ops; the `billing/customer` record stays as billing history.
   */
  async function customerDirectoryOps(site: SiteResource, identity: string, ctx: ReconcileContext): Promise<ItemOp[]> {
    const opts = { drivers: deps.drivers, signal: ctx.signal, ...(deps.driverMetrics ? { metrics: deps.driverMetrics } : {}) };
    const listed = await listItems(site, 'directory', 'entitlements', identity, opts);
    const owned = listed.filter((i) => {
      const owner = (i.details as { occupier?: unknown } | undefined)?.occupier;
      return owner === undefined || owner === identity;
    });
    return [
      { op: 'remove', capability: 'directory', type: 'customer', key: identity },
      ...owned.map((i): ItemOp => ({ op: 'remove', capability: 'directory', type: 'entitlements', key: i.key })),
    ];
  }

  /** Billing items stay as history: the contract completes (end date yesterday), services go inactive, call charges stop. */
  function closeBilling(ids: string[], obj: OccupierResource, contract: OccupierResource['spec']['sites'][number]['contract'] | undefined): ItemOp[] {
    const occupier = keyOf(obj);
    const yesterday = new Date(deps.clock.now() - 86_400_000).toISOString().slice(0, 10);
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

  /** The item ids the spec (with completed orders applied) wants at each site; none when the spec is invalid. */
  function desiredIdsBySite(obj: OccupierResource): Map<string, string[]> {
    let spec;
    try {
      spec = parsedSpec(Occupier, obj);
    } catch {
      return new Map();
    }
    const effective = effectiveOf(spec, deps.orders(keyOf(obj)), siteOf);
    const siteSpecs = new Map<string, SiteSpec>();
    for (const e of effective.spec.sites) {
      const site = deps.sites.get(e.site);
      if (site) siteSpecs.set(e.site, parsedSite(site));
    }
    const plan = planProvisioning({ identity: keyOf(obj), spec: effective.spec, sites: siteSpecs, now: now() });
    return new Map(plan.sites.map((p) => [p.site, p.items.map(itemId)]));
  }

  /**
   * The occupier with `status.sites` whole; `stored` remembers the object as stored. When the
   * ConfigMaps of `status.details` are gone or changed (deleted by hand, say), waiting would
   * never bring them back: a Warning Event says so and what follows, and the occupier goes on
   * from its sites' summaries — provisioning ensures what the spec wants again and records it
   * anew; a deletion removes what the spec wants, and what only the lost lists knew stays.
   */
  async function hydrate(raw: OccupierResource, purpose: 'provision' | 'teardown'): Promise<OccupierResource> {
    if (!deps.details || !raw.status?.details) return raw;
    let whole: OccupierResource;
    try {
      whole = await deps.details.hydrate(raw);
    } catch (err) {
      if (!(err instanceof BlobLostError)) throw err;
      const known = (raw.status.sites ?? []).map((s) => `${s.counts?.inventory ?? 0} item(s) at ${s.site}`).join(', ');
      const next =
        purpose === 'provision'
          ? 'the lists are rebuilt from what the spec wants (every item ensured again); items the spec no longer wants that only they listed stay at the providers'
          : 'the deletion removes what the spec wants at each site; items the spec no longer wants that only they listed stay at the providers: remove them there';
      void deps.events.warning(raw, REASON.DetailsLost, `the per-item lists of status.sites (${known}) are lost: ${err.message}; ${next}`);
      // Provisioning: without desiredHash every site is provisioned again. Teardown: what the spec wants is what there is to remove.
      const desired = purpose === 'teardown' ? desiredIdsBySite(raw) : new Map<string, string[]>();
      const sites = (raw.status.sites ?? []).map(({ desiredHash: _, counts: __, ...rest }) => (purpose === 'teardown' ? { ...rest, inventory: desired.get(rest.site) ?? [] } : rest));
      const { details: ___, ...status } = raw.status;
      whole = { ...raw, status: { ...status, sites } };
      // As stored, but without the lost ConfigMaps: the next write records its lists anew, even when their content is the same.
      stored.set(whole, { ...raw, status });
      return whole;
    }
    stored.set(whole, raw);
    return whole;
  }

  return async (cached, ctx) => {
    if (!cached) return undefined;
    const obj = lastWritten.freshest(cached);
    return finalizer(deps.client, obj, OCCUPIER_FINALIZER, {
      // A new occupier is on its user's critical path: provision in the pass that adds the finalizer.
      applyAfterAdd: true,
      apply: async (o) => provisionSites(await hydrate(o, 'provision'), ctx),
      cleanup: async (o) => {
        const result = await teardown(await hydrate(o, 'teardown'), ctx);
        // Everything they listed is removed (or orphaned by policy) and archived.
        await deps.details?.prune(o, undefined);
        return result;
      },
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
