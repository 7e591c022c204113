/**
 * Wires the operator: caches for every kind, the drivers, the controllers, and the manager
 * (metrics/health server, leader election, graceful shutdown). Knows the kinds; the runtime
 * below it does not.
 */
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { DriverRegistry, driverRefFor } from '../../drivers/src/registry.ts';
import type { SecretRef } from '../../drivers/src/registry.ts';
import { GROUP, KINDS, VERSION } from './api/index.ts';
import type { CustomerMoveResource, DecommissionResource, KindInfo, OccupierResource, SiteMoveResource, SiteResource } from './api/index.ts';
import { customerMovePlugin } from './controllers/customermove/plugin.ts';
import { decommissionPlugin } from './controllers/decommission/plugin.ts';
import { siteMovePlugin } from './controllers/sitemove/plugin.ts';
import { ORDER_FINALIZER, orderLifecycleChanged, orderReconciler } from './controllers/orders/engine.ts';
import { OrderMetrics } from './controllers/orders/metrics.ts';
import { configMapPlanStore } from './controllers/orders/planstore.ts';
import { configMapStatusDetails } from './controllers/occupier/details.ts';
import type { AnyOrder, OrderPlugin } from './controllers/orders/plugin.ts';
import { OrderRuns } from './controllers/orders/runs.ts';
import type { OrderSummary } from './planner/types.ts';
import { OCCUPIER_FINALIZER, occupierReconciler } from './controllers/occupier/controller.ts';
import { effectiveOf } from './controllers/occupier/orders.ts';
import { customerNames, RESELLER_INDEX, resellerChanged, resellerKeysOf } from './controllers/occupier/customers.ts';
import { CONTROLLER_NAME as OCCUPIER } from './controllers/occupier/controller.ts';
import { occupierChangedForSites, siteReconciler } from './controllers/site/controller.ts';
import { CONTROLLER_NAME as SITE } from './controllers/site/controller.ts';
import type { DriverResolver } from './controllers/execute.ts';
import {
  apiRateLimiter,
  Cache,
  closePool,
  Controller,
  createLogger,
  generationChanged,
  metadataOrSpecChangedBesidesFinalizer,
  EventRecorder,
  makeRateLimitedApiClient,
  Manager,
  OwnWrites,
  realClock,
  ResourceClient,
  RuntimeMetrics,
  watchOf,
} from './runtime/index.ts';
import type { Clock, Logger, ResourceKind, StopReason, WatchSource } from './runtime/index.ts';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /** Watch one namespace only (Sites are cluster-scoped and always watched). */
  namespace?: string;
  /** Leader election on a Lease in this namespace (absent: no election). */
  leaderElection?: { namespace: string; leaseName?: string; identity?: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  /** Port of /metrics, /healthz, /readyz (0 = random, null = none). */
  metricsPort?: number | null;
  workers?: number;
  /** State directory of the simulated driver backend (absent: memory only). */
  stateDir?: string;
  /** Namespace of driver credential Secrets that name none. */
  secretsNamespace?: string;
  logger?: Logger;
  clock?: Clock;
  handleSignals?: boolean;
  /**
   * Order runs (every kind): sites at once (default 5), driver calls in flight per step
   * (default 32), and orders starting and orders running at once, each (default 64; beside
   * the workers, `controllers/orders/runs.ts`). `runs: 'inline'` runs them inside the
   * reconcile instead, holding a worker throughout (the engine before issue 13; benchmarks
   * compare against it).
   */
  orders?: { siteConcurrency?: number; itemConcurrency?: number; runConcurrency?: number; runs?: 'detached' | 'inline' };
  /** Client-side API rate limit (default 200 qps, burst 400). */
  qps?: number;
  burst?: number;
}

export interface RunningOperator {
  manager: Manager;
  drivers: DriverRegistry;
  /** Its Event recorder (the admission webhook records certificate changes with it). */
  events: EventRecorder;
  /** Resolves when the operator stops (signal, stop(), lost leadership). */
  done: Promise<StopReason>;
  stop(): Promise<void>;
}

export const COMPONENT = 'occupier-operator';

const resourceOf = (k: KindInfo): ResourceKind => ({ group: GROUP, version: VERSION, plural: k.plural, kind: k.kind });
const [SITE_KIND, OCCUPIER_KIND, SITEMOVE_KIND, CUSTOMERMOVE_KIND, DECOMMISSION_KIND] = KINDS;

/** Orders are indexed by the occupier they act on: `namespace/occupier`. */
const byOccupier = (o: AnyOrder): string[] => [`${o.metadata?.namespace}/${o.spec?.occupierRef?.name}`];

function summary(kind: OrderSummary['kind'], o: AnyOrder): OrderSummary {
  const created = o.metadata.creationTimestamp as unknown;
  return {
    kind,
    name: o.metadata.name ?? '',
    occupier: o.spec.occupierRef.name,
    phase: o.status?.phase,
    startedAt: o.status?.startedAt,
    createdAt: created instanceof Date ? created.toISOString() : typeof created === 'string' ? created : undefined,
  };
}

/** Sites an occupier names, in spec or in status (so removals reach the right site). */
function sitesOf(o: OccupierResource): string[] {
  return [...new Set([...(o.spec?.sites ?? []).map((s) => s.site), ...(o.status?.sites ?? []).map((s) => s.site)])];
}

export function startOperator(opts: OperatorOptions): RunningOperator {
  const kc = opts.kubeConfig;
  const log = opts.logger ?? createLogger();
  const clock = opts.clock ?? realClock;
  const bucket = apiRateLimiter({ qps: opts.qps ?? 200, burst: opts.burst ?? 400 });
  const custom = makeRateLimitedApiClient(kc, CustomObjectsApi, { bucket });
  const core = makeRateLimitedApiClient(kc, CoreV1Api, { bucket });
  // Metrics of this operator instance (its own registry: two instances in one process, as in tests, never collide).
  const metrics = new RuntimeMetrics();
  const manager = new Manager({
    kubeConfig: kc,
    metrics,
    logger: log,
    rateLimiter: bucket,
    ...(opts.metricsPort !== undefined ? { port: opts.metricsPort } : {}),
    ...(opts.handleSignals !== undefined ? { handleSignals: opts.handleSignals } : {}),
    ...(opts.leaderElection ? { leaderElection: { leaseName: 'occupier-operator', ...opts.leaderElection } } : {}),
  });
  const secretsNamespace = opts.secretsNamespace ?? opts.leaderElection?.namespace ?? 'default';
  const drivers = new DriverRegistry({
    ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}),
    metricsRegistry: manager.registry,
    credentials: async (ref: SecretRef) => {
      const secret = await core.readNamespacedSecret({ name: ref.name, namespace: ref.namespace ?? secretsNamespace });
      return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    },
  });
  const resolver: DriverResolver = {
    resolve: async (site, capability) => {
      const ref = driverRefFor(site.spec, capability);
      return { driver: drivers.driverFor(ref), timeoutMs: (ref.timeoutSeconds ?? 30) * 1000 };
    },
  };
  const events = new EventRecorder({ core, component: COMPONENT, logger: log, clock });

  const cacheOpts = { kubeConfig: kc, logger: log, rateLimiter: bucket, clock };
  const sites = new Cache<SiteResource>({ ...cacheOpts, resource: resourceOf(SITE_KIND) });
  const occupiers = new Cache<OccupierResource>({
    ...cacheOpts,
    resource: resourceOf(OCCUPIER_KIND),
    ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
    // Customers by their current reseller (`namespace/reseller`): status.customers of resellers.
    indexers: { site: sitesOf, [RESELLER_INDEX]: resellerKeysOf },
  });
  const orderCache = <T extends AnyOrder>(k: KindInfo, extra: Record<string, (o: T) => string[]> = {}): Cache<T> =>
    new Cache<T>({ ...cacheOpts, resource: resourceOf(k), ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}), indexers: { occupier: byOccupier, ...extra } });
  const siteMoves = orderCache<SiteMoveResource>(SITEMOVE_KIND);
  // CustomerMoves also by their destination reseller (`namespace/toReseller`).
  const toReseller = (o: CustomerMoveResource): string[] => [`${o.metadata?.namespace}/${o.spec?.toReseller?.name}`];
  const customerMoves = orderCache<CustomerMoveResource>(CUSTOMERMOVE_KIND, { toReseller });
  const decommissions = orderCache<DecommissionResource>(DECOMMISSION_KIND);
  for (const c of [sites, occupiers, siteMoves, customerMoves, decommissions]) manager.addCache(c);
  const ordersFor = (occupierKey: string): OrderSummary[] => [
    ...siteMoves.byIndex('occupier', occupierKey).map((o) => summary('SiteMove', o)),
    ...customerMoves.byIndex('occupier', occupierKey).map((o) => summary('CustomerMove', o)),
    ...decommissions.byIndex('occupier', occupierKey).map((o) => summary('Decommission', o)),
  ];
  const orderMetrics = new OrderMetrics(manager.registry, () => [
    { kind: 'SiteMove', list: () => siteMoves.list() },
    { kind: 'CustomerMove', list: () => customerMoves.list() },
    { kind: 'Decommission', list: () => decommissions.list() },
  ], () => clock.now());

  const planStore = configMapPlanStore(core);
  const ordersOfOccupier = (key: string): AnyOrder[] => [...siteMoves.byIndex('occupier', key), ...customerMoves.byIndex('occupier', key), ...decommissions.byIndex('occupier', key)];
  /** An occupier as orders see it: its spec with the completed orders applied. */
  const effectiveOccupier = (o: OccupierResource): OccupierResource => ({ ...o, spec: effectiveOf(o.spec, ordersOfOccupier(`${o.metadata.namespace}/${o.metadata.name}`), (n) => sites.get(n)).spec });
  const common = { logger: log, metrics: manager.metrics, clock, workers: opts.workers ?? 4 };
  const siteClient = new ResourceClient<SiteResource>(custom, resourceOf(SITE_KIND), { fieldManager: COMPONENT });
  const occupierClient = new ResourceClient<OccupierResource>(custom, resourceOf(OCCUPIER_KIND), { fieldManager: COMPONENT });

  manager.addController(
    new Controller<SiteResource>({
      ...common,
      name: SITE,
      primary: sites,
      // Only what a Site's status shows of an occupier (there or not, its active spaces) re-queues it.
      watches: [watchOf(occupiers, sitesOf, occupierChangedForSites)],
      reconcile: siteReconciler({ client: siteClient, occupiersAt: (s) => occupiers.byIndex('site', s), drivers: resolver, events, clock, ...(drivers.metrics ? { driverMetrics: drivers.metrics } : {}) }),
    }),
  );
  manager.addController(
    new Controller<OccupierResource>({
      ...common,
      name: OCCUPIER,
      primary: occupiers,
      // Its own writes (status, its finalizer) cost it no pass.
      predicates: [metadataOrSpecChangedBesidesFinalizer(OCCUPIER_FINALIZER)],
      watches: [
        // A Site spec change (new pools, catalog) re-plans every occupier there; its status does not.
        watchOf(sites, (s) => occupiers.byIndex('site', s.metadata?.name ?? '').map((o) => `${o.metadata.namespace}/${o.metadata.name}`), generationChanged),
        // Its phase, active order and the effects of completed orders come from its orders.
        ...[siteMoves, customerMoves, decommissions].map((c) => watchOf(c as Cache<AnyOrder>, byOccupier, orderLifecycleChanged)),
        // status.customers: a customer that moves re-queues its old and its new reseller.
        watchOf(occupiers, resellerKeysOf, resellerChanged),
      ],
      reconcile: occupierReconciler({
        client: occupierClient,
        sites,
        orders: ordersOfOccupier,
        customersOf: (key) => customerNames(occupiers.byIndex(RESELLER_INDEX, key)),
        ownWrites: OwnWrites.following(occupiers),
        planStore,
        details: configMapStatusDetails(core),
        drivers: resolver,
        events,
        clock,
        ...(drivers.metrics ? { driverMetrics: drivers.metrics } : {}),
      }),
    }),
  );

  /** Starts and runs of every order kind, beside the workers (stopped with the manager). */
  const runConcurrency = opts.orders?.runConcurrency ?? 64;
  const orderRuns = opts.orders?.runs === 'inline' ? undefined : new OrderRuns({ concurrency: { start: runConcurrency, run: runConcurrency } });
  if (orderRuns) manager.addBackground(orderRuns);

  /** One controller per order kind, all on the one order engine. */
  const addOrderController = <R extends AnyOrder, G>(kind: KindInfo, cache: Cache<R>, plugin: OrderPlugin<R, G>, extraWatches: WatchSource[] = []): void => {
    const own = (occupierKey: string): string[] => cache.byIndex('occupier', occupierKey).map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    let controller: Controller<R> | undefined;
    manager.addController(
      (controller = new Controller<R>({
        ...common,
        name: plugin.kind.toLowerCase(),
        primary: cache,
        // Detached, a reconcile only launches a start or a run; inline runs wait on drivers, not on CPU: more of them at once.
        workers: orderRuns ? common.workers : Math.max(common.workers, 16),
        // Inline runs are long (bounded steps, persisted as they go); a restart resumes them.
        reconcileTimeoutMs: 10 * 60_000,
        // Spec, annotations (approve, retry) and deletion; never the controller's own writes (status, its finalizer).
        predicates: [metadataOrSpecChangedBesidesFinalizer(ORDER_FINALIZER)],
        watches: [
          // The occupier's phase and the other orders decide prerequisites: re-check on their change.
          watchOf(occupiers, (o) => own(`${o.metadata.namespace}/${o.metadata.name}`)),
          ...[siteMoves, customerMoves, decommissions].map((c) =>
            watchOf(c as Cache<AnyOrder>, (o) => own(byOccupier(o)[0] ?? '').filter((k) => c !== (cache as unknown) || k !== `${o.metadata.namespace}/${o.metadata.name}`), orderLifecycleChanged),
          ),
          ...extraWatches,
        ],
        reconcile: orderReconciler<R, G>({
          plugin,
          client: new ResourceClient<R>(custom, resourceOf(kind), { fieldManager: COMPONENT }),
          occupiers,
          effective: effectiveOccupier,
          sites,
          ordersFor,
          drivers: resolver,
          orderMetrics,
          events,
          clock,
          planStore,
          ownWrites: OwnWrites.following(cache),
          ...(opts.orders?.siteConcurrency !== undefined ? { siteConcurrency: opts.orders.siteConcurrency } : {}),
          ...(opts.orders?.itemConcurrency !== undefined ? { itemConcurrency: opts.orders.itemConcurrency } : {}),
          ...(drivers.metrics ? { driverMetrics: drivers.metrics } : {}),
          ...(orderRuns ? { runs: { tracker: orderRuns, enqueue: (key: string) => controller?.enqueue(key) } } : {}),
        }),
      })),
    );
  };
  addOrderController(SITEMOVE_KIND, siteMoves, siteMovePlugin());
  addOrderController(CUSTOMERMOVE_KIND, customerMoves, customerMovePlugin({ occupiers, effective: effectiveOccupier }), [
    // A move blocked on its destination reseller (services, access levels, location) re-checks when that reseller changes.
    watchOf(occupiers, (o) => customerMoves.byIndex('toReseller', `${o.metadata.namespace}/${o.metadata.name}`).map((m) => `${m.metadata.namespace}/${m.metadata.name}`), (a, b) => generationChanged(a, b) || a.status?.phase !== b.status?.phase),
  ]);
  addOrderController(DECOMMISSION_KIND, decommissions, decommissionPlugin);

  const done = manager.run().finally(async () => {
    await drivers.close();
    await closePool(kc);
  });
  return { manager, drivers, events, done, stop: () => manager.stop() };
}
