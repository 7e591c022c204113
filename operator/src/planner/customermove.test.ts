import { describe, expect, it } from 'vitest';
import { example } from '../../../test/support/examples.ts';
import { CustomerMove, Occupier, parseResource, plan as planSchema, Site } from '../api/index.ts';
import type { OccupierResource, SiteResource } from '../api/index.ts';
import { planCustomerMove } from './index.ts';
import type { CustomerMoveInput, CustomerMovePlan } from './index.ts';
import { customerMoveSpec, occupier, site } from './fixtures.ts';

const SHO = 'london-shoreditch';
const CW = 'london-canary-wharf';
const MAN = 'manchester-spinningfields';
const sites = [
  site(SHO)
    .withService('internet-100', { Standard: { bandwidthMbps: '100' }, Premium: { bandwidthMbps: '100', staticIp: 'true' } })
    .withService('wifi-secure', { Standard: { devicesPerUser: '3' } })
    .build(),
  site(CW)
    .withService('internet-100', { Standard: { bandwidthMbps: '100' }, Premium: { bandwidthMbps: '100', staticIp: 'true' } })
    .withService('wifi-secure', { Standard: { devicesPerUser: '3' } })
    .build(),
  site(MAN).location('manchester').withService('internet-100', { Standard: { bandwidthMbps: '100' } }).build(),
];

const customer = occupier('pixel-labs')
  .customerOf('northwind-hosting')
  .withSite(SHO, { startDate: '2025-02-01' })
  .withService(SHO, 'internet-100', { accessLevel: 'Premium' })
  .withService(SHO, 'wifi-secure', { accessLevel: 'Standard', quantity: 5 })
  .withUser('dev@pixel-labs.example')
  .withUser('ops@pixel-labs.example');
const southbank = occupier('southbank-networks')
  .reseller()
  .withSite(CW, { startDate: '2024-05-01' })
  .withService(CW, 'internet-100', { accessLevel: 'Standard' })
  .withService(CW, 'wifi-secure', { accessLevel: 'Standard' });
const northwind = occupier('northwind-hosting').reseller().withSite(SHO, { startDate: '2024-01-01' });

function move(over: Partial<CustomerMoveInput> = {}, spec = customerMoveSpec('pixel-labs', 'southbank-networks', { servicePlanMappings: [{ service: 'internet-100', accessLevel: 'Standard' }] })): CustomerMovePlan {
  return planCustomerMove({ customer: customer.build(), fromReseller: northwind.build(), toReseller: southbank.build(), sites, order: { spec }, ...over });
}
const reasons = (p: CustomerMovePlan): string[] => p.blocked.map((b) => b.reason);

describe('customer move rules (seed 003), one case per sentence', () => {
  it('a customer with every service and SAL accounted for moves', () => {
    expect(move().blocked).toEqual([]);
  });

  it('"A reseller customer cannot be moved."', () => {
    const reseller = occupier('northwind-hosting').reseller().withSite(SHO, { startDate: '2024-01-01' });
    expect(reasons(move({ customer: reseller.build(), fromReseller: undefined }))).toContain('ResellerCannotMove');
  });

  describe('"The customer can be moved to a reseller customer in the same location only."', () => {
    it.each([
      ['a reseller at another site of the same location (london)', CW, []],
      ['a reseller in manchester', MAN, ['LocationMismatch']],
    ])('%s', (_name, at, want) => {
      const reseller = occupier('southbank-networks')
        .reseller()
        .withSite(at, { startDate: '2024-05-01' })
        .withService(at, 'internet-100', { accessLevel: 'Standard' })
        .withService(at, 'wifi-secure', { accessLevel: 'Standard' });
      expect(reasons(move({ toReseller: reseller.build() }))).toEqual(want);
    });

    it('names the locations', () => {
      const reseller = southbank.withSite(MAN, { startDate: '2024-05-01' });
      expect(reasons(move({ toReseller: reseller.build() }))).toEqual([]); // present in london too
      const only = occupier('southbank-networks').reseller().withSite(MAN, { startDate: '2024-05-01' }).withService(MAN, 'internet-100', { accessLevel: 'Standard' }).withService(MAN, 'wifi-secure', { accessLevel: 'Standard' });
      const [f] = move({ toReseller: only.build() }).blocked;
      expect(f).toEqual({
        reason: 'LocationMismatch',
        message: 'southbank-networks is in manchester, not in london; customers move to resellers in the same location only',
        items: ['london'],
      });
    });
  });

  it('"The reseller must be able to provision all services that the moved customer has provisioned."', () => {
    const c = customer.withService(SHO, 'hosted-voice').withService(SHO, 'printing');
    const p = move({ customer: c.build() });
    expect(p.blocked).toEqual([
      { reason: 'ServiceNotOffered', message: 'southbank-networks does not have these services provisioned: hosted-voice, printing', items: ['hosted-voice', 'printing'] },
    ]);
    expect(p.plan.unmatched).toEqual(['hosted-voice', 'printing']);
  });

  describe('"the Services Manager detects matching access levels for each service"', () => {
    it('matched by name: Standard ↔ Standard', () => {
      const w = move().services.find((s) => s.service === 'wifi-secure');
      expect(w).toEqual({ site: SHO, service: 'wifi-secure', fromAccessLevel: 'Standard', toAccessLevel: 'Standard', match: 'Name', properties: { devicesPerUser: '3' }, overridden: false });
    });

    it('"Any SAL that cannot be matched" blocks the move until mapped, listing service/level', () => {
      const p = move({}, customerMoveSpec('pixel-labs', 'southbank-networks'));
      expect(p.blocked).toEqual([
        {
          reason: 'UnmatchedAccessLevels',
          message: 'access levels with no match at southbank-networks: internet-100/Premium; map them in spec.servicePlanMappings',
          items: ['internet-100/Premium'],
        },
      ]);
      expect(p.plan.unmatched).toEqual(['internet-100/Premium']);
      expect(p.plan.items.find((i) => i.name === 'internet-100')?.action).toBe('Unmatched');
    });

    it('a customer service with no access level does not match a reseller one that has one', () => {
      const c = customer.withService(SHO, 'wifi-secure', { quantity: 5 });
      expect(move({ customer: c.build() }).blocked[0]?.items).toEqual(['wifi-secure/(none)']);
    });

    it('"is displayed as an editable or selectable field": an explicit servicePlanMappings entry resolves it', () => {
      const i = move().services.find((s) => s.service === 'internet-100');
      expect(i).toMatchObject({ fromAccessLevel: 'Premium', toAccessLevel: 'Standard', match: 'Mapping' });
    });

    it('a mapping to an access level the reseller does not have is refused', () => {
      const p = move({}, customerMoveSpec('pixel-labs', 'southbank-networks', { servicePlanMappings: [{ service: 'internet-100', accessLevel: 'Gold' }] }));
      expect(reasons(p)).toEqual(['UnknownMappedAccessLevel']);
      expect(p.blocked[0]?.items).toEqual(['internet-100/Gold']);
    });
  });

  it('"If the SAL changes ... and no service properties are overridden, the moved customer\'s users inherit the new SAL properties"', () => {
    const i = move().services.find((s) => s.service === 'internet-100');
    // Premium had staticIp=true; Standard has only the bandwidth.
    expect(i?.properties).toEqual({ bandwidthMbps: '100' });
    expect(i?.overridden).toBe(false);
  });

  it('"If service properties are changed or overridden, the moved customer\'s users inherit the new, changed service properties"', () => {
    const spec = customerMoveSpec('pixel-labs', 'southbank-networks', {
      servicePlanMappings: [{ service: 'internet-100', accessLevel: 'Standard' }],
      accessLevelOverrides: [{ service: 'internet-100', properties: { staticIp: 'true', bandwidthMbps: '200' } }],
    });
    const i = move({}, spec).services.find((s) => s.service === 'internet-100');
    expect(i?.properties).toEqual({ bandwidthMbps: '200', staticIp: 'true' });
    expect(i?.overridden).toBe(true);
    expect(move({}, spec).plan.items.find((x) => x.name === 'internet-100')?.detail).toBe(
      'access level Premium → Standard (servicePlanMappings); users get bandwidthMbps=200, staticIp=true (overridden)',
    );
  });

  it.each([
    ['the destination does not exist', { toReseller: undefined }, ['ResellerNotFound']],
    ['the destination is not a reseller', { toReseller: occupier('acme-design').withSite(CW, { startDate: '2024-01-01' }).withService(CW, 'internet-100', { accessLevel: 'Standard' }).withService(CW, 'wifi-secure', { accessLevel: 'Standard' }).build() }, ['NotAReseller']],
    ['the occupier is not anyone\'s customer', { customer: occupier('pixel-labs').withSite(SHO, { startDate: '2025-02-01' }).build(), fromReseller: undefined }, ['NotACustomer']],
    ['already a customer of the destination', { customer: customer.customerOf('southbank-networks').build(), fromReseller: undefined }, ['AlreadyWithReseller']],
    ['a site of the customer has no Site object', { sites: sites.filter((s) => s.metadata.name !== SHO) }, ['SiteNotFound']],
  ] as const)('%s', (_name, over, want) => {
    expect(reasons(move(over as Partial<CustomerMoveInput>))).toEqual(want);
  });

  it('moves every user and fits CustomerMove status.plan', () => {
    const p = move();
    // "the moved customer's users inherit the new SAL properties": each user item says which.
    expect(p.plan.items.filter((i) => i.kind === 'User').map((i) => i.detail)).toEqual([
      'moves with pixel-labs from northwind-hosting to southbank-networks; inherits internet-100: Standard (bandwidthMbps=100), wifi-secure: Standard (devicesPerUser=3)',
      'moves with pixel-labs from northwind-hosting to southbank-networks; inherits internet-100: Standard (bandwidthMbps=100), wifi-secure: Standard (devicesPerUser=3)',
    ]);
    expect(p.plan.summary).toBe('Move 5, Remap 1');
    expect(() => planSchema.parse(p.plan)).not.toThrow();
  });

  it('"Progress shows as provisioning requests": billing, directory, services, then users, per customer site', () => {
    const p = move();
    expect(p.steps.map((s) => `${s.site} ${s.step}: ${s.items.map((i) => `${i.name} ${i.action}`).join(', ')}`)).toEqual([
      'london-shoreditch billing: pixel-labs Move',
      'london-shoreditch directory: pixel-labs Move',
      'london-shoreditch services: internet-100 Remap, wifi-secure Move',
      'london-shoreditch users: dev@pixel-labs.example Move, ops@pixel-labs.example Move',
    ]);
    expect(p.steps.every((st) => st.items.every((i) => i.site === SHO))).toBe(true);
    expect(p.steps[0]?.items[0]?.detail).toBe('billing of pixel-labs at london-shoreditch moves from northwind-hosting to southbank-networks');
    expect(p.fromReseller).toBe('northwind-hosting');
  });

  it('what users inherit, per site and service (matched, mapped, overridden)', () => {
    const spec = customerMoveSpec('pixel-labs', 'southbank-networks', {
      servicePlanMappings: [{ service: 'internet-100', accessLevel: 'Standard' }],
      accessLevelOverrides: [{ service: 'wifi-secure', properties: { devicesPerUser: '5' } }],
    });
    expect(move({}, spec).inherits).toEqual({
      [SHO]: {
        'internet-100': { accessLevel: 'Standard', properties: { bandwidthMbps: '100' }, overridden: false },
        'wifi-secure': { accessLevel: 'Standard', properties: { devicesPerUser: '5' }, overridden: true },
      },
    });
    expect(move({}, spec).plan.items.find((i) => i.kind === 'User')?.detail).toMatch(/wifi-secure: Standard overridden \(devicesPerUser=5\)$/);
  });

  it('a mapping the reseller has but the customer\'s site catalog does not offer is refused (the Occupier controller could not provision it)', () => {
    const sb = southbank.withService(CW, 'internet-100', { accessLevel: 'Gold' });
    const cw = site(CW).withService('internet-100', { Standard: {}, Gold: { bandwidthMbps: '1000' } }).withService('wifi-secure', { Standard: {} }).build();
    const p = move(
      { toReseller: sb.build(), sites: [sites[0] as SiteResource, cw] },
      customerMoveSpec('pixel-labs', 'southbank-networks', { servicePlanMappings: [{ service: 'internet-100', accessLevel: 'Gold' }] }),
    );
    expect(p.blocked).toEqual([
      {
        reason: 'UnknownMappedAccessLevel',
        message: 'servicePlanMappings name access levels the site catalog does not offer: internet-100/Gold at london-shoreditch',
        items: ['internet-100/Gold at london-shoreditch'],
      },
    ]);
    expect(p.plan.items.find((i) => i.name === 'internet-100')?.detail).toMatch(/servicePlanMappings names Gold, which the catalog of london-shoreditch does not offer/);
  });
});

describe('the example estate: pixel-labs from northwind-hosting to southbank-networks', () => {
  const occ = (n: string): OccupierResource => parseResource(Occupier, example('Occupier', n)) as OccupierResource;
  const estate: SiteResource[] = [SHO, CW, MAN].map((n) => parseResource(Site, example('Site', n)) as SiteResource);
  const order = parseResource(CustomerMove, example('CustomerMove', 'pixel-labs-to-southbank'));

  it('is not blocked, internet-100 is mapped Premium → Standard, wifi-secure matched by name', () => {
    const p = planCustomerMove({ customer: occ('pixel-labs'), fromReseller: occ('northwind-hosting'), toReseller: occ('southbank-networks'), sites: estate, order });
    expect(p.blocked).toEqual([]);
    expect(p.services.map((s) => `${s.service} ${s.fromAccessLevel ?? '-'}→${s.toAccessLevel ?? '-'} ${s.match}`)).toEqual([
      'internet-100 Premium→Standard Mapping',
      'wifi-secure Standard→Standard Name',
    ]);
  });

  it('without the mapping it would be blocked on internet-100/Premium (the comment in the example)', () => {
    const spec = { ...order.spec };
    delete spec.servicePlanMappings;
    const p = planCustomerMove({ customer: occ('pixel-labs'), toReseller: occ('southbank-networks'), sites: estate, order: { spec } });
    expect(p.blocked.map((b) => b.items)).toEqual([['internet-100/Premium']]);
  });
});
