// Embedded cluster only: acknowledged writes survive a restart, resourceVersions continue,
// `fresh` starts empty, and a CRD's resources are served again after restart.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, CustomObjectsApi } from '@kubernetes/client-node';
import { startDevCluster } from '../../operator/src/devcluster/index.ts';
import { FIXTURE_CRDS, GROUP, widget } from './harness.ts';
import type { Json } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'persist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const client = (path: string): CustomObjectsApi => {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc.makeApiClient(CustomObjectsApi);
};
const W = { group: GROUP, version: 'v1', namespace: 'default', plural: 'widgets' };
const rvOf = (o: unknown): number => Number(((o as Json)['metadata'] as Json)['resourceVersion']);

describe.skipIf(!!process.env['CONFORMANCE_KUBECONFIG'])('persistence (embedded cluster)', () => {
  it('keeps every acknowledged write across restarts and continues resourceVersions', async () => {
    const a = await startDevCluster({ port: 0, dataDir: dir, fresh: true, crds: FIXTURE_CRDS });
    const api = client(a.kubeconfigPath);
    await Promise.all(Array.from({ length: 50 }, (_, i) => api.createNamespacedCustomObject({ ...W, body: widget(`p${i}`) })));
    const last = await api.patchNamespacedCustomObjectStatus({ ...W, name: 'p7', body: [{ op: 'add', path: '/status', value: { phase: 'Saved' } }] });
    await api.deleteNamespacedCustomObject({ ...W, name: 'p8' });
    const before = rvOf(last);
    await a.stop();

    const b = await startDevCluster({ port: 0, dataDir: dir });
    const api2 = client(b.kubeconfigPath);
    const list = (await api2.listNamespacedCustomObject(W)) as Json;
    expect((list['items'] as Json[]).length).toBe(49);
    const p7 = (await api2.getNamespacedCustomObject({ ...W, name: 'p7' })) as Json;
    expect(p7['status']).toEqual({ phase: 'Saved' });
    const next = await api2.createNamespacedCustomObject({ ...W, body: widget('after') });
    expect(rvOf(next)).toBeGreaterThan(before);
    await b.stop();

    const c = await startDevCluster({ port: 0, dataDir: dir, fresh: true });
    const kc = new KubeConfig();
    kc.loadFromFile(c.kubeconfigPath);
    await expect(client(c.kubeconfigPath).listNamespacedCustomObject(W)).rejects.toMatchObject({ code: 404 });
    await c.stop();
  });
});
