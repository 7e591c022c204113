/**
 * The Occupier reconciler against an API server (embedded or real, see test/support/cluster.ts)
 * through the real `ResourceClient`, with the simulated drivers outside: the one writer of
 * `Occupier.status` through a site move (scheduled, running, done, Git catching up), a
 * decommission and a customer move, and the teardown when the Occupier is deleted.
 *
 * Each test has its own namespace and a fresh Occupier `acme` in it (the finalizer set at
 * creation), so its identity `<namespace>/acme` differs per test. A pass reads the object from
 * the API server and reconciles it; "no write" is an unchanged resourceVersion. Sites and
 * orders are inputs of the reconciler (`sites`, `orders(key)`); Events go to an in-memory
 * recorder.
 */
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { SimulatedBackend, SimulatedDriver } from '../../drivers/src/index.ts';
import { siteContext } from '../../drivers/src/contract.ts';
import { API_VERSION, GROUP, Occupier, VERSION } from '../../operator/src/api/index.ts';
import type { CustomerMoveResource, DecommissionResource, OccupierResource, OccupierSpec, OrderStatus, SiteMoveResource, SiteResource } from '../../operator/src/api/index.ts';
import { OCCUPIER_FINALIZER, occupierReconciler } from '../../operator/src/controllers/occupier/controller.ts';
import { customerNames, resellerChanged, resellerKeysOf } from '../../operator/src/controllers/occupier/customers.ts';
import type { AnyOrder } from '../../operator/src/controllers/occupier/orders.ts';
import { customerMoveSpec, decommissionSpec, occupier, site, siteMoveSpec } from '../../operator/src/planner/fixtures.ts';
import { FakeClock, httpStatus, ResourceClient } from '../../operator/src/runtime/index.ts';
import type { EventRecorder, ReconcileContext } from '../../operator/src/runtime/index.ts';
import { useCluster } from '../support/cluster.ts';

const SHO = 'london-shoreditch';
const CW = 'london-canary-wharf';
const NOW = Date.parse('2027-02-10T12:00:00Z');
const STARTED = '2027-02-01T18:00:00Z';

const env = useCluster();
let namespaces = 0;

/**
 * A fresh Occupier `acme` (finalizer set) in a new namespace, and the reconciler over the real
 * client. `customersOf` gets the key asked for and this occupier's identity.
 */
async function harness(spec: OccupierSpec, customersOf?: (resellerKey: string, id: string) => string[]) {
  const kc = env().kubeConfig;
  const ns = `occ-${++namespaces}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  const client = new ResourceClient<OccupierResource>(kc.makeApiClient(CustomObjectsApi), { group: GROUP, version: VERSION, plural: Occupier.plural, kind: Occupier.kind });
  const id = `${ns}/acme`;
  const created = await client.create({ apiVersion: API_VERSION, kind: 'Occupier', metadata: { name: 'acme', namespace: ns, finalizers: [OCCUPIER_FINALIZER] }, spec });
  expect(created.metadata.generation).toBe(1);

  const sites = new Map<string, SiteResource>([
    [SHO, site(SHO).withService('internet-100', { Standard: {}, Premium: { staticIp: 'true' } }).build()],
    [CW, site(CW).withService('internet-100', { Standard: {} }).withSpace('office-3911').build()],
  ]);
  const backend = new SimulatedBackend({ clock: { now: () => NOW } });
  const driver = new SimulatedDriver({ backend });
  const events: string[] = [];
  let orders: AnyOrder[] = [];
  const reconcile = occupierReconciler({
    client,
    sites: { get: (n) => sites.get(n) },
    drivers: { resolve: async () => ({ driver, timeoutMs: 5_000 }) },
    events: {
      normal: async (_o: unknown, reason: string, message: string) => void events.push(`Normal ${reason}: ${message}`),
      warning: async (_o: unknown, reason: string, message: string) => void events.push(`Warning ${reason}: ${message}`),
    } as unknown as EventRecorder,
    clock: new FakeClock(NOW),
    orders: (key) => (key === id ? orders : []),
    ...(customersOf ? { customersOf: (key: string) => customersOf(key, id) } : {}),
  });
  const ctx = { signal: new AbortController().signal } as ReconcileContext;
  const get = (): Promise<OccupierResource> => client.get(ns, 'acme');
  return {
    ns,
    /** The occupier's identity, `<namespace>/acme`: the key of its backend items. */
    id,
    client,
    backend,
    driver,
    sites,
    events,
    get,
    status: async () => (await get()).status,
    resourceVersion: async () => (await get()).metadata.resourceVersion,
    setOrders: (o: AnyOrder[]) => void (orders = o),
    /** A real update of the spec: the generation bumps. */
    setSpec: async (s: OccupierSpec) => {
      const cur = await get();
      const updated = await client.replace({ ...cur, spec: s });
      expect(updated.metadata.generation).toBe((cur.metadata.generation ?? 0) + 1);
    },
    /** Reads the object from the API server (or takes the copy given) and reconciles it. */
    pass: async (obj?: OccupierResource) => reconcile(obj ?? (await get()), ctx),
    /** `kubectl delete occupier acme`: the API server sets deletionTimestamp, the finalizer holds it. */
    markDeleted: async () => {
      await client.delete(ns, 'acme');
      const held = await get();
      expect(held.metadata.deletionTimestamp).toBeTruthy();
      expect(held.metadata.finalizers).toEqual([OCCUPIER_FINALIZER]);
    },
    /** Whether the object is gone (the API server answers 404). */
    gone: async () => get().then(() => false, (err: unknown) => {
      if (httpStatus(err) === 404) return true;
      throw err;
    }),
    count: (s: string, capability: Parameters<SimulatedBackend['counts']>[0]['capability'], type: string, key = id) => backend.counts({ site: s, capability, type, key }),
  };
}
type Harness = Awaited<ReturnType<typeof harness>>;

/** A pass that must not write: the object's resourceVersion stays. */
async function expectNoWrite(h: Harness): Promise<void> {
  const rv = await h.resourceVersion();
  await h.pass();
  expect(await h.resourceVersion()).toBe(rv);
}

const meta = (h: Harness, name: string) => ({ name, namespace: h.ns, creationTimestamp: new Date('2027-01-10T09:00:00Z') });
const move = (h: Harness, status: OrderStatus): SiteMoveResource => ({ apiVersion: API_VERSION, kind: 'SiteMove', metadata: meta(h, 'to-canary'), spec: siteMoveSpec('acme', SHO, CW, { spaces: ['office-3911'] }), status });

describe('occupier reconciler: one writer of Occupier.status, through a site move', () => {
  const acme = occupier('acme').withSite(SHO, { startDate: '2025-03-01' }).withService(SHO, 'internet-100', { accessLevel: 'Standard' }).withUser('ana@acme.example');

  it('moves with the order, never provisions twice, names the drift until Git catches up', async () => {
    const h = await harness(acme.build().spec);
    await h.pass();
    expect(await h.status()).toMatchObject({ phase: 'Active', currentSites: [SHO], users: { total: 1, ready: 1 } });
    await expectNoWrite(h); // nothing changed: no write

    const beforeMove = await h.get();
    h.setOrders([move(h, { phase: 'Scheduled', scheduledFor: STARTED })]);
    await h.pass();
    expect(await h.status()).toMatchObject({ phase: 'MoveScheduled', activeOrder: { kind: 'SiteMove', name: 'to-canary' } });
    expect(h.events.at(-1)).toBe('Normal MoveScheduled: phase Active → MoveScheduled: SiteMove to-canary Scheduled');
    // A pass from a stale copy (a cache not yet updated, phase still Active): no second write, no second Event.
    const rv = await h.resourceVersion();
    await h.pass(beforeMove);
    expect(await h.resourceVersion()).toBe(rv);
    expect(h.events.filter((e) => e.startsWith('Normal MoveScheduled'))).toHaveLength(1);
    // The order is cancelled; the next pass starts from the same stale copy (status still Active,
    // as the write above has not reached the cache): the occupier must go back to Active, not
    // find "nothing changed" against the stale status.
    h.setOrders([]);
    await h.pass(beforeMove);
    expect(await h.status()).toMatchObject({ phase: 'Active' });
    expect((await h.status())?.activeOrder).toBeUndefined();
    h.setOrders([move(h, { phase: 'Scheduled', scheduledFor: STARTED })]);
    await h.pass();
    expect(await h.status()).toMatchObject({ phase: 'MoveScheduled' });

    // Running: nothing is provisioned; a spec change is refused (SpecFrozen).
    h.setOrders([move(h, { phase: 'Running', scheduledFor: STARTED, startedAt: STARTED })]);
    await h.setSpec(acme.withUser('ben@acme.example').build().spec);
    await h.pass();
    const moving = await h.status();
    expect(moving?.phase).toBe('Moving');
    expect(moving?.conditions?.find((c) => c.type === 'SpecFrozen')?.status).toBe('True');
    expect(h.count(SHO, 'wifi', 'account', 'ben@acme.example').creates).toBe(0);

    // Done (the move itself ended Shoreditch and began Canary Wharf, as the order engine does).
    await h.setSpec(acme.build().spec);
    h.setOrders([move(h, { phase: 'Succeeded', scheduledFor: STARTED, startedAt: STARTED, completedAt: '2027-02-01T18:05:00Z' })]);
    await h.pass();
    const st = await h.status();
    expect(st).toMatchObject({ phase: 'Active', currentSites: [CW], sitesSummary: CW });
    expect(st?.activeOrder).toBeUndefined();
    expect(st?.specDrift?.[0]).toBe('spec.sites[0].site: london-shoreditch → london-canary-wharf');
    expect(st?.conditions?.find((c) => c.type === 'SpecDrift')).toMatchObject({ status: 'True', reason: 'SpecDrift' });
    expect(st?.conditions?.find((c) => c.type === 'SpecFrozen')?.status).toBe('False');
    // Shoreditch: nothing removed by this controller, only the billing history listed.
    expect(h.count(SHO, 'network', 'allocation').removes).toBe(0);
    const sho = st?.sites?.find((s) => s.site === SHO);
    expect(sho?.contract).toEqual({ status: 'Completed', startDate: '2025-03-01', endDate: '2027-02-01' });
    expect(sho?.inventory?.every((i) => i.startsWith('billing/'))).toBe(true);
    expect(h.count(CW, 'network', 'allocation').creates).toBe(1);
    expect(h.events).toContain('Normal Active: phase Moving → Active: SiteMove to-canary Succeeded');
    expect(h.events.some((e) => e.startsWith('Warning SpecDrift: '))).toBe(true);

    await expectNoWrite(h);

    // Git catches up, as the drift said.
    await h.setSpec(occupier('acme').withSite(CW, { startDate: '2027-02-01' }).withOccupancy(CW, 'office-3911', '2027-02-01').withService(CW, 'internet-100', { accessLevel: 'Standard' }).withUser('ana@acme.example').build().spec);
    await h.pass();
    const synced = await h.status();
    expect(synced?.specDrift).toBeUndefined();
    expect(synced?.conditions?.find((c) => c.type === 'SpecDrift')).toMatchObject({ status: 'False', reason: 'InSync' });
    expect(h.events.at(-1)).toBe('Normal SpecInSync: spec agrees with every completed order again');
    for (const [cap, type, key] of [['network', 'allocation', h.id], ['billing', 'contract', h.id], ['wifi', 'account', 'ana@acme.example'], ['billing', 'service', `${h.id}/internet-100`]] as const) {
      expect(h.count(CW, cap, type, key).creates, `${cap}/${type}`).toBe(1);
    }
    expect(h.count(SHO, 'network', 'allocation').creates).toBe(1);
  });

  it('a Succeeded Decommission: Decommissioned from its record, no users left', async () => {
    const h = await harness(acme.build().spec);
    await h.pass();
    const done: DecommissionResource = {
      apiVersion: API_VERSION,
      kind: 'Decommission',
      metadata: meta(h, 'bye'),
      spec: decommissionSpec('acme'),
      status: {
        phase: 'Succeeded',
        startedAt: '2027-02-10T10:00:00Z',
        completedAt: '2027-02-10T11:00:00Z',
        plan: { items: [{ kind: 'Contract', name: SHO, site: SHO, action: 'Complete', ops: [{ op: 'ensure', capability: 'billing', type: 'contract', key: h.id, spec: { endDate: '2027-02-09' } }] }] },
      },
    };
    h.setOrders([done]);
    await h.pass();
    const st = await h.status();
    expect(st).toMatchObject({ phase: 'Decommissioned', users: { total: 0, ready: 0 }, history: { recordRef: `records/archive/${h.id}`, contracts: 1, archivedAt: '2027-02-10T11:00:00Z' } });
    expect(st?.sites?.[0]?.contract).toEqual({ status: 'Completed', startDate: '2025-03-01', endDate: '2027-02-09' });
    expect(h.events.at(-1)).toBe('Normal Decommissioned: phase Active → Decommissioned: Decommission bye Succeeded');
    h.setOrders([]);
    await expectNoWrite(h);
  });
});

describe('occupier reconciler: a customer move (seed 003)', () => {
  const acme = occupier('acme').customerOf('northwind-hosting').withSite(SHO, { startDate: '2025-03-01' }).withService(SHO, 'internet-100', { accessLevel: 'Premium' }).withUser('ana@acme.example');
  const cm = (h: Harness, status: OrderStatus): CustomerMoveResource => ({
    apiVersion: API_VERSION,
    kind: 'CustomerMove',
    metadata: meta(h, 'to-southbank'),
    spec: customerMoveSpec('acme', 'southbank-networks', { servicePlanMappings: [{ service: 'internet-100', accessLevel: 'Standard' }] }),
    status,
  });

  it('MoveScheduled, Moving, then Active with the new reseller and the mapped access level; SpecDrift names resellerRef until Git says so', async () => {
    const h = await harness(acme.build().spec);
    await h.pass();
    expect((await h.status())?.reseller).toBe('northwind-hosting');
    h.setOrders([cm(h, { phase: 'Scheduled', scheduledFor: STARTED })]);
    await h.pass();
    expect(await h.status()).toMatchObject({ phase: 'MoveScheduled', activeOrder: { kind: 'CustomerMove', name: 'to-southbank' }, reseller: 'northwind-hosting' });
    h.setOrders([cm(h, { phase: 'Running', startedAt: STARTED })]);
    await h.pass();
    expect((await h.status())?.phase).toBe('Moving');

    h.setOrders([cm(h, { phase: 'Succeeded', startedAt: STARTED, completedAt: '2027-02-01T18:01:00Z' })]);
    await h.pass();
    const st = await h.status();
    expect(st).toMatchObject({ phase: 'Active', reseller: 'southbank-networks', currentSites: [SHO] });
    expect(st?.specDrift).toEqual([
      'spec.sites[0].services[name=internet-100]: {"name":"internet-100","quantity":1,"accessLevel":"Premium"} → {"name":"internet-100","quantity":1,"accessLevel":"Standard"}',
      'spec.resellerRef.name: northwind-hosting → southbank-networks',
    ]);
    expect(st?.conditions?.find((c) => c.type === 'SpecDrift')?.message).toContain('spec.resellerRef.name: northwind-hosting → southbank-networks');
    // The Occupier controller provisions what the move made, not the old level.
    expect(st?.sites?.[0]?.services?.[0]).toMatchObject({ name: 'internet-100', accessLevel: 'Standard' });
    expect(h.count(SHO, 'network', 'allocation')).toMatchObject({ creates: 1, removes: 0 });

    // Git catches up: in sync, the reseller stays, nothing provisioned again.
    const writes = h.count(SHO, 'billing', 'service', `${h.id}/internet-100`);
    await h.setSpec(acme.customerOf('southbank-networks').withService(SHO, 'internet-100', { accessLevel: 'Standard' }).build().spec);
    await h.pass();
    const synced = await h.status();
    expect(synced?.specDrift).toBeUndefined();
    expect(synced?.reseller).toBe('southbank-networks');
    expect(h.count(SHO, 'billing', 'service', `${h.id}/internet-100`)).toEqual(writes);
    expect(h.events.at(-1)).toBe('Normal SpecInSync: spec agrees with every completed order again');
  });

  it('deleted (deletionPolicy Decommission) after the move: its customer directory record and its users\' entitlements go, so the emails are free again; billing keeps the reseller history', async () => {
    const h = await harness(acme.withUser('ben@acme.example').build().spec);
    const ID = h.id;
    await h.pass();
    h.setOrders([cm(h, { phase: 'Succeeded', startedAt: STARTED, completedAt: '2027-02-01T18:01:00Z' })]);
    await h.pass();
    // What the CustomerMove made (no inventory lists it), and a user of another occupier at the site.
    const at = siteContext(SHO, h.sites.get(SHO)?.spec ?? {});
    const ensure = (type: string, key: string, spec: Record<string, unknown>, occupierId = ID) =>
      h.backend.ensure(at, { capability: 'directory', type, key, spec: { occupier: occupierId, ...spec } }, `${occupierId}/${type}/${key}`);
    h.backend.ensure(at, { capability: 'billing', type: 'customer', key: ID, spec: { occupier: ID, reseller: `${h.ns}/southbank-networks` } }, 'cm-billing');
    ensure('customer', ID, { reseller: `${h.ns}/southbank-networks` });
    for (const email of ['ana@acme.example', 'ben@acme.example']) ensure('entitlements', email, { email, services: { 'internet-100': { accessLevel: 'Standard', properties: {} } } });
    ensure('entitlements', 'zed@other.example', { email: 'zed@other.example', services: {} }, `${h.ns}/other`);

    await h.markDeleted();
    // The copy a pass read before the teardown: for the teardown run again below.
    const stale = await h.get();
    await h.pass(stale);
    expect(await h.gone()).toBe(true);
    expect(h.events.at(-1)).toBe('Normal Deprovisioned: deprovisioned every site and archived the history before deletion (deletionPolicy Decommission)');
    expect(h.count(SHO, 'directory', 'customer')).toMatchObject({ creates: 1, removes: 1 });
    for (const email of ['ana@acme.example', 'ben@acme.example']) expect(h.count(SHO, 'directory', 'entitlements', email), email).toMatchObject({ creates: 1, removes: 1 });
    // Billing history stays (which reseller it was with), as the contract does; another occupier's user is left alone.
    expect(h.count(SHO, 'billing', 'customer')).toMatchObject({ creates: 1, removes: 0 });
    expect(h.backend.observe(at, { capability: 'billing', type: 'customer', key: ID }).details).toMatchObject({ reseller: `${h.ns}/southbank-networks` });
    expect(h.count(SHO, 'directory', 'entitlements', 'zed@other.example')).toMatchObject({ creates: 1, removes: 0 });
    expect(h.count(SHO, 'network', 'allocation')).toMatchObject({ creates: 1, removes: 1 });
    // The email is free: another occupier's user gets entitlements (no EmailInUse).
    expect(ensure('entitlements', 'ana@acme.example', { email: 'ana@acme.example', services: {} }, `${h.ns}/globex`).state).toBe('Done');

    // A teardown run again (the finalizer patch lost, say: a crash after the cleanup, before the
    // removal was seen) removes nothing twice. A real server cannot give the finalizer back to
    // an object being deleted, so the second run works on the stale copy; its finalizer removal
    // then fails against the API server (the object is gone).
    const again = await h.pass(stale).then(() => undefined, (err: unknown) => err);
    expect(httpStatus(again), String(again)).toBe(404);
    expect(h.count(SHO, 'directory', 'customer')).toMatchObject({ removes: 1 });
    expect(h.count(SHO, 'directory', 'entitlements', 'ana@acme.example')).toMatchObject({ creates: 2, removes: 1 });
  });

  it('deleted without any customer move: nothing of the kind to remove, the teardown completes', async () => {
    const h = await harness(acme.build().spec);
    await h.pass();
    await h.markDeleted();
    await h.pass();
    expect(await h.gone()).toBe(true);
    expect(h.count(SHO, 'directory', 'customer')).toEqual({ creates: 0, updates: 0, removes: 0 });
    expect(h.count(SHO, 'network', 'allocation')).toMatchObject({ creates: 1, removes: 1 });
  });

  it('status.customers of a reseller, from customersOf (itself left out); none for a customer; untouched when not wired', async () => {
    const reseller = occupier('acme').reseller().withSite(SHO, { startDate: '2025-03-01' }).build().spec;
    const h = await harness(reseller, (key, id) => (key === id ? ['zeta', 'acme', 'pixel-labs'] : []));
    await h.pass();
    const st = await h.status();
    expect(st?.customers).toEqual(['pixel-labs', 'zeta']);
    expect(st?.reseller).toBeUndefined();

    const customer = await harness(acme.build().spec, () => ['x']);
    await customer.pass();
    expect((await customer.status())?.customers).toBeUndefined();

    const unwired = await harness(reseller);
    await unwired.client.replaceStatus({ ...(await unwired.get()), status: { customers: ['kept'] } });
    await unwired.pass();
    expect((await unwired.status())?.customers).toEqual(['kept']);
  });

  it('while an order runs on the reseller, its customers are still kept up to date', async () => {
    let customers = ['a'];
    const reseller = occupier('acme').reseller().withSite(SHO, { startDate: '2025-03-01' }).build().spec;
    const h = await harness(reseller, () => customers);
    await h.pass();
    h.setOrders([move(h, { phase: 'Running', scheduledFor: STARTED, startedAt: STARTED })]);
    customers = ['a', 'b'];
    await h.pass();
    expect(await h.status()).toMatchObject({ phase: 'Moving', customers: ['a', 'b'] });
  });
});

describe('whose customer an occupier is (the index behind customersOf)', () => {
  const o = (name: string, status?: OccupierResource['status'], resellerRef?: string): OccupierResource => ({
    apiVersion: API_VERSION,
    kind: 'Occupier',
    metadata: { name, namespace: 'occupiers' },
    spec: { ...occupier(name).withSite(SHO, { startDate: '2025-01-01' }).build().spec, ...(resellerRef ? { resellerRef: { name: resellerRef } } : {}) },
    ...(status ? { status } : {}),
  });
  it.each<[string, OccupierResource, string[]]>([
    ['spec.resellerRef', o('a', undefined, 'northwind'), ['occupiers/northwind']],
    ['status.reseller (after a completed CustomerMove) wins', o('a', { reseller: 'southbank' }, 'northwind'), ['occupiers/southbank']],
    ['not a customer', o('a'), []],
    ['a decommissioned occupier is nobody\'s customer', o('a', { phase: 'Decommissioned', reseller: 'southbank' }), []],
  ])('%s', (_name, occ, want) => {
    expect(resellerKeysOf(occ)).toEqual(want);
  });

  it('re-counts both resellers when a customer moves, not on other changes', () => {
    expect(resellerChanged(o('a', undefined, 'northwind'), o('a', { reseller: 'southbank' }, 'northwind'))).toBe(true);
    expect(resellerChanged(o('a', { reseller: 'northwind' }, 'northwind'), o('a', undefined, 'northwind'))).toBe(false);
    expect(customerNames([o('b'), o('a'), o('b')])).toEqual(['a', 'b']);
  });
});
