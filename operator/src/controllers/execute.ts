/**
 * Runs item operations (ensure / remove) through the drivers of one site, with bounded
 * concurrency, idempotency keys derived from the object's UID, and one result per item that
 * never throws: controllers turn results into status, conditions and events.
 */
import { fingerprint, idempotencyKey, siteContext, toDriverError } from '../../../drivers/src/contract.ts';
import type { Capability, Driver, DriverOp, Item, SiteContext } from '../../../drivers/src/contract.ts';
import { callDriver } from '../../../drivers/src/call.ts';
import type { DriverMetrics } from '../../../drivers/src/call.ts';
import type { SiteResource } from '../api/index.ts';
import { itemId } from '../planner/provision.ts';

export interface ItemOp {
  op: 'ensure' | 'remove';
  capability: Capability;
  type: string;
  key: string;
  /** The desired spec (ensure only). */
  spec?: unknown;
  /** Extra idempotency parts, e.g. the order step, so two steps on one item get two keys. */
  step?: string;
}

export type ItemResult = { id: string; op: ItemOp['op'] } & (
  | { state: 'Done'; details: unknown }
  | { state: 'InProgress'; retryAfterMs: number; taskRef: string }
  | { state: 'Failed'; code: 'Transient' | 'Permanent'; reason: string; message: string; retryAfterMs?: number }
);

/** Which driver serves a capability at a site, and its per-call time-out. */
export interface DriverResolver {
  resolve(site: SiteResource, capability: Capability): Promise<{ driver: Driver; timeoutMs: number }>;
}

export interface ExecuteOptions {
  drivers: DriverResolver;
  metrics?: DriverMetrics;
  /** UID of the object on whose behalf the calls are made (idempotency keys derive from it). */
  uid: string;
  signal?: AbortSignal;
  /** Items in flight at once (default 16). */
  concurrency?: number;
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Resolves the driver of `capability` at `site` and runs one call through `callDriver` (time-out, metrics). */
async function withDriver<R>(
  site: SiteResource,
  capability: Capability,
  op: DriverOp,
  opts: Pick<ExecuteOptions, 'drivers' | 'metrics' | 'signal'>,
  fn: (driver: Driver, ctx: SiteContext, signal: AbortSignal) => Promise<R>,
): Promise<R> {
  const ctx = siteContext(site.metadata.name ?? '', site.spec);
  const { driver, timeoutMs } = await opts.drivers.resolve(site, capability);
  const call = { driver, capability, op, timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.metrics ? { metrics: opts.metrics } : {}) };
  return callDriver(call, (signal) => fn(driver, ctx, signal));
}

/** Runs each operation at `site`; one result per operation, in order. */
export async function executeItems(site: SiteResource, ops: readonly ItemOp[], opts: ExecuteOptions): Promise<ItemResult[]> {
  const siteName = site.metadata.name ?? '';
  return mapLimit(ops, opts.concurrency ?? 16, async (op): Promise<ItemResult> => {
    const id = itemId(op);
    try {
      const key = idempotencyKey(opts.uid, siteName, op.op, id, op.step ?? '', op.op === 'ensure' ? fingerprint(op.spec) : '');
      const ref = { capability: op.capability, type: op.type, key: op.key };
      const outcome = await withDriver(site, op.capability, op.op, opts, (driver, ctx, signal) =>
        op.op === 'ensure'
          ? driver.ensure({ site: ctx, signal, item: { ...ref, spec: op.spec } as Item, idempotencyKey: key })
          : driver.remove({ site: ctx, signal, ref, idempotencyKey: key }),
      );
      if (outcome.state === 'InProgress') return { id, op: op.op, state: 'InProgress', retryAfterMs: outcome.retryAfterMs, taskRef: outcome.taskRef };
      return { id, op: op.op, state: 'Done', details: outcome.details };
    } catch (err) {
      const e = toDriverError(err);
      return {
        id,
        op: op.op,
        state: 'Failed',
        code: e.code,
        reason: e.reason,
        message: e.message,
        ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      };
    }
  });
}

/** Reads one item from the backend (no idempotency key: observe changes nothing). Throws DriverError. */
export async function observeItem(
  site: SiteResource,
  ref: { capability: Capability; type: string; key: string },
  opts: Pick<ExecuteOptions, 'drivers' | 'metrics' | 'signal'>,
): Promise<{ exists: boolean; details: unknown }> {
  const obs = await withDriver(site, ref.capability, 'observe', opts, (driver, ctx, signal) => driver.observe({ site: ctx, signal, ref }));
  return { exists: obs.exists, details: obs.details };
}

/** Lists the items of one type at `site` (of one occupier), with the driver's time-out and metrics. Throws DriverError. */
export async function listItems(
  site: SiteResource,
  capability: Capability,
  type: string,
  occupier: string | undefined,
  opts: Pick<ExecuteOptions, 'drivers' | 'metrics' | 'signal'>,
): Promise<{ key: string; details: unknown }[]> {
  return withDriver(site, capability, 'list', opts, (driver, ctx, signal) => driver.list({ site: ctx, signal, capability, type, ...(occupier !== undefined ? { occupier } : {}) }));
}
