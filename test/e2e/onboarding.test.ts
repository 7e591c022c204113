// Onboarding end to end: the embedded cluster, real kubectl, the operator in-process
// (startOperator with the simulated driver), the example estate from examples/.
//
// The tests run in order and share one cluster: apply → edit → transient faults → permanent
// faults → deleting an Occupier → deleting a Site that is in use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { siteContext } from '../../drivers/src/contract.ts';
import type { SimulatedBackend } from '../../drivers/src/simulated/backend.ts';
import type { Condition, OccupierResource, SiteResource } from '../../operator/src/api/index.ts';
import { startOperator } from '../../operator/src/operator.ts';
import type { RunningOperator } from '../../operator/src/operator.ts';
import { getCondition, silentLogger } from '../../operator/src/runtime/index.ts';
import { hasKubectl, withCluster } from '../support/cluster.ts';
import type { ClusterEnv } from '../support/cluster.ts';
import { EXAMPLES_DIR } from '../support/examples.ts';
import { tearDown } from '../support/process.ts';

const NS = 'occupiers';

let env: ClusterEnv;
let op: RunningOperator | undefined;
let stateDir: string;

async function k(args: string[], stdin?: string): Promise<string> {
  const r = await env.kubectl(args, stdin);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function occupier(name: string): Promise<OccupierResource> {
  return JSON.parse(await k(['get', 'occupiers', '-n', NS, name, '-o', 'json'])) as OccupierResource;
}

async function site(name: string): Promise<SiteResource> {
  return JSON.parse(await k(['get', 'sites', name, '-o', 'json'])) as SiteResource;
}

function condition(obj: OccupierResource | SiteResource, type: string): Condition | undefined {
  return getCondition(obj.status?.conditions ?? [], type);
}

/** Polls `fn` until it returns a value (not undefined) or the time is up. */
async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the operator has acted on the occupier's current generation and it is Ready (or the given state). */
async function converged(name: string, ready: 'True' | 'False' = 'True', timeoutMs = 20_000): Promise<OccupierResource> {
  return until(`${name} Ready=${ready} at its current generation`, async () => {
    const o = await occupier(name);
    const c = condition(o, 'Ready');
    return o.status?.observedGeneration === o.metadata.generation && c?.status === ready && c.observedGeneration === o.metadata.generation ? o : undefined;
  }, timeoutMs);
}

function backend(): SimulatedBackend {
  if (!op) throw new Error('operator not running');
  return op.drivers.backend;
}

/** Backend view of one item at a site (exists + details). */
async function observe(siteName: string, capability: string, type: string, key: string): Promise<{ exists: boolean; details: unknown }> {
  const s = await site(siteName);
  return backend().observe(siteContext(siteName, s.spec), { capability: capability as 'network', type, key });
}

function counts(siteName: string, id: string): { creates: number; updates: number; removes: number } {
  const [capability = '', type = '', ...rest] = id.split('/');
  return backend().counts({ site: siteName, capability: capability as 'network', type, key: rest.join('/') });
}

async function metricsText(): Promise<string> {
  const port = op?.manager.port;
  if (port === undefined) throw new Error('no metrics port');
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** Sum of the samples of a metric whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const have = new Map([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([key, v]) => have.get(key) === v)) sum += Number(m[2]);
  }
  return sum;
}

async function warnings(name: string): Promise<{ reason: string; message: string }[]> {
  const out = JSON.parse(await k(['get', 'events', '-n', NS, '--field-selector', `involvedObject.name=${name},type=Warning`, '-o', 'json'])) as { items: { reason: string; message: string }[] };
  return out.items;
}

const daysAgo = (n: number): string => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

function newOccupier(name: string, siteName: string, extra: { ports?: boolean; users?: number } = {}): string {
  const users = Array.from({ length: extra.users ?? 2 }, (_, i) => `    - { email: u${i}@${name}.example, name: User ${i}, sites: [${siteName}], accessGroups: [lobby] }`);
  return `apiVersion: occupier.dev/v1alpha1
kind: Occupier
metadata:
  name: ${name}
  namespace: ${NS}
spec:
  displayName: ${name}
  sites:
    - site: ${siteName}
      contract: { startDate: "2025-01-01", tariff: standard-2026 }
      services:
        - { name: internet-100, quantity: 1, accessLevel: Standard }
${extra.ports ? '      ports:\n        - { name: desk-1 }\n' : ''}  users:
${users.join('\n')}
`;
}

async function setSiteSettings(name: string, settings: Record<string, string | null>): Promise<void> {
  await k(['patch', 'sites', name, '--type=merge', '-p', JSON.stringify({ spec: { drivers: { default: { settings } } } })]);
}

describe.skipIf(!hasKubectl)('onboarding end to end (embedded cluster, kubectl, simulated driver)', () => {
  beforeAll(async () => {
    env = await withCluster();
    stateDir = mkdtempSync(join(tmpdir(), 'onboarding-drivers-'));
    op = startOperator({ kubeConfig: env.kubeConfig, metricsPort: 0, stateDir, logger: silentLogger(), handleSignals: false });
    await until('operator ready', async () => (op?.manager.isReady() ? true : undefined));
  });

  afterAll(() => tearDown({ operator: op, cluster: env, stateDir }));

  it('applies the examples: every Site and Occupier becomes Ready with network and numbers allocated', async () => {
    await k(['apply', '-k', EXAMPLES_DIR]);
    await k(['wait', '--for=condition=Ready', 'sites', '--all', '--timeout=30s']);
    await k(['wait', '--for=condition=Ready', 'occupiers', '--all', '-n', NS, '--timeout=30s']);

    const list = JSON.parse(await k(['get', 'occupiers', '-n', NS, '-o', 'json'])) as { items: OccupierResource[] };
    expect(list.items.map((o) => o.metadata.name).sort()).toEqual(['acme-design', 'globex', 'initech', 'northwind-hosting', 'pixel-labs', 'quill-legal', 'southbank-networks']);
    const vlansBySite = new Map<string, number[]>();
    const subnetsBySite = new Map<string, string[]>();
    for (const o of list.items) {
      // Active, or Active with an order from examples/orders scheduled for later.
      expect(['Active', 'DecommissionScheduled', 'MoveScheduled'], o.metadata.name).toContain(o.status?.phase);
      for (const entry of o.spec.sites) {
        const st = o.status?.sites?.find((s) => s.site === entry.site);
        expect(st, `${o.metadata.name} at ${entry.site}`).toBeDefined();
        expect(st?.contract?.status).toBe('Active');
        const net = st?.network;
        expect(net?.state).toBe('Ready');
        const s = await site(entry.site);
        const range = s.spec.network?.vlanRange;
        expect(net?.vlan).toBeGreaterThanOrEqual(range?.from ?? Infinity);
        expect(net?.vlan).toBeLessThanOrEqual(range?.to ?? -Infinity);
        expect(net?.subnet).toMatch(new RegExp(`^${(s.spec.network?.ipv4Pool ?? '').split('.').slice(0, 2).join('\\.')}\\.\\d+\\.\\d+/${s.spec.network?.subnetPrefixLength ?? 'x'}$`));
        // The gateway is the first host of the subnet.
        const [base = ''] = (net?.subnet ?? '').split('/');
        const octets = base.split('.').map(Number);
        expect(net?.gateway).toBe([...octets.slice(0, 3), (octets[3] ?? 0) + 1].join('.'));
        vlansBySite.set(entry.site, [...(vlansBySite.get(entry.site) ?? []), net?.vlan ?? -1]);
        subnetsBySite.set(entry.site, [...(subnetsBySite.get(entry.site) ?? []), net?.subnet ?? '']);
        // Every declared number is allocated (and assigned when a user has it).
        const declared = (entry.numbers ?? []).map((n) => n.number).sort();
        expect((st?.numbers ?? []).map((n) => n.number).sort()).toEqual(declared);
        for (const n of st?.numbers ?? []) {
          const user = (o.spec.users ?? []).find((u) => u.phoneNumber === n.number);
          expect(n.state).toBe(user ? 'Assigned' : 'Allocated');
          if (user) expect(n.assignedTo).toBe(user.email);
          expect(counts(entry.site, `telephony/number/${n.number}`).creates).toBe(1);
          expect((await observe(entry.site, 'telephony', 'number', n.number)).exists).toBe(true);
        }
        // Everything in the inventory exists in the backend, created once.
        for (const id of st?.inventory ?? []) expect(counts(entry.site, id).creates, `${entry.site} ${id}`).toBe(1);
        expect((await observe(entry.site, 'network', 'allocation', `${NS}/${o.metadata.name}`)).details).toMatchObject({ vlan: net?.vlan, subnet: net?.subnet });
      }
    }
    for (const [s, vlans] of vlansBySite) expect(new Set(vlans).size, `VLANs at ${s}`).toBe(vlans.length);
    for (const [s, subnets] of subnetsBySite) expect(new Set(subnets).size, `subnets at ${s}`).toBe(subnets.length);

    // Sites report their capacity: one VLAN per occupier there.
    const shoreditch = await site('london-shoreditch');
    expect(shoreditch.status?.capacity?.vlans).toMatchObject({ total: 800, allocated: vlansBySite.get('london-shoreditch')?.length });
    expect(shoreditch.status?.occupiers).toBe(5);

    // A Site pass that finds nothing new writes nothing (it runs on a timer and on occupier changes).
    const sitePasses = async (): Promise<number> => {
      const m = (await op?.manager.registry.getSingleMetric('occupier_operator_reconcile_total')?.get())?.values ?? [];
      return m.filter((v) => v.labels['controller'] === 'site').reduce((a, v) => a + v.value, 0);
    };
    // Status writes the operator sends (undici's diagnostics channel: the API server's no-op
    // detection would hide a PUT that changes nothing).
    const statusWrites: string[] = [];
    const onRequest = (message: unknown): void => {
      const { request } = message as { request: { method: string; path: string } };
      if (request.method === 'PUT' && request.path.includes('/sites/london-shoreditch/status')) statusWrites.push(request.path);
    };
    subscribe('undici:request:create', onRequest);
    try {
      const passes = await sitePasses();
      await k(['annotate', 'site', 'london-shoreditch', 'example.com/touched=yes']);
      const touched = (await site('london-shoreditch')).metadata?.resourceVersion;
      await until('a Site pass after the annotation', async () => ((await sitePasses()) > passes ? true : undefined));
      expect((await site('london-shoreditch')).metadata?.resourceVersion).toBe(touched);
      expect(statusWrites).toEqual([]);
    } finally {
      unsubscribe('undici:request:create', onRequest);
    }
  });

  it('converges after kubectl edits: a new user, a removed Wi-Fi device, an ended contract', async () => {
    const before = await occupier('globex');
    const canary = before.status?.sites?.find((s) => s.site === 'london-canary-wharf');
    expect(canary?.network?.vlan).toBeDefined();
    const canaryInventory = canary?.inventory ?? [];
    expect(canaryInventory).toContain('network/allocation/occupiers/globex');
    const device = 'wifi/device/00:1a:2b:3c:4d:02';
    expect(counts('london-shoreditch', device)).toEqual({ creates: 1, updates: 0, removes: 0 });
    const ended = daysAgo(2);

    await k(['patch', 'occupiers', '-n', NS, 'globex', '--type=json', '-p', JSON.stringify([
      { op: 'add', path: '/spec/users/-', value: { email: 'new.hire@globex.example', name: 'New Hire', sites: ['london-shoreditch'], accessGroups: ['floor-3'] } },
      { op: 'remove', path: '/spec/sites/0/wifiDevices/1' },
      { op: 'add', path: '/spec/sites/1/contract/endDate', value: ended },
    ])]);
    const after = await converged('globex');

    // The new user's accounts exist in the backend.
    for (const id of ['directory/account/new.hire@globex.example', 'wifi/account/new.hire@globex.example', 'access/user/new.hire@globex.example']) {
      expect(counts('london-shoreditch', id).creates, id).toBe(1);
      const [cap = '', type = ''] = id.split('/');
      expect((await observe('london-shoreditch', cap, type, 'new.hire@globex.example')).exists, id).toBe(true);
    }
    // 6 users before + the new hire - Mindy Simmons, whose only site (Canary Wharf) ended.
    expect(after.status?.users).toMatchObject({ total: 6, ready: 6 });

    // The device is gone from the backend, removed exactly once; the other device stays.
    expect(counts('london-shoreditch', device)).toEqual({ creates: 1, updates: 0, removes: 1 });
    expect((await observe('london-shoreditch', 'wifi', 'device', '00:1a:2b:3c:4d:02')).exists).toBe(false);
    expect((await observe('london-shoreditch', 'wifi', 'device', '00:1a:2b:3c:4d:01')).exists).toBe(true);
    const shoreditch = after.status?.sites?.find((s) => s.site === 'london-shoreditch');
    expect(shoreditch?.wifiDevices?.map((d) => d.mac)).toEqual(['00:1a:2b:3c:4d:01']);
    expect(shoreditch?.inventory).not.toContain(device);

    // The ended site: contract Completed, infrastructure removed once, billing history kept.
    const cw = after.status?.sites?.find((s) => s.site === 'london-canary-wharf');
    expect(cw?.contract).toMatchObject({ status: 'Completed', endDate: ended });
    expect(after.status?.currentSites).toEqual(['london-shoreditch']);
    const infra = canaryInventory.filter((id) => !id.startsWith('billing/'));
    expect(infra.length).toBeGreaterThan(0);
    for (const id of infra) {
      expect(counts('london-canary-wharf', id), id).toEqual({ creates: 1, updates: id.startsWith('telephony/') ? expect.any(Number) : 0, removes: 1 });
      expect(cw?.inventory, id).not.toContain(id);
    }
    expect((await observe('london-canary-wharf', 'network', 'allocation', 'occupiers/globex')).exists).toBe(false);
    const contract = await observe('london-canary-wharf', 'billing', 'contract', 'occupiers/globex');
    expect(contract).toMatchObject({ exists: true, details: { status: 'Completed', endDate: ended } });

    // A later reconcile (forced by an annotation) does not remove anything twice.
    await k(['annotate', 'occupiers', '-n', NS, 'globex', `test/poke=${Date.now()}`, '--overwrite']);
    await new Promise((r) => setTimeout(r, 500));
    await converged('globex');
    expect(counts('london-shoreditch', device).removes).toBe(1);
    for (const id of infra) expect(counts('london-canary-wharf', id).removes, id).toBe(1);
  });

  it('converges through injected transient faults, with the retries visible in /metrics', async () => {
    const m0 = await metricsText();
    const errors0 = sample(m0, 'occupier_operator_reconcile_errors_total', { controller: 'occupier' });
    const transient0 = sample(m0, 'occupier_operator_driver_calls_total', { driver: 'simulated', op: 'ensure', result: 'transient' });

    // The first two ensure calls of every item at the site fail transiently.
    await setSiteSettings('london-canary-wharf', { latencyMs: '5', transientOnStep: 'ensure:2' });
    await k(['apply', '-f', '-'], newOccupier('tempo-studio', 'london-canary-wharf', { ports: true, users: 3 }));
    const o = await converged('tempo-studio', 'True', 30_000);

    const m1 = await metricsText();
    expect(sample(m1, 'occupier_operator_reconcile_errors_total', { controller: 'occupier' }) - errors0).toBeGreaterThanOrEqual(2);
    const transient = sample(m1, 'occupier_operator_driver_calls_total', { driver: 'simulated', op: 'ensure', result: 'transient' }) - transient0;
    const inventory = o.status?.sites?.[0]?.inventory ?? [];
    // Two transient failures before success, for every item (the simulated driver counts
    // them per item key, and several items share a key: directory/wifi/access of one user).
    const keys = new Set(inventory.map((id) => id.split('/').slice(2).join('/')));
    expect(transient).toBeGreaterThanOrEqual(2 * keys.size);
    expect(sample(m1, 'occupier_operator_driver_calls_total', { driver: 'simulated', capability: 'network', op: 'ensure', result: 'done' })).toBeGreaterThan(0);
    // Retries never created anything twice.
    expect(inventory.length).toBeGreaterThan(5);
    for (const id of inventory) expect(counts('london-canary-wharf', id).creates, id).toBe(1);
    expect(o.status?.sites?.[0]?.network?.vlan).toBeGreaterThanOrEqual(1000);
    expect(o.status?.sites?.[0]?.ports?.[0]).toMatchObject({ name: 'desk-1', state: 'Ready' });

    await setSiteSettings('london-canary-wharf', { transientOnStep: null });
  });

  it('reports a permanent fault as Degraded with the driver reason and a Warning Event, and recovers when it clears', async () => {
    await setSiteSettings('london-canary-wharf', { failOnStep: 'ports/port/ensure' });
    await k(['apply', '-f', '-'], newOccupier('ironclad', 'london-canary-wharf', { ports: true }));
    const o = await converged('ironclad', 'False');
    const degraded = condition(o, 'Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: 'InjectedFailure' });
    expect(degraded?.message).toContain('london-canary-wharf: port occupiers/ironclad/desk-1: InjectedFailure: injected permanent failure on ports/port ensure');
    expect(condition(o, 'Ready')).toMatchObject({ status: 'False', reason: 'InjectedFailure' });
    expect(o.status?.sites?.[0]?.ports?.[0]?.state).toBe('Failed');
    // Everything else was provisioned, and the status says what is missing.
    expect(o.status?.sites?.[0]?.network?.state).toBe('Ready');
    const events = await until('a Warning Event InjectedFailure', async () => {
      const w = await warnings('ironclad');
      return w.some((e) => e.reason === 'InjectedFailure') ? w : undefined;
    });
    expect(events.find((e) => e.reason === 'InjectedFailure')?.message).toContain('injected permanent failure on ports/port ensure');

    // Clearing the fault on the Site re-plans its occupiers: the port is allocated.
    await setSiteSettings('london-canary-wharf', { failOnStep: null });
    const fixed = await converged('ironclad');
    expect(fixed.status?.sites?.[0]?.ports?.[0]).toMatchObject({ name: 'desk-1', state: 'Ready' });
    expect(condition(fixed, 'Degraded')).toMatchObject({ status: 'False' });
  });

  it('refuses a MAC registered by another occupier (MacInUse) and recovers when the device is dropped', async () => {
    await k(['patch', 'occupiers', '-n', NS, 'quill-legal', '--type=json', '-p', JSON.stringify([
      { op: 'add', path: '/spec/sites/0/wifiDevices', value: [{ name: 'borrowed-printer', mac: '00:1a:2b:3c:4d:01' }] },
    ])]);
    const o = await converged('quill-legal', 'False');
    expect(condition(o, 'Degraded')).toMatchObject({ status: 'True', reason: 'MacInUse' });
    expect(condition(o, 'Degraded')?.message).toMatch(/00:1a:2b:3c:4d:01: MacInUse: .*occupiers\/globex/);
    const events = await until('a Warning Event MacInUse', async () => {
      const w = await warnings('quill-legal');
      return w.some((e) => e.reason === 'MacInUse') ? w : undefined;
    });
    expect(events.find((e) => e.reason === 'MacInUse')?.message).toContain('00:1a:2b:3c:4d:01');
    // The device stays globex's, created once.
    expect(counts('london-shoreditch', 'wifi/device/00:1a:2b:3c:4d:01')).toMatchObject({ creates: 1, removes: 0 });
    expect((await observe('london-shoreditch', 'wifi', 'device', '00:1a:2b:3c:4d:01')).details).toMatchObject({ occupier: 'occupiers/globex' });

    await k(['patch', 'occupiers', '-n', NS, 'quill-legal', '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/sites/0/wifiDevices' }])]);
    const fixed = await converged('quill-legal');
    expect(condition(fixed, 'Degraded')).toMatchObject({ status: 'False' });
    expect(counts('london-shoreditch', 'wifi/device/00:1a:2b:3c:4d:01')).toMatchObject({ creates: 1, removes: 0 });
  });

  it('deleting an Occupier (default deletionPolicy) removes its external items exactly once before the object goes', async () => {
    const o = await occupier('pixel-labs');
    const inventory = o.status?.sites?.find((s) => s.site === 'london-shoreditch')?.inventory ?? [];
    const infra = inventory.filter((id) => !id.startsWith('billing/'));
    expect(infra).toContain('network/allocation/occupiers/pixel-labs');
    expect(o.metadata.finalizers).toContain('occupier.dev/finalizer');

    // While the Wi-Fi backend refuses removals, the object stays (finalizer) and says why.
    await setSiteSettings('london-shoreditch', { failOnStep: 'wifi/remove' });
    await k(['delete', 'occupiers', '-n', NS, 'pixel-labs', '--wait=false']);
    await until('a DeprovisionFailed Warning', async () => ((await warnings('pixel-labs')).some((e) => e.reason === 'DeprovisionFailed') ? true : undefined));
    const held = await occupier('pixel-labs');
    expect(held.metadata.deletionTimestamp).toBeDefined();
    expect(held.metadata.finalizers).toContain('occupier.dev/finalizer');

    await setSiteSettings('london-shoreditch', { failOnStep: null });
    await k(['wait', '--for=delete', 'occupiers/pixel-labs', '-n', NS, '--timeout=30s']);
    for (const id of infra) {
      expect(counts('london-shoreditch', id), id).toMatchObject({ creates: 1, removes: 1 });
      const [cap = '', type = '', ...key] = id.split('/');
      expect((await observe('london-shoreditch', cap, type, key.join('/'))).exists, id).toBe(false);
    }
    // History stays with billing: the contract is Completed, services Inactive.
    expect((await observe('london-shoreditch', 'billing', 'contract', 'occupiers/pixel-labs')).details).toMatchObject({ status: 'Completed' });
    expect((await observe('london-shoreditch', 'billing', 'service', 'occupiers/pixel-labs/internet-100')).details).toMatchObject({ state: 'Inactive' });
  });

  it('a Site with occupiers refuses deletion (Ready=False InUse) until they are gone', async () => {
    const initech = await occupier('initech');
    const infra = (initech.status?.sites?.[0]?.inventory ?? []).filter((id) => !id.startsWith('billing/'));
    await k(['delete', 'sites', 'manchester-spinningfields', '--wait=false']);
    const held = await until('Site Ready=False InUse', async () => {
      const s = await site('manchester-spinningfields');
      return condition(s, 'Ready')?.reason === 'InUse' ? s : undefined;
    });
    expect(condition(held, 'Ready')).toMatchObject({ status: 'False', reason: 'InUse' });
    expect(condition(held, 'Ready')?.message).toContain('occupiers/initech');
    expect(held.metadata.deletionTimestamp).toBeDefined();
    const events = JSON.parse(await k(['get', 'events', '-A', '--field-selector', 'involvedObject.name=manchester-spinningfields,type=Warning', '-o', 'json'])) as { items: { reason: string }[] };
    expect(events.items.map((e) => e.reason)).toContain('InUse');
    // Still there a little later.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await site('manchester-spinningfields')).metadata.deletionTimestamp).toBeDefined();

    await k(['delete', 'occupiers', '-n', NS, 'initech', '--timeout=30s']);
    await k(['wait', '--for=delete', 'sites/manchester-spinningfields', '--timeout=30s']);
    for (const id of infra) expect(counts('manchester-spinningfields', id), id).toMatchObject({ creates: 1, removes: 1 });
  });
});
