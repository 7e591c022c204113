/**
 * Runs item operations (ensure / remove) through the drivers of one site, with bounded
 * concurrency, idempotency keys derived from the object's UID, and one result per item that
 * never throws: controllers turn results into status, conditions and events.
 */
import { DriverError, fingerprint, idempotencyKey, siteContext } from '../../../drivers/src/contract.ts';
import type { Capability, Driver, Item } from '../../../drivers/src/contract.ts';
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

/** Runs each operation at `site`; one result per operation, in order. */
export async function executeItems(site: SiteResource, ops: readonly ItemOp[], opts: ExecuteOptions): Promise<ItemResult[]> {
  const ctx = siteContext(site.metadata.name ?? '', site.spec);
  return mapLimit(ops, opts.concurrency ?? 16, async (op): Promise<ItemResult> => {
    const id = itemId(op);
    try {
      const { driver, timeoutMs } = await opts.drivers.resolve(site, op.capability);
      const key = idempotencyKey(opts.uid, ctx.name, op.op, id, op.step ?? '', op.op === 'ensure' ? fingerprint(op.spec) : '');
      const ref = { capability: op.capability, type: op.type, key: op.key };
      const call = { driver, capability: op.capability, op: op.op, timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.metrics ? { metrics: opts.metrics } : {}) };
      const outcome = await callDriver(call, (signal) =>
        op.op === 'ensure'
          ? driver.ensure({ site: ctx, signal, item: { ...ref, spec: op.spec } as Item, idempotencyKey: key })
          : driver.remove({ site: ctx, signal, ref, idempotencyKey: key }),
      );
      if (outcome.state === 'InProgress') return { id, op: op.op, state: 'InProgress', retryAfterMs: outcome.retryAfterMs, taskRef: outcome.taskRef };
      return { id, op: op.op, state: 'Done', details: outcome.details };
    } catch (err) {
      const e = err instanceof DriverError ? err : DriverError.transient('Internal', err instanceof Error ? err.message : String(err));
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
  const ctx = siteContext(site.metadata.name ?? '', site.spec);
  const { driver, timeoutMs } = await opts.drivers.resolve(site, ref.capability);
  const call = { driver, capability: ref.capability, op: 'observe' as const, timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.metrics ? { metrics: opts.metrics } : {}) };
  const obs = await callDriver(call, (signal) => driver.observe({ site: ctx, signal, ref }));
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
  const ctx = siteContext(site.metadata.name ?? '', site.spec);
  const { driver, timeoutMs } = await opts.drivers.resolve(site, capability);
  const call = { driver, capability, op: 'list' as const, timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.metrics ? { metrics: opts.metrics } : {}) };
  return callDriver(call, (signal) => driver.list({ site: ctx, signal, capability, type, ...(occupier !== undefined ? { occupier } : {}) }));
}
