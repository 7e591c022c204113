import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseResource, Site } from '../../operator/src/api/index.ts';
import type { SiteSpec } from '../../operator/src/api/index.ts';
import { DriverRegistry, driverRefFor, idempotencyKey, itemKeys, SimulatedBackend, SimulatedDriver, startReferenceServer } from './index.ts';
import type { ReferenceServer } from './index.ts';

const example = parseResource(Site, load(readFileSync(new URL('../../examples/sites/london-shoreditch.yaml', import.meta.url), 'utf8')));
const base: SiteSpec = example.spec;

function withDrivers(drivers: SiteSpec['drivers']): SiteSpec {
  return { ...base, drivers };
}

describe('driverRefFor', () => {
  it('takes the capability entry, else default, else simulated', () => {
    const spec = withDrivers({ default: { driver: 'simulated', timeoutSeconds: 5, settings: { latencyMs: '1' } }, telephony: { driver: 'http', endpoint: 'http://voice.example', timeoutSeconds: 10 } });
    expect(driverRefFor(spec, 'telephony')).toMatchObject({ driver: 'http', endpoint: 'http://voice.example' });
    expect(driverRefFor(spec, 'network')).toMatchObject({ driver: 'simulated', timeoutSeconds: 5 });
    expect(driverRefFor(withDrivers(undefined), 'records')).toEqual({ driver: 'simulated', timeoutSeconds: 30 });
  });
});

describe('DriverRegistry', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('gives typed clients over the shared simulated backend, with metrics', async () => {
    const metricsRegistry = new Registry();
    const registry = new DriverRegistry({ metricsRegistry });
    cleanups.push(() => registry.close());
    const network = registry.client('london-shoreditch', base, 'network');
    const out = await network.ensure('allocation', 'occ-1', { occupier: 'occ-1' }, idempotencyKey('uid-1', 'london-shoreditch', 'network'));
    expect(out).toEqual({ state: 'Done', details: { vlan: 100, subnet: '10.20.0.0/26', gateway: '10.20.0.1', prefixLength: 26 } });
    const pool = await network.observe('pool', '-');
    expect(pool.details).toEqual({ vlans: { total: 800, allocated: 1 }, subnets: { total: 1024, allocated: 1 } });
    expect(registry.backend.counts({ site: 'london-shoreditch', capability: 'network', type: 'allocation', key: 'occ-1' }).creates).toBe(1);
    const text = await metricsRegistry.metrics();
    expect(text).toContain('occupier_operator_driver_calls_total{driver="simulated",capability="network",op="ensure",result="done"} 1');
  });

  it('treats a changed spec under the same step key as a new request, a repeated spec as the same', async () => {
    const registry = new DriverRegistry();
    cleanups.push(() => registry.close());
    const billing = registry.client('london-shoreditch', base, 'billing');
    const step = idempotencyKey('uid-1', 'london-shoreditch', 'service', 'internet-100');
    await billing.ensure('service', itemKeys.service('occ-1', 'internet-100'), { occupier: 'occ-1', name: 'internet-100', quantity: 1 }, step);
    await billing.ensure('service', 'occ-1/internet-100', { occupier: 'occ-1', name: 'internet-100', quantity: 1 }, step);
    expect(await billing.ensure('service', 'occ-1/internet-100', { occupier: 'occ-1', name: 'internet-100', quantity: 4 }, step)).toMatchObject({ details: { quantity: 4 } });
    expect(registry.backend.counts({ site: 'london-shoreditch', capability: 'billing', type: 'service', key: 'occ-1/internet-100' })).toEqual({ creates: 1, updates: 1, removes: 0 });
  });

  it('reuses one driver per distinct driverRef', () => {
    const registry = new DriverRegistry();
    cleanups.push(() => registry.close());
    const a = registry.client('s', base, 'wifi').driver;
    expect(registry.client('s', base, 'access').driver).toBe(a);
    expect(registry.client('s', withDrivers({ default: { driver: 'simulated', timeoutSeconds: 30, settings: { latencyMs: '2' } } }), 'wifi').driver).not.toBe(a);
  });

  it('overlays the Site settings on registry-wide simulated settings', async () => {
    const registry = new DriverRegistry({ simulatedSettings: { failOnStep: 'wifi', latencyMs: '0' } });
    cleanups.push(() => registry.close());
    await expect(registry.client('s', base, 'wifi').observe('account', 'a@example.com')).rejects.toMatchObject({ reason: 'InjectedFailure' });
    const quiet = withDrivers({ default: { driver: 'simulated', timeoutSeconds: 30, settings: { failOnStep: '' } } });
    expect((await registry.client('s', quiet, 'wifi').observe('account', 'a@example.com')).exists).toBe(false);
  });

  it('fails every call of a misconfigured driver Permanent InvalidSettings', async () => {
    const registry = new DriverRegistry();
    cleanups.push(() => registry.close());
    const broken = registry.client('s', withDrivers({ default: { driver: 'simulated', timeoutSeconds: 30, settings: { failRate: '2' } } }), 'wifi');
    await expect(broken.observe('account', 'a@example.com')).rejects.toMatchObject({ code: 'Permanent', reason: 'InvalidSettings' });
    const noEndpoint = registry.client('s', withDrivers({ default: { driver: 'http', timeoutSeconds: 30 } }), 'wifi');
    await expect(noEndpoint.observe('account', 'a@example.com')).rejects.toMatchObject({ code: 'Permanent', reason: 'InvalidSettings' });
  });

  it('calls an http backend with the bearer token from the Site credentials Secret', async () => {
    const backend = new SimulatedBackend();
    const server: ReferenceServer = await startReferenceServer({ driver: new SimulatedDriver({ backend }), token: 's3cret' });
    cleanups.push(() => server.close());
    const secrets: Record<string, Record<string, string>> = { 'voice-creds': { token: 's3cret\n' }, 'wrong-creds': { token: 'nope' } };
    const asked: string[] = [];
    const registry = new DriverRegistry({
      credentials: async (ref) => {
        asked.push(`${ref.namespace ?? '-'}/${ref.name}`);
        const data = secrets[ref.name];
        if (!data) throw new Error(`secret ${ref.name} not found`);
        return data;
      },
    });
    cleanups.push(() => registry.close());
    const ref = (name: string) => withDrivers({ telephony: { driver: 'http', endpoint: server.url, timeoutSeconds: 5, credentialsSecretRef: { name, namespace: 'ops' } } });
    const telephony = registry.client('london-shoreditch', ref('voice-creds'), 'telephony');
    expect(await telephony.ensure('number', '+442070460001', { occupier: 'occ-1' }, 'k-1')).toMatchObject({ state: 'Done', details: { state: 'Allocated' } });
    expect(asked).toEqual(['ops/voice-creds']);
    expect(backend.counts({ site: 'london-shoreditch', capability: 'telephony', type: 'number', key: '+442070460001' }).creates).toBe(1);
    await expect(registry.client('london-shoreditch', ref('wrong-creds'), 'telephony').observe('number', '+442070460001')).rejects.toMatchObject({ code: 'Permanent', reason: 'Unauthorized' });
    await expect(registry.client('london-shoreditch', ref('missing'), 'telephony').observe('number', '+442070460001')).rejects.toMatchObject({ code: 'Transient', reason: 'Unauthorized' });
  });

  it('keeps the simulated state across a registry restart on the same state directory', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'registry-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const first = new DriverRegistry({ stateDir: dir });
    await first.client('s', base, 'ports').ensure('port', 'occ-1/desk-1', { occupier: 'occ-1', switch: 'sw-2a' }, 'k');
    await first.close();
    const second = new DriverRegistry({ stateDir: dir });
    cleanups.push(() => second.close());
    expect((await second.client('s', base, 'ports').observe('port', 'occ-1/desk-1')).details).toEqual({ switch: 'sw-2a', port: 1, occupier: 'occ-1' });
  });
});
