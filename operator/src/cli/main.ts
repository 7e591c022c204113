/**
 * `npm start`: the operator. With no cluster configured (or with --dev) it starts the embedded
 * development cluster first, installs the CRDs, and writes a kubeconfig for kubectl.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { allCRDs } from '../api/index.ts';
import { DirectoryLockedError, startDevCluster } from '../devcluster/index.ts';
import type { DevCluster } from '../devcluster/index.ts';
import { startOperator } from '../operator.ts';
import { createLogger } from '../runtime/index.ts';
import { startWebhook } from '../webhook/index.ts';
import type { CertMode, RunningWebhook } from '../webhook/index.ts';
import { banner, loggerOptions, resolveLogFormat } from './banner.ts';
import { HELP, parseOptions, UsageError } from './options.ts';

let options;
try {
  options = parseOptions(process.argv.slice(2), process.env);
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n\n${HELP}`);
    process.exit(2);
  }
  throw err;
}
if (options.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const inPod = process.env.KUBERNETES_SERVICE_HOST !== undefined;
// JSON in a pod or when stdout is not a terminal; pino-pretty and a banner for a person.
const logFormat = resolveLogFormat(options.logFormat, { isTTY: process.stdout.isTTY === true, inPod });
const log = createLogger(loggerOptions(logFormat, options.logLevel, process.stdout.isTTY === true && !process.env.NO_COLOR));
const defaultKubeconfig = join(homedir(), '.kube', 'config');
const dev = options.dev || (options.kubeconfig === undefined && !inPod && !existsSync(defaultKubeconfig));

if (dev && options.webhookLocal) {
  process.stderr.write('occupier-operator: --webhook-local needs a real cluster (--kubeconfig): the embedded development cluster never calls admission webhooks\n');
  process.exit(2);
}

let cluster: DevCluster | undefined;
const kc = new KubeConfig();
if (dev) {
  try {
    cluster = await startDevCluster({ port: options.port, dataDir: options.dataDir, fresh: options.fresh, crds: allCRDs() });
  } catch (err) {
    // Expected refusals (data directory held by another process, port in use): one line, no stack.
    const expected = err instanceof DirectoryLockedError || (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string');
    if (!expected) throw err;
    process.stderr.write(`occupier-operator: cannot start the embedded development cluster: ${err.message}\n`);
    process.exit(1);
  }
  kc.loadFromFile(cluster.kubeconfigPath);
  log.info({ url: cluster.url, kubeconfig: cluster.kubeconfigPath }, 'embedded development cluster started');
} else if (options.kubeconfig !== undefined) {
  kc.loadFromFile(options.kubeconfig);
} else if (inPod) {
  kc.loadFromCluster();
} else {
  kc.loadFromDefault();
}

const operator = startOperator({
  kubeConfig: kc,
  logger: log,
  metricsPort: options.metricsPort,
  workers: options.workers,
  orders: { siteConcurrency: options.orderSiteConcurrency, itemConcurrency: options.orderItemConcurrency, runConcurrency: options.orderConcurrency },
  qps: options.qps,
  burst: options.burst,
  ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
  ...(options.leaderElect ? { leaderElection: { namespace: options.leaseNamespace } } : {}),
  // Driver credential Secrets that name no namespace live in the operator's own namespace.
  secretsNamespace: process.env.POD_NAMESPACE ?? options.leaseNamespace,
  ...(options.driverStateDir !== undefined
    ? { stateDir: resolve(options.driverStateDir) }
    : dev
      ? { stateDir: join(resolve(options.dataDir), 'drivers') }
      : {}),
});

// The simulated driver's persisted state belongs to one process: refuse to run beside another.
try {
  operator.drivers.backend.open();
} catch (err) {
  process.stderr.write(`occupier-operator: cannot use the simulated driver's state: ${(err as Error).message} (stop it, or give this one another --driver-state-dir)\n`);
  await operator.stop();
  process.exit(1);
}

// The admission webhook of orders (site access): local (url + own CA), mounted certificate
// (cert-manager), or own CA in a Secret (in a cluster); else none, and the banner says so.
// The namespace the configurations never match: the operator's own. A local operator has
// none: unless one is named (--lease-namespace), kube-system, so orders in `default` are checked.
const operatorNamespace = process.env.POD_NAMESPACE ?? (options.webhookLocal && options.leaseNamespace === 'default' ? 'kube-system' : options.leaseNamespace);
const certMode: CertMode | undefined = dev
  ? undefined
  : options.webhookLocal
    ? { kind: 'local' }
    : options.webhookCertDir !== undefined
      ? { kind: 'files', dir: options.webhookCertDir }
      : options.webhookSecret !== undefined
        ? { kind: 'secret', namespace: operatorNamespace, secretName: options.webhookSecret, serviceName: options.webhookService ?? options.webhookConfiguration }
        : undefined;
let webhook: RunningWebhook | undefined;
if (certMode) {
  try {
    webhook = await startWebhook({ kubeConfig: kc, logger: log, port: options.webhookPort, certs: certMode, operatorNamespace, configurationName: options.webhookConfiguration, certPolicy: { servingValidityMs: options.webhookCertDays * 86_400_000 }, events: operator.events });
  } catch (err) {
    process.stderr.write(`occupier-operator: cannot start the admission webhook: ${(err as Error).message}\n`);
    await operator.stop();
    process.exit(1);
  }
}
const webhookLine = dev
  ? 'site access: NOT enforced here — the embedded cluster has one all-powerful user and calls no admission webhook; the webhook enforces site access on real clusters only (npm start -- --kubeconfig <file> --webhook-local)'
  : webhook
    ? `admission webhook: serving on :${webhook.port}${webhook.url ? `, registered as ${webhook.url} (${options.webhookConfiguration}; removed on exit)` : ''}: site access is enforced`
    : 'admission webhook: none registered (not in a cluster, no --webhook-local): site access is NOT checked when orders are applied; add --webhook-local to enforce it';

/** A path as a person types it: relative under the current directory, else absolute. */
const asTyped = (path: string): string => {
  const rel = relative(process.cwd(), resolve(path));
  return rel === '' ? '.' : rel.startsWith('..') ? resolve(path) : rel;
};

// Announce readiness once caches are synced and controllers run (or a standby waits).
const announce = setInterval(() => {
  if (!operator.manager.isReady()) return;
  clearInterval(announce);
  const metricsPort = operator.manager.port ?? options.metricsPort;
  const kubeconfigPath = cluster?.kubeconfigPath ?? options.kubeconfig;
  if (logFormat === 'pretty') {
    const devCluster = cluster ? { url: cluster.url, dataDir: asTyped(resolve(options.dataDir)) } : undefined;
    const kubeconfig = kubeconfigPath === undefined ? undefined : asTyped(kubeconfigPath);
    // After the log lines already sent to the pretty printer's worker, not among them.
    log.flush(() => process.stdout.write(banner({ metricsPort, kubeconfig, devCluster, extra: [webhookLine] })));
  } else {
    // One JSON line, whatever --log-level says (scripts and tests wait for it).
    log.child({}, { level: 'info' }).info({ metricsPort, ...(kubeconfigPath !== undefined ? { kubeconfig: kubeconfigPath } : {}), ...(cluster ? { cluster: cluster.url } : {}), webhook: webhookLine }, 'occupier-operator ready');
  }
}, 100);

const reason = await operator.done;
clearInterval(announce);
await webhook?.stop();
await cluster?.stop();
log.info({ reason }, 'occupier-operator stopped');
process.exit(reason === 'lost-leadership' || reason === 'error' ? 1 : 0);
