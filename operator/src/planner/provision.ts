/**
 * Onboarding and day-to-day provisioning: given an occupier, the sites it names and "now",
 * which external items must exist at each site (pure; the Occupier controller ensures them
 * through the drivers and removes what it provisioned before and is no longer wanted).
 *
 * Infrastructure (network, ports, numbers, accounts, devices) exists while the site's contract
 * is Active; an Upcoming contract has its billing records only; once a contract's end date has
 * passed (end of that day in the site's time zone) everything but the history is removed.
 */
import type { OccupierSpec, SiteSpec } from '../api/index.ts';
import { contractState, occupancyState } from './classify.ts';
import type { ContractState, SiteEntry } from './classify.ts';
import { endOfDay, localDate, startOfDay } from './dates.ts';
import type { CalendarDate } from './dates.ts';

/** One external item, in the drivers' shape (`drivers/src/items.ts`). */
export interface DesiredItem {
  capability: 'network' | 'wifi' | 'telephony' | 'ports' | 'access' | 'billing' | 'directory';
  type: string;
  key: string;
  spec: Record<string, unknown>;
}

/** A reason why part of an occupier cannot be provisioned as declared (PascalCase). */
export const PROVISION_PROBLEMS = {
  /** The site named by spec.sites[].site does not exist. */
  SiteNotFound: 'SiteNotFound',
  /** The site has no network pools but the occupier needs a network there. */
  NoNetworkPool: 'NoNetworkPool',
  /** The site has no number blocks but the occupier has numbers there. */
  NoNumberPool: 'NoNumberPool',
  /** A service is not in the site's catalog. */
  UnknownCatalogItem: 'UnknownCatalogItem',
  /** A service access level is not offered for that service at the site. */
  UnknownAccessLevel: 'UnknownAccessLevel',
  /** The tariff or minute bundle is not in the site's catalog. */
  UnknownTariff: 'UnknownTariff',
  /** An occupancy names a space the site does not have. */
  UnknownSpace: 'UnknownSpace',
  /** A port names a switch the site does not have. */
  UnknownSwitch: 'UnknownSwitch',
  /** A user's phone number is not one of the occupier's numbers at the user's sites. */
  UnknownPhoneNumber: 'UnknownPhoneNumber',
  /** A user names a site the occupier has no entry for. */
  UnknownUserSite: 'UnknownUserSite',
  /** The occupier is a customer of a reseller that does not exist or is not a reseller. */
  UnknownReseller: 'UnknownReseller',
} as const;
export type ProvisionProblemReason = keyof typeof PROVISION_PROBLEMS;

export interface ProvisionProblem {
  reason: ProvisionProblemReason;
  /** The site the problem holds up (absent: the whole occupier). */
  site?: string;
  message: string;
}

export interface SiteProvision {
  site: string;
  /** The contract's state on the site's local date. */
  contract: ContractState;
  today: CalendarDate;
  /** Items that must exist. Empty when the site is held by a problem (nothing is touched). */
  items: DesiredItem[];
  /** True when a problem holds this site: neither ensure nor remove anything there. */
  held: boolean;
}

export interface ProvisionPlan {
  sites: SiteProvision[];
  problems: ProvisionProblem[];
  /** The next instant at which the desired items change by themselves (a date boundary). */
  nextChangeAt: Date | undefined;
}

export interface ProvisionInput {
  /** `namespace/name`: how backends tell owners apart (stable across a restore, unlike the UID). */
  identity: string;
  spec: OccupierSpec;
  /** Sites by name (absent = not found). */
  sites: ReadonlyMap<string, SiteSpec>;
  now: Date;
}

type User = NonNullable<OccupierSpec['users']>[number];

/** The items an occupier needs, per site, and what is wrong with its declaration. */
export function planProvisioning(input: ProvisionInput): ProvisionPlan {
  const { identity, spec, sites, now } = input;
  const problems: ProvisionProblem[] = [];
  const out: SiteProvision[] = [];
  const boundaries: Date[] = [];
  const users = spec.users ?? [];
  const entryNames = new Set(spec.sites.map((s) => s.site));

  for (const user of users) {
    for (const s of user.sites) {
      if (!entryNames.has(s)) {
        problems.push({ reason: 'UnknownUserSite', message: `user ${user.email} names site ${s}, which spec.sites does not list` });
      }
    }
    if (user.phoneNumber !== undefined) {
      const held = spec.sites.some((e) => user.sites.includes(e.site) && (e.numbers ?? []).some((n) => n.number === user.phoneNumber));
      if (!held) {
        problems.push({
          reason: 'UnknownPhoneNumber',
          message: `user ${user.email} has phone number ${user.phoneNumber}, which is not one of the occupier's numbers at the user's sites`,
        });
      }
    }
  }

  for (const entry of spec.sites) {
    const site = sites.get(entry.site);
    if (!site) {
      problems.push({ reason: 'SiteNotFound', site: entry.site, message: `site ${entry.site} does not exist` });
      out.push({ site: entry.site, contract: 'Upcoming', today: '', items: [], held: true });
      continue;
    }
    const siteProblems = checkAgainstSite(entry, site);
    problems.push(...siteProblems);
    const today = localDate(now, site.timezone);
    const contract = contractState(entry.contract, today);
    boundaries.push(...dateBoundaries(entry, site.timezone, now));
    if (siteProblems.length > 0) {
      out.push({ site: entry.site, contract, today, items: [], held: true });
      continue;
    }
    const siteUsers = users.filter((u) => u.sites.includes(entry.site));
    out.push({ site: entry.site, contract, today, items: siteItems(identity, entry, siteUsers, contract, today), held: false });
  }
  const future = boundaries.filter((d) => d.getTime() > now.getTime()).sort((a, b) => a.getTime() - b.getTime());
  return { sites: out, problems, nextChangeAt: future[0] };
}

/** What in a site entry does not fit the site: unknown catalog items, spaces, switches, pools. */
function checkAgainstSite(entry: SiteEntry, site: SiteSpec): ProvisionProblem[] {
  const p: ProvisionProblem[] = [];
  const at = entry.site;
  const catalog = new Map(site.catalog.services.map((s) => [s.name, s]));
  const tariffs = new Set((site.catalog.tariffs ?? []).map((t) => t.name));
  const bundles = new Set((site.catalog.minuteBundles ?? []).map((b) => b.name));
  if (!tariffs.has(entry.contract.tariff)) {
    p.push({ reason: 'UnknownTariff', site: at, message: `tariff ${entry.contract.tariff} is not in the catalog of site ${at}` });
  }
  if (entry.contract.minuteBundle !== undefined && !bundles.has(entry.contract.minuteBundle)) {
    p.push({ reason: 'UnknownTariff', site: at, message: `minute bundle ${entry.contract.minuteBundle} is not in the catalog of site ${at}` });
  }
  for (const svc of entry.services ?? []) {
    const offered = catalog.get(svc.name);
    if (!offered) {
      p.push({ reason: 'UnknownCatalogItem', site: at, message: `service ${svc.name} is not in the catalog of site ${at}` });
    } else if (svc.accessLevel !== undefined && !(offered.accessLevels ?? []).some((l) => l.name === svc.accessLevel)) {
      p.push({ reason: 'UnknownAccessLevel', site: at, message: `service ${svc.name} has no access level ${svc.accessLevel} at site ${at}` });
    }
  }
  const spaces = new Set((site.spaces ?? []).map((s) => s.name));
  for (const o of entry.occupancies ?? []) {
    if (!spaces.has(o.space)) p.push({ reason: 'UnknownSpace', site: at, message: `space ${o.space} does not exist at site ${at}` });
  }
  const switches = new Set((site.switches ?? []).map((s) => s.name));
  for (const port of entry.ports ?? []) {
    if (port.switch !== undefined && !switches.has(port.switch)) {
      p.push({ reason: 'UnknownSwitch', site: at, message: `port ${port.name} names switch ${port.switch}, which site ${at} does not have` });
    }
  }
  if ((entry.network?.enabled ?? true) && !site.network) {
    p.push({ reason: 'NoNetworkPool', site: at, message: `site ${at} has no network pools (spec.network)` });
  }
  if ((entry.numbers ?? []).length > 0 && !site.telephony) {
    p.push({ reason: 'NoNumberPool', site: at, message: `site ${at} has no number blocks (spec.telephony)` });
  }
  return p;
}

/** Quantity on `today` after the scheduled changes that have taken effect. */
function quantityOn(svc: NonNullable<SiteEntry['services']>[number], today: CalendarDate): number {
  let q = svc.quantity;
  const changes = [...(svc.scheduledChanges ?? [])].sort((a, b) => (a.date < b.date ? -1 : 1));
  for (const c of changes) if (c.date <= today) q = c.quantity;
  return q;
}

function siteItems(identity: string, entry: SiteEntry, users: User[], contract: ContractState, today: CalendarDate): DesiredItem[] {
  const items: DesiredItem[] = [];
  const occupier = identity;
  const c = entry.contract;
  items.push({
    capability: 'billing',
    type: 'contract',
    key: identity,
    spec: compact({ occupier, status: contract, startDate: c.startDate, endDate: c.endDate, tariff: c.tariff, minuteBundle: c.minuteBundle, reference: c.reference }),
  });
  for (const o of entry.occupancies ?? []) {
    const state = occupancyState(o, today);
    const movedOut = o.movedOut ?? (contract === 'Completed' ? c.endDate : undefined);
    const status = contract === 'Completed' || state === 'Completed' ? 'Completed' : state === 'Upcoming' ? 'Upcoming' : 'Active';
    items.push({
      capability: 'billing',
      type: 'occupancy',
      key: `${identity}/${o.space}/${o.movedIn}`,
      spec: compact({ occupier, space: o.space, status, movedIn: o.movedIn, movedOut }),
    });
  }
  for (const svc of entry.services ?? []) {
    const quantity = quantityOn(svc, today);
    const active = contract === 'Active' && quantity > 0;
    items.push({
      capability: 'billing',
      type: 'service',
      key: `${identity}/${svc.name}`,
      spec: compact({
        occupier,
        name: svc.name,
        quantity,
        state: active ? 'Active' : 'Inactive',
        accessLevel: svc.accessLevel,
        // Absent means the contract start (the schema's default): one spec for both ways of saying it.
        startDate: svc.startDate ?? c.startDate,
        scheduledChanges: active ? (svc.scheduledChanges ?? []).filter((ch) => ch.date > today) : [],
      }),
    });
  }
  items.push({ capability: 'billing', type: 'callCharges', key: identity, spec: { occupier, state: contract === 'Active' ? 'Active' : 'Stopped' } });
  if (contract !== 'Active') return items;

  if (entry.network?.enabled ?? true) items.push({ capability: 'network', type: 'allocation', key: identity, spec: { occupier } });
  for (const port of entry.ports ?? []) {
    items.push({ capability: 'ports', type: 'port', key: `${identity}/${port.name}`, spec: compact({ occupier, switch: port.switch }) });
  }
  for (const n of entry.numbers ?? []) {
    const user = users.find((u) => u.phoneNumber === n.number);
    items.push({ capability: 'telephony', type: 'number', key: n.number, spec: compact({ occupier, state: 'Allocated', assignedTo: user?.email, main: n.main }) });
  }
  for (const d of entry.wifiDevices ?? []) {
    items.push({ capability: 'wifi', type: 'device', key: d.mac.toLowerCase(), spec: compact({ occupier, mac: d.mac.toLowerCase(), name: d.name, description: d.description }) });
  }
  for (const u of users) {
    if (u.wifi) items.push({ capability: 'wifi', type: 'account', key: u.email, spec: { occupier, email: u.email, name: u.name } });
    if (u.portal) items.push({ capability: 'directory', type: 'account', key: u.email, spec: { occupier, email: u.email, name: u.name } });
    if ((u.accessGroups ?? []).length > 0 || u.cardId !== undefined) {
      items.push({ capability: 'access', type: 'user', key: u.email, spec: compact({ occupier, email: u.email, groups: [...(u.accessGroups ?? [])].sort(), cardId: u.cardId }) });
    }
  }
  return items;
}

/** The instants at which this entry's desired items change: contract start / end of day, dates of occupancies and scheduled changes. */
function dateBoundaries(entry: SiteEntry, tz: string, now: Date): Date[] {
  const today = localDate(now, tz);
  const dates: CalendarDate[] = [entry.contract.startDate];
  const ends: CalendarDate[] = [];
  if (entry.contract.endDate) ends.push(entry.contract.endDate);
  for (const o of entry.occupancies ?? []) {
    dates.push(o.movedIn);
    if (o.movedOut) ends.push(o.movedOut);
  }
  for (const s of entry.services ?? []) for (const ch of s.scheduledChanges ?? []) dates.push(ch.date);
  return [
    ...dates.filter((d) => d >= today).map((d) => startOfDay(d, tz)),
    ...ends.filter((d) => d >= today).map((d) => endOfDay(d, tz)),
  ];
}

/** Drops undefined fields (exactOptionalPropertyTypes and backends both prefer absent). */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** `capability/type/key`: how status.sites[].inventory names an external item. */
export function itemId(item: { capability: string; type: string; key: string }): string {
  return `${item.capability}/${item.type}/${item.key}`;
}

/** The inverse of `itemId` (keys may contain `/`). */
export function parseItemId(id: string): { capability: string; type: string; key: string } {
  const [capability = '', type = '', ...rest] = id.split('/');
  return { capability, type, key: rest.join('/') };
}
