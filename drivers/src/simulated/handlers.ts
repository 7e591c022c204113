/**
 * What the simulated backend does for each item type: allocation from the Site's pools,
 * ownership and uniqueness rules, and the details it reports. Handlers are pure over the
 * `HandlerContext` (state access, the site's indexes, the clock); the backend does
 * idempotency, persistence and counting around them.
 */
import { DriverError, fingerprint, REASONS, stableJson } from '../contract.ts';
import type { SiteContext } from '../contract.ts';
import { checkInPool, coolingOffMs, numberPoolSize, subnetAt, subnetIndex, subnetPool, vlanRange } from './pools.ts';

/** One stored item. `details` holds what the backend decided (allocations, timestamps). */
export interface Stored {
  spec: Record<string, unknown>;
  details: Record<string, unknown>;
  occupier?: string;
  /** With `asyncMs`: the task that created/updated the item finishes at this time. */
  pendingUntil?: number;
  taskRef?: string;
  /** Whether the pending task created the item (Provisioning) or updated it (Updating). */
  pendingCreate?: boolean;
}

/** Used pool members of one site, rebuilt from the stored items when first needed. */
export interface SiteIndex {
  vlans: Set<number>;
  subnets: Set<string>;
  ports: Set<string>;
  cards: Map<string, string>;
  /** Lowest possibly-free member per pool (`vlan:<from>-<to>`, `subnet:<cidr>/<len>`, `port:<switch>`): no free member is below it. */
  hints: Map<string, number>;
}

export interface HandlerContext {
  site: SiteContext;
  now: number;
  index: SiteIndex;
  /** The stored item of another type at this site. */
  get(capability: string, type: string, key: string): Stored | undefined;
  /** The stored item at another site. */
  getAt(site: string, capability: string, type: string, key: string): Stored | undefined;
  /** Moves an item out of another site (a transfer, counted as a remove there). */
  transferOut(site: string, capability: string, type: string, key: string): void;
  /** Owner of the same key and type at any other site (global uniqueness: MACs, emails). */
  ownerElsewhere(capability: string, type: string, key: string): string | undefined;
  cooling: { get(number: string): { until: number; occupier: string } | undefined; delete(number: string): void; put(number: string, until: number, occupier: string): void; count(): number };
  handsetLoggedIn(number: string): boolean;
  setHandset(number: string, loggedIn: boolean): void;
  serviceOverride(key: string): { state: 'Failed' | 'Updating'; message?: string } | undefined;
  count(capability: string, type: string): number;
}

export interface Handler {
  /** The new stored item, or `existing` itself when nothing changes. */
  ensure?(ctx: HandlerContext, key: string, spec: Record<string, unknown>, existing: Stored | undefined): Stored;
  /** Side effects of removal (free pool members); returns the details to report. */
  remove?(ctx: HandlerContext, key: string, existing: Stored): unknown;
  /** What remove reports when the item is absent. */
  absent?(ctx: HandlerContext, key: string): unknown;
  /** Details of a stored item as observed now. */
  view?(ctx: HandlerContext, key: string, stored: Stored): Record<string, unknown>;
  /** The backend is busy with the item (the caller should come back), in ms. */
  busy?(ctx: HandlerContext, key: string): number | undefined;
  /** Observe-only computed item (pools, handsets). */
  computed?(ctx: HandlerContext, key: string): { exists: boolean; details: Record<string, unknown> };
  /** Remove of a computed item (handset remote logout). */
  removeComputed?(ctx: HandlerContext, key: string): unknown;
  /** `remove` is a no-op (messages cannot be unsent). */
  keepOnRemove?: boolean;
  /** Spec fields that are instructions, not state (left out of up-to-date checks). */
  transientFields?: string[];
}

const occupierOf = (spec: Record<string, unknown>): string | undefined => (typeof spec['occupier'] === 'string' ? spec['occupier'] : undefined);
const iso = (ms: number): string => new Date(ms).toISOString();

function stored(spec: Record<string, unknown>, details: Record<string, unknown>): Stored {
  const occupier = occupierOf(spec);
  return occupier === undefined ? { spec, details } : { spec, details, occupier };
}

function sameSpec(existing: Stored | undefined, spec: Record<string, unknown>): boolean {
  return existing !== undefined && stableJson(existing.spec) === stableJson(spec);
}

function ownedBy(existing: Stored | undefined, spec: Record<string, unknown>, key: string, reason: string = REASONS.OwnedByAnotherOccupier): void {
  const occupier = occupierOf(spec);
  if (existing?.occupier !== undefined && occupier !== undefined && existing.occupier !== occupier) {
    throw DriverError.permanent(reason, `${key} belongs to another occupier (${existing.occupier})`);
  }
}

/** A record keyed by caller-chosen key, owned by one occupier, with no pool behind it. */
function plain(details: (spec: Record<string, unknown>, existing: Stored | undefined, ctx: HandlerContext) => Record<string, unknown>): Handler {
  return {
    ensure(ctx, key, spec, existing) {
      ownedBy(existing, spec, key);
      if (existing && sameSpec(existing, spec)) return existing;
      return stored(spec, details(spec, existing, ctx));
    },
  };
}

function pick(spec: Record<string, unknown>, ...fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (spec[f] !== undefined) out[f] = spec[f];
  return out;
}

/** Accounts keyed by email, unique across occupiers at every site. */
function account(capability: string, type: string): Handler {
  return {
    ensure(ctx, key, spec, existing) {
      if (String(spec['email']).toLowerCase() !== key.toLowerCase()) throw DriverError.permanent(REASONS.InvalidSpec, `key ${key} must be the account's email`);
      ownedBy(existing, spec, key, REASONS.EmailInUse);
      const elsewhere = ctx.ownerElsewhere(capability, type, key);
      if (elsewhere !== undefined && elsewhere !== occupierOf(spec)) throw DriverError.permanent(REASONS.EmailInUse, `${key} has an account of another occupier (${elsewhere})`);
      if (existing && sameSpec(existing, spec)) return existing;
      return stored(spec, { username: key.toLowerCase(), occupier: spec['occupier'] });
    },
  };
}

/** Lowest free member of `from..to`, starting at the pool's hint (so allocation is O(1) amortised). */
function firstFree(index: SiteIndex, hintKey: string, from: number, to: number, used: (n: number) => boolean): number | undefined {
  for (let n = Math.max(from, index.hints.get(hintKey) ?? from); n <= to; n++) {
    if (!used(n)) {
      index.hints.set(hintKey, n + 1);
      return n;
    }
  }
  index.hints.set(hintKey, to + 1);
  return undefined;
}

/** A member was freed: lower the hints of the pools it may belong to. */
function freed(index: SiteIndex, prefix: string, n: number, exactKey?: string): void {
  for (const [key, hint] of index.hints) {
    if (!key.startsWith(prefix)) continue;
    if (exactKey === undefined || key === exactKey) index.hints.set(key, Math.min(hint, n));
    else index.hints.delete(key);
  }
}

const subnetHintKey = (ctx: HandlerContext): string => `subnet:${ctx.site.network?.ipv4Pool ?? ''}/${ctx.site.network?.subnetPrefixLength ?? 26}`;

const network: Handler = {
  ensure(ctx, key, spec, existing) {
    ownedBy(existing, spec, key);
    if (existing) return existing;
    const range = vlanRange(ctx.site);
    const pool = subnetPool(ctx.site);
    const vlan = firstFree(ctx.index, `vlan:${range.from}-${range.to}`, range.from, range.to, (n) => ctx.index.vlans.has(n));
    if (vlan === undefined) throw DriverError.permanent(REASONS.PoolExhausted, `no free VLAN in ${range.from}-${range.to} at site ${ctx.site.name}`);
    const index = firstFree(ctx.index, subnetHintKey(ctx), 0, pool.count - 1, (i) => ctx.index.subnets.has(subnetAt(pool, i).subnet));
    if (index === undefined) throw DriverError.permanent(REASONS.PoolExhausted, `no free /${pool.prefixLength} subnet in ${ctx.site.network?.ipv4Pool ?? ''} at site ${ctx.site.name}`);
    const { subnet, gateway } = subnetAt(pool, index);
    ctx.index.vlans.add(vlan);
    ctx.index.subnets.add(subnet);
    return stored(spec, { vlan, subnet, gateway, prefixLength: pool.prefixLength });
  },
  remove(ctx, _key, existing) {
    const vlan = existing.details['vlan'] as number;
    const subnet = existing.details['subnet'] as string;
    ctx.index.vlans.delete(vlan);
    ctx.index.subnets.delete(subnet);
    freed(ctx.index, 'vlan:', vlan);
    const pool = ctx.site.network ? subnetPool(ctx.site) : undefined;
    const at = pool ? subnetIndex(pool, subnet) : -1;
    freed(ctx.index, 'subnet:', Number.isInteger(at) && at >= 0 ? at : 0, Number.isInteger(at) && at >= 0 ? subnetHintKey(ctx) : undefined);
    return undefined;
  },
};

const numberHandler: Handler = {
  transientFields: ['transferFrom', 'transferFromSite'],
  ensure(ctx, key, spec, existing) {
    const occupier = occupierOf(spec) ?? '';
    const { transferFrom, transferFromSite, ...state } = spec;
    if (!existing) {
      if (typeof transferFromSite === 'string' && transferFromSite !== ctx.site.name) {
        // A site move: the number leaves the other site (no cooling-off) and is ported in here.
        const owner = typeof transferFrom === 'string' ? transferFrom : occupier;
        const source = ctx.getAt(transferFromSite, 'telephony', 'number', key);
        if (source?.occupier !== owner) throw DriverError.permanent(REASONS.NotFound, `${key} is not allocated to ${owner} at site ${transferFromSite}`);
        ctx.transferOut(transferFromSite, 'telephony', 'number', key);
        return stored(state, { number: key, allocatedAt: source.details['allocatedAt'] ?? iso(ctx.now) });
      }
      if (!checkInPool(ctx.site, key)) throw DriverError.permanent(REASONS.NotInPool, `${key} is not in the number blocks of site ${ctx.site.name}`);
      const elsewhere = ctx.ownerElsewhere('telephony', 'number', key);
      if (elsewhere !== undefined) throw DriverError.permanent(REASONS.NumberInUse, `${key} was moved to another site (occupier ${elsewhere})`);
      const cooling = ctx.cooling.get(key);
      if (cooling && cooling.until > ctx.now && cooling.occupier !== occupier) {
        throw DriverError.permanent(REASONS.NumberCoolingOff, `${key} is cooling off until ${iso(cooling.until)}`);
      }
      if (cooling) ctx.cooling.delete(key);
      return stored(state, { number: key, allocatedAt: iso(ctx.now) });
    }
    if (existing.occupier !== occupier) {
      // A transfer between occupiers: no cooling-off, assignment as the new spec says.
      if (transferFrom !== existing.occupier) throw DriverError.permanent(REASONS.NumberInUse, `${key} is allocated to another occupier (${existing.occupier ?? ''})`);
      return stored(state, existing.details);
    }
    const prev = existing.spec;
    // Frozen: no new assignment and no main-number change; unassigning (users deleted) is allowed.
    const reassigned = state['assignedTo'] !== undefined && prev['assignedTo'] !== state['assignedTo'];
    if (prev['state'] === 'Frozen' && state['state'] === 'Frozen' && (reassigned || prev['main'] !== state['main'])) {
      throw DriverError.permanent(REASONS.NumberFrozen, `${key} is frozen: it cannot be edited`);
    }
    if (sameSpec(existing, state)) return existing;
    return stored(state, existing.details);
  },
  view(ctx, key, s) {
    const state = s.spec['state'] === 'Allocated' ? (s.spec['assignedTo'] === undefined ? 'Allocated' : 'Assigned') : s.spec['state'];
    return { number: key, state, ...pick(s.spec, 'occupier', 'assignedTo', 'main'), handsetLoggedIn: ctx.handsetLoggedIn(key) };
  },
  remove(ctx, key, existing) {
    const until = ctx.now + coolingOffMs(ctx.site);
    ctx.cooling.put(key, until, existing.occupier ?? '');
    ctx.setHandset(key, false);
    return { number: key, state: 'CoolingOff', coolingOffUntil: iso(until) };
  },
  absent(ctx, key) {
    const cooling = ctx.cooling.get(key);
    if (cooling && cooling.until > ctx.now) return { number: key, state: 'CoolingOff', coolingOffUntil: iso(cooling.until) };
    if (ctx.ownerElsewhere('telephony', 'number', key) !== undefined) return { number: key, state: 'NotInPool' };
    let inPool: boolean;
    try {
      inPool = checkInPool(ctx.site, key);
    } catch {
      inPool = false;
    }
    return { number: key, state: inPool ? 'Available' : 'NotInPool' };
  },
};

function freePort(ctx: HandlerContext, existing: Stored): void {
  const sw = String(existing.details['switch']);
  const n = existing.details['port'] as number;
  ctx.index.ports.delete(`${sw}/${n}`);
  freed(ctx.index, `port:${sw}`, n, `port:${sw}`);
}

const port: Handler = {
  ensure(ctx, key, spec, existing) {
    ownedBy(existing, spec, key);
    const wanted = spec['switch'] as string | undefined;
    if (existing && (wanted === undefined || wanted === existing.details['switch'])) return existing;
    const switches = ctx.site.switches ?? [];
    if (switches.length === 0) throw DriverError.permanent(REASONS.NoPool, `site ${ctx.site.name} has no switches`);
    const candidates = wanted === undefined ? switches : switches.filter((s) => s.name === wanted);
    if (candidates.length === 0) throw DriverError.permanent(REASONS.UnknownSwitch, `switch ${wanted ?? ''} is not a switch of site ${ctx.site.name}`);
    for (const sw of candidates) {
      const free = firstFree(ctx.index, `port:${sw.name}`, 1, sw.ports, (n) => ctx.index.ports.has(`${sw.name}/${n}`));
      if (free === undefined) continue;
      if (existing) freePort(ctx, existing);
      ctx.index.ports.add(`${sw.name}/${free}`);
      return stored(spec, { switch: sw.name, port: free, occupier: spec['occupier'] });
    }
    throw DriverError.permanent(REASONS.PoolExhausted, `no free port on ${wanted ?? 'any switch'} at site ${ctx.site.name}`);
  },
  remove(ctx, _key, existing) {
    freePort(ctx, existing);
    return undefined;
  },
};

const accessUser: Handler = {
  ensure(ctx, key, spec, existing) {
    if (String(spec['email']).toLowerCase() !== key.toLowerCase()) throw DriverError.permanent(REASONS.InvalidSpec, `key ${key} must be the user's email`);
    ownedBy(existing, spec, key);
    const card = typeof spec['cardId'] === 'string' ? spec['cardId'].toUpperCase() : undefined;
    const holder = card === undefined ? undefined : ctx.index.cards.get(card);
    if (holder !== undefined && holder !== key) throw DriverError.permanent(REASONS.CardInUse, `card ${card ?? ''} belongs to another user at site ${ctx.site.name}`);
    if (existing && sameSpec(existing, spec)) return existing;
    const old = existing?.details['cardId'];
    if (typeof old === 'string') ctx.index.cards.delete(old);
    if (card !== undefined) ctx.index.cards.set(card, key);
    const groups = [...new Set(spec['groups'] as string[])].sort();
    return stored(spec, { occupier: spec['occupier'], groups, ...(card === undefined ? {} : { cardId: card }) });
  },
  remove(ctx, _key, existing) {
    const card = existing.details['cardId'];
    if (typeof card === 'string') ctx.index.cards.delete(card);
    return undefined;
  },
};

const service: Handler = {
  ensure(ctx, key, spec, existing) {
    const override = ctx.serviceOverride(key);
    if (override?.state === 'Failed') throw DriverError.permanent(REASONS.ServiceFailed, `service ${key} could not be updated${override.message ? `: ${override.message}` : ''}; raise a support case`);
    ownedBy(existing, spec, key);
    if (existing && sameSpec(existing, spec)) return existing;
    return stored(spec, {});
  },
  busy(ctx, key) {
    return ctx.serviceOverride(key)?.state === 'Updating' ? 1000 : undefined;
  },
  view(ctx, key, s) {
    const override = ctx.serviceOverride(key);
    let state: string = s.spec['state'] === 'Inactive' ? 'Inactive' : 'Active';
    if (s.pendingUntil !== undefined && s.pendingUntil > ctx.now) state = s.pendingCreate === true ? 'Provisioning' : 'Updating';
    if (override) state = override.state;
    return {
      occupier: s.spec['occupier'],
      state,
      quantity: s.spec['quantity'],
      scheduledChanges: s.spec['scheduledChanges'] ?? [],
      ...pick(s.spec, 'accessLevel'),
      ...(override?.message === undefined ? {} : { message: override.message }),
    };
  },
};

const booking: Handler = {
  ensure(_ctx, _key, spec, existing) {
    if (existing && sameSpec(existing, spec)) return existing;
    const former = existing?.occupier ?? (existing?.details['formerOccupier'] as string | undefined);
    const formerOccupier = spec['occupier'] === undefined && former !== undefined ? { formerOccupier: former } : {};
    return stored(spec, formerOccupier);
  },
  view(ctx, _key, s) {
    const when = Date.parse(String(s.spec['start'])) > ctx.now ? 'Upcoming' : 'Historical';
    return { ...pick(s.spec, 'occupier', 'userEmail', 'userName', 'resource', 'start', 'end'), ...s.details, when };
  },
};

/**
 * The reseller relation of a customer (billing or directory): one per occupier; a change of
 * reseller records the previous one and when it changed.
 */
const customerOf: Handler = {
  ensure(ctx, key, spec, existing) {
    if (spec['reseller'] === spec['occupier']) throw DriverError.permanent(REASONS.InvalidSpec, `${key}: an occupier cannot be its own reseller`);
    ownedBy(existing, spec, key);
    if (existing && sameSpec(existing, spec)) return existing;
    const before = existing?.spec['reseller'];
    if (existing && before === spec['reseller']) return stored(spec, existing.details);
    const previous = typeof before === 'string' ? { previousReseller: before } : {};
    return stored(spec, { occupier: spec['occupier'], reseller: spec['reseller'], since: iso(ctx.now), ...previous });
  },
};

/** What a user inherits from the occupier's services: keyed by email, unique across occupiers like accounts. */
const entitlements: Handler = {
  ensure(ctx, key, spec, existing) {
    if (String(spec['email']).toLowerCase() !== key.toLowerCase()) throw DriverError.permanent(REASONS.InvalidSpec, `key ${key} must be the user's email`);
    ownedBy(existing, spec, key, REASONS.EmailInUse);
    const elsewhere = ctx.ownerElsewhere('directory', 'entitlements', key);
    if (elsewhere !== undefined && elsewhere !== occupierOf(spec)) throw DriverError.permanent(REASONS.EmailInUse, `${key} has entitlements of another occupier (${elsewhere})`);
    if (existing && sameSpec(existing, spec)) return existing;
    return stored(spec, { occupier: spec['occupier'], services: spec['services'] });
  },
};

function computedPool(fn: (ctx: HandlerContext) => Record<string, unknown>): Handler {
  return { computed: (ctx) => ({ exists: true, details: fn(ctx) }) };
}

/** Handlers by `capability/type`. */
export const HANDLERS: Record<string, Handler> = {
  'network/allocation': network,
  'network/pool': computedPool((ctx) => {
    const range = ctx.site.network ? vlanRange(ctx.site) : { from: 1, to: 0 };
    const pool = ctx.site.network ? subnetPool(ctx.site) : { count: 0 };
    return { vlans: { total: range.to - range.from + 1, allocated: ctx.index.vlans.size }, subnets: { total: pool.count, allocated: ctx.index.subnets.size } };
  }),
  'wifi/account': account('wifi', 'account'),
  'wifi/device': {
    ensure(ctx, key, spec, existing) {
      if (String(spec['mac']).toLowerCase() !== key) throw DriverError.permanent(REASONS.InvalidSpec, `key ${key} must be the device's lower-case MAC`);
      ownedBy(existing, spec, key, REASONS.MacInUse);
      const elsewhere = ctx.ownerElsewhere('wifi', 'device', key);
      if (elsewhere !== undefined && elsewhere !== occupierOf(spec)) throw DriverError.permanent(REASONS.MacInUse, `${key} is registered to another occupier (${elsewhere})`);
      if (existing && sameSpec(existing, spec)) return existing;
      return stored(spec, { mac: key, occupier: spec['occupier'] });
    },
  },
  'telephony/number': numberHandler,
  'telephony/handset': {
    computed: (ctx, key) => ({ exists: ctx.get('telephony', 'number', key) !== undefined, details: { number: key, loggedIn: ctx.handsetLoggedIn(key) } }),
    removeComputed(ctx, key) {
      ctx.setHandset(key, false);
      return { number: key, loggedIn: false };
    },
  },
  'telephony/pool': computedPool((ctx) => ({ total: numberPoolSize(ctx.site), allocated: ctx.count('telephony', 'number'), coolingOff: ctx.cooling.count() })),
  'ports/port': port,
  'ports/pool': computedPool((ctx) => ({ total: (ctx.site.switches ?? []).reduce((n, s) => n + s.ports, 0), allocated: ctx.index.ports.size })),
  'access/user': accessUser,
  'access/accessLog': {},
  'billing/contract': plain((spec) => pick(spec, 'occupier', 'status', 'startDate', 'endDate', 'tariff')),
  'billing/occupancy': plain((spec) => pick(spec, 'occupier', 'space', 'status', 'movedIn', 'movedOut')),
  'billing/service': service,
  'billing/callCharges': plain((spec, existing) => ({ occupier: spec['occupier'], state: spec['state'], count: existing?.details['count'] ?? 0, totalPence: existing?.details['totalPence'] ?? 0 })),
  'billing/callCharge': {},
  'billing/booking': booking,
  'billing/customer': customerOf,
  'directory/account': account('directory', 'account'),
  'directory/customer': customerOf,
  'directory/entitlements': entitlements,
  'notify/message': {
    keepOnRemove: true,
    ensure(ctx, _key, spec, existing) {
      return existing ?? stored(spec, { sentAt: iso(ctx.now), recipients: spec['recipients'] });
    },
  },
  'records/archive': plain((spec, existing, ctx) => {
    const history = spec['history'] as Record<string, unknown[]>;
    const counts = Object.fromEntries(Object.entries(history).map(([k, v]) => [k, v.length]));
    return { recordRef: `record-${fingerprint([ctx.site.name, spec['occupier']])}`, archivedAt: existing?.details['archivedAt'] ?? iso(ctx.now), counts, history };
  }),
};
