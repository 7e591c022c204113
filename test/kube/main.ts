// `npm run realcluster`: a real etcd + kube-apiserver on loopback, built from the pinned Go
// modules of test/kube/ (first run: a cold build, then cached), with a kubeconfig for kubectl,
// `npm start -- --kubeconfig`, and `npm test` (OCCUPIER_TEST_CLUSTER=real).
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBinaries, startEtcd, startKubeApiserver, TEST_USERS } from './realcluster.ts';

const HELP = `Usage: npm run realcluster -- [--data-dir .realcluster] [--port 6443] [--fresh]

Starts etcd and kube-apiserver (built from test/kube/go.mod by test/kube/build.sh when missing)
on loopback and writes <data-dir>/kubeconfig. Installs nothing else: no CRDs, no controllers
(no namespace controller, no garbage collector), as envtest. Prints "kube-apiserver ready" once
/readyz answers; Ctrl-C stops both. State is kept in <data-dir> across restarts (--fresh wipes it).

Users (token file, contexts of the kubeconfig): ${Object.entries(TEST_USERS).map(([u, g]) => `${u} (${g.join(', ')})`).join('; ')}.
Only admin has rights; grant the others with RBAC, or impersonate: kubectl --as alice ...

  --data-dir DIR   state directory (default .realcluster)
  --port N         kube-apiserver port (default: a free port)
  --fresh          start with empty state
  --help           this text
`;

const { values } = parseArgs({
  options: { 'data-dir': { type: 'string' }, port: { type: 'string' }, fresh: { type: 'boolean' }, help: { type: 'boolean' } },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const dataDir = resolve(values['data-dir'] ?? '.realcluster');
const port = values.port === undefined ? undefined : Number(values.port);
if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
  process.stderr.write(`realcluster: --port: invalid value "${values.port}": want a port number 1-65535\n`);
  process.exit(2);
}
if (values.fresh) rmSync(dataDir, { recursive: true, force: true });

try {
  const binDir = await ensureBinaries();
  const etcd = await startEtcd({ binDir, dataDir });
  const api = await startKubeApiserver({ binDir, dataDir, etcdUrl: etcd.url, ...(port !== undefined ? { port } : {}) })
    .catch(async (e: unknown) => { await etcd.stop(); throw e; });
  process.stdout.write([
    `kubeconfig: ${api.kubeconfigPath}`,
    `server: ${api.url} (etcd ${etcd.url}; binaries in ${binDir})`,
    'kube-apiserver ready',
    '',
    `  kubectl --kubeconfig ${api.kubeconfigPath} apply -f crds/`,
    `  npm start -- --kubeconfig ${api.kubeconfigPath}`,
    '',
  ].join('\n'));
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('stopping kube-apiserver and etcd\n');
    await api.stop();
    await etcd.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
} catch (e) {
  process.stderr.write(`realcluster: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
