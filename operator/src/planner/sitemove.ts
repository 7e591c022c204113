/**
 * What a SiteMove does (seeds 000 and 002): a new contract at the destination from the move
 * date with the copied services, a fresh network there (IP addresses and VLANs are never
 * carried over), numbers transferred or released, users' site access updated, and the
 * source contract ended on the move date with its services deprovisioned at the end of that
 * day in the source site's time zone.
 */
import type { OccupierResource, SiteMoveSpec, SiteResource } from '../api/index.ts';
import { PLAN_ACTIONS } from '../api/index.ts';
import { contractState, occupancyState } from './classify.ts';
import type { Contract, Service, SiteEntry } from './classify.ts';
import type { CalendarDate } from './dates.ts';
import { endOfDay, localDate } from './dates.ts';
import { DEFAULT_COOLING_OFF_DAYS } from './decommission.ts';
import { SiteNotFound } from './prerequisites.ts';
import { resolveSchedule } from './schedule.ts';
import type { Failure, PlanItem } from './types.ts';
import { summarize } from './types.ts';

/** The reasons, once: each name is its value; `SiteMoveReason` derives from them. */
export const SITE_MOVE_REASONS = {
  /** A Site named by `from` or `to` does not exist. */
  SiteNotFound,
  /** The destination has no network pools ("The site and network must be present"). */
  NoNetworkPool: 'NoNetworkPool',
  /** The occupier has no active contract at the source ("at least 1 existing active contract"). */
  NoActiveContract: 'NoActiveContract',
  /** `to` equals `from`. */
  SameSite: 'SameSite',
  /** The occupier already has an active or upcoming contract at the destination. */
  AlreadyAtDestination: 'AlreadyAtDestination',
  /** Copied services (or their access levels) missing from the destination catalog; listed in `plan.unmatched`. */
  UnmatchedServices: 'UnmatchedServices',
  /** The destination tariff is not in the destination catalog. */
  TariffNotOffered: 'TariffNotOffered',
  /** The destination minute bundle is not in the destination catalog. */
  MinuteBundleNotOffered: 'MinuteBundleNotOffered',
  /** A destination space does not exist at the destination. */
  SpaceNotFound: 'SpaceNotFound',
  /** A destination space is occupied by someone else. */
  SpaceNotFree: 'SpaceNotFree',
  /** Numbers are to be transferred but the destination has no telephony number pool. */
  NoNumberPool: 'NoNumberPool',
} as const;
export const { NoNetworkPool, NoActiveContract, SameSite, AlreadyAtDestination, UnmatchedServices, TariffNotOffered, MinuteBundleNotOffered, SpaceNotFound, SpaceNotFree, NoNumberPool } = SITE_MOVE_REASONS;
export type SiteMoveReason = (typeof SITE_MOVE_REASONS)[keyof typeof SITE_MOVE_REASONS];

/**
 * Steps of a site move, in order: first everything at the destination (so the occupier can
 * use it "straight away"), then the source. Source steps that would cut the occupier off
 * (numbers released, devices, ports, services, network) wait until the end of the move date
 * in the source time zone (`notBefore`); the network goes last, as in a decommission.
 */
export const SITE_MOVE_STEPS = {
  to: ['contract', 'network', 'occupancies', 'services', 'telephony', 'wifi-devices', 'users'],
  from: ['contract', 'occupancies', 'telephony', 'wifi-devices', 'ports', 'services', 'network'],
} as const;
export type SiteMoveStep = (typeof SITE_MOVE_STEPS)['to' | 'from'][number];

export interface SiteMoveStepPlan {
  site: string;
  /** `to` or `from`. */
  side: 'to' | 'from';
  step: SiteMoveStep;
  items: PlanItem[];
  /** Do not start the step before this instant (end of the move date at the source). */
  notBefore?: Date;
}

export interface SiteMoveInput {
  occupier: OccupierResource;
  /** The source Site (undefined: not found). */
  from: SiteResource | undefined;
  /** The destination Site (undefined: not found). */
  to: SiteResource | undefined;
  order: { spec: SiteMoveSpec };
  /** When the plan is computed / the run begins. */
  now: Date;
  /** The resolved schedule (`status.scheduledFor`); default `resolveSchedule(spec.scheduledAt, now)`. */
  moveAt?: Date | undefined;
  /** Names of the destination spaces not occupied by anyone else; absent = not checked. */
  freeSpaces?: readonly string[] | undefined;
}

export interface SiteMovePlan {
  /** Why the move cannot run (empty: it can). */
  blocked: Failure<SiteMoveReason>[];
  /** For `status.plan`: every user, number, service, space and network the move touches. */
  plan: { summary: string; items: PlanItem[]; unmatched: string[] };
  /** Ordered steps (destination first, then source). */
  steps: SiteMoveStepPlan[];
  /** The move date at each site (the instant's local date there). */
  moveDate: { from: CalendarDate; to: CalendarDate };
  /** End of the move date at the source, in its time zone: when its services are deprovisioned. */
  deprovisionAt: Date;
  /** The occupier's entry at the destination after the move (for status, and to suggest the Git change). */
  destination: SiteEntry;
}

function fail(reason: SiteMoveReason, message: string, items?: string[]): Failure<SiteMoveReason> {
  return items ? { reason, message, items } : { reason, message };
}

/**
 * Plan a site move. Pure: `now` and `moveAt` are parameters. The move happens at
 * `max(moveAt, now)` (an overdue move happens now); its date at each site is that instant's
 * local date there.
 */
export function planSiteMove(input: SiteMoveInput): SiteMovePlan {
  const { occupier, from, to, now } = input;
  const spec = input.order.spec;
  const scheduled = input.moveAt ?? resolveSchedule(spec.scheduledAt, now);
  const at = new Date(Math.max(scheduled.getTime(), now.getTime()));
  const fromTz = from?.spec.timezone ?? 'UTC';
  const toTz = to?.spec.timezone ?? 'UTC';
  const moveDate = { from: localDate(at, fromTz), to: localDate(at, toTz) };
  const deprovisionAt = endOfDay(moveDate.from, fromTz);
  const entry = occupier.spec.sites.find((s) => s.site === spec.from);
  const blocked: Failure<SiteMoveReason>[] = [];

  // --- preconditions -------------------------------------------------------------------
  if (spec.to === spec.from) blocked.push(fail(SameSite, `to and from are both ${spec.from}`));
  const missing = [from ? null : spec.from, to ? null : spec.to].filter((s): s is string => s !== null);
  if (missing.length) blocked.push(fail(SiteNotFound, `Site not found: ${[...new Set(missing)].join(', ')}`, missing));
  if (to && !to.spec.network) blocked.push(fail(NoNetworkPool, `destination ${spec.to} has no network pools`));

  if (!entry) {
    blocked.push(fail(NoActiveContract, `${occupier.metadata.name ?? ''} has no contract at ${spec.from}`));
  } else if (from) {
    const today = localDate(now, fromTz);
    const state = contractState(entry.contract, today);
    if (state !== 'Active') {
      blocked.push(fail(NoActiveContract, `the contract at ${spec.from} is ${state} (starts ${entry.contract.startDate}), not active`));
    } else if (entry.contract.endDate !== undefined && entry.contract.endDate < moveDate.from) {
      blocked.push(fail(NoActiveContract, `the contract at ${spec.from} ends ${entry.contract.endDate}, before the move date ${moveDate.from}`));
    }
  }

  const existing = occupier.spec.sites.find((s) => s.site === spec.to);
  if (existing && spec.to !== spec.from && contractState(existing.contract, moveDate.to) !== 'Completed') {
    blocked.push(fail(AlreadyAtDestination, `${occupier.metadata.name ?? ''} already has a contract at ${spec.to}`));
  }

  const unmatched: string[] = [];
  if (to) {
    const catalog = to.spec.catalog;
    if (!(catalog.tariffs ?? []).some((t) => t.name === spec.tariff)) {
      blocked.push(fail(TariffNotOffered, `tariff ${spec.tariff} is not offered at ${spec.to}`, [spec.tariff]));
    }
    if (spec.minuteBundle !== undefined && !(catalog.minuteBundles ?? []).some((b) => b.name === spec.minuteBundle)) {
      blocked.push(fail(MinuteBundleNotOffered, `minute bundle ${spec.minuteBundle} is not offered at ${spec.to}`, [spec.minuteBundle]));
    }
    const spaces = spec.spaces ?? [];
    const unknown = spaces.filter((s) => !(to.spec.spaces ?? []).some((x) => x.name === s));
    if (unknown.length) blocked.push(fail(SpaceNotFound, `no such space at ${spec.to}: ${unknown.join(', ')}`, unknown));
    const free = input.freeSpaces;
    const taken = free === undefined ? [] : spaces.filter((s) => !unknown.includes(s) && !free.includes(s));
    if (taken.length) blocked.push(fail(SpaceNotFree, `spaces already occupied at ${spec.to}: ${taken.join(', ')}`, taken));
    if (spec.copyServices && entry) {
      for (const s of entry.services ?? []) {
        const c = catalog.services.find((x) => x.name === s.name);
        if (!c) unmatched.push(s.name);
        else if (s.accessLevel !== undefined && !(c.accessLevels ?? []).some((l) => l.name === s.accessLevel)) {
          unmatched.push(`${s.name} (access level ${s.accessLevel})`);
        }
      }
      if (unmatched.length) {
        blocked.push(fail(UnmatchedServices, `not in the catalog at ${spec.to}: ${unmatched.join(', ')}`, unmatched));
      }
    }
    if (spec.telephony === 'Transfer' && (entry?.numbers ?? []).length > 0 && !to.spec.telephony) {
      blocked.push(fail(NoNumberPool, `numbers cannot be transferred: ${spec.to} has no telephony number pool`));
    }
  }

  // --- effects -------------------------------------------------------------------------
  const contract: Contract = { startDate: moveDate.to, tariff: spec.tariff };
  if (spec.minuteBundle !== undefined) contract.minuteBundle = spec.minuteBundle;
  const destination: SiteEntry = { site: spec.to, contract };
  const steps: SiteMoveStepPlan[] = [];
  const toSteps = new Map<SiteMoveStep, PlanItem[]>(SITE_MOVE_STEPS.to.map((s) => [s, []]));
  const fromSteps = new Map<SiteMoveStep, PlanItem[]>(SITE_MOVE_STEPS.from.map((s) => [s, []]));
  const atTo = (step: SiteMoveStep, item: Omit<PlanItem, 'site'>): void => void toSteps.get(step)?.push({ ...item, site: spec.to });
  const atFrom = (step: SiteMoveStep, item: Omit<PlanItem, 'site'>): void => void fromSteps.get(step)?.push({ ...item, site: spec.from });
  const endOfMoveDay = `${moveDate.from} end of day ${fromTz} (${deprovisionAt.toISOString()})`;

  if (entry) {
    atTo('contract', {
      kind: 'Contract',
      name: spec.to,
      action: 'Create',
      detail: `from ${moveDate.to}, tariff ${spec.tariff}${spec.minuteBundle ? `, minute bundle ${spec.minuteBundle}` : ''}`,
    });
    const wantsNetwork = entry.network?.enabled !== false;
    if (wantsNetwork) {
      const pool = to?.spec.network;
      atTo('network', {
        kind: 'Network',
        name: 'network',
        action: 'Allocate',
        detail: pool
          ? `new VLAN from ${pool.vlanRange.from}-${pool.vlanRange.to} and a /${pool.subnetPrefixLength} from ${pool.ipv4Pool}; IP addresses and VLANs are never carried over`
          : 'new VLAN and subnet; IP addresses and VLANs are never carried over',
      });
      atFrom('network', { kind: 'Network', name: 'network', action: 'Release', detail: `old VLAN and subnet released at ${endOfMoveDay}` });
    } else {
      destination.network = { enabled: false };
    }
    const spaces = spec.spaces ?? [];
    if (spaces.length) destination.occupancies = spaces.map((space) => ({ space, movedIn: moveDate.to }));
    for (const space of spaces) atTo('occupancies', { kind: 'Occupancy', name: space, action: 'Create', detail: `moves in ${moveDate.to}` });

    const services = entry.services ?? [];
    if (spec.copyServices) {
      const copied: Service[] = [];
      for (const s of services) {
        const label = unmatched.find((u) => u === s.name || u.startsWith(`${s.name} (`));
        if (label !== undefined) {
          atTo('services', { kind: 'Service', name: s.name, action: 'Unmatched', detail: `${label} is not in the catalog at ${spec.to}` });
          continue;
        }
        const changes = (s.scheduledChanges ?? []).filter((c) => c.date > moveDate.to);
        // The quantity in force on the move date: changes dated up to then have taken effect.
        const quantity = [...(s.scheduledChanges ?? [])].filter((c) => c.date <= moveDate.to).sort((a, b) => a.date.localeCompare(b.date)).at(-1)?.quantity ?? s.quantity;
        const svc = { name: s.name, quantity, startDate: moveDate.to, ...(s.accessLevel !== undefined ? { accessLevel: s.accessLevel } : {}), ...(changes.length ? { scheduledChanges: changes } : {}) };
        copied.push(svc);
        atTo('services', {
          kind: 'Service',
          name: s.name,
          action: 'Copy',
          detail: `quantity ${quantity}${s.accessLevel ? `, access level ${s.accessLevel}` : ''}, from ${moveDate.to}${changes.length ? `, with ${changes.length} scheduled change(s)` : ''}`,
        });
      }
      if (copied.length) destination.services = copied;
    }
    for (const s of services) {
      atFrom('services', { kind: 'Service', name: s.name, action: 'Deprovision', detail: `deprovisioned at ${endOfMoveDay}; no longer provided or billed` });
    }

    const numbers = entry.numbers ?? [];
    const cooling = from?.spec.telephony?.coolingOffDays ?? DEFAULT_COOLING_OFF_DAYS;
    for (const n of numbers) {
      const label = n.main ? 'main number' : 'number';
      if (spec.telephony === 'Transfer') {
        atTo('telephony', { kind: 'Number', name: n.number, action: 'Transfer', detail: `${label} moves from ${spec.from} to ${spec.to}` });
      } else {
        atFrom('telephony', {
          kind: 'Number',
          name: n.number,
          action: 'Release',
          detail: `${label} released at ${spec.from} at ${endOfMoveDay}, into cooling-off for ${cooling} days; not carried over`,
        });
      }
    }
    if (spec.telephony === 'Transfer' && numbers.length) destination.numbers = numbers.map((n) => ({ ...n }));

    for (const d of entry.wifiDevices ?? []) {
      atTo('wifi-devices', { kind: 'WifiDevice', name: d.name, action: 'Move', detail: `${d.mac} registered on the ${spec.to} Wi-Fi device network` });
      atFrom('wifi-devices', { kind: 'WifiDevice', name: d.name, action: 'Delete', detail: `registration at ${spec.from} removed at ${endOfMoveDay}` });
    }
    if (entry.wifiDevices?.length) destination.wifiDevices = entry.wifiDevices.map((d) => ({ ...d }));
    for (const p of entry.ports ?? []) {
      atFrom('ports', { kind: 'Port', name: p.name, action: 'Release', detail: `deallocated at ${endOfMoveDay}; ports are physical and not carried over` });
    }

    const moving = new Set(numbers.map((n) => n.number));
    for (const u of occupier.spec.users ?? []) {
      if (!u.sites.includes(spec.from)) continue;
      const parts = [`site access ${spec.from} → ${spec.to}`];
      if (u.phoneNumber !== undefined && moving.has(u.phoneNumber)) {
        parts.push(spec.telephony === 'Transfer' ? `keeps ${u.phoneNumber}` : `${u.phoneNumber} unassigned (released)`);
      }
      atTo('users', { kind: 'User', name: u.email, action: 'Move', detail: parts.join('; ') });
    }

    for (const o of entry.occupancies ?? []) {
      const state = occupancyState(o, moveDate.from);
      if (state === 'Completed') continue;
      if (state === 'Upcoming') {
        atFrom('occupancies', { kind: 'Occupancy', name: o.space, action: 'Discard', detail: `would move in ${o.movedIn}, after the move` });
      } else {
        atFrom('occupancies', { kind: 'Occupancy', name: o.space, action: 'Complete', detail: `moved out ${moveDate.from}` });
      }
    }
    atFrom('contract', {
      kind: 'Contract',
      name: spec.from,
      action: 'Complete',
      detail: `end date ${moveDate.from} (the move date); services deprovisioned at the end of that day`,
    });
  }

  for (const step of SITE_MOVE_STEPS.to) steps.push({ site: spec.to, side: 'to', step, items: toSteps.get(step) ?? [] });
  const immediate = new Set<SiteMoveStep>(['contract', 'occupancies']);
  for (const step of SITE_MOVE_STEPS.from) {
    const s: SiteMoveStepPlan = { site: spec.from, side: 'from', step, items: fromSteps.get(step) ?? [] };
    if (!immediate.has(step)) s.notBefore = deprovisionAt;
    steps.push(s);
  }

  const items = steps.flatMap((s) => s.items);
  return {
    blocked,
    plan: { summary: summarize(items, PLAN_ACTIONS), items, unmatched },
    steps,
    moveDate,
    deprovisionAt,
    destination,
  };
}
