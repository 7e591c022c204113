/**
 * What the benchmarks that run the embedded cluster in a process of its own share: starting and
 * stopping that process, a keep-alive HTTPS client for raw requests (the bench's own load,
 * apart from the operator's clients), the Sites and Occupiers they apply, and the CPU time of a
 * process. Not a benchmark itself (bench/run.ts runs only the *.ts files directly in bench/).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { OccupierResource, SiteResource } from '../../operator/src/api/index.ts';

export const REPO = resolve(import.meta.dirname, '../..');
export const GROUP = 'occupier.dev';
export const VERSION = 'v1alpha1';
/** The namespace of the benchmarks' Occupiers. */
export const NS = 'occupiers';
export const OCCUPIERS_PATH = `/apis/${GROUP}/${VERSION}/namespaces/${NS}/occupiers`;

export interface Cluster {
  child: ChildProcess;
  dir: string;
  kc: KubeConfig;
  /** The API server's port on 127.0.0.1. */
  port: number;
}

/** The embedded cluster in a process of its own (as `npm run devcluster` runs it), with the CRDs of crds/. */
export async function startCluster(dir: string, fresh: boolean): Promise<Cluster> {
  const child = spawn(process.execPath, [join(REPO, 'operator/src/devcluster/main.ts'), '--port', '0', ...(fresh ? ['--fresh'] : []), '--data-dir', dir, '--crds', join(REPO, 'crds')], {
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
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined) throw new Error(`${join(dir, 'kubeconfig')} names no cluster`);
  return { child, dir, kc, port: Number(new URL(server).port) };
}

/**
 * Stops the cluster: a cluster that is thrown away is killed (a graceful stop waits for
 * clients' idle keep-alive connections) and its directory removed; a kept one stops
 * gracefully so its store is complete.
 */
export async function stopCluster(c: Cluster, remove = true): Promise<void> {
  if (c.child.exitCode === null && c.child.signalCode === null) {
    const exited = new Promise((r) => c.child.once('exit', r));
    c.child.kill(remove ? 'SIGKILL' : 'SIGTERM');
    await exited;
  }
  if (remove) rmSync(c.dir, { recursive: true, force: true });
}

/** Runs fn(0 … n-1), `concurrency` at a time. */
export async function pool(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await fn(next++);
  }));
}

export interface RawClient {
  /** Sends a request with a body; resolves the response text, rejects on a status ≥ 300 naming it. */
  send(method: string, path: string, body: string, contentType?: string): Promise<string>;
  post(path: string, body: unknown): Promise<void>;
  /** Closes its connections. */
  close(): void;
}

/** Raw requests over one keep-alive agent (`maxSockets` connections) with the kubeconfig's token. */
export function rawClient(kc: KubeConfig, maxSockets = 32): RawClient {
  const cluster = kc.getCurrentCluster();
  const token = kc.getCurrentUser()?.token;
  if (!cluster?.caData || !token) throw new Error('the dev cluster kubeconfig has no CA data or token');
  const server = new URL(cluster.server);
  const agent = new Agent({ keepAlive: true, maxSockets, ca: Buffer.from(cluster.caData, 'base64') });
  const send = (method: string, path: string, data: string, contentType = 'application/json'): Promise<string> =>
    new Promise((res, rej) => {
      const req = request(
        { host: server.hostname, port: server.port, method, path, agent, headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data) } },
        (r) => {
          let text = '';
          r.on('data', (d: Buffer) => { text += d.toString(); });
          r.on('end', () => ((r.statusCode ?? 0) < 300 ? res(text) : rej(new Error(`${method} ${path}: ${String(r.statusCode)} ${text.slice(0, 300)}`))));
        },
      );
      req.on('error', rej);
      req.end(data);
    });
  return {
    send,
    post: async (path, body) => { await send('POST', path, JSON.stringify(body)); },
    close: () => agent.destroy(),
  };
}

export function siteName(i: number): string {
  return `bench-site-${i}`;
}

/** Site i of a benchmark: every capability on the simulated driver with `latencyMs` per call. */
export function benchSite(i: number, latencyMs: string): SiteResource {
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
      drivers: { default: { driver: 'simulated', settings: { latencyMs } } },
    },
  } as unknown as SiteResource;
}

export function occupierName(i: number): string {
  return `occ-${String(i).padStart(5, '0')}`;
}

/** A small Occupier: 3 users, 1 site (`bench-site-<siteIndex>`), two services. */
export function benchOccupier(i: number, siteIndex: number): OccupierResource {
  const name = occupierName(i);
  const s = siteName(siteIndex);
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

/** Creates the namespace and `sites` Sites with `latencyMs` per driver call. */
export async function seed(kc: KubeConfig, sites: number, latencyMs: string): Promise<void> {
  const client = rawClient(kc);
  try {
    await client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (let i = 0; i < sites; i++) await client.post(`/apis/${GROUP}/${VERSION}/sites`, benchSite(i, latencyMs));
  } finally {
    client.close();
  }
}

/** CPU seconds (user + system) a process has used so far (Linux /proc; 0 elsewhere or once it has gone). */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${String(pid)}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** A table as the benchmarks print it: the first column left-aligned, the others right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return `${line(header)}\n${rows.map(line).join('\n')}\n`;
}
