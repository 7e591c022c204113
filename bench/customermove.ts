/**
 * CustomerMove benchmark (issue 11): a customer with 1,000 users and 20 services moves to
 * another reseller at the same location, every simulated driver call taking 50 ms, on the
 * embedded cluster. Measured: from `kubectl apply` of the order to `Succeeded` (billing and
 * directory under the new reseller, every service's access level changed, every user's
 * inherited properties set). Target: 2 s. Printed beside a baseline in the same run: the
 * same move one driver call at a time (how the manual's wizard goes).
 *
 *   node bench/customermove.ts [--users 1000] [--services 20] [--latency 50] [--no-baseline]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startOperator } from '../operator/src/operator.ts';
import { silentLogger } from '../operator/src/runtime/index.ts';
import { withDevCluster } from '../test/support/cluster.ts';
import { conditionOf, manifest, NS, Objects, occupier, phaseOf, site, until } from '../test/support/estate.ts';
import type { Obj } from '../test/support/estate.ts';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '1000' },
    services: { type: 'string', default: '20' },
    latency: { type: 'string', default: '50' },
    'no-baseline': { type: 'boolean', default: false },
  },
});
const latency = Number(values.latency);
const users = Number(values.users);
const serviceNames = Array.from({ length: Number(values.services) }, (_, i) => `svc-${String(i + 1).padStart(2, '0')}`);
const SITE = { name: 'cm-bench', index: 1 };

/** The Site: a catalog of `services`, each with a Standard and a Premium access level. */
function benchSite(settings: Record<string, string> = {}): Obj {
  const o = site(SITE.name, SITE.index, settings);
  (o.spec as { catalog: { services: unknown[] } }).catalog.services = serviceNames.map((name) => ({
    name,
    capability: 'network',
    accessLevels: [
      { name: 'Standard', properties: { tier: 'standard' } },
      { name: 'Premium', properties: { tier: 'premium', support: '24x7' } },
    ],
  }));
  return o;
}

const reseller = (name: string): Obj => ({
  apiVersion: 'occupier.dev/v1alpha1',
  kind: 'Occupier',
  metadata: { name, namespace: NS },
  spec: { displayName: `Reseller ${name}`, reseller: true, sites: [{ site: SITE.name, contract: { startDate: '2024-01-01', tariff: 'standard-2026' }, services: serviceNames.map((name) => ({ name, quantity: 10, accessLevel: 'Standard' })) }] },
});

function customer(name: string, n: number): Obj {
  const o = occupier(name, n, { sites: [SITE], users, numbers: 0, devices: 0, ports: 0 });
  const spec = o.spec as { resellerRef?: { name: string }; sites: { services: unknown[] }[] };
  spec.resellerRef = { name: 'reseller-a' };
  for (const e of spec.sites) e.services = serviceNames.map((s) => ({ name: s, quantity: 1, accessLevel: 'Standard' }));
  return o;
}

const env = await withDevCluster();
const stateDir = mkdtempSync(join(tmpdir(), 'bench-customermove-'));
const objects = new Objects(env.kubeConfig);

interface Run {
  name: string;
  items: number;
  seconds: number;
  calls: number;
  statusKiB: number;
}

async function onboard(names: string[]): Promise<void> {
  const op = startOperator({ kubeConfig: env.kubeConfig, metricsPort: null, handleSignals: false, logger: silentLogger(), stateDir });
  await env.kubectlOk(['apply', '-f', '-'], manifest(benchSite(), reseller('reseller-a'), reseller('reseller-b')));
  await env.kubectlOk(['apply', '-f', '-'], manifest(...names.map((n, i) => customer(n, i + 1))));
  await until('customers Ready', async () => {
    for (const n of [...names, 'reseller-a', 'reseller-b']) if (conditionOf(await objects.get('occupiers', n), 'Ready')?.status !== 'True') return false;
    return true;
  }, 600_000, 500);
  await op.stop();
  await op.done;
}

async function run(name: string, customerName: string, itemConcurrency: number): Promise<Run> {
  await env.kubectlOk(['apply', '-f', '-'], manifest(benchSite({ latencyMs: String(latency) })));
  const op = startOperator({ kubeConfig: env.kubeConfig, metricsPort: null, handleSignals: false, logger: silentLogger(), stateDir, orders: { itemConcurrency } });
  await until('operator ready', async () => op.manager.isReady(), 60_000);
  const before = op.drivers.backend.totals();
  const started = performance.now();
  await env.kubectlOk(['apply', '-f', '-'], manifest({ apiVersion: 'occupier.dev/v1alpha1', kind: 'CustomerMove', metadata: { name: customerName, namespace: NS }, spec: { occupierRef: { name: customerName }, toReseller: { name: 'reseller-b' } } }));
  const done = await until(`${customerName} moved`, async () => {
    const o = await objects.get('customermoves', customerName);
    return phaseOf(o) === 'Succeeded' ? o : undefined;
  }, 900_000, 20);
  const seconds = (performance.now() - started) / 1000;
  const after = op.drivers.backend.totals();
  await op.stop();
  await op.done;
  const calls = after.creates + after.updates + after.removes - (before.creates + before.updates + before.removes);
  return { name, items: itemConcurrency, seconds, calls, statusKiB: Buffer.byteLength(JSON.stringify(done.status)) / 1024 };
}

await env.kubectlOk(['create', 'namespace', NS]);
const names = values['no-baseline'] ? ['cust-fast'] : ['cust-fast', 'cust-baseline'];
await onboard(names);
const results: Run[] = [await run('operator --order-item-concurrency 256', 'cust-fast', 256)];
if (!values['no-baseline']) results.push(await run('baseline (one driver call at a time)', 'cust-baseline', 1));
await env.stop();
rmSync(stateDir, { recursive: true, force: true });

const pad = (s: string, n: number): string => s.padEnd(n);
process.stdout.write(
  `\nCustomer move: ${users} users, ${serviceNames.length} services, ${latency} ms per driver call; time to Succeeded\n` +
    `${pad('run', 40)}${pad('calls/step', 12)}${pad('changes', 9)}${pad('seconds', 9)}${pad('changes/s', 11)}status KiB\n` +
    results.map((r) => `${pad(r.name, 40)}${pad(String(r.items), 12)}${pad(String(r.calls), 9)}${pad(r.seconds.toFixed(2), 9)}${pad((r.calls / r.seconds).toFixed(0), 11)}${r.statusKiB.toFixed(0)}`).join('\n') +
    `\ntarget: 2 s\n`,
);
process.exit(0);
