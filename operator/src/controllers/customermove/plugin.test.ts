import { describe, expect, it } from 'vitest';
import { SimulatedBackend, SimulatedDriver } from '../../../../drivers/src/simulated/index.ts';
import { siteContext } from '../../../../drivers/src/contract.ts';
import { API_VERSION } from '../../api/index.ts';
import type { CustomerMoveResource, CustomerMoveSpec, OccupierResource, Operation, OrderPhase, SiteResource } from '../../api/index.ts';
import { applyCustomerMove } from '../../planner/effective.ts';
import { customerMoveSpec, occupier, site } from '../../planner/fixtures.ts';
import { itemId, planProvisioning } from '../../planner/provision.ts';
import type { ReconcileContext } from '../../runtime/index.ts';
import { executeItems } from '../execute.ts';
import type { DriverResolver } from '../execute.ts';
import type { GatherEnv, PlannedStep } from '../orders/plugin.ts';
import { customerMoveOps, customerMovePlugin, provisionedOnly } from './plugin.ts';
import type { CustomerMoveGathered } from './plugin.ts';

// --- fixtures: the manual's case, pixel-labs (Shoreditch) from northwind to southbank ---------

const SHO = 'london-shoreditch';
const CW = 'london-canary-wharf';
const MAN = 'manchester-spinningfields';
const ID = 'occupiers/pixel-labs';
const SOUTHBANK = 'occupiers/southbank-networks';
const NOW = new Date('2027-01-15T10:00:00Z');

const internet = { Standard: { bandwidthMbps: '100' }, Premium: { bandwidthMbps: '100', staticIp: 'true' } };
const shoreditch = site(SHO).withSpace('office-202').withService('internet-100', internet).withService('wifi-secure', { Standard: { devicesPerUser: '3' } }).withService('hosted-voice', { Standard: { international: 'false' } }).build();
const canary = site(CW).withService('internet-100', internet).withService('wifi-secure', { Standard: { devicesPerUser: '3' } }).build();
const manchester = site(MAN).location('manchester').withService('internet-100', { Standard: { bandwidthMbps: '100' } }).withService('wifi-secure', { Standard: {} }).build();
const SITES = [shoreditch, canary, manchester];

const pixel = occupier('pixel-labs')
  .customerOf('northwind-hosting')
  .withSite(SHO, { startDate: '2025-02-01' })
  .withOccupancy(SHO, 'office-202', '2025-02-01')
  .withService(SHO, 'internet-100', { accessLevel: 'Premium' })
  .withService(SHO, 'wifi-secure', { accessLevel: 'Standard', quantity: 5 })
  .withNumber(SHO, '+442070460201', true)
  .withUser('dev@pixel-labs.example')
  .withUser('ops@pixel-labs.example', { cardId: '2B2B2B2B', accessGroups: ['floor-2'] });
const northwind = occupier('northwind-hosting').reseller().withSite(SHO, { startDate: '2024-01-01' }).withService(SHO, 'internet-100', { accessLevel: 'Premium' }).withService(SHO, 'wifi-secure', { accessLevel: 'Standard' });
const southbank = occupier('southbank-networks').reseller().withSite(CW, { startDate: '2024-05-01' }).withService(CW, 'internet-100', { accessLevel: 'Standard' }).withService(CW, 'wifi-secure', { accessLevel: 'Standard' });

const MAPPED = { servicePlanMappings: [{ service: 'internet-100', accessLevel: 'Standard' }] };
const spec = (o: Partial<CustomerMoveSpec> = MAPPED, to = 'southbank-networks'): CustomerMoveSpec => customerMoveSpec('pixel-labs', to, o);
function customerMove(s: CustomerMoveSpec, o: { phase?: OrderPhase; completedAt?: string } = {}): CustomerMoveResource {
  const status = o.phase ? { phase: o.phase, ...(o.completedAt ? { completedAt: o.completedAt } : {}) } : undefined;
  return { apiVersion: API_VERSION, kind: 'CustomerMove', metadata: { name: 'pixel-to-southbank', namespace: 'occupiers' }, spec: s, ...(status ? { status } : {}) };
}

const byKey = (...os: OccupierResource[]): Map<string, OccupierResource> => new Map(os.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
const estate = byKey(pixel.build(), northwind.build(), southbank.build());
const plugin = customerMovePlugin({ occupiers: { get: (k) => estate.get(k) } });
const sitesOf = (...names: string[]): Map<string, SiteResource> => new Map(SITES.filter((s) => names.includes(s.metadata.name ?? '')).map((s) => [s.metadata.name ?? '', s]));
const gathered = (o: Partial<CustomerMoveGathered> = {}): CustomerMoveGathered => ({ toReseller: southbank.build(), fromReseller: northwind.build(), sites: sitesOf(SHO, CW), ...o });

const opLine = (o: Operation): string => `${o.op} ${o.capability}/${o.type}/${o.key}`;
const stepTable = (ss: PlannedStep[]): [string, string, string[]][] => ss.map((s) => [s.site, s.step, s.items.flatMap((i) => i.ops ?? []).map(opLine)]);
const steps = (s: CustomerMoveSpec = spec(), g = gathered(), c = pixel.build()): PlannedStep[] => plugin.plan(customerMove(s), c, g, NOW).steps;
const opsOf = (ss: PlannedStep[], step: string): Operation[] => ss.filter((s) => s.step === step).flatMap((s) => s.items.flatMap((i) => i.ops ?? []));

// --- prerequisites ------------------------------------------------------------------------

describe('CustomerMove prerequisites (seed 003, SPEC §2): each its own reason, every unmet one listed', () => {
  const reasons = (s: CustomerMoveSpec, g: CustomerMoveGathered, c: OccupierResource = pixel.build()): string[] => plugin.prerequisites(customerMove(s), c, g, NOW).map((f) => f.reason);
  const inManchester = occupier('southbank-networks').reseller().withSite(MAN, { startDate: '2024-05-01' }).withService(MAN, 'internet-100', { accessLevel: 'Standard' }).withService(MAN, 'wifi-secure', { accessLevel: 'Standard' });

  it.each<[string, Partial<CustomerMoveSpec>, Partial<CustomerMoveGathered>, OccupierResource | undefined, string[]]>([
    ['a customer with every service and SAL accounted for', MAPPED, {}, undefined, []],
    ['"A reseller customer cannot be moved."', MAPPED, { fromReseller: undefined }, northwind.build(), ['ResellerCannotMove']],
    ['the occupier is nobody\'s customer', MAPPED, { fromReseller: undefined }, occupier('pixel-labs').withSite(SHO, { startDate: '2025-02-01' }).build(), ['NotACustomer']],
    ['the destination does not exist', MAPPED, { toReseller: undefined }, undefined, ['ResellerNotFound']],
    ['the destination is not a reseller', MAPPED, { toReseller: occupier('southbank-networks').withSite(CW, { startDate: '2024-05-01' }).withService(CW, 'internet-100', { accessLevel: 'Standard' }).withService(CW, 'wifi-secure', { accessLevel: 'Standard' }).build() }, undefined, ['NotAReseller']],
    ['already a customer of the destination', MAPPED, { fromReseller: undefined }, pixel.customerOf('southbank-networks').build(), ['AlreadyWithReseller']],
    ['"in the same location only": a reseller in manchester', MAPPED, { toReseller: inManchester.build(), sites: sitesOf(SHO, MAN) }, undefined, ['LocationMismatch']],
    ['"must already have the same services provisioned": hosted-voice missing', MAPPED, {}, pixel.withService(SHO, 'hosted-voice', { accessLevel: 'Standard' }).build(), ['ServiceNotOffered']],
    ['"Any SAL that cannot be matched": internet-100/Premium with no mapping', {}, {}, undefined, ['UnmatchedAccessLevels']],
    ['a mapping to a level the reseller lacks', { servicePlanMappings: [{ service: 'internet-100', accessLevel: 'Gold' }] }, {}, undefined, ['UnknownMappedAccessLevel']],
    ['a Site of the customer is gone', MAPPED, { sites: sitesOf(CW) }, undefined, ['SiteNotFound']],
    ['the occupier is decommissioned', MAPPED, {}, pixel.phase('Decommissioned').build(), ['OccupierDecommissioned']],
    ['its decommission is running', MAPPED, {}, pixel.phase('DecommissionPending').build(), ['OccupierDecommissioned']],
    ['its decommission failed', MAPPED, {}, pixel.phase('DecommissionFailed').build(), ['OccupierDecommissioned']],
    ['the destination is being decommissioned', MAPPED, { toReseller: southbank.phase('DecommissionPending').build() }, undefined, ['ResellerDecommissioned']],
    ['a move already scheduled is the engine\'s to block (ConflictingOrder)', MAPPED, {}, pixel.phase('MoveScheduled').build(), []],
    [
      'several at once: all listed',
      {},
      { toReseller: inManchester.withService(MAN, 'internet-100', { accessLevel: 'Basic' }).build(), sites: sitesOf(SHO, MAN) },
      pixel.withService(SHO, 'hosted-voice').phase('DecommissionFailed').build(),
      ['LocationMismatch', 'ServiceNotOffered', 'UnmatchedAccessLevels', 'OccupierDecommissioned'],
    ],
  ])('%s', (_name, s, g, c, want) => {
    expect(reasons(spec(s), gathered(g), c)).toEqual(want);
  });

  it('LocationMismatch names both locations; ServiceNotOffered and UnmatchedAccessLevels list what they are about', () => {
    const failures = plugin.prerequisites(
      customerMove(spec({})),
      pixel.withService(SHO, 'hosted-voice', { accessLevel: 'Standard' }).build(),
      gathered({ toReseller: inManchester.build(), sites: sitesOf(SHO, MAN) }),
      NOW,
    );
    expect(failures).toEqual([
      { reason: 'LocationMismatch', message: 'southbank-networks is in manchester, not in london; customers move to resellers in the same location only', items: ['london'] },
      { reason: 'ServiceNotOffered', message: 'southbank-networks does not have these services provisioned: hosted-voice', items: ['hosted-voice'] },
      { reason: 'UnmatchedAccessLevels', message: 'access levels with no match at southbank-networks: internet-100/Premium; map them in spec.servicePlanMappings', items: ['internet-100/Premium'] },
    ]);
  });

  it('UnknownMappedAccessLevel lists service/level; the review shows it as unmatched', () => {
    const order = customerMove(spec({ servicePlanMappings: [{ service: 'internet-100', accessLevel: 'Gold' }] }));
    expect(plugin.prerequisites(order, pixel.build(), gathered(), NOW)).toEqual([
      { reason: 'UnknownMappedAccessLevel', message: 'servicePlanMappings name access levels southbank-networks does not have: internet-100/Gold', items: ['internet-100/Gold'] },
    ]);
    expect(plugin.plan(order, pixel.build(), gathered(), NOW).unmatched).toEqual(['internet-100/Gold']);
  });

  it('the decommission messages name the phase', () => {
    expect(plugin.prerequisites(customerMove(spec()), pixel.phase('Decommissioned').build(), gathered({ toReseller: southbank.phase('Decommissioned').build() }), NOW).map((f) => f.message)).toEqual([
      'occupier pixel-labs is Decommissioned: it cannot move',
      'reseller southbank-networks is Decommissioned: it takes no customers',
    ]);
  });
});

describe('what the destination reseller has provisioned (its spec, as its status shows it)', () => {
  const withStatus = (o: OccupierResource, status: OccupierResource['status']): OccupierResource => (status ? { ...o, status } : o);
  it.each<[string, OccupierResource['status'], string[]]>([
    ['no status yet: the spec counts', undefined, [`${CW}: internet-100, wifi-secure`]],
    ['services Active or still provisioning count', { sites: [{ site: CW, contract: { status: 'Active', startDate: '2024-05-01' }, services: [{ name: 'internet-100', quantity: 4, state: 'Provisioning' }, { name: 'wifi-secure', quantity: 4, state: 'Active' }] }] }, [`${CW}: internet-100, wifi-secure`]],
    ['a Failed or Inactive service does not', { sites: [{ site: CW, contract: { status: 'Active', startDate: '2024-05-01' }, services: [{ name: 'internet-100', quantity: 4, state: 'Failed' }, { name: 'wifi-secure', quantity: 4, state: 'Inactive' }] }] }, [`${CW}: `]],
    ['a site whose contract ended is not where the reseller is', { sites: [{ site: CW, contract: { status: 'Completed', startDate: '2024-05-01', endDate: '2026-12-31' } }] }, []],
    ['nor one whose contract has not begun', { sites: [{ site: CW, contract: { status: 'Upcoming', startDate: '2028-01-01' } }] }, []],
  ])('%s', (_name, status, want) => {
    const seen = provisionedOnly(withStatus(southbank.build(), status));
    expect(seen.spec.sites.map((e) => `${e.site}: ${(e.services ?? []).map((s) => s.name).join(', ')}`)).toEqual(want);
  });

  it('a Failed service at the reseller blocks the move (ServiceNotOffered), an ended site LocationMismatch', async () => {
    const failing = { ...southbank.build(), status: { sites: [{ site: CW, contract: { status: 'Active' as const, startDate: '2024-05-01' }, services: [{ name: 'wifi-secure', quantity: 40, state: 'Failed' as const }] }] } };
    const ended = { ...southbank.build(), status: { sites: [{ site: CW, contract: { status: 'Completed' as const, startDate: '2024-05-01', endDate: '2026-12-31' } }] } };
    for (const [reseller, want] of [[failing, ['ServiceNotOffered']], [ended, ['LocationMismatch', 'ServiceNotOffered']]] as const) {
      const p = customerMovePlugin({ occupiers: { get: (k) => byKey(pixel.build(), northwind.build(), reseller).get(k) } });
      const g = await p.gather(customerMove(spec()), pixel.build(), world().env);
      expect(p.prerequisites(customerMove(spec()), pixel.build(), g, NOW).map((f) => f.reason)).toEqual(want);
    }
  });
});

// --- plan and ops -----------------------------------------------------------------------

describe('steps and ops per customer site (billing, directory, services, users; typed ops fixed now)', () => {
  it('the manual\'s case: every step, its operations', () => {
    expect(stepTable(steps())).toEqual([
      [SHO, 'billing', [`ensure billing/customer/${ID}`]],
      [SHO, 'directory', [`ensure directory/customer/${ID}`]],
      [SHO, 'services', [`ensure billing/service/${ID}/internet-100`, `ensure billing/service/${ID}/wifi-secure`]],
      [SHO, 'users', ['ensure directory/entitlements/dev@pixel-labs.example', 'ensure directory/entitlements/ops@pixel-labs.example']],
    ]);
  });

  it('billing and directory move the customer under the new reseller (identities: namespace/name)', () => {
    const ss = steps();
    expect([...opsOf(ss, 'billing'), ...opsOf(ss, 'directory')].map((o) => o.spec)).toEqual([
      { occupier: ID, reseller: SOUTHBANK },
      { occupier: ID, reseller: SOUTHBANK },
    ]);
  });

  it('services: exactly planProvisioning\'s items for the spec after the move (the Occupier controller\'s ensures are then no-ops)', () => {
    const after = applyCustomerMove(pixel.build().spec, { reseller: 'southbank-networks', accessLevels: { 'internet-100': 'Standard' } });
    const want = planProvisioning({ identity: ID, spec: after, sites: new Map([[SHO, shoreditch.spec]]), now: NOW }).sites[0]?.items.filter((i) => i.type === 'service') ?? [];
    expect(opsOf(steps(), 'services')).toEqual(want.map((i) => ({ op: 'ensure', capability: i.capability, type: i.type, key: i.key, spec: i.spec })));
    expect(opsOf(steps(), 'services').map((o) => [o.key, o.spec?.['accessLevel']])).toEqual([
      [`${ID}/internet-100`, 'Standard'],
      [`${ID}/wifi-secure`, 'Standard'],
    ]);
  });

  describe('what users inherit (the manual\'s two cases)', () => {
    it('"no service properties are overridden": the new SAL\'s properties', () => {
      expect(opsOf(steps(), 'users')[0]).toEqual({
        op: 'ensure',
        capability: 'directory',
        type: 'entitlements',
        key: 'dev@pixel-labs.example',
        spec: {
          occupier: ID,
          email: 'dev@pixel-labs.example',
          // Premium had staticIp=true; Standard has only the bandwidth.
          services: { 'internet-100': { accessLevel: 'Standard', properties: { bandwidthMbps: '100' } }, 'wifi-secure': { accessLevel: 'Standard', properties: { devicesPerUser: '3' } } },
        },
      });
    });

    it('"service properties are changed or overridden": the changed properties', () => {
      const s = spec({ ...MAPPED, accessLevelOverrides: [{ service: 'internet-100', properties: { staticIp: 'true', bandwidthMbps: '200' } }] });
      expect(opsOf(steps(s), 'users')[1]?.spec?.['services']).toEqual({
        'internet-100': { accessLevel: 'Standard', properties: { bandwidthMbps: '200', staticIp: 'true' } },
        'wifi-secure': { accessLevel: 'Standard', properties: { devicesPerUser: '3' } },
      });
    });
  });

  it('the review: per service SAL before → after and how (matched, mapped, overridden); per user what they inherit', () => {
    const s = spec({ ...MAPPED, accessLevelOverrides: [{ service: 'wifi-secure', properties: { devicesPerUser: '5' } }] });
    const plan = plugin.plan(customerMove(s), pixel.build(), gathered(), NOW);
    const items = plan.steps.flatMap((st) => st.items);
    expect(items.map((i) => `${i.step} ${i.kind} ${i.name} ${i.action}: ${i.detail ?? ''}`)).toEqual([
      'billing Contract pixel-labs Move: billing of pixel-labs at london-shoreditch moves from northwind-hosting to southbank-networks',
      'directory Access pixel-labs Move: directory of pixel-labs at london-shoreditch (portal and users) moves from northwind-hosting to southbank-networks',
      'services Service internet-100 Remap: access level Premium → Standard (servicePlanMappings); users get bandwidthMbps=100',
      'services Service wifi-secure Remap: access level Standard → Standard (matched by name); users get devicesPerUser=5 (overridden)',
      'users User dev@pixel-labs.example Move: moves with pixel-labs from northwind-hosting to southbank-networks; inherits internet-100: Standard (bandwidthMbps=100), wifi-secure: Standard overridden (devicesPerUser=5)',
      'users User ops@pixel-labs.example Move: moves with pixel-labs from northwind-hosting to southbank-networks; inherits internet-100: Standard (bandwidthMbps=100), wifi-secure: Standard overridden (devicesPerUser=5)',
    ]);
    expect(plan.summary).toBe('Move 4, Remap 2');
    expect(plan.unmatched).toEqual([]);
  });

  it('matched by name and not overridden: Move', () => {
    const items = steps().flatMap((s) => s.items);
    expect(items.find((i) => i.name === 'wifi-secure')).toMatchObject({ action: 'Move', detail: 'access level Standard → Standard (matched by name); users get devicesPerUser=3' });
  });

  it('"Nothing about sites, network or numbers changes": only the customer, its services and its users\' properties are touched', () => {
    const ops = steps().flatMap((s) => s.items.flatMap((i) => i.ops ?? []));
    expect([...new Set(ops.map((o) => `${o.op} ${o.capability}/${o.type}`))].sort()).toEqual([
      'ensure billing/customer',
      'ensure billing/service',
      'ensure directory/customer',
      'ensure directory/entitlements',
    ]);
  });

  it('every site of the customer gets its steps; users at the sites they have access to', () => {
    const two = pixel.withSite(CW, { startDate: '2026-01-01' }).withService(CW, 'internet-100', { accessLevel: 'Standard' }).withUser('cw@pixel-labs.example', { sites: [CW] });
    const table = stepTable(steps(spec(), gathered(), two.build()));
    expect(table.map(([s, step]) => `${s} ${step}`)).toEqual([
      `${SHO} billing`, `${SHO} directory`, `${SHO} services`, `${SHO} users`,
      `${CW} billing`, `${CW} directory`, `${CW} services`, `${CW} users`,
    ]);
    expect(table[7]?.[2]).toEqual(['ensure directory/entitlements/cw@pixel-labs.example']);
    const cwUser = opsOf(steps(spec(), gathered(), two.build()), 'users').find((o) => o.key === 'cw@pixel-labs.example');
    expect(cwUser?.spec?.['services']).toEqual({ 'internet-100': { accessLevel: 'Standard', properties: { bandwidthMbps: '100' } } });
  });

  it('a site whose contract has not begun: its users get nothing yet (they have no accounts there either)', () => {
    const later = pixel.withSite(CW, { startDate: '2027-06-01' }).withUser('cw@pixel-labs.example', { sites: [CW] });
    const table = stepTable(steps(spec(), gathered(), later.build()));
    expect(table.find(([s, step]) => s === CW && step === 'users')?.[2]).toEqual([]);
    expect(table.find(([s, step]) => s === CW && step === 'billing')?.[2]).toEqual([`ensure billing/customer/${ID}`]);
  });

  it('while blocked the review still says what is unmatched; unmatched services carry no operation', () => {
    const plan = plugin.plan(customerMove(spec({})), pixel.build(), gathered(), NOW);
    expect(plan.unmatched).toEqual(['internet-100/Premium']);
    expect(plan.steps.find((s) => s.step === 'services')?.items.map((i) => [i.name, i.action, (i.ops ?? []).length])).toEqual([
      ['internet-100', 'Unmatched', 0],
      ['wifi-secure', 'Move', 1],
    ]);
  });

  it('the example estate (examples/): one site, two services, two users; everything fits status.plan', () => {
    const r = customerMoveOps(customerMove(spec()), pixel.build(), gathered(), NOW);
    expect([r.identity, r.reseller, r.move.blocked]).toEqual([ID, SOUTHBANK, []]);
    for (const s of r.steps) for (const i of s.items) expect((i.ops ?? []).length).toBeLessThanOrEqual(8);
  });
});

// --- gather ----------------------------------------------------------------------------

function world(now = { t: NOW.getTime() }): { backend: SimulatedBackend; env: GatherEnv } {
  const backend = new SimulatedBackend({ clock: { now: () => now.t } });
  const driver = new SimulatedDriver({ backend });
  const drivers: DriverResolver = { resolve: () => Promise.resolve({ driver, timeoutMs: 5_000 }) };
  const env: GatherEnv = {
    sites: { get: (n) => SITES.find((s) => s.metadata.name === n), list: () => SITES },
    ordersFor: () => [],
    execute: { drivers },
    ctx: { signal: new AbortController().signal } as ReconcileContext,
    now: NOW,
  };
  return { backend, env };
}

describe('gather', () => {
  it('the destination and current resellers from the occupier cache, and the Sites of the customer and the destination', async () => {
    const g = await plugin.gather(customerMove(spec()), pixel.build(), world().env);
    expect(g.toReseller?.metadata.name).toBe('southbank-networks');
    expect(g.fromReseller?.metadata.name).toBe('northwind-hosting');
    expect([...g.sites.keys()]).toEqual([SHO, CW]);
  });

  it('an unknown destination: undefined (ResellerNotFound), and only the customer\'s Sites', async () => {
    const g = await plugin.gather(customerMove(spec(MAPPED, 'nobody')), pixel.build(), world().env);
    expect(g.toReseller).toBeUndefined();
    expect([...g.sites.keys()]).toEqual([SHO]);
    expect(plugin.prerequisites(customerMove(spec(MAPPED, 'nobody')), pixel.build(), g, NOW).map((f) => f.reason)).toEqual(['ResellerNotFound']);
  });

  it('sees the destination as orders do (its completed orders applied: a reseller that moved to manchester is there)', async () => {
    const moved = (o: OccupierResource): OccupierResource =>
      o.metadata.name === 'southbank-networks' ? { ...o, spec: { ...o.spec, sites: o.spec.sites.map((e) => ({ ...e, site: MAN })) } } : o;
    const p = customerMovePlugin({ occupiers: { get: (k) => estate.get(k) }, effective: moved });
    const g = await p.gather(customerMove(spec()), pixel.build(), world().env);
    expect(p.prerequisites(customerMove(spec()), pixel.build(), g, NOW).map((f) => f.reason)).toEqual(['LocationMismatch']);
  });
});

// --- end to end on the simulated backend --------------------------------------------------

async function run(site: SiteResource, ops: Operation[], step: string, drivers: DriverResolver, uid = 'order-uid'): Promise<string[]> {
  const results = await executeItems(site, ops.map((o) => ({ ...o, step })), { drivers, uid });
  return results.filter((r) => r.state !== 'Done').map((r) => `${r.id}: ${r.state === 'Failed' ? `${r.reason} ${r.message}` : r.state}`);
}

describe('end to end on the simulated backend', () => {
  async function scenario(s: CustomerMoveSpec) {
    const { backend, env } = world();
    // The Occupier controller provisioned the customer under northwind.
    const before = planProvisioning({ identity: ID, spec: pixel.build().spec, sites: new Map([[SHO, shoreditch.spec]]), now: NOW }).sites[0];
    expect(await run(shoreditch, (before?.items ?? []).map((i) => ({ op: 'ensure', ...i })), 'occupier', env.execute.drivers)).toEqual([]);
    expect(await run(shoreditch, [{ op: 'ensure', capability: 'billing', type: 'customer', key: ID, spec: { occupier: ID, reseller: 'occupiers/northwind-hosting' } }], 'onboard', env.execute.drivers)).toEqual([]);
    const order = customerMove(s);
    const g = await plugin.gather(order, pixel.build(), env);
    expect(plugin.prerequisites(order, pixel.build(), g, NOW)).toEqual([]);
    const planned = plugin.plan(order, pixel.build(), g, NOW).steps;
    for (const st of planned) expect(await run(shoreditch, st.items.flatMap((i) => i.ops ?? []), st.step, env.execute.drivers), st.step).toEqual([]);
    return { backend, env, planned, before: before?.items ?? [] };
  }
  const ctx = siteContext(SHO, shoreditch.spec);

  it('billing and directory under the new reseller, the service at its new level, users with the new SAL\'s properties', async () => {
    const { backend } = await scenario(spec());
    expect(backend.observe(ctx, { capability: 'billing', type: 'customer', key: ID }).details).toMatchObject({ reseller: SOUTHBANK, previousReseller: 'occupiers/northwind-hosting' });
    expect(backend.observe(ctx, { capability: 'directory', type: 'customer', key: ID }).details).toMatchObject({ reseller: SOUTHBANK });
    expect(backend.observe(ctx, { capability: 'billing', type: 'service', key: `${ID}/internet-100` }).details).toMatchObject({ state: 'Active', accessLevel: 'Standard' });
    expect(backend.observe(ctx, { capability: 'directory', type: 'entitlements', key: 'ops@pixel-labs.example' }).details).toEqual({
      occupier: ID,
      services: { 'internet-100': { accessLevel: 'Standard', properties: { bandwidthMbps: '100' } }, 'wifi-secure': { accessLevel: 'Standard', properties: { devicesPerUser: '3' } } },
    });
  });

  it('overridden: users get the changed properties', async () => {
    const { backend } = await scenario(spec({ ...MAPPED, accessLevelOverrides: [{ service: 'internet-100', properties: { bandwidthMbps: '200' } }] }));
    expect(backend.observe(ctx, { capability: 'directory', type: 'entitlements', key: 'dev@pixel-labs.example' }).details).toMatchObject({
      services: { 'internet-100': { accessLevel: 'Standard', properties: { bandwidthMbps: '200' } } },
    });
  });

  it('nothing about network, numbers, accounts or door access changes; the Occupier controller then finds everything up to date', async () => {
    const { backend, before, planned, env } = await scenario(spec());
    const after = applyCustomerMove(pixel.build().spec, { reseller: 'southbank-networks', accessLevels: { 'internet-100': 'Standard' } });
    const declared = planProvisioning({ identity: ID, spec: after, sites: new Map([[SHO, shoreditch.spec]]), now: NOW }).sites[0]?.items ?? [];
    for (const i of declared) expect(backend.observe(ctx, i, i.spec), itemId(i)).toMatchObject({ exists: true, upToDate: true });
    for (const i of before.filter((x) => x.type !== 'service')) {
      expect(backend.counts({ site: SHO, capability: i.capability, type: i.type, key: i.key } as Parameters<SimulatedBackend['counts']>[0]), itemId(i)).toMatchObject({ creates: 1, updates: 0, removes: 0 });
    }
    // Run again (a resumed run): nothing changes twice.
    for (const st of planned) expect(await run(shoreditch, st.items.flatMap((i) => i.ops ?? []), st.step, env.execute.drivers), st.step).toEqual([]);
    expect(backend.counts({ site: SHO, capability: 'billing', type: 'customer', key: ID })).toMatchObject({ creates: 1, updates: 1 });
    expect(backend.counts({ site: SHO, capability: 'billing', type: 'service', key: `${ID}/internet-100` })).toMatchObject({ creates: 1, updates: 1 });
  });

  it('the driver refuses an occupier as its own reseller, and entitlements of another occupier\'s user', async () => {
    const { env } = world();
    expect(await run(shoreditch, [{ op: 'ensure', capability: 'billing', type: 'customer', key: ID, spec: { occupier: ID, reseller: ID } }], 'x', env.execute.drivers)).toEqual([
      `billing/customer/${ID}: InvalidSpec ${ID}: an occupier cannot be its own reseller`,
    ]);
    const ent = (occupierId: string) => ({ op: 'ensure' as const, capability: 'directory' as const, type: 'entitlements', key: 'a@x.example', spec: { occupier: occupierId, email: 'a@x.example', services: {} } });
    expect(await run(shoreditch, [ent('occupiers/a')], 'x', env.execute.drivers)).toEqual([]);
    expect(await run(shoreditch, [ent('occupiers/b')], 'y', env.execute.drivers)).toEqual([
      'directory/entitlements/a@x.example: EmailInUse a@x.example belongs to another occupier (occupiers/a)',
    ]);
  });
});

// --- text, kind, effects -----------------------------------------------------------------

describe('text and effects', () => {
  it('names the customer and both resellers', () => {
    const o = customerMove(spec());
    expect([plugin.kind, plugin.kubectlName, plugin.text.what(o), plugin.text.succeeded(o)]).toEqual([
      'CustomerMove',
      'customermove',
      'customer move of pixel-labs from northwind-hosting to southbank-networks',
      'customer move complete: pixel-labs is now a customer of southbank-networks',
    ]);
  });

  it('once the occupier says it is with the new reseller (the move completed), what says only where to', () => {
    const done = byKey({ ...pixel.build(), status: { reseller: 'southbank-networks' } });
    const p = customerMovePlugin({ occupiers: { get: (k) => done.get(k) } });
    expect(p.text.what(customerMove(spec()))).toBe('customer move of pixel-labs to southbank-networks');
  });

  it.each<[OrderPhase | undefined, unknown]>([
    [undefined, undefined],
    ['Running', undefined],
    ['Failed', undefined],
    ['Succeeded', { kind: 'CustomerMove', name: 'pixel-to-southbank', toReseller: 'southbank-networks', completedAt: '2027-01-15T10:05:00Z' }],
  ])('effects of a %s order', (phase, want) => {
    expect(plugin.effects(customerMove(spec(), phase ? { phase, completedAt: '2027-01-15T10:05:00Z' } : {}))).toEqual(want);
  });
});
