/**
 * A controller: event handlers on a primary cache (and watched secondary caches) feed a work
 * queue of keys; N workers take keys and call `reconcile(obj, ctx)` with the cached object
 * (frozen: a reconciler copies what it changes; undefined once deleted). One switch decides
 * what happens next, as controller-runtime's `reconcileHandler`: TerminalError → record,
 * forget; other error → rate-limited retry; `requeueAfter` → forget + delayed add (0: add now);
 * `requeue` → rate-limited add; else forget.
 */
import { randomUUID } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { objectKey, type EventHandler } from './cache.ts';
import { realClock, type Clock } from './clock.ts';
import { errorMessage, TerminalError } from './errors.ts';
import { silentLogger } from './logging.ts';
import { defaultMetrics, type RuntimeMetrics, type ReconcileResultLabel } from './metrics.ts';
import { WorkQueue } from './queue.ts';
import { ControllerRateLimiter, type RateLimiter } from './ratelimit.ts';

export const DEFAULT_PAUSE_ANNOTATION = 'occupier.dev/paused';

export interface ReconcileResult {
  /** Reconcile again after this many ms (the earlier of two schedules wins). */
  requeueAfter?: number;
  /** Reconcile again after the rate limiter's backoff, without counting an error. */
  requeue?: boolean;
}

export interface ReconcileContext {
  readonly key: string;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly reconcileId: string;
  readonly controller: string;
  /** Bound with controller, key and reconcileId. */
  readonly log: Logger;
  /** Aborted when the reconcile times out or the controller stops. */
  readonly signal: AbortSignal;
  /** How many times this key has been retried after errors. */
  readonly retries: number;
}

/**
 * Reconcile one key. `obj` is the cached object, frozen (copy what you change), or undefined once it is gone.
 * Throw to retry with backoff; throw a `TerminalError` to stop retrying; return
 * `{ requeueAfter }` to be called again later.
 */
export type Reconciler<T> = (obj: T | undefined, ctx: ReconcileContext) => Promise<ReconcileResult | void>;

/** Decides whether an update should be reconciled. */
export type UpdatePredicate<T> = (oldObj: T, newObj: T) => boolean;

/** Pass updates whose `metadata.generation` changed (spec changes), and every deletion start. */
export function generationChanged<T extends KubernetesObject>(oldObj: T, newObj: T): boolean {
  const o = oldObj.metadata;
  const n = newObj.metadata;
  if (o?.generation === undefined || n?.generation === undefined) return true;
  if (o.generation !== n.generation) return true;
  return (o.deletionTimestamp === undefined) !== (n.deletionTimestamp === undefined);
}

/**
 * Whether spec (generation), deletion, annotations, labels or finalizers differ — finalizers
 * other than `ownFinalizer` when one is given.
 */
function metadataOrSpecDiffer(oldObj: KubernetesObject, newObj: KubernetesObject, ownFinalizer?: string): boolean {
  if (generationChanged(oldObj, newObj)) return true;
  const o = oldObj.metadata;
  const n = newObj.metadata;
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const finalizers = (m: typeof o): string[] | undefined => (ownFinalizer === undefined ? m?.finalizers : (m?.finalizers ?? []).filter((f) => f !== ownFinalizer));
  return !same(o?.annotations, n?.annotations) || !same(o?.labels, n?.labels) || !same(finalizers(o), finalizers(n));
}

/**
 * Pass updates a controller must act on when it owns the object's status: spec (generation),
 * deletion, annotations, labels, finalizers — never a status write (its own, or another's).
 */
export function metadataOrSpecChanged<T extends KubernetesObject>(oldObj: T, newObj: T): boolean {
  return metadataOrSpecDiffer(oldObj, newObj);
}

/**
 * As `metadataOrSpecChanged`, but the controller's own finalizer `name` coming or going is no
 * change: adding it is the controller's own write, and must not cost it another pass (with
 * `applyAfterAdd` the pass that added it went on to do the work).
 */
export function metadataOrSpecChangedBesidesFinalizer(name: string): <T extends KubernetesObject>(oldObj: T, newObj: T) => boolean {
  return (oldObj, newObj) => metadataOrSpecDiffer(oldObj, newObj, name);
}

/** What a controller needs from a cache (a `Cache` is one). */
export interface ObjectSource<T> {
  addHandler(handler: EventHandler<T>): void;
  get(key: string): T | undefined;
}

/** A secondary source of reconcile requests; build one with `watchOf(cache, map)`. */
export interface WatchSource {
  register(enqueue: (key: string) => void): void;
}

/**
 * Reconcile the primary keys `map(obj)` whenever an object of `cache` changes (old and new).
 * `changed(old, new)` filters updates to those the primary depends on (default: all), so a
 * secondary's own busy status does not cost the primaries a pass each time.
 */
export function watchOf<U extends KubernetesObject>(cache: ObjectSource<U>, map: (obj: U) => string[], changed?: UpdatePredicate<U>): WatchSource {
  return {
    register(enqueue) {
      const mapped = (obj: U): void => {
        for (const key of map(obj)) enqueue(key);
      };
      cache.addHandler({
        onAdd: mapped,
        onDelete: mapped,
        onUpdate: (o, n) => {
          if (changed && !changed(o, n)) return;
          mapped(o);
          mapped(n);
        },
      });
    },
  };
}

export interface ControllerOptions<T extends KubernetesObject> {
  name: string;
  primary: ObjectSource<T>;
  watches?: WatchSource[];
  reconcile: Reconciler<T>;
  workers?: number;
  /** Abort and retry a reconcile that takes longer (default 60 s). */
  reconcileTimeoutMs?: number;
  /** Primary updates are reconciled only if one predicate passes (default: all updates). */
  predicates?: UpdatePredicate<T>[];
  /** Annotation whose value "true" skips reconciles (default `occupier.dev/paused`; false = off). */
  pauseAnnotation?: string | false;
  onTerminalError?: (err: TerminalError, key: string, obj: T | undefined) => void;
  logger?: Logger;
  /** Default: the process-wide `defaultMetrics()`. */
  metrics?: RuntimeMetrics;
  rateLimiter?: RateLimiter;
  clock?: Clock;
}

export function ownerKeys(kind: string, apiVersion?: string): (obj: KubernetesObject) => string[] {
  return (obj) =>
    (obj.metadata?.ownerReferences ?? [])
      .filter((o) => o.kind === kind && (apiVersion === undefined || o.apiVersion === apiVersion))
      .map((o) => (obj.metadata?.namespace ? `${obj.metadata.namespace}/${o.name}` : o.name));
}

export class Controller<T extends KubernetesObject = KubernetesObject> {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly metrics: RuntimeMetrics;
  private readonly opts: ControllerOptions<T>;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly pauseAnnotation: string | false;
  private readonly inFlight = new Set<AbortController>();
  private stopping = false;
  private workers: Promise<void>[] = [];
  private started = false;

  constructor(opts: ControllerOptions<T>) {
    this.opts = opts;
    this.name = opts.name;
    this.clock = opts.clock ?? realClock;
    this.metrics = opts.metrics ?? defaultMetrics();
    this.metrics.registerController(this.name);
    this.log = (opts.logger ?? silentLogger()).child({ controller: this.name });
    this.pauseAnnotation = opts.pauseAnnotation === undefined ? DEFAULT_PAUSE_ANNOTATION : opts.pauseAnnotation;
    this.queue = new WorkQueue({
      name: this.name,
      clock: this.clock,
      metrics: this.metrics,
      rateLimiter: opts.rateLimiter ?? new ControllerRateLimiter({ clock: this.clock }),
    });
    const predicates = opts.predicates ?? [];
    const enqueue = (obj: T): void => this.queue.add(objectKey(obj));
    opts.primary.addHandler({
      onAdd: enqueue,
      onDelete: enqueue,
      onUpdate: (oldObj, newObj) => {
        if (predicates.length === 0 || predicates.some((p) => p(oldObj, newObj)) || this.pauseChanged(oldObj, newObj)) enqueue(newObj);
      },
    });
    for (const w of opts.watches ?? []) w.register((key) => this.queue.add(key));
  }

  /** Queue a key by hand (e.g. from a timer or another controller). */
  enqueue(key: string, afterMs = 0): void {
    if (afterMs > 0) this.queue.addAfter(key, afterMs);
    else this.queue.add(key);
  }

  isRunning(): boolean {
    return this.started && !this.queue.isShutdown();
  }

  /** Start the workers (caches must be started and synced by the caller). */
  start(): void {
    if (this.started) return;
    this.started = true;
    const n = Math.max(1, this.opts.workers ?? 1);
    this.log.info({ workers: n }, 'starting workers');
    for (let i = 0; i < n; i++) this.workers.push(this.worker());
  }

  /**
   * Stop taking work and wait for in-flight reconciles (at most `timeoutMs`, after which
   * their signals are aborted). Returns true if everything in flight finished.
   */
  async stop(timeoutMs = 30_000): Promise<boolean> {
    this.stopping = true;
    const drained = await this.queue.shutdownWithDrain(timeoutMs);
    for (const ac of this.inFlight) ac.abort(new Error('controller stopping'));
    if (!drained) this.log.warn({ inFlight: this.queue.inFlight() }, 'stopped with reconciles still in flight');
    // Workers whose reconciler honours its signal end at once; one that ignores it is left behind.
    let cancel: (() => void) | undefined;
    await Promise.race([Promise.all(this.workers), new Promise<void>((resolve) => (cancel = this.clock.setTimer(resolve, 1_000)))]);
    cancel?.();
    return drained;
  }

  private pauseChanged(oldObj: T, newObj: T): boolean {
    if (!this.pauseAnnotation) return false;
    return oldObj.metadata?.annotations?.[this.pauseAnnotation] !== newObj.metadata?.annotations?.[this.pauseAnnotation];
  }

  private isPaused(obj: T | undefined): boolean {
    return !!this.pauseAnnotation && obj?.metadata?.annotations?.[this.pauseAnnotation] === 'true';
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    // The cache's own object, frozen (`Cache`): a reconciler copies what it changes. A copy per
    // pass (structuredClone) was 5 % of the operator's CPU while 1,000 orders started.
    const obj = this.opts.primary.get(key);
    if (this.isPaused(obj)) {
      this.log.debug({ key }, 'paused, skipping reconcile');
      this.queue.forget(key);
      this.queue.done(key);
      return;
    }
    const reconcileId = randomUUID();
    const slash = key.indexOf('/');
    const log = this.log.child({ key, reconcileId });
    const timeoutMs = this.opts.reconcileTimeoutMs ?? 60_000;
    const ac = new AbortController();
    const signal = ac.signal;
    const ctx: ReconcileContext = {
      key,
      namespace: slash < 0 ? undefined : key.slice(0, slash),
      name: slash < 0 ? key : key.slice(slash + 1),
      reconcileId,
      controller: this.name,
      log,
      signal,
      retries: this.queue.numRequeues(key),
    };
    const started = this.clock.now();
    // Run the reconciler so that a synchronous throw becomes a rejection too.
    const run = Promise.resolve().then(() => this.opts.reconcile(obj, ctx));
    let timedOut = false;
    let onTimeout: (v: 'timeout') => void = () => {};
    const timeoutFired = new Promise<'timeout'>((resolve) => (onTimeout = resolve));
    const cancelTimer = this.clock.setTimer(() => {
      timedOut = true;
      ac.abort(new DOMException(`reconcile timed out after ${timeoutMs} ms`, 'TimeoutError'));
      onTimeout('timeout');
    }, timeoutMs);
    this.inFlight.add(ac);
    if (this.stopping) ac.abort(new Error('controller stopping'));
    const settled = run.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    void settled.then(() => this.inFlight.delete(ac));
    const outcome = await Promise.race([settled, timeoutFired]);
    if (outcome === 'timeout') {
      // The reconciler ignores its signal: free this worker, but keep the key "processing"
      // until it really settles, so no second reconcile of the key can start meanwhile.
      log.error({ timeoutMs }, 'reconcile timed out; retrying once it settles');
      this.record('error', started);
      this.metrics.reconcileErrors.inc({ controller: this.name });
      void settled.then(() => {
        this.queue.addRateLimited(key);
        this.queue.done(key);
      });
      return;
    }
    cancelTimer();
    if (outcome.ok) {
      const result = outcome.value ?? {};
      // 0 means "again now" (the order engine's start asks for its run so); it was dropped.
      if (result.requeueAfter !== undefined && result.requeueAfter >= 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, result.requeueAfter);
        this.record('requeue_after', started);
        log.debug({ requeueAfterMs: result.requeueAfter }, 'reconciled, requeue after');
      } else if (result.requeue) {
        this.queue.addRateLimited(key);
        this.record('requeue', started);
      } else {
        this.queue.forget(key);
        this.record('success', started);
        log.debug('reconciled');
      }
    } else if (outcome.error instanceof TerminalError) {
      const err = outcome.error;
      this.queue.forget(key);
      this.record('terminal_error', started);
      this.metrics.reconcileErrors.inc({ controller: this.name });
      log.error({ code: err.code, err: err.message }, 'reconcile failed with a terminal error; not retrying');
      try {
        this.opts.onTerminalError?.(err, key, obj);
      } catch (hookErr) {
        log.error({ err: errorMessage(hookErr) }, 'onTerminalError hook threw');
      }
    } else {
      const err = outcome.error;
      this.queue.addRateLimited(key);
      this.record('error', started);
      this.metrics.reconcileErrors.inc({ controller: this.name });
      log.warn({ err: errorMessage(err), retries: this.queue.numRequeues(key), timedOut }, 'reconcile failed; retrying with backoff');
    }
    this.queue.done(key);
  }

  private record(result: ReconcileResultLabel, started: number): void {
    this.metrics.reconcileTotal.inc({ controller: this.name, result });
    this.metrics.reconcileTime.observe({ controller: this.name }, (this.clock.now() - started) / 1000);
  }
}
