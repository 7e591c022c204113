import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../api/index.ts';
import type { CustomerMoveResource, DecommissionResource, OccupierSpec, SiteMoveResource } from '../api/index.ts';
import { completedEffects, describeDrift, effectiveSpec } from './index.ts';
import { accessLevelsOf, applyCustomerMove } from './effective.ts';
import type { CustomerMoveEffect } from './effective.ts';
import type { CompletedSiteMove, OrderEffect } from './index.ts';
import type { SiteEntry } from './classify.ts';
import { customerMoveSpec, decommissionSpec, occupier, site, siteMoveSpec } from './fixtures.ts';

const SHO = 'london-shoreditch';
const CW = 'london-canary-wharf';
const LEEDS = 'leeds-wellington';

/** Seed 002's occupier at Shoreditch: a service, a main number assigned to Ana, a port, a desk. */
const acme = occupier('acme')
  .withSite(SHO, { startDate: '2025-03-01' })
  .withOccupancy(SHO, 'office-201', '2025-03-01')
  .withService(SHO, 'internet-100', { accessLevel: 'Standard' })
  .withNumber(SHO, '+442070460101', true)
  .withPort(SHO, 'desk-1')
  .withUser('ana@acme.example', { phoneNumber: '+442070460101' })
  .withUser('ben@acme.example');
const spec = acme.build().spec;

/** What the move to Canary Wharf on 2027-02-01 made there (numbers released, services copied). */
const destination: SiteEntry = {
  site: CW,
  contract: { startDate: '2027-02-01', tariff: 'standard-2026' },
  occupancies: [{ space: 'office-3911', movedIn: '2027-02-01' }],
  services: [{ name: 'internet-100', quantity: 1, accessLevel: 'Standard', startDate: '2027-02-01' }],
};
const moved: CompletedSiteMove = { from: SHO, to: CW, destination };
/** A completed customer move that mapped internet-100 to Standard. */
const remapped: CustomerMoveEffect = { kind: 'CustomerMove', name: 'c', toReseller: 'southbank-networks', accessLevels: { 'internet-100': 'Standard' } };
const movedEffect: OrderEffect = { kind: 'SiteMove', name: 'to-canary', from: SHO, to: CW, tariff: 'standard-2026', destination };

/** The spec as Git has it once it caught up with the move. */
const caughtUp: OccupierSpec = occupier('acme')
  .withSite(CW, { startDate: '2027-02-01' })
  .withOccupancy(CW, 'office-3911', '2027-02-01')
  .withService(CW, 'internet-100', { accessLevel: 'Standard' })
  .withUser('ana@acme.example')
  .withUser('ben@acme.example')
  .build().spec;

const sitesOf = (s: OccupierSpec): string[] => s.sites.map((e) => e.site);
const usersOf = (s: OccupierSpec): string[] => (s.users ?? []).map((u) => `${u.email} ${u.sites.join('+')}${u.phoneNumber ? ` ${u.phoneNumber}` : ''}`);

describe('effectiveSpec: the spec with completed moves applied', () => {
  it.each<[string, OccupierSpec, CompletedSiteMove[], string[], string[], string[]]>([
    ['no completed moves: the spec as it is', spec, [], [SHO], ['ana@acme.example london-shoreditch +442070460101', 'ben@acme.example london-shoreditch'], []],
    [
      'moved, Git untouched: `from` dropped, the destination in its place, users follow, the released number unassigned',
      spec,
      [moved],
      [CW],
      ['ana@acme.example london-canary-wharf', 'ben@acme.example london-canary-wharf'],
      [SHO],
    ],
    ['moved, Git caught up: the spec itself', caughtUp, [moved], [CW], ['ana@acme.example london-canary-wharf', 'ben@acme.example london-canary-wharf'], [SHO]],
    [
      'moved from one of two sites: the other stays, the destination takes the place of `from`',
      acme.withSite(LEEDS, { startDate: '2025-06-01' }).build().spec,
      [moved],
      [CW, LEEDS],
      ['ana@acme.example london-canary-wharf', 'ben@acme.example london-canary-wharf'],
      [SHO],
    ],
    [
      'moved there and back again: the contract at Shoreditch is the one the second move began',
      spec,
      [moved, { from: CW, to: SHO, destination: { site: SHO, contract: { startDate: '2027-06-01', tariff: 'standard-2026' } } }],
      [SHO],
      ['ana@acme.example london-shoreditch', 'ben@acme.example london-shoreditch'],
      [CW],
    ],
  ])('%s', (_name, given, moves, sites, users, left) => {
    const eff = effectiveSpec(given, moves);
    expect(sitesOf(eff.spec)).toEqual(sites);
    expect(usersOf(eff.spec)).toEqual(users);
    expect(eff.left).toEqual(left);
  });

  it('uses Git’s own `to` entry once declared from the move date on, else the destination', () => {
    const gitTo = caughtUp.sites[0];
    expect(effectiveSpec(caughtUp, [moved]).spec.sites[0]).toBe(gitTo);
    const older = occupier('acme').withSite(SHO, { startDate: '2025-03-01' }).withSite(CW, { startDate: '2024-01-01', endDate: '2024-12-31' }).build().spec;
    expect(effectiveSpec(older, [moved]).spec.sites).toEqual([destination]);
  });

  it('keeps a number the move transferred assigned', () => {
    const transferred: CompletedSiteMove = { ...moved, destination: { ...destination, numbers: [{ number: '+442070460101', main: true }] } };
    expect(usersOf(effectiveSpec(spec, [transferred]).spec)[0]).toBe('ana@acme.example london-canary-wharf +442070460101');
  });

  it('names the reseller of a completed CustomerMove', () => {
    expect(effectiveSpec(acme.customerOf('northwind-hosting').build().spec, [], 'southbank-networks').spec.resellerRef).toEqual({ name: 'southbank-networks' });
  });

  it('gives the services the access levels a CustomerMove mapped, at every site; the others keep theirs', () => {
    const two = acme.customerOf('northwind-hosting').withService(SHO, 'internet-100', { accessLevel: 'Premium' }).withService(SHO, 'wifi-secure', { accessLevel: 'Standard' }).withSite(CW, { startDate: '2026-01-01' }).withService(CW, 'internet-100', { accessLevel: 'Premium' });
    const eff = effectiveSpec(two.build().spec, [], 'southbank-networks', { 'internet-100': 'Standard' }).spec;
    expect(eff.sites.flatMap((e) => (e.services ?? []).map((x) => `${e.site} ${x.name} ${x.accessLevel ?? '-'}`))).toEqual([
      `${SHO} internet-100 Standard`,
      `${SHO} wifi-secure Standard`,
      `${CW} internet-100 Standard`,
    ]);
    // Nothing to remap: the sites as they were.
    const same = two.build().spec;
    expect(applyCustomerMove(same, { reseller: 'southbank-networks', accessLevels: { printing: 'Gold' } }).sites).toEqual(same.sites);
    expect(applyCustomerMove(same, undefined)).toBe(same);
  });

  it('does not change its input', () => {
    const before = structuredClone(spec);
    effectiveSpec(spec, [moved]);
    expect(spec).toEqual(before);
  });
});

describe('describeDrift: the fields to change in Git, one human string each', () => {
  it.each<[string, OccupierSpec, OrderEffect[], string[]]>([
    ['no completed orders', spec, [], []],
    [
      'a completed SiteMove with the spec untouched (seed 002 moved to Canary Wharf)',
      spec,
      [movedEffect],
      [
        'spec.sites[0].site: london-shoreditch → london-canary-wharf',
        'spec.sites[0].contract.startDate: 2025-03-01 → 2027-02-01',
        'spec.sites[0].occupancies[space=office-201,movedIn=2025-03-01]: {"space":"office-201","movedIn":"2025-03-01"} → (none)',
        'spec.sites[0].occupancies[space=office-3911,movedIn=2027-02-01]: (none) → {"space":"office-3911","movedIn":"2027-02-01"}',
        'spec.sites[0].numbers[number=+442070460101]: {"number":"+442070460101","main":true} → (none)',
        'spec.sites[0].ports[name=desk-1]: {"name":"desk-1"} → (none)',
        'spec.users[email=ana@acme.example].sites: london-shoreditch → london-canary-wharf',
        'spec.users[email=ana@acme.example].phoneNumber: +442070460101 → (none)',
        'spec.users[email=ben@acme.example].sites: london-shoreditch → london-canary-wharf',
      ],
    ],
    ['Git caught up', caughtUp, [movedEffect], []],
    [
      'Git renamed the site but kept the old contract start: that is left',
      { ...caughtUp, sites: [{ ...destination, contract: { startDate: '2025-03-01', tariff: 'standard-2026' }, services: [{ name: 'internet-100', quantity: 1, accessLevel: 'Standard' }] }] },
      [movedEffect],
      ['spec.sites[0].contract.startDate: 2025-03-01 → 2027-02-01'],
    ],
    [
      'Git added the destination but kept the source',
      { ...caughtUp, sites: [spec.sites[0] as SiteEntry, ...caughtUp.sites] },
      [movedEffect],
      ['spec.sites[0]: london-shoreditch → (none)'],
    ],
    [
      'Git dropped the source before adding the destination',
      { ...caughtUp, sites: [{ site: LEEDS, contract: { startDate: '2025-06-01', tariff: 'standard-2026' } }] },
      [movedEffect],
      [
        'spec.sites[1]: (none) → {"site":"london-canary-wharf","contract":{"startDate":"2027-02-01","tariff":"standard-2026"},"occupancies":[{"space":"office-3911","movedIn":"2027-02-01"}],"services":[{"name":"internet-100","quantity":1,"accessLevel":"Standard"}]}',
      ],
    ],
    [
      'moved there and back again, Git untouched: the new contract start, and the number the first move released',
      spec,
      [movedEffect, { kind: 'SiteMove', name: 'back', from: CW, to: SHO, destination: { ...(spec.sites[0] as SiteEntry), contract: { startDate: '2027-06-01', tariff: 'standard-2026' } } }],
      ['spec.sites[0].contract.startDate: 2025-03-01 → 2027-06-01', 'spec.users[email=ana@acme.example].phoneNumber: +442070460101 → (none)'],
    ],
    ['a completed CustomerMove with resellerRef still the old reseller', acme.customerOf('northwind-hosting').build().spec, [{ kind: 'CustomerMove', name: 'c', toReseller: 'southbank-networks' }], ['spec.resellerRef.name: northwind-hosting → southbank-networks']],
    ['a completed CustomerMove with resellerRef updated', acme.customerOf('southbank-networks').build().spec, [{ kind: 'CustomerMove', name: 'c', toReseller: 'southbank-networks' }], []],
    [
      'a completed CustomerMove that mapped an access level, Git not changed: the reseller and the service',
      acme.customerOf('northwind-hosting').withService(SHO, 'internet-100', { accessLevel: 'Premium' }).build().spec,
      [remapped],
      [
        'spec.sites[0].services[name=internet-100]: {"name":"internet-100","quantity":1,"accessLevel":"Premium"} → {"name":"internet-100","quantity":1,"accessLevel":"Standard"}',
        'spec.resellerRef.name: northwind-hosting → southbank-networks',
      ],
    ],
    [
      'a completed CustomerMove that mapped an access level, Git caught up',
      acme.customerOf('southbank-networks').build().spec,
      [remapped],
      [],
    ],
    ['a completed Decommission (the spec is ignored: Immutable)', spec, [{ kind: 'Decommission', name: 'd' }], []],
  ])('%s', (_name, given, effects, want) => {
    expect(describeDrift(given, effects)).toEqual(want);
  });

  it('a move effect without a destination: the contract from the completion date', () => {
    expect(describeDrift(spec, [{ kind: 'SiteMove', name: 'm', from: SHO, to: CW, tariff: 'standard-2026', completedAt: '2027-02-02T00:00:00Z' }]).slice(0, 2)).toEqual([
      'spec.sites[0].site: london-shoreditch → london-canary-wharf',
      'spec.sites[0].contract.startDate: 2025-03-01 → 2027-02-02',
    ]);
  });
});

describe('completedEffects: Succeeded orders, each move with what it made (planSiteMove)', () => {
  const meta = (name: string) => ({ name, namespace: 'occupiers' });
  const sites = new Map([
    [SHO, site(SHO).withService('internet-100', { Standard: {} }).build()],
    [CW, site(CW).withService('internet-100', { Standard: {} }).withSpace('office-3911').build()],
  ]);
  const move = (name: string, from: string, to: string, startedAt: string, completedAt: string, spaces?: string[]): SiteMoveResource => ({
    apiVersion: API_VERSION,
    kind: 'SiteMove',
    metadata: meta(name),
    spec: siteMoveSpec('acme', from, to, spaces ? { spaces } : {}),
    status: { phase: 'Succeeded', startedAt, completedAt },
  });
  const cm: CustomerMoveResource = { apiVersion: API_VERSION, kind: 'CustomerMove', metadata: meta('cm'), spec: customerMoveSpec('acme', 'southbank-networks'), status: { phase: 'Succeeded', completedAt: '2027-01-15T23:00:00Z' } };
  const waiting: DecommissionResource = { apiVersion: API_VERSION, kind: 'Decommission', metadata: meta('d'), spec: decommissionSpec('acme'), status: { phase: 'Scheduled' } };

  it('recomputes the destination and the ended source contract from the move instant', () => {
    const effects = completedEffects(spec, [move('to-canary', SHO, CW, '2027-02-01T18:00:00Z', '2027-02-01T18:05:00Z', ['office-3911']), cm, waiting], (n) => sites.get(n));
    expect(effects.map((e) => `${e.kind} ${e.name}`)).toEqual(['CustomerMove cm', 'SiteMove to-canary']);
    const e = effects[1];
    if (e?.kind !== 'SiteMove') throw new Error('want a SiteMove effect');
    expect(e.ended).toEqual({ startDate: '2025-03-01', endDate: '2027-02-01' });
    expect(e.destination).toEqual(destination);
    expect(describeDrift(spec, effects)).toContain('spec.resellerRef.name: (none) → southbank-networks');
  });

  it('a CustomerMove carries the access levels its servicePlanMappings chose; later moves win', () => {
    const mapped = (name: string, completedAt: string, servicePlanMappings: { service: string; accessLevel: string }[]): CustomerMoveResource => ({
      ...cm,
      metadata: meta(name),
      spec: customerMoveSpec('acme', 'southbank-networks', { servicePlanMappings }),
      status: { phase: 'Succeeded', completedAt },
    });
    const effects = completedEffects(
      spec,
      [mapped('second', '2027-03-01T00:00:00Z', [{ service: 'internet-100', accessLevel: 'Gold' }]), mapped('first', '2027-02-01T00:00:00Z', [{ service: 'internet-100', accessLevel: 'Standard' }, { service: 'wifi-secure', accessLevel: 'Standard' }]), cm],
      (n) => sites.get(n),
    );
    expect(effects.map((e) => [e.name, (e as CustomerMoveEffect).accessLevels])).toEqual([
      ['cm', undefined],
      ['first', { 'internet-100': 'Standard', 'wifi-secure': 'Standard' }],
      ['second', { 'internet-100': 'Gold' }],
    ]);
    expect(accessLevelsOf(effects)).toEqual({ 'internet-100': 'Gold', 'wifi-secure': 'Standard' });
  });

  it('plans a later move from where the earlier one left the occupier', () => {
    const effects = completedEffects(
      spec,
      [move('back', CW, SHO, '2027-06-01T09:00:00Z', '2027-06-01T10:00:00Z'), move('to-canary', SHO, CW, '2027-02-01T18:00:00Z', '2027-02-01T18:05:00Z', ['office-3911'])],
      (n) => sites.get(n),
    );
    const back = effects[1];
    if (back?.kind !== 'SiteMove') throw new Error('want a SiteMove effect');
    expect(back.ended).toEqual({ startDate: '2027-02-01', endDate: '2027-06-01' });
    expect(back.destination?.contract).toEqual({ startDate: '2027-06-01', tariff: 'standard-2026' });
    expect(back.destination?.services?.map((s) => s.name)).toEqual(['internet-100']);
  });
});
