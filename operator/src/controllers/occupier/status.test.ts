import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../api/index.ts';
import type { Condition, DecommissionResource, OccupierStatus } from '../../api/index.ts';
import { decommissionSpec, occupier, site } from '../../planner/fixtures.ts';
import { planProvisioning } from '../../planner/provision.ts';
import type { PlanItem } from '../../planner/types.ts';
import { buildStatus, decommissionedStatus } from './status.ts';

const SHO = 'london-shoreditch';
const LEEDS = 'leeds-wellington';
const CW = 'london-canary-wharf';
const ID = 'occupiers/acme';
const NOW = new Date('2027-03-10T12:00:00Z');
const DONE = '2027-03-10T11:00:00Z';

const cond = (type: string, status: 'True' | 'False', reason: string): Condition => ({ type, status, reason, message: reason, lastTransitionTime: '2027-01-01T00:00:00Z', observedGeneration: 3 });
const conditionsOf = (s: OccupierStatus): string[] => (s.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`);

/** An occupier provisioned at two sites, its decommission running. */
const running: OccupierStatus = {
  observedGeneration: 3,
  phase: 'DecommissionPending',
  activeOrder: { kind: 'Decommission', name: 'bye' },
  conditions: [cond('Ready', 'True', 'Provisioned'), cond('Degraded', 'True', 'MacInUse'), cond('SpecFrozen', 'True', 'OrderRunning')],
  currentSites: [SHO],
  sitesSummary: SHO,
  users: { total: 1, ready: 1 },
  specDrift: ['spec.resellerRef.name: a → b'],
  sites: [
    {
      site: SHO,
      contract: { status: 'Active', startDate: '2025-03-01', endDate: '2027-12-31' },
      network: { state: 'Ready', vlan: 120 },
      desiredHash: 'abc',
      inventory: [
        `billing/callCharges/${ID}`,
        `billing/contract/${ID}`,
        `billing/occupancy/${ID}/office-201/2025-03-01`,
        `billing/occupancy/${ID}/office-202/2027-04-01`,
        `billing/service/${ID}/internet-100`,
        `network/allocation/${ID}`,
        'telephony/number/+442070460101',
      ],
    },
    { site: LEEDS, contract: { status: 'Upcoming', startDate: '2027-06-01' }, inventory: [`billing/callCharges/${ID}`, `billing/contract/${ID}`] },
  ],
};

/** The Decommission's record: the plan items with the operations it ran (seed 001's table). */
const items: PlanItem[] = [
  { kind: 'Contract', name: SHO, site: SHO, action: 'Complete', step: 'contracts', ops: [{ op: 'ensure', capability: 'billing', type: 'contract', key: ID, spec: { occupier: ID, status: 'Completed', startDate: '2025-03-01', endDate: '2027-03-09' } }] },
  { kind: 'Occupancy', name: 'office-201', site: SHO, action: 'Complete', step: 'occupancies', ops: [{ op: 'ensure', capability: 'billing', type: 'occupancy', key: `${ID}/office-201/2025-03-01`, spec: { status: 'Completed', movedOut: '2027-03-09' } }] },
  { kind: 'Occupancy', name: 'office-202', site: SHO, action: 'Delete', step: 'occupancies', ops: [{ op: 'remove', capability: 'billing', type: 'occupancy', key: `${ID}/office-202/2027-04-01` }] },
  { kind: 'Service', name: 'internet-100', site: SHO, action: 'Deprovision', step: 'services', ops: [{ op: 'ensure', capability: 'billing', type: 'service', key: `${ID}/internet-100`, spec: { state: 'Inactive' } }] },
  { kind: 'Network', name: 'network', site: SHO, action: 'Deprovision', step: 'network', ops: [{ op: 'remove', capability: 'network', type: 'allocation', key: ID }] },
  { kind: 'Contract', name: LEEDS, site: LEEDS, action: 'Discard', step: 'contracts', ops: [{ op: 'remove', capability: 'billing', type: 'contract', key: ID }] },
];
const order: DecommissionResource = {
  apiVersion: API_VERSION,
  kind: 'Decommission',
  metadata: { name: 'bye', namespace: 'occupiers' },
  spec: decommissionSpec('acme'),
  status: { phase: 'Succeeded', startedAt: '2027-03-10T10:00:00Z', completedAt: DONE, plan: { items } },
};

describe('decommissionedStatus: what is left of a decommissioned occupier (seed 001)', () => {
  const after = decommissionedStatus({ prev: running, order, items, identity: ID, generation: 4, now: NOW });

  it('phase Decommissioned, no active order, no sites, no users (not "ready: 1")', () => {
    expect(after).toMatchObject({ observedGeneration: 4, phase: 'Decommissioned', currentSites: [], sitesSummary: '', users: { total: 0, ready: 0 } });
    expect(after.activeOrder).toBeUndefined();
    expect(after.specDrift).toBeUndefined();
  });

  it('Ready and Immutable True (reason Decommissioned), nothing provisioning or degraded, no SpecFrozen', () => {
    expect(conditionsOf(after)).toEqual(['Ready=True/Decommissioned', 'Degraded=False/Decommissioned', 'Immutable=True/Decommissioned', 'Provisioning=False/Decommissioned']);
  });

  it('history: archived when the order completed, counts from its plan', () => {
    expect(after.history).toEqual({ archivedAt: DONE, recordRef: `records/archive/${ID}`, contracts: 1, occupancies: 1, services: 1 });
  });

  it('per site only the history: billing items it kept, the contract Completed with the end date the order recorded', () => {
    expect(after.sites).toEqual([
      {
        site: SHO,
        contract: { status: 'Completed', startDate: '2025-03-01', endDate: '2027-03-09' },
        inventory: [`billing/callCharges/${ID}`, `billing/contract/${ID}`, `billing/occupancy/${ID}/office-201/2025-03-01`, `billing/service/${ID}/internet-100`],
      },
      // The upcoming contract was discarded: no contract, no contract record.
      { site: LEEDS, inventory: [`billing/callCharges/${ID}`] },
    ]);
  });

  it('is idempotent (no second write), and keeps the record once the order is deleted', () => {
    expect(decommissionedStatus({ prev: after, order, items, identity: ID, generation: 4, now: new Date('2027-03-11T00:00:00Z') })).toEqual(after);
    expect(decommissionedStatus({ prev: after, order: undefined, items: [], identity: ID, generation: 5, now: NOW })).toEqual({
      ...after,
      observedGeneration: 5,
      conditions: after.conditions?.map((c) => ({ ...c, observedGeneration: 5 })),
    });
  });
});

describe('buildStatus: what the orders did', () => {
  const sites = new Map([[CW, site(CW).build().spec]]);
  const spec = occupier('acme').withSite(CW, { startDate: '2027-02-01' }).build().spec;
  const plan = planProvisioning({ identity: ID, spec, sites, now: NOW });
  const moving: OccupierStatus = { ...running, phase: 'Moving', activeOrder: { kind: 'SiteMove', name: 'to-canary' }, reseller: 'northwind-hosting' };
  const drift = ['spec.sites[0].site: london-shoreditch → london-canary-wharf'];
  const built = buildStatus({
    prev: moving,
    generation: 3,
    plan,
    outcomes: [],
    phase: 'Active',
    now: NOW,
    drift,
    reseller: 'southbank-networks',
    left: [{ site: SHO, contract: { startDate: '2025-03-01', endDate: '2027-02-01' } }],
  }).status;

  it('the phase and active order as derived (an absent active order is removed)', () => {
    expect(built.phase).toBe('Active');
    expect(built.activeOrder).toBeUndefined();
    expect(built.currentSites).toEqual([CW]);
    expect(built.reseller).toBe('southbank-networks');
  });

  it('a site a move left keeps only its billing history and the contract as the move ended it', () => {
    expect(built.sites?.find((s) => s.site === SHO)).toEqual({
      site: SHO,
      contract: { status: 'Completed', startDate: '2025-03-01', endDate: '2027-02-01' },
      inventory: [`billing/callCharges/${ID}`, `billing/contract/${ID}`, `billing/occupancy/${ID}/office-201/2025-03-01`, `billing/occupancy/${ID}/office-202/2027-04-01`, `billing/service/${ID}/internet-100`],
    });
  });

  it('SpecDrift True naming the fields, status.specDrift the list; SpecFrozen cleared', () => {
    expect(built.specDrift).toEqual(drift);
    const c = built.conditions?.find((x) => x.type === 'SpecDrift');
    expect(c).toMatchObject({ status: 'True', reason: 'SpecDrift' });
    expect(c?.message).toContain('spec.sites[0].site: london-shoreditch → london-canary-wharf');
    expect(conditionsOf(built)).toContain('SpecFrozen=False/OrderEnded');
  });

  it('Git caught up: SpecDrift False, no status.specDrift', () => {
    const synced = buildStatus({ prev: built, generation: 4, plan, outcomes: [], phase: 'Active', now: NOW, drift: [] }).status;
    expect(synced.specDrift).toBeUndefined();
    expect(conditionsOf(synced)).toContain('SpecDrift=False/InSync');
    expect(synced.reseller).toBe('southbank-networks');
  });
});
