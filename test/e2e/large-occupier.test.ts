/**
 * Size (issue 13): an Occupier and its orders stay within the API server's object limit
 * (etcd: 1.5 MiB) however large the occupier. A 10,000-user occupier reaches Ready with the
 * per-item lists of its status in ConfigMaps (status.details), is edited and re-provisioned from
 * them, is decommissioned by an order that stays under 256 KiB, and leaves no ConfigMap behind
 * when deleted; a status the server refuses for its size is told in a Warning Event instead of
 * being retried forever. The same file runs on the embedded and on a real API server.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperator } from '../../operator/src/operator.ts';
import type { RunningOperator } from '../../operator/src/operator.ts';
import { silentLogger } from '../../operator/src/runtime/index.ts';
import { withCluster } from '../support/cluster.ts';
import { tearDown } from '../support/process.ts';
import type { ClusterEnv } from '../support/cluster.ts';
import { conditionOf, decommission, manifest, NS, Objects, occupier, phaseOf, site, until } from '../support/estate.ts';
import type { Obj } from '../support/estate.ts';

let env: ClusterEnv;
let op: RunningOperator;
let stateDir: string;
let objects: Objects;
const SITES = [{ name: 'big-1', index: 1 }];
const USERS = 10_000;
const ETCD_LIMIT = 1.5 * 1024 * 1024;
const kubectl = (args: string[], stdin?: string): Promise<string> => env.kubectlOk(args, stdin);
/** Bytes of the object as stored (compact JSON). */
const storedBytes = (o: Obj | undefined): number => Buffer.byteLength(JSON.stringify(o ?? {}));
type Status = {
  details?: { configMaps: string[]; sha256: string; bytes: number };
  sites?: { site: string; inventory?: string[]; counts?: { inventory: number; history: number; numbers: number; ports: number; wifiDevices: number } }[];
  users?: { total: number; ready: number };
};
const statusOf = (o: Obj | undefined): Status => (o?.status ?? {}) as Status;

async function eventsOf(name: string): Promise<{ type: string; reason: string; message: string }[]> {
  const out = await kubectl(['-n', NS, 'get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json']);
  return (JSON.parse(out) as { items: { type: string; reason: string; message: string }[] }).items;
}

/** What `kubectl -n NS get configmap <names> -o jsonpath='{.binaryData.sites\.json\.gz}' | base64 -d | gunzip` prints. */
async function detailsJson(names: string[]): Promise<Status['sites']> {
  const parts: Buffer[] = [];
  for (const n of names) parts.push(Buffer.from(await kubectl(['-n', NS, 'get', 'configmap', n, '-o', 'jsonpath={.binaryData.sites\\.json\\.gz}']), 'base64'));
  return JSON.parse(gunzipSync(Buffer.concat(parts)).toString('utf8')) as Status['sites'];
}

const detailConfigMaps = async (uid: string): Promise<string[]> =>
  (await kubectl(['-n', NS, 'get', 'configmap', '-l', `occupier.dev/part=status-details,occupier.dev/occupier-uid=${uid}`, '-o', 'name'])).split('\n').filter(Boolean);

const reconciles = async (result: string): Promise<number> => {
  const m = await op.manager.registry.getSingleMetric('occupier_operator_reconcile_total')?.get();
  return m?.values.find((v) => v.labels.controller === 'occupier' && v.labels.result === result)?.value ?? 0;
};

/** The operator in this process, its simulated providers persisted in `stateDir` (the same outside world across restarts). */
const startOp = (): RunningOperator => startOperator({ kubeConfig: env.kubeConfig, metricsPort: null, handleSignals: false, logger: silentLogger(), stateDir });

/** Stops the operator, does `whileDown`, starts a new one. */
async function restartOperator(whileDown: () => Promise<unknown> = async () => undefined): Promise<void> {
  await op.stop();
  await op.done;
  await whileDown();
  op = startOp();
}

beforeAll(async () => {
  env = await withCluster();
  objects = new Objects(env.kubeConfig);
  stateDir = mkdtempSync(join(tmpdir(), 'large-occupier-'));
  op = startOp();
  await kubectl(['create', 'namespace', NS]);
  await kubectl(['apply', '-f', '-'], manifest(...SITES.map((s) => site(s.name, s.index))));
  await until('operator ready', async () => op.manager.isReady());
}, 120_000);

afterAll(async () => {
  await tearDown({ operator: op, cluster: env, stateDir });
}, 60_000);

describe(`a ${USERS.toLocaleString('en')}-user occupier`, () => {
  let uid = '';

  it('reaches Ready with the per-item lists of its status in ConfigMaps, told in an Event', async () => {
    // `kubectl create`: a client-side apply would keep the spec twice (last-applied annotation).
    await kubectl(['create', '-f', '-'], manifest(occupier('big', 1, { sites: SITES, users: USERS, numbers: 2, devices: 1, ports: 1 })));
    const ready = await until('big Ready', async () => {
      const o = await objects.get('occupiers', 'big');
      return conditionOf(o, 'Ready')?.status === 'True' ? o : undefined;
    }, 300_000, 1_000);
    uid = String((ready.metadata as { uid: string }).uid);
    const status = statusOf(ready);
    expect(storedBytes(ready)).toBeLessThan(ETCD_LIMIT);
    expect(Buffer.byteLength(JSON.stringify(status))).toBeLessThan(64 * 1024);
    expect(status.users).toMatchObject({ total: USERS, ready: USERS });
    const [summary] = status.sites ?? [];
    expect(summary?.inventory).toBeUndefined();
    // Per user a directory account, a Wi-Fi account and an access user; plus the site's items.
    expect(summary?.counts?.inventory).toBeGreaterThan(3 * USERS);
    expect(summary?.counts).toMatchObject({ numbers: 2, ports: 1, wifiDevices: 1 });
    const whole = await detailsJson(status.details?.configMaps ?? []);
    expect(whole?.[0]?.inventory).toHaveLength(summary?.counts?.inventory ?? -1);
    expect(whole?.[0]?.inventory).toContain(`directory/account/user${USERS - 1}@big.example`);
    const told = (await eventsOf('big')).find((e) => e.reason === 'DetailsInConfigMaps');
    expect(told?.message).toContain(`kubectl -n ${NS} get configmap ${status.details?.configMaps.join(' ')}`);
    expect(await detailConfigMaps(uid)).toHaveLength(status.details?.configMaps.length ?? -1);
  }, 360_000);

  it('an edit removes what the spec no longer wants, read from the stored inventory; the old ConfigMaps go', async () => {
    const before = statusOf(await objects.get('occupiers', 'big'));
    const gone = `user${USERS - 1}@big.example`;
    expect(op.drivers.backend.list({ name: 'big-1' }, 'directory', 'account', `${NS}/big`).some((i) => i.key === gone)).toBe(true);
    await kubectl(['-n', NS, 'patch', 'occupier', 'big', '--type', 'json', '-p', JSON.stringify([{ op: 'test', path: `/spec/users/${USERS - 1}/email`, value: gone }, { op: 'remove', path: `/spec/users/${USERS - 1}` }])]);
    const after = await until('big re-provisioned', async () => {
      const s = statusOf(await objects.get('occupiers', 'big'));
      return s.users?.total === USERS - 1 && s.details?.sha256 !== before.details?.sha256 ? s : undefined;
    }, 120_000, 1_000);
    expect(op.drivers.backend.list({ name: 'big-1' }, 'directory', 'account', `${NS}/big`).some((i) => i.key === gone)).toBe(false);
    expect(after.sites?.[0]?.counts?.inventory).toBe((before.sites?.[0]?.counts?.inventory ?? 0) - 3);
    expect((await detailsJson(after.details?.configMaps ?? []))?.[0]?.inventory).not.toContain(`directory/account/${gone}`);
    expect((await detailConfigMaps(uid)).map((n) => n.replace('configmap/', ''))).toEqual(after.details?.configMaps);
  }, 180_000);

  it('its detail ConfigMaps deleted by hand: a Warning Event says so, and the lists are rebuilt from the spec into new ConfigMaps', async () => {
    const before = statusOf(await objects.get('occupiers', 'big'));
    const lost = before.details?.configMaps ?? [];
    expect(lost.length).toBeGreaterThan(0);
    await kubectl(['-n', NS, 'delete', 'configmap', ...lost]);
    // The operator that wrote them keeps them in memory; a new one reads them (at its first pass).
    await restartOperator();
    await until('operator ready', async () => op.manager.isReady());
    const items = op.drivers.backend.totals();
    const warned = await until('DetailsLost Event', async () => (await eventsOf('big')).find((e) => e.reason === 'DetailsLost'), 120_000, 1_000);
    expect(warned.type).toBe('Warning');
    expect(warned.message).toContain(`ConfigMap(s) ${lost.join(', ')} in namespace ${NS}, recorded in status.details.sha256: ${lost[0]} is gone`);
    expect(warned.message).toContain(`status.sites (${before.sites?.[0]?.counts?.inventory} item(s) at big-1) are lost`);
    expect(warned.message).toContain('rebuilt from what the spec wants');
    // The same lists (the spec did not change), in ConfigMaps that are there again.
    const rebuilt = await until('lists rebuilt', async () => {
      const names = (await detailConfigMaps(uid)).map((n) => n.replace('configmap/', ''));
      return names.length === lost.length ? names : undefined;
    }, 120_000, 1_000);
    const after = statusOf(await objects.get('occupiers', 'big'));
    expect(after.details?.configMaps).toEqual(rebuilt);
    expect(after.sites?.[0]?.counts?.inventory).toBe(before.sites?.[0]?.counts?.inventory);
    expect((await detailsJson(after.details?.configMaps ?? []))?.[0]?.inventory).toHaveLength(before.sites?.[0]?.counts?.inventory ?? -1);
    expect(conditionOf(await objects.get('occupiers', 'big'), 'Ready')?.status).toBe('True');
    // Ensured again, nothing made twice at the providers (the same outside world, persisted across the restart).
    expect(op.drivers.backend.totals().creates).toBe(items.creates);
  }, 240_000);

  it('is decommissioned by an order that stays under 256 KiB; deleting it leaves no ConfigMap', async () => {
    await kubectl(['apply', '-f', '-'], manifest(decommission('big', 'big')));
    const done = await until('decommission big Succeeded', async () => {
      const o = await objects.get('decommissions', 'big');
      if (phaseOf(o) === 'Failed') throw new Error(`decommission failed: ${JSON.stringify(o?.status)}`);
      return phaseOf(o) === 'Succeeded' ? o : undefined;
    }, 300_000, 1_000);
    expect(storedBytes(done)).toBeLessThan(256 * 1024);
    expect((done.status as { plan?: { stored?: unknown; itemCount?: number } }).plan).toMatchObject({ stored: expect.anything(), itemCount: expect.any(Number) });
    expect(op.drivers.backend.list({ name: 'big-1' }, 'directory', 'account', `${NS}/big`)).toEqual([]);
    await until('big Decommissioned', async () => phaseOf(await objects.get('occupiers', 'big')) === 'Decommissioned', 60_000, 500);
    await kubectl(['-n', NS, 'delete', 'occupier', 'big', '--wait=true', '--timeout=120s']);
    expect(await detailConfigMaps(uid)).toEqual([]);
  }, 420_000);
});

describe('an occupier deleted after its detail ConfigMaps were lost', () => {
  it('is torn down from what its spec wants, told in a Warning Event', async () => {
    await kubectl(['create', '-f', '-'], manifest(occupier('lost', 2, { sites: SITES, users: 1_000, numbers: 1, devices: 1, ports: 1 })));
    const ready = await until('lost Ready', async () => {
      const o = await objects.get('occupiers', 'lost');
      return conditionOf(o, 'Ready')?.status === 'True' ? o : undefined;
    }, 120_000, 500);
    const lost = statusOf(ready).details?.configMaps ?? [];
    expect(lost.length).toBeGreaterThan(0);
    const accounts = (): number => op.drivers.backend.list({ name: 'big-1' }, 'directory', 'account', `${NS}/lost`).length;
    expect(accounts()).toBe(1_000);
    // Deleted while no operator runs (its finalizer holds it): the next operator's first pass is the teardown.
    await restartOperator(async () => {
      await kubectl(['-n', NS, 'delete', 'configmap', ...lost]);
      await kubectl(['-n', NS, 'delete', 'occupier', 'lost', '--wait=false']);
    });
    await until('lost deleted', async () => (await objects.get('occupiers', 'lost')) === undefined, 120_000, 500);
    const warned = (await eventsOf('lost')).find((e) => e.reason === 'DetailsLost');
    expect(warned?.type).toBe('Warning');
    expect(warned?.message).toContain(`${lost[0]} is gone`);
    expect(warned?.message).toContain('the deletion removes what the spec wants at each site');
    // What the spec wanted is gone from the providers.
    expect(accounts()).toBe(0);
    expect(op.drivers.backend.list({ name: 'big-1' }, 'access', 'user', `${NS}/lost`)).toEqual([]);
  }, 240_000);
});

describe('a running order whose plan ConfigMaps were lost', () => {
  it('fails with PlanLost, naming them and how to plan again, instead of retrying forever', async () => {
    const at = { name: 'plan-1', index: 3 };
    await kubectl(['apply', '-f', '-'], manifest(site(at.name, at.index)));
    await kubectl(['create', '-f', '-'], manifest(occupier('planlost', 3, { sites: [at], users: 1_000, numbers: 1, devices: 1, ports: 1 })));
    await until('planlost Ready', async () => conditionOf(await objects.get('occupiers', 'planlost'), 'Ready')?.status === 'True', 120_000, 500);
    // Slow calls: the decommission is still running when the operator stops.
    await kubectl(['apply', '-f', '-'], manifest(site(at.name, at.index, { latencyMs: '500' })));
    await kubectl(['apply', '-f', '-'], manifest(decommission('planlost', 'planlost')));
    const running = await until('planlost Running', async () => {
      const o = await objects.get('decommissions', 'planlost');
      return phaseOf(o) === 'Running' ? o : undefined;
    }, 60_000, 200);
    const stored = (running.status as { plan?: { stored?: { configMaps: string[] } } }).plan?.stored;
    expect(stored?.configMaps.length).toBeGreaterThan(0);
    await restartOperator(() => kubectl(['-n', NS, 'delete', 'configmap', ...(stored?.configMaps ?? [])]));
    const failed = await until('planlost Failed', async () => {
      const o = await objects.get('decommissions', 'planlost');
      return phaseOf(o) === 'Failed' ? o : undefined;
    }, 60_000, 500);
    expect(conditionOf(failed, 'Failed')).toMatchObject({ status: 'True', reason: 'PlanLost' });
    const told = (await eventsOf('planlost')).find((e) => e.reason === 'PlanLost');
    expect(told?.type).toBe('Warning');
    expect(told?.message).toContain(`${stored?.configMaps[0]} is gone`);
    expect(told?.message).toContain(`kubectl -n ${NS} delete decommission planlost`);
    // A Failed order is deleted at once (its record archived); nothing is left waiting.
    await kubectl(['apply', '-f', '-'], manifest(site(at.name, at.index)));
    await kubectl(['-n', NS, 'delete', 'decommission', 'planlost', '--wait=true', '--timeout=60s']);
  }, 300_000);
});

describe('a status the API server refuses for its size', () => {
  it('is told once in a Warning Event naming the sizes, and not retried until the spec changes', async () => {
    const api = env.kubeConfig.makeApiClient(CustomObjectsApi);
    const base = { group: 'occupier.dev', version: 'v1alpha1', namespace: NS, plural: 'occupiers' };
    // An occupier 600 bytes under the limit, stored without managedFields (the server drops them
    // when only they do not fit): its status (a few KiB) cannot be stored with it. Sized with a
    // dry run; users of one fixed length make up the bulk, displayName and one name the rest.
    const user = (i: number, extra = 0): Obj => ({ email: `u${String(i).padStart(5, '0')}@crowd.example`, name: 'n'.repeat(150 + extra), sites: ['big-1'] });
    const crowd = (count: number, display = 0, extra = 0): Obj => {
      const o = occupier('crowd1', 7, { sites: SITES, users: 1 });
      const spec = o.spec as { displayName: string; users: Obj[] };
      spec.displayName += 'x'.repeat(display);
      spec.users = Array.from({ length: count }, (_, i) => user(i, i === count - 1 ? extra : 0));
      return o;
    };
    const withoutManagedFields = (o: Obj): number => {
      const { managedFields: _, ...m } = o.metadata as Record<string, unknown>;
      return storedBytes({ ...o, metadata: m });
    };
    // Bytes as stored per user (with the server's defaults), from two dry runs.
    const K = 4_000;
    const dryBytes = async (count: number): Promise<number> => withoutManagedFields((await api.createNamespacedCustomObject({ ...base, body: crowd(count), dryRun: 'All' })) as Obj);
    const small = await dryBytes(K);
    const per = ((await dryBytes(K + 1_000)) - small) / 1_000;
    expect(Number.isInteger(per)).toBe(true);
    const missing = Math.floor(ETCD_LIMIT - 600 - small);
    const more = Math.floor(missing / per);
    const rest = missing - more * per;
    const display = Math.min(rest, 240);
    const terminalBefore = await reconciles('terminal_error');
    await api.createNamespacedCustomObject({ ...base, body: crowd(K + more, display, rest - display) });
    expect(Math.abs(storedBytes(await objects.get('occupiers', 'crowd1')) - (ETCD_LIMIT - 600))).toBeLessThan(400);
    const told = await until('StatusTooLarge Event', async () => (await eventsOf('crowd1')).find((e) => e.reason === 'StatusTooLarge'), 60_000, 500);
    expect(told.type).toBe('Warning');
    expect(told.message).toMatch(/refused the status \(\d+ bytes\) with the spec \(\d+ bytes\) for its size/);
    expect(told.message).toContain(`kubectl -n ${NS} get occupier crowd1 -o json`);
    const stored = await objects.get('occupiers', 'crowd1');
    expect(conditionOf(stored, 'Ready')?.status).not.toBe('True');
    // Not retried: one terminal outcome, and none after it while nothing changes.
    const terminal = await until('the pass ends, not to be retried', async () => {
      const n = await reconciles('terminal_error');
      return n > terminalBefore ? n : undefined;
    }, 30_000, 100);
    expect(terminal).toBe(terminalBefore + 1);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await reconciles('terminal_error')).toBe(terminal);
    expect((await eventsOf('crowd1')).filter((e) => e.reason === 'StatusTooLarge')).toHaveLength(1);
  }, 120_000);
});
