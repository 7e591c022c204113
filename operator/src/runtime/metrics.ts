/**
 * Runtime metrics on a private prom-client Registry, with controller-runtime's names under the
 * `occupier_operator_` prefix. Product code registers its own metrics on `registry` too.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const RECONCILE_RESULTS = ['success', 'error', 'requeue', 'requeue_after', 'terminal_error'] as const;
export type ReconcileResultLabel = (typeof RECONCILE_RESULTS)[number];

const PREFIX = 'occupier_operator_';

/** What a work queue exposes for the scrape-time gauges. */
export interface QueueStats {
  readonly name: string;
  /** Sum of seconds in-flight items have been processing. */
  unfinishedWorkSeconds(): number;
  /** Seconds the longest in-flight item has been processing. */
  longestRunningProcessorSeconds(): number;
}

/** Hooks a work queue calls; all times in seconds. */
export interface QueueMetrics {
  depth(n: number): void;
  add(): void;
  retry(): void;
  queueDuration(seconds: number): void;
  workDuration(seconds: number): void;
}

export class RuntimeMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly workqueueDepth: Gauge<'name'>;
  readonly workqueueAdds: Counter<'name'>;
  readonly workqueueQueueDuration: Histogram<'name'>;
  readonly workqueueWorkDuration: Histogram<'name'>;
  readonly workqueueUnfinished: Gauge<'name'>;
  readonly workqueueLongest: Gauge<'name'>;
  readonly workqueueRetries: Counter<'name'>;
  readonly leaderStatus: Gauge<'name'>;
  private readonly queues = new Map<string, QueueStats>();

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const queues = this.queues;
    const registers = [registry];
    this.reconcileTotal = new Counter({ name: `${PREFIX}reconcile_total`, help: 'Total number of reconciliations per controller', labelNames: ['controller', 'result'], registers });
    this.reconcileErrors = new Counter({ name: `${PREFIX}reconcile_errors_total`, help: 'Total number of reconciliation errors per controller', labelNames: ['controller'], registers });
    this.reconcileTime = new Histogram({
      name: `${PREFIX}reconcile_time_seconds`,
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60],
      registers,
    });
    this.workqueueDepth = new Gauge({ name: `${PREFIX}workqueue_depth`, help: 'Current depth of workqueue', labelNames: ['name'], registers });
    this.workqueueAdds = new Counter({ name: `${PREFIX}workqueue_adds_total`, help: 'Total number of adds handled by workqueue', labelNames: ['name'], registers });
    const queueBuckets = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];
    this.workqueueQueueDuration = new Histogram({ name: `${PREFIX}workqueue_queue_duration_seconds`, help: 'How long in seconds an item stays in workqueue before being requested', labelNames: ['name'], buckets: queueBuckets, registers });
    this.workqueueWorkDuration = new Histogram({ name: `${PREFIX}workqueue_work_duration_seconds`, help: 'How long in seconds processing an item from workqueue takes', labelNames: ['name'], buckets: queueBuckets, registers });
    this.workqueueUnfinished = new Gauge({
      name: `${PREFIX}workqueue_unfinished_work_seconds`,
      help: 'How many seconds of work has been done that is in progress and has not been observed by work_duration',
      labelNames: ['name'],
      registers,
      collect() {
        for (const q of queues.values()) this.set({ name: q.name }, q.unfinishedWorkSeconds());
      },
    });
    this.workqueueLongest = new Gauge({
      name: `${PREFIX}workqueue_longest_running_processor_seconds`,
      help: 'How many seconds has the longest running processor for workqueue been running',
      labelNames: ['name'],
      registers,
      collect() {
        for (const q of queues.values()) this.set({ name: q.name }, q.longestRunningProcessorSeconds());
      },
    });
    this.workqueueRetries = new Counter({ name: `${PREFIX}workqueue_retries_total`, help: 'Total number of retries handled by workqueue', labelNames: ['name'], registers });
    this.leaderStatus = new Gauge({ name: `${PREFIX}leader_election_master_status`, help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master', labelNames: ['name'], registers });
  }

  /** Initialise every label value of a controller (and its queue) to zero. */
  registerController(controller: string): void {
    for (const result of RECONCILE_RESULTS) this.reconcileTotal.inc({ controller, result }, 0);
    this.reconcileErrors.inc({ controller }, 0);
    this.reconcileTime.zero({ controller });
    this.registerQueueName(controller);
  }

  private registerQueueName(name: string): void {
    this.workqueueDepth.set({ name }, 0);
    this.workqueueAdds.inc({ name }, 0);
    this.workqueueQueueDuration.zero({ name });
    this.workqueueWorkDuration.zero({ name });
    this.workqueueUnfinished.set({ name }, 0);
    this.workqueueLongest.set({ name }, 0);
    this.workqueueRetries.inc({ name }, 0);
  }

  /** Hooks for one named work queue; `stats` feeds the scrape-time gauges. */
  queueMetrics(stats: QueueStats): QueueMetrics {
    const name = stats.name;
    this.registerQueueName(name);
    this.queues.set(name, stats);
    return {
      depth: (n) => this.workqueueDepth.set({ name }, n),
      add: () => this.workqueueAdds.inc({ name }),
      retry: () => this.workqueueRetries.inc({ name }),
      queueDuration: (s) => this.workqueueQueueDuration.observe({ name }, s),
      workDuration: (s) => this.workqueueWorkDuration.observe({ name }, s),
    };
  }

  /** Initialise the leader gauge for a lease to 0 (backup). */
  registerLeaderElection(name: string): void {
    this.leaderStatus.set({ name }, 0);
  }

  setLeader(name: string, leading: boolean): void {
    this.leaderStatus.set({ name }, leading ? 1 : 0);
  }
}

let shared: RuntimeMetrics | undefined;

/**
 * The process-wide runtime metrics (its own Registry, not prom-client's global one), used by
 * controllers and managers that are not given one, so they meet on the same /metrics.
 */
export function defaultMetrics(): RuntimeMetrics {
  shared ??= new RuntimeMetrics();
  return shared;
}
