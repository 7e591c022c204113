/**
 * The occupier's effective desired state and its drift (SPEC §1 "Desired state and orders").
 *
 * Git owns `Occupier.spec`; orders change the world underneath it. The Occupier controller
 * provisions the **effective spec** — the spec with the lasting effects of completed orders
 * applied — so it never re-creates what a move ended at `from` nor removes what it made at
 * `to`; and it names, as **drift**, the fields to change in Git until the spec says the same
 * (`spec.sites[0].site: london-shoreditch → london-canary-wharf`). When Git catches up, the
 * effective spec is the spec again and the drift is empty. Pure: no I/O, no clock.
 *
 * How a completed SiteMove applies, oldest first:
 * | spec (Git)                          | effective                                           |
 * | ----------------------------------- | --------------------------------------------------- |
 * | the `from` entry                    | dropped (the move ended it; `left` lists the site)  |
 * | a `to` entry from the move date on  | Git's entry (Git has caught up; Git wins from then) |
 * | no `to` entry, or an older one      | the move's `destination` entry                      |
 * | a user with access to `from`        | access to `to` instead                              |
 * | a user's number the move released   | no phone number                                     |
 * A completed CustomerMove sets `resellerRef` to its reseller and gives each service its
 * `servicePlanMappings` access level (at every site), so the Occupier controller provisions
 * what the move made instead of the levels the old reseller offered; both are drift until Git
 * says so. A Decommission changes nothing here: the decommissioned occupier's spec is ignored
 * (`Immutable`).
 */
import type { CustomerMoveResource, DecommissionResource, OccupierSpec, SiteMoveResource, SiteMoveSpec, SiteResource } from '../api/index.ts';
import { API_VERSION } from '../api/index.ts';
import type { SiteEntry } from './classify.ts';
import { effectsOf } from './phase.ts';
import type { OrderEffect } from './phase.ts';
import { planSiteMove } from './sitemove.ts';

type User = NonNullable<OccupierSpec['users']>[number];
type Service = NonNullable<SiteEntry['services']>[number];
type SiteMoveEffect = Extract<OrderEffect, { kind: 'SiteMove' }>;

/** A completed CustomerMove with the access levels it chose (`servicePlanMappings`: service → level), filled by `completedEffects`. */
export type CustomerMoveEffect = Extract<OrderEffect, { kind: 'CustomerMove' }> & { accessLevels?: Readonly<Record<string, string>> | undefined };

/** What a completed customer move changes in the occupier's desired state. */
export interface CompletedCustomerMove {
  /** The reseller it moved to. */
  reseller: string;
  /** Service → the access level it has from then on (the services not named keep theirs). */
  accessLevels?: Readonly<Record<string, string>> | undefined;
}

/** A completed site move, as the effective spec applies it. */
export interface CompletedSiteMove {
  from: string;
  to: string;
  /** The occupier's entry at `to` as the move made it. */
  destination: SiteEntry;
}

export interface EffectiveSpec {
  spec: OccupierSpec;
  /** Sites a completed move left and no later move returned to, in the order they were left. */
  left: string[];
}

/** What Git declares at `to` counts once it describes the contract the move began (or a later one). */
function caughtUp(declared: SiteEntry, destination: SiteEntry): boolean {
  return declared.contract.startDate >= destination.contract.startDate;
}

/**
 * `current` after one move: `from` dropped, the `to` entry in its place (Git's own, from `git`,
 * once it describes the contract the move began; else the destination), users' access
 * `from` → `to`, numbers the move released unassigned. With `git` = `current` (the default)
 * this is the occupier as the move leaves it, e.g. what a move's destination ops provision.
 */
export function applySiteMove(current: OccupierSpec, move: CompletedSiteMove, git: OccupierSpec = current): OccupierSpec {
  const declared = git.sites.find((s) => s.site === move.to);
  const toEntry = declared && caughtUp(declared, move.destination) ? declared : move.destination;
  const fromEntry = current.sites.find((s) => s.site === move.from);
  // The `to` entry takes the place of the `from` entry (or of an older `to` entry, or goes last).
  const at = current.sites.findIndex((s) => s.site === move.from || s.site === move.to);
  const rest = current.sites.filter((s) => s.site !== move.from && s.site !== move.to);
  const sites = at < 0 ? [...rest, toEntry] : [...rest.slice(0, at), toEntry, ...rest.slice(at)];

  const held = new Set(sites.flatMap((s) => (s.numbers ?? []).map((n) => n.number)));
  const released = new Set((fromEntry?.numbers ?? []).map((n) => n.number).filter((n) => !held.has(n)));
  const next: OccupierSpec = { ...current, sites };
  if (current.users) {
    next.users = current.users.map((u): User => {
      const moves = u.sites.includes(move.from);
      const loses = u.phoneNumber !== undefined && released.has(u.phoneNumber);
      if (!moves && !loses) return u;
      const user: User = { ...u, sites: [...new Set(u.sites.map((s) => (s === move.from ? move.to : s)))] };
      if (loses) delete user.phoneNumber;
      return user;
    });
  }
  return next;
}

/**
 * The occupier after a customer move: `resellerRef` naming the new reseller, and every site's
 * service named in `accessLevels` at that level (the others keep theirs). With no reseller,
 * the spec as it is.
 */
export function applyCustomerMove(spec: OccupierSpec, move: CompletedCustomerMove | undefined): OccupierSpec {
  if (move === undefined) return spec;
  const levels = new Map(Object.entries(move.accessLevels ?? {}));
  const remapped = (s: Service): boolean => levels.has(s.name) && levels.get(s.name) !== s.accessLevel;
  const sites = spec.sites.map((e) => (e.services ?? []).some(remapped) ? { ...e, services: (e.services ?? []).map((s) => (remapped(s) ? { ...s, accessLevel: levels.get(s.name) } : s)) } : e);
  return { ...spec, sites, resellerRef: { name: move.reseller } };
}

/**
 * The spec with the completed moves applied in the given order (oldest first) and, when a
 * CustomerMove completed, `resellerRef` naming its reseller (the last one's) and the services
 * at the access levels the customer moves chose (`accessLevels`, later moves over earlier).
 * Like `resellerRef`, a chosen level holds while its order exists: Git wins once it is deleted,
 * which waits until Git says the same (SpecDrift).
 */
export function effectiveSpec(spec: OccupierSpec, moves: readonly CompletedSiteMove[], reseller?: string, accessLevels?: Readonly<Record<string, string>>): EffectiveSpec {
  let current = spec;
  const left: string[] = [];
  for (const move of moves) {
    current = applySiteMove(current, move, spec);
    if (!left.includes(move.from)) left.push(move.from);
  }
  if (reseller !== undefined) current = applyCustomerMove(current, { reseller, accessLevels });
  const present = new Set(current.sites.map((s) => s.site));
  return { spec: current, left: left.filter((s) => !present.has(s)) };
}

// ---------------------------------------------------------------------------------------
// Completed orders → effects with destinations
// ---------------------------------------------------------------------------------------

export type OrderResource = SiteMoveResource | CustomerMoveResource | DecommissionResource;

/** The instant a move happened: when its run began, or its schedule if later. */
function moveInstant(order: SiteMoveResource): Date {
  const st = order.status ?? {};
  const times = [st.startedAt, st.scheduledFor].flatMap((t) => (t ? [Date.parse(t)] : [])).filter(Number.isFinite);
  if (times.length > 0) return new Date(Math.max(...times));
  return new Date(st.completedAt ?? 0);
}

/**
 * What a completed SiteMove made: its `to` entry (`planSiteMove(...).destination`, planned
 * again from the occupier's `from` entry as it stood before the move and the move instant)
 * and the `from` contract as it ended (end date: the move date there).
 */
export function siteMoveOutcome(
  current: OccupierSpec,
  order: SiteMoveResource,
  siteOf: (name: string) => SiteResource | undefined,
): { destination: SiteEntry; ended?: { startDate: string; endDate: string } } {
  const at = moveInstant(order);
  const spec: SiteMoveSpec = { ...order.spec, copyServices: order.spec.copyServices ?? true, telephony: order.spec.telephony ?? 'Release' };
  const plan = planSiteMove({
    occupier: { apiVersion: API_VERSION, kind: 'Occupier', metadata: { name: order.spec.occupierRef.name }, spec: current },
    from: siteOf(spec.from),
    to: siteOf(spec.to),
    order: { spec },
    now: at,
    moveAt: at,
  });
  const fromEntry = current.sites.find((s) => s.site === spec.from);
  return fromEntry ? { destination: plan.destination, ended: { startDate: fromEntry.contract.startDate, endDate: plan.moveDate.from } } : { destination: plan.destination };
}

/**
 * The effects of the Succeeded orders (`effectsOf`, oldest completion first), each SiteMove
 * with its `destination` and `ended` contract, computed on the spec as the earlier moves left it.
 */
export function completedEffects(spec: OccupierSpec, orders: readonly OrderResource[], siteOf: (name: string) => SiteResource | undefined): OrderEffect[] {
  const moves = new Map(orders.filter((o) => o.kind === 'SiteMove').map((o) => [o.metadata.name ?? '', o as SiteMoveResource]));
  const customerMoves = new Map(orders.filter((o) => o.kind === 'CustomerMove').map((o) => [o.metadata.name ?? '', o as CustomerMoveResource]));
  let current = spec;
  return effectsOf(orders).map((e) => {
    if (e.kind === 'CustomerMove') {
      const mappings = customerMoves.get(e.name)?.spec.servicePlanMappings ?? [];
      const effect: CustomerMoveEffect = mappings.length > 0 ? { ...e, accessLevels: Object.fromEntries(mappings.map((m) => [m.service, m.accessLevel])) } : e;
      return effect;
    }
    const order = e.kind === 'SiteMove' ? moves.get(e.name) : undefined;
    if (e.kind !== 'SiteMove' || !order) return e;
    const outcome = siteMoveOutcome(current, order, siteOf);
    const effect: SiteMoveEffect = { ...e, destination: outcome.destination, ...(outcome.ended ? { ended: outcome.ended } : {}) };
    current = applySiteMove(current, { from: e.from, to: e.to, destination: outcome.destination }, spec);
    return effect;
  });
}

/** The SiteMove effects as moves (one without a `destination`: its contract from the completion date). */
export function movesOf(effects: readonly OrderEffect[]): CompletedSiteMove[] {
  return effects.flatMap((e): CompletedSiteMove[] => {
    if (e.kind !== 'SiteMove') return [];
    const contract: SiteEntry['contract'] = { startDate: (e.completedAt ?? '').slice(0, 10), tariff: e.tariff ?? '' };
    if (e.minuteBundle !== undefined) contract.minuteBundle = e.minuteBundle;
    return [{ from: e.from, to: e.to, destination: e.destination ?? { site: e.to, contract } }];
  });
}

/** The reseller of the last completed CustomerMove. */
export function resellerOf(effects: readonly OrderEffect[]): string | undefined {
  return effects.flatMap((e) => (e.kind === 'CustomerMove' ? [e.toReseller] : [])).at(-1);
}

/** The access levels the completed CustomerMoves chose, later moves over earlier ones (service → level). */
export function accessLevelsOf(effects: readonly OrderEffect[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of effects) if (e.kind === 'CustomerMove') Object.assign(out, (e as CustomerMoveEffect).accessLevels ?? {});
  return out;
}

// ---------------------------------------------------------------------------------------
// Drift
// ---------------------------------------------------------------------------------------

const NONE = '(none)';

function show(v: unknown): string {
  if (v === undefined) return NONE;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Drops undefined fields, empty lists and `false` flags that are the default. */
function canon(o: Record<string, unknown>, defaults: Record<string, unknown> = {}): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0) && defaults[k] !== v));
}

function diffList<T>(path: string, a: readonly T[] | undefined, b: readonly T[] | undefined, key: (x: T) => string, form: (x: T) => Record<string, unknown>): string[] {
  const am = new Map((a ?? []).map((x) => [key(x), form(x)]));
  const bm = new Map((b ?? []).map((x) => [key(x), form(x)]));
  const out: string[] = [];
  for (const [k, x] of am) {
    const y = bm.get(k);
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${path}[${k}]: ${show(x)} → ${show(y)}`);
  }
  for (const [k, y] of bm) if (!am.has(k)) out.push(`${path}[${k}]: ${NONE} → ${show(y)}`);
  return out;
}

/**
 * The fields of entry `g` (Git, at `path`) that differ from `e` (effective). A service's
 * start date, when absent, is the contract's: absent on one side and the effective contract
 * start on the other is no difference.
 */
function diffEntry(path: string, g: SiteEntry, e: SiteEntry): string[] {
  const out: string[] = [];
  for (const f of ['startDate', 'endDate', 'tariff', 'minuteBundle', 'reference'] as const) {
    if (g.contract[f] !== e.contract[f]) out.push(`${path}.contract.${f}: ${show(g.contract[f])} → ${show(e.contract[f])}`);
  }
  const net = (x: SiteEntry): boolean => x.network?.enabled ?? true;
  if (net(g) !== net(e)) out.push(`${path}.network.enabled: ${net(g)} → ${net(e)}`);
  const start = e.contract.startDate;
  type Svc = NonNullable<SiteEntry['services']>[number];
  const svc = (s: Svc): Record<string, unknown> => canon({ name: s.name, quantity: s.quantity, accessLevel: s.accessLevel, startDate: s.startDate === start ? undefined : s.startDate, scheduledChanges: s.scheduledChanges });
  out.push(...diffList(`${path}.occupancies`, g.occupancies, e.occupancies, (o) => `space=${o.space},movedIn=${o.movedIn}`, (o) => canon({ space: o.space, movedIn: o.movedIn, movedOut: o.movedOut })));
  out.push(...diffList(`${path}.services`, g.services, e.services, (s) => `name=${s.name}`, svc));
  out.push(...diffList(`${path}.numbers`, g.numbers, e.numbers, (n) => `number=${n.number}`, (n) => canon({ number: n.number, main: n.main }, { main: false })));
  out.push(...diffList(`${path}.ports`, g.ports, e.ports, (p) => `name=${p.name}`, (p) => canon({ name: p.name, switch: p.switch })));
  out.push(...diffList(`${path}.wifiDevices`, g.wifiDevices, e.wifiDevices, (d) => `name=${d.name}`, (d) => canon({ name: d.name, mac: d.mac.toLowerCase(), description: d.description })));
  return out;
}

/** A whole entry, as it would be written in Git. */
function entryJson(e: SiteEntry): string {
  const start = e.contract.startDate;
  return JSON.stringify(
    canon({
      site: e.site,
      contract: canon({ ...e.contract }),
      network: e.network?.enabled === false ? { enabled: false } : undefined,
      occupancies: e.occupancies?.map((o) => canon({ ...o })),
      services: e.services?.map((s) => canon({ ...s, startDate: s.startDate === start ? undefined : s.startDate })),
      ports: e.ports?.map((p) => canon({ ...p })),
      numbers: e.numbers?.map((n) => canon({ ...n }, { main: false })),
      wifiDevices: e.wifiDevices?.map((d) => canon({ ...d })),
    }),
  );
}

/**
 * What to change in Git so the spec says what the completed orders did, one human string per
 * field: `path: now → wanted`, paths indexing the user's own spec (`spec.sites[0]`, keyed
 * list items as `[name=...]`), `(none)` for absent. In order: site entries by their index in
 * the spec (an entry a move replaced by its destination: `spec.sites[i].site: from → to` and
 * the fields that differ; an entry a move ended and nothing replaced: `spec.sites[i]: site →
 * (none)`), entries to add (`spec.sites[n]: (none) → {...}` at the end), users, reseller.
 * Empty when Git has caught up.
 */
export function describeDrift(spec: OccupierSpec, effects: readonly OrderEffect[]): string[] {
  const moves = movesOf(effects);
  const eff = effectiveSpec(spec, moves, resellerOf(effects), accessLevelsOf(effects)).spec;
  const gitSites = new Set(spec.sites.map((s) => s.site));
  const effSites = new Map(eff.sites.map((s) => [s.site, s]));
  const removed = new Set(spec.sites.filter((s) => !effSites.has(s.site)).map((s) => s.site));
  const added = eff.sites.filter((s) => !gitSites.has(s.site));

  // An added entry replaces the Git entry its chain of moves started from.
  const replaces = new Map<string, SiteEntry>();
  for (const a of added) {
    let site = a.site;
    for (let k = moves.length - 1; k >= 0; k--) {
      const m = moves[k];
      if (m?.to !== site) continue;
      site = m.from;
      if (removed.has(site) && !replaces.has(site)) {
        replaces.set(site, a);
        break;
      }
    }
  }

  const out: string[] = [];
  spec.sites.forEach((g, i) => {
    const path = `spec.sites[${i}]`;
    const e = effSites.get(g.site);
    const r = replaces.get(g.site);
    if (e) out.push(...diffEntry(path, g, e));
    else if (r) out.push(`${path}.site: ${g.site} → ${r.site}`, ...diffEntry(path, g, r));
    else out.push(`${path}: ${g.site} → ${NONE}`);
  });
  const replacing = new Set(replaces.values());
  let n = spec.sites.length;
  for (const a of added) if (!replacing.has(a)) out.push(`spec.sites[${n++}]: ${NONE} → ${entryJson(a)}`);

  const effUsers = new Map((eff.users ?? []).map((u) => [u.email, u]));
  for (const u of spec.users ?? []) {
    const e = effUsers.get(u.email);
    if (!e) continue;
    const path = `spec.users[email=${u.email}]`;
    if (u.sites.join(', ') !== e.sites.join(', ')) out.push(`${path}.sites: ${u.sites.join(', ')} → ${e.sites.join(', ')}`);
    if (u.phoneNumber !== e.phoneNumber) out.push(`${path}.phoneNumber: ${show(u.phoneNumber)} → ${show(e.phoneNumber)}`);
  }
  if (spec.resellerRef?.name !== eff.resellerRef?.name) out.push(`spec.resellerRef.name: ${show(spec.resellerRef?.name)} → ${show(eff.resellerRef?.name)}`);
  return out;
}
