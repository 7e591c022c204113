import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { callDriver, DriverError, DriverMetrics } from './index.ts';
import type { Driver, Outcome } from './index.ts';

/** A driver whose ensure never settles and ignores its signal: the worst backend. */
const hung: Driver = {
  name: 'hung',
  observe: () => new Promise(() => undefined),
  ensure: () => new Promise<Outcome>(() => undefined),
  remove: () => new Promise<Outcome>(() => undefined),
  list: () => new Promise(() => undefined),
  close: async () => undefined,
};

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value;
}

describe('callDriver', () => {
  it('times out a call that ignores its signal as Transient Timeout, within the time-out', async () => {
    const registry = new Registry();
    const metrics = new DriverMetrics(registry);
    const started = performance.now();
    const err = await callDriver({ driver: hung, capability: 'network', op: 'ensure', timeoutMs: 50, metrics }, () => hung.ensure({} as never)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect([(err as DriverError).code, (err as DriverError).reason]).toEqual(['Transient', 'Timeout']);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await metricValue(registry, 'occupier_operator_driver_calls_total', { driver: 'hung', capability: 'network', op: 'ensure', result: 'transient' })).toBe(1);
  });

  it('aborts the signal the driver sees when the time-out fires', async () => {
    let seen: AbortSignal | undefined;
    await callDriver({ driver: hung, capability: 'wifi', op: 'observe', timeoutMs: 20 }, (signal) => {
      seen = signal;
      return new Promise(() => undefined);
    }).catch(() => undefined);
    expect(seen?.aborted).toBe(true);
  });

  it('stops at once when the caller cancels (Transient Cancelled)', async () => {
    const controller = new AbortController();
    const pending = callDriver({ driver: hung, capability: 'billing', op: 'remove', timeoutMs: 60_000, signal: controller.signal }, () => new Promise(() => undefined));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'Transient', reason: 'Cancelled' });
  });

  it('cancels every call sharing one signal, and not those that already finished', async () => {
    const controller = new AbortController();
    const base = { driver: hung, capability: 'directory' as const, op: 'ensure' as const, timeoutMs: 60_000, signal: controller.signal };
    const finished = await Promise.all(Array.from({ length: 10 }, () => callDriver(base, async () => 'done')));
    const pending = Array.from({ length: 1_000 }, () => callDriver(base, () => new Promise(() => undefined)).catch((e: unknown) => e));
    controller.abort();
    const errors = await Promise.all(pending);
    expect(finished).toEqual(Array.from({ length: 10 }, () => 'done'));
    expect(errors.filter((e) => e instanceof DriverError && e.reason === 'Cancelled')).toHaveLength(1_000);
  });

  it('records results by label and initialises every label to zero', async () => {
    const registry = new Registry();
    const metrics = new DriverMetrics(registry);
    metrics.registerDriver('simulated');
    expect(await metricValue(registry, 'occupier_operator_driver_calls_total', { driver: 'simulated', capability: 'records', op: 'list', result: 'permanent' })).toBe(0);
    const base = { driver: { ...hung, name: 'simulated' }, capability: 'telephony' as const, timeoutMs: 1_000, metrics };
    await callDriver({ ...base, op: 'ensure' }, async () => ({ state: 'Done', details: undefined }));
    await callDriver({ ...base, op: 'ensure' }, async () => ({ state: 'InProgress', taskRef: 't', retryAfterMs: 5 }));
    await callDriver({ ...base, op: 'ensure' }, async () => {
      throw DriverError.permanent('NumberInUse', 'taken');
    }).catch(() => undefined);
    await callDriver({ ...base, op: 'ensure' }, async () => {
      throw new Error('boom');
    }).catch((e: unknown) => expect(e).toMatchObject({ code: 'Transient', reason: 'Internal' }));
    const labels = { driver: 'simulated', capability: 'telephony', op: 'ensure' };
    expect(await metricValue(registry, 'occupier_operator_driver_calls_total', { ...labels, result: 'done' })).toBe(1);
    expect(await metricValue(registry, 'occupier_operator_driver_calls_total', { ...labels, result: 'in_progress' })).toBe(1);
    expect(await metricValue(registry, 'occupier_operator_driver_calls_total', { ...labels, result: 'permanent' })).toBe(1);
    expect(await metricValue(registry, 'occupier_operator_driver_calls_total', { ...labels, result: 'transient' })).toBe(1);
    const text = await registry.metrics();
    expect(text).toContain('occupier_operator_driver_call_duration_seconds_count{driver="simulated",capability="telephony",op="ensure"} 4');
  });

  it('shares the metrics when two DriverMetrics use one registry', () => {
    const registry = new Registry();
    const a = new DriverMetrics(registry);
    const b = new DriverMetrics(registry);
    expect(b.calls).toBe(a.calls);
  });
});
