// Benchmark of the embedded dev cluster: `node bench/devcluster.ts [--objects 10000] [--writes 20000]
// [--watchers 50] [--concurrency 64] [--fsync interval|batch|none]`.
// The server runs in a child process (as `npm run devcluster` would); this process is the client
// (HTTPS keep-alive). Measures creates/s, status writes/s with N objects stored, and watch
// fan-out (events delivered/s to W concurrent watchers).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, request } from 'node:https';
import { parseArgs } from 'node:util';
import { load } from 'js-yaml';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '10000' }, writes: { type: 'string', default: '20000' },
    watchers: { type: 'string', default: '50' }, concurrency: { type: 'string', default: '64' }, fsync: { type: 'string', default: 'interval' },
  },
});
const OBJECTS = Number(values.objects);
const WRITES = Number(values.writes);
const WATCHERS = Number(values.watchers);
const CONC = Number(values.concurrency);
const REPO = resolve(import.meta.dirname, '..');

const dir = mkdtempSync(join(tmpdir(), 'devcluster-bench-'));
const prof = process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', '--cpu-prof-dir', process.env['BENCH_CPU_PROF']] : [];
const child = spawn(process.execPath, [...prof, join(REPO, 'operator/src/devcluster/main.ts'), '--port', '0', '--fresh', '--data-dir', dir,
  '--crds', join(REPO, 'test/conformance/fixtures')], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DEVCLUSTER_FSYNC: values.fsync } });
await new Promise<void>((res, rej) => {
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('devcluster ready')) res(); });
  child.on('exit', (c) => rej(new Error(`devcluster exited with ${String(c)}`)));
});

type Json = Record<string, unknown>;
const kc = load(readFileSync(join(dir, 'kubeconfig'), 'utf8')) as Json;
const cluster = ((kc['clusters'] as Json[])[0]?.['cluster'] as Json);
const server = new URL(String(cluster['server']));
const ca = Buffer.from(String(cluster['certificate-authority-data']), 'base64');
const token = String(((kc['users'] as Json[])[0]?.['user'] as Json)['token']);
const agent = new Agent({ keepAlive: true, maxSockets: CONC, ca });

function call(method: string, path: string, body?: string, contentType = 'application/json'): Promise<number> {
  return new Promise((res, rej) => {
    const req = request({
      host: server.hostname, port: server.port, method, path, agent,
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(body ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) } : {}) },
    }, (r) => { r.resume(); r.on('end', () => res(r.statusCode ?? 0)); });
    req.on('error', rej);
    req.end(body);
  });
}

async function pool(n: number, fn: (i: number) => Promise<number>, expect: number): Promise<number> {
  let next = 0;
  let failures = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (next < n) {
      const i = next++;
      if ((await fn(i)) !== expect) failures++;
    }
  }));
  if (failures) throw new Error(`${failures} requests failed`);
  return n / ((performance.now() - t0) / 1000);
}

const base = '/apis/conformance.example.com/v1/namespaces/default/widgets';
const widget = (i: number): string => JSON.stringify({
  apiVersion: 'conformance.example.com/v1', kind: 'Widget', metadata: { name: `w-${i}`, labels: { shard: String(i % 10) } },
  spec: { color: ['red', 'green', 'blue'][i % 3], size: 1 + (i % 50), owner: `owner${i}@example.com`, tags: ['bench', `t${i % 7}`] },
});
const status = (k: number): string => JSON.stringify({
  status: { observedGeneration: 1, phase: k % 2 ? 'Ready' : 'Progressing', conditions: [{ type: 'Ready', status: k % 2 ? 'True' : 'False', reason: 'Bench', message: `write ${k}`, lastTransitionTime: '2026-01-01T00:00:00Z' }] },
});

/** CPU seconds (user+system) used so far by the server process, from /proc (Linux). */
function serverCpu(): number {
  try {
    const f = readFileSync(`/proc/${String(child.pid)}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return NaN; }
}
/** Runs a phase and also reports the server's CPU time per request (independent of machine load). */
async function phase(label: string, n: number, run: () => Promise<number>): Promise<void> {
  const c0 = serverCpu();
  const rate = await run();
  const us = ((serverCpu() - c0) / n) * 1e6;
  results.push([label, rate.toFixed(0)]);
  if (!Number.isNaN(us)) results.push([`  server CPU per request (µs) → capacity of one core/s`, `${us.toFixed(0)} → ${(1e6 / us).toFixed(0)}`]);
}

const results: [string, string][] = [];
try {
  await phase(`creates/s (${OBJECTS} objects)`, OBJECTS, () => pool(OBJECTS, (i) => call('POST', base, widget(i)), 201));
  await phase(`status writes/s (merge patch, ${OBJECTS} stored)`, WRITES,
    () => pool(WRITES, (k) => call('PATCH', `${base}/w-${(k * 7919) % OBJECTS}/status`, status(k), 'application/merge-patch+json'), 200));
  await phase('gets/s', Math.min(WRITES, 5000), () => pool(Math.min(WRITES, 5000), (k) => call('GET', `${base}/w-${(k * 7919) % OBJECTS}`), 200));

  const t0l = performance.now();
  await call('GET', base);
  results.push([`list of ${OBJECTS} (ms)`, (performance.now() - t0l).toFixed(0)]);

  // Watch fan-out: W watchers from "now", then FAN writes; wait until every watcher saw every event.
  const FAN = Math.min(WRITES, 5000);
  const rvBody = await new Promise<string>((res, rej) => {
    const req = request({ host: server.hostname, port: server.port, path: `${base}?limit=1`, agent, headers: { Authorization: `Bearer ${token}` } }, (r) => {
      let s = ''; r.on('data', (d: Buffer) => { s += d.toString(); }); r.on('end', () => res(s));
    });
    req.on('error', rej); req.end();
  });
  const rv = String(((JSON.parse(rvBody) as Json)['metadata'] as Json)['resourceVersion']);
  let delivered = 0;
  let doneWatchers = 0;
  let allDone: () => void = () => undefined;
  const finished = new Promise<void>((r) => { allDone = r; });
  const watchAgent = new Agent({ keepAlive: false, ca, maxSockets: WATCHERS + 1 });
  const streams = await Promise.all(Array.from({ length: WATCHERS }, () => new Promise<{ destroy(): void }>((res, rej) => {
    const req = request({ host: server.hostname, port: server.port, path: `${base}?watch=true&resourceVersion=${rv}`, agent: watchAgent, headers: { Authorization: `Bearer ${token}` } }, (r) => {
      let mine = 0;
      r.on('data', (d: Buffer) => {
        for (const b of d) if (b === 10) { mine++; delivered++; }
        if (mine === FAN) { doneWatchers++; if (doneWatchers === WATCHERS) allDone(); mine++; }
      });
      res(r);
    });
    req.on('error', rej); req.end();
  })));
  const t0 = performance.now();
  const fanWrites = await pool(FAN, (k) => call('PATCH', `${base}/w-${k % OBJECTS}/status`, status(k + 1), 'application/merge-patch+json'), 200);
  await finished;
  const secs = (performance.now() - t0) / 1000;
  results.push([`status writes/s with ${WATCHERS} watchers`, fanWrites.toFixed(0)]);
  results.push([`watch events delivered/s (${WATCHERS} watchers x ${FAN})`, (delivered / secs).toFixed(0)]);
  for (const s of streams) s.destroy();
  watchAgent.destroy();
} finally {
  agent.destroy();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

const w = Math.max(...results.map(([k]) => k.length));
process.stdout.write(`\ndevcluster benchmark (fsync=${values.fsync}, concurrency ${CONC}, ${process.platform}/${process.arch}, node ${process.version}, load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')})\n`);
for (const [k, v] of results) process.stdout.write(`${k.padEnd(w)}  ${v.padStart(8)}\n`);
