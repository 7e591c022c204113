/**
 * The Occupier reconciler against the simulated drivers and an in-memory status client:
 * the one writer of `Occupier.status` through a site move (scheduled, running, done, Git
 * catching up) and a decommission.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedBackend, SimulatedDriver } from '../../../../drivers/src/index.ts';
import { API_VERSION } from '../../api/index.ts';
import type { DecommissionResource, OccupierResource, OccupierSpec, OrderStatus, SiteMoveResource, SiteResource } from '../../api/index.ts';
import { decommissionSpec, occupier, site, siteMoveSpec } from '../../planner/fixtures.ts';
import { FakeClock } from '../../runtime/index.ts';
import type { EventRecorder, ReconcileContext, ResourceClient } from '../../runtime/index.ts';
import { OCCUPIER_FINALIZER, occupierReconciler } from './controller.ts';
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
}

function harness(spec: OccupierSpec) {
  const sites = new Map<string, SiteResource>([
    [SHO, site(SHO).withService('internet-100', { Standard: {} }).build()],
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
  });
  const ctx = { signal: new AbortController().signal } as ReconcileContext;
  return {
    client,
    backend,
    events,
    setOrders: (o: AnyOrder[]) => void (orders = o),
    setSpec: (s: OccupierSpec) => void (client.obj = { ...client.obj, spec: s, metadata: { ...client.obj.metadata, generation: (client.obj.metadata.generation ?? 0) + 1 } }),
    pass: async () => reconcile(structuredClone(client.obj), ctx),
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
