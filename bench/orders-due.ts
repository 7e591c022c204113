// Orders due at one instant (issue 13): N small occupiers (3 users, 1 or 2 sites, simulated
// driver latency 0 by default) are onboarded to Ready (not timed), then N Decommissions are
// applied with the same `spec.scheduledAt` instant T, far enough ahead that every one is
// Scheduled before T. From T the bench watches the orders: an order's start lag is the moment
// its `status.startedAt` appears on the bench's watch (Date.now(), ms) minus T (the field
// itself has second precision); "all done" is T to the last Succeeded.
//
//   node --expose-gc bench/orders-due.ts [--orders 1000] [--latency 0] [--workers 4] [--order-concurrency 64] [--modes ceiling,baseline,operator]
//
// Printed as one table, each row measured in this run:
//   ceiling   the embedded cluster alone: N raw status writes (a merge patch of
//             `status.startedAt`, the start's own field, on the same N Decommissions) from one
//             client, 64 in flight (the operator's starts at once), each seen on the same watch —
//             the best any operator could do;
//   baseline  the operator with the previous order engine's start behaviour
//             (`orders.runs: 'inline'`: an order's run goes on inside its reconcile and holds
//             one of the order controller's workers until it ends or waits);
//   operator  the operator as shipped (starts and runs beside the workers, at most
//             `--order-concurrency` (64) of each at once; the workers only launch them).
// Every mode runs against its own embedded cluster (a child process, as `npm run devcluster`
// runs it) and its own operator process (this script with --operator-process: startOperator,
// as the CLI runs it), so the bench's watch and timing never share an event loop with them.
// The operator's settings are named in the output (--workers 4; the baseline's order
// controllers run max(workers, 16), as before; order concurrency: the shipped defaults).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { cpuSeconds, GROUP, NS, pool, rawClient, startCluster as startBenchCluster, stopCluster as stopBenchCluster, VERSION } from './support/cluster.ts';
import type { Cluster as BenchCluster } from './support/cluster.ts';
import { OPERATOR_NODE_FLAGS } from '../operator/src/cli/node-flags.ts';
import { startOperator } from '../operator/src/operator.ts';
import type { OperatorOptions } from '../operator/src/operator.ts';
import { silentLogger } from '../operator/src/runtime/index.ts';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '1000' },
    latency: { type: 'string', default: '0' },
    workers: { type: 'string', default: '4' },
    'order-concurrency': { type: 'string', default: '64' },
    modes: { type: 'string', default: 'ceiling,baseline,operator' },
    timeout: { type: 'string', default: '600' },
    // Internal: run the operator in this process against --kubeconfig until SIGTERM.
    'operator-process': { type: 'boolean', default: false },
    kubeconfig: { type: 'string' },
    'state-dir': { type: 'string' },
    runs: { type: 'string', default: 'detached' },
  },
});
const N = Number(values.orders);
const LATENCY = String(Number(values.latency));
const WORKERS = Number(values.workers);
const ORDER_CONCURRENCY = Number(values['order-concurrency']);
// The ceiling writes with the operator's start concurrency (--order-concurrency, 64).
const CEILING_CONCURRENCY = 64;
const TIMEOUT_MS = Number(values.timeout) * 1000;
const MODES = values.modes.split(',').map((m) => m.trim());
const SITES = ['due-a', 'due-b'];
const T0 = performance.now();
const note = (what: string): void => void process.stderr.write(`  [${((performance.now() - T0) / 1000).toFixed(1)} s] ${what}\n`);

if (values['operator-process']) {
  const kc = new KubeConfig();
  kc.loadFromFile(values.kubeconfig ?? '');
  const runs = values.runs === 'inline' ? 'inline' : 'detached';
  const opts: OperatorOptions = { kubeConfig: kc, metricsPort: null, handleSignals: false, logger: silentLogger(), workers: WORKERS, orders: { runs, runConcurrency: ORDER_CONCURRENCY }, qps: 5000, burst: 5000 };
  if (values['state-dir']) opts.stateDir = values['state-dir'];
  const op = startOperator(opts);
  while (!op.manager.isReady()) await new Promise((r) => setTimeout(r, 20));
  process.stdout.write('OPERATOR READY\n');
  process.once('SIGTERM', () => {
    void op.stop().then(() => op.done).then(() => process.exit(0));
  });
  await op.done;
  process.exit(0);
}

type Json = Record<string, unknown>;

/** The bench's cluster (bench/support) with one keep-alive pool for every request of the bench (creates, raw writes). */
interface Cluster extends BenchCluster {
  call(method: string, path: string, body?: unknown, contentType?: string): Promise<void>;
  close(): void;
}

async function startCluster(): Promise<Cluster> {
  const c = await startBenchCluster(mkdtempSync(join(tmpdir(), 'orders-due-')), true);
  const raw = rawClient(c.kc, 64);
  const call = async (method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<void> => {
    await raw.send(method, path, body === undefined ? '' : JSON.stringify(body), contentType);
  };
  return { ...c, call, close: () => raw.close() };
}

async function stopCluster(c: Cluster): Promise<void> {
  c.close();
  await stopBenchCluster(c);
}

async function startOperatorProcess(c: Cluster, runs: 'inline' | 'detached'): Promise<ChildProcess> {
  const args = ['--expose-gc', ...OPERATOR_NODE_FLAGS, import.meta.filename, '--operator-process', '--kubeconfig', join(c.dir, 'kubeconfig'), '--state-dir', join(c.dir, 'drivers'), '--workers', String(WORKERS), '--order-concurrency', String(ORDER_CONCURRENCY), '--runs', runs];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: process.env['OPERATOR_NODE_OPTIONS'] ?? '' } });
  await new Promise<void>((res, rej) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('OPERATOR READY')) res();
    });
    child.once('exit', (code) => rej(new Error(`operator process exited with ${String(code)}`)));
  });
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(t);
}

function site(name: string, i: number): Json {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Site',
    metadata: { name },
    spec: {
      displayName: `Due site ${name}`,
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
      drivers: { default: { driver: 'simulated', settings: { latencyMs: LATENCY } } },
    },
  };
}

const occName = (i: number): string => `due-${String(i).padStart(5, '0')}`;

/** Occupier i: 3 users; every other one at both sites. */
function occupier(i: number): Json {
  const name = occName(i);
  const at = i % 2 === 0 ? [SITES[0] ?? ''] : SITES;
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Occupier',
    metadata: { name, namespace: NS },
    spec: {
      displayName: `Occupier ${i}`,
      sites: at.map((s) => ({
        site: s,
        contract: { startDate: '2025-01-01', tariff: 'standard-2026' },
        services: [{ name: 'internet-100', quantity: 1, accessLevel: 'Standard' }, { name: 'wifi-secure', quantity: 3 }],
      })),
      users: [0, 1, 2].map((u) => ({ email: `u${u}@${name}.example`, name: `User ${u}`, sites: [at[u % at.length] ?? ''], accessGroups: ['lobby'] })),
    },
  };
}

function decommission(i: number, scheduledAt: string): Json {
  const name = occName(i);
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Decommission',
    metadata: { name, namespace: NS },
    spec: { occupierRef: { name }, confirm: { occupierName: name, irreversible: true }, scheduledAt },
  };
}

interface Seen {
  /** First time (Date.now()) each object was seen matching, by name. */
  at: Map<string, number>;
  /** Resolves when `count` objects have matched. */
  all(count: number): Promise<void>;
}

/** Watches a plural in NS; for each named predicate, when each object first matched it. */
async function watchFor<K extends string>(c: Cluster, plural: string, preds: Record<K, (o: Json) => boolean>): Promise<{ seen: Record<K, Seen>; stop(): void }> {
  const seen = {} as Record<K, Seen>;
  const waiters: { key: K; count: number; res: () => void }[] = [];
  for (const k of Object.keys(preds) as K[]) {
    const at = new Map<string, number>();
    seen[k] = { at, all: (count) => (at.size >= count ? Promise.resolve() : new Promise<void>((res) => waiters.push({ key: k, count, res }))) };
  }
  let stopped = false;
  let abort: AbortController | undefined;
  let rv: string | undefined;
  const start = async (): Promise<void> => {
    abort = await new Watch(c.kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${NS}/${plural}`,
      { allowWatchBookmarks: true, ...(rv ? { resourceVersion: rv } : {}) },
      (type: string, obj: Json) => {
        const now = Date.now();
        const meta = obj['metadata'] as { name?: string; resourceVersion?: string } | undefined;
        rv = meta?.resourceVersion ?? rv;
        if (type === 'BOOKMARK' || type === 'DELETED') return;
        for (const k of Object.keys(preds) as K[]) {
          const s = seen[k];
          if (!s.at.has(meta?.name ?? '') && preds[k](obj)) s.at.set(meta?.name ?? '', now);
        }
        for (let i = waiters.length - 1; i >= 0; i--) {
          const w = waiters[i];
          if (w && seen[w.key].at.size >= w.count) {
            waiters.splice(i, 1);
            w.res();
          }
        }
      },
      (err: unknown) => {
        // Closed: go on from the last resourceVersion; failed (e.g. 410 Gone): from the current state.
        if (err) rv = undefined;
        if (!stopped) void start();
      },
    );
  };
  await start();
  return { seen, stop: () => { stopped = true; abort?.abort(); } };
}

const statusOf = (o: Json): Json => (o['status'] ?? {}) as Json;
const isReady = (o: Json): boolean => ((statusOf(o)['conditions'] ?? []) as { type: string; status: string }[]).some((x) => x.type === 'Ready' && x.status === 'True');

function timeout<T>(p: Promise<T>, what: string, ms = TIMEOUT_MS): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: not within ${ms / 1000} s (--timeout)`)), ms)))]).finally(() => clearTimeout(t));
}

interface Row {
  mode: string;
  lags: number[];
  allDoneMs: number | undefined;
  scheduledBeforeT: number;
  operatorCpu: number;
  clusterCpu: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** One mode: its own cluster and operator; onboard, schedule N Decommissions at T, measure. */
async function runMode(mode: string): Promise<Row> {
  const c = await startCluster();
  let op: ChildProcess | undefined;
  try {
    await c.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (const [i, s] of SITES.entries()) await c.call('POST', `/apis/${GROUP}/${VERSION}/sites`, site(s, i + 1));
    // Orders need an operator for Scheduled; the ceiling creates them with no operator at all.
    if (mode !== 'ceiling') {
      op = await startOperatorProcess(c, mode === 'baseline' ? 'inline' : 'detached');
      const occ = await watchFor(c, 'occupiers', { ready: isReady });
      await pool(N, 32, (i) => c.call('POST', `/apis/${GROUP}/${VERSION}/namespaces/${NS}/occupiers`, occupier(i)));
      await timeout(occ.seen.ready.all(N), `${mode}: ${N} occupiers Ready`);
      occ.stop();
      note(`${mode}: ${N} occupiers Ready`);
    }
    const orders = await watchFor(c, 'decommissions', {
      scheduled: (o) => statusOf(o)['phase'] === 'Scheduled',
      started: (o) => statusOf(o)['startedAt'] !== undefined,
      succeeded: (o) => statusOf(o)['phase'] === 'Succeeded',
    });
    // T: a whole second, far enough ahead for N creates and N Scheduled writes.
    const T = Math.ceil((Date.now() + 10_000 + N * 15) / 1000) * 1000;
    const scheduledAt = new Date(T).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const t0 = Date.now();
    const progress = setInterval(() => note(`${mode}: Scheduled ${orders.seen.scheduled.at.size}, started ${orders.seen.started.at.size}, Succeeded ${orders.seen.succeeded.at.size} of ${N}`), 15_000);
    await pool(N, 32, (i) => c.call('POST', `/apis/${GROUP}/${VERSION}/namespaces/${NS}/decommissions`, decommission(i, scheduledAt)));
    if (mode !== 'ceiling') await timeout(orders.seen.scheduled.all(N), `${mode}: ${N} Decommissions Scheduled`);
    note(`${mode}: ${N} Decommissions created${mode !== 'ceiling' ? ' and Scheduled' : ''} in ${((Date.now() - t0) / 1000).toFixed(1)} s; T in ${((T - Date.now()) / 1000).toFixed(1)} s`);
    const scheduledBeforeT = [...orders.seen.scheduled.at.values()].filter((at) => at < T).length;
    await new Promise((r) => setTimeout(r, Math.max(0, T - Date.now())));
    const opCpu0 = op ? cpuSeconds(op.pid) : 0;
    const clusterCpu0 = cpuSeconds(c.child.pid);
    let allDoneMs: number | undefined;
    if (mode === 'ceiling') {
      // N raw status writes, the order controller's concurrency, seen on the same watch.
      const stamp = new Date(T).toISOString();
      await pool(N, CEILING_CONCURRENCY, (i) => c.call('PATCH', `/apis/${GROUP}/${VERSION}/namespaces/${NS}/decommissions/${occName(i)}/status`, { status: { startedAt: stamp } }, 'application/merge-patch+json'));
      await timeout(orders.seen.started.all(N), 'ceiling: writes seen');
    } else {
      await timeout(orders.seen.started.all(N), `${mode}: ${N} started`);
      note(`${mode}: all started`);
      await timeout(orders.seen.succeeded.all(N), `${mode}: ${N} Succeeded`);
      allDoneMs = Math.max(...orders.seen.succeeded.at.values()) - T;
      note(`${mode}: all Succeeded`);
    }
    clearInterval(progress);
    const operatorCpu = op ? cpuSeconds(op.pid) - opCpu0 : 0;
    const clusterCpu = cpuSeconds(c.child.pid) - clusterCpu0;
    orders.stop();
    const lags = [...orders.seen.started.at.values()].map((at) => at - T).sort((a, b) => a - b);
    return { mode, lags, allDoneMs, scheduledBeforeT, operatorCpu, clusterCpu };
  } finally {
    if (op) await stopProcess(op);
    await stopCluster(c);
  }
}

const rows: Row[] = [];
for (const mode of MODES) {
  process.stderr.write(`orders-due bench: ${mode}, ${N} orders...\n`);
  rows.push(await runMode(mode));
}

const label: Record<string, string> = {
  ceiling: `ceiling: ${N} raw status writes, ${CEILING_CONCURRENCY} in flight`,
  baseline: 'baseline: runs inside the reconcile (previous engine)',
  operator: ORDER_CONCURRENCY === 64 ? 'operator as shipped' : `operator, --order-concurrency ${ORDER_CONCURRENCY}`,
};
const s = (ms: number | undefined): string => (ms === undefined || Number.isNaN(ms) ? '-' : (ms / 1000).toFixed(2));
const header = ['run', 'p50 lag (s)', 'p99 lag (s)', 'max lag (s)', 'all done (s)', 'Scheduled before T', 'CPU s (operator/cluster)'];
const table = rows.map((r) => [
  label[r.mode] ?? r.mode,
  s(percentile(r.lags, 50)),
  s(percentile(r.lags, 99)),
  s(r.lags.at(-1)),
  s(r.allDoneMs),
  r.mode === 'ceiling' ? '-' : `${r.scheduledBeforeT}/${N}`,
  `${r.operatorCpu.toFixed(1)}/${r.clusterCpu.toFixed(1)}`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
const line = (cells: string[]): string => cells.map((x, i) => (i === 0 ? x.padEnd(widths[i] ?? 0) : x.padStart(widths[i] ?? 0))).join('  ');
process.stdout.write(
  `\norders due at one instant: ${N} Decommissions (occupiers of 3 users at 1-2 sites), simulated driver latencyMs ${LATENCY}; ` +
    `operator --workers ${WORKERS} (the baseline's order controllers ${Math.max(WORKERS, 16)}), --order-concurrency ${ORDER_CONCURRENCY}, 5 sites / 32 calls per step (the defaults); ` +
    `${process.platform}/${process.arch}, ${cpus().length} cpus, node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`,
);
process.stdout.write(`${line(header)}\n${table.map(line).join('\n')}\n`);
process.stdout.write('(lag: status.startedAt first seen on the bench\'s watch minus T; all done: T to the last Succeeded; target p99 ≤ 1 s, all done ≤ 30 s)\n');
process.exit(0);
