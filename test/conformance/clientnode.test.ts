// @kubernetes/client-node 2.x against the cluster, unchanged: typed APIs, custom objects,
// watch and informer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiException, CoreV1Api, CustomObjectsApi, makeInformer, Watch } from '@kubernetes/client-node';
import { connect, GROUP, widget } from './harness.ts';
import type { Conn, Json } from './harness.ts';

let c: Conn;
beforeAll(async () => { c = await connect(); });
afterAll(async () => { await c.stop(); });

describe('client-node', () => {
  it('creates, reads and patches through the generated APIs', async () => {
    const core = c.kc.makeApiClient(CoreV1Api);
    const cm = await core.createNamespacedConfigMap({ namespace: c.ns, body: { metadata: { name: 'cn-cm' }, data: { a: '1' } } });
    expect(cm.metadata?.uid).toBeTruthy();
    const list = await core.listNamespacedConfigMap({ namespace: c.ns });
    expect(list.items.map((i) => i.metadata?.name)).toContain('cn-cm');
    const objs = c.kc.makeApiClient(CustomObjectsApi);
    const created = (await objs.createNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: c.ns, plural: 'widgets', body: widget('cn-w') })) as Json;
    expect((created['spec'] as Json)['size']).toBe(3);
    const patched = (await objs.patchNamespacedCustomObjectStatus({
      group: GROUP, version: 'v1', namespace: c.ns, plural: 'widgets', name: 'cn-w', body: [{ op: 'add', path: '/status', value: { phase: 'Ready' } }], // client-node sends JSON patch by default
    })) as Json;
    expect(patched['status']).toEqual({ phase: 'Ready' });
    try {
      await objs.getNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: c.ns, plural: 'widgets', name: 'missing' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ApiException);
      expect((e as ApiException<unknown>).code).toBe(404);
    }
  });

  it('watches with Watch and keeps an informer cache in sync', async () => {
    const path = `/apis/${GROUP}/v1/namespaces/${c.ns}/widgets`;
    const seen: string[] = [];
    const watch = new Watch(c.kc);
    const req = await watch.watch(path, {}, (type: string, obj: Json) => { seen.push(`${type}:${String((obj['metadata'] as Json)['name'])}`); }, () => undefined);
    const objs = c.kc.makeApiClient(CustomObjectsApi);
    const informer = makeInformer(c.kc, path, () => objs.listNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: c.ns, plural: 'widgets' }) as never);
    await informer.start();
    await objs.createNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: c.ns, plural: 'widgets', body: widget('cn-w2') });
    const deadline = Date.now() + 10_000;
    while ((!seen.includes('ADDED:cn-w2') || !informer.get('cn-w2', c.ns)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(seen).toContain('ADDED:cn-w2');
    expect(informer.get('cn-w2', c.ns)).toBeTruthy();
    await informer.stop();
    req.abort();
  });
});
