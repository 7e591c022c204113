import { describe, expect, it } from 'vitest';
import { plan as planSchema } from '../api/index.ts';
import { DECOMMISSION_STEPS, planDecommission } from './index.ts';
import type { DecommissionPlan, Observed, PlanItem } from './index.ts';
import { occupier, site } from './fixtures.ts';

const LON = 'london-shoreditch';
const TYO = 'tokyo-marunouchi';
const london = site(LON).coolingOffDays(90).build();
const tokyo = site(TYO).timezone('Asia/Tokyo').location('tokyo').coolingOffDays(30).build();
const sites = [london, tokyo];

/** Noon in London on 15 Jun 2026: today 2026-06-15, yesterday 2026-06-14. */
const NOON = new Date('2026-06-15T12:00:00Z');
const base = occupier('initech').withSite(LON, { startDate: '2025-01-01' });

function items(p: DecommissionPlan, step: string, site = LON): PlanItem[] {
  return p.sites.find((s) => s.site === site)?.steps.find((s) => s.step === step)?.items ?? [];
}
function brief(list: PlanItem[]): string[] {
  return list.map((i) => `${i.kind} ${i.name} ${i.action}: ${i.detail ?? ''}`);
}

describe('What happens to decommissioned data (seed 001), row by row', () => {
  describe('Contracts: active end (COMPLETED, end date yesterday); upcoming discarded', () => {
    it.each([
      ['active, open-ended', { startDate: '2025-01-01' }, NOON, 'Contract london-shoreditch Complete: Completed, end date 2026-06-14'],
      ['active, ending later', { startDate: '2025-01-01', endDate: '2027-01-01' }, NOON, 'Contract london-shoreditch Complete: Completed, end date 2026-06-14'],
      ['active, ending today', { startDate: '2025-01-01', endDate: '2026-06-15' }, NOON, 'Contract london-shoreditch Complete: Completed, end date 2026-06-14'],
      ['upcoming (starts tomorrow)', { startDate: '2026-06-16' }, NOON, 'Contract london-shoreditch Discard: upcoming (starts 2026-06-16): discarded, not visible afterwards'],
      ['starting today: cannot end yesterday (blocked by the prerequisite)', { startDate: '2026-06-15' }, NOON, 'Contract london-shoreditch Complete: starts today (2026-06-15): cannot end yesterday, the run is blocked (ContractStartsToday)'],
      // 23:30 UTC on 31 Mar is 00:30 on 1 Apr in London (BST): yesterday is 31 Mar, not 30 Mar.
      ['around midnight UTC, London already tomorrow', { startDate: '2025-01-01' }, new Date('2026-03-31T23:30:00Z'), 'Contract london-shoreditch Complete: Completed, end date 2026-03-31'],
      ['a 1 Apr contract at 23:30 UTC on 31 Mar starts today in London', { startDate: '2026-04-01' }, new Date('2026-03-31T23:30:00Z'), 'Contract london-shoreditch Complete: starts today (2026-04-01): cannot end yesterday, the run is blocked (ContractStartsToday)'],
      // 00:30 UTC on the day clocks go forward is still GMT: today is 29 Mar.
      ['DST starts (29 Mar, 00:30 GMT)', { startDate: '2025-01-01' }, new Date('2026-03-29T00:30:00Z'), 'Contract london-shoreditch Complete: Completed, end date 2026-03-28'],
      // 23:30 UTC on 24 Oct is 00:30 BST on 25 Oct (the day clocks go back).
      ['DST ends (24 Oct 23:30 UTC = 25 Oct 00:30 BST)', { startDate: '2025-01-01' }, new Date('2026-10-24T23:30:00Z'), 'Contract london-shoreditch Complete: Completed, end date 2026-10-24'],
    ])('%s', (_name, contract, now, want) => {
      const p = planDecommission({ occupier: occupier('initech').withSite(LON, contract).build(), sites, now });
      expect(brief(items(p, 'contracts'))).toEqual([want]);
    });

    it('an already completed contract is kept as history, untouched', () => {
      const p = planDecommission({ occupier: occupier('initech').withSite(LON, { startDate: '2024-01-01', endDate: '2025-12-31' }).build(), sites, now: NOON });
      expect(items(p, 'contracts')).toEqual([]);
      expect(p.history.contracts).toBe(1);
    });

    it('upcoming contracts are not history (not visible afterwards); completed ones are', () => {
      const o = base.withSite(TYO, { startDate: '2026-09-01' });
      const p = planDecommission({ occupier: o.build(), sites, now: NOON });
      expect(p.history.contracts).toBe(1);
      expect(brief(items(p, 'contracts', TYO))).toEqual(['Contract tokyo-marunouchi Discard: upcoming (starts 2026-09-01): discarded, not visible afterwards']);
    });

    it('"today" is each site\'s own: at 15:30 UTC Tokyo is a day ahead of London', () => {
      const o = base.withSite(TYO, { startDate: '2025-01-01' });
      const p = planDecommission({ occupier: o.build(), sites, now: new Date('2026-04-01T15:30:00Z') });
      expect(p.sites.map((s) => [s.site, s.today, s.yesterday])).toEqual([
        [LON, '2026-04-01', '2026-03-31'],
        [TYO, '2026-04-02', '2026-04-01'],
      ]);
      expect(items(p, 'contracts', TYO)[0]?.detail).toBe('Completed, end date 2026-04-01');
      expect(items(p, 'contracts', LON)[0]?.detail).toBe('Completed, end date 2026-03-31');
    });
  });

  describe('Occupancies: upcoming or moved in today deleted; active COMPLETED, moved out yesterday', () => {
    it.each([
      ['upcoming', '2026-07-01', undefined, 'Occupancy suite-101 Delete: upcoming (moves in 2026-07-01): deleted, not visible afterwards'],
      ['moved in today', '2026-06-15', undefined, 'Occupancy suite-101 Delete: moved in today (2026-06-15): deleted, not visible afterwards'],
      ['moved in yesterday', '2026-06-14', undefined, 'Occupancy suite-101 Complete: Completed, moved out 2026-06-14'],
      ['active, moving out later', '2025-01-01', '2026-12-31', 'Occupancy suite-101 Complete: Completed, moved out 2026-06-14'],
      ['already moved out', '2025-01-01', '2026-01-31', undefined],
    ])('%s', (_name, movedIn, movedOut, want) => {
      const p = planDecommission({ occupier: base.withOccupancy(LON, 'suite-101', movedIn, movedOut).build(), sites, now: NOON });
      expect(brief(items(p, 'occupancies'))).toEqual(want === undefined ? [] : [want]);
    });

    it('moved in "today" depends on the site time zone (23:30 UTC 31 Mar = 1 Apr in London)', () => {
      const p = planDecommission({ occupier: base.withOccupancy(LON, 'suite-101', '2026-04-01').build(), sites, now: new Date('2026-03-31T23:30:00Z') });
      expect(items(p, 'occupancies')[0]?.action).toBe('Delete');
      const q = planDecommission({ occupier: base.withOccupancy(LON, 'suite-101', '2026-03-31').build(), sites, now: new Date('2026-03-31T23:30:00Z') });
      expect(items(q, 'occupancies')[0]?.detail).toBe('Completed, moved out 2026-03-31');
    });

    it('history keeps completed occupancies only', () => {
      const o = base
        .withOccupancy(LON, 'suite-101', '2025-01-01')
        .withOccupancy(LON, 'office-201', '2024-01-01', '2024-12-31')
        .withOccupancy(LON, 'suite-102', '2026-06-15')
        .withOccupancy(LON, 'suite-301', '2026-07-01');
      expect(planDecommission({ occupier: o.build(), sites, now: NOON }).history.occupancies).toBe(2);
    });
  });

  describe('Services: active deprovisioned (inactive); scheduled starts and quantity changes deleted', () => {
    it.each([
      ['active', {}, ['Service internet-100 Deprovision: deprovisioned, set Inactive (kept without an end date); billing stops']],
      ['scheduled to start in future', { startDate: '2026-07-01' }, ['Service internet-100 Delete: scheduled to start 2026-07-01: deleted, not visible afterwards']],
      ['started today', { startDate: '2026-06-15' }, ['Service internet-100 Deprovision: deprovisioned, set Inactive (kept without an end date); billing stops']],
      [
        'with a quantity change scheduled in future, and one in the past',
        { scheduledChanges: [{ date: '2026-01-01', quantity: 2 }, { date: '2026-09-01', quantity: 5 }] },
        [
          'Service internet-100 Deprovision: deprovisioned, set Inactive (kept without an end date); billing stops',
          'Service internet-100 Delete: scheduled change to quantity 5 on 2026-09-01 deleted',
        ],
      ],
      [
        'with a quantity change dated today (already in effect, not "in future")',
        { scheduledChanges: [{ date: '2026-06-15', quantity: 2 }] },
        ['Service internet-100 Deprovision: deprovisioned, set Inactive (kept without an end date); billing stops'],
      ],
    ])('%s', (_name, svc, want) => {
      const p = planDecommission({ occupier: base.withService(LON, 'internet-100', svc).build(), sites, now: NOON });
      expect(brief(items(p, 'services'))).toEqual(want);
    });

    it('services of an upcoming contract are deleted; of a completed contract left alone', () => {
      const o = occupier('initech')
        .withSite(LON, { startDate: '2026-09-01' })
        .withService(LON, 'internet-100')
        .withSite(TYO, { startDate: '2024-01-01', endDate: '2025-12-31' })
        .withService(TYO, 'internet-100');
      const p = planDecommission({ occupier: o.build(), sites, now: NOON });
      expect(items(p, 'services').map((i) => i.action)).toEqual(['Delete']);
      expect(items(p, 'services', TYO)).toEqual([]);
      expect(p.history.services).toBe(1); // the Tokyo one, inactive since its contract ended
    });
  });

  describe('Users: deleted; numbers unassigned; Wi-Fi and user accounts cancelled', () => {
    const o = base
      .withNumber(LON, '+442070460101', true)
      .withNumber(LON, '+442070460102')
      .withUser('ana@initech.example', { phoneNumber: '+442070460102' })
      .withUser('ben@initech.example', { wifi: false, portal: true });
    const p = planDecommission({ occupier: o.build(), sites, now: NOON });
    it('every user is deleted, with their accounts cancelled', () => {
      expect(brief(items(p, 'users'))).toEqual([
        'Number +442070460102 Unassign: unassigned from ana@initech.example',
        'User ana@initech.example Delete: user deleted; Wi-Fi Secure account cancelled; portal and mobile-app account cancelled',
        'User ben@initech.example Delete: user deleted; portal and mobile-app account cancelled',
      ]);
    });
    it('a user with access to two sites is removed at both', () => {
      const two = base.withSite(TYO, { startDate: '2025-01-01' }).withUser('kai@initech.example', { sites: [LON, TYO] });
      const q = planDecommission({ occupier: two.build(), sites, now: NOON });
      expect(items(q, 'users').map((i) => i.name)).toEqual(['kai@initech.example']);
      expect(items(q, 'users', TYO).map((i) => i.name)).toEqual(['kai@initech.example']);
    });
    it('a user listing only unknown sites is still deleted (at the first site)', () => {
      const q = planDecommission({ occupier: base.withUser('eve@initech.example', { sites: ['paris-opera'] }).build(), sites, now: NOON });
      expect(items(q, 'users').map((i) => i.name)).toEqual(['eve@initech.example']);
    });
  });

  it('Wi-Fi devices: shared devices deleted (can no longer connect)', () => {
    const p = planDecommission({ occupier: base.withWifiDevice(LON, 'printer-2f', '00:1a:2b:3c:4d:5e').build(), sites, now: NOON });
    expect(brief(items(p, 'wifi-devices'))).toEqual(['WifiDevice printer-2f Delete: 00:1a:2b:3c:4d:5e can no longer connect to the Wi-Fi device network']);
  });

  describe('Telephony: numbers incl. the main number frozen, then deactivated and deallocated (cooling off)', () => {
    const o = base.withNumber(LON, '+442070460101', true).withNumber(LON, '+442070460102');
    const p = planDecommission({ occupier: o.build(), sites, now: NOON });
    it('freezes every number first', () => {
      expect(brief(items(p, 'telephony-freeze'))).toEqual([
        'Number +442070460101 Release: main number frozen: can no longer be edited',
        'Number +442070460102 Release: number frozen: can no longer be edited',
      ]);
    });
    it('then deactivates them', () => {
      expect(items(p, 'telephony-deactivate').map((i) => `${i.name} ${i.action}`)).toEqual(['+442070460101 Deprovision', '+442070460102 Deprovision']);
    });
    it('then deallocates them into the site cooling-off period', () => {
      expect(items(p, 'telephony-deallocate')[1]?.detail).toBe(
        'number frozen, deactivated, then deallocated into cooling-off for 90 days (reusable at this site from 2026-09-13)',
      );
    });
    it('uses each site\'s own cooling-off period', () => {
      const q = planDecommission({ occupier: base.withSite(TYO, { startDate: '2025-01-01' }).withNumber(TYO, '+81312345678').build(), sites, now: NOON });
      expect(items(q, 'telephony-deallocate', TYO)[0]?.detail).toContain('cooling-off for 30 days (reusable at this site from 2026-07-15)');
    });
    it('lists each number once in the flat plan', () => {
      expect(p.items.filter((i) => i.kind === 'Number').map((i) => `${i.name} ${i.action}`)).toEqual(['+442070460101 Release', '+442070460102 Release']);
    });
  });

  it('Call charges: no new call charges are created', () => {
    const p = planDecommission({ occupier: base.build(), sites, now: NOON });
    expect(brief(items(p, 'call-charges'))).toEqual(['Service call-charges Deprovision: no new call charges are created; past months stay readable']);
    expect(p.history.readable).toContain('call charges for past months, Bandwidth and Voice reports');
  });

  describe('Network info: deprovisioned, not readable afterwards', () => {
    it('deprovisions the network, as the last step', () => {
      const p = planDecommission({ occupier: base.build(), sites, now: NOON });
      const steps = p.sites[0]?.steps ?? [];
      expect(steps.at(-1)).toEqual({ step: 'network', items: [{ kind: 'Network', name: 'network', site: LON, action: 'Deprovision', detail: 'VLAN and IPv4 subnet released; not readable afterwards' }] });
      expect(p.history.notReadable).toContain('network information');
    });
    it('nothing to deprovision where the occupier has no network', () => {
      const p = planDecommission({ occupier: occupier('initech').withSite(LON, { startDate: '2025-01-01', network: false }).build(), sites, now: NOON });
      expect(items(p, 'network')).toEqual([]);
    });
  });

  describe('Smart Access: users removed from groups; card IDs deleted so they can be reassigned', () => {
    it.each([
      ['groups and a card', { accessGroups: ['floor-2', 'roof'], cardId: '04A1B2C3' }, ['Access ana@initech.example Delete: removed from groups floor-2, roof; card ID 04A1B2C3 deleted, free for new users']],
      ['a card only', { cardId: '04A1B2C3' }, ['Access ana@initech.example Delete: card ID 04A1B2C3 deleted, free for new users']],
      ['no access at all', {}, []],
    ])('%s', (_name, user, want) => {
      const p = planDecommission({ occupier: base.withUser('ana@initech.example', user).build(), sites, now: NOON });
      expect(brief(items(p, 'access'))).toEqual(want);
    });
    it('access logs stay readable', () => {
      expect(planDecommission({ occupier: base.build(), sites, now: NOON }).history.readable).toContain('access logs (email, card ID and door ID persist)');
    });
  });

  describe('Booking: upcoming kept but unassigned; historical lose the user name', () => {
    it('without observed bookings: one item for each kind', () => {
      const p = planDecommission({ occupier: base.build(), sites, now: NOON });
      expect(brief(items(p, 'bookings'))).toEqual([
        'Booking upcoming Unassign: kept, but no longer assigned to the occupier or its users',
        'Booking historical Unassign: kept, the user name is deleted',
      ]);
    });
    it('with observed bookings: upcoming vs historical by start time', () => {
      const observed: Observed = {
        bookings: [
          { id: 'b-1', site: LON, start: '2026-06-15T11:59:59Z', user: 'ana@initech.example' },
          { id: 'b-2', site: LON, start: '2026-06-15T12:00:00Z', user: 'ana@initech.example' },
          { id: 'b-3', site: TYO, start: '2026-07-01T12:00:00Z' },
        ],
      };
      const p = planDecommission({ occupier: base.build(), sites, now: NOON, observed });
      expect(brief(items(p, 'bookings'))).toEqual([
        'Booking b-1 Unassign: historical: kept, the user name is deleted',
        'Booking b-2 Unassign: upcoming: kept, but no longer assigned to the occupier or its users',
      ]);
    });
  });
});

describe('the plan as a whole', () => {
  const full = base
    .withOccupancy(LON, 'suite-101', '2025-01-01')
    .withService(LON, 'internet-100')
    .withNumber(LON, '+442070460101', true)
    .withPort(LON, 'desk-1', 'sw-2a')
    .withWifiDevice(LON, 'printer-2f')
    .withUser('ana@initech.example', { phoneNumber: '+442070460101', accessGroups: ['floor-2'] })
    .withSite(TYO, { startDate: '2025-01-01' })
    .withService(TYO, 'internet-100');
  const p = planDecommission({ occupier: full.build(), sites, now: NOON });

  it('lists every step at every site, in DECOMMISSION_STEPS order', () => {
    for (const s of p.sites) expect(s.steps.map((x) => x.step)).toEqual([...DECOMMISSION_STEPS]);
    expect(DECOMMISSION_STEPS[0]).toBe('telephony-freeze');
    expect(DECOMMISSION_STEPS.at(-1)).toBe('network');
    expect(DECOMMISSION_STEPS.indexOf('users')).toBeLessThan(DECOMMISSION_STEPS.indexOf('telephony-deallocate'));
    expect(DECOMMISSION_STEPS.indexOf('telephony-deactivate')).toBeLessThan(DECOMMISSION_STEPS.indexOf('telephony-deallocate'));
    expect(DECOMMISSION_STEPS.indexOf('services')).toBeLessThan(DECOMMISSION_STEPS.indexOf('contracts'));
  });

  it('fits Decommission status.plan (api/orders.ts) and summarises counts per action', () => {
    expect(() => planSchema.parse({ summary: p.summary, items: p.items })).not.toThrow();
    // LON: number, port (Release 2); access, user, device (Delete 3); occupancy + 2 contracts (Complete 3);
    // 2 services, 2 call-charges, 2 networks (Deprovision 6); number + 2x2 bookings (Unassign 5).
    expect(p.summary).toBe('Release 2, Delete 3, Complete 3, Deprovision 6, Unassign 5');
    expect(p.items.every((i) => i.site === LON || i.site === TYO)).toBe(true);
  });

  it('summarises what stays readable', () => {
    expect(p.history).toMatchObject({ contracts: 2, occupancies: 1, services: 2 });
    expect(p.history.notReadable).toEqual([
      'contracts, occupancies and services that were upcoming or scheduled',
      'users',
      'shared Wi-Fi devices',
      'telephony allocations and assignments',
      'network information',
    ]);
  });

  it('plans a site with no Site object in UTC and reports it', () => {
    const q = planDecommission({ occupier: base.withSite('paris-opera', { startDate: '2025-01-01' }).build(), sites, now: NOON });
    expect(q.unknownSites).toEqual(['paris-opera']);
    expect(q.sites[1]?.timezone).toBe('UTC');
  });
});
