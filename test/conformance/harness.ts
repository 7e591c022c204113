// Cluster-agnostic harness of the conformance suite. With CONFORMANCE_KUBECONFIG set it talks to
// that cluster (kind, a real API server...); in the `real` vitest project it starts a real
// kube-apiserver of its own (test/support/cluster.ts); otherwise the embedded dev cluster.
// Requests go over plain HTTPS with the kubeconfig's credentials so status codes and Status
// bodies can be checked exactly; client-node is exercised by its own tests.
import { Agent, request as httpsRequest } from 'node:https';
import type { RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadAll } from 'js-yaml';
import { KubeConfig } from '@kubernetes/client-node';
import { startDevCluster } from '../../operator/src/devcluster/index.ts';
import type { DevCluster } from '../../operator/src/devcluster/index.ts';
import { clusterKind, withRealCluster } from '../support/cluster.ts';
import type { ClusterEnv } from '../support/cluster.ts';

export type Json = Record<string, unknown>;
export interface Response { status: number; headers: IncomingMessage['headers']; text: string; body: Json; bytes: Buffer }

export const GROUP = 'conformance.example.com';
export const WIDGETS = `/apis/${GROUP}/v1`;

export const FIXTURE_CRDS = loadAll(readFileSync(join(import.meta.dirname, 'fixtures/widgets.yaml'), 'utf8')) as Json[];

/** Which of kube-controller-manager's controllers act on the cluster (the API server alone runs none). */
export interface Controllers {
  /** Empties a deleted namespace, then removes it (the dev cluster emulates it). */
  namespace: boolean;
  /** Removes the `orphan` / `foregroundDeletion` finalizers and owned objects (not emulated by the dev cluster). */
  garbageCollector: boolean;
}

export interface Conn {
  kc: KubeConfig;
  kubeconfigPath: string;
  external: boolean;
  /**
   * Controllers running against the cluster: both on a full cluster (CONFORMANCE_KUBECONFIG: kind...),
   * none on the `real` project's bare kube-apiserver (as envtest), the namespace one on the dev cluster.
   */
  controllers: Controllers;
  /** Embedded only: the running cluster (for restart/persistence tests). */
  cluster: DevCluster | undefined;
  dataDir: string | undefined;
  ns: string;
  request(method: string, path: string, opts?: { body?: unknown; raw?: string; contentType?: string; accept?: string }): Promise<Response>;
  watch(path: string): Promise<WatchStream>;
  stop(): Promise<void>;
}

export interface WatchStream {
  status: number;
  /** Next event, or undefined when the stream ended / nothing arrives within `ms`. */
  next(ms?: number): Promise<Json | undefined>;
  close(): void;
}

/** Embedded clusters keep only this many events, so 410 Expired can be forced. */
export const EMBEDDED_WATCH_WINDOW = 200;

export async function connect(opts: { bookmarkIntervalMs?: number } = {}): Promise<Conn> {
  const ext = process.env['CONFORMANCE_KUBECONFIG'];
  let cluster: DevCluster | undefined;
  let dataDir: string | undefined;
  let kubeconfigPath: string;
  let real: ClusterEnv | undefined;
  if (ext) kubeconfigPath = ext;
  else if (clusterKind() === 'real') {
    real = await withRealCluster({ crds: [] , crdDir: join(import.meta.dirname, 'no-crds-here') });
    kubeconfigPath = real.kubeconfigPath;
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'conformance-'));
    cluster = await startDevCluster({ port: 0, dataDir, fresh: true, watchWindow: EMBEDDED_WATCH_WINDOW, ...(opts.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: opts.bookmarkIntervalMs } : {}) });
    kubeconfigPath = cluster.kubeconfigPath;
  }
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const server = new URL(kc.getCurrentCluster()?.server ?? '');
  const base: RequestOptions = {};
  await kc.applyToHTTPSOptions(base);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const open = (method: string, path: string, o: { raw?: string; contentType?: string; accept?: string } = {}): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest({
        ...base, host: server.hostname.replace(/^\[|\]$/g, ''), port: server.port || 443, method, path,
        headers: { ...(base.headers ?? {}), Accept: o.accept === undefined || o.accept === 'watch' ? 'application/json' : o.accept, ...(o.raw !== undefined ? { 'Content-Type': o.contentType ?? 'application/json', 'Content-Length': String(Buffer.byteLength(o.raw)) } : {}) },
        agent: o.accept === 'watch' ? false : agent,
      }, resolve);
      req.on('error', reject);
      req.end(o.raw);
    });
  const request: Conn['request'] = async (method, path, o = {}) => {
    const raw = o.raw ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined);
    const res = await open(method, path, { ...o, ...(raw !== undefined ? { raw } : {}) });
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    const text = bytes.toString('utf8');
    let body: Json = {};
    try { body = JSON.parse(text) as Json; } catch { /* not JSON */ }
    return { status: res.statusCode ?? 0, headers: res.headers, text, body, bytes };
  };
  const watch: Conn['watch'] = async (path) => {
    const res = await open('GET', path, { accept: 'watch' });
    const queue: Json[] = [];
    let ended = false;
    let wake: (() => void) | undefined;
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) queue.push(JSON.parse(line) as Json);
      }
      wake?.();
    });
    res.on('end', () => { ended = true; wake?.(); });
    res.on('error', () => { ended = true; wake?.(); });
    return {
      status: res.statusCode ?? 0,
      async next(ms = 5000) {
        const deadline = Date.now() + ms;
        while (queue.length === 0 && !ended && Date.now() < deadline) {
          await new Promise<void>((r) => { wake = r; setTimeout(r, Math.max(1, deadline - Date.now())); });
        }
        return queue.shift();
      },
      close() { res.destroy(); },
    };
  };
  const conn: Conn = {
    kc, kubeconfigPath, external: !!ext || !!real, cluster, dataDir,
    controllers: ext ? { namespace: true, garbageCollector: true } : real ? { namespace: false, garbageCollector: false } : { namespace: true, garbageCollector: false }, ns: `conf-${randomBytes(4).toString('hex')}`, request, watch,
    stop: async () => {
      await request('DELETE', `/api/v1/namespaces/${conn.ns}`).catch(() => undefined);
      agent.destroy();
      await cluster?.stop();
      await real?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await installFixtures(conn);
  const ns = await request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: conn.ns } } });
  if (ns.status !== 201) throw new Error(`cannot create namespace: ${ns.text}`);
  return conn;
}

async function installFixtures(c: Conn): Promise<void> {
  for (const crd of FIXTURE_CRDS) {
    const name = String((crd['metadata'] as Json)['name']);
    const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
    const got = await c.request('GET', path);
    if (got.status === 404) {
      const res = await c.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd });
      if (res.status !== 201) throw new Error(`cannot install ${name}: ${res.text}`);
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const cur = await c.request('GET', path);
      const conds = ((cur.body['status'] as Json | undefined)?.['conditions'] as Json[] | undefined) ?? [];
      const plural = String(((crd['spec'] as Json)['names'] as Json)['plural']);
      const served = await c.request('GET', `${WIDGETS}/${plural}`);
      if (conds.some((x) => x['type'] === 'Established' && x['status'] === 'True') && served.status === 200) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not established`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** A Widget manifest. */
export function widget(name: string, spec: Json = { color: 'red' }, meta: Json = {}): Json {
  return { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name, ...meta }, spec };
}

export const meta = (o: Json): Json => (o['metadata'] as Json | undefined) ?? {};
export const items = (o: Json): Json[] => (o['items'] as Json[] | undefined) ?? [];
export const names = (o: Json): string[] => items(o).map((i) => String(meta(i)['name'])).sort();
