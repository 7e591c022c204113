import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../operator/src/runtime/index.ts';
import { GIZMO, gizmo, startTestCluster } from './fixtures/cluster.ts';
import type { Gizmo, TestCluster } from './fixtures/cluster.ts';

let t: TestCluster;
beforeAll(async () => {
  t = await startTestCluster();
});
afterAll(async () => {
  await t?.stop();
});

describe('cache list pagination', () => {
  it('follows continue tokens of custom-object lists until every page is in the store', async () => {
    for (let i = 0; i < 23; i++) await t.gizmos.create(gizmo(`paged-${i}`));
    const cache = new Cache<Gizmo>({ kubeConfig: t.kc, resource: GIZMO, pageSize: 5 });
    cache.start();
    try {
      await cache.waitForSync();
      expect(cache.list().map((g) => g.metadata?.name).filter((n) => n?.startsWith('paged-'))).toHaveLength(23);
    } finally {
      await cache.stop();
    }
  });
});
