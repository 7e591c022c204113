/**
 * The manager ties the runtime together:
 *   HTTP server (/metrics, /healthz, /readyz) → start caches → wait for sync →
 *   (optional) leader election → run controllers only while leading.
 * SIGTERM/SIGINT (or `stop()`): stop taking work, drain in-flight reconciles (bounded),
 * release the lease, stop caches, close the server. Losing the lease stops the controllers
 * and ends `run()` with reason "lost-leadership" (the process should exit and restart as a
 * standby, as controller-runtime does).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Cache } from './cache.ts';
import type { Controller } from './controller.ts';
import { errorMessage } from './errors.ts';
import { LeaderElector } from './leader.ts';
import { createLogger } from './logging.ts';
import { defaultMetrics, type RuntimeMetrics } from './metrics.ts';
import { makeRateLimitedApiClient, type TokenBucket } from './ratelimit.ts';

export interface LeaderElectionConfig {
  namespace: string;
  leaseName: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  /** Leader election settings; omit to run controllers without it. */
  leaderElection?: LeaderElectionConfig;
  /** HTTP port for /metrics, /healthz, /readyz (default 8080, 0 = random, null = no server). */
  port?: number | null;
  host?: string;
  /** Bound on draining in-flight reconciles at shutdown (default 30 s). */
  shutdownTimeoutMs?: number;
  /** Install SIGTERM/SIGINT handlers (default true). */
  handleSignals?: boolean;
  logger?: Logger;
  /** Default: the process-wide `defaultMetrics()`. */
  metrics?: RuntimeMetrics;
  /** Shared client-side rate limit (used for the Lease client). */
  rateLimiter?: TokenBucket;
}

export type StopReason = 'signal' | 'stopped' | 'lost-leadership' | 'error';

/** What the manager needs of a cache (any `Cache<T>`). */
export type ManagedCache = Pick<Cache, 'start' | 'stop' | 'waitForSync'>;
/** What the manager needs of a controller (any `Controller<T>`). */
export type ManagedController = Pick<Controller, 'start' | 'stop' | 'queue'>;
/**
 * Work a controller launched to run beside its workers: stopped with the controllers (wait
 * for what is in flight at most `timeoutMs`, then abort it; true if it all ended), and
 * counted as not idle while any is in flight.
 */
export interface ManagedBackground {
  stop(timeoutMs: number): Promise<boolean>;
  size(): number;
}
type AnyCache = ManagedCache;
type AnyController = ManagedController;

export class Manager {
  readonly metrics: RuntimeMetrics;
  readonly log: Logger;
  private readonly opts: ManagerOptions;
  private readonly caches: AnyCache[] = [];
  private readonly controllers: AnyController[] = [];
  private readonly background: ManagedBackground[] = [];
  private server: Server | undefined;
  private elector: LeaderElector | undefined;
  private synced = false;
  private controllersRunning = false;
  private stopping: Promise<void> | undefined;
  private resolveRun: ((reason: StopReason) => void) | undefined;
  private readonly signalHandlers: Array<[NodeJS.Signals, () => void]> = [];
  private readonly rejectionHandler = (reason: unknown): void => {
    this.log.error({ err: errorMessage(reason) }, 'unhandled promise rejection (contained)');
  };

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.metrics = opts.metrics ?? defaultMetrics();
    this.log = opts.logger ?? createLogger();
  }

  /** The registry served on /metrics: add product metrics to it. */
  get registry(): RuntimeMetrics['registry'] {
    return this.metrics.registry;
  }

  /** Port the HTTP server listens on (after `run()` started it). */
  get port(): number | undefined {
    const addr = this.server?.address();
    return addr && typeof addr === 'object' ? (addr as AddressInfo).port : undefined;
  }

  addCache(cache: AnyCache): void {
    this.caches.push(cache);
  }

  addController(controller: AnyController): void {
    this.controllers.push(controller);
  }

  addBackground(work: ManagedBackground): void {
    this.background.push(work);
  }

  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : this.controllersRunning;
  }

  /** No controller has work queued or in flight (delayed re-queues do not count): the startup resync has settled. */
  idle(): boolean {
    return this.controllersRunning && this.controllers.every((c) => c.queue.len() === 0 && c.queue.inFlight() === 0) && this.background.every((b) => b.size() === 0);
  }

  /** Ready when caches are synced and, if leading (or without election), controllers run. */
  isReady(): boolean {
    if (!this.synced || this.stopping) return false;
    if (!this.elector) return this.controllersRunning;
    return this.elector.isLeader() ? this.controllersRunning : true;
  }

  /** Run until a signal, `stop()`, or loss of leadership; resolves with the reason. */
  async run(): Promise<StopReason> {
    const done = new Promise<StopReason>((resolve) => (this.resolveRun = resolve));
    process.on('unhandledRejection', this.rejectionHandler);
    if (this.opts.handleSignals !== false) {
      for (const sig of ['SIGTERM', 'SIGINT'] as const) {
        const h = (): void => {
          this.log.info({ signal: sig }, 'signal received, shutting down');
          void this.shutdown('signal');
        };
        process.once(sig, h);
        this.signalHandlers.push([sig, h]);
      }
    }
    try {
      await this.startServer();
      for (const c of this.caches) c.start();
      await Promise.all(this.caches.map((c) => c.waitForSync()));
      this.synced = true;
      this.log.info({ caches: this.caches.length }, 'caches synced');
      if (this.opts.leaderElection) this.campaign(this.opts.leaderElection);
      else this.startControllers();
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'manager failed to start');
      void this.shutdown('error');
    }
    return done;
  }

  /** Graceful stop (as on SIGTERM). */
  stop(): Promise<void> {
    return this.shutdown('stopped');
  }

  private campaign(cfg: LeaderElectionConfig): void {
    const coordination = makeRateLimitedApiClient(this.opts.kubeConfig, CoordinationV1Api, this.opts.rateLimiter ? { bucket: this.opts.rateLimiter } : {});
    this.elector = new LeaderElector({
      coordination,
      namespace: cfg.namespace,
      name: cfg.leaseName,
      ...(cfg.identity !== undefined ? { identity: cfg.identity } : {}),
      ...(cfg.leaseDurationMs !== undefined ? { leaseDurationMs: cfg.leaseDurationMs } : {}),
      ...(cfg.renewDeadlineMs !== undefined ? { renewDeadlineMs: cfg.renewDeadlineMs } : {}),
      ...(cfg.retryPeriodMs !== undefined ? { retryPeriodMs: cfg.retryPeriodMs } : {}),
      logger: this.log,
      metrics: this.metrics,
      onStartedLeading: () => this.startControllers(),
      onStoppedLeading: () => {
        if (!this.stopping) void this.shutdown('lost-leadership');
      },
      onNewLeader: (identity) => this.log.info({ leader: identity ?? null }, 'observed leader'),
    });
    this.log.info({ identity: this.elector.identity, lease: `${cfg.namespace}/${cfg.leaseName}` }, 'campaigning for leadership');
    void this.elector.run();
  }

  private startControllers(): void {
    if (this.stopping) return;
    for (const c of this.controllers) c.start();
    this.controllersRunning = true;
  }

  private shutdown(reason: StopReason): Promise<void> {
    this.stopping ??= (async () => {
      const timeout = this.opts.shutdownTimeoutMs ?? 30_000;
      this.log.info({ reason }, 'stopping');
      const drained = await Promise.all([...this.controllers.map((c) => c.stop(timeout)), ...this.background.map((b) => b.stop(timeout))]);
      this.controllersRunning = false;
      if (drained.some((d) => !d)) this.log.warn('some reconciles were still running at shutdown');
      if (this.elector) {
        if (reason === 'lost-leadership') this.elector.stop();
        else await this.elector.release();
      }
      await Promise.all(this.caches.map((c) => c.stop()));
      await this.closeServer();
      for (const [sig, h] of this.signalHandlers) process.off(sig, h);
      process.off('unhandledRejection', this.rejectionHandler);
      this.log.info({ reason }, 'stopped');
      this.resolveRun?.(reason);
    })();
    return this.stopping;
  }

  private startServer(): Promise<void> {
    if (this.opts.port === null) return Promise.resolve();
    const server = createServer((req, res) => {
      const url = req.url?.split('?')[0];
      if (url === '/healthz' || url === '/livez') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } else if (url === '/readyz') {
        const ready = this.isReady();
        res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok' : 'not ready');
      } else if (url === '/metrics') {
        this.metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
          (err: unknown) => res.writeHead(500).end(errorMessage(err)),
        );
      } else {
        res.writeHead(404).end('not found');
      }
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      // Without a host: every interface, IPv6 and IPv4 where the host has both (as Go's ":8080").
      server.listen({ port: this.opts.port ?? 8080, ...(this.opts.host !== undefined ? { host: this.opts.host } : {}) }, () => {
        server.off('error', reject);
        this.log.info({ port: this.port }, 'http server listening');
        resolve();
      });
    });
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
