/**
 * The task runner against the simulated driver (a real local backend, not a mock): sites in
 * parallel, steps in order, `notBefore` respected, persisted writes coalesced, a permanent
 * fault stops the site at its step while the other site goes on.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedBackend, SimulatedDriver } from '../../../../drivers/src/simulated/index.ts';
import type { SiteResource, Task } from '../../api/index.ts';
import type { PlanItem } from '../../planner/types.ts';
import type { ReconcileContext } from '../../runtime/index.ts';
import { coalesced, runTasks, stepOps } from './runner.ts';
import { initialTasks } from './tasks.ts';
import type { PlannedStep } from './plugin.ts';

const siteObj = (name: string): SiteResource =>
  ({ apiVersion: 'occupier.dev/v1alpha1', kind: 'Site', metadata: { name }, spec: { displayName: name, location: 'london', timezone: 'Europe/London', catalog: { services: [] }, drivers: { default: { driver: 'simulated', timeoutSeconds: 30 } } } }) as SiteResource;

const account = (site: string, step: string, email: string): PlanItem => ({
  kind: 'User',
  name: email,
  action: 'Create',
  site,
  step,
  ops: [{ op: 'ensure', capability: 'directory', type: 'account', key: email, spec: { occupier: 'ns/acme', email, name: email } }],
});

function world(failOnStep?: string): { backend: SimulatedBackend; env: Parameters<typeof runTasks>[2]['env'] } {
  const backend = new SimulatedBackend();
  const healthy = new SimulatedDriver({ backend });
  const faulty = new SimulatedDriver({ backend, settings: failOnStep ? { failOnStep } : {} });
  const sites = new Map(['a', 'b'].map((n) => [n, siteObj(n)]));
  const ctx = { signal: new AbortController().signal } as ReconcileContext;
  return {
    backend,
    env: {
      sites: { get: (n) => sites.get(n), list: () => [...sites.values()] },
      execute: { drivers: { resolve: (site) => Promise.resolve({ driver: site.metadata.name === 'b' ? faulty : healthy, timeoutMs: 5_000 }) } },
      ctx,
    },
  };
}

const NOW = new Date('2026-12-01T12:00:00Z');

describe('runTasks', () => {
  const steps: PlannedStep[] = [
    { site: 'a', step: 'users', items: [account('a', 'users', 'x@acme.example'), account('a', 'users', 'y@acme.example')] },
    { site: 'a', step: 'later', items: [account('a', 'later', 'z@acme.example')], notBefore: new Date('2026-12-01T23:59:59Z') },
    { site: 'b', step: 'users', items: [account('b', 'users', 'x@acme.example')] },
  ];
  const items = steps.flatMap((s) => s.items);

  it('runs what is due, waits for notBefore, and ends once every task is done', async () => {
    const { backend, env } = world();
    const writes: Task[][] = [];
    const opts = { persist: async (t: Task[]) => void writes.push(t), final: () => Promise.resolve([]), finalSteps: [], env, uid: 'u1', siteConcurrency: 5, itemConcurrency: 8 };
    const first = await runTasks(initialTasks(steps, []), items, { ...opts, now: () => NOW });
    expect(first.summary).toBe('Running');
    expect(first.tasks.map((t) => `${t.site}/${t.step}=${t.state}`)).toEqual(['a/users=Succeeded', 'a/later=Pending', 'b/users=Succeeded', 'a/notify=Pending']);
    expect(first.waitMs).toBe(Date.parse('2026-12-01T23:59:59Z') - NOW.getTime());
    expect(backend.list({ name: 'a' }, 'directory', 'account').map((i) => i.key).sort()).toEqual(['x@acme.example', 'y@acme.example']);
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.at(-1)).toEqual(first.tasks);

    const second = await runTasks(first.tasks, items, { ...opts, now: () => new Date('2026-12-02T00:00:00Z') });
    expect(second.summary).toBe('Succeeded');
    expect(second.tasks.every((t) => t.attempts === 1)).toBe(true);
  });

  it('a permanent fault fails its site at that step; the other site goes on', async () => {
    const { env } = world('directory/account');
    const out = await runTasks(initialTasks(steps, []), items, { persist: () => Promise.resolve(), final: () => Promise.resolve([]), finalSteps: [], env, uid: 'u2', now: () => new Date('2026-12-02T00:00:00Z'), siteConcurrency: 5, itemConcurrency: 8 });
    expect(out.summary).toBe('Failed');
    expect(out.tasks.find((t) => t.site === 'b')).toMatchObject({ state: 'Failed', lastError: expect.stringMatching(/InjectedFailure/) });
    expect(out.tasks.filter((t) => t.site === 'a' && t.step !== 'notify').every((t) => t.state === 'Succeeded')).toBe(true);
    // Final steps wait for every site.
    expect(out.tasks.find((t) => t.step === 'notify')?.state).toBe('Pending');
  });

  it('stepOps carries the item operations of one site and step, tagged with the step', () => {
    expect(stepOps(items, 'a', 'users').map((o) => `${o.op} ${o.key} ${o.step}`)).toEqual(['ensure x@acme.example users', 'ensure y@acme.example users']);
  });
});

describe('coalesced writes', () => {
  it('one write in flight; changes made meanwhile go in one more write with the latest state', async () => {
    const tasks: Task[] = [{ site: 'a', step: 's', state: 'Pending', attempts: 0 }];
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const w = coalesced(tasks, (t) => {
      seen.push(t[0]?.state ?? '');
      return new Promise<void>((r) => (release = r));
    });
    void w.mark();
    if (tasks[0]) tasks[0].state = 'Running';
    void w.mark();
    if (tasks[0]) tasks[0].state = 'Succeeded';
    void w.mark();
    release();
    await new Promise((r) => setTimeout(r, 0));
    release();
    await w.settle();
    expect(seen).toEqual(['Pending', 'Succeeded']);
  });

  it('a failed write is thrown by settle (the run is retried), never lost', async () => {
    const w = coalesced([], () => Promise.reject(new Error('409 conflict')));
    void w.mark();
    await expect(w.settle()).rejects.toThrow('409 conflict');
  });
});
