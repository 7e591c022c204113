// Onboarding benchmark: N Occupiers (3 users, 1 site each; default 10,000) applied to a
// running operator on the embedded cluster with the simulated driver (latencyMs 0), until
// every one is `Ready`.
//
//   node --expose-gc bench/onboarding.ts [--occupiers 10000] [--workers 4] [--modes baseline,runtime] [--timeout 900] [--latency-ms 0]
//
// Two runs, one after the other, printed side by side; each in its own Node process (so peak
// RSS is that run's) against its own embedded cluster (a further child process, as
// `npm run devcluster` runs it, started from a copy of one seeded with the namespace and Sites):
//   runtime   the operator as shipped (startOperator: informer caches, work queue with dedup
//             and backoff, N workers, plus the Site and order controllers)
//   baseline  the same Occupier reconcile function behind a naive loop: list, then watch, and
//             handle every event one at a time with the object the event carried (no cache, no
//             queue, no dedup; on error re-read the object and try again)
// The clock runs from the first Occupier create to the last Ready (creates go over one
// keep-alive pool, 32 in flight, while the operator runs). Both modes use the same drivers,
// API clients and client-side rate limit (raised so the API limiter is not what is measured).
// RSS is the run's process (the operator side; the cluster runs in its own process), sampled every
// 50 ms; "peak RSS/1,000" is the peak minus the RSS before the run, per 1,000 occupiers. Once
// every occupier is Ready, a full GC, the simulated driver's state dropped and a second GC give
// "heap after GC/1,000" (heap used minus before the run) and "RSS at rest/1,000". CPU is
// user+system seconds of the run's process and of the cluster process during the run.
// "connections opened" counts undici's connects in the run's process (client-node's, the
// readiness watch included); "reconciles/occupier" is Occupier reconciles over N. The simulated
// driver's state (the outside world: items, idempotency records) lives in the same process and
// is printed on its own line. The ceiling: right after each run, raw status merge-patches of
// the occupiers (32 in flight) show how many writes per second that cluster takes at all.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { subscribe } from 'node:diagnostics_channel';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, Watch } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { benchOccupier, cpuSeconds, formatTable, GROUP, NS, OCCUPIERS_PATH, pool, rawClient, seed, startCluster, stopCluster, VERSION } from './support/cluster.ts';
import { DriverRegistry, driverRefFor } from '../drivers/src/registry.ts';
import type { SimulatedBackend } from '../drivers/src/simulated/backend.ts';
import type { OccupierResource, SiteResource } from '../operator/src/api/index.ts';
import { occupierReconciler } from '../operator/src/controllers/occupier/controller.ts';
import type { DriverResolver } from '../operator/src/controllers/execute.ts';
import { OPERATOR_NODE_FLAGS } from '../operator/src/cli/node-flags.ts';
import { COMPONENT, startOperator } from '../operator/src/operator.ts';
import { apiRateLimiter, EventRecorder, makeRateLimitedApiClient, realClock, ResourceClient, silentLogger } from '../operator/src/runtime/index.ts';
import type { ReconcileContext } from '../operator/src/runtime/index.ts';

const { values } = parseArgs({
  options: {
    occupiers: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '4' },
    modes: { type: 'string', default: 'baseline,runtime' },
    timeout: { type: 'string', default: '900' },
    qps: { type: 'string', default: '5000' },
    // Simulated driver latency per call (the issue's benchmark uses 0).
    'latency-ms': { type: 'string', default: '0' },
    // Internal: run one mode against a seeded data dir and print its result as JSON.
    'run-one': { type: 'string' },
    'seed-dir': { type: 'string' },
  },
});
const N = Number(values.occupiers);
const WORKERS = Number(values.workers);
const TIMEOUT_MS = Number(values.timeout) * 1000;
const QPS = Number(values.qps);
const LATENCY_MS = String(Number(values['latency-ms']));
const MODES = values.modes.split(',').map((m) => m.trim()).filter((m) => m === 'baseline' || m === 'runtime');
const SITES = Math.max(1, Math.ceil(N / 3000));
const PER_SITE = Math.ceil(N / SITES);
const gc = (globalThis as { gc?: () => void }).gc;
const log = silentLogger();
const T0 = performance.now();
const note = (what: string): void => {
  process.stderr.write(`  [${((performance.now() - T0) / 1000).toFixed(1)} s] ${what}\n`);
};

/** Creates N Occupiers (32 in flight); returns creates/s. */
async function createOccupiers(kc: KubeConfig): Promise<number> {
  const client = rawClient(kc);
  try {
    const t0 = performance.now();
    await pool(N, 32, (i) => client.post(OCCUPIERS_PATH, benchOccupier(i, Math.floor(i / PER_SITE))));
    return N / ((performance.now() - t0) / 1000);
  } finally {
    client.close();
  }
}

/** Watches occupiers and resolves when every one of them is Ready. */
async function readiness(kc: KubeConfig): Promise<{ done: Promise<void>; ready: () => number; stop: () => void }> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const list = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: 'occupiers', limit: 1 })) as { metadata?: { resourceVersion?: string } };
  const ready = new Set<string>();
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  let abort: AbortController | undefined;
  let stopped = false;
  const watch = async (rv: string | undefined): Promise<void> => {
    abort = await new Watch(kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${NS}/occupiers`,
      { allowWatchBookmarks: true, ...(rv ? { resourceVersion: rv } : {}) },
      (phase, obj: OccupierResource) => {
        const name = obj.metadata?.name ?? '';
        lastRv = obj.metadata?.resourceVersion ?? lastRv;
        if (phase === 'BOOKMARK') return;
        const isReady = phase !== 'DELETED' && (obj.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
        if (isReady) ready.add(name);
        else ready.delete(name);
        if (ready.size >= N) resolveDone();
      },
      () => {
        if (!stopped) void watch(lastRv);
      },
    );
  };
  let lastRv = list.metadata?.resourceVersion;
  await watch(lastRv);
  return { done, ready: () => ready.size, stop: () => { stopped = true; abort?.abort(); } };
}

function resolverFor(drivers: DriverRegistry): DriverResolver {
  return {
    resolve: async (s, capability) => {
      const ref = driverRefFor(s.spec, capability);
      return { driver: drivers.driverFor(ref), timeoutMs: (ref.timeoutSeconds ?? 30) * 1000 };
    },
  };
}

interface Running {
  reconciles(): Promise<number>;
  creates(): number;
  driverState(): DriverState;
  /** Drops the simulated driver's state (the providers' side), so the heap left is the operator's. */
  dropDriverState(): void;
  stop(): Promise<void>;
}

type DriverState = ReturnType<SimulatedBackend['stats']>;

/** TCP connections the API clients (undici, as client-node uses it) open in this process. */
let connectionsOpened = 0;
subscribe('undici:client:connected', () => { connectionsOpened++; });

async function startRuntime(kc: KubeConfig): Promise<Running> {
  const op = startOperator({ kubeConfig: kc, metricsPort: null, workers: WORKERS, logger: log, handleSignals: false, qps: QPS, burst: QPS });
  while (!op.manager.isReady()) await new Promise((r) => setTimeout(r, 20));
  return {
    reconciles: async () => (await op.manager.metrics.reconcileTotal.get()).values.filter((v) => v.labels.controller === 'occupier').reduce((n, v) => n + v.value, 0),
    creates: () => op.drivers.backend.totals().creates,
    driverState: () => op.drivers.backend.stats(),
    dropDriverState: () => op.drivers.backend.close(),
    stop: async () => {
      await op.stop();
      await op.done;
    },
  };
}

/** The same reconcile function behind a naive list-then-watch loop, one event at a time. */
async function startBaseline(kc: KubeConfig): Promise<Running> {
  const bucket = apiRateLimiter({ qps: QPS, burst: QPS });
  const custom = makeRateLimitedApiClient(kc, CustomObjectsApi, { bucket });
  const core = makeRateLimitedApiClient(kc, CoreV1Api, { bucket });
  const drivers = new DriverRegistry();
  const client = new ResourceClient<OccupierResource>(custom, { group: GROUP, version: VERSION, plural: 'occupiers', kind: 'Occupier' }, { fieldManager: COMPONENT });
  const sites = new Map<string, SiteResource>();
  const siteList = (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'sites' })) as { items: SiteResource[] };
  for (const s of siteList.items) sites.set(s.metadata.name ?? '', s);
  const reconcile = occupierReconciler({
    client,
    sites: { get: (name) => sites.get(name) },
    // The naive loop has no orders: onboarding only.
    orders: () => [],
    drivers: resolverFor(drivers),
    events: new EventRecorder({ core, component: COMPONENT, logger: log, clock: realClock }),
    clock: realClock,
  });
  let reconciles = 0;
  let stopped = false;
  const events: OccupierResource[] = [];
  let wake: (() => void) | undefined;
  const abortAll = new AbortController();
  const handle = async (obj: OccupierResource): Promise<void> => {
    let current: OccupierResource | undefined = obj;
    for (let attempt = 0; attempt < 5 && current && !stopped; attempt++) {
      const ns: string = current.metadata.namespace ?? NS;
      const name: string = current.metadata.name ?? '';
      const ctx: ReconcileContext = { key: `${ns}/${name}`, namespace: ns, name, reconcileId: String(reconciles), controller: 'occupier', log, signal: abortAll.signal, retries: attempt };
      reconciles++;
      try {
        await reconcile(current, ctx);
        return;
      } catch {
        current = await client.get(ns, name).catch(() => undefined);
      }
    }
  };
  const listed = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: 'occupiers' })) as { items: OccupierResource[]; metadata?: { resourceVersion?: string } };
  events.push(...listed.items);
  let lastRv = listed.metadata?.resourceVersion;
  let watchAbort: AbortController | undefined;
  const watch = async (): Promise<void> => {
    watchAbort = await new Watch(kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${NS}/occupiers`,
      { allowWatchBookmarks: true, ...(lastRv ? { resourceVersion: lastRv } : {}) },
      (phase, obj: OccupierResource) => {
        lastRv = obj.metadata?.resourceVersion ?? lastRv;
        if (phase === 'BOOKMARK') return;
        events.push(obj);
        wake?.();
      },
      () => {
        if (!stopped) void watch();
      },
    );
  };
  await watch();
  const loop = (async () => {
    while (!stopped) {
      const next = events.shift();
      if (next) await handle(next);
      else await new Promise<void>((r) => (wake = r));
    }
  })();
  return {
    reconciles: async () => reconciles,
    creates: () => drivers.backend.totals().creates,
    driverState: () => drivers.backend.stats(),
    dropDriverState: () => drivers.backend.close(),
    stop: async () => {
      stopped = true;
      abortAll.abort();
      watchAbort?.abort();
      wake?.();
      await loop;
      await drivers.close();
    },
  };
}

interface Result {
  mode: string;
  seconds: number;
  reconciles: number;
  perSecond: number;
  peakRssMb: number;
  rssPer1000Mb: number;
  creates: number;
  ready: number;
  seedPerSecond: number;
  operatorCpu: number;
  clusterCpu: number;
  connections: number;
  driver: DriverState;
  /** Heap the simulated driver's state held (the heap after GC fell by this much when it was dropped). */
  driverHeapMb: number;
  /** Raw status writes per second the same cluster takes from the bench, right after the run. */
  ceiling: number;
  /** Heap after a full GC, all Ready, the simulated driver's state dropped, minus before the run, per 1,000 occupiers. */
  retainedPer1000Mb: number;
  /** RSS at that moment minus before the run, per 1,000 occupiers. */
  restRssPer1000Mb: number;
}

/** The ceiling: `writes` raw status merge-patches of the occupiers, 32 in flight, per second. */
async function rawWriteRate(kc: KubeConfig, writes: number): Promise<number> {
  const client = rawClient(kc);
  try {
    const t0 = performance.now();
    await pool(writes, 32, (k) => client.send('PATCH', `${OCCUPIERS_PATH}/${benchOccupier(k % N, 0).metadata.name}/status`, JSON.stringify({ status: { sitesSummary: `ceiling-${k}` } }), 'application/merge-patch+json'));
    return writes / ((performance.now() - t0) / 1000);
  } finally {
    client.close();
  }
}

const mb = (bytes: number): number => bytes / 1024 / 1024;

/** Seeds one cluster (namespace, Sites), stops it, and keeps its data dir. */
async function seeded(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'onboarding-bench-seed-'));
  const cluster = await startCluster(dir, true);
  try {
    await seed(cluster.kc, SITES, LATENCY_MS);
    return dir;
  } finally {
    await stopCluster(cluster, false);
  }
}

async function run(mode: string, seedDir: string): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), `onboarding-bench-${mode}-`));
  cpSync(seedDir, dir, { recursive: true });
  const cluster = await startCluster(dir, false);
  try {
    note(`${mode}: cluster up`);
    const tracker = await readiness(cluster.kc);
    note(`${mode}: tracker watching`);
    gc?.();
    const before = process.memoryUsage.rss();
    const heapBefore = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 50);
    const connections0 = connectionsOpened;
    const running = mode === 'runtime' ? await startRuntime(cluster.kc) : await startBaseline(cluster.kc);
    note(`${mode}: operator running`);
    // Onboarding: the occupiers are applied to the running operator; the clock runs from the
    // first create to the last Ready.
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const clusterCpu0 = cpuSeconds(cluster.child.pid);
    const seedPerSecond = await createOccupiers(cluster.kc);
    note(`${mode}: ${N} occupiers created`);
    let timer: NodeJS.Timeout | undefined;
    const progress = setInterval(() => process.stderr.write(`  ${mode}: ${tracker.ready()}/${N} Ready after ${((performance.now() - t0) / 1000).toFixed(0)} s\n`), 15_000);
    await Promise.race([tracker.done, new Promise<void>((r) => (timer = setTimeout(r, TIMEOUT_MS)))]);
    const seconds = (performance.now() - t0) / 1000;
    clearTimeout(timer);
    clearInterval(progress);
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpu0);
    const operatorCpu = (cpu.user + cpu.system) / 1e6;
    const clusterCpu = cpuSeconds(cluster.child.pid) - clusterCpu0;
    peak = Math.max(peak, process.memoryUsage.rss());
    const reconciles = await running.reconciles();
    const creates = running.creates();
    const connections = connectionsOpened - connections0;
    // What stays: the heap after a full collection with every occupier Ready and cached, then
    // again without the simulated driver's state (in this process, but the providers' side).
    gc?.();
    const heapAll = process.memoryUsage().heapUsed;
    const driver = running.driverState();
    running.dropDriverState();
    gc?.();
    const heapOperator = process.memoryUsage().heapUsed;
    const retainedMb = mb(heapOperator - heapBefore);
    const driverHeapMb = mb(heapAll - heapOperator);
    const restRssMb = mb(process.memoryUsage.rss() - before);
    const ready = tracker.ready();
    if (ready < N) {
      // Say why: the Ready condition of a few occupiers that are not Ready.
      const custom = cluster.kc.makeApiClient(CustomObjectsApi);
      const all = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: 'occupiers' })) as { items: OccupierResource[] };
      const stuck = all.items.filter((o) => !(o.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
      for (const o of stuck.slice(0, 3)) {
        const c = (o.status?.conditions ?? []).find((x) => x.type === 'Ready');
        process.stderr.write(`  not Ready: ${o.metadata.name} finalizers=${JSON.stringify(o.metadata.finalizers ?? [])} Ready=${c ? `${c.status} ${c.reason}: ${c.message}` : '(none)'}\n`);
      }
    }
    tracker.stop();
    note(`${mode}: all Ready, stopping`);
    await running.stop();
    note(`${mode}: stopped`);
    const ceiling = await rawWriteRate(cluster.kc, Math.min(N, 5_000));
    return { mode, seconds, reconciles, perSecond: reconciles / seconds, peakRssMb: mb(peak), rssPer1000Mb: mb(peak - before) / (N / 1000), creates, ready, seedPerSecond, operatorCpu, clusterCpu, connections, driver, driverHeapMb, ceiling, retainedPer1000Mb: retainedMb / (N / 1000), restRssPer1000Mb: restRssMb / (N / 1000) };
  } finally {
    await stopCluster(cluster);
  }
}

if (values['run-one'] !== undefined) {
  const result = await run(values['run-one'], values['seed-dir'] ?? '');
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** Runs one mode in a fresh Node process (so its RSS is its own) and returns its result. */
function runChild(mode: string, seedDir: string): Promise<Result> {
  const args = ['--expose-gc', ...OPERATOR_NODE_FLAGS, import.meta.filename, '--run-one', mode, '--seed-dir', seedDir, '--occupiers', String(N), '--workers', String(WORKERS), '--timeout', String(TIMEOUT_MS / 1000), '--qps', String(QPS), '--latency-ms', LATENCY_MS];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((res, rej) => {
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) res(JSON.parse(line.slice('RESULT '.length)) as Result);
      else rej(new Error(`${mode} run exited with ${String(code)} and no result:\n${out}`));
    });
  });
}

const results: Result[] = [];
const seedDir = await seeded();
try {
  for (const mode of MODES) {
    process.stderr.write(`onboarding bench: ${mode}, ${N} occupiers on ${SITES} site(s)...\n`);
    results.push(await runChild(mode, seedDir));
  }
} finally {
  rmSync(seedDir, { recursive: true, force: true });
}

const header = ['mode', 'occupiers Ready', 'time (s)', 'Ready/s', 'reconciles', 'reconciles/occupier', 'connections opened', 'peak RSS (MB)', 'peak RSS/1,000 (MB)', 'RSS at rest/1,000 (MB)', 'heap after GC/1,000 (MB)', 'driver creates', 'CPU s (operator/cluster)', 'ceiling (raw writes/s)'];
const rows = results.map((r) => [
  r.mode === 'runtime' ? `runtime (${WORKERS} workers)` : 'baseline (naive loop)',
  `${r.ready}/${N}`,
  r.seconds.toFixed(1),
  (r.ready / r.seconds).toFixed(1),
  String(r.reconciles),
  (r.reconciles / N).toFixed(2),
  String(r.connections),
  r.peakRssMb.toFixed(0),
  r.rssPer1000Mb.toFixed(1),
  r.restRssPer1000Mb.toFixed(1),
  r.retainedPer1000Mb.toFixed(1),
  String(r.creates),
  `${r.operatorCpu.toFixed(1)}/${r.clusterCpu.toFixed(1)}`,
  r.ceiling.toFixed(0),
]);
process.stdout.write(`\nonboarding benchmark: ${N} occupiers (3 users, 1 site each), simulated driver latencyMs ${LATENCY_MS}, ${SITES} site(s); ${process.platform}/${process.arch}, ${cpus().length} cpus, node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}${gc ? '' : ' (no --expose-gc)'}\n`);
process.stdout.write(formatTable(header, rows));
process.stdout.write(`(time: from the first create to the last Ready, occupiers created at ${results.map((r) => `${r.seedPerSecond.toFixed(0)}/s (${r.mode})`).join(', ')} over one keep-alive connection pool, 32 in flight)\n`);
for (const r of results) {
  // In the same process as the operator, but not the operator's: a deployment's drivers keep this in the providers' systems.
  process.stdout.write(`simulated driver state (${r.mode}): ${r.driver.items} items, ${r.driver.idempotencyRecords} idempotency records, ${r.driver.tasks} tasks, ${mb(r.driver.bytes).toFixed(1)} MB as JSON, ${r.driverHeapMb.toFixed(1)} MB of heap — inside the RSS above, not in the heap after GC\n`);
}
process.stdout.write('(connections: TCP connections the process opened to the API server during the run, the readiness watch included; ceiling: raw status merge-patches per second the same cluster took from the bench right after the run, 32 in flight)\n');
const notReady = results.filter((r) => r.ready < N);
if (notReady.length > 0) {
  process.stdout.write(`not all Ready within the ${TIMEOUT_MS / 1000} s limit (--timeout): ${notReady.map((r) => `${r.mode} ${r.ready}/${N}`).join(', ')}\n`);
  // The operator not converging is a failure; a naive baseline that cannot keep up is a result.
  if (notReady.some((r) => r.mode === 'runtime')) process.exitCode = 1;
}
