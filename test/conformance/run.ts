// `npm run test:conformance -- [--kubeconfig <path>]`: runs the conformance suite with vitest,
// against the given cluster (e.g. kind) or, without --kubeconfig, against the embedded cluster
// and the real kube-apiserver of test/kube/ (OCCUPIER_TEST_CLUSTER picks, as for npm test).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { homedir } from 'node:os';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ options: { kubeconfig: { type: 'string' }, help: { type: 'boolean' } }, allowPositionals: true });
if (values.help) {
  process.stdout.write('Usage: npm run test:conformance -- [--kubeconfig ~/.kube/config] [vitest filters...]\n');
  process.exit(0);
}
const env = { ...process.env };
if (values.kubeconfig) {
  const path = resolve(values.kubeconfig.replace(/^~(?=\/)/, homedir()));
  if (!existsSync(path)) {
    process.stderr.write(`kubeconfig not found: ${path}\n`);
    process.exit(2);
  }
  env['CONFORMANCE_KUBECONFIG'] = path;
  // One vitest project is enough: CONFORMANCE_KUBECONFIG points both at the given cluster.
  env['OCCUPIER_TEST_CLUSTER'] = 'dev';
  process.stdout.write(`conformance suite against ${path}\n`);
} else process.stdout.write(`conformance suite against ${process.env['OCCUPIER_TEST_CLUSTER'] === 'dev' ? 'the embedded dev cluster' : process.env['OCCUPIER_TEST_CLUSTER'] === 'real' ? 'a real kube-apiserver (test/kube/)' : 'the embedded dev cluster and a real kube-apiserver (test/kube/)'}\n`);
const root = resolve(import.meta.dirname, '../..');
const vitest = resolve(root, 'node_modules/vitest/vitest.mjs');
const files = positionals.length ? positionals : ['test/conformance/'];
const r = spawnSync(process.execPath, [vitest, 'run', ...files], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
