// Two projects run the same cluster suites against two API servers:
//   dev  — every test; Kubernetes-facing suites use the embedded dev cluster;
//   real — the Kubernetes-facing suites (REAL_SUITES) against a real kube-apiserver + etcd
//          built from test/kube/ (Go module proxy + Go toolchain; cached by go.sum).
// OCCUPIER_TEST_CLUSTER=dev|real|both (default both) picks them. Without Go the real half is
// skipped with one line saying why; OCCUPIER_REQUIRE_REAL_CLUSTER=1 (CI) makes that a failure.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { ensureBinaries, unavailableReason } from './test/kube/realcluster.ts';

const ALL = ['operator/**/*.test.ts', 'drivers/**/*.test.ts', 'test/**/*.test.ts'];
/** The suites that talk to an API server and run on both clusters. */
export const REAL_SUITES = [
  'test/conformance/**/*.test.ts',
  'test/e2e/**/*.test.ts',
  'test/support/**/*.test.ts',
  'test/runtime/integration.test.ts',
];

/** The helm of test/helm/ (built once with Go, cached), or undefined without Go. */
function buildHelm(): string | undefined {
  const r = spawnSync('bash', [join(import.meta.dirname, 'test/helm/build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const path = r.stdout.trim().split('\n').pop();
  if (r.status === 0 && path) return path;
  process.stdout.write('helm from test/helm/ not built (no Go?): the chart tests use node_modules/.bin/helm\n');
  return undefined;
}

export default defineConfig(async () => {
  const mode = process.env['OCCUPIER_TEST_CLUSTER'] ?? 'both';
  if (!['dev', 'real', 'both'].includes(mode)) throw new Error(`OCCUPIER_TEST_CLUSTER: invalid value "${mode}": want dev, real or both`);
  const wantReal = mode !== 'dev';
  let binDir: string | undefined;
  if (wantReal) {
    const why = unavailableReason();
    if (why === undefined) binDir = await ensureBinaries((l) => process.stdout.write(`${l}\n`));
    else if (process.env['OCCUPIER_REQUIRE_REAL_CLUSTER'] === '1') throw new Error(`the real kube-apiserver is required (OCCUPIER_REQUIRE_REAL_CLUSTER=1) but cannot run: ${why}`);
    else process.stdout.write(`real-cluster half skipped: ${why}; only the embedded cluster is tested (OCCUPIER_TEST_CLUSTER=dev to silence)\n`);
  } else {
    process.stdout.write('real-cluster half skipped: OCCUPIER_TEST_CLUSTER=dev\n');
  }
  const helm = process.env['HELM'] ?? buildHelm();
  const env = { ...(binDir ? { KUBE_BIN_DIR: binDir } : {}), ...(helm ? { HELM: helm } : {}) };
  const projects = [];
  if (mode !== 'real') projects.push({ extends: true, test: { name: 'dev', include: ALL, env: { ...env, OCCUPIER_TEST_CLUSTER: 'dev' } } });
  if (binDir) {
    projects.push({
      extends: true,
      test: {
        name: 'real', include: REAL_SUITES, env: { ...env, OCCUPIER_TEST_CLUSTER: 'real' },
        globalSetup: ['test/kube/global-setup.ts'], testTimeout: 120_000, hookTimeout: 180_000,
      },
    });
  }
  return {
    test: {
      testTimeout: 60_000,
      hookTimeout: 60_000,
      pool: 'forks',
      projects,
    },
  };
});
