// Test helper: an embedded dev cluster on a random port in a fresh temp dir, with every CRD of
// crds/*.yaml installed, a client-node KubeConfig and a kubectl runner.
//
//   const env = await withDevCluster();          // in beforeAll
//   await env.kubectl(['apply', '-f', '-'], yaml);
//   const api = env.kubeConfig.makeApiClient(CustomObjectsApi);
//   await env.stop();                             // in afterAll (also removes the temp dir)
//
// or let vitest hooks do it:   const env = useDevCluster();  …  env().kubeConfig
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { startDevCluster } from '../../operator/src/devcluster/index.ts';
import type { DevCluster, DevClusterOptions } from '../../operator/src/devcluster/index.ts';

export interface KubectlResult { code: number; stdout: string; stderr: string }

export interface DevClusterEnv {
  cluster: DevCluster;
  kubeConfig: KubeConfig;
  kubectl(args: string[], stdin?: string): Promise<KubectlResult>;
  stop(): Promise<void>;
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

/** Runs /usr/bin/kubectl against a kubeconfig, with a private discovery cache. */
export function runKubectl(kubeconfigPath: string, cacheDir: string, args: string[], stdin?: string, timeoutMs = 30_000): Promise<KubectlResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfigPath, '--cache-dir', cacheDir, ...args], {
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
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(cluster.kubeconfigPath);
  const cacheDir = join(dataDir, 'kubectl-cache');
  return {
    cluster,
    kubeConfig,
    kubectl: (args, stdin) => runKubectl(cluster.kubeconfigPath, cacheDir, args, stdin),
    stop: async () => {
      await cluster.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
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
