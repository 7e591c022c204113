import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../api/index.ts';
import type { CustomerMoveResource, DecommissionResource, OccupierPhase, OrderPhase, SiteMoveResource } from '../api/index.ts';
import { effectsOf, occupierPhase, specDrift } from './index.ts';
import type { OrderEffect, OrderKind, OrderSummary } from './index.ts';
import { customerMoveSpec, decommissionSpec, occupier, order, siteMoveSpec } from './fixtures.ts';

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

describe('specDrift: fields to change in Git after completed orders', () => {
  const acme = occupier('acme')
    .withSite('london-shoreditch', { startDate: '2025-03-01' })
    .withUser('ana@acme.example')
    .withUser('ben@acme.example', { sites: ['london-shoreditch'] });
  const moved: OrderEffect = { kind: 'SiteMove', name: 'm', from: 'london-shoreditch', to: 'london-canary-wharf', tariff: 'standard-2026' };

  it.each<[string, ReturnType<typeof acme.build>['spec'], OrderEffect[], string[]]>([
    ['no completed orders', acme.build().spec, [], []],
    [
      'a completed SiteMove with the spec untouched',
      acme.build().spec,
      [moved],
      ['spec.sites[site=london-canary-wharf]', 'spec.sites[site=london-shoreditch]', 'spec.users[email=ana@acme.example].sites', 'spec.users[email=ben@acme.example].sites'],
    ],
    [
      'the spec updated in Git after the move',
      occupier('acme').withSite('london-canary-wharf', { startDate: '2027-02-01' }).withUser('ana@acme.example').build().spec,
      [moved],
      [],
    ],
    [
      'the destination declared with another tariff',
      occupier('acme').withSite('london-canary-wharf', { startDate: '2027-02-01', tariff: 'canary-premium-2026' }).build().spec,
      [moved],
      ['spec.sites[site=london-canary-wharf].contract.tariff'],
    ],
    [
      'moved there and back again',
      acme.build().spec,
      [moved, { kind: 'SiteMove', name: 'back', from: 'london-canary-wharf', to: 'london-shoreditch' }],
      [],
    ],
    ['a completed CustomerMove with resellerRef still the old reseller', acme.customerOf('northwind-hosting').build().spec, [{ kind: 'CustomerMove', name: 'c', toReseller: 'southbank-networks' }], ['spec.resellerRef.name']],
    ['a completed CustomerMove with resellerRef updated', acme.customerOf('southbank-networks').build().spec, [{ kind: 'CustomerMove', name: 'c', toReseller: 'southbank-networks' }], []],
    ['a completed Decommission (the spec is ignored: Immutable)', acme.build().spec, [{ kind: 'Decommission', name: 'd' }], []],
  ])('%s', (_name, spec, effects, want) => {
    expect(specDrift(spec, effects)).toEqual(want);
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
