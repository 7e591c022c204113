/**
 * The simulated backend: one deterministic in-process "outside world" for every site, with
 * real allocation state (see `handlers.ts`), idempotency records, per-item create/update/remove
 * counters and persistence (see `store.ts`). Drivers (`SimulatedDriver`, the http reference
 * server) put latency and faults in front of it; the backend itself is synchronous.
 *
 * Time (cooling-off, bookings, async tasks) comes from the injectable clock.
 */
import { DriverError, fingerprint, REASONS } from '../contract.ts';
import type { Capability, Item, ItemRef, ListedItem, Observation, Outcome, SiteContext } from '../contract.ts';
import { itemSchema } from '../items.ts';
import { HANDLERS } from './handlers.ts';
import type { Handler, HandlerContext, SiteIndex, Stored } from './handlers.ts';
import { Store } from './store.ts';

export interface BackendClock {
  now(): number;
}

export interface BackendOptions {
  /** Directory for the persisted state; absent = memory only. */
  stateDir?: string;
  clock?: BackendClock;
  /** Idempotency records kept at most (default MAX_IDEMPOTENCY_RECORDS). */
  maxIdempotencyRecords?: number;
}

/** External writes to one item, for "allocated exactly once" / "removed exactly once" checks. */
export interface ItemCounts {
  creates: number;
  updates: number;
  removes: number;
}

export interface SiteItemRef extends ItemRef {
  site: string;
}

interface IdemRecord {
  fp: string;
  at: number;
  readyAt?: number;
  taskRef?: string;
  result?: unknown;
}

const IDEM_TTL_MS = 7 * 86_400_000;
/**
 * At most this many idempotency records are kept (the oldest go first): a retry comes within
 * minutes of its call, and without a bound an operator that keeps changing items (the soak: 50
 * edits/s) grows the simulated outside world by ~700 bytes per call for a week.
 */
export const MAX_IDEMPOTENCY_RECORDS = 20_000;
const itemColl = (site: string, capability: string, type: string): string => `item|${site}|${capability}/${type}`;
const countKey = (site: string, capability: string, type: string, key: string): string => `${site}|${capability}/${type}|${key}`;

export class SimulatedBackend {
  private opened: Store | undefined;
  private readonly stateDir: string | undefined;
  private readonly clock: BackendClock;
  private readonly indexes = new Map<string, SiteIndex>();
  private seq = 0;
  private idemWrites = 0;
  private readonly maxIdem: number;

  /**
   * The state is opened on first use, not here: a standby operator replica that never calls a
   * driver never reads a stale copy, and the one that becomes leader reads the latest state.
   */
  constructor(options: BackendOptions = {}) {
    this.stateDir = options.stateDir;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.maxIdem = options.maxIdempotencyRecords ?? MAX_IDEMPOTENCY_RECORDS;
  }

  private get store(): Store {
    if (!this.opened) {
      this.opened = new Store(this.stateDir);
      this.indexes.clear();
      this.pruneIdempotencyRecords();
    }
    return this.opened;
  }

  /**
   * Forgets idempotency records and tasks older than a week (backend clock), and the oldest
   * records beyond MAX_IDEMPOTENCY_RECORDS; runs at start and every 10,000 records.
   */
  private pruneIdempotencyRecords(): void {
    const cutoff = this.clock.now() - IDEM_TTL_MS;
    let over = this.store.size('idem') - this.maxIdem;
    // Oldest first: records are kept in the order they were made.
    for (const [key, rec] of [...this.store.entries<IdemRecord>('idem')]) {
      if (over > 0 || rec.at < cutoff) {
        this.store.delete('idem', key);
        over--;
      }
    }
    for (const [key, readyAt] of [...this.store.entries<number>('task')]) if (readyAt < cutoff) this.store.delete('task', key);
  }

  private recordIdempotency(key: string, record: IdemRecord): void {
    this.store.put('idem', key, record);
    if (++this.idemWrites % 10_000 === 0) this.pruneIdempotencyRecords();
  }

  now(): number {
    return this.clock.now();
  }

  // -------------------------------------------------------------------------------------
  // The contract
  // -------------------------------------------------------------------------------------

  observe(site: SiteContext, ref: ItemRef, desired?: unknown): Observation {
    const { handler } = this.resolve(ref.capability, ref.type);
    const ctx = this.context(site);
    if (handler.computed) {
      const { exists, details } = handler.computed(ctx, ref.key);
      return { exists, upToDate: exists, details };
    }
    const existing = this.store.get<Stored>(itemColl(site.name, ref.capability, ref.type), ref.key);
    if (!existing) {
      const details = handler.absent?.(ctx, ref.key);
      return { exists: false, upToDate: false, details };
    }
    let upToDate = true;
    if (desired !== undefined) {
      const spec = this.parseSpec(ref.capability, ref.type, desired);
      upToDate = fingerprint(strip(spec, handler)) === fingerprint(strip(existing.spec, handler));
    }
    return { exists: true, upToDate, details: this.view(ctx, handler, ref.key, existing) };
  }

  ensure(site: SiteContext, item: Item, idempotencyKey: string, asyncMs = 0): Outcome {
    return this.store.atomically(() => this.ensureNow(site, item, idempotencyKey, asyncMs));
  }

  private ensureNow(site: SiteContext, item: Item, idempotencyKey: string, asyncMs: number): Outcome {
    const { handler, observeOnly } = this.resolve(item.capability, item.type);
    if (observeOnly || !handler.ensure) throw DriverError.permanent(REASONS.NotSupported, `${item.capability}/${item.type} cannot be ensured`);
    const spec = this.parseSpec(item.capability, item.type, item.spec);
    const fp = fingerprint({ op: 'ensure', site: site.name, capability: item.capability, type: item.type, key: item.key, spec });
    const replay = this.replay(idempotencyKey, fp);
    const ctx = this.context(site);
    const coll = itemColl(site.name, item.capability, item.type);
    if (replay) return replay.state === 'Done' ? this.done(ctx, handler, coll, item.key) : replay;
    const existing = this.store.get<Stored>(coll, item.key);
    if (existing?.pendingUntil !== undefined && existing.pendingUntil > ctx.now && existing.taskRef !== undefined) {
      return { state: 'InProgress', taskRef: existing.taskRef, retryAfterMs: existing.pendingUntil - ctx.now };
    }
    const busyMs = handler.busy?.(ctx, item.key);
    if (busyMs !== undefined) return { state: 'InProgress', taskRef: `busy-${fingerprint([site.name, item.key])}`, retryAfterMs: busyMs };
    const next = handler.ensure(ctx, item.key, spec, existing);
    const changed = next !== existing;
    const record: IdemRecord = { fp, at: ctx.now };
    if (changed) {
      if (asyncMs > 0) {
        record.readyAt = ctx.now + asyncMs;
        record.taskRef = `task-${fingerprint(idempotencyKey)}`;
        next.pendingUntil = record.readyAt;
        next.taskRef = record.taskRef;
        next.pendingCreate = existing === undefined;
      }
      this.store.put(coll, item.key, next);
      this.bump(site.name, item, existing === undefined ? 'creates' : 'updates');
    }
    this.recordIdempotency(idempotencyKey, record);
    if (record.readyAt !== undefined && record.taskRef !== undefined) {
      this.store.put('task', record.taskRef, record.readyAt);
      return { state: 'InProgress', taskRef: record.taskRef, retryAfterMs: asyncMs };
    }
    return this.done(ctx, handler, coll, item.key);
  }

  remove(site: SiteContext, ref: ItemRef, idempotencyKey: string, asyncMs = 0): Outcome {
    return this.store.atomically(() => this.removeNow(site, ref, idempotencyKey, asyncMs));
  }

  private removeNow(site: SiteContext, ref: ItemRef, idempotencyKey: string, asyncMs: number): Outcome {
    const { handler, observeOnly } = this.resolve(ref.capability, ref.type);
    const ctx = this.context(site);
    if (handler.removeComputed) return { state: 'Done', details: handler.removeComputed(ctx, ref.key) };
    if (observeOnly) throw DriverError.permanent(REASONS.NotSupported, `${ref.capability}/${ref.type} cannot be removed`);
    const fp = fingerprint({ op: 'remove', site: site.name, capability: ref.capability, type: ref.type, key: ref.key });
    const replay = this.replay(idempotencyKey, fp);
    if (replay) return replay;
    const coll = itemColl(site.name, ref.capability, ref.type);
    const existing = this.store.get<Stored>(coll, ref.key);
    const record: IdemRecord = { fp, at: ctx.now };
    let details: unknown;
    if (existing && !handler.keepOnRemove) {
      details = handler.remove?.(ctx, ref.key, existing);
      this.store.delete(coll, ref.key);
      this.bump(site.name, ref, 'removes');
      if (asyncMs > 0) {
        record.readyAt = ctx.now + asyncMs;
        record.taskRef = `task-${fingerprint(idempotencyKey)}`;
      }
    } else {
      details = existing ? this.view(ctx, handler, ref.key, existing) : handler.absent?.(ctx, ref.key);
    }
    if (details !== undefined) record.result = details;
    this.recordIdempotency(idempotencyKey, record);
    if (record.readyAt !== undefined && record.taskRef !== undefined) {
      this.store.put('task', record.taskRef, record.readyAt);
      return { state: 'InProgress', taskRef: record.taskRef, retryAfterMs: asyncMs };
    }
    return { state: 'Done', details };
  }

  list(site: SiteContext, capability: string, type: string, occupier?: string): ListedItem[] {
    const { handler } = this.resolve(capability, type);
    const ctx = this.context(site);
    if (handler.computed) return [{ key: '-', spec: undefined, details: handler.computed(ctx, '-').details }];
    const out: ListedItem[] = [];
    for (const [key, s] of this.store.entries<Stored>(itemColl(site.name, capability, type))) {
      if (occupier !== undefined && s.occupier !== occupier && s.details['formerOccupier'] !== occupier && s.details['occupier'] !== occupier) continue;
      out.push({ key, spec: Object.keys(s.spec).length === 0 ? undefined : s.spec, details: this.view(ctx, handler, key, s) });
    }
    return out;
  }

  /** State of a task a call returned (`InProgress` until it is done); unknown tasks are undefined. */
  task(taskRef: string): Outcome | undefined {
    const readyAt = this.store.get<number>('task', taskRef);
    if (readyAt === undefined) return undefined;
    const now = this.clock.now();
    return readyAt > now ? { state: 'InProgress', taskRef, retryAfterMs: readyAt - now } : { state: 'Done', details: undefined };
  }

  // -------------------------------------------------------------------------------------
  // Test hooks and inspection
  // -------------------------------------------------------------------------------------

  /** Creates, updates and removes of one item, across retries and restarts. */
  counts(ref: SiteItemRef): ItemCounts {
    return this.store.get<ItemCounts>('counts', countKey(ref.site, ref.capability, ref.type, ref.key)) ?? { creates: 0, updates: 0, removes: 0 };
  }

  /** Sum of the counts of every item (optionally of one site/capability/type). */
  totals(filter: { site?: string; capability?: string; type?: string } = {}): ItemCounts {
    const sum: ItemCounts = { creates: 0, updates: 0, removes: 0 };
    for (const [key, c] of this.store.entries<ItemCounts>('counts')) {
      const [site, kind] = key.split('|');
      const [capability, type] = (kind ?? '').split('/');
      if ((filter.site !== undefined && filter.site !== site) || (filter.capability !== undefined && filter.capability !== capability) || (filter.type !== undefined && filter.type !== type)) continue;
      sum.creates += c.creates;
      sum.updates += c.updates;
      sum.removes += c.removes;
    }
    return sum;
  }

  /** A handset logs in or out with a number (the prerequisite "no handset logged in"). */
  /**
   * What the simulated outside world holds (benchmarks report it apart from the operator's own
   * memory: in a deployment this state lives in the providers' systems, not in the operator).
   */
  stats(): { items: number; idempotencyRecords: number; tasks: number; bytes: number } {
    let items = 0;
    let bytes = 0;
    for (const name of this.store.collectionNames()) {
      if (name.startsWith('item|')) items += this.store.size(name);
      for (const [k, v] of this.store.entries<unknown>(name)) bytes += k.length + JSON.stringify(v).length;
    }
    return { items, idempotencyRecords: this.store.size('idem'), tasks: this.store.size('task'), bytes };
  }

  simulateHandsetLogin(number: string, loggedIn: boolean): void {
    if (loggedIn) this.store.put('handset', number, true);
    else this.store.delete('handset', number);
  }

  /** Puts a service in Failed or Updating state (or clears it with `undefined`). */
  simulateServiceState(site: string, key: string, state: 'Failed' | 'Updating' | undefined, message?: string): void {
    if (state === undefined) this.store.delete(`service|${site}`, key);
    else this.store.put(`service|${site}`, key, message === undefined ? { state } : { state, message });
  }

  /** A call is charged; refused (false) unless the occupier's call charges are Active. */
  simulateCallCharge(site: string, occupier: string, number: string, pence: number): boolean {
    const coll = itemColl(site, 'billing', 'callCharges');
    const charges = this.store.get<Stored>(coll, occupier);
    if (charges?.spec['state'] !== 'Active') return false;
    const at = new Date(this.clock.now()).toISOString();
    this.store.put(itemColl(site, 'billing', 'callCharge'), this.nextKey(), { spec: {}, occupier, details: { at, occupier, number, pence } });
    const details = { ...charges.details, count: Number(charges.details['count']) + 1, totalPence: Number(charges.details['totalPence']) + pence };
    this.store.put(coll, occupier, { ...charges, details });
    return true;
  }

  /** A card is presented at a door; logged (true) if the user exists at the site. */
  simulateAccessEvent(site: string, email: string, door: string): boolean {
    const user = this.store.get<Stored>(itemColl(site, 'access', 'user'), email);
    if (!user) return false;
    const at = new Date(this.clock.now()).toISOString();
    const cardId = user.details['cardId'];
    const entry = { at, occupier: user.occupier ?? '', email, door, ...(typeof cardId === 'string' ? { cardId } : {}) };
    this.store.put(itemColl(site, 'access', 'accessLog'), this.nextKey(), { spec: {}, occupier: entry.occupier, details: entry });
    return true;
  }

  /**
   * Opens the persisted state now (it is otherwise opened on the first call), taking its
   * directory's lock: a second process on the same directory is refused at its start
   * (Transient `BackendLocked`, naming the owner's pid) instead of at its first driver call.
   */
  open(): void {
    void this.store;
  }

  /** Compacts the state to its snapshot file and closes the journal. */
  close(): void {
    this.opened?.close();
    this.opened = undefined;
  }

  // -------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------

  private resolve(capability: string, type: string): { handler: Handler; observeOnly: boolean } {
    const schema = itemSchema(capability, type);
    const handler = HANDLERS[`${capability}/${type}`];
    if (!schema || !handler) throw DriverError.permanent(REASONS.NotSupported, `unknown item type ${capability}/${type}`);
    return { handler, observeOnly: schema.observeOnly === true };
  }

  private parseSpec(capability: string, type: string, spec: unknown): Record<string, unknown> {
    const result = itemSchema(capability, type)?.spec.safeParse(spec);
    if (!result?.success) {
      const issue = result?.error.issues[0];
      throw DriverError.permanent(REASONS.InvalidSpec, `${capability}/${type}: ${issue ? `${issue.path.join('.') || 'spec'}: ${issue.message}` : 'invalid spec'}`);
    }
    return result.data as Record<string, unknown>;
  }

  private replay(idempotencyKey: string, fp: string): Outcome | undefined {
    const rec = this.store.get<IdemRecord>('idem', idempotencyKey);
    if (!rec) return undefined;
    if (rec.fp !== fp) throw DriverError.permanent(REASONS.IdempotencyKeyReused, `idempotency key ${idempotencyKey} was used for a different request`);
    const now = this.clock.now();
    if (rec.readyAt !== undefined && rec.readyAt > now && rec.taskRef !== undefined) return { state: 'InProgress', taskRef: rec.taskRef, retryAfterMs: rec.readyAt - now };
    return { state: 'Done', details: rec.result };
  }

  private done(ctx: HandlerContext, handler: Handler, coll: string, key: string): Outcome {
    const s = this.store.get<Stored>(coll, key);
    return { state: 'Done', details: s ? this.view(ctx, handler, key, s) : undefined };
  }

  private view(ctx: HandlerContext, handler: Handler, key: string, s: Stored): Record<string, unknown> {
    return handler.view ? handler.view(ctx, key, s) : s.details;
  }

  private bump(site: string, ref: ItemRef, field: keyof ItemCounts): void {
    const key = countKey(site, ref.capability, ref.type, ref.key);
    const c = this.store.get<ItemCounts>('counts', key) ?? { creates: 0, updates: 0, removes: 0 };
    this.store.put('counts', key, { ...c, [field]: c[field] + 1 });
  }

  private nextKey(): string {
    return `${this.clock.now().toString().padStart(15, '0')}-${(this.seq++).toString().padStart(6, '0')}-${process.pid}`;
  }

  private index(site: string): SiteIndex {
    let index = this.indexes.get(site);
    if (index) return index;
    index = { vlans: new Set(), subnets: new Set(), ports: new Set(), cards: new Map(), hints: new Map() };
    for (const [, s] of this.store.entries<Stored>(itemColl(site, 'network', 'allocation'))) {
      index.vlans.add(s.details['vlan'] as number);
      index.subnets.add(s.details['subnet'] as string);
    }
    for (const [, s] of this.store.entries<Stored>(itemColl(site, 'ports', 'port'))) index.ports.add(`${String(s.details['switch'])}/${String(s.details['port'])}`);
    for (const [email, s] of this.store.entries<Stored>(itemColl(site, 'access', 'user'))) {
      const card = s.details['cardId'];
      if (typeof card === 'string') index.cards.set(card, email);
    }
    this.indexes.set(site, index);
    return index;
  }

  private context(site: SiteContext): HandlerContext {
    const store = this.store;
    const name = site.name;
    const now = this.clock.now();
    const coolingColl = `cooling|${name}`;
    return {
      site,
      now,
      index: this.index(name),
      get: (capability, type, key) => store.get<Stored>(itemColl(name, capability, type), key),
      getAt: (other, capability, type, key) => store.get<Stored>(itemColl(other, capability, type), key),
      transferOut: (other, capability, type, key) => {
        store.delete(itemColl(other, capability, type), key);
        this.bump(other, { capability: capability as Capability, type, key }, 'removes');
      },
      ownerElsewhere(capability, type, key) {
        const suffix = `|${capability}/${type}`;
        for (const coll of store.collectionNames()) {
          if (!coll.startsWith('item|') || !coll.endsWith(suffix) || coll === itemColl(name, capability, type)) continue;
          const owner = store.get<Stored>(coll, key)?.occupier;
          if (owner !== undefined) return owner;
        }
        return undefined;
      },
      cooling: {
        get: (number) => store.get<{ until: number; occupier: string }>(coolingColl, number),
        delete: (number) => store.delete(coolingColl, number),
        put: (number, until, occupier) => store.put(coolingColl, number, { until, occupier }),
        count: () => [...store.entries<{ until: number }>(coolingColl)].filter(([, c]) => c.until > now).length,
      },
      handsetLoggedIn: (number) => store.get<boolean>('handset', number) === true,
      setHandset: (number, loggedIn) => (loggedIn ? store.put('handset', number, true) : store.delete('handset', number)),
      serviceOverride: (key) => store.get<{ state: 'Failed' | 'Updating'; message?: string }>(`service|${name}`, key),
      count: (capability, type) => store.size(itemColl(name, capability, type)),
    };
  }
}

function strip(spec: Record<string, unknown>, handler: Handler): Record<string, unknown> {
  if (!handler.transientFields) return spec;
  const out = { ...spec };
  for (const f of handler.transientFields) delete out[f];
  return out;
}
