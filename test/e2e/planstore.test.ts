/**
 * The plan store: a frozen plan too large for an order's status is kept gzipped in immutable
 * ConfigMaps owned by the order, chunked under the 1 MiB ConfigMap limit, checked by its
 * SHA-256 when a run resumes, and reviewable with the kubectl command on the ConfigMap.
 */
import { randomBytes } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configMapPlanStore } from '../../operator/src/controllers/orders/planstore.ts';
import type { AnyOrder } from '../../operator/src/controllers/orders/plugin.ts';
import type { PlanItem } from '../../operator/src/planner/types.ts';
import { withCluster } from '../support/cluster.ts';
import type { ClusterEnv } from '../support/cluster.ts';

let env: ClusterEnv;
let core: CoreV1Api;
const NS = 'plans';
const order = (name: string, uid: string): AnyOrder =>
  ({ apiVersion: 'occupier.dev/v1alpha1', kind: 'SiteMove', metadata: { name, namespace: NS, uid }, spec: { occupierRef: { name: 'x' }, from: 'a', to: 'b', tariff: 't', copyServices: true, telephony: 'Release', approval: 'Automatic' } }) as AnyOrder;
const items = (n: number, noise = 0): PlanItem[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'User', name: `user${i}@example.com`, action: 'Move', site: 'b', step: 'users', detail: noise ? randomBytes(noise).toString('hex') : 'site access a → b', ops: [{ op: 'ensure', capability: 'directory', type: 'account', key: `user${i}@example.com`, spec: { occupier: `${NS}/x`, email: `user${i}@example.com` } }] }));

beforeAll(async () => {
  env = await withCluster();
  core = env.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
}, 120_000);
afterAll(async () => env?.stop());

describe('plan store', () => {
  it('keeps a large plan in one immutable ConfigMap owned by the order and gives it back exactly', async () => {
    const store = configMapPlanStore(core);
    const plan = items(5000);
    const stored = await store.save(order('big', 'uid-1'), plan);
    expect(stored.configMaps).toEqual(['sitemove.big.plan']);
    const cm = await core.readNamespacedConfigMap({ name: 'sitemove.big.plan', namespace: NS });
    expect(cm.immutable).toBe(true);
    expect(cm.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'SiteMove', name: 'big', uid: 'uid-1' });
    expect(cm.metadata?.annotations?.['occupier.dev/review']).toContain(`kubectl -n ${NS} get configmap sitemove.big.plan`);
    expect(await store.load(order('big', 'uid-1'), stored)).toEqual(plan);
  });

  it('chunks a plan whose gzip passes the ConfigMap limit into several ConfigMaps', async () => {
    const store = configMapPlanStore(core);
    const plan = items(4000, 200); // ~800 bytes of noise each: ~1.6 MB gzipped
    const stored = await store.save(order('huge', 'uid-2'), plan);
    expect(stored.configMaps.length).toBeGreaterThan(1);
    expect(await store.load(order('huge', 'uid-2'), stored)).toEqual(plan);
  });

  it('saving the same plan again reuses it; a different plan (never started) replaces it; a changed store is refused', async () => {
    const store = configMapPlanStore(core);
    const first = await store.save(order('again', 'uid-3'), items(10));
    const before = await core.readNamespacedConfigMap({ name: 'sitemove.again.plan', namespace: NS });
    expect(await store.save(order('again', 'uid-3'), items(10))).toEqual(first);
    expect((await core.readNamespacedConfigMap({ name: 'sitemove.again.plan', namespace: NS })).metadata?.uid).toBe(before.metadata?.uid);
    const second = await store.save(order('again', 'uid-3'), items(11));
    expect(second.sha256).not.toBe(first.sha256);
    expect(await store.load(order('again', 'uid-3'), second)).toHaveLength(11);
    await expect(store.load(order('again', 'uid-3'), first)).rejects.toThrow(/ConfigMap\(s\) sitemove\.again\.plan in namespace \S+, recorded in status\.plan\.stored\.sha256: their content does not match the recorded SHA-256/);
    await core.deleteNamespacedConfigMap({ name: 'sitemove.again.plan', namespace: NS });
    await expect(store.load(order('again', 'uid-3'), second)).rejects.toMatchObject({ name: 'BlobLostError', configMaps: ['sitemove.again.plan'], message: expect.stringContaining('sitemove.again.plan is gone') });
  });
});
