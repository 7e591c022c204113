/**
 * The Occupier reconciler against the simulated drivers and an in-memory status client:
 * the one writer of `Occupier.status` through a site move (scheduled, running, done, Git
 * catching up) and a decommission.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedBackend, SimulatedDriver } from '../../../../drivers/src/index.ts';
import { siteContext } from '../../../../drivers/src/contract.ts';
import { API_VERSION } from '../../api/index.ts';
import type { CustomerMoveResource, DecommissionResource, OccupierResource, OccupierSpec, OrderStatus, SiteMoveResource, SiteResource } from '../../api/index.ts';
import { customerMoveSpec, decommissionSpec, occupier, site, siteMoveSpec } from '../../planner/fixtures.ts';
import { FakeClock } from '../../runtime/index.ts';
import type { EventRecorder, ReconcileContext, ResourceClient } from '../../runtime/index.ts';
import { OCCUPIER_FINALIZER, occupierReconciler } from './controller.ts';
import { customerNames, resellerChanged, resellerKeysOf } from './customers.ts';
import type { AnyOrder } from './orders.ts';

const SHO = 'london-shoreditch';
const CW = 'london-canary-wharf';
const ID = 'occupiers/acme';
const NOW = Date.parse('2027-02-10T12:00:00Z');
const STARTED = '2027-02-01T18:00:00Z';

/** Status writes only: what the reconciler does with an Occupier whose finalizer is set. */
class StatusClient {
  obj: OccupierResource;
  writes = 0;
  constructor(obj: OccupierResource) {
    this.obj = obj;
  }
  async get(): Promise<OccupierResource> {
    return structuredClone(this.obj);
  }
  async replaceStatus(o: OccupierResource): Promise<OccupierResource> {
    this.writes++;
    this.obj = { ...this.obj, status: structuredClone(o.status ?? {}) };
    return structuredClone(this.obj);
  }
  /** The finalizer's guarded patch: only its removal is needed here. */
  async jsonPatch(_ns: string | undefined, _name: string, ops: { op: string; path: string }[]): Promise<OccupierResource> {
    for (const op of ops) if (op.op === 'remove' && op.path.startsWith('/metadata/finalizers/')) this.obj.metadata.finalizers = (this.obj.metadata.finalizers ?? []).filter((_f, i) => `/metadata/finalizers/${i}` !== op.path);
    return structuredClone(this.obj);
  }
}

function harness(spec: OccupierSpec, customersOf?: (resellerKey: string) => string[]) {
  const sites = new Map<string, SiteResource>([
    [SHO, site(SHO).withService('internet-100', { Standard: {}, Premium: { staticIp: 'true' } }).build()],
    [CW, site(CW).withService('internet-100', { Standard: {} }).withSpace('office-3911').build()],
  ]);
  const backend = new SimulatedBackend({ clock: { now: () => NOW } });
  const driver = new SimulatedDriver({ backend });
  const client = new StatusClient({ apiVersion: API_VERSION, kind: 'Occupier', metadata: { name: 'acme', namespace: 'occupiers', uid: 'u-1', generation: 1, finalizers: [OCCUPIER_FINALIZER] }, spec });
  const events: string[] = [];
  let orders: AnyOrder[] = [];
  const reconcile = occupierReconciler({
    client: client as unknown as ResourceClient<OccupierResource>,
    sites: { get: (n) => sites.get(n) },
    drivers: { resolve: async () => ({ driver, timeoutMs: 5_000 }) },
    events: {
      normal: async (_o: unknown, reason: string, message: string) => void events.push(`Normal ${reason}: ${message}`),
      warning: async (_o: unknown, reason: string, message: string) => void events.push(`Warning ${reason}: ${message}`),
    } as unknown as EventRecorder,
    clock: new FakeClock(NOW),
    orders: (key) => (key === ID ? orders : []),
    ...(customersOf ? { customersOf } : {}),
  });
  const ctx = { signal: new AbortController().signal } as ReconcileContext;
  return {
    client,
    backend,
    driver,
    sites,
    events,
    setOrders: (o: AnyOrder[]) => void (orders = o),
    setSpec: (s: OccupierSpec) => void (client.obj = { ...client.obj, spec: s, metadata: { ...client.obj.metadata, generation: (client.obj.metadata.generation ?? 0) + 1 } }),
    pass: async () => reconcile(structuredClone(client.obj), ctx),
    /** `kubectl delete occupier acme`: the API server sets deletionTimestamp, the finalizer holds it. */
    markDeleted: () => void (client.obj = { ...client.obj, metadata: { ...client.obj.metadata, deletionTimestamp: new Date(NOW) } }),
    count: (s: string, capability: Parameters<SimulatedBackend['counts']>[0]['capability'], type: string, key = ID) => backend.counts({ site: s, capability, type, key }),
  };
}

const meta = (name: string) => ({ name, namespace: 'occupiers', creationTimestamp: new Date('2027-01-10T09:00:00Z') });
const move = (status: OrderStatus): SiteMoveResource => ({ apiVersion: API_VERSION, kind: 'SiteMove', metadata: meta('to-canary'), spec: siteMoveSpec('acme', SHO, CW, { spaces: ['office-3911'] }), status });

describe('occupier reconciler: one writer of Occupier.status, through a site move', () => {
  const acme = occupier('acme').withSite(SHO, { startDate: '2025-03-01' }).withService(SHO, 'internet-100', { accessLevel: 'Standard' }).withUser('ana@acme.example');

  it('moves with the order, never provisions twice, names the drift until Git catches up', async () => {
    const h = harness(acme.build().spec);
    await h.pass();
    expect(h.client.obj.status).toMatchObject({ phase: 'Active', currentSites: [SHO], users: { total: 1, ready: 1 } });
    const writes = h.client.writes;
    await h.pass();
    expect(h.client.writes).toBe(writes); // nothing changed: no write

    h.setOrders([move({ phase: 'Scheduled', scheduledFor: STARTED })]);
    await h.pass();
    expect(h.client.obj.status).toMatchObject({ phase: 'MoveScheduled', activeOrder: { kind: 'SiteMove', name: 'to-canary' } });
    expect(h.events.at(-1)).toBe('Normal MoveScheduled: phase Active → MoveScheduled: SiteMove to-canary Scheduled');

    // Running: nothing is provisioned; a spec change is refused (SpecFrozen).
    h.setOrders([move({ phase: 'Running', scheduledFor: STARTED, startedAt: STARTED })]);
    h.setSpec(acme.withUser('ben@acme.example').build().spec);
    await h.pass();
    expect(h.client.obj.status?.phase).toBe('Moving');
    expect(h.client.obj.status?.conditions?.find((c) => c.type === 'SpecFrozen')?.status).toBe('True');
    expect(h.count(SHO, 'wifi', 'account', 'ben@acme.example').creates).toBe(0);

    // Done (the move itself ended Shoreditch and began Canary Wharf, as the order engine does).
    h.setSpec(acme.build().spec);
    h.setOrders([move({ phase: 'Succeeded', scheduledFor: STARTED, startedAt: STARTED, completedAt: '2027-02-01T18:05:00Z' })]);
    await h.pass();
    const st = h.client.obj.status;
    expect(st).toMatchObject({ phase: 'Active', currentSites: [CW], sitesSummary: CW });
    expect(st?.activeOrder).toBeUndefined();
    expect(st?.specDrift?.[0]).toBe('spec.sites[0].site: london-shoreditch → london-canary-wharf');
    expect(st?.conditions?.find((c) => c.type === 'SpecDrift')).toMatchObject({ status: 'True', reason: 'SpecDrift' });
    expect(st?.conditions?.find((c) => c.type === 'SpecFrozen')?.status).toBe('False');
    // Shoreditch: nothing removed by this controller, only the billing history listed.
    expect(h.count(SHO, 'network', 'allocation').removes).toBe(0);
    const sho = st?.sites?.find((s) => s.site === SHO);
    expect(sho?.contract).toEqual({ status: 'Completed', startDate: '2025-03-01', endDate: '2027-02-01' });
    expect(sho?.inventory?.every((id) => id.startsWith('billing/'))).toBe(true);
    expect(h.count(CW, 'network', 'allocation').creates).toBe(1);
    expect(h.events).toContain('Normal Active: phase Moving → Active: SiteMove to-canary Succeeded');
    expect(h.events.some((e) => e.startsWith('Warning SpecDrift: '))).toBe(true);

    const afterMove = h.client.writes;
    await h.pass();
    expect(h.client.writes).toBe(afterMove);

    // Git catches up, as the drift said.
    h.setSpec(occupier('acme').withSite(CW, { startDate: '2027-02-01' }).withOccupancy(CW, 'office-3911', '2027-02-01').withService(CW, 'internet-100', { accessLevel: 'Standard' }).withUser('ana@acme.example').build().spec);
    await h.pass();
    expect(h.client.obj.status?.specDrift).toBeUndefined();
    expect(h.client.obj.status?.conditions?.find((c) => c.type === 'SpecDrift')).toMatchObject({ status: 'False', reason: 'InSync' });
    expect(h.events.at(-1)).toBe('Normal SpecInSync: spec agrees with every completed order again');
    for (const [cap, type, key] of [['network', 'allocation', ID], ['billing', 'contract', ID], ['wifi', 'account', 'ana@acme.example'], ['billing', 'service', `${ID}/internet-100`]] as const) {
      expect(h.count(CW, cap, type, key).creates, `${cap}/${type}`).toBe(1);
    }
    expect(h.count(SHO, 'network', 'allocation').creates).toBe(1);
  });

  it('a Succeeded Decommission: Decommissioned from its record, no users left', async () => {
    const h = harness(acme.build().spec);
    await h.pass();
    const done: DecommissionResource = {
      apiVersion: API_VERSION,
      kind: 'Decommission',
      metadata: meta('bye'),
      spec: decommissionSpec('acme'),
      status: {
        phase: 'Succeeded',
        startedAt: '2027-02-10T10:00:00Z',
        completedAt: '2027-02-10T11:00:00Z',
        plan: { items: [{ kind: 'Contract', name: SHO, site: SHO, action: 'Complete', ops: [{ op: 'ensure', capability: 'billing', type: 'contract', key: ID, spec: { endDate: '2027-02-09' } }] }] },
      },
    };
    h.setOrders([done]);
    await h.pass();
    expect(h.client.obj.status).toMatchObject({ phase: 'Decommissioned', users: { total: 0, ready: 0 }, history: { recordRef: `records/archive/${ID}`, contracts: 1, archivedAt: '2027-02-10T11:00:00Z' } });
    expect(h.client.obj.status?.sites?.[0]?.contract).toEqual({ status: 'Completed', startDate: '2025-03-01', endDate: '2027-02-09' });
    expect(h.events.at(-1)).toBe('Normal Decommissioned: phase Active → Decommissioned: Decommission bye Succeeded');
    const writes = h.client.writes;
    h.setOrders([]);
    await h.pass();
    expect(h.client.writes).toBe(writes);
  });
});

describe('occupier reconciler: a customer move (seed 003)', () => {
  const acme = occupier('acme').customerOf('northwind-hosting').withSite(SHO, { startDate: '2025-03-01' }).withService(SHO, 'internet-100', { accessLevel: 'Premium' }).withUser('ana@acme.example');
  const cm = (status: OrderStatus): CustomerMoveResource => ({
    apiVersion: API_VERSION,
    kind: 'CustomerMove',
    metadata: meta('to-southbank'),
    spec: customerMoveSpec('acme', 'southbank-networks', { servicePlanMappings: [{ service: 'internet-100', accessLevel: 'Standard' }] }),
    status,
  });

  it('MoveScheduled, Moving, then Active with the new reseller and the mapped access level; SpecDrift names resellerRef until Git says so', async () => {
    const h = harness(acme.build().spec);
    await h.pass();
    expect(h.client.obj.status?.reseller).toBe('northwind-hosting');
    h.setOrders([cm({ phase: 'Scheduled', scheduledFor: STARTED })]);
    await h.pass();
    expect(h.client.obj.status).toMatchObject({ phase: 'MoveScheduled', activeOrder: { kind: 'CustomerMove', name: 'to-southbank' }, reseller: 'northwind-hosting' });
    h.setOrders([cm({ phase: 'Running', startedAt: STARTED })]);
    await h.pass();
    expect(h.client.obj.status?.phase).toBe('Moving');

    h.setOrders([cm({ phase: 'Succeeded', startedAt: STARTED, completedAt: '2027-02-01T18:01:00Z' })]);
    await h.pass();
    const st = h.client.obj.status;
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
    const writes = h.count(SHO, 'billing', 'service', `${ID}/internet-100`);
    h.setSpec(acme.customerOf('southbank-networks').withService(SHO, 'internet-100', { accessLevel: 'Standard' }).build().spec);
    await h.pass();
    expect(h.client.obj.status?.specDrift).toBeUndefined();
    expect(h.client.obj.status?.reseller).toBe('southbank-networks');
    expect(h.count(SHO, 'billing', 'service', `${ID}/internet-100`)).toEqual(writes);
    expect(h.events.at(-1)).toBe('Normal SpecInSync: spec agrees with every completed order again');
  });

  it('deleted (deletionPolicy Decommission) after the move: its customer directory record and its users\' entitlements go, so the emails are free again; billing keeps the reseller history', async () => {
    const h = harness(acme.withUser('ben@acme.example').build().spec);
    await h.pass();
    h.setOrders([cm({ phase: 'Succeeded', startedAt: STARTED, completedAt: '2027-02-01T18:01:00Z' })]);
    await h.pass();
    // What the CustomerMove made (no inventory lists it), and a user of another occupier at the site.
    const at = siteContext(SHO, h.sites.get(SHO)?.spec ?? {});
    const ensure = (type: string, key: string, spec: Record<string, unknown>, occupierId = ID) =>
      h.backend.ensure(at, { capability: 'directory', type, key, spec: { occupier: occupierId, ...spec } }, `${occupierId}/${type}/${key}`);
    h.backend.ensure(at, { capability: 'billing', type: 'customer', key: ID, spec: { occupier: ID, reseller: 'occupiers/southbank-networks' } }, 'cm-billing');
    ensure('customer', ID, { reseller: 'occupiers/southbank-networks' });
    for (const email of ['ana@acme.example', 'ben@acme.example']) ensure('entitlements', email, { email, services: { 'internet-100': { accessLevel: 'Standard', properties: {} } } });
    ensure('entitlements', 'zed@other.example', { email: 'zed@other.example', services: {} }, 'occupiers/other');

    h.markDeleted();
    await h.pass();
    expect(h.client.obj.metadata.finalizers).toEqual([]);
    expect(h.events.at(-1)).toBe('Normal Deprovisioned: deprovisioned every site and archived the history before deletion (deletionPolicy Decommission)');
    expect(h.count(SHO, 'directory', 'customer')).toMatchObject({ creates: 1, removes: 1 });
    for (const email of ['ana@acme.example', 'ben@acme.example']) expect(h.count(SHO, 'directory', 'entitlements', email), email).toMatchObject({ creates: 1, removes: 1 });
    // Billing history stays (which reseller it was with), as the contract does; another occupier's user is left alone.
    expect(h.count(SHO, 'billing', 'customer')).toMatchObject({ creates: 1, removes: 0 });
    expect(h.backend.observe(at, { capability: 'billing', type: 'customer', key: ID }).details).toMatchObject({ reseller: 'occupiers/southbank-networks' });
    expect(h.count(SHO, 'directory', 'entitlements', 'zed@other.example')).toMatchObject({ creates: 1, removes: 0 });
    expect(h.count(SHO, 'network', 'allocation')).toMatchObject({ creates: 1, removes: 1 });
    // The email is free: another occupier's user gets entitlements (no EmailInUse).
    expect(ensure('entitlements', 'ana@acme.example', { email: 'ana@acme.example', services: {} }, 'occupiers/globex').state).toBe('Done');

    // A teardown run again (the finalizer patch lost, say) removes nothing twice.
    h.client.obj.metadata.finalizers = [OCCUPIER_FINALIZER];
    await h.pass();
    expect(h.count(SHO, 'directory', 'customer')).toMatchObject({ removes: 1 });
    expect(h.count(SHO, 'directory', 'entitlements', 'ana@acme.example')).toMatchObject({ creates: 2, removes: 1 });
  });

  it('deleted without any customer move: nothing of the kind to remove, the teardown completes', async () => {
    const h = harness(acme.build().spec);
    await h.pass();
    h.markDeleted();
    await h.pass();
    expect(h.client.obj.metadata.finalizers).toEqual([]);
    expect(h.count(SHO, 'directory', 'customer')).toEqual({ creates: 0, updates: 0, removes: 0 });
    expect(h.count(SHO, 'network', 'allocation')).toMatchObject({ creates: 1, removes: 1 });
  });

  it('status.customers of a reseller, from customersOf (itself left out); none for a customer; untouched when not wired', async () => {
    const reseller = occupier('acme').reseller().withSite(SHO, { startDate: '2025-03-01' }).build().spec;
    const h = harness(reseller, (key) => (key === ID ? ['zeta', 'acme', 'pixel-labs'] : []));
    await h.pass();
    expect(h.client.obj.status?.customers).toEqual(['pixel-labs', 'zeta']);
    expect(h.client.obj.status?.reseller).toBeUndefined();

    const customer = harness(acme.build().spec, () => ['x']);
    await customer.pass();
    expect(customer.client.obj.status?.customers).toBeUndefined();

    const unwired = harness(reseller);
    unwired.client.obj = { ...unwired.client.obj, status: { customers: ['kept'] } };
    await unwired.pass();
    expect(unwired.client.obj.status?.customers).toEqual(['kept']);
  });

  it('while an order runs on the reseller, its customers are still kept up to date', async () => {
    let customers = ['a'];
    const reseller = occupier('acme').reseller().withSite(SHO, { startDate: '2025-03-01' }).build().spec;
    const h = harness(reseller, () => customers);
    await h.pass();
    h.setOrders([move({ phase: 'Running', scheduledFor: STARTED, startedAt: STARTED })]);
    customers = ['a', 'b'];
    await h.pass();
    expect(h.client.obj.status).toMatchObject({ phase: 'Moving', customers: ['a', 'b'] });
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
