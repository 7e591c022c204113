/**
 * The order engine's starts and runs go beside the controller's workers (issue 13): with one
 * worker, an order whose run is long (every driver call at its site takes 1.5 s) neither
 * delays another order's start nor its run, and a reconcile of the running order meanwhile
 * (an annotation) starts no second run of it. Embedded cluster or real kube-apiserver
 * (OCCUPIER_TEST_CLUSTER), operator in process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperator } from '../../operator/src/operator.ts';
import type { RunningOperator } from '../../operator/src/operator.ts';
import { silentLogger } from '../../operator/src/runtime/index.ts';
import { withCluster } from '../support/cluster.ts';
import type { ClusterEnv } from '../support/cluster.ts';
import { conditionOf, decommission, manifest, NS, Objects, occupier, phaseOf, site, until } from '../support/estate.ts';

let env: ClusterEnv;
let op: RunningOperator;
let objects: Objects;
const SLOW = { name: 'runs-slow', index: 7 };
const FAST = { name: 'runs-fast', index: 8 };

const kubectl = (args: string[], stdin?: string): Promise<string> => env.kubectlOk(args, stdin);

async function readyOccupier(name: string, n: number, at: { name: string; index: number }): Promise<void> {
  await kubectl(['apply', '-f', '-'], manifest(occupier(name, n, { sites: [at], users: 3, numbers: 2, devices: 1, ports: 1 })));
  await until(`occupier ${name} Ready`, async () => conditionOf(await objects.get('occupiers', name), 'Ready')?.status === 'True', 60_000);
}

beforeAll(async () => {
  env = await withCluster();
  objects = new Objects(env.kubeConfig);
  op = startOperator({ kubeConfig: env.kubeConfig, metricsPort: null, handleSignals: false, logger: silentLogger(), workers: 1 });
  await kubectl(['create', 'namespace', NS]);
  await kubectl(['apply', '-f', '-'], manifest(site(SLOW.name, SLOW.index), site(FAST.name, FAST.index)));
  await until('operator ready', async () => op.manager.isReady());
}, 60_000);

afterAll(async () => {
  await op?.stop();
  await env?.stop();
});

describe('order starts and runs beside the workers (1 worker)', () => {
  it('a long run delays neither another order\'s start nor its run, and a reconcile of the running order starts no second run', async () => {
    await readyOccupier('long-run', 1, SLOW);
    await readyOccupier('quick-run', 2, FAST);
    // From now on every driver call at the slow site takes 1.5 s: the run of long-run lasts many seconds.
    await kubectl(['apply', '-f', '-'], manifest(site(SLOW.name, SLOW.index, { latencyMs: '1500' })));

    await kubectl(['apply', '-f', '-'], manifest(decommission('long-run', 'long-run')));
    await until('long-run Running', async () => phaseOf(await objects.get('decommissions', 'long-run')) === 'Running', 60_000);
    // A reconcile of the running order (metadata changed) while it runs.
    await kubectl(['-n', NS, 'annotate', 'decommission', 'long-run', 'example.com/poke=1']);

    await kubectl(['apply', '-f', '-'], manifest(decommission('quick-run', 'quick-run')));
    const quick = await until('quick-run Succeeded', async () => {
      const o = await objects.get('decommissions', 'quick-run');
      return phaseOf(o) === 'Succeeded' ? o : undefined;
    }, 60_000);
    const long = await objects.get('decommissions', 'long-run');
    // Inside the reconcile, the one worker would have been held until long-run ended.
    expect(phaseOf(long), 'long-run is still running when quick-run has finished').toBe('Running');
    expect((quick.status as { startedAt?: string }).startedAt).toBeDefined();

    const done = await until('long-run Succeeded', async () => {
      const o = await objects.get('decommissions', 'long-run');
      return phaseOf(o) === 'Succeeded' ? o : undefined;
    }, 120_000);
    // One run at a time: every step attempted once (a second run would have begun each again).
    const tasks = (done.status as { tasks: { step: string; attempts?: number; state: string }[] }).tasks;
    expect(tasks.length).toBeGreaterThan(1);
    expect(tasks.map((t) => `${t.step}: ${t.attempts ?? 0}`)).toEqual(tasks.map((t) => `${t.step}: 1`));
  }, 240_000);
});
