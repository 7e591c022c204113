/**
 * Runtime behaviour under failure, against the embedded dev cluster: lost leadership stops the
 * controllers, the cache resumes after a network blip, the client-side rate limit holds, errors
 * from real responses are classified once.
 */
import { ApiException, CoordinationV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cache,
  Controller,
  Manager,
  classifyApiError,
  makeRateLimitedApiClient,
  silentLogger,
  TokenBucket,
} from '../../operator/src/runtime/index.ts';
import { GIZMO, eventually, gizmo, startTestCluster, type Gizmo, type TestCluster } from './fixtures/cluster.ts';
import { startProxy } from './fixtures/proxy.ts';

let tc: TestCluster;
let seq = 0;
beforeAll(async () => {
  tc = await startTestCluster();
});
afterAll(async () => {
  await tc?.stop();
});

async function namespace(): Promise<string> {
  const name = `r${++seq}-${Date.now().toString(36)}`;
  await tc.core.createNamespace({ body: { metadata: { name } } });
  return name;
}

describe('manager and leadership', () => {
  it('losing the lease to another holder stops the controllers and ends run() with "lost-leadership"', async () => {
    const ns = await namespace();
    const cache = new Cache<Gizmo>({ kubeConfig: tc.kc, resource: GIZMO, namespace: ns });
    const reconciled: string[] = [];
    const controller = new Controller<Gizmo>({ name: 'lost', primary: cache, reconcile: async (o) => void (o && reconciled.push(o.metadata?.name ?? '')) });
    const manager = new Manager({
      kubeConfig: tc.kc,
      port: 0,
      host: '127.0.0.1',
      handleSignals: false,
      logger: silentLogger(),
      leaderElection: { namespace: ns, leaseName: 'lost-test', identity: 'me', leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 300 },
    });
    manager.addCache(cache);
    manager.addController(controller);
    const run = manager.run();
    await eventually(() => manager.isLeader() && manager.isReady(), 10_000, 'leading');
    await tc.gizmos.create(gizmo('one', {}, ns));
    await eventually(() => reconciled.includes('one'));
    expect(await (await fetch(`http://127.0.0.1:${manager.port}/metrics`)).text()).toContain('occupier_operator_leader_election_master_status{name="lost-test"} 1');

    // another candidate takes the lease (as after a long partition of this process)
    const coord = tc.kc.makeApiClient(CoordinationV1Api);
    const lease = await coord.readNamespacedLease({ name: 'lost-test', namespace: ns });
    await coord.replaceNamespacedLease({ name: 'lost-test', namespace: ns, body: { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: new Date() } } });
    expect(await run).toBe('lost-leadership');
    expect(controller.isRunning()).toBe(false);
    await tc.gizmos.create(gizmo('two', {}, ns));
    await new Promise((r) => setTimeout(r, 300));
    expect(reconciled).not.toContain('two');
    // it did not release someone else's lease
    expect((await coord.readNamespacedLease({ name: 'lost-test', namespace: ns })).spec?.holderIdentity).toBe('intruder');
  });
  it('a leader that cannot renew within the renew deadline stops leading', async () => {
    const ns = await namespace();
    const proxy = await startProxy(Number(new URL(tc.cluster.url).port));
    const kc = new KubeConfig();
    kc.loadFromFile(tc.cluster.kubeconfigPath);
    kc.clusters = [{ ...kc.getCurrentCluster()!, server: `https://127.0.0.1:${proxy.port}` }];
    const cache = new Cache<Gizmo>({ kubeConfig: kc, resource: GIZMO, namespace: ns });
    const controller = new Controller<Gizmo>({ name: 'partitioned', primary: cache, reconcile: async () => {} });
    const manager = new Manager({
      kubeConfig: kc,
      port: null,
      handleSignals: false,
      shutdownTimeoutMs: 500,
      logger: silentLogger(),
      leaderElection: { namespace: ns, leaseName: 'deadline-test', leaseDurationMs: 3_000, renewDeadlineMs: 1_000, retryPeriodMs: 200 },
    });
    manager.addCache(cache);
    manager.addController(controller);
    const run = manager.run();
    await eventually(() => manager.isLeader(), 10_000, 'leading');
    const cutAt = performance.now();
    proxy.cut();
    expect(await run).toBe('lost-leadership');
    const stoppedAfter = performance.now() - cutAt;
    expect(stoppedAfter).toBeGreaterThanOrEqual(800);
    expect(stoppedAfter).toBeLessThan(2_500); // well before the lease (3 s) can expire for the others
    expect(controller.isRunning()).toBe(false);
    await proxy.close();
  });
  it('graceful stop drains in-flight reconciles, bounded by shutdownTimeoutMs', async () => {
    const ns = await namespace();
    const cache = new Cache<Gizmo>({ kubeConfig: tc.kc, resource: GIZMO, namespace: ns });
    const finished: string[] = [];
    const aborted: string[] = [];
    const controller = new Controller<Gizmo>({
      name: 'drain',
      primary: cache,
      workers: 2,
      reconcile: async (obj, ctx) => {
        const name = obj?.metadata?.name ?? '';
        if (name === 'slow') await new Promise((r) => setTimeout(r, 400));
        if (name === 'stuck') await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => (aborted.push(name), r())));
        finished.push(name);
      },
    });
    const manager = new Manager({ kubeConfig: tc.kc, port: null, handleSignals: false, shutdownTimeoutMs: 1_000, logger: silentLogger() });
    manager.addCache(cache);
    manager.addController(controller);
    const run = manager.run();
    await eventually(() => manager.isReady(), 10_000, 'ready');
    await tc.gizmos.create(gizmo('stuck', {}, ns));
    await tc.gizmos.create(gizmo('slow', {}, ns));
    await eventually(() => controller.queue.inFlight() === 2, 5_000, 'both in flight');
    const t0 = performance.now();
    await manager.stop();
    const took = performance.now() - t0;
    expect(await run).toBe('stopped');
    expect(finished).toContain('slow'); // drained
    expect(aborted).toEqual(['stuck']); // aborted once the drain bound passed
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(3_000);
  });
});

describe('cache resilience', () => {
  it('resumes its watch after a network blip without relisting, and without missing events', async () => {
    const ns = await namespace();
    const proxy = await startProxy(Number(new URL(tc.cluster.url).port));
    const kc = new KubeConfig();
    kc.loadFromFile(tc.cluster.kubeconfigPath);
    kc.clusters = [{ ...kc.getCurrentCluster()!, server: `https://127.0.0.1:${proxy.port}` }];
    const cache = new Cache<Gizmo>({ kubeConfig: kc, resource: GIZMO, namespace: ns, backoff: { initialMs: 100, maxMs: 200 } });
    cache.start();
    await cache.waitForSync();
    proxy.cut();
    await tc.gizmos.create(gizmo('during', {}, ns));
    await new Promise((r) => setTimeout(r, 400));
    proxy.restore();
    await eventually(() => cache.get(`${ns}/during`), 10_000, 'event made during the blip');
    expect(cache.listCount()).toBe(1);
    await tc.gizmos.create(gizmo('after', {}, ns));
    await eventually(() => cache.get(`${ns}/after`), 5_000, 'event after the blip');
    await cache.stop();
    await proxy.close();
  });

  it('replays every object to handlers at each resync period', async () => {
    const ns = await namespace();
    await tc.gizmos.create(gizmo('r1', {}, ns));
    const cache = new Cache<Gizmo>({ kubeConfig: tc.kc, resource: GIZMO, namespace: ns, resyncPeriodMs: 150 });
    const resyncs: string[] = [];
    cache.addHandler({ onUpdate: (o, n) => void (o === n && resyncs.push(n.metadata?.name ?? '')) });
    cache.start();
    await cache.waitForSync();
    await eventually(() => resyncs.length >= 2, 3_000, 'two resyncs');
    expect(new Set(resyncs)).toEqual(new Set(['r1']));
    await cache.stop();
  });
});

describe('client-side rate limit', () => {
  it('holds API requests to qps/burst', async () => {
    const ns = await namespace();
    const api = makeRateLimitedApiClient(tc.kc, CustomObjectsApi, { bucket: new TokenBucket({ qps: 20, burst: 5 }) });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 25 }, () => api.listNamespacedCustomObject({ group: GIZMO.group, version: 'v1', plural: 'gizmos', namespace: ns })));
    const elapsed = performance.now() - t0;
    // 5 at once, then 20 more at 20/s → at least ~1 s
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3_000);
  });
});

describe('API error classification', () => {
  it('maps real responses: 404 not-found, 409 conflict, network failure retryable', async () => {
    const ns = await namespace();
    const err404 = await tc.gizmos.get(ns, 'missing').catch((e: unknown) => e);
    expect(err404).toBeInstanceOf(ApiException);
    expect(classifyApiError(err404)).toBe('not-found');
    await tc.gizmos.create(gizmo('dup', {}, ns));
    expect(classifyApiError(await tc.gizmos.create(gizmo('dup', {}, ns)).catch((e: unknown) => e))).toBe('conflict');
    const stale = await tc.gizmos.get(ns, 'dup');
    await tc.gizmos.mergePatch(ns, 'dup', { spec: { size: 9 } });
    expect(classifyApiError(await tc.gizmos.replace(stale).catch((e: unknown) => e))).toBe('conflict');
    const kc = new KubeConfig();
    kc.loadFromFile(tc.cluster.kubeconfigPath);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    kc.clusters = [{ ...kc.getCurrentCluster()!, server: `https://127.0.0.1:${closedPort}` }];
    const dead = kc.makeApiClient(CustomObjectsApi);
    const netErr = await dead.listClusterCustomObject({ group: GIZMO.group, version: 'v1', plural: 'gizmos' }).catch((e: unknown) => e);
    expect(classifyApiError(netErr)).toBe('retryable');
    // The operator's own clients (undici request, runtime/http.ts) fail the same way.
    const deadOwn = makeRateLimitedApiClient(kc, CustomObjectsApi, { qps: 100, burst: 100 });
    expect(classifyApiError(await deadOwn.listClusterCustomObject({ group: GIZMO.group, version: 'v1', plural: 'gizmos' }).catch((e: unknown) => e))).toBe('retryable');
    // An aborted request rejects with its signal's reason; a DOMException's legacy code (23) is no HTTP status.
    expect(classifyApiError(new DOMException('reconcile timed out', 'TimeoutError'))).toBe('retryable');
    expect(classifyApiError(new ApiException(410, 'Expired', {}, {}))).toBe('gone');
    expect(classifyApiError(new ApiException(503, 'Unavailable', {}, {}))).toBe('retryable');
    expect(classifyApiError(new ApiException(422, 'Invalid', {}, {}))).toBe('other');
  });
});

describe('logging', () => {
  it('binds controller, key and reconcileId in reconcile logs', async () => {
    const ns = await namespace();
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    const cache = new Cache<Gizmo>({ kubeConfig: tc.kc, resource: GIZMO, namespace: ns });
    const controller = new Controller<Gizmo>({ name: 'logs', primary: cache, logger, reconcile: async (_o, ctx) => ctx.log.info('hello') });
    cache.start();
    await cache.waitForSync();
    controller.start();
    await tc.gizmos.create(gizmo('l', {}, ns));
    const line = await eventually(() => lines.find((l) => l['msg'] === 'hello'));
    expect(line).toMatchObject({ controller: 'logs', key: `${ns}/l` });
    expect(line['reconcileId']).toMatch(/^[0-9a-f-]{36}$/);
    await controller.stop();
    await cache.stop();
  });
});
