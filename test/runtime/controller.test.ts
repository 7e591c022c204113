import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  Controller,
  FakeClock,
  RuntimeMetrics,
  TerminalError,
  ControllerRateLimiter,
  generationChanged,
  metadataOrSpecChangedBesidesFinalizer,
  watchOf,
  type EventHandler,
  type ObjectSource,
  type ReconcileContext,
  type ReconcileResult,
} from '../../operator/src/runtime/index.ts';

/** An in-memory object source standing in for a cache (the controller only needs these two calls). */
class Source<T extends KubernetesObject> implements ObjectSource<T> {
  private readonly objects = new Map<string, T>();
  private readonly handlers: EventHandler<T>[] = [];
  addHandler(h: EventHandler<T>): void {
    this.handlers.push(h);
  }
  get(key: string): T | undefined {
    return this.objects.get(key);
  }
  put(obj: T): void {
    const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
    const old = this.objects.get(key);
    this.objects.set(key, obj);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, obj);
      else h.onAdd?.(obj);
    }
  }
}

function gizmo(name: string, opts: { generation?: number; annotations?: Record<string, string>; rv?: string } = {}): KubernetesObject {
  return { apiVersion: 'v1', kind: 'Gizmo', metadata: { name, namespace: 'ns', generation: opts.generation ?? 1, resourceVersion: opts.rv ?? '1', annotations: opts.annotations ?? {} } };
}

type Step = (obj: KubernetesObject | undefined, ctx: ReconcileContext) => Promise<ReconcileResult | void>;

function setup(reconcile: Step, extra: { workers?: number; reconcileTimeoutMs?: number; predicates?: Array<(a: KubernetesObject, b: KubernetesObject) => boolean> } = {}) {
  const clock = new FakeClock();
  const source = new Source<KubernetesObject>();
  const metrics = new RuntimeMetrics();
  const terminal: string[] = [];
  const controller = new Controller({
    name: 'gizmo',
    primary: source,
    reconcile,
    clock,
    metrics,
    rateLimiter: new ControllerRateLimiter({ clock }),
    onTerminalError: (err, key) => terminal.push(`${key}:${err.code}`),
    ...extra,
  });
  return { clock, source, metrics, controller, terminal };
}

async function metric(metrics: RuntimeMetrics, line: string): Promise<number> {
  const text = await metrics.registry.metrics();
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found ? Number(found.slice(line.length + 1)) : NaN;
}

describe('Controller', () => {
  it('retries errors with growing backoff and resets it on success', async () => {
    const attempts: number[] = [];
    let failUntil = 4;
    const { clock, source, controller, metrics } = setup(async () => {
      attempts.push(clock.now());
      if (attempts.length <= failUntil) throw new Error('boom');
    });
    controller.start();
    source.put(gizmo('a'));
    await clock.advance(1_000);
    expect(attempts).toHaveLength(5);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps).toEqual([5, 10, 20, 40]);
    expect(controller.queue.numRequeues('ns/a')).toBe(0);
    // a later failure starts again from the base delay
    failUntil = 7;
    source.put(gizmo('a', { rv: '2' }));
    await clock.advance(100);
    expect(attempts.length).toBe(8);
    expect(attempts[6]! - attempts[5]!).toBe(5);
    expect(attempts[7]! - attempts[6]!).toBe(10);
    expect(await metric(metrics, 'occupier_operator_reconcile_total{controller="gizmo",result="error"}')).toBe(6);
    expect(await metric(metrics, 'occupier_operator_reconcile_total{controller="gizmo",result="success"}')).toBe(2);
    expect(await metric(metrics, 'occupier_operator_reconcile_errors_total{controller="gizmo"}')).toBe(6);
    await controller.stop();
  });

  it('a TerminalError is recorded and not retried', async () => {
    let calls = 0;
    const { clock, source, controller, metrics, terminal } = setup(async () => {
      calls++;
      throw new TerminalError('InvalidSpec', 'spec is nonsense');
    });
    controller.start();
    source.put(gizmo('a'));
    await clock.advance(10_000);
    expect(calls).toBe(1);
    expect(terminal).toEqual(['ns/a:InvalidSpec']);
    expect(await metric(metrics, 'occupier_operator_reconcile_total{controller="gizmo",result="terminal_error"}')).toBe(1);
    await controller.stop();
  });

  it('requeueAfter schedules the next reconcile; the earlier of two schedules wins', async () => {
    const seen: number[] = [];
    const { clock, source, controller } = setup(async () => {
      seen.push(clock.now());
      return { requeueAfter: seen.length === 1 ? 60_000 : 3_600_000 };
    });
    const t0 = clock.now();
    controller.start();
    source.put(gizmo('a'));
    await clock.advance(0);
    expect(controller.queue.scheduledAt('ns/a')! - t0).toBe(60_000);
    controller.enqueue('ns/a', 90_000); // later than the pending wake-up: ignored
    expect(controller.queue.scheduledAt('ns/a')! - t0).toBe(60_000);
    await clock.advance(30_000);
    controller.enqueue('ns/a', 10_000); // earlier: replaces it
    await clock.advance(70_000);
    // one reconcile at 40 s (which asked for 1 h); none at 60 s or 90 s
    expect(seen.map((t) => t - t0)).toEqual([0, 40_000]);
    expect(controller.queue.scheduledAt('ns/a')! - t0).toBe(40_000 + 3_600_000);
    await controller.stop();
  });

  it('requeueAfter 0 reconciles again at once (it was dropped)', async () => {
    const seen: number[] = [];
    const { clock, source, controller } = setup(async () => {
      seen.push(clock.now());
      return seen.length === 1 ? { requeueAfter: 0 } : {};
    });
    const t0 = clock.now();
    controller.start();
    source.put(gizmo('a'));
    await clock.advance(0);
    await clock.advance(0);
    expect(seen.map((t) => t - t0)).toEqual([0, 0]);
    await controller.stop();
  });

  it('never runs two reconciles of one key at once; updates during a reconcile coalesce', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const { clock, source, controller } = setup(
      async () => {
        running++;
        calls++;
        maxRunning = Math.max(maxRunning, running);
        await clock.sleep(50);
        running--;
      },
      { workers: 4 },
    );
    controller.start();
    for (let i = 0; i < 1_000; i++) {
      source.put(gizmo('a', { rv: String(i) }));
      if (i % 100 === 0) await clock.advance(10);
    }
    await clock.advance(1_000);
    expect(maxRunning).toBe(1);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(12);
    await controller.stop();
  });

  it('times out a reconcile via its signal and retries it', async () => {
    let calls = 0;
    const aborted: string[] = [];
    const { clock, source, controller, metrics } = setup(
      async (_obj, ctx) => {
        calls++;
        if (calls === 1) {
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => {
            aborted.push((ctx.signal.reason as Error).name);
            resolve();
          }));
        }
      },
      { reconcileTimeoutMs: 1_000 },
    );
    controller.start();
    source.put(gizmo('a'));
    await clock.advance(999);
    expect(aborted).toEqual([]);
    await clock.advance(100);
    expect(aborted).toEqual(['TimeoutError']);
    expect(calls).toBe(2);
    expect(await metric(metrics, 'occupier_operator_reconcile_total{controller="gizmo",result="error"}')).toBe(1);
    await controller.stop();
  });

  it('contains synchronous throws from the reconciler', async () => {
    let calls = 0;
    const { clock, source, controller } = setup(((): Promise<void> => {
      calls++;
      if (calls === 1) throw new TypeError('not a promise at all');
      return Promise.resolve();
    }) as Step);
    controller.start();
    source.put(gizmo('a'));
    await clock.advance(100);
    expect(calls).toBe(2);
    await controller.stop();
  });

  it('skips paused objects and reconciles again when unpaused, even with a generation predicate', async () => {
    const seen: string[] = [];
    const { clock, source, controller } = setup(async (obj) => void seen.push(obj?.metadata?.resourceVersion ?? '-'), { predicates: [generationChanged] });
    controller.start();
    source.put(gizmo('a', { rv: '1', annotations: { 'occupier.dev/paused': 'true' } }));
    await clock.advance(10);
    expect(seen).toEqual([]);
    source.put(gizmo('a', { rv: '2', annotations: {} }));
    await clock.advance(10);
    expect(seen).toEqual(['2']);
    // metadata-only change, same generation: filtered
    source.put(gizmo('a', { rv: '3', annotations: { other: 'x' } }));
    await clock.advance(10);
    expect(seen).toEqual(['2']);
    source.put(gizmo('a', { rv: '4', generation: 2 }));
    await clock.advance(10);
    expect(seen).toEqual(['2', '4']);
    await controller.stop();
  });

  it('maps secondary objects to primary keys', async () => {
    const seen: string[] = [];
    const { clock, controller, source } = setup(async (_o, ctx) => void seen.push(ctx.key));
    const orders = new Source<KubernetesObject>();
    const c2 = new Controller({
      name: 'mapped',
      primary: source,
      watches: [watchOf(orders, (o) => [`${o.metadata?.namespace}/${(o as { spec?: { ref?: string } }).spec?.ref}`])],
      reconcile: async (_o, ctx) => void seen.push(ctx.key),
      clock,
    });
    c2.start();
    orders.put({ metadata: { name: 'o1', namespace: 'ns' }, spec: { ref: 'target' } } as KubernetesObject);
    await clock.advance(10);
    expect(seen).toEqual(['ns/target']);
    await c2.stop();
    await controller.stop();
  });

  it('initialises every metric label to zero at registration', async () => {
    const { metrics } = setup(async () => {});
    const text = await metrics.registry.metrics();
    for (const result of ['success', 'error', 'requeue', 'requeue_after', 'terminal_error']) {
      expect(text).toContain(`occupier_operator_reconcile_total{controller="gizmo",result="${result}"} 0`);
    }
    expect(text).toContain('occupier_operator_reconcile_time_seconds_count{controller="gizmo"} 0');
    expect(text).toContain('occupier_operator_workqueue_retries_total{name="gizmo"} 0');
  });
});

describe('metadataOrSpecChangedBesidesFinalizer', () => {
  const obj = (over: Partial<NonNullable<KubernetesObject['metadata']>> = {}): KubernetesObject => ({ metadata: { name: 'x', generation: 1, finalizers: ['other.dev/f'], labels: { a: 'b' }, ...over } });
  const changed = metadataOrSpecChangedBesidesFinalizer('mine.dev/f');
  it.each([
    ['its own finalizer added (its own write)', obj({ finalizers: ['other.dev/f', 'mine.dev/f'] }), false],
    ['nothing but the resourceVersion', obj({ resourceVersion: '9' }), false],
    ["another controller's finalizer removed", obj({ finalizers: [] }), true],
    ['a label', obj({ labels: { a: 'c' } }), true],
    ['an annotation', obj({ annotations: { 'occupier.dev/retry': 'true' } }), true],
    ['the generation (spec, or deletion)', obj({ generation: 2 }), true],
  ])('%s: %s', (_what, next, want) => {
    expect(changed(obj(), next)).toBe(want);
  });
});
