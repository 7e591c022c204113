/**
 * The decommission's driver operations (`executableSteps`) for what a CustomerMove made: the
 * users' entitlements go with their accounts, the customer's directory record goes once per
 * site, its billing record stays as history. Pinned as op lists, then run on the simulated
 * backend after a real customer move: a decommissioned customer's emails are free again.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedBackend, SimulatedDriver } from '../../../../drivers/src/simulated/index.ts';
import { siteContext } from '../../../../drivers/src/contract.ts';
import { API_VERSION } from '../../api/index.ts';
import type { CustomerMoveResource, Operation, SiteResource } from '../../api/index.ts';
import { planDecommission } from '../../planner/decommission.ts';
import { applyCustomerMove } from '../../planner/effective.ts';
import { customerMoveSpec, occupier, site } from '../../planner/fixtures.ts';
import { planProvisioning } from '../../planner/provision.ts';
import { customerMoveOps } from '../customermove/plugin.ts';
import { executeItems } from '../execute.ts';
import type { DriverResolver } from '../execute.ts';
import type { PlannedStep } from '../orders/plugin.ts';
import { executableSteps } from './executable.ts';

const SHO = 'london-shoreditch';
const CW = 'london-canary-wharf';
const ID = 'occupiers/pixel-labs';
const SOUTHBANK = 'occupiers/southbank-networks';
const MOVED = new Date('2027-01-15T10:00:00Z');
const NOW = new Date('2027-03-01T12:00:00Z');

const internet = { Standard: { bandwidthMbps: '100' } };
const shoreditch = site(SHO).withService('internet-100', internet).build();
const canary = site(CW).withService('internet-100', internet).build();
const SITES = new Map<string, SiteResource>([
  [SHO, shoreditch],
  [CW, canary],
]);

const pixel = occupier('pixel-labs')
  .customerOf('northwind-hosting')
  .withSite(SHO, { startDate: '2025-02-01' })
  .withService(SHO, 'internet-100', { accessLevel: 'Standard' })
  .withUser('dev@pixel-labs.example')
  .withUser('ops@pixel-labs.example', { cardId: '2B2B2B2B', accessGroups: ['floor-2'] });
const northwind = occupier('northwind-hosting').reseller().withSite(SHO, { startDate: '2024-01-01' }).withService(SHO, 'internet-100', { accessLevel: 'Standard' });
const southbank = occupier('southbank-networks').reseller().withSite(CW, { startDate: '2024-05-01' }).withService(CW, 'internet-100', { accessLevel: 'Standard' });
const move: CustomerMoveResource = { apiVersion: API_VERSION, kind: 'CustomerMove', metadata: { name: 'pixel-to-southbank', namespace: 'occupiers' }, spec: customerMoveSpec('pixel-labs', 'southbank-networks') };
/** The customer as the decommission sees it: with the completed move applied. */
const moved = { ...pixel.build(), spec: applyCustomerMove(pixel.build().spec, { reseller: 'southbank-networks', accessLevels: {} }) };

const opLine = (o: Operation): string => `${o.op} ${o.capability}/${o.type}/${o.key}`;
const stepOf = (steps: PlannedStep[], step: string, at = SHO): PlannedStep | undefined => steps.find((s) => s.site === at && s.step === step);
const decommission = (o = moved): PlannedStep[] => executableSteps(planDecommission({ occupier: o, sites: SITES, now: NOW }), o.spec, ID);

describe('executableSteps: what a customer move made goes with the users', () => {
  it('users: each user\'s Wi-Fi and portal accounts and its entitlements; the customer\'s directory record once per site', () => {
    const users = stepOf(decommission(), 'users');
    expect(users?.items.map((i) => [`${i.kind} ${i.name} ${i.action}`, (i.ops ?? []).map(opLine)])).toEqual([
      ['User dev@pixel-labs.example Delete', ['remove wifi/account/dev@pixel-labs.example', 'remove directory/account/dev@pixel-labs.example', 'remove directory/entitlements/dev@pixel-labs.example']],
      ['User ops@pixel-labs.example Delete', ['remove wifi/account/ops@pixel-labs.example', 'remove directory/account/ops@pixel-labs.example', 'remove directory/entitlements/ops@pixel-labs.example']],
      ['Access pixel-labs Delete', [`remove directory/customer/${ID}`]],
    ]);
    expect(users?.items.at(-1)?.detail).toBe('customer directory record (reseller southbank-networks) removed; billing keeps the reseller history');
  });

  it('at every site of the customer, once; nothing touches billing/customer', () => {
    const two = { ...moved, spec: { ...moved.spec, sites: [...moved.spec.sites, { site: CW, contract: { startDate: '2025-06-01', tariff: 'standard-2026' } }] } };
    const steps = decommission(two);
    for (const at of [SHO, CW]) expect(stepOf(steps, 'users', at)?.items.flatMap((i) => i.ops ?? []).filter((o) => o.type === 'customer').map(opLine), at).toEqual([`remove directory/customer/${ID}`]);
    expect(steps.flatMap((s) => s.items.flatMap((i) => i.ops ?? [])).filter((o) => o.capability === 'billing' && o.type === 'customer')).toEqual([]);
  });

  it('not a customer (a reseller, a direct occupier): no directory record to remove', () => {
    const reseller = northwind.withUser('admin@northwind.example').build();
    const users = stepOf(executableSteps(planDecommission({ occupier: reseller, sites: SITES, now: NOW }), reseller.spec, 'occupiers/northwind-hosting'), 'users');
    expect(users?.items.map((i) => `${i.kind} ${i.name}`)).toEqual(['User admin@northwind.example']);
    expect(users?.items[0]?.ops?.map(opLine)).toContain('remove directory/entitlements/admin@northwind.example');
  });
});

describe('on the simulated backend: a decommissioned customer\'s entitlements are gone', () => {
  async function run(steps: PlannedStep[], drivers: DriverResolver, uid: string): Promise<string[]> {
    const failed: string[] = [];
    for (const st of steps) {
      const s = SITES.get(st.site);
      if (!s) throw new Error(`no site ${st.site}`);
      const results = await executeItems(s, st.items.flatMap((i) => i.ops ?? []).map((o) => ({ ...o, step: st.step })), { drivers, uid });
      failed.push(...results.filter((r) => r.state !== 'Done').map((r) => `${st.step} ${r.id}: ${r.state === 'Failed' ? `${r.reason} ${r.message}` : r.state}`));
    }
    return failed;
  }

  it('provisioned, moved under southbank, decommissioned: entitlements and the directory record removed once, billing keeps the reseller; the emails are free again', async () => {
    const now = { t: MOVED.getTime() };
    const backend = new SimulatedBackend({ clock: { now: () => now.t } });
    const driver = new SimulatedDriver({ backend });
    const drivers: DriverResolver = { resolve: () => Promise.resolve({ driver, timeoutMs: 5_000 }) };
    const ctx = siteContext(SHO, shoreditch.spec);
    const counts = (type: string, key: string, capability: 'directory' | 'billing' = 'directory') => backend.counts({ site: SHO, capability, type, key });

    // The Occupier controller provisioned the customer; the CustomerMove moved it.
    const provisioned = planProvisioning({ identity: ID, spec: pixel.build().spec, sites: new Map([[SHO, shoreditch.spec]]), now: MOVED }).sites[0]?.items ?? [];
    expect(await run([{ site: SHO, step: 'occupier', items: [{ kind: 'Network', name: 'all', action: 'Create', ops: provisioned.map((i) => ({ op: 'ensure', ...i })) }] }], drivers, 'occupier-uid')).toEqual([]);
    const cm = customerMoveOps(move, pixel.build(), { toReseller: southbank.build(), fromReseller: northwind.build(), sites: SITES }, MOVED);
    expect(cm.move.blocked).toEqual([]);
    expect(await run(cm.steps, drivers, 'move-uid')).toEqual([]);
    for (const email of ['dev@pixel-labs.example', 'ops@pixel-labs.example']) expect(backend.observe(ctx, { capability: 'directory', type: 'entitlements', key: email }).exists, email).toBe(true);
    expect(backend.observe(ctx, { capability: 'directory', type: 'customer', key: ID }).details).toMatchObject({ reseller: SOUTHBANK });

    now.t = NOW.getTime();
    const steps = decommission();
    expect(await run(steps, drivers, 'decommission-uid')).toEqual([]);
    for (const email of ['dev@pixel-labs.example', 'ops@pixel-labs.example']) {
      expect(backend.observe(ctx, { capability: 'directory', type: 'entitlements', key: email }).exists, email).toBe(false);
      expect(counts('entitlements', email), email).toEqual({ creates: 1, updates: 0, removes: 1 });
    }
    expect(counts('customer', ID)).toEqual({ creates: 1, updates: 0, removes: 1 });
    // Billing history: which reseller the customer was with stays, like its contract.
    expect(counts('customer', ID, 'billing')).toMatchObject({ removes: 0 });
    expect(backend.observe(ctx, { capability: 'billing', type: 'customer', key: ID }).details).toMatchObject({ reseller: SOUTHBANK });

    // A resumed run (the same operations again) removes nothing twice.
    expect(await run(steps, drivers, 'decommission-uid')).toEqual([]);
    expect(counts('customer', ID)).toMatchObject({ removes: 1 });
    expect(counts('entitlements', 'dev@pixel-labs.example')).toMatchObject({ removes: 1 });

    // The email is free: another occupier's user gets entitlements (no EmailInUse).
    const reuse: Operation = { op: 'ensure', capability: 'directory', type: 'entitlements', key: 'dev@pixel-labs.example', spec: { occupier: 'occupiers/globex', email: 'dev@pixel-labs.example', services: {} } };
    expect(await run([{ site: SHO, step: 'users', items: [{ kind: 'User', name: 'dev@pixel-labs.example', action: 'Create', ops: [reuse] }] }], drivers, 'globex-uid')).toEqual([]);
  });
});
