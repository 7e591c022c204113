/**
 * Leader election on a coordination.k8s.io/v1 Lease, following client-go's leaderelection:
 * - a candidate takes the lease when it is free (no holder) or when the holder has not renewed
 *   it for `leaseDuration` of *local* time since this candidate last saw it change (so clock
 *   skew between machines does not matter);
 * - the leader renews every `retryPeriod`; if it cannot renew for `renewDeadline`, or sees
 *   another holder, it stops leading;
 * - `release()` clears the holder so a standby takes over at its next retry.
 * Writes are PUTs carrying the resourceVersion read, so two candidates can never both win.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { realClock, type Clock } from './clock.ts';
import { errorMessage, isConflict, isNotFound } from './errors.ts';
import { silentLogger } from './logging.ts';
import type { RuntimeMetrics } from './metrics.ts';

export interface LeaderElectionOptions {
  coordination: CoordinationV1Api;
  namespace: string;
  name: string;
  /** Default: hostname_pid_random. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  onNewLeader?: (identity: string | undefined) => void;
  logger?: Logger;
  metrics?: RuntimeMetrics;
  clock?: Clock;
}

export function defaultIdentity(): string {
  return `${hostname()}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export class LeaderElector {
  readonly identity: string;
  private readonly opts: LeaderElectionOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly stopper = new AbortController();
  private leading = false;
  private observedRv: string | undefined;
  private observedTime = 0;
  private observedHolder: string | undefined;
  private lease: V1Lease | undefined;
  private inflight: Promise<boolean> | undefined;
  private expiresAt = 0;

  constructor(opts: LeaderElectionOptions) {
    this.opts = opts;
    this.identity = opts.identity ?? defaultIdentity();
    this.clock = opts.clock ?? realClock;
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs)) {
      throw new RangeError('leader election needs leaseDuration > renewDeadline > retryPeriod');
    }
    this.log = (opts.logger ?? silentLogger()).child({ lease: `${opts.namespace}/${opts.name}`, identity: this.identity });
    opts.metrics?.registerLeaderElection(opts.name);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaign until leading, then renew until the lease is lost or `stop()`/`release()` is called.
   * Resolves when this candidate is no longer leading (or was stopped before it led).
   */
  async run(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      if (await this.attempt()) break;
      // Retry every retryPeriod (jittered), but wake up right when the observed lease expires.
      const retry = this.retryPeriodMs * (1 + Math.random() * 0.2);
      const untilExpiry = this.expiresAt - this.clock.now();
      await this.sleep(untilExpiry > 0 ? Math.min(retry, untilExpiry + 5) : retry);
    }
    if (signal.aborted) return;
    this.setLeading(true);
    let lastRenew = this.clock.now();
    while (!signal.aborted && this.leading) {
      await this.sleep(this.retryPeriodMs);
      if (signal.aborted) break;
      const left = this.renewDeadlineMs - (this.clock.now() - lastRenew);
      const ok = await Promise.race([this.attempt(), this.clock.sleep(Math.max(0, left)).then(() => false)]);
      if (ok) {
        lastRenew = this.clock.now();
      } else if (this.observedHolder !== undefined && this.observedHolder !== this.identity) {
        this.log.warn({ holder: this.observedHolder }, 'lease taken by another candidate');
        break;
      } else if (this.clock.now() - lastRenew >= this.renewDeadlineMs) {
        this.log.error({ renewDeadlineMs: this.renewDeadlineMs }, 'failed to renew lease within the renew deadline');
        break;
      }
    }
    if (this.leading && !signal.aborted) this.setLeading(false);
  }

  /** Stop campaigning/renewing without releasing (the lease then expires). */
  stop(): void {
    this.stopper.abort();
    this.setLeading(false);
  }

  /** Stop, and if leading, give the lease up at once so a standby can take it. */
  async release(): Promise<void> {
    const wasLeading = this.leading;
    this.stopper.abort();
    await this.inflight;
    if (!wasLeading) {
      this.setLeading(false);
      return;
    }
    try {
      const current = await this.opts.coordination.readNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace });
      if (current.spec?.holderIdentity === this.identity) {
        const now = new V1MicroTime(this.clock.now());
        await this.opts.coordination.replaceNamespacedLease({
          name: this.opts.name,
          namespace: this.opts.namespace,
          body: {
            ...current,
            spec: { leaseDurationSeconds: 1, renewTime: now, acquireTime: now, leaseTransitions: current.spec.leaseTransitions ?? 0 },
          },
        });
        this.log.info('lease released');
      }
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'could not release lease');
    } finally {
      this.setLeading(false);
    }
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    this.opts.metrics?.setLeader(this.opts.name, leading);
    this.log.info(leading ? 'started leading' : 'stopped leading');
    try {
      if (leading) this.opts.onStartedLeading?.();
      else this.opts.onStoppedLeading?.();
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'leader election callback threw');
    }
  }

  private sleep(ms: number): Promise<void> {
    return this.clock.sleep(ms, this.stopper.signal).catch(() => undefined);
  }

  /** One try to acquire or renew; true if we hold the lease afterwards. */
  private attempt(): Promise<boolean> {
    const p = this.tryAcquireOrRenew();
    this.inflight = p;
    return p;
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { coordination, namespace, name } = this.opts;
    const now = this.clock.now();
    const leaseDurationSeconds = Math.max(1, Math.round(this.leaseDurationMs / 1000));
    try {
      let lease: V1Lease;
      try {
        lease = await coordination.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const t = new V1MicroTime(now);
        this.lease = await coordination.createNamespacedLease({
          namespace,
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: { holderIdentity: this.identity, leaseDurationSeconds, acquireTime: t, renewTime: t, leaseTransitions: 0 } },
        });
        this.observe(this.lease, now);
        return true;
      }
      this.observe(lease, now);
      const holder = lease.spec?.holderIdentity || undefined;
      const held = lease.spec?.leaseDurationSeconds ?? leaseDurationSeconds;
      this.expiresAt = holder !== undefined && holder !== this.identity ? this.observedTime + held * 1000 : 0;
      if (holder !== undefined && holder !== this.identity && this.observedTime + held * 1000 > now) return false;
      if (this.stopper.signal.aborted) return false;
      const t = new V1MicroTime(now);
      const mine = holder === this.identity;
      const transitions = lease.spec?.leaseTransitions ?? 0;
      this.lease = await coordination.replaceNamespacedLease({
        name,
        namespace,
        body: {
          ...lease,
          spec: {
            holderIdentity: this.identity,
            leaseDurationSeconds,
            renewTime: t,
            acquireTime: mine && lease.spec?.acquireTime ? lease.spec.acquireTime : t,
            leaseTransitions: mine ? transitions : transitions + 1,
          },
        },
      });
      this.observe(this.lease, now);
      return true;
    } catch (err) {
      if (!isConflict(err)) this.log.warn({ err: errorMessage(err) }, 'lease acquire/renew failed');
      return false;
    }
  }

  private observe(lease: V1Lease, now: number): void {
    const rv = lease.metadata?.resourceVersion;
    if (rv !== this.observedRv) {
      this.observedRv = rv;
      this.observedTime = now;
    }
    const holder = lease.spec?.holderIdentity || undefined;
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      this.opts.onNewLeader?.(holder);
    }
  }
}
