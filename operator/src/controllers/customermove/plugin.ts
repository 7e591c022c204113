/**
 * The CustomerMove plug-in of the one order engine (seed 003, SPEC §2 "CustomerMove"): a
 * customer occupier moves under another reseller in the same location.
 *
 * `planCustomerMove` has the manual's rules and the SAL matching; this file gathers what they
 * need (the destination reseller as it stands, the Sites of both) and fixes the driver
 * operations of every item, per customer site, in order:
 *
 * | step        | item                      | operation                                                                         |
 * | ----------- | ------------------------- | --------------------------------------------------------------------------------- |
 * | `billing`   | the customer (Contract)   | ensure `billing/customer` <identity>: `{ occupier, reseller }`                    |
 * | `directory` | the customer (Access)     | ensure `directory/customer` <identity>: `{ occupier, reseller }`                  |
 * | `services`  | each service (Service)    | ensure `billing/service` <identity>/<name>: planProvisioning's item for the spec  |
 * |             |                           | after the move (the matched or mapped access level), so the Occupier controller's |
 * |             |                           | ensures after the move are no-ops                                                 |
 * | `users`     | each user there (User)    | ensure `directory/entitlements` <email>: per service the access level and the     |
 * |             |                           | properties the user inherits (the level's, or `accessLevelOverrides`)             |
 *
 * Nothing about sites, network or numbers changes. `reseller` is the reseller's identity
 * (`namespace/name`), as `occupier` is the customer's.
 */
import { PLAN_ACTIONS } from '../../api/index.ts';
import type { CustomerMoveResource, OccupierResource, Operation, SiteResource, SiteSpec } from '../../api/index.ts';
import { planCustomerMove } from '../../planner/customermove.ts';
import type { CustomerMovePlan } from '../../planner/customermove.ts';
import { applyCustomerMove } from '../../planner/effective.ts';
import type { OrderEffect } from '../../planner/phase.ts';
import { itemId, planProvisioning } from '../../planner/provision.ts';
import type { DesiredItem } from '../../planner/provision.ts';
import type { Failure, PlanItem } from '../../planner/types.ts';
import { summarize } from '../../planner/types.ts';
import { parsedOccupier, parsedSite } from '../orders/parsed.ts';
import type { OrderPlan, OrderPlugin, PlannedStep } from '../orders/plugin.ts';
import { OccupierDecommissioned } from '../sitemove/plugin.ts';

export { OccupierDecommissioned };
/** The destination reseller is decommissioned, being decommissioned, or its decommission failed. */
export const ResellerDecommissioned = 'ResellerDecommissioned';

const DECOMMISSION_PHASES: ReadonlySet<string> = new Set(['Decommissioned', 'DecommissionPending', 'DecommissionFailed']);
/** Observed service states that mean the reseller does not have the service (any more). */
const NOT_PROVISIONED: ReadonlySet<string> = new Set(['Failed', 'Inactive']);

export interface CustomerMoveGathered {
  /** The destination reseller as orders see it, with only what it has provisioned (`provisionedOnly`); undefined: not found. */
  toReseller: OccupierResource | undefined;
  /** The current reseller (to name it); undefined: none, or not found. */
  fromReseller: OccupierResource | undefined;
  /** The Sites of the customer and of the destination reseller, by name (absent: not found). */
  sites: Map<string, SiteResource>;
}

export interface CustomerMovePluginDeps {
  /** Occupiers by `namespace/name` (the cache). */
  occupiers: { get(key: string): OccupierResource | undefined };
  /** The occupier as orders see it (its spec with completed orders applied); default: as it is. */
  effective?(occupier: OccupierResource): OccupierResource;
}

const identityOf = (o: OccupierResource): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
const ensure = (capability: Operation['capability'], type: string, key: string, spec: Record<string, unknown>): Operation => ({ op: 'ensure', capability, type, key, spec });


/**
 * "The reseller must already have the same services provisioned to it": the reseller's site
 * entries whose contract its status does not show ended or not begun, with the services its
 * status does not show Failed or Inactive. Where status says nothing yet, the spec counts.
 */
export function provisionedOnly(reseller: OccupierResource): OccupierResource {
  const observed = new Map((reseller.status?.sites ?? []).map((s) => [s.site, s]));
  const sites = reseller.spec.sites
    .filter((e) => {
      const contract = observed.get(e.site)?.contract?.status;
      return contract === undefined || contract === 'Active';
    })
    .map((e) => {
      const states = new Map((observed.get(e.site)?.services ?? []).map((s) => [s.name, s.state]));
      const services = (e.services ?? []).filter((s) => !NOT_PROVISIONED.has(states.get(s.name) ?? ''));
      return services.length === (e.services ?? []).length ? e : { ...e, services };
    });
  return { ...reseller, spec: { ...reseller.spec, sites } };
}

/** Everything the plug-in derives from one (order, customer, gathered, now). */
export interface CustomerMoveOps {
  move: CustomerMovePlan;
  identity: string;
  /** `namespace/name` of the destination reseller (the `reseller` of the billing and directory items). */
  reseller: string;
  steps: PlannedStep[];
}

/** The plan with every item's operations fixed (pure). */
export function customerMoveOps(order: CustomerMoveResource, customerIn: OccupierResource, g: CustomerMoveGathered, now: Date): CustomerMoveOps {
  const customer = parsedOccupier(customerIn);
  const identity = identityOf(customer);
  const target = order.spec.toReseller.name;
  const reseller = `${order.metadata.namespace ?? customer.metadata.namespace ?? ''}/${target}`;
  const move = planCustomerMove({ customer, fromReseller: g.fromReseller, toReseller: g.toReseller, sites: g.sites, order });

  // The customer as the move leaves it, and what the Occupier controller then provisions.
  const accessLevels = Object.fromEntries((order.spec.servicePlanMappings ?? []).map((m) => [m.service, m.accessLevel]));
  const after = applyCustomerMove(customer.spec, { reseller: target, accessLevels });
  const siteSpecs = new Map<string, SiteSpec>();
  for (const e of after.sites) {
    const s = g.sites.get(e.site);
    if (s) siteSpecs.set(e.site, parsedSite(s));
  }
  const provision = planProvisioning({ identity, spec: after, sites: siteSpecs, now });
  const provisioned = new Map(provision.sites.filter((p) => !p.held).map((p) => [p.site, p]));
  const desired = (site: string, capability: string, type: string, key: string): DesiredItem | undefined =>
    provisioned.get(site)?.items.find((i) => itemId(i) === `${capability}/${type}/${key}`);

  const opsOf = (site: string, step: string, item: PlanItem): Operation[] => {
    switch (step) {
      case 'billing':
        return [ensure('billing', 'customer', identity, { occupier: identity, reseller })];
      case 'directory':
        return [ensure('directory', 'customer', identity, { occupier: identity, reseller })];
      case 'services': {
        if (item.action === 'Unmatched') return [];
        const svc = desired(site, 'billing', 'service', `${identity}/${item.name}`);
        return svc ? [ensure('billing', 'service', svc.key, svc.spec)] : [];
      }
      case 'users': {
        // Users have service properties where the contract is active (as they have accounts).
        if (provisioned.get(site)?.contract !== 'Active') return [];
        const services = Object.fromEntries(
          Object.entries(move.inherits[site] ?? {}).map(([name, i]) => [name, { ...(i.accessLevel !== undefined ? { accessLevel: i.accessLevel } : {}), properties: i.properties }]),
        );
        return [ensure('directory', 'entitlements', item.name, { occupier: identity, email: item.name, services })];
      }
      default:
        return [];
    }
  };
  const steps: PlannedStep[] = move.steps.map((s) => ({ site: s.site, step: s.step, items: s.items.map((i): PlanItem => ({ ...i, step: s.step, ops: opsOf(s.site, s.step, i) })) }));
  return { move, identity, reseller, steps };
}

/** The review and the steps for `status.plan` and `status.tasks`. */
export function customerMoveOrderPlan(ops: CustomerMoveOps): OrderPlan {
  const items = ops.steps.flatMap((s) => s.items);
  return { summary: summarize(items, PLAN_ACTIONS), unmatched: ops.move.plan.unmatched, steps: ops.steps };
}

/** Every unmet prerequisite: planCustomerMove's, a decommissioned occupier, a decommissioned destination. */
export function customerMovePrerequisites(order: CustomerMoveResource, customer: OccupierResource, g: CustomerMoveGathered, now: Date): Failure[] {
  const ops = customerMoveOps(order, customer, g, now);
  const out: Failure[] = [...ops.move.blocked];
  const phase = customer.status?.phase;
  if (phase !== undefined && DECOMMISSION_PHASES.has(phase)) {
    out.push({ reason: OccupierDecommissioned, message: `occupier ${customer.metadata.name ?? ''} is ${phase}: it cannot move` });
  }
  const resellerPhase = g.toReseller?.status?.phase;
  if (resellerPhase !== undefined && DECOMMISSION_PHASES.has(resellerPhase)) {
    out.push({ reason: ResellerDecommissioned, message: `reseller ${order.spec.toReseller.name} is ${resellerPhase}: it takes no customers` });
  }
  return out;
}

/** The current reseller of the customer as the cache has it (before the move completes: the one it leaves). */
function currentReseller(o: OccupierResource | undefined): string | undefined {
  return o?.status?.reseller ?? o?.spec.resellerRef?.name;
}

export function customerMovePlugin(deps: CustomerMovePluginDeps): OrderPlugin<CustomerMoveResource, CustomerMoveGathered> {
  const lookup = (namespace: string | undefined, name: string | undefined): OccupierResource | undefined => {
    if (name === undefined) return undefined;
    const o = deps.occupiers.get(`${namespace ?? ''}/${name}`);
    return o && deps.effective ? deps.effective(o) : o;
  };
  return {
    kind: 'CustomerMove',
    kubectlName: 'customermove',
    gather(order, customer, env) {
      const ns = order.metadata.namespace;
      const to = lookup(ns, order.spec.toReseller.name);
      const from = lookup(ns, customer.status?.reseller ?? customer.spec.resellerRef?.name);
      const toReseller = to ? provisionedOnly(to) : undefined;
      const sites = new Map<string, SiteResource>();
      for (const name of [...customer.spec.sites, ...(toReseller?.spec.sites ?? [])].map((e) => e.site)) {
        const s = env.sites.get(name);
        if (s) sites.set(name, s);
      }
      return Promise.resolve({ toReseller, fromReseller: from, sites });
    },
    prerequisites: customerMovePrerequisites,
    plan(order, customer, g, now) {
      return customerMoveOrderPlan(customerMoveOps(order, customer, g, now));
    },
    text: {
      what: (o) => {
        const from = currentReseller(deps.occupiers.get(`${o.metadata.namespace ?? ''}/${o.spec.occupierRef.name}`));
        const to = o.spec.toReseller.name;
        // Once the move has completed, the current reseller is the new one.
        return from === undefined || from === to ? `customer move of ${o.spec.occupierRef.name} to ${to}` : `customer move of ${o.spec.occupierRef.name} from ${from} to ${to}`;
      },
      succeeded: (o) => `customer move complete: ${o.spec.occupierRef.name} is now a customer of ${o.spec.toReseller.name}`,
    },
    effects(order): OrderEffect | undefined {
      if (order.status?.phase !== 'Succeeded') return undefined;
      return { kind: 'CustomerMove', name: order.metadata.name ?? '', toReseller: order.spec.toReseller.name, completedAt: order.status.completedAt };
    },
  };
}
