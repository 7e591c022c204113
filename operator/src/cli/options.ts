/** Command-line flags and environment variables of `occupier-operator` (pure: no I/O). */
import { parseArgs } from 'node:util';

export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface Options {
  help: boolean;
  /** Run against the embedded development cluster. */
  dev: boolean;
  kubeconfig: string | undefined;
  /** State directory of the embedded cluster (and, with --dev, of the simulated driver). */
  dataDir: string;
  /** State directory of the simulated driver's backend (default: <dataDir>/drivers with --dev, else memory). */
  driverStateDir: string | undefined;
  /** Port of the embedded cluster. */
  port: number;
  fresh: boolean;
  /** Watch one namespace only (default: all). */
  namespace: string | undefined;
  leaderElect: boolean;
  leaseNamespace: string;
  metricsPort: number;
  logLevel: string;
  /** json, pretty (pino-pretty), or auto: pretty on a terminal outside a pod. */
  logFormat: LogFormat;
  workers: number;
  /** Sites of one order worked on at once. */
  orderSiteConcurrency: number;
  /** Driver calls of one order step (one site) in flight at once: what the provisioning backends take. */
  orderItemConcurrency: number;
  /** Orders starting, and orders running, at once (each). */
  orderConcurrency: number;
  /** Client-side rate limit of requests to the API server. */
  qps: number;
  burst: number;
  /** Register the admission webhook with a loopback `url` and its own CA (envtest-style). */
  webhookLocal: boolean;
  /** Port of the webhook's HTTPS server (0 = random). */
  webhookPort: number;
  /** Directory of a mounted serving certificate (tls.crt, tls.key), e.g. cert-manager's. */
  webhookCertDir: string | undefined;
  /** Secret where the operator keeps its own webhook CA and certificate (in a cluster). */
  webhookSecret: string | undefined;
  /** Service the API server calls the webhook through (names in the certificate). */
  webhookService: string | undefined;
  /** Name of the webhook configurations (the chart's fullname). */
  webhookConfiguration: string;
  /** Lifetime in days of the serving certificate the operator makes (--webhook-secret). */
  webhookCertDays: number;
}

export const HELP = `occupier-operator — runs the lifecycle of occupiers (tenants) as Kubernetes resources

Usage: npm start -- [flags]        (or: node operator/src/cli/main.ts [flags])

With no kubeconfig (no --kubeconfig, no $KUBECONFIG, no ~/.kube/config, not in a pod) or with
--dev, it starts the embedded development cluster, installs crds/, writes
<data-dir>/kubeconfig for kubectl, and runs the operator with the simulated driver.

Flags (environment variable in brackets):
  --dev                     use the embedded development cluster even if a kubeconfig exists
  --kubeconfig PATH         kubeconfig of the cluster to run against          [KUBECONFIG]
  --data-dir DIR            state directory of the embedded cluster            [OCCUPIER_DATA_DIR] (.occupier)
  --port N                  port of the embedded cluster                       [OCCUPIER_DEV_PORT] (8443)
  --fresh                   start the embedded cluster empty
  --driver-state-dir DIR    persist the simulated driver's backend here        [OCCUPIER_DRIVER_STATE_DIR]
                            (default: <data-dir>/drivers with the embedded cluster, else memory)
  --namespace NS            watch one namespace only                           [OCCUPIER_NAMESPACE] (all)
  --leader-elect            run only while holding the Lease (default in a pod) [OCCUPIER_LEADER_ELECT]
  --no-leader-elect         run without leader election (default outside a pod)
  --lease-namespace NS      namespace of the leader-election Lease             [POD_NAMESPACE] (default)
  --metrics-port N          port of /metrics, /healthz, /readyz (0 = random)   [OCCUPIER_METRICS_PORT] (8080)
  --log-level LEVEL         trace, debug, info, warn, error                    [OCCUPIER_LOG_LEVEL] (info)
  --log-format FORMAT       json, pretty, or auto: pretty logs and a banner    [OCCUPIER_LOG_FORMAT] (auto)
                            on a terminal, JSON in a pod or when piped
  --workers N               concurrent reconciles per controller               [OCCUPIER_WORKERS] (4)
  --order-site-concurrency N   sites of one order worked on at once         [OCCUPIER_ORDER_SITE_CONCURRENCY] (5)
  --order-item-concurrency N   driver calls of one order step in flight     [OCCUPIER_ORDER_ITEM_CONCURRENCY] (32)
                            at once (per site): raise it as far as your provisioning backends take
  --order-concurrency N     orders starting, and orders running, at once      [OCCUPIER_ORDER_CONCURRENCY] (64)
                            (each; beside the --workers, which only launch them)
  --kube-api-qps N          client-side limit of API requests per second       [OCCUPIER_KUBE_API_QPS] (200)
  --kube-api-burst N        burst above that limit                             [OCCUPIER_KUBE_API_BURST] (400)
  --webhook-local           serve the admission webhook on loopback and register it with the cluster
                            (url + its own CA as caBundle, envtest-style; removed on exit), so site
                            access is enforced in local development as in production (every
                            namespace but kube-system, or but --lease-namespace when given)
  --webhook-port N          port of the webhook's HTTPS server (0 = random)   [WEBHOOK_PORT] (9443)
  --webhook-cert-dir DIR    serve the webhook with DIR/tls.crt, DIR/tls.key (e.g. cert-manager's),
                            re-read when they change                           [WEBHOOK_CERT_DIR]
  --webhook-secret NAME     serve the webhook with its own CA and certificate kept in this Secret
                            (renewed before expiry; caBundle patched)         [WEBHOOK_SECRET_NAME]
  --webhook-service NAME    Service the API server calls the webhook through [WEBHOOK_SERVICE_NAME]
  --webhook-configuration NAME  name of the webhook configurations         [WEBHOOK_CONFIGURATION_NAME]
                            (occupier-operator)
  --webhook-cert-days N     lifetime of the certificate made for --webhook-secret, renewed when a
                            third is left                                      [WEBHOOK_CERT_VALIDITY_DAYS] (90)
                            Without any of these, outside a cluster, no webhook is served or registered.
                            The embedded cluster never calls webhooks: site access is enforced on real
                            clusters only.
  -h, --help                this text
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'Usage' as const;
}

function int(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number ≥ ${min}, got "${value}"`);
  return n;
}

const isLogFormat = (v: string): v is LogFormat => (LOG_FORMATS as readonly string[]).includes(v);

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/** Parses argv (without node and script) and the environment. */
export function parseOptions(argv: string[], env: Record<string, string | undefined>): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowNegative: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        dev: { type: 'boolean' },
        kubeconfig: { type: 'string' },
        'data-dir': { type: 'string' },
        'driver-state-dir': { type: 'string' },
        port: { type: 'string' },
        fresh: { type: 'boolean' },
        namespace: { type: 'string' },
        'leader-elect': { type: 'boolean' },
        'lease-namespace': { type: 'string' },
        'metrics-port': { type: 'string' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        workers: { type: 'string' },
        'order-site-concurrency': { type: 'string' },
        'order-item-concurrency': { type: 'string' },
        'order-concurrency': { type: 'string' },
        'kube-api-qps': { type: 'string' },
        'kube-api-burst': { type: 'string' },
        'webhook-local': { type: 'boolean' },
        'webhook-port': { type: 'string' },
        'webhook-cert-dir': { type: 'string' },
        'webhook-secret': { type: 'string' },
        'webhook-service': { type: 'string' },
        'webhook-configuration': { type: 'string' },
        'webhook-cert-days': { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  const inPod = env.KUBERNETES_SERVICE_HOST !== undefined;
  const envLeader = env.OCCUPIER_LEADER_ELECT;
  const logLevel = v['log-level'] ?? env.OCCUPIER_LOG_LEVEL ?? 'info';
  if (!LEVELS.has(logLevel)) throw new UsageError(`--log-level must be one of ${[...LEVELS].join(', ')}, got "${logLevel}"`);
  const logFormat = v['log-format'] ?? env.OCCUPIER_LOG_FORMAT ?? 'auto';
  if (!isLogFormat(logFormat)) throw new UsageError(`--log-format must be one of ${LOG_FORMATS.join(', ')}, got "${logFormat}"`);
  return {
    help: v.help ?? false,
    dev: v.dev ?? false,
    kubeconfig: v.kubeconfig ?? env.KUBECONFIG,
    dataDir: v['data-dir'] ?? env.OCCUPIER_DATA_DIR ?? '.occupier',
    driverStateDir: v['driver-state-dir'] ?? env.OCCUPIER_DRIVER_STATE_DIR,
    port: int('port', v.port ?? env.OCCUPIER_DEV_PORT, 8443, 0),
    fresh: v.fresh ?? false,
    namespace: v.namespace ?? env.OCCUPIER_NAMESPACE,
    leaderElect: v['leader-elect'] ?? (envLeader !== undefined ? envLeader === 'true' : inPod),
    leaseNamespace: v['lease-namespace'] ?? env.POD_NAMESPACE ?? 'default',
    metricsPort: int('metrics-port', v['metrics-port'] ?? env.OCCUPIER_METRICS_PORT, 8080, 0),
    logLevel,
    logFormat,
    workers: int('workers', v.workers ?? env.OCCUPIER_WORKERS, 4, 1),
    orderSiteConcurrency: int('order-site-concurrency', v['order-site-concurrency'] ?? env.OCCUPIER_ORDER_SITE_CONCURRENCY, 5, 1),
    orderItemConcurrency: int('order-item-concurrency', v['order-item-concurrency'] ?? env.OCCUPIER_ORDER_ITEM_CONCURRENCY, 32, 1),
    orderConcurrency: int('order-concurrency', v['order-concurrency'] ?? env.OCCUPIER_ORDER_CONCURRENCY, 64, 1),
    qps: int('kube-api-qps', v['kube-api-qps'] ?? env.OCCUPIER_KUBE_API_QPS, 200, 1),
    burst: int('kube-api-burst', v['kube-api-burst'] ?? env.OCCUPIER_KUBE_API_BURST, 400, 1),
    webhookLocal: v['webhook-local'] ?? false,
    webhookPort: int('webhook-port', v['webhook-port'] ?? env.WEBHOOK_PORT, 9443, 0),
    webhookCertDir: v['webhook-cert-dir'] ?? env.WEBHOOK_CERT_DIR,
    webhookSecret: v['webhook-secret'] ?? env.WEBHOOK_SECRET_NAME,
    webhookService: v['webhook-service'] ?? env.WEBHOOK_SERVICE_NAME,
    webhookConfiguration: v['webhook-configuration'] ?? env.WEBHOOK_CONFIGURATION_NAME ?? 'occupier-operator',
    webhookCertDays: int('webhook-cert-days', v['webhook-cert-days'] ?? env.WEBHOOK_CERT_VALIDITY_DAYS, 90, 1),
  };
}
