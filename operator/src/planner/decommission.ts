/**
 * What a decommission does, per site and step: seed 001's "What happens to decommissioned
 * data" table row by row, with every date evaluated in the site's own time zone.
 */
import type { OccupierResource, SiteResource } from '../api/index.ts';
import { PLAN_ACTIONS } from '../api/index.ts';
import { contractState, occupancyState, serviceIsFuture } from './classify.ts';
import type { SiteEntry } from './classify.ts';
import type { CalendarDate } from './dates.ts';
import { addDays, localDate } from './dates.ts';
import type { Observed, PlanItem, SiteIndex } from './types.ts';
import { indexSites, summarize } from './types.ts';

/**
 * The steps of a decommission at one site, in the order they run. Steps run one after the
 * other at a site; sites run in parallel. Why this order:
 *
 * 1. `telephony-freeze` first: the manual's numbers are "initially frozen (cannot be
 *    edited)", so nothing (operator, user, other controller) changes them while the rest runs.
 * 2. `access` early: users leave their door groups and their card IDs are freed, so nobody
 *    can open doors from the moment the run starts.
 * 3. `users`: users are deleted, their Wi-Fi Secure and portal accounts cancelled and their
 *    numbers unassigned — before the numbers are deactivated and deallocated.
 * 4. `wifi-devices`, 5. `ports`: shared devices deleted, switch/floor ports deallocated.
 * 6. `telephony-deactivate`, 7. `telephony-deallocate`: frozen → deactivated →
 *    deallocated into cooling-off, the manual's sequence, once no user holds a number.
 * 8. `services`: deprovisioned (Inactive); scheduled starts and quantity changes deleted.
 * 9. `call-charges`: no new call charges once telephony and services are gone.
 * 10. `bookings`: upcoming bookings unassigned, historical ones lose the user name.
 * 11. `occupancies`, 12. `contracts`: ended after the services under them, so no contract is
 *    Completed while a service it bills is still live.
 * 13. `network` LAST (the manual lists it last): services, devices and ports ride on the
 *    occupier VLAN until everything above is gone.
 */
export const DECOMMISSION_STEPS = [
  'telephony-freeze',
  'access',
  'users',
  'wifi-devices',
  'ports',
  'telephony-deactivate',
  'telephony-deallocate',
  'services',
  'call-charges',
  'bookings',
  'occupancies',
  'contracts',
  'network',
] as const;
export type DecommissionStep = (typeof DECOMMISSION_STEPS)[number];

/** Default cooling-off when a Site has no telephony settings (the Site schema's default). */
export const DEFAULT_COOLING_OFF_DAYS = 90;

/** The work at one site. Every step is listed, in order, even when it has no items. */
export interface DecommissionSitePlan {
  site: string;
  timezone: string;
  /** The site's local date when the plan was computed. */
  today: CalendarDate;
  /** The date recorded as the end of active contracts and occupancies. */
  yesterday: CalendarDate;
  steps: { step: DecommissionStep; items: PlanItem[] }[];
}

/** What stays readable after the decommission (the manual's "Historical Data" column). */
export interface DecommissionHistory {
  /** Contracts kept as history: those already completed plus those completed now. Upcoming ones are discarded. */
  contracts: number;
  /** Occupancies kept as history: completed now or earlier. Upcoming and moved-in-today ones are deleted. */
  occupancies: number;
  /** Services kept (Inactive, no end date). Services scheduled to start later are deleted. */
  services: number;
  /** What operators can still read. */
  readable: readonly string[];
  /** What is gone for good. */
  notReadable: readonly string[];
}

export interface DecommissionPlan {
  /** Every item the order touches, once each (for `status.plan.items`). */
  items: PlanItem[];
  /** Per site, the ordered steps and their items (for `status.tasks`). */
  sites: DecommissionSitePlan[];
  /** One line: counts per action (for `status.plan.summary`). */
  summary: string;
  history: DecommissionHistory;
  /** Sites the occupier names that have no Site object (planned in UTC; the prerequisite SiteNotFound blocks the run). */
  unknownSites: string[];
}

export interface DecommissionInput {
  occupier: OccupierResource;
  sites: readonly SiteResource[] | SiteIndex;
  /** When the run begins. */
  now: Date;
  /** Bookings (and other external state) observed by drivers. */
  observed?: Observed | undefined;
}

const READABLE = [
  'contracts (completed, with their end dates)',
  'occupancies (completed, with their moved-out dates)',
  'services (inactive, without an end date)',
  'call charges for past months, Bandwidth and Voice reports',
  'access logs (email, card ID and door ID persist)',
  'bookings (historical ones without the user name)',
  "the occupier's basic details",
] as const;

const NOT_READABLE = [
  'contracts, occupancies and services that were upcoming or scheduled',
  'users',
  'shared Wi-Fi devices',
  'telephony allocations and assignments',
  'network information',
] as const;

/** Steps whose items are shown in the flat plan (numbers appear once, at deallocation). */
const IN_FLAT_PLAN = new Set<DecommissionStep>(DECOMMISSION_STEPS.filter((s) => s !== 'telephony-freeze' && s !== 'telephony-deactivate'));

/**
 * Plan the decommission of `occupier` across all of its sites at `now`.
 *
 * Per site, with today and yesterday in the site's time zone:
 * - contracts: active → Complete (end date yesterday); upcoming → Discard (not visible
 *   afterwards); already completed → kept, no action. A contract starting today cannot be
 *   ended (the ContractStartsToday prerequisite blocks the run); its item says so.
 * - occupancies: upcoming or moved in today → Delete; active (moved in before today) →
 *   Complete with moved-out yesterday; already completed → kept.
 * - services: started → Deprovision (Inactive); scheduled to start later → Delete; every
 *   quantity change dated after today → Delete. Services of a completed contract were
 *   deprovisioned at its end and are left alone.
 * - users → Delete (Wi-Fi Secure and portal accounts cancelled), their numbers → Unassign;
 *   shared Wi-Fi devices → Delete; numbers (incl. main) frozen → deactivated → Release
 *   into cooling-off; ports → Release; access → Delete (groups left, card IDs freed);
 *   bookings → Unassign; call charges stop; network → Deprovision, last.
 */
export function planDecommission(input: DecommissionInput): DecommissionPlan {
  const sites = indexSites(input.sites);
  const { occupier, now } = input;
  const users = occupier.spec.users ?? [];
  const siteNames = occupier.spec.sites.map((s) => s.site);
  const history = { contracts: 0, occupancies: 0, services: 0 };
  const unknownSites: string[] = [];
  const plans: DecommissionSitePlan[] = [];

  for (const entry of occupier.spec.sites) {
    const site = sites.get(entry.site);
    if (!site) unknownSites.push(entry.site);
    const timezone = site?.spec.timezone ?? 'UTC';
    const today = localDate(now, timezone);
    const yesterday = addDays(today, -1);
    const siteUsers = users.filter(
      (u) => u.sites.includes(entry.site) || (entry.site === siteNames[0] && !u.sites.some((s) => siteNames.includes(s))),
    );
    const steps = new Map<DecommissionStep, PlanItem[]>(DECOMMISSION_STEPS.map((s) => [s, []]));
    const add = (step: DecommissionStep, item: Omit<PlanItem, 'site'>): void => {
      steps.get(step)?.push({ ...item, site: entry.site });
    };
    const coolingOff = site?.spec.telephony?.coolingOffDays ?? DEFAULT_COOLING_OFF_DAYS;

    // Telephony: frozen -> deactivated -> deallocated into cooling-off (main number included).
    for (const n of entry.numbers ?? []) {
      const label = n.main ? 'main number' : 'number';
      add('telephony-freeze', { kind: 'Number', name: n.number, action: 'Release', detail: `${label} frozen: can no longer be edited` });
      add('telephony-deactivate', { kind: 'Number', name: n.number, action: 'Deprovision', detail: `${label} deactivated: no calls in or out` });
      add('telephony-deallocate', {
        kind: 'Number',
        name: n.number,
        action: 'Release',
        detail: `${label} frozen, deactivated, then deallocated into cooling-off for ${coolingOff} days (reusable at this site from ${addDays(today, coolingOff)})`,
      });
    }

    // Smart Access: out of groups, card IDs freed for reuse. Access logs keep email, card and door.
    for (const u of siteUsers) {
      const parts: string[] = [];
      if (u.accessGroups?.length) parts.push(`removed from groups ${u.accessGroups.join(', ')}`);
      if (u.cardId) parts.push(`card ID ${u.cardId} deleted, free for new users`);
      if (parts.length) add('access', { kind: 'Access', name: u.email, action: 'Delete', detail: parts.join('; ') });
    }

    // Users: deleted; their numbers unassigned; Wi-Fi and portal accounts cancelled.
    const numbersHere = new Set((entry.numbers ?? []).map((n) => n.number));
    for (const u of users) {
      if (u.phoneNumber !== undefined && numbersHere.has(u.phoneNumber)) {
        add('users', { kind: 'Number', name: u.phoneNumber, action: 'Unassign', detail: `unassigned from ${u.email}` });
      }
    }
    for (const u of siteUsers) {
      const parts = ['user deleted'];
      if (u.wifi) parts.push('Wi-Fi Secure account cancelled');
      if (u.portal) parts.push('portal and mobile-app account cancelled');
      add('users', { kind: 'User', name: u.email, action: 'Delete', detail: parts.join('; ') });
    }

    for (const d of entry.wifiDevices ?? []) {
      add('wifi-devices', { kind: 'WifiDevice', name: d.name, action: 'Delete', detail: `${d.mac} can no longer connect to the Wi-Fi device network` });
    }
    for (const p of entry.ports ?? []) {
      add('ports', { kind: 'Port', name: p.name, action: 'Release', detail: p.switch ? `deallocated on switch ${p.switch}` : 'deallocated' });
    }

    planContractAndServices(entry, today, yesterday, add, history);

    add('call-charges', {
      kind: 'Service',
      name: 'call-charges',
      action: 'Deprovision',
      detail: 'no new call charges are created; past months stay readable',
    });

    const bookings = input.observed?.bookings;
    if (bookings === undefined) {
      add('bookings', { kind: 'Booking', name: 'upcoming', action: 'Unassign', detail: 'kept, but no longer assigned to the occupier or its users' });
      add('bookings', { kind: 'Booking', name: 'historical', action: 'Unassign', detail: 'kept, the user name is deleted' });
    } else {
      for (const b of bookings.filter((x) => x.site === entry.site)) {
        const upcoming = Date.parse(b.start) >= now.getTime();
        add('bookings', {
          kind: 'Booking',
          name: b.id,
          action: 'Unassign',
          detail: upcoming ? 'upcoming: kept, but no longer assigned to the occupier or its users' : 'historical: kept, the user name is deleted',
        });
      }
    }

    if (entry.network?.enabled !== false) {
      add('network', { kind: 'Network', name: 'network', action: 'Deprovision', detail: 'VLAN and IPv4 subnet released; not readable afterwards' });
    }

    plans.push({ site: entry.site, timezone, today, yesterday, steps: DECOMMISSION_STEPS.map((step) => ({ step, items: steps.get(step) ?? [] })) });
  }

  const items = plans.flatMap((p) => p.steps.filter((s) => IN_FLAT_PLAN.has(s.step)).flatMap((s) => s.items));
  return {
    items,
    sites: plans,
    summary: summarize(items, PLAN_ACTIONS),
    history: { ...history, readable: READABLE, notReadable: NOT_READABLE },
    unknownSites,
  };
}

function planContractAndServices(
  entry: SiteEntry,
  today: CalendarDate,
  yesterday: CalendarDate,
  add: (step: DecommissionStep, item: Omit<PlanItem, 'site'>) => void,
  history: { contracts: number; occupancies: number; services: number },
): void {
  const contract = entry.contract;
  const state = contractState(contract, today);

  for (const o of entry.occupancies ?? []) {
    switch (occupancyState(o, today)) {
      case 'Upcoming':
        add('occupancies', { kind: 'Occupancy', name: o.space, action: 'Delete', detail: `upcoming (moves in ${o.movedIn}): deleted, not visible afterwards` });
        break;
      case 'MovedInToday':
        add('occupancies', { kind: 'Occupancy', name: o.space, action: 'Delete', detail: `moved in today (${o.movedIn}): deleted, not visible afterwards` });
        break;
      case 'Active':
        add('occupancies', { kind: 'Occupancy', name: o.space, action: 'Complete', detail: `Completed, moved out ${yesterday}` });
        history.occupancies++;
        break;
      case 'Completed':
        history.occupancies++;
        break;
    }
  }

  if (state === 'Completed') {
    // Ended before today: already history, its services were deprovisioned at its end.
    history.contracts++;
    history.services += (entry.services ?? []).filter((s) => !serviceIsFuture(s, contract, contract.endDate ?? today)).length;
    return;
  }

  for (const s of entry.services ?? []) {
    if (state === 'Upcoming' || serviceIsFuture(s, contract, today)) {
      add('services', { kind: 'Service', name: s.name, action: 'Delete', detail: `scheduled to start ${s.startDate ?? contract.startDate}: deleted, not visible afterwards` });
      continue;
    }
    add('services', { kind: 'Service', name: s.name, action: 'Deprovision', detail: 'deprovisioned, set Inactive (kept without an end date); billing stops' });
    history.services++;
    for (const c of s.scheduledChanges ?? []) {
      if (c.date > today) {
        add('services', { kind: 'Service', name: s.name, action: 'Delete', detail: `scheduled change to quantity ${c.quantity} on ${c.date} deleted` });
      }
    }
  }

  if (state === 'Upcoming') {
    add('contracts', { kind: 'Contract', name: entry.site, action: 'Discard', detail: `upcoming (starts ${contract.startDate}): discarded, not visible afterwards` });
    return;
  }
  history.contracts++;
  if (contract.startDate === today) {
    add('contracts', { kind: 'Contract', name: entry.site, action: 'Complete', detail: `starts today (${today}): cannot end yesterday, the run is blocked (ContractStartsToday)` });
    return;
  }
  add('contracts', { kind: 'Contract', name: entry.site, action: 'Complete', detail: `Completed, end date ${yesterday}` });
}
