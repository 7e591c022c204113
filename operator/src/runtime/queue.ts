/**
 * A rate-limited, delaying work queue of keys (client-go `workqueue` semantics):
 * - a key waiting in the queue is stored once (dedup);
 * - a key being processed is never handed to a second worker; re-added meanwhile, it is
 *   marked dirty and queued again when `done(key)` is called;
 * - `addAfter` keeps one wake-up per key, and the earlier of two wins;
 * - `addRateLimited` delays by the rate limiter (per-item backoff ⊕ token bucket);
 * - `shutdown()` stops handing out work; `drain()` waits for in-flight items.
 */
import { realClock, type Clock } from './clock.ts';
import type { QueueMetrics, RuntimeMetrics } from './metrics.ts';
import { ControllerRateLimiter, type RateLimiter } from './ratelimit.ts';

export interface WorkQueueOptions {
  name: string;
  clock?: Clock;
  rateLimiter?: RateLimiter;
  metrics?: RuntimeMetrics;
}

type Getter = (key: string | undefined) => void;

export class WorkQueue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly metrics: QueueMetrics | undefined;
  private queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Map<string, number>();
  private readonly addedAt = new Map<string, number>();
  private readonly waiting = new Map<string, { readyAt: number; cancel: () => void }>();
  private getters: Getter[] = [];
  private drainWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(opts: WorkQueueOptions) {
    this.name = opts.name;
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? new ControllerRateLimiter({ clock: this.clock });
    this.metrics = opts.metrics?.queueMetrics({
      name: this.name,
      unfinishedWorkSeconds: () => this.unfinishedWorkSeconds(),
      longestRunningProcessorSeconds: () => this.longestRunningProcessorSeconds(),
    });
  }

  /** Queue `key` now (no-op if it is already queued or after shutdown). */
  add(key: string): void {
    if (this.stopped) return;
    this.metrics?.add();
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    this.addedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Queue `key` after `delayMs`; if a wake-up is already pending for it, the earlier wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const existing = this.waiting.get(key);
    if (existing && existing.readyAt <= readyAt) return;
    existing?.cancel();
    const cancel = this.clock.setTimer(() => {
      this.waiting.delete(key);
      this.add(key);
    }, delayMs);
    this.waiting.set(key, { readyAt, cancel });
  }

  /** Queue `key` after the rate limiter's delay (one more failure for this key). */
  addRateLimited(key: string): void {
    if (this.stopped) return;
    this.metrics?.retry();
    this.addAfter(key, this.limiter.when(key));
  }

  /** Reset the per-item backoff of `key` (call on success). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.retries(key);
  }

  /** When a delayed add of `key` is due (epoch ms), if one is pending. */
  scheduledAt(key: string): number | undefined {
    return this.waiting.get(key)?.readyAt;
  }

  /** Next key to process, or `undefined` once the queue is shut down. Call `done(key)` after. */
  get(): Promise<string | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    const key = this.pop();
    if (key !== undefined) return Promise.resolve(this.startProcessing(key));
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Mark `key` processed; if it was re-added meanwhile it is queued again. */
  done(key: string): void {
    const started = this.processing.get(key);
    if (started === undefined) return;
    this.processing.delete(key);
    this.metrics?.workDuration((this.clock.now() - started) / 1000);
    if (this.dirty.has(key) && !this.stopped) this.push(key);
    if (this.processing.size === 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Keys waiting to be handed out. */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys currently being processed. */
  inFlight(): number {
    return this.processing.size;
  }

  isShutdown(): boolean {
    return this.stopped;
  }

  /** Stop handing out work: pending `get()`s resolve `undefined`, delayed adds are dropped. */
  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of this.waiting.values()) w.cancel();
    this.waiting.clear();
    const getters = this.getters;
    this.getters = [];
    for (const g of getters) g(undefined);
  }

  /** Shut down and wait until in-flight items are `done` (or `timeoutMs` passes); true if drained. */
  async shutdownWithDrain(timeoutMs = Infinity): Promise<boolean> {
    this.shutdown();
    if (this.processing.size === 0) return true;
    return new Promise<boolean>((resolve) => {
      let cancel: (() => void) | undefined;
      const onDrained = (): void => {
        cancel?.();
        resolve(true);
      };
      this.drainWaiters.push(onDrained);
      if (Number.isFinite(timeoutMs)) {
        cancel = this.clock.setTimer(() => {
          this.drainWaiters = this.drainWaiters.filter((w) => w !== onDrained);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  private push(key: string): void {
    const getter = this.getters.shift();
    if (getter) {
      getter(this.startProcessing(key));
      return;
    }
    this.queue.push(key);
    this.metrics?.depth(this.len());
  }

  private pop(): string | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head++];
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.metrics?.depth(this.len());
    return key;
  }

  private startProcessing(key: string): string {
    const now = this.clock.now();
    const added = this.addedAt.get(key);
    if (added !== undefined) this.metrics?.queueDuration((now - added) / 1000);
    this.addedAt.delete(key);
    this.dirty.delete(key);
    this.processing.set(key, now);
    return key;
  }

  private unfinishedWorkSeconds(): number {
    const now = this.clock.now();
    let total = 0;
    for (const started of this.processing.values()) total += now - started;
    return total / 1000;
  }

  private longestRunningProcessorSeconds(): number {
    const now = this.clock.now();
    let longest = 0;
    for (const started of this.processing.values()) longest = Math.max(longest, now - started);
    return longest / 1000;
  }
}
