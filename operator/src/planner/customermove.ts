/**
 * What a CustomerMove does (seed 003): a customer occupier moves under another reseller in
 * the same location. Its services' access levels (SALs) are matched by name against the
 * destination reseller's, unmatched ones need an explicit `servicePlanMappings` entry, and
 * users inherit the new access level's properties unless `accessLevelOverrides` change them.
 */
import type { CustomerMoveSpec, OccupierResource, SiteResource } from '../api/index.ts';
import { PLAN_ACTIONS } from '../api/index.ts';
import { SiteNotFound } from './prerequisites.ts';
import type { Failure, PlanItem, SiteIndex } from './types.ts';
import { indexSites, summarize } from './types.ts';

/** The reasons, once: each name is its value; `CustomerMoveReason` derives from them. */
export const CUSTOMER_MOVE_REASONS = {
  /** A Site of the customer or of the reseller does not exist. */
  SiteNotFound,
  /** "A reseller customer cannot be moved." */
  ResellerCannotMove: 'ResellerCannotMove',
  /** The occupier is not a customer of any reseller (seed 003 moves "an existing customer"). */
  NotACustomer: 'NotACustomer',
  /** The destination reseller Occupier does not exist. */
  ResellerNotFound: 'ResellerNotFound',
  /** The destination is not a reseller (`spec.reseller: true`). */
  NotAReseller: 'NotAReseller',
  /** The customer is already under the destination reseller. */
  AlreadyWithReseller: 'AlreadyWithReseller',
  /** "The customer can be moved to a reseller customer in the same location only." */
  LocationMismatch: 'LocationMismatch',
  /** "The reseller must be able to provision all services that the moved customer has provisioned." */
  ServiceNotOffered: 'ServiceNotOffered',
  /** "Any SAL that cannot be matched" and has no `servicePlanMappings` entry. */
  UnmatchedAccessLevels: 'UnmatchedAccessLevels',
  /** A `servicePlanMappings` entry names an access level the destination reseller does not have. */
  UnknownMappedAccessLevel: 'UnknownMappedAccessLevel',
} as const;
export const { ResellerCannotMove, NotACustomer, ResellerNotFound, NotAReseller, AlreadyWithReseller, LocationMismatch, ServiceNotOffered, UnmatchedAccessLevels, UnknownMappedAccessLevel } = CUSTOMER_MOVE_REASONS;
export type CustomerMoveReason = (typeof CUSTOMER_MOVE_REASONS)[keyof typeof CUSTOMER_MOVE_REASONS];

/** How one of the customer's services (at one site) lands under the destination reseller. */
export interface ServiceMapping {
  site: string;
  service: string;
  /** The customer's access level now (absent: none). */
  fromAccessLevel?: string;
  /** The access level after the move (absent: none, or unmatched). */
  toAccessLevel?: string;
  /**
   * Name: matched by name; Mapping: chosen in `servicePlanMappings`; Unmatched: needs a
   * mapping; NotOffered: the reseller does not have the service at all.
   */
  match: 'Name' | 'Mapping' | 'Unmatched' | 'NotOffered';
  /** The service properties the moved users get: the new access level's, with any overrides applied key by key. */
  properties: Record<string, string>;
  /** Whether `accessLevelOverrides` changed the properties. */
  overridden: boolean;
}

export interface CustomerMoveInput {
  customer: OccupierResource;
  /** The current reseller (optional: only used for naming it). */
  fromReseller?: OccupierResource | undefined;
  /** The destination reseller (undefined: not found). */
  toReseller: OccupierResource | undefined;
  /** Sites of the customer and the reseller (for their location and catalog). */
  sites: readonly SiteResource[] | SiteIndex;
  order: { spec: CustomerMoveSpec };
}

/**
 * Steps of a customer move at each of the customer's sites (its "provisioning requests"):
 * billing, then the directory (portal and users) move under the new reseller; then each
 * service gets its matched or mapped access level; then users inherit the resulting
 * properties. Nothing about sites, network or numbers changes.
 */
export const CUSTOMER_MOVE_STEPS = ['billing', 'directory', 'services', 'users'] as const;
export type CustomerMoveStep = (typeof CUSTOMER_MOVE_STEPS)[number];

/** What a user at a site inherits from one service after the move. */
export interface Inherited {
  accessLevel?: string;
  properties: Record<string, string>;
  overridden: boolean;
}

export interface CustomerMovePlan {
  blocked: Failure<CustomerMoveReason>[];
  plan: { summary: string; items: PlanItem[]; unmatched: string[] };
  services: ServiceMapping[];
  /** Per customer site, per service (matched or mapped), what its users inherit. */
  inherits: Record<string, Record<string, Inherited>>;
  /** The current reseller (absent: none). */
  fromReseller: string | undefined;
  /** Per customer site, the ordered steps and their items (for `status.tasks`). */
  steps: { site: string; step: CustomerMoveStep; items: PlanItem[] }[];
}

const NONE = '(none)';

function fail(reason: CustomerMoveReason, message: string, items?: string[]): Failure<CustomerMoveReason> {
  return items ? { reason, message, items } : { reason, message };
}

function locations(o: OccupierResource, sites: SiteIndex): { found: Set<string>; missing: string[] } {
  const found = new Set<string>();
  const missing: string[] = [];
  for (const e of o.spec.sites) {
    const s = sites.get(e.site);
    if (s) found.add(s.spec.location);
    else missing.push(e.site);
  }
  return { found, missing };
}

function levelProperties(sites: SiteIndex, siteNames: readonly string[], service: string, level: string | undefined): Record<string, string> {
  if (level === undefined) return {};
  for (const name of siteNames) {
    const svc = sites.get(name)?.spec.catalog.services.find((x) => x.name === service);
    const l = svc?.accessLevels?.find((x) => x.name === level);
    if (l) return { ...(l.properties ?? {}) };
  }
  return {};
}

/**
 * Plan a customer move. Blocked reasons are listed all at once; services and users are
 * planned even when blocked, so `status.plan` shows what to fix (`plan.unmatched` lists
 * services the reseller lacks and `service/level` pairs that need a mapping).
 */
export function planCustomerMove(input: CustomerMoveInput): CustomerMovePlan {
  const { customer, toReseller } = input;
  const spec = input.order.spec;
  const sites = indexSites(input.sites);
  const name = customer.metadata.name ?? '';
  const target = spec.toReseller.name;
  const current = input.fromReseller?.metadata.name ?? customer.status?.reseller ?? customer.spec.resellerRef?.name;
  const blocked: Failure<CustomerMoveReason>[] = [];

  if (customer.spec.reseller) blocked.push(fail(ResellerCannotMove, `${name} is a reseller; a reseller cannot be moved`));
  else if (current === undefined) blocked.push(fail(NotACustomer, `${name} is not a customer of any reseller`));
  if (!toReseller) blocked.push(fail(ResellerNotFound, `reseller ${target} not found`));
  else if (!toReseller.spec.reseller) blocked.push(fail(NotAReseller, `${target} is not a reseller (spec.reseller is not true)`));
  if (current !== undefined && current === target) blocked.push(fail(AlreadyWithReseller, `${name} is already a customer of ${target}`));

  const mine = locations(customer, sites);
  const theirs = toReseller ? locations(toReseller, sites) : { found: new Set<string>(), missing: [] };
  const missing = [...new Set([...mine.missing, ...theirs.missing])];
  if (missing.length) blocked.push(fail(SiteNotFound, `Site not found: ${missing.join(', ')}`, missing));
  if (toReseller) {
    const outside = [...mine.found].filter((l) => !theirs.found.has(l)).sort();
    if (outside.length) {
      blocked.push(
        fail(
          LocationMismatch,
          `${target} is in ${[...theirs.found].sort().join(', ') || 'no location'}, not in ${outside.join(', ')}; customers move to resellers in the same location only`,
          outside,
        ),
      );
    }
  }

  // What the reseller has provisioned: service -> its access levels (none = NONE).
  const offered = new Map<string, Set<string>>();
  for (const e of toReseller?.spec.sites ?? []) {
    for (const s of e.services ?? []) {
      const levels = offered.get(s.name) ?? new Set<string>();
      levels.add(s.accessLevel ?? NONE);
      offered.set(s.name, levels);
    }
  }
  const resellerSites = (toReseller?.spec.sites ?? []).map((e) => e.site);
  const mappings = new Map((spec.servicePlanMappings ?? []).map((m) => [m.service, m.accessLevel]));
  const overrides = new Map((spec.accessLevelOverrides ?? []).map((o) => [o.service, o.properties]));

  const services: ServiceMapping[] = [];
  const notOffered: string[] = [];
  const unmatchedLevels: string[] = [];
  const badMappings: string[] = [];
  /** Mapped levels the reseller has but the catalog of the customer's site does not offer: `service/level at site`. */
  const notInCatalog: string[] = [];
  const items: PlanItem[] = [];

  // Without a destination there is nothing to match against (ResellerNotFound says why).
  for (const e of toReseller ? customer.spec.sites : []) {
    for (const s of e.services ?? []) {
      const levels = offered.get(s.name);
      const from = s.accessLevel;
      const m: ServiceMapping = { site: e.site, service: s.name, match: 'Unmatched', properties: {}, overridden: false };
      if (from !== undefined) m.fromAccessLevel = from;
      const fromLabel = from ?? NONE;
      if (!levels) {
        m.match = 'NotOffered';
        if (!notOffered.includes(s.name)) notOffered.push(s.name);
        items.push({ kind: 'Service', name: s.name, site: e.site, action: 'Unmatched', detail: `${target} does not have ${s.name} provisioned` });
        services.push(m);
        continue;
      }
      const mapped = mappings.get(s.name);
      let to: string | undefined;
      if (mapped !== undefined) {
        const catalog = sites.get(e.site)?.spec.catalog.services.find((x) => x.name === s.name);
        if (!levels.has(mapped)) {
          if (!badMappings.includes(`${s.name}/${mapped}`)) badMappings.push(`${s.name}/${mapped}`);
        } else if (catalog && !(catalog.accessLevels ?? []).some((l) => l.name === mapped)) {
          // The Occupier controller could not provision it there (UnknownAccessLevel).
          notInCatalog.push(`${s.name}/${mapped} at ${e.site}`);
        } else {
          m.match = 'Mapping';
          to = mapped;
        }
      } else if (levels.has(fromLabel)) {
        m.match = 'Name';
        to = from;
      }
      if (m.match === 'Unmatched') {
        if (mapped === undefined) unmatchedLevels.push(`${s.name}/${fromLabel}`);
        items.push({
          kind: 'Service',
          name: s.name,
          site: e.site,
          action: 'Unmatched',
          detail:
            mapped === undefined
              ? `access level ${fromLabel} has no match at ${target} (it has ${[...levels].sort().join(', ')}); add a servicePlanMappings entry`
              : `servicePlanMappings names ${mapped}, which ${levels.has(mapped) ? `the catalog of ${e.site} does not offer` : `${target} does not have`} (it has ${[...levels].sort().join(', ')})`,
        });
        services.push(m);
        continue;
      }
      if (to !== undefined) m.toAccessLevel = to;
      const base = levelProperties(sites, [e.site, ...resellerSites], s.name, to);
      const override = overrides.get(s.name);
      m.properties = override ? { ...base, ...override } : base;
      m.overridden = override !== undefined;
      services.push(m);
      const how = m.match === 'Mapping' ? 'servicePlanMappings' : 'matched by name';
      const props = Object.entries(m.properties).map(([k, v]) => `${k}=${v}`).join(', ');
      items.push({
        kind: 'Service',
        name: s.name,
        site: e.site,
        action: to !== from || m.overridden ? 'Remap' : 'Move',
        detail: `access level ${fromLabel} → ${to ?? NONE} (${how}); users get ${props || 'no properties'}${m.overridden ? ' (overridden)' : ''}`,
      });
    }
  }

  if (notOffered.length) {
    blocked.push(fail(ServiceNotOffered, `${target} does not have these services provisioned: ${notOffered.join(', ')}`, notOffered));
  }
  if (unmatchedLevels.length) {
    blocked.push(
      fail(UnmatchedAccessLevels, `access levels with no match at ${target}: ${unmatchedLevels.join(', ')}; map them in spec.servicePlanMappings`, unmatchedLevels),
    );
  }
  if (badMappings.length || notInCatalog.length) {
    const parts = [
      ...(badMappings.length ? [`servicePlanMappings name access levels ${target} does not have: ${badMappings.join(', ')}`] : []),
      ...(notInCatalog.length ? [`servicePlanMappings name access levels the site catalog does not offer: ${notInCatalog.join(', ')}`] : []),
    ];
    blocked.push(fail(UnknownMappedAccessLevel, parts.join('; '), [...badMappings, ...notInCatalog]));
  }

  // What the users at each site inherit: every matched or mapped service there.
  const inherits: CustomerMovePlan['inherits'] = {};
  for (const m of services) {
    if (m.match !== 'Name' && m.match !== 'Mapping') continue;
    const at = (inherits[m.site] ??= {});
    at[m.service] = { ...(m.toAccessLevel !== undefined ? { accessLevel: m.toAccessLevel } : {}), properties: m.properties, overridden: m.overridden };
  }
  const from = current ?? NONE;
  const steps: CustomerMovePlan['steps'] = [];
  const all: PlanItem[] = [];
  for (const e of customer.spec.sites) {
    const billing: PlanItem = { kind: 'Contract', name, site: e.site, action: 'Move', detail: `billing of ${name} at ${e.site} moves from ${from} to ${target}` };
    const directory: PlanItem = { kind: 'Access', name, site: e.site, action: 'Move', detail: `directory of ${name} at ${e.site} (portal and users) moves from ${from} to ${target}` };
    const svc = items.filter((i) => i.site === e.site);
    const inherited = describeInherited(inherits[e.site] ?? {});
    const users = (customer.spec.users ?? [])
      .filter((u) => u.sites.includes(e.site))
      .map((u): PlanItem => ({ kind: 'User', name: u.email, site: e.site, action: 'Move', detail: `moves with ${name} from ${from} to ${target}; inherits ${inherited}` }));
    steps.push({ site: e.site, step: 'billing', items: [billing] }, { site: e.site, step: 'directory', items: [directory] }, { site: e.site, step: 'services', items: svc }, { site: e.site, step: 'users', items: users });
    all.push(billing, directory, ...svc, ...users);
  }

  return {
    blocked,
    plan: { summary: summarize(all, PLAN_ACTIONS), items: all, unmatched: [...notOffered, ...unmatchedLevels, ...badMappings, ...notInCatalog] },
    services,
    inherits,
    fromReseller: current,
    steps,
  };
}

/** `internet-100: Standard (bandwidthMbps=100), wifi-secure: Standard overridden (devicesPerUser=5)`, or `no service properties`. */
export function describeInherited(services: Readonly<Record<string, Inherited>>): string {
  const parts = Object.entries(services).map(([service, i]) => {
    const props = Object.entries(i.properties).map(([k, v]) => `${k}=${v}`).join(', ');
    return `${service}: ${i.accessLevel ?? NONE}${i.overridden ? ' overridden' : ''} (${props || 'no properties'})`;
  });
  return parts.length ? parts.join(', ') : 'no service properties';
}
