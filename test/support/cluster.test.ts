// The test-support helper itself: the repository's CRDs are installed and kubectl works.
import { describe, expect, it } from 'vitest';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { loadCrds, useCluster } from './cluster.ts';

describe('useCluster', () => {
  const env = useCluster();

  it('serves every CRD of crds/*.yaml and runs kubectl against it', async () => {
    const expected = loadCrds().map((c) => String(((c as Record<string, unknown>)['metadata'] as Record<string, unknown>)['name'])).sort();
    const api = env().kubeConfig.makeApiClient(ApiextensionsV1Api);
    const names = (await api.listCustomResourceDefinition()).items.map((c) => c.metadata?.name ?? '').sort();
    expect(names).toEqual(expected);
    const r = await env().kubectl(['get', 'namespaces', '-o', 'name']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('namespace/default');
  });
});
