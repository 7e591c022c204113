/**
 * Rate limiters: a token bucket (overall QPS/burst) and per-item exponential backoff,
 * combined the way client-go's DefaultControllerRateLimiter does (the max of both), plus a
 * client-node middleware that makes every API request wait for a token.
 */
import type {
  KubeConfig} from '@kubernetes/client-node';
import {
  createConfiguration,
  ServerConfiguration,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
  Observable,
} from '@kubernetes/client-node';
import { realClock, type Clock } from './clock.ts';
import { UndiciHttpLibrary } from './http.ts';
import { pooledKubeConfig } from './pool.ts';

export interface TokenBucketOptions {
  qps: number;
  burst: number;
  clock?: Clock;
}

/** A token bucket that hands out reservations: tokens may go negative, the caller waits the debt. */
export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(opts: TokenBucketOptions) {
    if (!(opts.qps > 0) || !(opts.burst >= 1)) throw new RangeError('TokenBucket needs qps > 0 and burst >= 1');
    this.qps = opts.qps;
    this.burst = opts.burst;
    this.clock = opts.clock ?? realClock;
    this.tokens = opts.burst;
    this.last = this.clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.qps);
    this.last = now;
  }

  /** Reserve one token; returns how many ms the caller must wait before using it (0 = now). */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  /** Take a token only if one is available now. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Wait until a token is available (reserved in arrival order). */
  async take(signal?: AbortSignal): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await this.clock.sleep(wait, signal);
  }
}

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
}

/** Per-item exponential backoff: base·2^failures, capped (client-go ItemExponentialFailureRateLimiter). */
export class ItemExponentialBackoff {
  readonly baseMs: number;
  readonly maxMs: number;
  private readonly failures = new Map<string, number>();

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 5;
    this.maxMs = opts.maxMs ?? 1_000_000;
  }

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = this.baseMs * 2 ** n;
    return Number.isFinite(delay) ? Math.min(delay, this.maxMs) : this.maxMs;
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}

/** What a work queue asks when an item must be retried. */
export interface RateLimiter {
  /** Delay in ms before `key` may be processed again (records one more failure). */
  when(key: string): number;
  retries(key: string): number;
  forget(key: string): void;
}

export interface ControllerRateLimiterOptions {
  baseMs?: number;
  maxMs?: number;
  qps?: number;
  burst?: number;
  clock?: Clock;
}

/**
 * client-go's default controller rate limiter: the max of per-item exponential backoff
 * (5 ms doubling to 1000 s) and an overall token bucket (10 qps, burst 100).
 */
export class ControllerRateLimiter implements RateLimiter {
  private readonly backoff: ItemExponentialBackoff;
  private readonly bucket: TokenBucket;

  constructor(opts: ControllerRateLimiterOptions = {}) {
    this.backoff = new ItemExponentialBackoff({ baseMs: opts.baseMs ?? 5, maxMs: opts.maxMs ?? 1_000_000 });
    this.bucket = new TokenBucket({ qps: opts.qps ?? 10, burst: opts.burst ?? 100, ...(opts.clock ? { clock: opts.clock } : {}) });
  }

  when(key: string): number {
    return Math.max(this.backoff.when(key), this.bucket.reserve());
  }

  retries(key: string): number {
    return this.backoff.retries(key);
  }

  forget(key: string): void {
    this.backoff.forget(key);
  }
}

/** A client-node middleware whose `pre` waits for a token: client-side QPS/burst. */
export function rateLimitMiddleware(bucket: TokenBucket): ObservableMiddleware {
  return {
    pre: (ctx: RequestContext) => new Observable(bucket.take().then(() => ctx)),
    post: (ctx: ResponseContext) => new Observable(Promise.resolve(ctx)),
  };
}

export interface ApiClientOptions {
  /** Requests per second (default 50). */
  qps?: number;
  /** Burst (default 100). */
  burst?: number;
  /** Share one bucket between several API clients (recommended: one per process). */
  bucket?: TokenBucket;
}

type ApiConstructor<T> = new (config: ReturnType<typeof createConfiguration>) => T;

/** Make a token bucket for API clients (default 50 qps / burst 100). */
export function apiRateLimiter(opts: { qps?: number; burst?: number; clock?: Clock } = {}): TokenBucket {
  return new TokenBucket({ qps: opts.qps ?? 50, burst: opts.burst ?? 100, ...(opts.clock ? { clock: opts.clock } : {}) });
}

/**
 * `kc.makeApiClient(Api)` with a client-side rate limit. client-node builds its configuration
 * with a fixed middleware list, so this rebuilds it the same way with one more middleware.
 */
export function makeRateLimitedApiClient<T>(kc: KubeConfig, api: ApiConstructor<T>, opts: ApiClientOptions = {}): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('No active cluster in kubeconfig');
  const bucket = opts.bucket ?? apiRateLimiter({ ...(opts.qps !== undefined ? { qps: opts.qps } : {}), ...(opts.burst !== undefined ? { burst: opts.burst } : {}) });
  const config = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    // One keep-alive pool per KubeConfig (pool.ts says why).
    authMethods: { default: pooledKubeConfig(kc) },
    middleware: [rateLimitMiddleware(bucket)],
    // undici's request instead of its fetch (http.ts says why).
    httpApi: new UndiciHttpLibrary(),
  });
  return new api(config);
}
