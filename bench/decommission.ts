/**
 * Decommission benchmark (issue 6): an occupier with 1,000 users, 200 numbers and 100 shared
 * Wi-Fi devices across 5 sites, every simulated driver call taking 50 ms, decommissioned on
 * the embedded cluster. The manual's process takes ~60 minutes; the target is under 10 s.
 * Printed beside a baseline run in the same process: the same decommission one site at a
 * time with 4 driver calls in flight (how a careful script would do it); and, as the ceiling,
 * the operator with `--wide` calls per step in flight (default 1,024: every call of a step at
 * once, so the run is the chain of steps and nothing else).
 *
 *   node bench/decommission.ts [--users 1000] [--numbers 200] [--devices 100] [--latency 50] [--wide 1024] [--no-baseline]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startOperator } from '../operator/src/operator.ts';
import { silentLogger } from '../operator/src/runtime/index.ts';
import { withDevCluster } from '../test/support/cluster.ts';
import { decommission, manifest, NS, Objects, occupier, phaseOf, site, until } from '../test/support/estate.ts';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '1000' },
    numbers: { type: 'string', default: '200' },
    devices: { type: 'string', default: '100' },
    latency: { type: 'string', default: '50' },
    wide: { type: 'string', default: '1024' },
    'no-baseline': { type: 'boolean', default: false },
  },
});
const shape = { users: Number(values.users), numbers: Number(values.numbers), devices: Number(values.devices), ports: 50 };
const SITES = Array.from({ length: 5 }, (_, i) => ({ name: `bench-${i + 1}`, index: i + 1 }));

const env = await withDevCluster();
// One outside world for every operator instance of this run: the simulated backend persists here.
const stateDir = mkdtempSync(join(tmpdir(), 'bench-decommission-'));
const objects = new Objects(env.kubeConfig);
const kubectl = async (args: string[], stdin?: string): Promise<void> => {
  const r = await env.kubectl(args, stdin);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
};

interface Run {
  name: string;
  sites: number;
  items: number;
  seconds: number;
  calls: number;
}

async function onboard(names: string[]): Promise<void> {
  const op = startOperator({ kubeConfig: env.kubeConfig, metricsPort: null, handleSignals: false, logger: silentLogger(), stateDir });
  await kubectl(['apply', '-f', '-'], manifest(...SITES.map((s) => site(s.name, s.index))));
  await kubectl(['apply', '-f', '-'], manifest(...names.map((n, i) => occupier(n, i + 1, { sites: SITES, ...shape }))));
  await until('occupiers Ready', async () => {
    for (const n of names) {
      const o = await objects.get('occupiers', n);
      const ready = ((o?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      if (!ready) return false;
    }
    return true;
  }, 600_000, 500);
  await op.stop();
  await op.done;
}

async function run(name: string, occupierName: string, siteConcurrency: number, itemConcurrency: number): Promise<Run> {
  // Every driver call now takes the benchmark latency; the backend (stateDir) holds what onboarding made.
  await kubectl(['apply', '-f', '-'], manifest(...SITES.map((s) => site(s.name, s.index, { latencyMs: values.latency ?? '50' }))));
  const op = startOperator({ kubeConfig: env.kubeConfig, metricsPort: null, handleSignals: false, logger: silentLogger(), stateDir, orders: { siteConcurrency, itemConcurrency } });
  await until('operator ready', async () => op.manager.isReady(), 60_000);
  const before = op.drivers.backend.totals();
  const started = performance.now();
  await kubectl(['apply', '-f', '-'], manifest(decommission(occupierName, occupierName)));
  await until(`${occupierName} decommissioned`, async () => phaseOf(await objects.get('decommissions', occupierName)) === 'Succeeded', 900_000, 50);
  const seconds = (performance.now() - started) / 1000;
  const after = op.drivers.backend.totals();
  await op.stop();
  await op.done;
  const calls = after.creates + after.updates + after.removes - (before.creates + before.updates + before.removes);
  return { name, sites: siteConcurrency, items: itemConcurrency, seconds, calls };
}

await kubectl(['create', 'namespace', NS]);
const wide = Number(values.wide);
const names = ['bench-fast', ...(wide > 0 ? ['bench-wide'] : []), ...(values['no-baseline'] ? [] : ['bench-baseline'])];
await onboard(names);
const results: Run[] = [await run('operator (defaults: 5 sites, 32 calls per step)', 'bench-fast', 5, 32)];
if (wide > 0) results.push(await run(`ceiling: operator, ${wide} calls per step`, 'bench-wide', 5, wide));
if (!values['no-baseline']) results.push(await run('baseline (one site at a time, 4 calls per step)', 'bench-baseline', 1, 4));
await env.stop();
rmSync(stateDir, { recursive: true, force: true });

const pad = (s: string, n: number): string => s.padEnd(n);
process.stdout.write(
  `\nDecommission of one occupier: ${shape.users} users, ${shape.numbers} numbers, ${shape.devices} devices, ${shape.ports} ports across 5 sites, ${values.latency} ms per driver call\n` +
    `${pad('run', 52)}${pad('sites', 7)}${pad('calls/step', 12)}${pad('changes', 9)}${pad('seconds', 9)}changes/s\n` +
    results.map((r) => `${pad(r.name, 52)}${pad(String(r.sites), 7)}${pad(String(r.items), 12)}${pad(String(r.calls), 9)}${pad(r.seconds.toFixed(2), 9)}${(r.calls / r.seconds).toFixed(0)}`).join('\n') +
    `\ntarget: under 10 s (the manual's process takes ~60 minutes); issue 13: 2 s. At 32 calls per step the run is at its floor: ~39 rounds of 32 calls at 50 ms (the users step alone is ~600 calls)\n`,
);
process.exit(0);
