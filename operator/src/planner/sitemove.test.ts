import { describe, expect, it } from 'vitest';
import { plan as planSchema } from '../api/index.ts';
import { planSiteMove } from './index.ts';
import type { SiteMoveInput, SiteMovePlan } from './index.ts';
import { occupier, site, siteMoveSpec } from './fixtures.ts';

const SHO = 'london-shoreditch';
const CW = 'london-canary-wharf';
const shoreditch = site(SHO).withService('internet-100', { Standard: { bandwidthMbps: '100' } }).withService('hosted-voice').withService('printing').build();
const canary = site(CW)
  .withService('internet-100', { Standard: { bandwidthMbps: '100' }, Premium: { staticIp: 'true' } })
  .withService('hosted-voice')
  .withSpace('office-3911')
  .withSpace('office-3910')
  .withMinuteBundle('uk-5000')
  .build();
const tokyo = site('tokyo-marunouchi').timezone('Asia/Tokyo').location('tokyo').withService('internet-100', { Standard: {} }).build();

const acme = occupier('acme-design')
  .withSite(SHO, { startDate: '2025-03-01', minuteBundle: 'uk-1000' })
  .withOccupancy(SHO, 'office-201', '2025-03-01')
  .withService(SHO, 'internet-100', { accessLevel: 'Standard' })
  .withService(SHO, 'hosted-voice', { quantity: 3 })
  .withNumber(SHO, '+442070460101', true)
  .withNumber(SHO, '+442070460102')
  .withPort(SHO, 'desk-1', 'sw-2a')
  .withWifiDevice(SHO, 'printer-2f')
  .withUser('ana@acme.example', { phoneNumber: '+442070460102' })
  .withUser('ben@acme.example');

const NOW = new Date('2027-01-20T10:00:00Z');
const MOVE = new Date('2027-02-01T18:00:00Z');

function plan(over: Partial<SiteMoveInput> = {}, spec = siteMoveSpec('acme-design', SHO, CW, { spaces: ['office-3911'] })): SiteMovePlan {
  return planSiteMove({ occupier: acme.build(), from: shoreditch, to: canary, order: { spec }, now: NOW, moveAt: MOVE, ...over });
}
function stepItems(p: SiteMovePlan, side: 'to' | 'from', step: string): string[] {
  return (p.steps.find((s) => s.side === side && s.step === step)?.items ?? []).map((i) => `${i.kind} ${i.name} ${i.action}: ${i.detail ?? ''}`);
}
const reasons = (p: SiteMovePlan): string[] => p.blocked.map((b) => b.reason);

describe('site move preconditions (seeds 000 and 002, SPEC §2)', () => {
  it('a well-formed move is not blocked', () => {
    expect(plan().blocked).toEqual([]);
  });

  it.each<[string, Partial<SiteMoveInput>, Parameters<typeof siteMoveSpec>[3], string[]]>([
    ['"The site ... must be present": destination missing', { to: undefined }, {}, ['SiteNotFound']],
    ['source site missing', { from: undefined }, {}, ['SiteNotFound']],
    ['"and network must be present": destination without network pools', { to: site(CW).withService('internet-100', { Standard: {} }).withService('hosted-voice').withoutNetwork().build() }, {}, ['NoNetworkPool']],
    ['to = from', { to: shoreditch }, {}, ['SameSite']],
    ['"Client Tariff At Destination Site" not offered there', {}, { tariff: 'canary-premium-2026' }, ['TariffNotOffered']],
    ['"Client Minute Bundle At Destination Site" not offered there', {}, { minuteBundle: 'us-9000' }, ['MinuteBundleNotOffered']],
    ['"Selected Spaces": no such space', {}, { spaces: ['office-9999'] }, ['SpaceNotFound']],
    ['"Selected Spaces": space taken by another occupier', { freeSpaces: ['office-3910'] }, { spaces: ['office-3911'] }, ['SpaceNotFree']],
    ['"Selected Spaces": space free', { freeSpaces: ['office-3911'] }, { spaces: ['office-3911'] }, []],
    ['numbers to transfer but no number pool at the destination', { to: site(CW).withService('internet-100', { Standard: {} }).withService('hosted-voice').withoutTelephony().build() }, { telephony: 'Transfer' }, ['NoNumberPool']],
  ])('%s', (_name, over, specOver, want) => {
    const spec = siteMoveSpec('acme-design', SHO, over.to === shoreditch ? SHO : CW, specOver);
    expect(reasons(plan(over, spec))).toEqual(want);
  });

  describe('"The selected occupier should have at least 1 existing active contract at a site"', () => {
    it.each([
      ['no contract at the source', occupier('acme-design').withSite('london-soho', { startDate: '2025-01-01' }), ['NoActiveContract']],
      ['an upcoming contract at the source', occupier('acme-design').withSite(SHO, { startDate: '2027-06-01' }), ['NoActiveContract']],
      ['a completed contract at the source ("can be re-activated")', occupier('acme-design').withSite(SHO, { startDate: '2024-01-01', endDate: '2026-12-31' }), ['NoActiveContract']],
      ['an active contract ending before the move date', occupier('acme-design').withSite(SHO, { startDate: '2024-01-01', endDate: '2027-01-31' }), ['NoActiveContract']],
      ['an active contract ending on the move date', occupier('acme-design').withSite(SHO, { startDate: '2024-01-01', endDate: '2027-02-01' }), []],
    ])('%s', (_name, o, want) => {
      expect(reasons(plan({ occupier: o.build() }))).toEqual(want);
    });
  });

  it('an occupier already at the destination cannot move there again', () => {
    const o = acme.withSite(CW, { startDate: '2026-01-01' });
    expect(reasons(plan({ occupier: o.build() }))).toEqual(['AlreadyAtDestination']);
  });

  describe('every copied service must exist in the destination catalog', () => {
    const o = acme.withService(SHO, 'printing').withService(SHO, 'internet-100', { accessLevel: 'Gold' });
    it('unmatched services (and access levels) are listed in the plan and block the move', () => {
      const p = plan({ occupier: o.build() });
      expect(p.blocked).toEqual([
        { reason: 'UnmatchedServices', message: `not in the catalog at ${CW}: internet-100 (access level Gold), printing`, items: ['internet-100 (access level Gold)', 'printing'] },
      ]);
      expect(p.plan.unmatched).toEqual(['internet-100 (access level Gold)', 'printing']);
      expect(p.plan.items.filter((i) => i.action === 'Unmatched').map((i) => i.name)).toEqual(['internet-100', 'printing']);
    });
    it('without copyServices nothing is copied, so nothing is unmatched', () => {
      const p = plan({ occupier: o.build() }, siteMoveSpec('acme-design', SHO, CW, { copyServices: false }));
      expect(p.blocked).toEqual([]);
      expect(stepItems(p, 'to', 'services')).toEqual([]);
    });
  });
});

describe('site move effects', () => {
  const p = plan();

  it('"Set up a new contract at the site the Occupier is moving to", from the move date', () => {
    expect(stepItems(p, 'to', 'contract')).toEqual(['Contract london-canary-wharf Create: from 2027-02-01, tariff standard-2026']);
    expect(p.destination.contract).toEqual({ startDate: '2027-02-01', tariff: 'standard-2026' });
  });

  it('"copy services to another site": each service with its quantity and access level', () => {
    expect(stepItems(p, 'to', 'services')).toEqual([
      'Service internet-100 Copy: quantity 1, access level Standard, from 2027-02-01',
      'Service hosted-voice Copy: quantity 3, from 2027-02-01',
    ]);
    expect(p.destination.services?.map((s) => s.name)).toEqual(['internet-100', 'hosted-voice']);
  });

  it('"Selected Spaces": occupancies at the destination from the move date; the old ones end that day', () => {
    expect(stepItems(p, 'to', 'occupancies')).toEqual(['Occupancy office-3911 Create: moves in 2027-02-01']);
    expect(stepItems(p, 'from', 'occupancies')).toEqual(['Occupancy office-201 Complete: moved out 2027-02-01']);
  });

  it('"Services such as IP addresses cannot be transitioned": new network at the destination, old one released', () => {
    expect(stepItems(p, 'to', 'network')).toEqual([
      'Network network Allocate: new VLAN from 100-899 and a /26 from 10.20.0.0/16; IP addresses and VLANs are never carried over',
    ]);
    expect(stepItems(p, 'from', 'network')).toEqual(['Network network Release: old VLAN and subnet released at 2027-02-01 end of day Europe/London (2027-02-02T00:00:00.000Z)']);
  });

  it('"Set an end date for their existing site contract ... as per the move date"', () => {
    expect(stepItems(p, 'from', 'contract')).toEqual([
      'Contract london-shoreditch Complete: end date 2027-02-01 (the move date); services deprovisioned at the end of that day',
    ]);
  });

  it('"Services scheduled to be deprovisioned will be removed at the end of the day of the selected date" (source time zone)', () => {
    expect(p.deprovisionAt.toISOString()).toBe('2027-02-02T00:00:00.000Z');
    const services = p.steps.find((s) => s.side === 'from' && s.step === 'services');
    expect(services?.notBefore).toEqual(p.deprovisionAt);
    expect(services?.items.map((i) => i.action)).toEqual(['Deprovision', 'Deprovision']);
  });

  it.each([
    ['in London summer time (BST): midnight local is 23:00 UTC', '2027-07-01T09:00:00Z', shoreditch, '2027-07-01', '2027-07-01T23:00:00.000Z'],
    ['on the day London clocks go forward (23-hour day)', '2027-03-28T09:00:00Z', shoreditch, '2027-03-28', '2027-03-28T23:00:00.000Z'],
    ['on the day London clocks go back (25-hour day)', '2027-10-31T09:00:00Z', shoreditch, '2027-10-31', '2027-11-01T00:00:00.000Z'],
    ['at a Tokyo source: the end of the Tokyo day, 15:00 UTC', '2027-02-01T18:00:00Z', tokyo, '2027-02-02', '2027-02-02T15:00:00.000Z'],
  ])('end of the move date %s', (_name, moveAt, from, date, end) => {
    const o = occupier('acme-design').withSite(from.metadata.name ?? '', { startDate: '2025-01-01' });
    const q = planSiteMove({ occupier: o.build(), from, to: canary, order: { spec: siteMoveSpec('acme-design', from.metadata.name ?? '', CW) }, now: NOW, moveAt: new Date(moveAt) });
    expect(q.moveDate.from).toBe(date);
    expect(q.deprovisionAt.toISOString()).toBe(end);
  });

  it('"Telephone numbers are also not transitioned" (000, telephony Release): released into cooling-off at the source', () => {
    expect(stepItems(p, 'from', 'telephony')).toEqual([
      'Number +442070460101 Release: main number released at london-shoreditch at 2027-02-01 end of day Europe/London (2027-02-02T00:00:00.000Z), into cooling-off for 90 days; not carried over',
      'Number +442070460102 Release: number released at london-shoreditch at 2027-02-01 end of day Europe/London (2027-02-02T00:00:00.000Z), into cooling-off for 90 days; not carried over',
    ]);
    expect(stepItems(p, 'to', 'telephony')).toEqual([]);
    expect(p.destination.numbers).toBeUndefined();
  });

  it('"All Services and Phone numbers will be moved" (002, telephony Transfer)', () => {
    const q = plan({}, siteMoveSpec('acme-design', SHO, CW, { telephony: 'Transfer' }));
    expect(stepItems(q, 'to', 'telephony')).toEqual([
      'Number +442070460101 Transfer: main number moves from london-shoreditch to london-canary-wharf',
      'Number +442070460102 Transfer: number moves from london-shoreditch to london-canary-wharf',
    ]);
    expect(stepItems(q, 'from', 'telephony')).toEqual([]);
    expect(q.destination.numbers?.map((n) => n.number)).toEqual(['+442070460101', '+442070460102']);
    expect(stepItems(q, 'to', 'users')[0]).toBe('User ana@acme.example Move: site access london-shoreditch → london-canary-wharf; keeps +442070460102');
  });

  it('"Review Users": users\' site access moves to the destination', () => {
    expect(stepItems(p, 'to', 'users')).toEqual([
      'User ana@acme.example Move: site access london-shoreditch → london-canary-wharf; +442070460102 unassigned (released)',
      'User ben@acme.example Move: site access london-shoreditch → london-canary-wharf',
    ]);
  });

  it('ports stay behind (physical), shared devices are re-registered at the destination', () => {
    expect(stepItems(p, 'from', 'ports')[0]).toMatch(/^Port desk-1 Release: deallocated at 2027-02-01 end of day/);
    expect(stepItems(p, 'to', 'wifi-devices')).toEqual(['WifiDevice printer-2f Move: 00:1a:2b:3c:4d:5e registered on the london-canary-wharf Wi-Fi device network']);
  });

  it('"the Client will be able to use their services at the new site straight away": destination steps first, none deferred', () => {
    const to = p.steps.filter((s) => s.side === 'to');
    expect(p.steps.slice(0, to.length)).toEqual(to);
    expect(to.every((s) => s.notBefore === undefined)).toBe(true);
    expect(p.steps.filter((s) => s.side === 'from' && s.notBefore !== undefined).map((s) => s.step)).toEqual([
      'telephony',
      'wifi-devices',
      'ports',
      'services',
      'network',
    ]);
    expect(p.steps.at(-1)?.step).toBe('network');
  });

  it('"Move Now": an order without scheduledAt moves today; an overdue schedule moves now', () => {
    const now = planSiteMove({ occupier: acme.build(), from: shoreditch, to: canary, order: { spec: siteMoveSpec('acme-design', SHO, CW) }, now: NOW });
    expect(now.moveDate).toEqual({ from: '2027-01-20', to: '2027-01-20' });
    const late = plan({ moveAt: new Date('2027-01-01T18:00:00Z') });
    expect(late.moveDate.to).toBe('2027-01-20');
  });

  it('"Schedule Move to pick a date and time": a date-only schedule is 23:00 UTC that day', () => {
    const q = planSiteMove({ occupier: acme.build(), from: shoreditch, to: canary, order: { spec: siteMoveSpec('acme-design', SHO, CW, { scheduledAt: '2027-07-01' }) }, now: NOW });
    // 23:00 UTC on 1 Jul is midnight in London (BST): the move date there is 2 Jul.
    expect(q.moveDate).toEqual({ from: '2027-07-02', to: '2027-07-02' });
  });

  it('the plan fits SiteMove status.plan and counts per action ("Review ... then Finish")', () => {
    expect(() => planSchema.parse(p.plan)).not.toThrow();
    expect(p.plan.summary).toBe('Create 2, Move 3, Copy 2, Release 4, Delete 1, Complete 2, Deprovision 2, Allocate 1');
  });
});
