import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../api/index.ts';
import type { CustomerMoveResource, DecommissionResource, OccupierPhase, OccupierStatus, OrderStatus, SiteMoveResource } from '../../api/index.ts';
import { customerMoveSpec, decommissionSpec, occupier, site, siteMoveSpec } from '../../planner/fixtures.ts';
import { activeOrderFor, driftEvent, effectiveOf, ORDER_OWNED, phaseEvent, viewOrders } from './orders.ts';
import type { AnyOrder } from './orders.ts';

const SHO = 'london-shoreditch';
const CW = 'london-canary-wharf';
const CREATED = '2027-01-10T09:00:00Z';
const STARTED = '2027-02-01T18:00:00Z';
const DONE = '2027-02-01T18:05:00Z';

const meta = (name: string, created = CREATED) => ({ name, namespace: 'occupiers', creationTimestamp: new Date(created) });
const siteMove = (name: string, status: OrderStatus, created?: string): SiteMoveResource => ({
  apiVersion: API_VERSION,
  kind: 'SiteMove',
  metadata: meta(name, created),
  spec: siteMoveSpec('acme', SHO, CW, { spaces: ['office-3911'] }),
  status,
});
const customerMove = (name: string, status: OrderStatus): CustomerMoveResource => ({ apiVersion: API_VERSION, kind: 'CustomerMove', metadata: meta(name), spec: customerMoveSpec('acme', 'southbank-networks'), status });
const decommission = (name: string, status: OrderStatus, created?: string): DecommissionResource => ({ apiVersion: API_VERSION, kind: 'Decommission', metadata: meta(name, created), spec: decommissionSpec('acme'), status });

const scheduled: OrderStatus = { phase: 'Scheduled', scheduledFor: STARTED };
const running: OrderStatus = { phase: 'Running', scheduledFor: STARTED, startedAt: STARTED };
const succeeded: OrderStatus = { phase: 'Succeeded', scheduledFor: STARTED, startedAt: STARTED, completedAt: DONE };
const failed: OrderStatus = { phase: 'Failed', startedAt: STARTED, completedAt: DONE };

describe('phase and active order, derived from the orders (the occupier controller is their one writer)', () => {
  it.each<[string, AnyOrder[], OccupierStatus | undefined, boolean, OccupierPhase, string | undefined, boolean]>([
    ['no orders, provisioned', [], undefined, true, 'Active', undefined, false],
    ['no orders, no active contract yet', [], undefined, false, 'Pending', undefined, false],
    ['a SiteMove scheduled: provisioning goes on', [siteMove('to-canary', scheduled)], { phase: 'Active' }, true, 'MoveScheduled', 'SiteMove/to-canary', false],
    ['a SiteMove running: nothing is provisioned', [siteMove('to-canary', running)], { phase: 'MoveScheduled' }, true, 'Moving', 'SiteMove/to-canary', true],
    ['a SiteMove done: back to Active, no active order', [siteMove('to-canary', succeeded)], { phase: 'Moving' }, true, 'Active', undefined, false],
    ['a CustomerMove running', [customerMove('to-southbank', running)], { phase: 'Active' }, true, 'Moving', 'CustomerMove/to-southbank', true],
    ['a Decommission scheduled', [decommission('bye', scheduled)], { phase: 'Active' }, true, 'DecommissionScheduled', 'Decommission/bye', false],
    ['a Decommission running', [decommission('bye', running)], { phase: 'DecommissionScheduled' }, true, 'DecommissionPending', 'Decommission/bye', true],
    ['a Decommission failed after starting', [decommission('bye', failed)], { phase: 'DecommissionPending' }, true, 'DecommissionFailed', 'Decommission/bye', true],
    ['a Decommission succeeded', [decommission('bye', succeeded)], { phase: 'DecommissionPending' }, true, 'Decommissioned', undefined, false],
    ['decommissioned, the order since deleted (sticky)', [], { phase: 'Decommissioned' }, true, 'Decommissioned', undefined, false],
    ['the old status says Moving, the orders say nothing runs', [], { phase: 'Moving', activeOrder: { kind: 'SiteMove', name: 'gone' } }, true, 'Active', undefined, false],
  ])('%s → %s', (_name, orders, status, provisioned, phase, active, owned) => {
    const view = viewOrders(orders, status);
    const got = view.phase(provisioned);
    expect(got).toBe(phase);
    const a = activeOrderFor(view, got);
    expect(a ? `${a.kind}/${a.name}` : undefined).toBe(active);
    expect(ORDER_OWNED.has(got)).toBe(owned);
    expect(view.decommissioned).toBe(phase === 'Decommissioned');
  });

  it('the latest Succeeded Decommission is the one whose record counts', () => {
    const older = decommission('first', { ...succeeded, completedAt: '2027-01-01T00:00:00Z' });
    const newer = decommission('second', succeeded);
    expect(viewOrders([older, newer, siteMove('m', scheduled)], undefined).decommission?.metadata.name).toBe('second');
  });
});

describe('phaseEvent: every phase change is an Event naming the order', () => {
  it.each<[string, OccupierPhase | undefined, OccupierPhase, AnyOrder[], { type: string; reason: string; message: string } | undefined]>([
    ['unchanged: no Event', 'Active', 'Active', [], undefined],
    ['scheduled', 'Active', 'MoveScheduled', [siteMove('to-canary', scheduled)], { type: 'Normal', reason: 'MoveScheduled', message: 'phase Active → MoveScheduled: SiteMove to-canary Scheduled' }],
    ['running', 'MoveScheduled', 'Moving', [siteMove('to-canary', running)], { type: 'Normal', reason: 'Moving', message: 'phase MoveScheduled → Moving: SiteMove to-canary Running' }],
    ['done: names the order that ended', 'Moving', 'Active', [siteMove('to-canary', succeeded)], { type: 'Normal', reason: 'Active', message: 'phase Moving → Active: SiteMove to-canary Succeeded' }],
    ['decommission failed: a Warning', 'DecommissionPending', 'DecommissionFailed', [decommission('bye', failed)], { type: 'Warning', reason: 'DecommissionFailed', message: 'phase DecommissionPending → DecommissionFailed: Decommission bye Failed' }],
    ['decommissioned', 'DecommissionPending', 'Decommissioned', [decommission('bye', succeeded)], { type: 'Normal', reason: 'Decommissioned', message: 'phase DecommissionPending → Decommissioned: Decommission bye Succeeded' }],
    ['a contract starts, an old move long done: no order named', 'Pending', 'Active', [siteMove('to-canary', succeeded)], { type: 'Normal', reason: 'Active', message: 'phase Pending → Active' }],
    ['a new occupier', undefined, 'Pending', [], { type: 'Normal', reason: 'Pending', message: 'phase (none) → Pending' }],
  ])('%s', (_name, prev, next, orders, want) => {
    const view = viewOrders(orders, prev ? { phase: prev } : undefined);
    expect(phaseEvent(prev, next, activeOrderFor(view, next), orders)).toEqual(want);
  });
});

describe('driftEvent', () => {
  it.each<[string, string[] | undefined, string[], string | undefined]>([
    ['none before, none now', undefined, [], undefined],
    ['drift appears: a Warning', undefined, ['spec.sites[0].site: a → b'], 'Warning SpecDrift'],
    ['the same drift again: no Event', ['spec.sites[0].site: a → b'], ['spec.sites[0].site: a → b'], undefined],
    ['part of it fixed: a Warning with what is left', ['spec.sites[0].site: a → b', 'x'], ['x'], 'Warning SpecDrift'],
    ['Git caught up', ['spec.sites[0].site: a → b'], [], 'Normal SpecInSync'],
  ])('%s', (_name, prev, next, want) => {
    const e = driftEvent(prev, next);
    expect(e ? `${e.type} ${e.reason}` : undefined).toBe(want);
  });
});

describe('effectiveOf: what to provision after completed orders', () => {
  const sites = new Map([
    [SHO, site(SHO).withService('internet-100', { Standard: {} }).build()],
    [CW, site(CW).withService('internet-100', { Standard: {} }).withSpace('office-3911').build()],
  ]);
  const acme = occupier('acme').withSite(SHO, { startDate: '2025-03-01' }).withService(SHO, 'internet-100', { accessLevel: 'Standard' }).withUser('ana@acme.example');

  it('a completed SiteMove: the destination, the left site with its ended contract, the drift', () => {
    const eff = effectiveOf(acme.build().spec, [siteMove('to-canary', succeeded), customerMove('to-southbank', succeeded)], (n) => sites.get(n));
    expect(eff.spec.sites.map((s) => `${s.site} from ${s.contract.startDate}`)).toEqual([`${CW} from 2027-02-01`]);
    expect(eff.spec.users?.[0]?.sites).toEqual([CW]);
    expect(eff.left).toEqual([{ site: SHO, contract: { startDate: '2025-03-01', endDate: '2027-02-01' } }]);
    expect(eff.reseller).toBe('southbank-networks');
    expect(eff.drift).toEqual([
      'spec.sites[0].site: london-shoreditch → london-canary-wharf',
      'spec.sites[0].contract.startDate: 2025-03-01 → 2027-02-01',
      'spec.sites[0].occupancies[space=office-3911,movedIn=2027-02-01]: (none) → {"space":"office-3911","movedIn":"2027-02-01"}',
      'spec.users[email=ana@acme.example].sites: london-shoreditch → london-canary-wharf',
      'spec.resellerRef.name: (none) → southbank-networks',
    ]);
  });

  it('orders not completed change nothing', () => {
    const spec = acme.build().spec;
    const eff = effectiveOf(spec, [siteMove('to-canary', running), decommission('bye', scheduled)], (n) => sites.get(n));
    expect(eff).toEqual({ spec, left: [], drift: [], reseller: undefined });
  });
});
