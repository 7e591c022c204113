// Test helper: a Kubernetes API server for a test file, with every CRD of crds/*.yaml
// installed, a client-node KubeConfig and a kubectl runner. Which server is chosen by the vitest
// project (OCCUPIER_TEST_CLUSTER, see vitest.config.ts): `dev` → the embedded dev cluster on a
// random port in a fresh temp dir; `real` → a real kube-apiserver of its own (built from
// test/kube/, on the etcd the project's global setup started, under a fresh etcd prefix).
//
//   const env = await withCluster();             // in beforeAll
//   await env.kubectl(['apply', '-f', '-'], yaml);
//   const api = env.kubeConfig.makeApiClient(CustomObjectsApi);
//   await env.stop();                             // in afterAll (also removes the temp dir)
//
// or let vitest hooks do it:   const env = useCluster();  …  env().kubeConfig
// `withDevCluster()` / `useDevCluster()` always give the embedded cluster (tests of the dev
// cluster itself, or that restart it).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadAll } from 'js-yaml';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, inject } from 'vitest';
import { startDevCluster } from '../../operator/src/devcluster/index.ts';
import type { DevCluster, DevClusterOptions } from '../../operator/src/devcluster/index.ts';
import { startKubeApiserver } from '../kube/realcluster.ts';

export interface KubectlResult { code: number; stdout: string; stderr: string }

export type ClusterKind = 'dev' | 'real';

/** The kind of API server this vitest project runs its suites against. */
export function clusterKind(): ClusterKind {
  return process.env['OCCUPIER_TEST_CLUSTER'] === 'real' ? 'real' : 'dev';
}

export interface ClusterEnv {
  kind: ClusterKind;
  kubeConfig: KubeConfig;
  kubeconfigPath: string;
  /** Temp directory of this cluster (kubectl cache, data of the dev cluster). */
  dataDir: string;
  kubectl(args: string[], stdin?: string): Promise<KubectlResult>;
  /** kubectl that must succeed: its stdout, or an error naming the command and its stderr. */
  kubectlOk(args: string[], stdin?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface DevClusterEnv extends ClusterEnv {
  cluster: DevCluster;
}

const REPO = resolve(import.meta.dirname, '../..');

/** CRD objects from every `*.yaml` file of a directory (default: the repository's crds/). */
export function loadCrds(dir = join(REPO, 'crds')): unknown[] {
  if (!existsSync(dir)) return [];
  const out: unknown[] = [];
  for (const f of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    for (const doc of loadAll(readFileSync(join(dir, f), 'utf8'))) {
      if (doc && typeof doc === 'object' && (doc as Record<string, unknown>)['kind'] === 'CustomResourceDefinition') out.push(doc);
    }
  }
  return out;
}

/**
 * The kubectl the tests run: $KUBECTL, else the one built from test/kube/ (same release as the
 * real API server; KUBE_BIN_DIR is set by vitest.config.ts), else kubectl on PATH.
 */
export function kubectlBinary(): string | undefined {
  const candidates = [process.env['KUBECTL'], process.env['KUBE_BIN_DIR'] ? join(process.env['KUBE_BIN_DIR'], 'kubectl') : undefined];
  for (const c of candidates) if (c && existsSync(c)) return c;
  for (const dir of (process.env['PATH'] ?? '').split(':')) if (dir && existsSync(join(dir, 'kubectl'))) return join(dir, 'kubectl');
  return undefined;
}

export const hasKubectl = kubectlBinary() !== undefined;

/** Runs kubectl against a kubeconfig, with a private discovery cache. */
export function runKubectl(kubeconfigPath: string, cacheDir: string, args: string[], stdin?: string, timeoutMs = 30_000): Promise<KubectlResult> {
  return new Promise((resolvePromise, reject) => {
    const bin = kubectlBinary();
    if (!bin) { reject(new Error('kubectl not found: set KUBECTL, build it with test/kube/build.sh, or put it on PATH')); return; }
    const child = spawn(bin, ['--kubeconfig', kubeconfigPath, '--cache-dir', cacheDir, ...args], {
      env: { ...process.env, KUBECONFIG: kubeconfigPath, HOME: cacheDir }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolvePromise({ code: code ?? -1, stdout, stderr }); });
    child.stdin.end(stdin ?? '');
  });
}

/** Starts a fresh embedded cluster (port 0, temp dir) with crds/*.yaml (plus `opts.crds`) installed. */
export async function withDevCluster(opts: DevClusterOptions & { crdDir?: string } = {}): Promise<DevClusterEnv> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'devcluster-'));
  const { crdDir, ...rest } = opts;
  const cluster = await startDevCluster({ ...rest, port: 0, dataDir, fresh: true, crds: [...loadCrds(crdDir), ...(opts.crds ?? [])] });
  const env = clusterEnv('dev', cluster.kubeconfigPath, dataDir, async () => {
    await cluster.stop();
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return { ...env, cluster };
}

/** The env of a running API server: a KubeConfig and a kubectl runner for its kubeconfig. */
function clusterEnv(kind: ClusterKind, kubeconfigPath: string, dataDir: string, stop: () => Promise<void>): ClusterEnv {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const cacheDir = join(dataDir, 'kubectl-cache');
  const kubectl = (args: string[], stdin?: string): Promise<KubectlResult> => runKubectl(kubeconfigPath, cacheDir, args, stdin);
  const kubectlOk = async (args: string[], stdin?: string): Promise<string> => {
    const r = await kubectl(args, stdin);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  return { kind, kubeConfig, kubeconfigPath, dataDir, kubectl, kubectlOk, stop };
}

/**
 * Registers beforeAll/afterAll hooks in the current describe scope that start and stop a dev
 * cluster; returns an accessor valid inside tests.
 */
export function useDevCluster(opts: DevClusterOptions & { crdDir?: string } = {}): () => DevClusterEnv {
  let env: DevClusterEnv | undefined;
  beforeAll(async () => { env = await withDevCluster(opts); });
  afterAll(async () => { await env?.stop(); env = undefined; });
  return () => {
    if (!env) throw new Error('useDevCluster(): the cluster is only available inside tests (after beforeAll)');
    return env;
  };
}

/**
 * A real kube-apiserver for this test file: its own process and etcd prefix on the etcd the
 * `real` project's global setup started (so cluster-scoped names never collide between files),
 * with crds/*.yaml (plus `opts.crds`) installed and Established.
 */
export async function withRealCluster(opts: { crdDir?: string; crds?: unknown[] } = {}): Promise<ClusterEnv> {
  const real = inject('realCluster');
  if (!real) throw new Error('withRealCluster(): no real control plane in this vitest project (OCCUPIER_TEST_CLUSTER=real|both)');
  const dataDir = mkdtempSync(join(tmpdir(), 'realcluster-'));
  const api = await startKubeApiserver({ binDir: real.binDir, dataDir: join(dataDir, 'apiserver'), etcdUrl: real.etcdUrl, etcdPrefix: `/t-${randomBytes(6).toString('hex')}` });
  const env = clusterEnv('real', api.kubeconfigPath, dataDir, async () => {
    await api.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  try {
    await installCrds(env.kubectl, [...loadCrds(opts.crdDir), ...(opts.crds ?? [])]);
  } catch (e) {
    await env.stop();
    throw e;
  }
  return env;
}

/**
 * Creates CRDs with kubectl and waits until each is Established. Not through client-node's typed
 * ApiextensionsV1Api: its serializer maps model properties (`xKubernetesValidations`, `_enum`),
 * so a CRD given as plain YAML loses its CEL rules and enums on the way — silently.
 */
export async function installCrds(kubectl: ClusterEnv['kubectl'], crds: unknown[], timeoutMs = 60_000): Promise<void> {
  if (crds.length === 0) return;
  const created = await kubectl(['create', '-f', '-'], crds.map((c) => JSON.stringify(c)).join('\n'));
  if (created.code !== 0) throw new Error(`cannot install CRDs: ${created.stderr.trim()}`);
  const names = crds.map((crd) => `crd/${String(((crd as Record<string, unknown>)['metadata'] as Record<string, unknown>)['name'])}`);
  const waited = await kubectl(['wait', '--for=condition=Established', `--timeout=${Math.round(timeoutMs / 1000)}s`, ...names]);
  if (waited.code !== 0) throw new Error(`CRDs not Established: ${waited.stderr.trim()}`);
}

/** The API server of this vitest project (see clusterKind()): embedded or real. */
export async function withCluster(opts: { crdDir?: string; crds?: unknown[]; dev?: DevClusterOptions } = {}): Promise<ClusterEnv> {
  if (clusterKind() === 'real') return withRealCluster(opts);
  return withDevCluster({ ...(opts.dev ?? {}), ...(opts.crdDir ? { crdDir: opts.crdDir } : {}), ...(opts.crds ? { crds: opts.crds } : {}) });
}

/** beforeAll/afterAll hooks around withCluster(); the accessor is valid inside tests. */
export function useCluster(opts: { crdDir?: string; crds?: unknown[]; dev?: DevClusterOptions } = {}): () => ClusterEnv {
  let env: ClusterEnv | undefined;
  beforeAll(async () => { env = await withCluster(opts); }, 120_000);
  afterAll(async () => { await env?.stop(); env = undefined; });
  return () => {
    if (!env) throw new Error('useCluster(): the cluster is only available inside tests (after beforeAll)');
    return env;
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/kube/global-setup.ts in the `real` project. */
    realCluster: { binDir: string; etcdUrl: string } | undefined;
  }
}
