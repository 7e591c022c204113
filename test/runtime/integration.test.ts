/**
 * The runtime against the project's API server (embedded, or a real kube-apiserver), through
 * the real client-node client.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { CoreV1Api, KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cache,
  Controller,
  ControllerRateLimiter,
  EventRecorder,
  eventNamespace,
  FakeClock,
  Manager,
  RuntimeMetrics,
  finalizer,
  makeRateLimitedApiClient,
  pooledKubeConfig,
  updateStatus,
  putStatus,
  silentLogger,
  type ReconcileContext,
} from '../../operator/src/runtime/index.ts';
import { GIZMO, eventually, gizmo, startTestCluster, type Gizmo, type TestCluster } from './fixtures/cluster.ts';
import { startProxy } from './fixtures/proxy.ts';

let tc: TestCluster;
let nsSeq = 0;

beforeAll(async () => {
  tc = await startTestCluster({ watchWindow: 20 });
});
afterAll(async () => {
  await tc?.stop();
});

/** A fresh namespace per test, so caches and assertions do not see each other's objects. */
async function namespace(): Promise<string> {
  const name = `t${++nsSeq}-${Date.now().toString(36)}`;
  await tc.core.createNamespace({ body: { metadata: { name } } });
  return name;
}

function gizmoCache(ns: string, extra: Partial<ConstructorParameters<typeof Cache<Gizmo>>[0]> = {}): Cache<Gizmo> {
  return new Cache<Gizmo>({ kubeConfig: tc.kc, resource: GIZMO, namespace: ns, ...extra });
}

describe('controller against the dev cluster', () => {
  it('backs off with growing delays while reconcile fails, and starts from the base again after a success', async () => {
    const ns = await namespace();
    const cache = gizmoCache(ns);
    const attempts: number[] = [];
    let failUntil = 5;
    const controller = new Controller<Gizmo>({
      name: 'backoff',
      primary: cache,
      rateLimiter: new ControllerRateLimiter({ baseMs: 20 }),
      reconcile: async (obj) => {
        if (!obj) return;
        attempts.push(performance.now());
        if (attempts.length <= failUntil) throw new Error('driver unavailable');
      },
    });
    cache.start();
    await cache.waitForSync();
    controller.start();
    await tc.gizmos.create(gizmo('g', { size: 1 }, ns));
    await eventually(() => attempts.length === 6, 10_000, '6 attempts');
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    // 20, 40, 80, 160, 320 ms (timers never fire early; allow scheduling slack above)
    gaps.forEach((g, i) => expect(g).toBeGreaterThanOrEqual(20 * 2 ** i - 1));
    gaps.forEach((g, i) => expect(g).toBeLessThan(20 * 2 ** i + 300));
    expect(controller.queue.numRequeues(`${ns}/g`)).toBe(0);

    failUntil = 7;
    await tc.gizmos.mergePatch(ns, 'g', { spec: { size: 2 } });
    await eventually(() => attempts.length === 8, 10_000, '8 attempts');
    // reset: the first retry waits the base 20 ms again, not 20·2^5 = 640 ms
    expect(attempts[7]! - attempts[6]!).toBeLessThan(20 + 300);
    expect(attempts[7]! - attempts[6]!).toBeGreaterThanOrEqual(19);
    await controller.stop();
    await cache.stop();
  });

  it('a reconciler gets the cache\'s own object, frozen: changing it fails that pass loudly and the cache keeps what the server has', async () => {
    const ns = await namespace();
    const cache = gizmoCache(ns);
    const got: (Gizmo | undefined)[] = [];
    const errors: string[] = [];
    const controller = new Controller<Gizmo>({
      name: 'frozen',
      primary: cache,
      rateLimiter: new ControllerRateLimiter({ baseMs: 20 }),
      reconcile: async (obj) => {
        got.push(obj);
        if (!obj || got.length > 1) return;
        try {
          (obj.spec as { size?: number }).size = 99;
        } catch (err) {
          errors.push((err as Error).message);
          throw err;
        }
      },
    });
    cache.start();
    await cache.waitForSync();
    controller.start();
    await tc.gizmos.create(gizmo('ice', { size: 1 }, ns));
    await eventually(() => got.length >= 2, 10_000, 'a retry after the failed pass');
    expect(got[0]).toBe(cache.get(`${ns}/ice`));
    expect(Object.isFrozen(got[0]?.spec)).toBe(true);
    expect(Object.isFrozen(got[0]?.metadata?.labels ?? got[0]?.metadata)).toBe(true);
    expect(errors[0]).toMatch(/read only|read-only/);
    expect(cache.get(`${ns}/ice`)?.spec?.size).toBe(1);
    await controller.stop();
    await cache.stop();
  });

  it('a burst of 1,000 updates to one key is reconciled a handful of times, never concurrently, ending on the last state', async () => {
    const ns = await namespace();
    const cache = gizmoCache(ns);
    let running = 0;
    let maxRunning = 0;
    const seenSizes: number[] = [];
    const controller = new Controller<Gizmo>({
      name: 'burst',
      primary: cache,
      workers: 4,
      reconcile: async (obj) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        seenSizes.push(obj?.spec?.size ?? -1);
        await new Promise((r) => setTimeout(r, 500));
        running--;
      },
    });
    cache.start();
    await cache.waitForSync();
    await tc.gizmos.create(gizmo('hot', { size: 0 }, ns));
    controller.start();
    const t0 = performance.now();
    let next = 1;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next <= 1_000) {
          const size = next++;
          await tc.gizmos.mergePatch(ns, 'hot', { metadata: { annotations: { size: String(size) } }, spec: { size } });
        }
      }),
    );
    const burstMs = performance.now() - t0;
    const final = await tc.gizmos.get(ns, 'hot');
    const finalSize = final.spec?.size ?? 0;
    await eventually(() => seenSizes.at(-1) === finalSize && running === 0 && controller.queue.len() === 0, 10_000, 'last state reconciled');
    console.log(`burst: 1000 updates in ${burstMs.toFixed(0)} ms -> ${seenSizes.length} reconciles`);
    expect(maxRunning).toBe(1);
    // updates arriving during a reconcile coalesce into one more: at most one reconcile per 500 ms
    expect(seenSizes.length).toBeLessThanOrEqual(Math.ceil(burstMs / 500) + 3);
    expect(seenSizes.length).toBeLessThan(100);
    await controller.stop();
    await cache.stop();
  });

  it('scheduled wake-ups: the earlier of two requests wins, the later one is dropped', async () => {
    const ns = await namespace();
    const cache = gizmoCache(ns);
    const at: number[] = [];
    let t0 = 0;
    const controller = new Controller<Gizmo>({
      name: 'schedule',
      primary: cache,
      reconcile: async (obj) => {
        if (!obj) return;
        at.push(performance.now() - t0);
        return at.length === 1 ? { requeueAfter: 2_000 } : { requeueAfter: 60_000 };
      },
    });
    cache.start();
    await cache.waitForSync();
    controller.start();
    t0 = performance.now();
    await tc.gizmos.create(gizmo('s', {}, ns));
    await eventually(() => at.length === 1);
    controller.enqueue(`${ns}/s`, 5_000); // later than the pending 2 s: dropped
    controller.enqueue(`${ns}/s`, 400); // earlier: wins
    await new Promise((r) => setTimeout(r, 2_600));
    expect(at).toHaveLength(2);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(399);
    expect(at[1]! - at[0]!).toBeLessThan(1_500);
    await controller.stop();
    await cache.stop();
  });

  it('finalizer helper: adding ends the pass, apply runs with the finalizer, cleanup runs before removal', async () => {
    const ns = await namespace();
    const cache = gizmoCache(ns);
    const log: string[] = [];
    const controller = new Controller<Gizmo>({
      name: 'finalizer',
      primary: cache,
      reconcile: async (obj) => {
        if (!obj) {
          log.push('gone');
          return;
        }
        return finalizer(tc.gizmos, obj, 'runtime.test.example.com/cleanup', {
          apply: async (o) => void log.push(`apply:${o.metadata?.finalizers?.join(',')}`),
          cleanup: async () => void log.push('cleanup'),
        });
      },
    });
    cache.start();
    await cache.waitForSync();
    controller.start();
    await tc.gizmos.create({ ...gizmo('f', {}, ns), metadata: { name: 'f', namespace: ns, finalizers: ['someone.else/keep'] } });
    await eventually(() => log.includes('apply:someone.else/keep,runtime.test.example.com/cleanup'), 5_000, 'apply');
    await tc.gizmos.delete(ns, 'f');
    await eventually(() => log.includes('cleanup'), 5_000, 'cleanup');
    const after = await eventually(async () => {
      const o = await tc.gizmos.get(ns, 'f');
      return o.metadata?.finalizers?.length === 1 ? o : undefined;
    });
    expect(after.metadata?.finalizers).toEqual(['someone.else/keep']);
    await tc.gizmos.jsonPatch(ns, 'f', [{ op: 'remove', path: '/metadata/finalizers/0' }]);
    await eventually(() => log.includes('gone'), 5_000, 'deleted');
    expect(log.filter((l) => l.startsWith('apply'))).not.toHaveLength(0);
    expect(log.indexOf('cleanup')).toBeGreaterThan(log.findIndex((l) => l.startsWith('apply')));
    await controller.stop();
    await cache.stop();
  });
  it('finalizer helper with applyAfterAdd: one pass adds the finalizer and applies the patched object (it carries it)', async () => {
    const ns = await namespace();
    const created = await tc.gizmos.create(gizmo('h', {}, ns));
    const seen: string[] = [];
    await finalizer(tc.gizmos, created, 'runtime.test.example.com/cleanup', {
      apply: async (o) => void seen.push(o.metadata?.finalizers?.join(',') ?? ''),
      cleanup: async () => undefined,
      applyAfterAdd: true,
    });
    expect(seen).toEqual(['runtime.test.example.com/cleanup']);
    expect((await tc.gizmos.get(ns, 'h')).metadata?.finalizers).toEqual(['runtime.test.example.com/cleanup']);
  });
  it('finalizer removal is guarded: a stale index fails the patch instead of removing the wrong entry', async () => {
    const ns = await namespace();
    const name = 'runtime.test.example.com/cleanup';
    await tc.gizmos.create({ ...gizmo('g', {}, ns), metadata: { name: 'g', namespace: ns, finalizers: ['other.example.com/a', name] } });
    await tc.gizmos.delete(ns, 'g');
    const stale = await tc.gizmos.get(ns, 'g');
    expect(stale.metadata?.deletionTimestamp).toBeTruthy();
    // someone else removes theirs: ours moves from index 1 to 0
    await tc.gizmos.jsonPatch(ns, 'g', [{ op: 'remove', path: '/metadata/finalizers/0' }]);
    let cleanups = 0;
    const handlers = { apply: async () => {}, cleanup: async () => void cleanups++ };
    await expect(finalizer(tc.gizmos, stale, name, handlers)).rejects.toThrow(
      new RegExp(`^removing finalizer ${name.replace(/\./g, '\\.')} on Gizmo ${ns}/g: the object changed since this pass read it`),
    );
    expect((await tc.gizmos.get(ns, 'g')).metadata?.finalizers).toEqual([name]);
    // the retry works from a fresh object (cleanup is idempotent: it ran twice)
    await finalizer(tc.gizmos, await tc.gizmos.get(ns, 'g'), name, handlers);
    expect(cleanups).toBe(2);
    await eventually(async () => (await tc.gizmos.get(ns, 'g').catch(() => 'gone')) === 'gone', 5_000, 'object deleted');
  });
});

describe('status writes', () => {
  it('retry on conflict: re-read and re-apply the mutator', async () => {
    const ns = await namespace();
    const created = await tc.gizmos.create(gizmo('c', {}, ns));
    let calls = 0;
    // Both writers start from the same (soon stale) object: one of them must conflict.
    const [a, b] = await Promise.all([
      updateStatus(tc.gizmos, ns, 'c', (o) => {
        calls++;
        o.status = { ...o.status, notes: [...(o.status?.notes ?? []), 'a'] };
      }, { current: created }),
      updateStatus(tc.gizmos, ns, 'c', (o) => {
        calls++;
        o.status = { ...o.status, notes: [...(o.status?.notes ?? []), 'b'] };
      }, { current: created }),
    ]);
    expect(calls).toBe(3);
    const final = await tc.gizmos.get(ns, 'c');
    expect([...(final.status?.notes ?? [])].sort()).toEqual(['a', 'b']);
    expect([a.metadata?.resourceVersion, b.metadata?.resourceVersion]).toContain(final.metadata?.resourceVersion);
    // a mutator returning false writes nothing
    const same = await updateStatus(tc.gizmos, ns, 'c', () => false);
    expect(same.metadata?.resourceVersion).toBe(final.metadata?.resourceVersion);
  });

  it('putStatus: the whole status without copying the object; no write when unchanged; a conflict re-reads and checks again; tells what it replaced', async () => {
    const ns = await namespace();
    const created = await tc.gizmos.create(gizmo('p', {}, ns));
    const unchanged = (want: string[]) => (st: { notes?: string[] } | undefined): boolean => JSON.stringify(st?.notes ?? []) === JSON.stringify(want);
    const spec = created.spec;
    const first = await putStatus(tc.gizmos, created, { notes: ['one'] }, unchanged(['one']));
    expect(first).toMatchObject({ written: true, replaced: created.status });
    expect(first.object.status?.notes).toEqual(['one']);
    expect(created.spec).toBe(spec); // nothing of the caller's object was replaced or cloned into it
    expect(created.status?.notes).toBeUndefined();
    // unchanged: no write (same resourceVersion)
    const again = await putStatus(tc.gizmos, first.object, { notes: ['one'] }, unchanged(['one']));
    expect(again.written).toBe(false);
    expect(again.object.metadata?.resourceVersion).toBe(first.object.metadata?.resourceVersion);
    // from the stale `created`: 409, re-read, and the re-read status already is the one wanted → no write
    const stale = await putStatus(tc.gizmos, created, { notes: ['one'] }, unchanged(['one']));
    expect(stale.written).toBe(false);
    expect(stale.object.metadata?.resourceVersion).toBe(first.object.metadata?.resourceVersion);
    // from the stale `created` with a new status: 409, re-read, written; it replaced the stored ['one'], not the stale copy's
    const written = await putStatus(tc.gizmos, created, { notes: ['two'] }, unchanged(['two']));
    expect((await tc.gizmos.get(ns, 'p')).status?.notes).toEqual(['two']);
    expect(written).toMatchObject({ written: true, replaced: { notes: ['one'] } });
    expect(written.object.metadata?.resourceVersion).not.toBe(first.object.metadata?.resourceVersion);
  });
});

describe('cache', () => {
  it('relists after 410 Gone (or resumes) and misses no object (adds, updates and deletes made while the watch was cut)', async () => {
    const ns = await namespace();
    const proxy = await startProxy(Number(new URL(tc.cluster.url).port));
    const kc = new KubeConfig();
    kc.loadFromFile(tc.cluster.kubeconfigPath);
    const cluster = kc.getCurrentCluster()!;
    kc.clusters = [{ ...cluster, server: `https://127.0.0.1:${proxy.port}` }];
    for (let i = 0; i < 5; i++) await tc.gizmos.create(gizmo(`keep-${i}`, { size: i }, ns));
    for (let i = 0; i < 5; i++) await tc.gizmos.create(gizmo(`doomed-${i}`, {}, ns));
    const cache = new Cache<Gizmo>({ kubeConfig: kc, resource: GIZMO, namespace: ns, backoff: { initialMs: 200, maxMs: 400 }, logger: silentLogger() });
    const deleted: string[] = [];
    cache.addHandler({ onDelete: (o) => deleted.push(o.metadata?.name ?? '') });
    cache.start();
    await cache.waitForSync();
    expect(cache.list()).toHaveLength(10);
    expect(cache.listCount()).toBe(1);

    proxy.cut();
    // more changes than the server's watch window (20 events) while the cache is cut off
    for (let i = 0; i < 5; i++) await tc.gizmos.delete(ns, `doomed-${i}`);
    for (let i = 0; i < 5; i++) await tc.gizmos.mergePatch(ns, `keep-${i}`, { spec: { size: 100 + i } });
    for (let i = 0; i < 20; i++) await tc.gizmos.create(gizmo(`new-${i}`, {}, ns));
    await new Promise((r) => setTimeout(r, 300));
    proxy.restore();

    // The embedded cluster keeps 20 events here, so the resumed watch gets 410 and the cache
    // relists. A real kube-apiserver's watch cache still holds these 30 events (it keeps minutes
    // of history; a 410 there needs etcd compaction past the cache), so the watch resumes.
    if (tc.kind === 'dev') await eventually(() => cache.listCount() >= 2, 20_000, 'relist');
    await eventually(() => cache.list().length === 25, 20_000, '25 objects');
    const server = (await tc.gizmos.api.listNamespacedCustomObject({ group: GIZMO.group, version: 'v1', plural: 'gizmos', namespace: ns })) as { items: Gizmo[] };
    const expected = Object.fromEntries(server.items.map((o) => [o.metadata?.name, o.metadata?.resourceVersion]));
    const cached = Object.fromEntries(cache.list().map((o) => [o.metadata?.name, o.metadata?.resourceVersion]));
    expect(cached).toEqual(expected);
    expect(deleted.sort()).toEqual(['doomed-0', 'doomed-1', 'doomed-2', 'doomed-3', 'doomed-4']);
    expect(cache.get(`${ns}/keep-3`)?.spec?.size).toBe(103);
    await cache.stop();
    await proxy.close();
  });

  it('indexes objects and keeps indexes current on update and delete', async () => {
    const ns = await namespace();
    const cache = gizmoCache(ns, { indexers: { ref: (o) => (o.spec?.ref ? [o.spec.ref] : []) } });
    cache.start();
    await cache.waitForSync();
    await tc.gizmos.create(gizmo('o1', { ref: 'alpha' }, ns));
    await tc.gizmos.create(gizmo('o2', { ref: 'alpha' }, ns));
    await tc.gizmos.create(gizmo('o3', { ref: 'beta' }, ns));
    await eventually(() => cache.byIndex('ref', 'alpha').length === 2);
    await tc.gizmos.mergePatch(ns, 'o2', { spec: { ref: 'beta' } });
    await tc.gizmos.delete(ns, 'o3');
    await eventually(() => cache.byIndex('ref', 'alpha').length === 1 && cache.byIndex('ref', 'beta').length === 1);
    expect(cache.byIndex('ref', 'beta').map((o) => o.metadata?.name)).toEqual(['o2']);
    await cache.stop();
  });
  it('works for core-group kinds too (ConfigMaps)', async () => {
    const ns = await namespace();
    await tc.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before' }, data: { a: '1' } } });
    const cache = new Cache<V1ConfigMap>({ kubeConfig: tc.kc, resource: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap' }, namespace: ns, labelSelector: 'app=x' });
    await tc.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'labelled', labels: { app: 'x' } }, data: { a: '1' } } });
    cache.start();
    await cache.waitForSync();
    expect(cache.keys()).toEqual([`${ns}/labelled`]);
    await tc.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'later', labels: { app: 'x' } } } });
    await tc.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'other', labels: { app: 'y' } } } });
    await eventually(() => cache.get(`${ns}/later`));
    expect(cache.get(`${ns}/other`)).toBeUndefined();
    await cache.stop();
  });

  it('holds objects without managedFields, and a write from a cached object keeps the server\'s', async () => {
    const ns = await namespace();
    await tc.gizmos.create(gizmo('lean', { size: 1 }, ns));
    const cache = gizmoCache(ns);
    cache.start();
    await cache.waitForSync();
    const stored = await tc.gizmos.get(ns, 'lean');
    expect(stored.metadata?.managedFields?.length ?? 0).toBeGreaterThan(0); // the server keeps them
    const cached = cache.get(`${ns}/lean`);
    expect(cached?.metadata?.resourceVersion).toBe(stored.metadata?.resourceVersion);
    expect(cached?.metadata).not.toHaveProperty('managedFields');
    // PUT (spec) and PUT /status from cached copies: managedFields omitted → the server's are kept and extended
    const copy = structuredClone(cached) as Gizmo;
    copy.metadata = { ...copy.metadata, labels: { lean: 'yes' } };
    await tc.gizmos.replace(copy);
    const fresh = await eventually(() => {
      const c = cache.get(`${ns}/lean`);
      return c?.metadata?.labels?.['lean'] === 'yes' ? c : undefined;
    });
    await tc.gizmos.replaceStatus({ ...fresh, status: { notes: ['kept'] } });
    const after = await tc.gizmos.get(ns, 'lean');
    const managers = (after.metadata?.managedFields ?? []).map((m) => `${m.operation ?? ''}${m.subresource ? `/${m.subresource}` : ''}`);
    expect(managers).toContain('Update');
    expect(managers).toContain('Update/status');
    expect(JSON.stringify(after.metadata?.managedFields)).toContain('f:lean');
    await eventually(() => cache.get(`${ns}/lean`)?.status?.notes?.[0] === 'kept');
    expect(cache.get(`${ns}/lean`)?.metadata).not.toHaveProperty('managedFields');
    // a cache that keeps everything (transform: null) holds them
    const full = gizmoCache(ns, { transform: null });
    full.start();
    await full.waitForSync();
    expect(full.get(`${ns}/lean`)?.metadata?.managedFields?.length ?? 0).toBeGreaterThan(0);
    await full.stop();
    await cache.stop();
  });
});

describe('events', () => {
  it('aggregates repeats into one Event with a count, and rate-limits per object', async () => {
    const ns = await namespace();
    const obj = await tc.gizmos.create(gizmo('e', {}, ns));
    const recorder = new EventRecorder({ core: tc.core, component: 'runtime-test', perObjectBurst: 25 });
    for (let i = 0; i < 10; i++) await recorder.warning(obj, 'DriverFailed', 'network driver timed out');
    await recorder.normal(obj, 'Provisioned', 'all done');
    const list = await tc.core.listNamespacedEvent({ namespace: ns });
    const failed = list.items.filter((e) => e.reason === 'DriverFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      type: 'Warning',
      count: 10,
      message: 'network driver timed out',
      involvedObject: { kind: 'Gizmo', name: 'e', namespace: ns, uid: obj.metadata?.uid },
      source: { component: 'runtime-test' },
      reportingComponent: 'runtime-test',
    });
    expect(new Date(failed[0]!.lastTimestamp!).getTime()).toBeGreaterThanOrEqual(new Date(failed[0]!.firstTimestamp!).getTime());
    expect(list.items.filter((e) => e.reason === 'Provisioned')).toHaveLength(1);

    // a hot loop with distinct messages: the per-object bucket (25, 11 used) lets 14 more through
    for (let i = 0; i < 40; i++) await recorder.warning(obj, 'Loop', `attempt ${i}`);
    const after = await tc.core.listNamespacedEvent({ namespace: ns });
    expect(after.items.filter((e) => e.reason === 'Loop')).toHaveLength(14);
    expect(recorder.dropped()).toBe(26);
  });

  it('starts a new Event once the aggregation window has passed', async () => {
    const ns = await namespace();
    const obj = await tc.gizmos.create(gizmo('w', {}, ns));
    const clock = new FakeClock(Date.now());
    const recorder = new EventRecorder({ core: tc.core, component: 'runtime-test', windowMs: 60_000, clock });
    await recorder.normal(obj, 'Synced', 'ok');
    await clock.advance(59_000);
    await recorder.normal(obj, 'Synced', 'ok');
    await clock.advance(61_000);
    await recorder.normal(obj, 'Synced', 'ok');
    const events = (await tc.core.listNamespacedEvent({ namespace: ns })).items.filter((e) => e.reason === 'Synced');
    expect(events.map((e) => e.count).sort()).toEqual([1, 2]);
  });

  it('names every Event about one object uniquely, even 100 recorded in the same millisecond (none refused as AlreadyExists)', async () => {
    const ns = await namespace();
    const obj = await tc.gizmos.create(gizmo('same-ms', {}, ns));
    const clock = new FakeClock(Date.parse('2027-01-12T09:00:00Z'));
    const recorder = new EventRecorder({ core: tc.core, component: 'runtime-test', perObjectBurst: 100, clock });
    await Promise.all(Array.from({ length: 100 }, (_, i) => recorder.normal(obj, `Step${i}`, `step ${i}`)));
    const events = (await tc.core.listNamespacedEvent({ namespace: ns })).items;
    expect(events).toHaveLength(100);
    expect(new Set(events.map((e) => e.metadata?.name)).size).toBe(100);
    for (const e of events) expect(e.metadata?.name).toMatch(/^same-ms\.[0-9a-f]+$/);
  });
});

describe('event writes', () => {
  it('go at most `concurrency` at once, the rest queued: a queued Event keeps the time it was recorded; beyond `maxQueued` they are dropped and counted', async () => {
    const ns = await namespace();
    const obj = await tc.gizmos.create(gizmo('q', {}, ns));
    const clock = new FakeClock(Date.parse('2027-01-12T09:00:00Z'));
    const recorder = new EventRecorder({ core: tc.core, component: 'runtime-test', concurrency: 1, maxQueued: 3, clock });
    // One write in flight, three waiting, the other six dropped.
    const written = Array.from({ length: 10 }, (_, i) => recorder.normal(obj, `Step${i}`, `step ${i}`));
    await clock.advance(30_000); // the queued ones are written after this
    await Promise.all(written);
    expect(recorder.dropped()).toBe(6);
    const events = (await tc.core.listNamespacedEvent({ namespace: ns })).items.sort((a, b) => Number(a.metadata?.resourceVersion) - Number(b.metadata?.resourceVersion));
    expect(events.map((e) => e.reason)).toEqual(['Step0', 'Step1', 'Step2', 'Step3']);
    for (const e of events) expect(new Date(e.firstTimestamp ?? 0).toISOString()).toBe('2027-01-12T09:00:00.000Z');
  });
});

describe('events about cluster-scoped and namespaced objects', () => {
  it('writes an Event about a cluster-scoped object to "default" and one about a namespaced object to its namespace, where the API server accepts them', async () => {
    const ns = await namespace();
    // A Namespace is cluster-scoped, as the operator's Site is.
    const nsObj = { apiVersion: 'v1', kind: 'Namespace', ...(await tc.core.readNamespace({ name: ns })) };
    expect(eventNamespace(nsObj)).toBe('default');
    const giz = await tc.gizmos.create(gizmo('ev', {}, ns));
    expect(eventNamespace(giz)).toBe(ns);
    const recorder = new EventRecorder({ core: tc.core, component: 'runtime-test' });
    await recorder.warning(nsObj, 'Unreachable', 'site network driver timed out');
    await recorder.warning(nsObj, 'Unreachable', 'site network driver timed out');
    await recorder.normal(giz, 'Provisioned', 'done');
    const cluster = (await tc.core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${ns}` })).items;
    expect(cluster).toHaveLength(1);
    expect(cluster[0]).toMatchObject({ reason: 'Unreachable', count: 2, involvedObject: { kind: 'Namespace', name: ns } });
    expect(cluster[0]?.involvedObject.namespace).toBeUndefined();
    const local = (await tc.core.listNamespacedEvent({ namespace: ns })).items.filter((e) => e.reason === 'Provisioned');
    expect(local).toHaveLength(1);
    expect(local[0]?.involvedObject).toMatchObject({ kind: 'Gizmo', name: 'ev', namespace: ns });
    // Anywhere else the API server refuses it: what the recorder must never do.
    await expect(tc.core.createNamespacedEvent({ namespace: ns, body: { metadata: { name: `misplaced-${ns}` }, involvedObject: { kind: 'Namespace', name: ns }, reason: 'X', message: 'x', type: 'Normal' } }))
      .rejects.toMatchObject({ code: 422 });
    await tc.core.deleteNamespacedEvent({ namespace: 'default', name: String(cluster[0]?.metadata?.name) });
  });
});

describe('manager', () => {
  it('serves /metrics with every runtime metric name, /healthz and /readyz', async () => {
    const ns = await namespace();
    const metrics = new RuntimeMetrics();
    const cache = gizmoCache(ns);
    const controller = new Controller<Gizmo>({ name: 'gizmo', primary: cache, metrics, reconcile: async (_o, _ctx: ReconcileContext) => {} });
    const manager = new Manager({ kubeConfig: tc.kc, port: 0, host: '127.0.0.1', metrics, handleSignals: false, logger: silentLogger() });
    manager.addCache(cache);
    manager.addController(controller);
    const run = manager.run();
    await eventually(() => manager.port);
    const base = `http://127.0.0.1:${manager.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 5_000, 'ready');
    await tc.gizmos.create(gizmo('m', {}, ns));
    const text = await eventually(async () => {
      const t = await (await fetch(`${base}/metrics`)).text();
      return t.includes('occupier_operator_reconcile_total{controller="gizmo",result="success"} 1') ? t : undefined;
    });
    for (const name of [
      'occupier_operator_reconcile_total',
      'occupier_operator_reconcile_errors_total',
      'occupier_operator_reconcile_time_seconds',
      'occupier_operator_workqueue_depth',
      'occupier_operator_workqueue_adds_total',
      'occupier_operator_workqueue_queue_duration_seconds',
      'occupier_operator_workqueue_work_duration_seconds',
      'occupier_operator_workqueue_unfinished_work_seconds',
      'occupier_operator_workqueue_longest_running_processor_seconds',
      'occupier_operator_workqueue_retries_total',
      'occupier_operator_leader_election_master_status',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('occupier_operator_reconcile_total{controller="gizmo",result="terminal_error"} 0');
    expect(text).toContain('occupier_operator_workqueue_adds_total{name="gizmo"} 1');
    await manager.stop();
    expect(await run).toBe('stopped');
  });
});

describe('one keep-alive connection pool per KubeConfig', () => {
  it('60 requests from two API clients of one KubeConfig open a handful of connections, not one each', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(tc.kc.exportConfig());
    expect(pooledKubeConfig(kc)).toBe(pooledKubeConfig(kc));
    expect(pooledKubeConfig(pooledKubeConfig(kc))).toBe(pooledKubeConfig(kc));
    let connects = 0;
    const onConnect = (): void => void connects++;
    // undici reports every new connection on this channel (its diagnostics_channel API).
    subscribe('undici:client:connected', onConnect);
    try {
      const ns = await namespace();
      const a = makeRateLimitedApiClient(kc, CoreV1Api, { qps: 1000, burst: 1000 });
      const b = makeRateLimitedApiClient(kc, CoreV1Api, { qps: 1000, burst: 1000 });
      for (let i = 0; i < 30; i++) {
        await a.listNamespacedConfigMap({ namespace: ns });
        await b.readNamespace({ name: ns });
      }
    } finally {
      unsubscribe('undici:client:connected', onConnect);
    }
    expect(connects).toBeGreaterThan(0);
    expect(connects).toBeLessThanOrEqual(3);
  });
});
