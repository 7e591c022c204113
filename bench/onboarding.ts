// Onboarding benchmark: N Occupiers (3 users, 1 site each; default 10,000) on the embedded
// cluster with the simulated driver (latencyMs 0) from created to `Ready`.
//
//   node --expose-gc bench/onboarding.ts [--occupiers 10000] [--workers 4] [--modes baseline,runtime] [--timeout 240]
//
// Two runs in this process, each against a fresh embedded cluster (a child process, as
// `npm run devcluster` runs it) with the same occupiers already stored:
//   runtime   the operator as shipped (startOperator: informer caches, work queue with dedup
//             and backoff, N workers)
//   baseline  the same Occupier reconcile function behind a naive loop: list, then watch, and
//             handle every event one at a time with the object the event carried (no cache, no
//             queue, no dedup; on error re-read the object and try again)
// Both use the same drivers, API clients and client-side rate limit (raised so the API
// limiter is not what is measured). RSS is this process (the operator side; the cluster runs
// in its own process), sampled every 50 ms; "RSS per 1,000" is the peak minus the RSS before
// the run, per 1,000 occupiers.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { DriverRegistry, driverRefFor } from '../drivers/src/registry.ts';
import type { OccupierResource, SiteResource } from '../operator/src/api/index.ts';
import { occupierReconciler } from '../operator/src/controllers/occupier/controller.ts';
import type { DriverResolver } from '../operator/src/controllers/execute.ts';
import { COMPONENT, startOperator } from '../operator/src/operator.ts';
import { apiRateLimiter, EventRecorder, makeRateLimitedApiClient, realClock, ResourceClient, silentLogger } from '../operator/src/runtime/index.ts';
import type { ReconcileContext } from '../operator/src/runtime/index.ts';

const { values } = parseArgs({
  options: {
    occupiers: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '4' },
    modes: { type: 'string', default: 'baseline,runtime' },
    timeout: { type: 'string', default: '240' },
    qps: { type: 'string', default: '5000' },
  },
});
const N = Number(values.occupiers);
const WORKERS = Number(values.workers);
const TIMEOUT_MS = Number(values.timeout) * 1000;
const QPS = Number(values.qps);
const MODES = values.modes.split(',').map((m) => m.trim()).filter((m) => m === 'baseline' || m === 'runtime');
const REPO = resolve(import.meta.dirname, '..');
const GROUP = 'occupier.dev';
const VERSION = 'v1alpha1';
const NS = 'occupiers';
const SITES = Math.max(1, Math.ceil(N / 3000));
const PER_SITE = Math.ceil(N / SITES);
const gc = (globalThis as { gc?: () => void }).gc;
const log = silentLogger();

interface Cluster {
  child: ChildProcess;
  dir: string;
  kc: KubeConfig;
}

async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'onboarding-bench-'));
  const child = spawn(process.execPath, [join(REPO, 'operator/src/devcluster/main.ts'), '--port', '0', '--fresh', '--data-dir', dir, '--crds', join(REPO, 'crds')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((res, rej) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('devcluster ready')) res();
    });
    child.once('exit', (c) => rej(new Error(`devcluster exited with ${String(c)}`)));
  });
  child.stdout?.resume();
  const kc = new KubeConfig();
  kc.loadFromFile(join(dir, 'kubeconfig'));
  return { child, dir, kc };
}

async function stopCluster(c: Cluster): Promise<void> {
  if (c.child.exitCode === null && c.child.signalCode === null) {
    const exited = new Promise((r) => c.child.once('exit', r));
    c.child.kill('SIGTERM');
    await exited;
  }
  rmSync(c.dir, { recursive: true, force: true });
}

function siteName(i: number): string {
  return `bench-site-${i}`;
}

function site(i: number): SiteResource {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Site',
    metadata: { name: siteName(i) },
    spec: {
      displayName: `Bench site ${i}`,
      location: 'london',
      timezone: 'Europe/London',
      network: { vlanRange: { from: 2, to: 4094 }, ipv4Pool: `10.${i}.0.0/16`, subnetPrefixLength: 28 },
      catalog: {
        services: [
          { name: 'internet-100', capability: 'network', accessLevels: [{ name: 'Standard' }] },
          { name: 'wifi-secure', capability: 'wifi' },
        ],
        tariffs: [{ name: 'standard-2026' }],
      },
      drivers: { default: { driver: 'simulated', settings: { latencyMs: '0' } } },
    },
  } as unknown as SiteResource;
}

function occupier(i: number): OccupierResource {
  const name = `occ-${String(i).padStart(5, '0')}`;
  const s = siteName(Math.floor(i / PER_SITE));
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Occupier',
    metadata: { name, namespace: NS },
    spec: {
      displayName: `Occupier ${i}`,
      sites: [{
        site: s,
        contract: { startDate: '2025-01-01', tariff: 'standard-2026' },
        services: [{ name: 'internet-100', quantity: 1, accessLevel: 'Standard' }, { name: 'wifi-secure', quantity: 3 }],
      }],
      users: [0, 1, 2].map((u) => ({ email: `u${u}@${name}.example`, name: `User ${u}`, sites: [s], accessGroups: ['lobby'] })),
    },
  } as unknown as OccupierResource;
}

async function pool(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await fn(next++);
  }));
}

/** Creates the namespace, the Sites and N Occupiers; returns creates/s of the occupiers. */
async function seed(kc: KubeConfig): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  for (let i = 0; i < SITES; i++) await custom.createClusterCustomObject({ group: GROUP, version: VERSION, plural: 'sites', body: site(i) });
  const t0 = performance.now();
  await pool(N, 32, (i) => custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: 'occupiers', body: occupier(i) }));
  return N / ((performance.now() - t0) / 1000);
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
  stop(): Promise<void>;
}

function startRuntime(kc: KubeConfig): Running {
  const op = startOperator({ kubeConfig: kc, metricsPort: null, workers: WORKERS, logger: log, handleSignals: false, qps: QPS, burst: QPS });
  return {
    reconciles: async () => (await op.manager.metrics.reconcileTotal.get()).values.filter((v) => v.labels.controller === 'occupier').reduce((n, v) => n + v.value, 0),
    creates: () => op.drivers.backend.totals().creates,
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
}

const mb = (bytes: number): number => bytes / 1024 / 1024;

/** CPU seconds (user + system) a child process has used so far (Linux /proc; 0 elsewhere). */
function childCpuSeconds(child: ChildProcess): number {
  try {
    const fields = readFileSync(`/proc/${String(child.pid)}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function run(mode: string): Promise<Result> {
  const cluster = await startCluster();
  try {
    const seedPerSecond = await seed(cluster.kc);
    const tracker = await readiness(cluster.kc);
    gc?.();
    const before = process.memoryUsage.rss();
    let peak = before;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 50);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const clusterCpu0 = childCpuSeconds(cluster.child);
    const running = mode === 'runtime' ? startRuntime(cluster.kc) : await startBaseline(cluster.kc);
    let timer: NodeJS.Timeout | undefined;
    const progress = setInterval(() => process.stderr.write(`  ${mode}: ${tracker.ready()}/${N} Ready after ${((performance.now() - t0) / 1000).toFixed(0)} s\n`), 15_000);
    await Promise.race([tracker.done, new Promise<void>((r) => (timer = setTimeout(r, TIMEOUT_MS)))]);
    const seconds = (performance.now() - t0) / 1000;
    clearTimeout(timer);
    clearInterval(progress);
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpu0);
    const operatorCpu = (cpu.user + cpu.system) / 1e6;
    const clusterCpu = childCpuSeconds(cluster.child) - clusterCpu0;
    peak = Math.max(peak, process.memoryUsage.rss());
    const reconciles = await running.reconciles();
    const creates = running.creates();
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
    await running.stop();
    return { mode, seconds, reconciles, perSecond: reconciles / seconds, peakRssMb: mb(peak), rssPer1000Mb: mb(peak - before) / (N / 1000), creates, ready, seedPerSecond, operatorCpu, clusterCpu };
  } finally {
    await stopCluster(cluster);
  }
}

const results: Result[] = [];
for (const mode of MODES) {
  process.stderr.write(`onboarding bench: ${mode}, ${N} occupiers on ${SITES} site(s)...\n`);
  results.push(await run(mode));
  gc?.();
}

const header = ['mode', 'occupiers Ready', 'time (s)', 'reconciles', 'reconciles/s', 'peak RSS (MB)', 'RSS/1,000 (MB)', 'driver creates', 'CPU s (operator/cluster)'];
const rows = results.map((r) => [
  r.mode === 'runtime' ? `runtime (${WORKERS} workers)` : 'baseline (naive loop)',
  `${r.ready}/${N}`,
  r.seconds.toFixed(1),
  String(r.reconciles),
  r.perSecond.toFixed(0),
  r.peakRssMb.toFixed(0),
  r.rssPer1000Mb.toFixed(1),
  String(r.creates),
  `${r.operatorCpu.toFixed(1)}/${r.clusterCpu.toFixed(1)}`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
process.stdout.write(`\nonboarding benchmark: ${N} occupiers (3 users, 1 site each), simulated driver latencyMs 0, ${SITES} site(s); ${process.platform}/${process.arch}, ${cpus().length} cpus, node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}${gc ? '' : ' (no --expose-gc)'}\n`);
process.stdout.write(`${line(header)}\n${rows.map(line).join('\n')}\n`);
process.stdout.write(`(occupier creates/s while seeding the cluster: ${results.map((r) => `${r.mode} ${r.seedPerSecond.toFixed(0)}`).join(', ')})\n`);
const notReady = results.filter((r) => r.ready < N);
if (notReady.length > 0) {
  process.stdout.write(`NOT CONVERGED within ${TIMEOUT_MS / 1000} s: ${notReady.map((r) => `${r.mode} ${r.ready}/${N}`).join(', ')}\n`);
  process.exitCode = 1;
}
