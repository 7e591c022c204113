// Global setup of the `real` vitest project: one etcd for the whole run (each test file starts
// its own kube-apiserver on it under a fresh etcd prefix, see test/support/cluster.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureBinaries, startEtcd } from './realcluster.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binDir = await ensureBinaries();
  const dataDir = mkdtempSync(join(tmpdir(), 'realcluster-etcd-'));
  const etcd = await startEtcd({ binDir, dataDir });
  project.provide('realCluster', { binDir, etcdUrl: etcd.url });
  return async () => {
    await etcd.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
