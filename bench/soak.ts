// Soak benchmark: N small Occupiers (3 users, 1 site; default 1,000) onboarded to Ready on the
// embedded cluster, then edited continuously for --minutes (default 10) at a steady --rate
// (default 50 edits/s): round robin, each edit a JSON patch of one user's display name (a spec
// change: a new generation, a reconcile, a driver update). Target: RSS flat, no growth in
// connections or queue.
//
//   node bench/soak.ts [--occupiers 1000] [--minutes 10] [--rate 50] [--sample-seconds 30] [--ceiling-writes 2000] [--timeout 600] [--qps N]
//
// Three processes, as a user runs them: the embedded cluster (`npm run devcluster`), the
// operator (`npm start -- --kubeconfig …`, shipped defaults: 4 workers, 200 qps / 400 burst
// unless --qps, simulated driver latencyMs 0), and this one (the editor and the observer). Every
// --sample-seconds it samples the operator process:
//   RSS          /proc/<pid>/status VmRSS, read just after the heap sample's full GC
//   heap         process.memoryUsage().heapUsed after a full GC: bench/support/memory-probe.ts, preloaded
//                with --import (the operator's /metrics carries no Node.js default metrics), collects and
//                writes it when this process sends SIGUSR2 — one forced GC per sample, nothing between
//   API conns    its ESTABLISHED TCP sockets to the API server (its fds' socket inodes in /proc/net/tcp*)
//   queue        occupier_operator_workqueue_depth (occupier controller / all controllers) from its /metrics
//   (max)        of API connections, queue depth (all) and occupiers behind: the peak since the previous
//                sample, polled every 2 s; the verdict compares these peaks, not single instants
//   reconciles   occupier_operator_reconcile_total{controller="occupier"}
//   edits        applied (PATCH answered) and reflected: the occupier's status.observedGeneration reached
//                the edit's generation and it is Ready (seen on a watch); pending = occupiers behind;
//                lag = from sending the edit to seeing it reflected, p50/p99 of the edits reflected
//                since the previous sample
// The ceiling: before the operator starts, a burst of --ceiling-writes of the same PATCH from
// this process (32 in flight, one keep-alive pool) measures the embedded cluster's raw write rate.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Watch } from '@kubernetes/client-node';
import { OPERATOR_NODE_FLAGS } from '../operator/src/cli/node-flags.ts';
import type { OccupierResource } from '../operator/src/api/index.ts';
import { closePool, pooledKubeConfig } from '../operator/src/runtime/index.ts';
import { benchOccupier, cpuSeconds, formatTable, OCCUPIERS_PATH, occupierName, pool, rawClient, REPO, seed, startCluster, stopCluster } from './support/cluster.ts';

const { values } = parseArgs({
  options: {
    occupiers: { type: 'string', default: '1000' },
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '50' },
    'sample-seconds': { type: 'string', default: '30' },
    'ceiling-writes': { type: 'string', default: '2000' },
    timeout: { type: 'string', default: '600' },
    // The operator's client-side API limit (--kube-api-qps, burst twice it); default: as shipped (200 / 400).
    qps: { type: 'string' },
  },
});
const N = Number(values.occupiers);
const MINUTES = Number(values.minutes);
const RATE = Number(values.rate);
const SAMPLE_MS = Number(values['sample-seconds']) * 1000;
const CEILING_WRITES = Number(values['ceiling-writes']);
const TIMEOUT_MS = Number(values.timeout) * 1000;
const QPS = values.qps === undefined ? undefined : Number(values.qps);
const IN_FLIGHT = 32;
for (const [flag, v] of [['--occupiers', N], ['--minutes', MINUTES], ['--rate', RATE], ['--sample-seconds', SAMPLE_MS], ['--ceiling-writes', CEILING_WRITES], ['--timeout', TIMEOUT_MS], ['--qps', QPS ?? 1]] as const) {
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`soak: ${flag} must be a number > 0, got "${String(v)}"\n`);
    process.exit(2);
  }
}

const T0 = performance.now();
const note = (what: string): void => {
  process.stderr.write(`  [${((performance.now() - T0) / 1000).toFixed(1)} s] ${what}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number): number => bytes / 1024 / 1024;

/** The same edit the ceiling burst and the soak send: user 0's display name. */
const editBody = (label: string): string => JSON.stringify([{ op: 'replace', path: '/spec/users/0/name', value: `User 0 (${label})` }]);
const JSON_PATCH = 'application/json-patch+json';

/** Sums a metric's samples whose labels include `labels` (Prometheus text format). */
function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}

/** The RSS of a process in bytes (/proc/<pid>/status VmRSS). */
function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN) * 1024;
}

/** ESTABLISHED TCP connections of a process: to the API server's port, and in all. */
function tcpConnections(pid: number, apiPort: number): { api: number; all: number } {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${String(pid)}/fd`)) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${String(pid)}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m?.[1] !== undefined) inodes.add(m[1]);
  }
  let api = 0;
  let all = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length < 10 || f[3] !== '01' || !inodes.has(f[9] ?? '')) continue;
      all++;
      if (Number.parseInt(f[2]?.split(':')[1] ?? '', 16) === apiPort) api++;
    }
  }
  return { api, all };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Least-squares slope of y over x (NaN with fewer than two points). */
function slope(points: [number, number][]): number {
  if (points.length < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / points.length;
  const my = points.reduce((s, [, y]) => s + y, 0) / points.length;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? NaN : num / den;
}

// ---- the cluster, the namespace and Site, the occupiers, the ceiling ----
const dir = mkdtempSync(join(tmpdir(), 'soak-bench-'));
const cluster = await startCluster(dir, true);
const client = rawClient(cluster.kc, IN_FLIGHT);
let operatorPid: number | undefined;
let stopOperator: () => Promise<void> = async () => undefined;
let stopWatch: () => void = () => undefined;
let failed = false;
try {
  const SITES = Math.max(1, Math.ceil(N / 3000));
  const PER_SITE = Math.ceil(N / SITES);
  await seed(cluster.kc, SITES, '0');
  await pool(N, IN_FLIGHT, (i) => client.post(OCCUPIERS_PATH, benchOccupier(i, Math.floor(i / PER_SITE))));
  note(`${N} occupiers created`);
  const c0 = performance.now();
  await pool(CEILING_WRITES, IN_FLIGHT, (k) => client.send('PATCH', `${OCCUPIERS_PATH}/${occupierName(k % N)}`, editBody(`ceiling ${k}`), JSON_PATCH));
  const ceiling = CEILING_WRITES / ((performance.now() - c0) / 1000);
  note(`ceiling: ${ceiling.toFixed(0)} raw PATCHes/s`);

  // ---- the observer: a watch of every occupier's observed generation and readiness ----
  const seen = new Map<string, { observed: number; ready: boolean }>();
  /** Edited occupiers not yet reflected: the latest edit's generation, when the oldest unreflected edit was sent, how many. */
  const pending = new Map<string, { generation: number; since: number; edits: number }>();
  let reflected = 0;
  let lags: number[] = [];
  const settle = (name: string): void => {
    const p = pending.get(name);
    const s = seen.get(name);
    if (!p || !s || !s.ready || s.observed < p.generation) return;
    pending.delete(name);
    reflected += p.edits;
    lags.push(performance.now() - p.since);
  };
  const observe = (obj: OccupierResource): void => {
    const name = obj.metadata.name ?? '';
    const ready = (obj.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    seen.set(name, { observed: obj.status?.observedGeneration ?? 0, ready });
    settle(name);
  };
  const listed = JSON.parse(await client.send('GET', OCCUPIERS_PATH, '')) as { items: OccupierResource[]; metadata: { resourceVersion?: string } };
  for (const o of listed.items) observe(o);
  const watchKc = pooledKubeConfig(cluster.kc);
  let lastRv = listed.metadata.resourceVersion;
  let watching = true;
  const watch = async (): Promise<void> => {
    const abort = await new Watch(watchKc).watch(
      OCCUPIERS_PATH,
      { allowWatchBookmarks: true, ...(lastRv ? { resourceVersion: lastRv } : {}) },
      (phase, obj: OccupierResource) => {
        lastRv = obj.metadata?.resourceVersion ?? lastRv;
        if (phase !== 'BOOKMARK' && phase !== 'DELETED') observe(obj);
      },
      () => {
        if (watching) void watch();
      },
    );
    stopWatch = () => {
      watching = false;
      abort.abort();
    };
  };
  await watch();
  const readyCount = (): number => [...seen.values()].filter((s) => s.ready).length;

  // ---- the operator, as `npm start` runs it against a kubeconfig ----
  const memoryFile = join(dir, 'operator-memory.json');
  const operator = spawn(process.execPath, [
    '--expose-gc', ...OPERATOR_NODE_FLAGS, '--import', pathToFileURL(join(REPO, 'bench/support/memory-probe.ts')).href,
    join(REPO, 'operator/src/cli/main.ts'),
    '--kubeconfig', join(dir, 'kubeconfig'), '--driver-state-dir', join(dir, 'operator-drivers'),
    '--metrics-port', '0', '--no-leader-elect', '--log-format', 'json', '--log-level', 'warn',
    ...(QPS === undefined ? [] : ['--kube-api-qps', String(QPS), '--kube-api-burst', String(2 * QPS)]),
  ], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SOAK_MEMORY_FILE: memoryFile } });
  operatorPid = operator.pid;
  const exited = new Promise<void>((r) => operator.once('exit', () => r()));
  stopOperator = async () => {
    if (operator.exitCode !== null || operator.signalCode !== null) return;
    operator.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    if (operator.exitCode === null && operator.signalCode === null) operator.kill('SIGKILL');
    await exited;
  };
  let warnings = 0;
  /** Warnings by message (the first line of each kept), so the verdict can say what they were. */
  const warningKinds = new Map<string, { count: number; line: string }>();
  const errors: string[] = [];
  const metricsPort = await new Promise<number>((res, rej) => {
    let buffer = '';
    operator.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        let entry: { level?: number; msg?: string; metricsPort?: number };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue;
        }
        if (entry.msg === 'occupier-operator ready' && entry.metricsPort !== undefined) res(entry.metricsPort);
        else if ((entry.level ?? 0) >= 50) errors.push(line.slice(0, 400));
        else if ((entry.level ?? 0) >= 40) {
          warnings++;
          const kind = warningKinds.get(entry.msg ?? '') ?? { count: 0, line: line.slice(0, 400) };
          kind.count++;
          warningKinds.set(entry.msg ?? '', kind);
        }
      }
    });
    void exited.then(() => rej(new Error(`the operator exited (${String(operator.exitCode ?? operator.signalCode)}) before it was ready`)));
  });
  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${String(metricsPort)}/metrics`)).text();
  const readMemory = (): { heapUsed: number; seq: number } => {
    try {
      return JSON.parse(readFileSync(memoryFile, 'utf8')) as { heapUsed: number; seq: number };
    } catch {
      return { heapUsed: NaN, seq: 0 };
    }
  };
  /** Heap used after a full GC in the operator (the probe answers SIGUSR2); NaN if it did not answer within 5 s. */
  const heapAfterGc = async (): Promise<number> => {
    const before = readMemory().seq;
    operator.kill('SIGUSR2');
    const deadline = performance.now() + 5_000;
    while (performance.now() < deadline) {
      const m = readMemory();
      if (m.seq > before) return m.heapUsed;
      await sleep(20);
    }
    return NaN;
  };
  note(`operator running (pid ${String(operatorPid)}, metrics on :${String(metricsPort)})`);

  // ---- onboarding to Ready ----
  const o0 = performance.now();
  while (readyCount() < N && performance.now() - o0 < TIMEOUT_MS && operator.exitCode === null) await sleep(200);
  const onboardSeconds = (performance.now() - o0) / 1000;
  if (readyCount() < N) throw new Error(`only ${readyCount()}/${N} occupiers Ready after ${onboardSeconds.toFixed(0)} s (--timeout ${String(TIMEOUT_MS / 1000)})`);
  note(`${N} occupiers Ready in ${onboardSeconds.toFixed(1)} s; soaking for ${String(MINUTES)} min at ${String(RATE)} edits/s`);

  // ---- the soak: edits at a steady rate, samples every SAMPLE_MS ----
  let sent = 0;
  let applied = 0;
  let rejected = 0;
  let inFlight = 0;
  const edit = async (k: number): Promise<void> => {
    const name = occupierName(k % N);
    const since = performance.now();
    inFlight++;
    try {
      const answer = JSON.parse(await client.send('PATCH', `${OCCUPIERS_PATH}/${name}`, editBody(`edit ${k}`), JSON_PATCH)) as OccupierResource;
      applied++;
      const p = pending.get(name);
      pending.set(name, { generation: answer.metadata.generation ?? 0, since: p?.since ?? since, edits: (p?.edits ?? 0) + 1 });
      settle(name);
    } catch (err) {
      rejected++;
      if (rejected <= 3) process.stderr.write(`  edit ${k} refused: ${(err as Error).message}\n`);
    } finally {
      inFlight--;
    }
  };
  interface Sample {
    t: number;
    rssMb: number;
    heapMb: number;
    api: number;
    tcp: number;
    queueOccupier: number;
    queueAll: number;
    /** Maxima since the previous sample (polled every 2 s): queue depth (all controllers), API connections, occupiers behind. */
    queueMax: number;
    apiMax: number;
    pendingMax: number;
    reconciles: number;
    /** Mean time of the occupier reconciles since the previous sample (ms). */
    reconcileMs: number;
    applied: number;
    reflected: number;
    pending: number;
    lagP50: number;
    lagP99: number;
    cpuPct: number;
  }
  const samples: Sample[] = [];
  let lastCpu = cpuSeconds(operatorPid);
  let lastT = performance.now();
  let lastReconcile = { sum: 0, count: 0 };
  /** Window maxima between samples: a sample's gauges are one instant; these see the peaks between. */
  let peaks = { queue: 0, api: 0, pending: 0 };
  const pollPeaks = async (): Promise<{ queue: number; api: number; pending: number }> => {
    const queue = metricSum(await scrape(), 'occupier_operator_workqueue_depth');
    const api = tcpConnections(operator.pid ?? 0, cluster.port).api;
    peaks = { queue: Math.max(peaks.queue, queue), api: Math.max(peaks.api, api), pending: Math.max(peaks.pending, pending.size) };
    return peaks;
  };
  const poller = setInterval(() => void pollPeaks().catch(() => undefined), 2_000).unref();
  const sample = async (t: number): Promise<Sample> => {
    const heap = await heapAfterGc();
    const rss = rssBytes(operator.pid ?? 0);
    const text = await scrape();
    const conns = tcpConnections(operator.pid ?? 0, cluster.port);
    const sorted = lags.sort((a, b) => a - b);
    lags = [];
    const now = performance.now();
    const cpu = cpuSeconds(operatorPid);
    const reconcile = {
      sum: metricSum(text, 'occupier_operator_reconcile_time_seconds_sum', { controller: 'occupier' }),
      count: metricSum(text, 'occupier_operator_reconcile_time_seconds_count', { controller: 'occupier' }),
    };
    const window = await pollPeaks();
    peaks = { queue: 0, api: 0, pending: 0 };
    const s: Sample = {
      t,
      rssMb: mb(rss),
      heapMb: mb(heap),
      api: conns.api,
      tcp: conns.all,
      queueOccupier: metricSum(text, 'occupier_operator_workqueue_depth', { name: 'occupier' }),
      queueAll: metricSum(text, 'occupier_operator_workqueue_depth'),
      queueMax: window.queue,
      apiMax: window.api,
      pendingMax: window.pending,
      reconciles: metricSum(text, 'occupier_operator_reconcile_total', { controller: 'occupier' }),
      reconcileMs: ((reconcile.sum - lastReconcile.sum) / (reconcile.count - lastReconcile.count)) * 1000,
      applied,
      reflected,
      pending: pending.size,
      lagP50: percentile(sorted, 50),
      lagP99: percentile(sorted, 99),
      cpuPct: ((cpu - lastCpu) / ((now - lastT) / 1000)) * 100,
    };
    lastCpu = cpu;
    lastT = now;
    lastReconcile = reconcile;
    samples.push(s);
    process.stderr.write(`  t=${t.toFixed(0)} s RSS ${s.rssMb.toFixed(0)} MB, heap ${s.heapMb.toFixed(0)} MB, ${s.api} API conns, queue ${s.queueOccupier}, ${s.reflected}/${s.applied} edits reflected\n`);
    return s;
  };
  const soakMs = MINUTES * 60_000;
  const s0 = performance.now();
  await sample(0);
  const ticker = setInterval(() => {
    const due = Math.floor((RATE * (performance.now() - s0)) / 1000);
    while (sent < due && inFlight < IN_FLIGHT) void edit(sent++);
  }, 20).unref();
  for (let next = SAMPLE_MS; next <= soakMs; next += SAMPLE_MS) {
    await sleep(Math.max(0, s0 + next - performance.now()));
    if (operator.exitCode !== null) throw new Error(`the operator exited (${String(operator.exitCode)}) during the soak`);
    await sample(next / 1000);
  }
  const soakSeconds = (performance.now() - s0) / 1000;
  clearInterval(ticker);
  while (inFlight > 0) await sleep(10);
  const endApplied = applied;
  // Drain: how long until every edit is reflected.
  const d0 = performance.now();
  while (pending.size > 0 && performance.now() - d0 < 120_000) await sleep(50);
  const drainSeconds = (performance.now() - d0) / 1000;
  const drained = await sample(Math.round((performance.now() - s0) / 1000));
  samples.pop();
  clearInterval(poller);

  // ---- the report ----
  const header = ['t (s)', 'RSS (MB)', 'heap after GC (MB)', 'API conns (all TCP; max)', 'queue occupier/all (max)', 'occupier reconciles', 'reconcile mean (ms)', 'edits applied', 'edits reflected', 'pending (max)', 'lag p50/p99 (ms)', 'operator CPU %'];
  const row = (s: Sample, label?: string): string[] => [
    label ?? s.t.toFixed(0),
    s.rssMb.toFixed(1),
    s.heapMb.toFixed(1),
    `${s.api} (${s.tcp}; ${s.apiMax})`,
    `${s.queueOccupier}/${s.queueAll} (${s.queueMax})`,
    String(s.reconciles),
    Number.isNaN(s.reconcileMs) ? '—' : s.reconcileMs.toFixed(0),
    String(s.applied),
    String(s.reflected),
    `${s.pending} (${s.pendingMax})`,
    Number.isNaN(s.lagP50) ? '—' : `${s.lagP50.toFixed(0)}/${s.lagP99.toFixed(0)}`,
    s.cpuPct.toFixed(0),
  ];
  process.stdout.write(`\nsoak benchmark: ${N} occupiers (3 users, 1 site each), edited round robin at ${RATE}/s for ${MINUTES} min (user 0's display name, a JSON patch), simulated driver latencyMs 0; operator as npm start runs it (4 workers, ${QPS === undefined ? 'the shipped 200 qps / 400 burst' : `--kube-api-qps ${String(QPS)} / burst ${String(2 * QPS)}`}); ${process.platform}/${process.arch}, ${cpus().length} cpus, node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  process.stdout.write(`onboarding: ${N} Ready in ${onboardSeconds.toFixed(1)} s (${(N / onboardSeconds).toFixed(0)} Ready/s)\n`);
  process.stdout.write(formatTable(header, [...samples.map((s) => row(s)), row(drained, `drained +${drainSeconds.toFixed(1)} s`)]));
  const editRate = endApplied / soakSeconds;
  process.stdout.write(`edits: ${endApplied} applied in ${soakSeconds.toFixed(0)} s = ${editRate.toFixed(1)}/s (asked ${RATE}/s), ${rejected} refused; ceiling: the embedded cluster took ${ceiling.toFixed(0)} raw PATCHes/s of the same edit from this process (${CEILING_WRITES}, ${IN_FLIGHT} in flight, before the operator started)\n`);
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first && last) {
    const reconciles = drained.reconciles - first.reconciles;
    process.stdout.write(`occupier reconciles during the soak: ${reconciles} for ${endApplied} edits (${(reconciles / Math.max(1, endApplied)).toFixed(2)} per edit); every edit reflected ${drainSeconds.toFixed(1)} s after the last one${pending.size > 0 ? ` — NOT: ${pending.size} occupiers still behind after 120 s` : ''}; operator log: ${warnings} warnings, ${errors.length} errors\n`);
    for (const e of errors.slice(0, 3)) process.stdout.write(`  error: ${e}\n`);
    for (const [msg, k] of [...warningKinds].sort((a, b) => b[1].count - a[1].count).slice(0, 5)) process.stdout.write(`  warning x${k.count} "${msg}": ${k.line}\n`);
    // The verdict: the first half of the samples against the last (the middle one in both).
    const half = last.t / 2;
    const firstHalf = samples.filter((s) => s.t <= half);
    const lastHalf = samples.filter((s) => s.t >= half);
    const perMinute = (ss: Sample[], f: (s: Sample) => number = (s) => s.rssMb): number => slope(ss.map((s) => [s.t / 60, f(s)]));
    const max = (ss: Sample[], f: (s: Sample) => number): number => Math.max(...ss.map(f));
    const rssFirst = perMinute(firstHalf);
    const rssLast = perMinute(lastHalf);
    const conns = samples.map((s) => s.api);
    const connBound = (ss: Sample[]): number => max(ss, (s) => s.apiMax);
    const queueBound = (ss: Sample[]): number => max(ss, (s) => s.queueMax);
    const pendingBound = (ss: Sample[]): number => max(ss, (s) => s.pendingMax);
    const checks: [string, boolean][] = [
      [`RSS slope ${rssFirst.toFixed(2)} MB/min over the first half, ${rssLast.toFixed(2)} MB/min over the last (flat: last half < 1 MB/min; heap after GC ${perMinute(firstHalf, (s) => s.heapMb).toFixed(2)} and ${perMinute(lastHalf, (s) => s.heapMb).toFixed(2)} MB/min)`, rssLast < 1],
      [`API connections min ${Math.min(...conns)}, max ${connBound(samples)} (no growth: last-half max ≤ first-half max)`, connBound(lastHalf) <= connBound(firstHalf)],
      [`queue depth max ${queueBound(samples)} (no growth: last-half max ≤ first-half max or ≤ one second of edits, ${RATE})`, queueBound(lastHalf) <= Math.max(queueBound(firstHalf), RATE)],
      [`occupiers behind their edits max ${pendingBound(samples)} (no growth: last-half max ≤ first-half max or ≤ one second of edits)`, pendingBound(lastHalf) <= Math.max(pendingBound(firstHalf), RATE)],
    ];
    process.stdout.write(`target: RSS flat, no growth in connections or queue\n`);
    for (const [what, ok] of checks) process.stdout.write(`  ${ok ? 'met    ' : 'NOT met'}  ${what}\n`);
    process.stdout.write(`verdict: ${checks.every(([, ok]) => ok) ? 'flat' : 'NOT flat'} over ${soakSeconds.toFixed(0)} s (${samples.length} samples every ${String(SAMPLE_MS / 1000)} s)\n`);
  }
  if (pending.size > 0) failed = true;
} catch (err) {
  process.stderr.write(`soak: ${(err as Error).message}\n`);
  failed = true;
} finally {
  stopWatch();
  await stopOperator();
  client.close();
  await closePool(cluster.kc);
  await stopCluster(cluster);
}
if (failed) process.exitCode = 1;
