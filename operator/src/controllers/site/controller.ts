/**
 * The Site controller: checks what the schema cannot (time zone, pools, drivers), reports the
 * use of each pool, and refuses to let a Site be deleted while occupiers have contracts there.
 */
import { isDeepStrictEqual } from 'node:util';
import { siteItemCounts } from '../occupier/details.ts';
import type { DriverMetrics } from '../../../../drivers/src/call.ts';
import { parsedSpec, Site } from '../../api/index.ts';
import type { OccupierResource, SiteResource, SiteStatus } from '../../api/index.ts';
import { finalizer, getCondition, setCondition, updateStatus } from '../../runtime/index.ts';
import type { Clock, EventRecorder, ReconcileContext, ReconcileResult, Reconciler, ResourceClient } from '../../runtime/index.ts';
import { observeItem } from '../execute.ts';
import type { DriverResolver } from '../execute.ts';
import { validateSite } from './validate.ts';

export const CONTROLLER_NAME = 'site';
export const SITE_FINALIZER = 'occupier.dev/site-protection';
const REFRESH_MS = 60_000;
const IN_USE_RECHECK_MS = 10_000;

export interface SiteDeps {
  client: ResourceClient<SiteResource>;
  /** Occupiers that name the site (an index of the occupier cache). */
  occupiersAt(site: string): OccupierResource[];
  drivers: DriverResolver;
  driverMetrics?: DriverMetrics;
  events: EventRecorder;
  clock: Clock;
}

type Capacity = NonNullable<NonNullable<SiteStatus['capacity']>['vlans']>;

function count(v: unknown): Capacity | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.total !== 'number' || typeof r.allocated !== 'number') return undefined;
  return { total: r.total, allocated: r.allocated, ...(typeof r.coolingOff === 'number' ? { coolingOff: r.coolingOff } : {}) };
}

/** Whether an occupier holds anything at the site: a contract in spec or items in status. */
function holds(o: OccupierResource, site: string): boolean {
  const here = (o.status?.sites ?? []).filter((s) => s.site === site).map(siteItemCounts);
  if (o.status?.phase === 'Decommissioned') return here.some((c) => c.inventory > c.history);
  return o.spec.sites.some((s) => s.site === site) || here.some((c) => c.inventory > 0);
}

/** What a Site's status reads of an occupier, per site it is or was at: whether it holds the site, and its active spaces there. */
function siteView(o: OccupierResource): string {
  const names = new Set([...(o.spec?.sites ?? []).map((s) => s.site), ...(o.status?.sites ?? []).map((s) => s.site)]);
  return [...names]
    .sort()
    .map((site) => {
      const spaces = (o.status?.sites ?? []).filter((s) => s.site === site).flatMap((s) => (s.occupancies ?? []).filter((x) => x.status === 'Active').map((x) => x.space));
      return `${site}:${holds(o, site) ? 1 : 0}:${spaces.sort().join(',')}`;
    })
    .join(';');
}

/**
 * The predicate of the Site controller's occupier watch: an occupier update re-queues its Sites
 * only when what their status shows of it changed (whether it is there, its active spaces) —
 * not on every status write of an occupier (each used to cost every Site it is at a pass).
 */
export function occupierChangedForSites(oldObj: OccupierResource, newObj: OccupierResource): boolean {
  return siteView(oldObj) !== siteView(newObj);
}

export function siteReconciler(deps: SiteDeps): Reconciler<SiteResource> {
  const now = (): Date => new Date(deps.clock.now());

  async function apply(site: SiteResource, ctx: ReconcileContext): Promise<ReconcileResult> {
    const name = site.metadata.name ?? '';
    const spec = parsedSpec(Site, site);
    const problems = validateSite(spec);
    const occupiers = deps.occupiersAt(name).filter((o) => holds(o, name));
    const capacity: NonNullable<SiteStatus['capacity']> = {};
    const errors: string[] = [];
    const opts = { drivers: deps.drivers, signal: ctx.signal, ...(deps.driverMetrics ? { metrics: deps.driverMetrics } : {}) };
    if (problems.length === 0) {
      const pools = [
        spec.network ? (['network', 'pool'] as const) : undefined,
        spec.telephony ? (['telephony', 'pool'] as const) : undefined,
        spec.switches ? (['ports', 'pool'] as const) : undefined,
      ].filter((p) => p !== undefined);
      for (const [capability, type] of pools) {
        try {
          const obs = await observeItem(site, { capability, type, key: '-' }, opts);
          const d = (obs.details ?? {}) as Record<string, unknown>;
          if (capability === 'network') {
            const vlans = count(d.vlans);
            const subnets = count(d.subnets);
            if (vlans) capacity.vlans = vlans;
            if (subnets) capacity.subnets = subnets;
          } else if (capability === 'telephony') {
            const c = count(d);
            if (c) capacity.numbers = c;
          } else {
            const c = count(d);
            if (c) capacity.ports = c;
          }
        } catch (err) {
          errors.push(`${capability}: ${(err as Error).message}`);
        }
      }
    }
    const spaces = spec.spaces ?? [];
    const occupied = new Set(
      occupiers.flatMap((o) => (o.status?.sites ?? []).filter((s) => s.site === name).flatMap((s) => (s.occupancies ?? []).filter((x) => x.status === 'Active').map((x) => x.space))),
    );
    capacity.spaces = { total: spaces.length, allocated: spaces.filter((s) => occupied.has(s.name)).length };

    const ready = problems.length === 0 && errors.length === 0;
    const reason = problems[0]?.reason ?? (errors.length > 0 ? 'DriverUnavailable' : 'Valid');
    const message = ready
      ? `pools and drivers are usable; ${occupiers.length} occupier(s) here`
      : [...problems.map((p) => `${p.field}: ${p.message}`), ...errors].join('; ');
    const before = getCondition(site.status?.conditions ?? [], 'Ready');
    await updateStatus(
      deps.client,
      undefined,
      name,
      (fresh) => {
        const conditions = setCondition(fresh.status?.conditions ?? [], { type: 'Ready', status: ready ? 'True' : 'False', reason, message }, fresh.metadata?.generation, now());
        const next: SiteStatus = {
          ...(fresh.status ?? {}),
          observedGeneration: fresh.metadata?.generation ?? 0,
          conditions,
          phase: ready ? 'Ready' : 'NotReady',
          occupiers: occupiers.length,
          capacity,
        };
        // The periodic refresh and occupier changes mostly find nothing new: no write then.
        if (isDeepStrictEqual(next, fresh.status ?? {})) return false;
        fresh.status = next;
        return true;
      },
      { current: site },
    );
    if (before?.status !== (ready ? 'True' : 'False') || before.reason !== reason) {
      if (ready) void deps.events.normal(site, 'Ready', message);
      else void deps.events.warning(site, reason, message);
    }
    return { requeueAfter: REFRESH_MS };
  }

  /** While occupiers hold the site, deletion waits: report why and look again later. */
  async function holdDeletion(site: SiteResource, users: OccupierResource[]): Promise<ReconcileResult> {
    const name = site.metadata.name ?? '';
    const list = users.slice(0, 5).map((o) => `${o.metadata.namespace}/${o.metadata.name}`).join(', ');
    const message = `${users.length} occupier(s) still have contracts or provisioned items here (${list}${users.length > 5 ? ', ...' : ''}); move or decommission them first`;
    const before = getCondition(site.status?.conditions ?? [], 'Ready');
    await updateStatus(deps.client, undefined, name, (fresh) => {
      const conditions = setCondition(fresh.status?.conditions ?? [], { type: 'Ready', status: 'False', reason: 'InUse', message }, fresh.metadata?.generation, now());
      fresh.status = { ...(fresh.status ?? {}), conditions, phase: 'Terminating' };
    });
    if (before?.reason !== 'InUse' || before.message !== message) void deps.events.warning(site, 'InUse', `deletion waits: ${message}`);
    return { requeueAfter: IN_USE_RECHECK_MS };
  }

  return async (site, ctx) => {
    if (!site) return undefined;
    const name = site.metadata.name ?? '';
    if (site.metadata.deletionTimestamp) {
      const users = deps.occupiersAt(name).filter((o) => holds(o, name));
      if (users.length > 0) return holdDeletion(site, users);
    }
    return finalizer(deps.client, site, SITE_FINALIZER, { apply: (s) => apply(s, ctx), cleanup: async () => undefined });
  };
}
