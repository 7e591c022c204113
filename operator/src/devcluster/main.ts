// `npm run devcluster`: runs the embedded development cluster until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { startDevCluster } from './index.ts';

const HELP = `Usage: npm run devcluster -- [options]

Runs a Kubernetes-API-compatible development server (HTTPS, bearer token) that kubectl and
@kubernetes/client-node use unchanged. State lives in the data directory.

Options:
  --port <n>        listen port (default 8443, 0 = random)
  --host <addr>     listen address (default 127.0.0.1)
  --data-dir <dir>  state directory (default .occupier); one dev cluster per directory
  --fresh           start with an empty store
  --crds <dir>      install every CRD in <dir>/*.yaml at start (default: crds/ if present)
  --help            show this help

Environment: DEVCLUSTER_FSYNC=interval (default: a write is acknowledged once written to the
kernel, fdatasync runs every 50 ms: survives a crash/restart of this process), batch (ack only
after fdatasync: survives power loss, slower), none (never fdatasync).
`;

const { values } = parseArgs({
  options: {
    port: { type: 'string' }, host: { type: 'string' }, 'data-dir': { type: 'string' }, fresh: { type: 'boolean' },
    crds: { type: 'string' }, help: { type: 'boolean' },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

function loadCrds(dir: string): unknown[] {
  if (!existsSync(dir)) return [];
  const out: unknown[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort()) {
    for (const doc of loadAll(readFileSync(join(dir, f), 'utf8'))) {
      if (doc && typeof doc === 'object' && (doc as Record<string, unknown>)['kind'] === 'CustomResourceDefinition') out.push(doc);
    }
  }
  return out;
}

const port = values.port !== undefined ? Number(values.port) : 8443;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`invalid --port ${values.port ?? ''}\n`);
  process.exit(2);
}

const envFsync = process.env['DEVCLUSTER_FSYNC'];
const fsync = envFsync === 'none' || envFsync === 'batch' ? envFsync : 'interval';
let cluster: Awaited<ReturnType<typeof startDevCluster>>;
try {
  cluster = await startDevCluster({
    port, fresh: values.fresh === true, crds: loadCrds(values.crds ?? 'crds'), fsync,
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
  });
} catch (e) {
  process.stderr.write(`devcluster: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
process.stdout.write(`kubeconfig: ${cluster.kubeconfigPath}\n`);
process.stdout.write(`export KUBECONFIG=${cluster.kubeconfigPath}\n`);
process.stdout.write(`devcluster ready at ${cluster.url} (data in ${cluster.dataDir})\n`);

let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`devcluster: ${signal} received, stopping\n`);
  cluster.stop().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
