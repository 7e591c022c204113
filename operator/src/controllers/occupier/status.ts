/**
 * Builds `Occupier.status` (pure): from the provisioning plan, the drivers' results and what
 * the orders did (`buildStatus`), or, once decommissioned, from the Decommission's record
 * (`decommissionedStatus`). The Occupier controller is the one writer of this status.
 */
import type { Condition, DecommissionResource, OccupierPhase, OccupierStatus } from '../../api/index.ts';
import type { ProvisionPlan } from '../../planner/provision.ts';
import { itemId, parseItemId } from '../../planner/provision.ts';
import type { PlanItem } from '../../planner/types.ts';
import { getCondition, removeCondition, setCondition } from '../../runtime/index.ts';
import type { ItemResult } from '../execute.ts';
import { driftMessage } from './orders.ts';
import type { LeftSite } from './orders.ts';

type SiteStatus = NonNullable<OccupierStatus['sites']>[number];

export interface SiteOutcome {
  site: string;
  /** Results of ensure calls (desired items) and remove calls (no longer wanted). */
  results: ItemResult[];
  /** Inventory before this pass. */
  previous: string[];
  /** Fingerprint of the desired items that were all Done (skip driver calls when unchanged). */
  desiredHash: string;
}

export interface Trouble {
  item: string;
  reason: string;
  message: string;
}

export interface StatusResult {
  status: OccupierStatus;
  /** Items still in progress or failing transiently (retry). */
  pending: Trouble[];
  /** Items that failed permanently (Degraded). */
  failed: Trouble[];
  /** Shortest retry hint among in-progress items. */
  retryAfterMs: number | undefined;
}

/** `status.users.failed` lists at most this many (total − ready counts them all; Degraded names the first). */
export const MAX_FAILED_USERS = 100;

/** The item types that exist per user (keyed by email). */
const USER_ITEMS = new Set(['directory/account', 'wifi/account', 'access/user']);

export const CONDITION = { Ready: 'Ready', Provisioning: 'Provisioning', Degraded: 'Degraded', Immutable: 'Immutable', SpecFrozen: 'SpecFrozen', SpecDrift: 'SpecDrift' } as const;

/** Reasons of the Occupier conditions (PascalCase). */
export const REASON = {
  /** Everything the spec declares is provisioned. */
  Provisioned: 'Provisioned',
  /** Some items are still being provisioned or retried. */
  InProgress: 'InProgress',
  /** Nothing is pending. */
  Idle: 'Idle',
  /** Nothing failed. */
  AsExpected: 'AsExpected',
  /** The occupier is decommissioned: its spec is ignored. */
  Decommissioned: 'Decommissioned',
  /** An order is running: spec changes wait until it ends. */
  OrderRunning: 'OrderRunning',
  /** The order that froze the spec has ended. */
  OrderEnded: 'OrderEnded',
  /** The spec disagrees with what completed orders did: change it in Git. */
  SpecDrift: 'SpecDrift',
  /** The spec agrees with every completed order. */
  InSync: 'InSync',
  /** The API server refused the status for the object's size. */
  StatusTooLarge: 'StatusTooLarge',
  /** status.sites is large: its per-item lists are kept in ConfigMaps (status.details). */
  DetailsInConfigMaps: 'DetailsInConfigMaps',
  /** The ConfigMaps of status.details are gone or changed: the lists are rebuilt from the spec. */
  DetailsLost: 'DetailsLost',
} as const;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

/** The status of one site from its plan entry and results. */
function siteStatus(plan: ProvisionPlan['sites'][number], outcome: SiteOutcome | undefined, prev: SiteStatus | undefined): SiteStatus {
  if (!outcome) return prev ?? { site: plan.site };
  const byId = new Map(outcome.results.map((r) => [r.id, r]));
  const itemsById = new Map(plan.items.map((i) => [`${i.capability}/${i.type}/${i.key}`, i]));
  const state = (id: string): 'Ready' | 'Provisioning' | 'Failed' => {
    const r = byId.get(id);
    if (!r) return 'Ready'; // unchanged since the last pass where it was Done
    return r.state === 'Done' ? 'Ready' : r.state === 'InProgress' || r.code === 'Transient' ? 'Provisioning' : 'Failed';
  };
  const details = (id: string): Record<string, unknown> => {
    const r = byId.get(id);
    return r?.state === 'Done' ? rec(r.details) : {};
  };
  const s: SiteStatus = { site: plan.site };
  const contract = plan.items.find((i) => i.type === 'contract');
  if (contract) {
    const c = contract.spec;
    s.contract = { status: c.status as 'Upcoming' | 'Active' | 'Completed', startDate: String(c.startDate), ...(str(c.endDate) ? { endDate: String(c.endDate) } : {}) };
  }
  const net = plan.items.find((i) => i.capability === 'network' && i.type === 'allocation');
  if (net) {
    const id = `network/allocation/${net.key}`;
    const d = details(id);
    const prevNet = prev?.network;
    const vlan = num(d.vlan) ?? prevNet?.vlan;
    const subnet = str(d.subnet) ?? prevNet?.subnet;
    const gateway = str(d.gateway) ?? prevNet?.gateway;
    s.network = { state: state(id), ...(vlan !== undefined ? { vlan } : {}), ...(subnet ? { subnet } : {}), ...(gateway ? { gateway } : {}) };
  }
  const numbers = plan.items.filter((i) => i.capability === 'telephony' && i.type === 'number');
  if (numbers.length > 0) {
    const prevNumbers = new Map((prev?.numbers ?? []).map((n) => [n.number, n]));
    s.numbers = numbers.map((n) => {
      const id = `telephony/number/${n.key}`;
      const st = state(id);
      const assignedTo = str(n.spec.assignedTo);
      const handset = details(id).handsetLoggedIn ?? prevNumbers.get(n.key)?.handsetLoggedIn;
      return {
        number: n.key,
        state: st === 'Failed' ? 'Failed' : assignedTo ? 'Assigned' : 'Allocated',
        ...(n.spec.main === true ? { main: true } : {}),
        ...(assignedTo ? { assignedTo } : {}),
        ...(typeof handset === 'boolean' ? { handsetLoggedIn: handset } : {}),
      };
    });
  }
  const services = plan.items.filter((i) => i.type === 'service');
  if (services.length > 0) {
    const prevServices = new Map((prev?.services ?? []).map((x) => [x.name, x]));
    s.services = services.map((svc) => {
      const id = `billing/service/${svc.key}`;
      const d = details(id);
      const name = String(svc.spec.name);
      const observed = str(d.state) ?? prevServices.get(name)?.state ?? (state(id) === 'Failed' ? 'Failed' : 'Provisioning');
      return {
        name,
        quantity: Number(svc.spec.quantity),
        state: observed as 'Provisioning' | 'Active' | 'Updating' | 'Failed' | 'Inactive',
        ...(str(svc.spec.accessLevel) ? { accessLevel: String(svc.spec.accessLevel) } : {}),
        ...(str(d.message) ? { message: String(d.message) } : {}),
      };
    });
  }
  const occupancies = plan.items.filter((i) => i.type === 'occupancy');
  if (occupancies.length > 0) {
    s.occupancies = occupancies.map((o) => ({
      space: String(o.spec.space),
      status: o.spec.status as 'Upcoming' | 'Active' | 'Completed',
      movedIn: String(o.spec.movedIn),
      ...(str(o.spec.movedOut) ? { movedOut: String(o.spec.movedOut) } : {}),
    }));
  }
  const ports = plan.items.filter((i) => i.capability === 'ports');
  if (ports.length > 0) {
    const prevPorts = new Map((prev?.ports ?? []).map((p) => [p.name, p]));
    s.ports = ports.map((p) => {
      const id = `ports/port/${p.key}`;
      const d = details(id);
      const name = p.key.slice(p.key.lastIndexOf('/') + 1);
      const before = prevPorts.get(name);
      return { name, switch: str(d.switch) ?? before?.switch ?? '', port: num(d.port) ?? before?.port ?? 0, state: state(id) };
    });
  }
  const devices = plan.items.filter((i) => i.capability === 'wifi' && i.type === 'device');
  if (devices.length > 0) {
    s.wifiDevices = devices.map((d) => ({ name: String(d.spec.name), mac: d.key, state: state(`wifi/device/${d.key}`) }));
  }
  // Inventory: what is wanted, plus what was there and has not been removed yet. A wanted item
  // the driver refused permanently and that was never ours (e.g. a MAC another occupier
  // registered, MacInUse) is not inventory: removing it later would remove the other's item.
  const previous = new Set(outcome.previous);
  const refused = (id: string): boolean => {
    const r = byId.get(id);
    return r?.op === 'ensure' && r.state === 'Failed' && r.code === 'Permanent' && !previous.has(id);
  };
  const inventory = new Set([...itemsById.keys()].filter((id) => !refused(id)));
  for (const id of outcome.previous) {
    const r = byId.get(id);
    if (!itemsById.has(id) && !(r?.op === 'remove' && r.state === 'Done')) inventory.add(id);
  }
  s.inventory = [...inventory].sort();
  if (outcome.results.every((r) => r.state === 'Done')) s.desiredHash = outcome.desiredHash;
  return s;
}

export interface BuildInput {
  prev: OccupierStatus | undefined;
  generation: number | undefined;
  plan: ProvisionPlan;
  outcomes: SiteOutcome[];
  phase: OccupierPhase;
  now: Date;
  /** The order the phase is about (absent: none). */
  activeOrder?: OccupierStatus['activeOrder'];
  /** Fields to change in Git after completed orders (empty: in sync). */
  drift?: readonly string[];
  /** The reseller after the last completed CustomerMove (absent: as before; null: none, not a customer). */
  reseller?: string | null | undefined;
  /** Of a reseller, its customers (absent: as before; null: none listed, not a reseller). */
  customers?: readonly string[] | null | undefined;
  /** Sites completed moves left: only their billing history and ended contract stay. */
  left?: readonly LeftSite[];
}

/** A site a move left: the billing inventory (history) and the contract as the move ended it. */
function leftSiteStatus(l: LeftSite, prev: SiteStatus | undefined): SiteStatus {
  const startDate = l.contract?.startDate ?? prev?.contract?.startDate;
  const endDate = l.contract?.endDate ?? prev?.contract?.endDate;
  const inventory = (prev?.inventory ?? []).filter((id) => id.startsWith('billing/'));
  return {
    site: l.site,
    ...(startDate ? { contract: { status: 'Completed' as const, startDate, ...(endDate ? { endDate } : {}) } } : {}),
    ...(inventory.length > 0 ? { inventory } : {}),
  };
}

/** The new status, with Ready / Provisioning / Degraded conditions. */
export function buildStatus(input: BuildInput): StatusResult {
  const { prev, generation, plan, outcomes, now } = input;
  const bySite = new Map(outcomes.map((o) => [o.site, o]));
  const prevSites = new Map((prev?.sites ?? []).map((s) => [s.site, s]));
  const sites = plan.sites.map((p) => siteStatus(p, bySite.get(p.site), prevSites.get(p.site)));
  // Sites no longer in spec keep their entry while they still hold items to remove.
  for (const o of outcomes) {
    if (plan.sites.some((p) => p.site === o.site)) continue;
    const prevSite = prevSites.get(o.site);
    const left = o.previous.filter((id) => !o.results.some((r) => r.id === id && r.op === 'remove' && r.state === 'Done'));
    if (left.length > 0) sites.push({ ...(prevSite ?? { site: o.site }), inventory: left });
  }
  for (const l of input.left ?? []) {
    const prevSite = prevSites.get(l.site);
    if (prevSite && !sites.some((s) => s.site === l.site)) sites.push(leftSiteStatus(l, prevSite));
  }

  const pending: Trouble[] = [];
  const failed: Trouble[] = [];
  const failedUsers = new Set<string>();
  let retryAfterMs: number | undefined;
  for (const o of outcomes) {
    for (const r of o.results) {
      if (r.state === 'Done') continue;
      const { capability, type, key } = parseItemId(r.id);
      const item = `${o.site}: ${type} ${key}`;
      if (r.state === 'InProgress') {
        pending.push({ item, reason: 'InProgress', message: `${r.op} in progress (task ${r.taskRef})` });
        retryAfterMs = Math.min(retryAfterMs ?? Infinity, r.retryAfterMs);
      } else if (r.code === 'Transient') pending.push({ item, reason: r.reason, message: r.message });
      else {
        failed.push({ item, reason: r.reason, message: r.message });
        if (USER_ITEMS.has(`${capability}/${type}`)) failedUsers.add(key);
      }
    }
  }
  const problems = plan.problems.map((p) => ({ item: p.site ?? 'occupier', reason: p.reason, message: p.message }));
  const degraded = [...problems, ...failed];

  let conditions: Condition[] = prev?.conditions ?? [];
  const set = (type: string, status: 'True' | 'False', reason: string, message: string): void => {
    conditions = setCondition(conditions, { type, status, reason, message }, generation, now);
  };
  const describe = (list: Trouble[]): string =>
    list
      .slice(0, 10)
      .map((t) => `${t.item}: ${t.reason}: ${t.message}`)
      .join('; ') + (list.length > 10 ? `; and ${list.length - 10} more` : '');
  if (degraded.length > 0) set(CONDITION.Degraded, 'True', degraded[0]?.reason ?? 'Degraded', describe(degraded));
  else set(CONDITION.Degraded, 'False', REASON.AsExpected, 'nothing failed');
  if (pending.length > 0) set(CONDITION.Provisioning, 'True', REASON.InProgress, describe(pending));
  else set(CONDITION.Provisioning, 'False', REASON.Idle, 'nothing pending');
  if (degraded.length > 0) set(CONDITION.Ready, 'False', degraded[0]?.reason ?? 'Degraded', describe(degraded));
  else if (pending.length > 0) set(CONDITION.Ready, 'False', REASON.InProgress, `${pending.length} item(s) still provisioning`);
  else set(CONDITION.Ready, 'True', REASON.Provisioned, 'every site is provisioned as declared');
  const drift = [...(input.drift ?? [])];
  if (drift.length > 0) set(CONDITION.SpecDrift, 'True', REASON.SpecDrift, driftMessage(drift));
  else set(CONDITION.SpecDrift, 'False', REASON.InSync, 'spec agrees with every completed order');
  if (getCondition(conditions, CONDITION.SpecFrozen)?.status === 'True') set(CONDITION.SpecFrozen, 'False', REASON.OrderEnded, 'no order is running: spec changes apply');

  const currentSites = plan.sites.filter((s) => s.contract === 'Active').map((s) => s.site);
  const userSet = new Set(plan.sites.flatMap((s) => s.items).filter((i) => USER_ITEMS.has(`${i.capability}/${i.type}`)).map((i) => i.key));
  const base: OccupierStatus = withCustomers({ ...(prev ?? {}) }, input.customers);
  delete base.activeOrder;
  delete base.specDrift;
  delete base.reseller;
  const reseller = input.reseller === null ? undefined : (input.reseller ?? prev?.reseller);
  const status: OccupierStatus = {
    ...base,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions,
    phase: input.phase,
    ...(input.activeOrder ? { activeOrder: input.activeOrder } : {}),
    currentSites,
    sitesSummary: currentSites.join(','),
    ...(reseller !== undefined ? { reseller } : {}),
    users: { total: userSet.size, ready: userSet.size - failedUsers.size, ...(failedUsers.size > 0 ? { failed: [...failedUsers].sort().slice(0, MAX_FAILED_USERS) } : {}) },
    sites,
    ...(drift.length > 0 ? { specDrift: drift } : {}),
  };
  return { status, pending, failed, retryAfterMs };
}

/**
 * `status.customers` set to `customers` (sorted; null: removed, the occupier is no reseller;
 * undefined: as it was). Returns the same object.
 */
export function withCustomers(status: OccupierStatus, customers: readonly string[] | null | undefined): OccupierStatus {
  if (customers === null) delete status.customers;
  else if (customers !== undefined) status.customers = [...new Set(customers)].sort();
  return status;
}

// ---------------------------------------------------------------------------------------
// Decommissioned
// ---------------------------------------------------------------------------------------

export interface DecommissionedInput {
  prev: OccupierStatus | undefined;
  /** The Succeeded Decommission (absent: its order was deleted; the status stays as it was). */
  order: DecommissionResource | undefined;
  /** Its frozen plan items (inline in its status, or from the plan store). */
  items: readonly PlanItem[];
  /** `namespace/name`. */
  identity: string;
  generation: number | undefined;
  now: Date;
}

/** The end date the Decommission recorded for a contract (its operation's `spec.endDate`). */
function recordedEndDate(item: PlanItem | undefined): string | undefined {
  const end = (item?.ops ?? []).map((op) => op.spec?.endDate).find((d) => typeof d === 'string');
  return typeof end === 'string' ? end : undefined;
}

/** A site after the decommission: only history (billing items it did not remove) and the contract it completed. */
function decommissionedSite(s: SiteStatus, items: readonly PlanItem[]): SiteStatus {
  const here = items.filter((i) => i.site === s.site);
  const removed = new Set(here.flatMap((i) => (i.ops ?? []).filter((op) => op.op === 'remove').map(itemId)));
  const inventory = (s.inventory ?? []).filter((id) => id.startsWith('billing/') && !removed.has(id));
  const item = here.find((i) => i.kind === 'Contract');
  const endDate = recordedEndDate(item) ?? s.contract?.endDate;
  const contract = s.contract && item?.action !== 'Discard' ? { status: 'Completed' as const, startDate: s.contract.startDate, ...(endDate ? { endDate } : {}) } : undefined;
  return { site: s.site, ...(contract ? { contract } : {}), inventory };
}

/**
 * The status of a decommissioned occupier: phase Decommissioned, Ready and Immutable True,
 * no current sites or users, the archived history (counts from the order's plan), and per
 * site only what stays as history — billing items, the contract Completed with the end date
 * the order recorded. Idempotent: applied to its own output it gives the same status.
 */
export function decommissionedStatus(input: DecommissionedInput): OccupierStatus {
  const { prev, order, identity, generation, now, items } = input;
  let conditions: Condition[] = removeCondition(removeCondition(prev?.conditions ?? [], CONDITION.SpecFrozen), CONDITION.SpecDrift);
  const set = (type: string, status: 'True' | 'False', message: string): void => {
    conditions = setCondition(conditions, { type, status, reason: REASON.Decommissioned, message }, generation, now);
  };
  set(CONDITION.Ready, 'True', 'decommissioned across all of its sites; history archived');
  set(CONDITION.Immutable, 'True', 'the occupier is decommissioned: spec changes are ignored and nothing new can be provisioned');
  set(CONDITION.Provisioning, 'False', 'nothing is provisioned for a decommissioned occupier');
  set(CONDITION.Degraded, 'False', 'nothing is provisioned for a decommissioned occupier');

  const counts = order?.status?.plan?.counts;
  const count = (kind: PlanItem['kind'], action: PlanItem['action']): number => counts?.[`${kind}/${action}`] ?? items.filter((i) => i.kind === kind && i.action === action).length;
  const completedAt = order?.status?.completedAt ?? prev?.history?.archivedAt;
  const history: OccupierStatus['history'] = order
    ? {
        ...(prev?.history ?? {}),
        ...(completedAt ? { archivedAt: completedAt } : {}),
        recordRef: `records/archive/${identity}`,
        contracts: count('Contract', 'Complete'),
        occupancies: count('Occupancy', 'Complete'),
        services: count('Service', 'Deprovision'),
      }
    : prev?.history;
  const status: OccupierStatus = {
    ...(prev ?? {}),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions,
    phase: 'Decommissioned',
    currentSites: [],
    sitesSummary: '',
    users: { total: 0, ready: 0 },
    sites: (prev?.sites ?? []).map((s) => decommissionedSite(s, items)),
    ...(history ? { history } : {}),
  };
  delete status.activeOrder;
  delete status.specDrift;
  return status;
}

/** Hash of desired items recorded per site: when unchanged and Ready, no driver call is needed. */
export function desiredHashes(status: OccupierStatus | undefined): Map<string, string> {
  return new Map((status?.sites ?? []).flatMap((s) => (s.desiredHash ? [[s.site, s.desiredHash] as const] : [])));
}
