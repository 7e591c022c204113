import { describe, expect, it } from 'vitest';
import { example } from '../../../test/support/examples.ts';
import { Occupier, parseResource, Site } from '../api/index.ts';
import type { OccupierSpec, SiteSpec } from '../api/index.ts';
import { itemId, parseItemId, planProvisioning } from './provision.ts';

const sites = new Map<string, SiteSpec>(
  ['london-shoreditch', 'london-canary-wharf', 'manchester-spinningfields'].map((n) => [n, parseResource(Site, example('Site', n)).spec]),
);
const occupier = (name: string, edit?: (spec: OccupierSpec) => void): OccupierSpec => {
  const spec = parseResource(Occupier, example('Occupier', name)).spec;
  edit?.(spec);
  return spec;
};
const ids = (plan: ReturnType<typeof planProvisioning>, site: string) => plan.sites.find((s) => s.site === site)?.items.map(itemId) ?? [];
const NOW = new Date('2026-11-22T10:00:00Z');

describe('planProvisioning', () => {
  it('an active contract gets its network, ports, numbers, devices, accounts, access and billing', () => {
    const plan = planProvisioning({ identity: 'occupiers/acme-design', spec: occupier('acme-design'), sites, now: NOW });
    expect(plan.problems).toEqual([]);
    expect(ids(plan, 'london-shoreditch').sort()).toEqual(
      [
        'access/user/ana@acme-design.example',
        'access/user/ben@acme-design.example',
        'billing/callCharges/occupiers/acme-design',
        'billing/contract/occupiers/acme-design',
        'billing/occupancy/occupiers/acme-design/office-201/2025-03-01',
        'billing/service/occupiers/acme-design/hosted-voice',
        'billing/service/occupiers/acme-design/internet-100',
        'billing/service/occupiers/acme-design/wifi-secure',
        'directory/account/ana@acme-design.example',
        'directory/account/ben@acme-design.example',
        'directory/account/cleo@acme-design.example',
        'network/allocation/occupiers/acme-design',
        'ports/port/occupiers/acme-design/desk-1',
        'telephony/number/+442070460101',
        'telephony/number/+442070460102',
        'telephony/number/+442070460103',
        'wifi/account/ana@acme-design.example',
        'wifi/account/ben@acme-design.example',
        'wifi/account/cleo@acme-design.example',
      ].sort(),
    );
  });

  it('assigns a number to the user whose phoneNumber it is, and keeps the main flag', () => {
    const plan = planProvisioning({ identity: 'occupiers/acme-design', spec: occupier('acme-design'), sites, now: NOW });
    const numbers = plan.sites[0]?.items.filter((i) => i.type === 'number').map((i) => [i.key, i.spec.assignedTo, i.spec.main]);
    expect(numbers).toEqual([
      ['+442070460101', undefined, true],
      ['+442070460102', 'ana@acme-design.example', false],
      ['+442070460103', 'ben@acme-design.example', false],
    ]);
  });

  it('an upcoming contract has billing records only, and wakes at the start of its first day (site time)', () => {
    const spec = occupier('acme-design', (s) => {
      s.sites[0]!.contract.startDate = '2026-12-01';
    });
    const plan = planProvisioning({ identity: 'occupiers/acme-design', spec, sites, now: NOW });
    expect(plan.sites[0]?.contract).toBe('Upcoming');
    expect(ids(plan, 'london-shoreditch').every((id) => id.startsWith('billing/'))).toBe(true);
    expect(plan.nextChangeAt?.toISOString()).toBe('2026-12-01T00:00:00.000Z'); // London is on GMT in December
  });

  it('a contract ending today stays active until the end of the day in the site time zone (BST)', () => {
    const spec = occupier('acme-design', (s) => {
      s.sites[0]!.contract.endDate = '2026-07-15';
    });
    const plan = planProvisioning({ identity: 'occupiers/acme-design', spec, sites, now: new Date('2026-07-15T22:30:00Z') });
    // 22:30Z is 23:30 BST: still the 15th in London, so the contract is active until midnight BST (23:00Z).
    expect(plan.sites[0]?.contract).toBe('Active');
    expect(plan.nextChangeAt?.toISOString()).toBe('2026-07-15T23:00:00.000Z');
    const later = planProvisioning({ identity: 'occupiers/acme-design', spec, sites, now: new Date('2026-07-15T23:15:00Z') });
    expect(later.sites[0]?.contract).toBe('Completed');
  });

  it('after the end date the contract is Completed: services inactive, call charges stopped, no infrastructure', () => {
    const spec = occupier('acme-design', (s) => {
      s.sites[0]!.contract.endDate = '2026-11-21';
    });
    const plan = planProvisioning({ identity: 'occupiers/acme-design', spec, sites, now: NOW });
    const site = plan.sites[0]!;
    expect(site.contract).toBe('Completed');
    expect(site.items.find((i) => i.type === 'contract')?.spec.status).toBe('Completed');
    expect(site.items.filter((i) => i.type === 'service').every((i) => i.spec.state === 'Inactive')).toBe(true);
    expect(site.items.find((i) => i.type === 'callCharges')?.spec.state).toBe('Stopped');
    expect(site.items.find((i) => i.type === 'occupancy')?.spec).toMatchObject({ status: 'Completed', movedOut: '2026-11-21' });
    expect(site.items.some((i) => i.capability !== 'billing')).toBe(false);
  });

  it('applies scheduled quantity changes on their date and keeps only future ones', () => {
    const spec = occupier('globex');
    const before = planProvisioning({ identity: 'occupiers/globex', spec, sites, now: NOW });
    const after = planProvisioning({ identity: 'occupiers/globex', spec, sites, now: new Date('2027-01-01T09:00:00Z') });
    const voice = (p: typeof before) => p.sites[0]?.items.find((i) => i.key === 'occupiers/globex/hosted-voice')?.spec;
    expect(voice(before)).toMatchObject({ quantity: 20, scheduledChanges: [{ date: '2027-01-01', quantity: 25 }] });
    expect(voice(after)).toMatchObject({ quantity: 25, scheduledChanges: [] });
    expect(before.nextChangeAt?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it.each([
    ['an unknown site', (s: OccupierSpec) => void (s.sites[0]!.site = 'paris-opera'), 'SiteNotFound', 'paris-opera'],
    ['a service not in the catalog', (s: OccupierSpec) => void s.sites[0]!.services!.push({ name: 'jacuzzi', quantity: 1 }), 'UnknownCatalogItem', 'jacuzzi'],
    ['an access level not offered', (s: OccupierSpec) => void (s.sites[0]!.services![0]!.accessLevel = 'Gold'), 'UnknownAccessLevel', 'Gold'],
    ['a tariff not in the catalog', (s: OccupierSpec) => void (s.sites[0]!.contract.tariff = 'cheap-2019'), 'UnknownTariff', 'cheap-2019'],
    ['a space the site lacks', (s: OccupierSpec) => void (s.sites[0]!.occupancies![0]!.space = 'penthouse'), 'UnknownSpace', 'penthouse'],
    ['a switch the site lacks', (s: OccupierSpec) => void (s.sites[0]!.ports![0]!.switch = 'sw-9z'), 'UnknownSwitch', 'sw-9z'],
  ])('%s holds the site and names the item', (_n, edit, reason, named) => {
    const plan = planProvisioning({ identity: 'occupiers/acme-design', spec: occupier('acme-design', edit), sites, now: NOW });
    expect(plan.problems.map((p) => p.reason)).toContain(reason);
    expect(plan.problems.find((p) => p.reason === reason)?.message).toContain(named);
    expect(plan.sites[0]).toMatchObject({ held: true, items: [] });
  });

  it('a user phone number the occupier does not hold is reported with the user', () => {
    const spec = occupier('acme-design', (s) => void (s.users![2]!.phoneNumber = '+442070469999'));
    const plan = planProvisioning({ identity: 'occupiers/acme-design', spec, sites, now: NOW });
    expect(plan.problems).toEqual([expect.objectContaining({ reason: 'UnknownPhoneNumber', message: expect.stringContaining('cleo@acme-design.example') })]);
  });

  it('item ids round-trip even when keys contain slashes', () => {
    const id = itemId({ capability: 'billing', type: 'occupancy', key: 'occupiers/acme/office-201/2025-03-01' });
    expect(parseItemId(id)).toEqual({ capability: 'billing', type: 'occupancy', key: 'occupiers/acme/office-201/2025-03-01' });
  });
});
