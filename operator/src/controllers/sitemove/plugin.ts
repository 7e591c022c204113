/**
 * The SiteMove plug-in of the one order engine (seeds 000 and 002, SPEC §2 "SiteMove").
 *
 * `planSiteMove` says what the move does (review items, ordered steps, the end of the move
 * date at the source); this file fixes the driver operations of every item:
 *
 * - Destination: exactly the items the Occupier controller's `planProvisioning` wants for the
 *   destination entry (`plan.destination`, users moved from `from` to `to`, evaluated at the
 *   move instant), so when Git later declares that entry the Occupier controller's ensures are
 *   no-ops. Only one instruction is added: a transferred number carries `transferFromSite`
 *   (a transient field the backends leave out of up-to-date checks), which moves it out of the
 *   source without cooling-off and needs no place in the destination's number blocks.
 * - Source: the contract `Completed` with the move date as end date and call charges stopped
 *   (at once); occupancies moved out on the move date, upcoming ones discarded (at once);
 *   then, at the end of the move date in the source time zone: users' accounts and door
 *   access, released numbers (into cooling-off), Wi-Fi devices and ports removed, services
 *   `Inactive`, the network removed last. Billing records are history and are never removed
 *   (but an upcoming occupancy that never began is discarded).
 *
 * planSiteMove has no source step for users; this plug-in adds `users` after `occupancies`.
 */
import { PLAN_ACTIONS } from '../../api/index.ts';
import type { OccupierResource, OccupierSpec, Operation, SiteMoveResource, SiteResource, SiteSpec } from '../../api/index.ts';
import type { SiteEntry } from '../../planner/classify.ts';
import { localDate } from '../../planner/dates.ts';
import { applySiteMove } from '../../planner/effective.ts';
import type { CalendarDate } from '../../planner/dates.ts';
import type { OrderEffect } from '../../planner/phase.ts';
import { itemId, planProvisioning } from '../../planner/provision.ts';
import type { DesiredItem, ProvisionProblem } from '../../planner/provision.ts';
import { resolveSchedule } from '../../planner/schedule.ts';
import { planSiteMove } from '../../planner/sitemove.ts';
import type { SiteMovePlan, SiteMoveStep } from '../../planner/sitemove.ts';
import type { Failure, PlanItem } from '../../planner/types.ts';
import { summarize } from '../../planner/types.ts';
import { listItems } from '../execute.ts';
import { parsedOccupier, parsedSite } from '../orders/parsed.ts';
import type { OrderPlan, OrderPlugin, PlannedStep } from '../orders/plugin.ts';
import { NOTIFY_STEP } from '../orders/tasks.ts';

/** The occupier is decommissioned, being decommissioned, or its decommission failed. */
export const OccupierDecommissioned = 'OccupierDecommissioned';
/** Safety net: the Occupier controller could not provision the destination entry as planned. */
export const DestinationNotProvisionable = 'DestinationNotProvisionable';

const DECOMMISSION_PHASES: ReadonlySet<string> = new Set(['Decommissioned', 'DecommissionPending', 'DecommissionFailed']);

/** The step this plug-in adds at the source: users' Wi-Fi / portal accounts and door access removed. */
export const SOURCE_USERS_STEP = 'users';

export interface SiteMoveGathered {
  from: SiteResource | undefined;
  to: SiteResource | undefined;
  /** Destination spaces nobody else occupies on the move date; absent = not checked (no spaces asked for, or no destination). */
  freeSpaces?: string[] | undefined;
}

/** `namespace/name`: the identity the Occupier controller gives the backends. */
export function occupierIdentity(o: OccupierResource): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

/** The resolved schedule: `status.scheduledFor` once the engine set it, else `spec.scheduledAt` (absent = now). */
export function scheduledFor(order: SiteMoveResource, now: Date): Date {
  const s = order.status?.scheduledFor;
  if (s !== undefined && !Number.isNaN(Date.parse(s))) return new Date(s);
  return resolveSchedule(order.spec.scheduledAt, now);
}

/** The instant the move happens: its schedule, or now when overdue (as `planSiteMove`). */
export function moveInstant(order: SiteMoveResource, now: Date): Date {
  return new Date(Math.max(scheduledFor(order, now).getTime(), now.getTime()));
}

interface ListedOccupancy {
  key: string;
  details: unknown;
}

/**
 * The destination spaces free on `moveDate`: a space is taken by an occupancy of another
 * occupier that is not Completed and does not end (movedOut, its last day) before the move date.
 */
export function freeSpaces(spaces: readonly string[], occupancies: readonly ListedOccupancy[], identity: string, moveDate: CalendarDate): string[] {
  const taken = new Set<string>();
  for (const o of occupancies) {
    const d = (o.details ?? {}) as { occupier?: unknown; space?: unknown; status?: unknown; movedOut?: unknown };
    if (typeof d.space !== 'string' || d.occupier === identity || d.status === 'Completed') continue;
    if (typeof d.movedOut === 'string' && d.movedOut < moveDate) continue;
    taken.add(d.space);
  }
  return spaces.filter((s) => !taken.has(s));
}

/** Everything the plug-in derives from one (order, occupier, gathered, now). */
export interface SiteMoveOps {
  move: SiteMovePlan;
  /** The move instant. */
  at: Date;
  identity: string;
  /** `planProvisioning`'s items for the destination entry; undefined when a problem holds the destination. */
  destinationItems: DesiredItem[] | undefined;
  destinationProblems: ProvisionProblem[];
  steps: PlannedStep[];
}


function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

const ensure = (capability: Operation['capability'], type: string, key: string, spec: Record<string, unknown>): Operation => ({ op: 'ensure', capability, type, key, spec });
const remove = (capability: Operation['capability'], type: string, key: string): Operation => ({ op: 'remove', capability, type, key });

type Service = NonNullable<SiteEntry['services']>[number];
type Occupancy = NonNullable<SiteEntry['occupancies']>[number];

/** Quantity in force on `date` (the base quantity after the scheduled changes up to it). */
function quantityOn(svc: Service, date: CalendarDate): number {
  let q = svc.quantity;
  for (const c of [...(svc.scheduledChanges ?? [])].sort((a, b) => (a.date < b.date ? -1 : 1))) if (c.date <= date) q = c.quantity;
  return q;
}

/** Takes list members in order, so two members with one name map to two items. */
function queue<T>(list: readonly T[]): (match: (t: T) => boolean) => T | undefined {
  const used = new Set<number>();
  return (match) => {
    const i = list.findIndex((t, n) => !used.has(n) && match(t));
    if (i < 0) return undefined;
    used.add(i);
    return list[i];
  };
}

/** Which destination step and plan-item kind an item left over by planSiteMove's items goes to. */
const LEFTOVER: Record<string, { step: SiteMoveStep; kind: PlanItem['kind'] }> = {
  'billing/contract': { step: 'contract', kind: 'Contract' },
  'billing/callCharges': { step: 'contract', kind: 'Contract' },
  'network/allocation': { step: 'network', kind: 'Network' },
  'billing/occupancy': { step: 'occupancies', kind: 'Occupancy' },
  'billing/service': { step: 'services', kind: 'Service' },
  'telephony/number': { step: 'telephony', kind: 'Number' },
  'wifi/device': { step: 'wifi-devices', kind: 'WifiDevice' },
  'ports/port': { step: 'network', kind: 'Port' },
  'wifi/account': { step: 'users', kind: 'User' },
  'directory/account': { step: 'users', kind: 'User' },
  'access/user': { step: 'users', kind: 'User' },
};

/**
 * One pass asks for the ops twice (prerequisites, then plan) with the same inputs: computed once
 * per gathered state (a 1,000-user plan is a tenth of a second).
 */
const opsOfPass = new WeakMap<SiteMoveGathered, { order: SiteMoveResource; occupier: OccupierResource; at: number; ops: SiteMoveOps }>();

/** The plan with every item's operations fixed (pure). */
export function siteMoveOps(order: SiteMoveResource, occupier: OccupierResource, gathered: SiteMoveGathered, now: Date): SiteMoveOps {
  const seen = opsOfPass.get(gathered);
  if (seen && seen.order === order && seen.occupier === occupier && seen.at === now.getTime()) return seen.ops;
  const ops = computeSiteMoveOps(order, occupier, gathered, now);
  opsOfPass.set(gathered, { order, occupier, at: now.getTime(), ops });
  return ops;
}

function computeSiteMoveOps(order: SiteMoveResource, occupierIn: OccupierResource, gathered: SiteMoveGathered, now: Date): SiteMoveOps {
  const occupier = parsedOccupier(occupierIn);
  const spec = order.spec;
  const { from, to } = spec;
  const identity = occupierIdentity(occupier);
  const move = planSiteMove({ occupier, from: gathered.from, to: gathered.to, order, now, moveAt: scheduledFor(order, now), freeSpaces: gathered.freeSpaces });
  const at = moveInstant(order, now);
  const entry = occupier.spec.sites.find((s) => s.site === from);

  // --- destination: planProvisioning's items for the declared destination ------------------
  // The occupier as the move leaves it (the same function the Occupier controller applies).
  const declared = applySiteMove(occupier.spec, { from: spec.from, to: spec.to, destination: move.destination });
  const sites = new Map<string, SiteSpec>(gathered.to ? [[to, parsedSite(gathered.to)]] : []);
  const provision = planProvisioning({ identity, spec: declared, sites, now: at });
  const atTo = provision.sites.find((s) => s.site === to);
  const destinationItems = atTo && !atTo.held ? atTo.items : undefined;
  const destinationProblems = provision.problems.filter((p) => p.site === to);
  const pool = new Map((destinationItems ?? []).map((i) => [itemId(i), i]));
  const take = (capability: string, type: string, key: string): Operation[] => {
    const id = `${capability}/${type}/${key}`;
    const item = pool.get(id);
    if (!item) return [];
    pool.delete(id);
    return [ensure(item.capability, item.type, item.key, item.spec)];
  };
  const nextDevice = queue(entry?.wifiDevices ?? []);
  const destinationOps = (step: SiteMoveStep, item: PlanItem): Operation[] => {
    switch (step) {
      case 'contract':
        return [...take('billing', 'contract', identity), ...take('billing', 'callCharges', identity)];
      case 'network':
        return take('network', 'allocation', identity);
      case 'occupancies':
        return take('billing', 'occupancy', `${identity}/${item.name}/${move.moveDate.to}`);
      case 'services':
        return item.action === 'Unmatched' ? [] : take('billing', 'service', `${identity}/${item.name}`);
      case 'telephony':
        return take('telephony', 'number', item.name).map((op) => ({ ...op, spec: { ...op.spec, transferFromSite: from } }));
      case 'wifi-devices': {
        const d = nextDevice((x) => x.name === item.name);
        return d ? take('wifi', 'device', d.mac.toLowerCase()) : [];
      }
      case 'users':
        return [...take('wifi', 'account', item.name), ...take('directory', 'account', item.name), ...take('access', 'user', item.name)];
      default:
        return [];
    }
  };

  // --- source: history completed, the rest removed at the end of the move date -------------
  const nextOccupancy = queue<Occupancy>(entry?.occupancies ?? []);
  const nextSourceDevice = queue(entry?.wifiDevices ?? []);
  const sourceOps = (step: SiteMoveStep, item: PlanItem): Operation[] => {
    if (!entry) return [];
    const occupier = identity;
    switch (step) {
      case 'contract': {
        const c = entry.contract;
        return [
          ensure('billing', 'contract', identity, compact({ occupier, status: 'Completed', startDate: c.startDate, endDate: move.moveDate.from, tariff: c.tariff, minuteBundle: c.minuteBundle, reference: c.reference })),
          ensure('billing', 'callCharges', identity, { occupier, state: 'Stopped' }),
        ];
      }
      case 'occupancies': {
        const upcoming = item.action === 'Discard';
        const o = nextOccupancy((x) => x.space === item.name && (upcoming ? x.movedIn > move.moveDate.from : x.movedIn <= move.moveDate.from));
        if (!o) return [];
        const key = `${identity}/${o.space}/${o.movedIn}`;
        if (upcoming) return [remove('billing', 'occupancy', key)];
        return [ensure('billing', 'occupancy', key, { occupier, space: o.space, status: 'Completed', movedIn: o.movedIn, movedOut: move.moveDate.from })];
      }
      case 'telephony':
        return [remove('telephony', 'number', item.name)];
      case 'wifi-devices': {
        const d = nextSourceDevice((x) => x.name === item.name);
        return d ? [remove('wifi', 'device', d.mac.toLowerCase())] : [];
      }
      case 'ports':
        return [remove('ports', 'port', `${identity}/${item.name}`)];
      case 'services': {
        const svc = (entry.services ?? []).find((s) => s.name === item.name);
        if (!svc) return [];
        return [
          ensure(
            'billing',
            'service',
            `${identity}/${svc.name}`,
            compact({ occupier, name: svc.name, quantity: quantityOn(svc, move.moveDate.from), state: 'Inactive', accessLevel: svc.accessLevel, startDate: svc.startDate, scheduledChanges: [] }),
          ),
        ];
      }
      case 'network':
        return [remove('network', 'allocation', identity)];
      default:
        return [];
    }
  };

  // --- steps -------------------------------------------------------------------------------
  const toSteps: PlannedStep[] = [];
  const fromSteps: PlannedStep[] = [];
  for (const s of move.steps) {
    const ops = s.side === 'to' ? destinationOps : sourceOps;
    const items = s.items.map((i): PlanItem => ({ ...i, step: s.step, ops: ops(s.step, i) }));
    const planned: PlannedStep = { site: s.site, step: s.step, items, ...(s.notBefore ? { notBefore: s.notBefore } : {}) };
    (s.side === 'to' ? toSteps : fromSteps).push(planned);
    if (s.side === 'from' && s.step === 'occupancies') {
      fromSteps.push({ site: from, step: SOURCE_USERS_STEP, notBefore: move.deprovisionAt, items: sourceUserItems(occupier.spec, from, entry !== undefined, move) });
    }
  }
  // Items planSiteMove has no review item for (users already given access to `to`): one per key.
  const extra = new Map<string, PlanItem>();
  for (const item of pool.values()) {
    const where = LEFTOVER[`${item.capability}/${item.type}`];
    const step = toSteps.find((s) => s.step === where?.step);
    if (!where || !step) continue;
    const id = `${where.step}/${item.key}`;
    let planItem = extra.get(id);
    if (!planItem) {
      planItem = { kind: where.kind, name: item.key, site: to, action: 'Create', detail: `declared at ${to} after the move`, step: where.step, ops: [] };
      extra.set(id, planItem);
      step.items.push(planItem);
    }
    planItem.ops?.push(ensure(item.capability, item.type, item.key, item.spec));
  }
  return { move, at, identity, destinationItems, destinationProblems, steps: [...toSteps, ...fromSteps] };
}

/** One `Delete` item per user of `from` with an account or door access there (what planProvisioning gave them). */
function sourceUserItems(spec: OccupierSpec, from: string, hasEntry: boolean, move: SiteMovePlan): PlanItem[] {
  if (!hasEntry) return [];
  const items: PlanItem[] = [];
  for (const u of spec.users ?? []) {
    if (!u.sites.includes(from)) continue;
    const ops: Operation[] = [];
    const what: string[] = [];
    if (u.wifi) {
      ops.push(remove('wifi', 'account', u.email));
      what.push('Wi-Fi');
    }
    if (u.portal) {
      ops.push(remove('directory', 'account', u.email));
      what.push('portal');
    }
    if ((u.accessGroups ?? []).length > 0 || u.cardId !== undefined) {
      ops.push(remove('access', 'user', u.email));
      what.push('door access');
    }
    if (ops.length === 0) continue;
    items.push({
      kind: 'User',
      name: u.email,
      site: from,
      action: 'Delete',
      detail: `${what.join(', ')} at ${from} removed at ${move.moveDate.from} end of day (${move.deprovisionAt.toISOString()})`,
      step: SOURCE_USERS_STEP,
      ops,
    });
  }
  return items;
}

/** The review and steps for `status.plan` and `status.tasks`. */
export function siteMoveOrderPlan(ops: SiteMoveOps): OrderPlan {
  const items = ops.steps.flatMap((s) => s.items);
  return { summary: summarize(items, PLAN_ACTIONS), unmatched: ops.move.plan.unmatched, steps: ops.steps };
}

/** Every unmet prerequisite: planSiteMove's, a decommissioned occupier, and (safety net) a destination the Occupier controller would hold. */
export function siteMovePrerequisites(order: SiteMoveResource, occupier: OccupierResource, gathered: SiteMoveGathered, now: Date): Failure[] {
  const ops = siteMoveOps(order, occupier, gathered, now);
  const out: Failure[] = [...ops.move.blocked];
  const phase = occupier.status?.phase;
  if (phase !== undefined && DECOMMISSION_PHASES.has(phase)) {
    out.push({ reason: OccupierDecommissioned, message: `occupier ${occupier.metadata.name ?? ''} is ${phase}: it cannot move` });
  }
  if (ops.move.blocked.length === 0 && ops.destinationItems === undefined) {
    const problems = ops.destinationProblems.map((p) => p.message);
    out.push({ reason: DestinationNotProvisionable, message: `the destination entry at ${order.spec.to} cannot be provisioned: ${problems.join('; ') || 'held'}`, items: problems });
  }
  return out;
}

export function siteMovePlugin(): OrderPlugin<SiteMoveResource, SiteMoveGathered> {
  return {
    kind: 'SiteMove',
    kubectlName: 'sitemove',
    async gather(order, occupier, env) {
      const from = env.sites.get(order.spec.from);
      const to = env.sites.get(order.spec.to);
      if (!to || (order.spec.spaces ?? []).length === 0) return { from, to };
      const { drivers, metrics } = env.execute;
      const listed = await listItems(to, 'billing', 'occupancy', undefined, { drivers, signal: env.ctx.signal, ...(metrics ? { metrics } : {}) });
      const date = localDate(moveInstant(order, env.now), to.spec.timezone);
      return { from, to, freeSpaces: freeSpaces((to.spec.spaces ?? []).map((s) => s.name), listed, occupierIdentity(occupier), date) };
    },
    prerequisites: siteMovePrerequisites,
    plan(order, occupier, gathered, now) {
      return siteMoveOrderPlan(siteMoveOps(order, occupier, gathered, now));
    },
    milestones: [
      {
        // "The occupier can use the new site straight away": every destination step is done.
        type: 'DestinationReady',
        reached: (o, tasks) => {
          const at = tasks.filter((t) => t.site === o.spec.to && t.step !== NOTIFY_STEP);
          return at.length > 0 && at.every((t) => t.state === 'Succeeded');
        },
        message: (o) => `${o.spec.occupierRef.name} can use ${o.spec.to} now: contract, network, spaces, services, numbers, devices and users are in place; ${o.spec.from} is ended at the end of the move date`,
      },
    ],
    text: {
      what: (o) => `site move of ${o.spec.occupierRef.name} from ${o.spec.from} to ${o.spec.to}`,
      succeeded: (o) => `client site move complete: ${o.spec.occupierRef.name} moved from ${o.spec.from} to ${o.spec.to}`,
    },
    effects(order): OrderEffect | undefined {
      if (order.status?.phase !== 'Succeeded') return undefined;
      const s = order.spec;
      return { kind: 'SiteMove', name: order.metadata.name ?? '', from: s.from, to: s.to, tariff: s.tariff, minuteBundle: s.minuteBundle, completedAt: order.status.completedAt };
    },
  };
}
