import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../api/index.ts';
import type { CustomerMoveResource, DecommissionResource, OccupierPhase, OrderPhase, SiteMoveResource } from '../api/index.ts';
import { activeOrder, effectsOf, occupierPhase } from './index.ts';
import type { OrderKind, OrderSummary } from './index.ts';
import { customerMoveSpec, decommissionSpec, order, siteMoveSpec } from './fixtures.ts';

const o = (kind: OrderKind, phase: OrderPhase, started = false): OrderSummary =>
  order(kind, `${kind.toLowerCase()}-1`, 'acme', started ? { phase, startedAt: '2026-06-01T00:00:00Z' } : { phase });

describe('occupierPhase (SPEC §1 lifecycle phases; seed 001 decommission statuses; seed 002 "Active - move scheduled")', () => {
  it.each<[string, OrderSummary[], boolean, OccupierPhase]>([
    ['no orders', [], false, 'Active'],
    ['a decommission scheduled ("Decommission scheduled": still in use)', [o('Decommission', 'Scheduled')], false, 'DecommissionScheduled'],
    ['a decommission awaiting approval', [o('Decommission', 'AwaitingApproval')], false, 'DecommissionScheduled'],
    ['a decommission blocked by a prerequisite (nothing touched yet)', [o('Decommission', 'Blocked')], false, 'DecommissionScheduled'],
    ['a decommission running ("decommission pending")', [o('Decommission', 'Running', true)], false, 'DecommissionPending'],
    ['a decommission that failed after starting ("decommission failed")', [o('Decommission', 'Failed', true)], false, 'DecommissionFailed'],
    ['a decommission that missed its schedule (never started)', [o('Decommission', 'Failed')], false, 'Active'],
    ['a decommission that succeeded', [o('Decommission', 'Succeeded', true)], false, 'Decommissioned'],
    ['decommissioned earlier, the order since deleted', [], true, 'Decommissioned'],
    ['decommissioned, then a move order created (ignored)', [o('SiteMove', 'Scheduled')], true, 'Decommissioned'],
    ['a site move scheduled ("Active - move scheduled")', [o('SiteMove', 'Scheduled')], false, 'MoveScheduled'],
    ['a customer move pending', [o('CustomerMove', 'Pending')], false, 'MoveScheduled'],
    ['a site move running', [o('SiteMove', 'Running', true)], false, 'Moving'],
    ['a customer move running', [o('CustomerMove', 'Running', true)], false, 'Moving'],
    ['a move that succeeded', [o('SiteMove', 'Succeeded', true)], false, 'Active'],
    ['a move that failed after starting (no move-failed phase)', [o('SiteMove', 'Failed', true)], false, 'Active'],
    ['a decommission scheduled while a move runs', [o('SiteMove', 'Running', true), o('Decommission', 'Blocked')], false, 'Moving'],
    ['a move waiting behind a running decommission', [o('SiteMove', 'Blocked'), o('Decommission', 'Running', true)], false, 'DecommissionPending'],
  ])('%s → %s', (_name, orders, decommissioned, want) => {
    expect(occupierPhase({ orders, decommissioned })).toBe(want);
  });

  it('is Pending while provisioning has not converged and nothing else applies', () => {
    expect(occupierPhase({ orders: [], decommissioned: false, provisioned: false })).toBe('Pending');
    expect(occupierPhase({ orders: [o('SiteMove', 'Scheduled')], decommissioned: false, provisioned: false })).toBe('MoveScheduled');
  });
});

describe('activeOrder: the order the phase is about (status.activeOrder)', () => {
  const at = (kind: OrderKind, name: string, phase: OrderPhase, createdAt: string, startedAt?: string): OrderSummary =>
    order(kind, name, 'acme', startedAt ? { phase, createdAt, startedAt } : { phase, createdAt });
  const early = '2026-01-01T00:00:00Z';
  const late = '2026-01-02T00:00:00Z';

  it.each<[string, OrderSummary[], string | undefined]>([
    ['no orders', [], undefined],
    ['a move scheduled', [at('SiteMove', 'm1', 'Scheduled', early)], 'SiteMove/m1'],
    ['two moves waiting: the first created goes first', [at('SiteMove', 'm2', 'Blocked', late), at('CustomerMove', 'c1', 'Pending', early)], 'CustomerMove/c1'],
    ['a move running, another waiting', [at('SiteMove', 'm2', 'Blocked', early), at('SiteMove', 'm1', 'Running', late, late)], 'SiteMove/m1'],
    ['a decommission waiting beside an earlier move: the move holds the occupier (it goes first, as conflictingOrders decides)', [at('SiteMove', 'm1', 'Scheduled', early), at('Decommission', 'd1', 'Scheduled', late)], 'SiteMove/m1'],
    ['a decommission running', [at('Decommission', 'd1', 'Running', early, late)], 'Decommission/d1'],
    ['a decommission failed after starting (a retry resumes it)', [at('Decommission', 'd1', 'Failed', early, late)], 'Decommission/d1'],
    ['a move that ended', [at('SiteMove', 'm1', 'Succeeded', early, late)], undefined],
    ['a decommission that succeeded', [at('Decommission', 'd1', 'Succeeded', early, late)], undefined],
  ])('%s → %s', (_name, orders, want) => {
    const phase = occupierPhase({ orders, decommissioned: false });
    const got = activeOrder(orders, phase);
    expect(got ? `${got.kind}/${got.name}` : undefined).toBe(want);
  });
});

describe('effectsOf', () => {
  const meta = (name: string) => ({ name, namespace: 'occupiers' });
  const sm: SiteMoveResource = {
    apiVersion: API_VERSION,
    kind: 'SiteMove',
    metadata: meta('move'),
    spec: siteMoveSpec('acme', 'london-shoreditch', 'london-canary-wharf'),
    status: { phase: 'Succeeded', completedAt: '2027-02-02T00:00:00Z' },
  };
  const cm: CustomerMoveResource = {
    apiVersion: API_VERSION,
    kind: 'CustomerMove',
    metadata: meta('cm'),
    spec: customerMoveSpec('acme', 'southbank-networks'),
    status: { phase: 'Succeeded', completedAt: '2027-01-15T23:00:00Z' },
  };
  const pending: DecommissionResource = { apiVersion: API_VERSION, kind: 'Decommission', metadata: meta('d'), spec: decommissionSpec('acme'), status: { phase: 'Scheduled' } };

  it('keeps Succeeded orders only, oldest completion first', () => {
    expect(effectsOf([sm, pending, cm])).toEqual([
      { kind: 'CustomerMove', name: 'cm', toReseller: 'southbank-networks', completedAt: '2027-01-15T23:00:00Z' },
      { kind: 'SiteMove', name: 'move', from: 'london-shoreditch', to: 'london-canary-wharf', tariff: 'standard-2026', minuteBundle: undefined, completedAt: '2027-02-02T00:00:00Z' },
    ]);
  });
});
