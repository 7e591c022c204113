import { describe, expect, it } from 'vitest';
import {
  checkPrerequisites,
  confirmation,
  conflictingOrders,
  indexSites,
  observedFromStatus,
  sitesRequiringAccess,
} from './index.ts';
import type { Observed, OrderSummary, PrerequisiteInput } from './index.ts';
import { decommissionSpec, occupier, order, site } from './fixtures.ts';

const london = site('london-shoreditch').build();
const tokyo = site('tokyo-marunouchi').timezone('Asia/Tokyo').location('tokyo').build();
const utc = site('utc-lab').timezone('UTC').build();
const sites = indexSites([london, tokyo, utc]);

const base = occupier('initech').withSite('london-shoreditch', { startDate: '2025-01-01' });
const self = order('Decommission', 'initech', 'initech', { createdAt: '2026-06-01T00:00:00Z' });

function reasons(over: Partial<PrerequisiteInput> = {}): string[] {
  const input: PrerequisiteInput = { occupier: base.build(), sites, now: new Date('2026-06-15T12:00:00Z'), self, orders: [self], ...over };
  return checkPrerequisites(input).map((f) => f.reason);
}

describe('prerequisites (seed 001 "When is decommissioning allowed?")', () => {
  it('an occupier meeting every prerequisite may be decommissioned', () => {
    expect(reasons()).toEqual([]);
  });

  describe('ContractStartsToday: "The occupier has a contract with a start date of today" (in the site time zone)', () => {
    it.each([
      ['London contract starting today', 'london-shoreditch', '2026-06-15', '2026-06-15T12:00:00Z', true],
      ['London contract that started yesterday', 'london-shoreditch', '2026-06-14', '2026-06-15T12:00:00Z', false],
      ['London contract starting tomorrow (upcoming, discarded instead)', 'london-shoreditch', '2026-06-16', '2026-06-15T12:00:00Z', false],
      ['23:30 UTC on 31 Mar is already 1 Apr in London: a 1 Apr contract starts today', 'london-shoreditch', '2026-04-01', '2026-03-31T23:30:00Z', true],
      ['23:30 UTC on 31 Mar: a 31 Mar contract in London started yesterday', 'london-shoreditch', '2026-03-31', '2026-03-31T23:30:00Z', false],
      ['15:30 UTC: already the next day in Tokyo', 'tokyo-marunouchi', '2026-04-02', '2026-04-01T15:30:00Z', true],
      ['the same instant at a UTC site: that contract starts tomorrow', 'utc-lab', '2026-04-02', '2026-04-01T15:30:00Z', false],
      ['the same instant at a UTC site: a 1 Apr contract starts today', 'utc-lab', '2026-04-01', '2026-04-01T15:30:00Z', true],
    ])('%s', (_name, at, startDate, now, blocked) => {
      const o = occupier('initech').withSite(at, { startDate });
      const got = reasons({ occupier: o.build(), now: new Date(now) });
      expect(got.includes('ContractStartsToday')).toBe(blocked);
    });

    it('looks at every contract at every site', () => {
      const o = base.withSite('tokyo-marunouchi', { startDate: '2026-04-02' });
      const [f] = checkPrerequisites({ occupier: o.build(), sites, now: new Date('2026-04-01T15:30:00Z'), self, orders: [] });
      expect(f?.reason).toBe('ContractStartsToday');
      expect(f?.items).toEqual(['tokyo-marunouchi (2026-04-02)']);
    });
  });

  describe('HandsetLoggedIn: "currently has one or more logged in telephony handsets"', () => {
    it.each<[string, Observed, boolean]>([
      ['no telephony observed', {}, false],
      ['every handset logged out', { handsets: [{ site: 'london-shoreditch', number: '+442070460101', loggedIn: false }] }, false],
      [
        'one handset logged in',
        {
          handsets: [
            { site: 'london-shoreditch', number: '+442070460101', loggedIn: false },
            { site: 'london-shoreditch', number: '+442070460102', loggedIn: true },
          ],
        },
        true,
      ],
    ])('%s', (_name, observed, blocked) => {
      expect(reasons({ observed }).includes('HandsetLoggedIn')).toBe(blocked);
    });

    it('reads handsets from Occupier.status', () => {
      const observed = observedFromStatus({
        sites: [{ site: 'london-shoreditch', numbers: [{ number: '+442070460101', state: 'Allocated', handsetLoggedIn: true }] }],
      });
      expect(reasons({ observed })).toEqual(['HandsetLoggedIn']);
    });
  });

  describe('ServiceFailed / ServiceUpdating: "services that are either in a failed state or that are currently being updated"', () => {
    it.each([
      ['Active', []],
      ['Inactive', []],
      ['Provisioning', []],
      ['Failed', ['ServiceFailed']],
      ['Updating', ['ServiceUpdating']],
    ] as const)('a service %s', (state, want) => {
      const observed: Observed = { services: [{ site: 'london-shoreditch', name: 'internet-100', state }] };
      expect(reasons({ observed })).toEqual(want);
    });

    it('names the failed service and its error', () => {
      const observed: Observed = { services: [{ site: 'london-shoreditch', name: 'internet-100', state: 'Failed', message: 'VLAN busy' }] };
      const [f] = checkPrerequisites({ occupier: base.build(), sites, now: new Date('2026-06-15T12:00:00Z'), self, orders: [], observed });
      expect(f?.message).toContain('internet-100 at london-shoreditch (VLAN busy)');
    });
  });

  describe('occupier phase: "already been decommissioned, or is currently in the decommission pending or decommission failed state"', () => {
    it.each([
      ['Active', []],
      ['Decommissioned', ['AlreadyDecommissioned']],
      ['DecommissionPending', ['DecommissionPending']],
      ['DecommissionFailed', ['DecommissionFailed']],
    ] as const)('phase %s', (phase, want) => {
      expect(reasons({ occupier: base.phase(phase).build() })).toEqual(want);
    });

    it('a pending phase caused by this very order (resuming) does not block it', () => {
      expect(reasons({ occupier: base.phase('DecommissionPending').activeOrder('Decommission', 'initech').build() })).toEqual([]);
    });

    it('Decommissioned blocks even this order', () => {
      expect(reasons({ occupier: base.phase('Decommissioned').activeOrder('Decommission', 'initech').build() })).toEqual(['AlreadyDecommissioned']);
    });
  });

  describe('ConflictingOrder: "The occupier is scheduled for decommission in future" / one active order per occupier', () => {
    const earlier = '2026-05-01T00:00:00Z';
    const later = '2026-07-01T00:00:00Z';
    it.each<[string, OrderSummary, boolean]>([
      ['another decommission scheduled earlier', order('Decommission', 'initech-eoy', 'initech', { phase: 'Scheduled', createdAt: earlier }), true],
      ['a site move running (even if created later)', order('SiteMove', 'initech-move', 'initech', { phase: 'Running', createdAt: later }), true],
      ['a customer move awaiting approval, created earlier', order('CustomerMove', 'cm', 'initech', { phase: 'AwaitingApproval', createdAt: earlier }), true],
      ['a site move created later and not started (this order goes first)', order('SiteMove', 'initech-move', 'initech', { phase: 'Scheduled', createdAt: later }), false],
      ['an earlier order that succeeded', order('SiteMove', 'old-move', 'initech', { phase: 'Succeeded', createdAt: earlier }), false],
      ['an earlier order that failed', order('Decommission', 'old', 'initech', { phase: 'Failed', createdAt: earlier }), false],
      ['an order for another occupier', order('Decommission', 'globex', 'globex', { phase: 'Running', createdAt: earlier }), false],
    ])('%s', (_name, other, blocked) => {
      expect(reasons({ orders: [self, other] }).includes('ConflictingOrder')).toBe(blocked);
    });

    it('the occupier recorded active order holds it whatever the creation times', () => {
      const other = order('SiteMove', 'initech-move', 'initech', { phase: 'Scheduled', createdAt: later });
      const o = base.activeOrder('SiteMove', 'initech-move').build();
      expect(reasons({ occupier: o, orders: [self, other] })).toEqual(['ConflictingOrder']);
    });

    it('two waiting orders never block each other: exactly one goes first', () => {
      const a = order('Decommission', 'a', 'initech', { phase: 'Blocked', createdAt: earlier });
      const b = order('SiteMove', 'b', 'initech', { phase: 'Blocked', createdAt: earlier });
      const all = [a, b];
      const blockedA = conflictingOrders(a, all).length > 0;
      const blockedB = conflictingOrders(b, all).length > 0;
      expect(blockedA !== blockedB).toBe(true);
    });
  });

  it('a Site that does not exist blocks the run (its time zone is unknown)', () => {
    const o = base.withSite('paris-opera', { startDate: '2025-01-01' });
    expect(reasons({ occupier: o.build() })).toEqual(['SiteNotFound']);
  });

  it('returns ALL failures, not just the first', () => {
    const o = occupier('initech').withSite('tokyo-marunouchi', { startDate: '2026-04-02' }).phase('DecommissionFailed');
    const observed: Observed = {
      handsets: [{ site: 'tokyo-marunouchi', number: '+81312345678', loggedIn: true }],
      services: [
        { site: 'tokyo-marunouchi', name: 'internet-100', state: 'Failed' },
        { site: 'tokyo-marunouchi', name: 'wifi-secure', state: 'Updating' },
      ],
    };
    const other = order('SiteMove', 'm', 'initech', { phase: 'Running' });
    expect(reasons({ occupier: o.build(), now: new Date('2026-04-01T15:30:00Z'), observed, orders: [self, other] })).toEqual([
      'ContractStartsToday',
      'HandsetLoggedIn',
      'ServiceFailed',
      'ServiceUpdating',
      'DecommissionFailed',
      'ConflictingOrder',
    ]);
  });
});

describe('confirmation: typed occupier name + "I understand that decommissioning is irreversible"', () => {
  it.each([
    ['the right name, box ticked', decommissionSpec('initech'), null],
    ['a different name typed', decommissionSpec('initech', { confirm: { occupierName: 'initec', irreversible: true } }), 'ConfirmationMismatch'],
    ['box not ticked', decommissionSpec('initech', { confirm: { occupierName: 'initech', irreversible: false } }), 'ConfirmationMismatch'],
    ['the order refers to another occupier', decommissionSpec('globex', { confirm: { occupierName: 'initech', irreversible: true } }), 'ConfirmationMismatch'],
  ])('%s', (_name, spec, want) => {
    expect(confirmation(spec, 'initech')?.reason ?? null).toBe(want);
  });
});

describe('site access: every site where the occupier has or had a contract', () => {
  it('lists spec sites and sites only known from status (completed contracts)', () => {
    const o = base.withSite('tokyo-marunouchi', { startDate: '2025-01-01' }).build();
    o.status = { sites: [{ site: 'new-york-hudson' }], currentSites: ['london-shoreditch'] };
    expect(sitesRequiringAccess(o)).toEqual(['london-shoreditch', 'new-york-hudson', 'tokyo-marunouchi']);
  });
});
