/**
 * `callDriver`: the one way the operator calls a driver. It enforces the per-call time-out
 * (an AbortSignal the driver sees, plus a race so even a driver that ignores the signal never
 * holds a worker), turns everything thrown into a `DriverError`, and records
 * `occupier_operator_driver_calls_total` / `occupier_operator_driver_call_duration_seconds`.
 *
 * `CapabilityClient` is the typed view controllers use: one driver, one site, one capability.
 */
import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { CAPABILITIES, DRIVER_OPS, DriverError, fingerprint, REASONS, toDriverError } from './contract.ts';
import type { Capability, Driver, DriverOp, ListedItem, Outcome, SiteContext, TypedObservation, TypedOutcome } from './contract.ts';
import type { DetailsOf, ItemType, ParsedSpecOf, SpecOf } from './items.ts';

export const CALL_RESULTS = ['done', 'in_progress', 'transient', 'permanent'] as const;
export type CallResult = (typeof CALL_RESULTS)[number];

const CALLS = 'occupier_operator_driver_calls_total';
const DURATION = 'occupier_operator_driver_call_duration_seconds';

/** Driver call metrics on a given prom-client Registry (never the global one). */
export class DriverMetrics {
  readonly calls: Counter<'driver' | 'capability' | 'op' | 'result'>;
  readonly duration: Histogram<'driver' | 'capability' | 'op'>;
  private readonly initialised = new Set<string>();

  constructor(registry: Registry) {
    const calls = registry.getSingleMetric(CALLS);
    const duration = registry.getSingleMetric(DURATION);
    this.calls =
      calls instanceof Counter
        ? (calls as Counter<'driver' | 'capability' | 'op' | 'result'>)
        : new Counter({ name: CALLS, help: 'Driver calls by driver, capability, operation and result (done, in_progress, transient, permanent).', labelNames: ['driver', 'capability', 'op', 'result'], registers: [registry] });
    this.duration =
      duration instanceof Histogram
        ? (duration as Histogram<'driver' | 'capability' | 'op'>)
        : new Histogram({
            name: DURATION,
            help: 'Duration of driver calls in seconds.',
            labelNames: ['driver', 'capability', 'op'],
            buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
            registers: [registry],
          });
  }

  /** Initialise every label combination of a driver to zero, so rates and alerts work from the start. */
  registerDriver(driver: string): void {
    if (this.initialised.has(driver)) return;
    this.initialised.add(driver);
    for (const capability of CAPABILITIES) {
      for (const op of DRIVER_OPS) {
        for (const result of CALL_RESULTS) this.calls.inc({ driver, capability, op, result }, 0);
        this.duration.zero({ driver, capability, op });
      }
    }
  }

  record(driver: string, capability: Capability, op: DriverOp, result: CallResult, seconds: number): void {
    this.registerDriver(driver);
    this.calls.inc({ driver, capability, op, result });
    this.duration.observe({ driver, capability, op }, seconds);
  }
}

export interface CallOptions {
  driver: Driver;
  capability: Capability;
  op: DriverOp;
  /** Per-call time-out (the driverRef's `timeoutSeconds`). */
  timeoutMs: number;
  /** Cancels the call (e.g. operator shutdown). */
  signal?: AbortSignal;
  metrics?: DriverMetrics;
}

function resultOf(value: unknown): CallResult {
  if (typeof value === 'object' && value !== null && (value as Record<string, unknown>)['state'] === 'InProgress') return 'in_progress';
  return 'done';
}

/**
 * Calls waiting on one parent signal: one 'abort' listener per signal however many calls share
 * it. (Node's EventTarget scans the listeners already registered on every addEventListener, so
 * a step of 1,000 calls on one reconcile's signal cost O(n²): 7 % of a SiteMove's CPU.)
 */
const abortWaiters = new WeakMap<AbortSignal, Set<() => void>>();

/** Runs `fn` when `signal` aborts; returns the unsubscribe. */
function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let waiters = abortWaiters.get(signal);
  if (!waiters) {
    const set = new Set<() => void>();
    waiters = set;
    abortWaiters.set(signal, set);
    signal.addEventListener('abort', () => {
      abortWaiters.delete(signal);
      for (const w of set) w();
    }, { once: true });
  }
  waiters.add(fn);
  const mine = waiters;
  return () => void mine.delete(fn);
}

/**
 * Run one driver call with a time-out. Resolves with what the driver returned or rejects with a
 * `DriverError` (a time-out is Transient `Timeout`, a cancellation Transient `Cancelled`).
 */
export async function callDriver<R>(options: CallOptions, fn: (signal: AbortSignal) => Promise<R>): Promise<R> {
  const { driver, capability, op, timeoutMs, signal: parent, metrics } = options;
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    const fail = (err: DriverError): void => {
      controller.abort(err);
      reject(err);
    };
    timer = setTimeout(() => fail(DriverError.transient(REASONS.Timeout, `${driver.name} ${capability} ${op} did not finish within ${timeoutMs} ms`)), timeoutMs);
    if (parent) {
      const onParentAbort = (): void => fail(DriverError.transient(REASONS.Cancelled, `${driver.name} ${capability} ${op} was cancelled`, { cause: parent.reason }));
      if (parent.aborted) onParentAbort();
      else unsubscribe = onAbort(parent, onParentAbort);
    }
  });
  aborted.catch(() => undefined);
  try {
    const value = await Promise.race([fn(controller.signal), aborted]);
    metrics?.record(driver.name, capability, op, resultOf(value), (performance.now() - started) / 1000);
    return value;
  } catch (err) {
    const error = controller.signal.aborted && controller.signal.reason instanceof DriverError ? controller.signal.reason : toDriverError(err);
    metrics?.record(driver.name, capability, op, error.code === 'Permanent' ? 'permanent' : 'transient', (performance.now() - started) / 1000);
    throw error;
  } finally {
    clearTimeout(timer);
    unsubscribe?.();
  }
}

/** The typed calls of one capability at one site, through `callDriver`. */
export class CapabilityClient<C extends Capability> {
  readonly driver: Driver;
  readonly site: SiteContext;
  readonly capability: C;
  readonly timeoutMs: number;
  private readonly metrics: DriverMetrics | undefined;

  constructor(driver: Driver, site: SiteContext, capability: C, timeoutMs: number, metrics?: DriverMetrics) {
    this.driver = driver;
    this.site = site;
    this.capability = capability;
    this.timeoutMs = timeoutMs;
    this.metrics = metrics;
  }

  private call<R>(op: DriverOp, signal: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<R>): Promise<R> {
    const options: CallOptions = { driver: this.driver, capability: this.capability, op, timeoutMs: this.timeoutMs };
    if (signal) options.signal = signal;
    if (this.metrics) options.metrics = this.metrics;
    return callDriver(options, fn);
  }

  observe<T extends ItemType<C>>(type: T, key: string, desired?: SpecOf<C, T>, signal?: AbortSignal): Promise<TypedObservation<C, T>> {
    return this.call('observe', signal, (s) =>
      this.driver.observe({ site: this.site, signal: s, ref: { capability: this.capability, type, key }, ...(desired === undefined ? {} : { desired }) }),
    ) as Promise<TypedObservation<C, T>>;
  }

  /**
   * Create or update. `idempotencyKey` names the step (e.g. `idempotencyKey(uid, site, 'network')`);
   * the spec's fingerprint is appended, so a retry of the same spec is the same request and a
   * changed spec (an edited Occupier) is a new one rather than `IdempotencyKeyReused`.
   */
  ensure<T extends ItemType<C>>(type: T, key: string, spec: SpecOf<C, T>, idempotencyKey: string, signal?: AbortSignal): Promise<TypedOutcome<C, T>> {
    const requestKey = `${idempotencyKey}.${fingerprint(spec)}`;
    return this.call('ensure', signal, (s) =>
      this.driver.ensure({ site: this.site, signal: s, item: { capability: this.capability, type, key, spec }, idempotencyKey: requestKey }),
    ) as Promise<TypedOutcome<C, T>>;
  }

  remove<T extends ItemType<C>>(type: T, key: string, idempotencyKey: string, signal?: AbortSignal): Promise<Outcome<DetailsOf<C, T>>> {
    return this.call('remove', signal, (s) =>
      this.driver.remove({ site: this.site, signal: s, ref: { capability: this.capability, type, key }, idempotencyKey }),
    ) as Promise<Outcome<DetailsOf<C, T>>>;
  }

  list<T extends ItemType<C>>(type: T, filter: { occupier?: string } = {}, signal?: AbortSignal): Promise<ListedItem<ParsedSpecOf<C, T>, DetailsOf<C, T>>[]> {
    return this.call('list', signal, (s) =>
      this.driver.list({ site: this.site, signal: s, capability: this.capability, type, ...(filter.occupier === undefined ? {} : { occupier: filter.occupier }) }),
    ) as Promise<ListedItem<ParsedSpecOf<C, T>, DetailsOf<C, T>>[]>;
  }
}
