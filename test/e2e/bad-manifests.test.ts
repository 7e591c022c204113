// The bad-manifest table against the API server itself (embedded or real, see
// test/support/cluster.ts): kubectl create of each case is refused, and the message names the
// field — so what the CRD schema promises is what a server enforces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dump } from 'js-yaml';
import { BAD_MANIFESTS, buildBadManifest } from '../support/bad-manifests.ts';
import { example } from '../support/examples.ts';
import { hasKubectl, withCluster } from '../support/cluster.ts';
import type { ClusterEnv } from '../support/cluster.ts';

let env: ClusterEnv;

describe.skipIf(!hasKubectl)('bad manifests sent to the API server', () => {
  beforeAll(async () => {
    env = await withCluster();
    const ns = await env.kubectl(['create', 'namespace', 'occupiers']);
    expect(ns.code, ns.stderr).toBe(0);
  });
  afterAll(async () => { await env?.stop(); });

  it('accepts every unedited base example (dry run)', async () => {
    const bases = [...new Map(BAD_MANIFESTS.map((c) => [c.base.join('/'), c.base])).values()];
    for (const [kind, name] of bases) {
      const r = await env.kubectl(['create', '--dry-run=server', '-f', '-'], dump(example(kind, name)));
      expect(r.code, `${kind}/${name}: ${r.stderr}`).toBe(0);
    }
  });

  it.each(BAD_MANIFESTS.map((c) => [c.name, c] as const))('%s: refused, naming the field', async (_n, c) => {
    const r = await env.kubectl(['create', '-f', '-'], dump(buildBadManifest(c)));
    expect(r.code, r.stdout).not.toBe(0);
    // kubectl prints the server's message; both servers name the field path (list items as [i]).
    expect(r.stderr).toContain(c.field);
    for (const fragment of c.says ?? []) expect(r.stderr).toContain(fragment);
  });
});
