/**
 * The decommissioning manual (seed 001), end to end: the embedded cluster, the operator in
 * process, real kubectl for every user action, and the simulated backend to check what
 * happened outside.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperator } from '../../operator/src/operator.ts';
import type { RunningOperator } from '../../operator/src/operator.ts';
import { silentLogger } from '../../operator/src/runtime/index.ts';
import { withCluster } from '../support/cluster.ts';
import type { ClusterEnv } from '../support/cluster.ts';
import { conditionOf, decommission, manifest, NS, Objects, occupier, OffsetClock, phaseOf, site, until } from '../support/estate.ts';
import type { Obj } from '../support/estate.ts';

let env: ClusterEnv;
let op: RunningOperator;
let objects: Objects;
const clock = new OffsetClock();
const SITES = [
  { name: 'dc-alpha', index: 1 },
  { name: 'dc-beta', index: 2 },
];

const kubectl = (args: string[], stdin?: string): Promise<string> => env.kubectlOk(args, stdin);

async function readyOccupier(name: string, n: number, shape: Partial<Parameters<typeof occupier>[2]> = {}): Promise<Obj> {
  const o = occupier(name, n, { sites: SITES, users: 4, numbers: 4, devices: 2, ports: 2, ...shape });
  await kubectl(['apply', '-f', '-'], manifest(o));
  return until(`occupier ${name} Ready`, async () => {
    const got = await objects.get('occupiers', name);
    return conditionOf(got, 'Ready')?.status === 'True' ? got : undefined;
  });
}

const order = (name: string): Promise<Obj | undefined> => objects.get('decommissions', name);
const waitPhase = (name: string, phase: string, timeoutMs = 30_000): Promise<Obj> =>
  until(`decommission ${name} ${phase}`, async () => {
    const o = await order(name);
    return phaseOf(o) === phase ? o : undefined;
  }, timeoutMs);

function backendItems(siteName: string, capability: string, type: string, occupierName: string): string[] {
  return op.drivers.backend.list({ name: siteName }, capability, type, `${NS}/${occupierName}`).map((i) => i.key);
}

async function events(name: string): Promise<string> {
  return kubectl(['-n', NS, 'get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message', '--no-headers']);
}

beforeAll(async () => {
  env = await withCluster();
  objects = new Objects(env.kubeConfig);
  op = startOperator({ kubeConfig: env.kubeConfig, metricsPort: 0, handleSignals: false, clock, logger: silentLogger() });
  await kubectl(['create', 'namespace', NS]);
  await kubectl(['apply', '-f', '-'], manifest(...SITES.map((s) => site(s.name, s.index))));
  await until('operator ready', async () => op.manager.isReady());
}, 60_000);

afterAll(async () => {
  await op?.stop();
  await env?.stop();
});

describe('Decommission', () => {
  it('now: every site is decommissioned as the manual says, history archived, occupier Decommissioned', async () => {
    await readyOccupier('now-corp', 1);
    const occ = await objects.get('occupiers', 'now-corp');
    const vlanBefore = backendItems('dc-alpha', 'network', 'allocation', 'now-corp');
    expect(vlanBefore).toHaveLength(1);
    expect((occ?.status as { sites: unknown[] }).sites).toHaveLength(2);

    await kubectl(['apply', '-f', '-'], manifest(decommission('now-corp', 'now-corp', { notify: ['ops@now-corp.example'] })));
    const done = await waitPhase('now-corp', 'Succeeded');
    const status = done.status as { tasks: { site: string; step: string; state: string }[]; plan: { summary: string; items: unknown[] }; startedAt: string; completedAt: string };
    expect(status.tasks.every((t) => t.state === 'Succeeded')).toBe(true);
    expect(new Set(status.tasks.map((t) => t.site))).toEqual(new Set(['dc-alpha', 'dc-beta']));
    expect(status.plan.summary).toMatch(/Delete/);

    // The Occupier controller (the one writer of its status) follows the order.
    const after = await until('occupier now-corp Decommissioned', async () => {
      const o = await objects.get('occupiers', 'now-corp');
      return phaseOf(o) === 'Decommissioned' ? o : undefined;
    });
    expect(conditionOf(after, 'Immutable')?.status).toBe('True');
    const history = (after?.status as { history?: { recordRef?: string; contracts?: number } }).history;
    expect(history?.recordRef).toBe(`records/archive/${NS}/now-corp`);
    expect(history?.contracts).toBe(2);

    const backend = op.drivers.backend;
    for (const s of SITES) {
      // Gone: network, users' Wi-Fi/portal accounts, access users, devices, ports, numbers.
      expect(backendItems(s.name, 'network', 'allocation', 'now-corp')).toEqual([]);
      expect(backendItems(s.name, 'wifi', 'account', 'now-corp')).toEqual([]);
      expect(backendItems(s.name, 'directory', 'account', 'now-corp')).toEqual([]);
      expect(backendItems(s.name, 'access', 'user', 'now-corp')).toEqual([]);
      expect(backendItems(s.name, 'wifi', 'device', 'now-corp')).toEqual([]);
      expect(backendItems(s.name, 'ports', 'port', 'now-corp')).toEqual([]);
      expect(backendItems(s.name, 'telephony', 'number', 'now-corp')).toEqual([]);
      // Kept as history: the contract Completed with end date yesterday, services Inactive, call charges stopped.
      const contract = backend.list({ name: s.name }, 'billing', 'contract', `${NS}/now-corp`)[0]?.details as { status: string; endDate: string };
      const yesterday = new Date(clock.now() - 86_400_000).toISOString().slice(0, 10);
      expect(contract).toMatchObject({ status: 'Completed', endDate: yesterday });
      const services = backend.list({ name: s.name }, 'billing', 'service', `${NS}/now-corp`).map((i) => (i.details as { state: string }).state);
      expect(services.length).toBeGreaterThan(0);
      expect(new Set(services)).toEqual(new Set(['Inactive']));
      const charges = backend.list({ name: s.name }, 'billing', 'callCharges', `${NS}/now-corp`)[0]?.details as { state: string };
      expect(charges.state).toBe('Stopped');
      // Every number went into cooling-off, not back to the pool.
      const pool = backend.observe({ name: s.name, telephony: { numberBlocks: [{ start: `+4420${s.index}0000000`, count: 100000 }], coolingOffDays: 90 } }, { capability: 'telephony', type: 'pool', key: '-' });
      expect((pool.details as { coolingOff: number }).coolingOff).toBeGreaterThanOrEqual(2);
    }
    // Exactly once: each allocation removed once.
    expect(backend.counts({ site: 'dc-alpha', capability: 'network', type: 'allocation', key: `${NS}/now-corp` })).toMatchObject({ creates: 1, removes: 1 });
    // The archive is readable through the records driver.
    const archived = backend.list({ name: 'dc-alpha' }, 'records', 'archive', `${NS}/now-corp`)[0]?.details as { counts: Record<string, number> };
    expect(archived.counts.contracts).toBe(2);
    const sent = backend.list({ name: 'dc-alpha' }, 'notify', 'message').map((m) => m.details as { recipients: string[] });
    expect(sent.some((m) => m.recipients.includes('ops@now-corp.example'))).toBe(true);
    const ev = await events('now-corp');
    expect(ev).toMatch(/Started/);
    expect(ev).toMatch(/Succeeded/);
    // Completed once: one Succeeded Event (count 1) and one observation of the duration.
    await new Promise((r) => setTimeout(r, 1500));
    const counts = await kubectl(['-n', NS, 'get', 'events', '--field-selector', 'involvedObject.name=now-corp,involvedObject.kind=Decommission,reason=Succeeded', '-o', 'jsonpath={range .items[*]}{.count}{"\\n"}{end}']);
    expect(counts.trim().split('\n')).toEqual(['1']);
    const metrics = await (await fetch(`http://127.0.0.1:${op.manager.port}/metrics`)).text();
    expect(metrics).toMatch(/occupier_operator_order_duration_seconds_count\{kind="Decommission",result="Succeeded"\} 1\n/);
    // What is left of the occupier: no users, the contracts Completed with the end date the record has (yesterday).
    const left = after.status as { users: { total: number; ready: number }; sites: { contract?: { status: string; endDate?: string } }[] };
    expect(left.users).toEqual({ total: 0, ready: 0 });
    const yesterday = new Date(clock.now() - 86_400_000).toISOString().slice(0, 10);
    expect(left.sites.map((x) => x.contract)).toEqual(SITES.map(() => ({ status: 'Completed', startDate: '2025-01-01', endDate: yesterday })));
  });

  it('a date-only schedule runs at 23:00 UTC that day; the occupier shows DecommissionScheduled until then', async () => {
    await readyOccupier('late-corp', 2);
    clock.set(new Date('2027-03-10T22:59:57Z'));
    try {
      await kubectl(['apply', '-f', '-'], manifest(decommission('late-corp', 'late-corp', { scheduledAt: '2027-03-10' })));
      const scheduled = await waitPhase('late-corp', 'Scheduled');
      expect((scheduled.status as { scheduledFor: string }).scheduledFor).toBe('2027-03-10T23:00:00Z');
      await until('occupier late-corp DecommissionScheduled', async () => phaseOf(await objects.get('occupiers', 'late-corp')) === 'DecommissionScheduled');
      const metrics = await (await fetch(`http://127.0.0.1:${op.manager.port}/metrics`)).text();
      expect(metrics).toContain(`occupier_operator_order_scheduled_timestamp_seconds{kind="Decommission",namespace="${NS}",name="late-corp"} ${Date.parse('2027-03-10T23:00:00Z') / 1000}`);
      const printed = await kubectl(['-n', NS, 'get', 'decommissions', 'late-corp']);
      expect(printed).toMatch(/late-corp\s+Scheduled\s+2027-03-10T23:00:00Z/);
      const done = await waitPhase('late-corp', 'Succeeded', 20_000);
      expect(Date.parse((done.status as { startedAt: string }).startedAt)).toBeGreaterThanOrEqual(Date.parse('2027-03-10T23:00:00Z'));
      // Nothing claims it is still scheduled once it has run.
      expect(conditionOf(done, 'Scheduled')).toMatchObject({ status: 'False', reason: 'Started' });
    } finally {
      clock.offsetMs = 0;
    }
  });

  it('editing scheduledAt reschedules (status and an Event say so); deleting the order cancels it and touches nothing', async () => {
    await readyOccupier('later-corp', 3);
    await kubectl(['apply', '-f', '-'], manifest(decommission('later-corp', 'later-corp', { scheduledAt: '2030-01-01' })));
    await waitPhase('later-corp', 'Scheduled');
    await kubectl(['-n', NS, 'patch', 'decommission', 'later-corp', '--type', 'merge', '-p', '{"spec":{"scheduledAt":"2030-02-01T09:30:00Z"}}']);
    await until('rescheduled', async () => (await order('later-corp'))?.status && ((await order('later-corp'))?.status as { scheduledFor: string }).scheduledFor === '2030-02-01T09:30:00Z');
    await until('Rescheduled event', async () => /Rescheduled.*2030-02-01T09:30:00Z/.test(await events('later-corp')));

    await kubectl(['-n', NS, 'delete', 'decommission', 'later-corp', '--wait=true', '--timeout=30s']);
    expect(await order('later-corp')).toBeUndefined();
    const occ = await until('occupier back to Active', async () => {
      const o = await objects.get('occupiers', 'later-corp');
      return phaseOf(o) === 'Active' ? o : undefined;
    });
    expect((occ.status as { activeOrder?: unknown }).activeOrder).toBeUndefined();
    expect(backendItems('dc-alpha', 'network', 'allocation', 'later-corp')).toHaveLength(1);
  });

  it('a schedule missed by more than startingDeadlineSeconds fails with MissedSchedule instead of running late', async () => {
    await readyOccupier('missed-corp', 10, { sites: [SITES[0] ?? { name: 'dc-alpha', index: 1 }] });
    // Scheduled two minutes after its creation; the operator only sees it two hours later (an
    // outage): more than startingDeadlineSeconds late.
    const at = new Date(Date.now() + 120_000);
    clock.set(new Date(at.getTime() + 2 * 3600_000));
    let failed: Obj;
    try {
      await kubectl(['apply', '-f', '-'], manifest(decommission('missed-corp', 'missed-corp', { scheduledAt: at.toISOString().replace(/\.\d+Z$/, 'Z'), startingDeadlineSeconds: 3600 })));
      failed = await waitPhase('missed-corp', 'Failed');
    } finally {
      clock.offsetMs = 0;
    }
    expect(conditionOf(failed, 'Failed')?.reason).toBe('MissedSchedule');
    expect((failed.status as { startedAt?: string }).startedAt).toBeUndefined();
    await until('occupier missed-corp Active', async () => phaseOf(await objects.get('occupiers', 'missed-corp')) === 'Active');
    expect(backendItems('dc-alpha', 'network', 'allocation', 'missed-corp')).toHaveLength(1);
    const metrics = await (await fetch(`http://127.0.0.1:${op.manager.port}/metrics`)).text();
    expect(metrics).toMatch(/occupier_operator_order_missed_schedule_total\{kind="Decommission"\} [1-9]/);
  });

  it('a wrong confirmation is refused by the API server, naming the field', async () => {
    const bad = decommission('typo', 'now-corp', { confirm: { occupierName: 'now-crop', irreversible: false } });
    const r = await env.kubectl(['apply', '-f', '-'], manifest(bad));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/spec\.confirm\.occupierName/);
    expect(r.stderr).toMatch(/spec\.confirm\.irreversible/);
    expect(await order('typo')).toBeUndefined();
  });

  it('is Blocked, listing every unmet prerequisite, until they are met; nothing is touched meanwhile', async () => {
    await readyOccupier('busy-corp', 4);
    const occ = await objects.get('occupiers', 'busy-corp');
    const firstNumber = ((occ?.spec as { sites: { numbers: { number: string }[] }[] }).sites[0]?.numbers[0]?.number) ?? '';
    op.drivers.backend.simulateHandsetLogin(firstNumber, true);
    op.drivers.backend.simulateServiceState('dc-beta', `${NS}/busy-corp/internet-100`, 'Updating');
    // A site move created first holds the occupier (one active order at a time).
    const move = {
      apiVersion: 'occupier.dev/v1alpha1',
      kind: 'SiteMove',
      metadata: { name: 'busy-move', namespace: NS },
      spec: { occupierRef: { name: 'busy-corp' }, from: 'dc-alpha', to: 'dc-beta', tariff: 'standard-2026', scheduledAt: '2031-01-01' },
    };
    await kubectl(['apply', '-f', '-'], manifest(move));
    // Creation times have second precision; orders created in the same second are ordered by kind/name.
    await new Promise((r) => setTimeout(r, 1100));
    await kubectl(['apply', '-f', '-'], manifest(decommission('busy-corp', 'busy-corp')));
    // Every unmet prerequisite is listed, not just the first (the order cache may see the
    // SiteMove a moment after the Decommission: its arrival re-checks).
    const blocked = await until('all three prerequisites listed', async () => {
      const o = await order('busy-corp');
      const m = conditionOf(o, 'Blocked')?.message ?? '';
      return phaseOf(o) === 'Blocked' && /HandsetLoggedIn/.test(m) && /ServiceUpdating/.test(m) && /ConflictingOrder/.test(m) ? o : undefined;
    });
    const message = conditionOf(blocked, 'Blocked')?.message ?? '';
    expect(message).toMatch(/HandsetLoggedIn/);
    expect(message).toMatch(/ServiceUpdating/);
    expect(message).toMatch(/ConflictingOrder.*SiteMove\/busy-move/);
    expect((blocked.status as { startedAt?: string }).startedAt).toBeUndefined();
    expect(backendItems('dc-alpha', 'network', 'allocation', 'busy-corp')).toHaveLength(1);
    expect(await events('busy-corp')).toMatch(/Warning\s+HandsetLoggedIn/);
    // One alert per cause: a Blocked order is OrderBlocked's, not OrderScheduleMissed's.
    const metrics = await (await fetch(`http://127.0.0.1:${op.manager.port}/metrics`)).text();
    expect(metrics).toMatch(/occupier_operator_orders\{kind="Decommission",phase="Blocked"\} [1-9]/);
    expect(metrics).not.toContain(`occupier_operator_order_scheduled_timestamp_seconds{kind="Decommission",namespace="${NS}",name="busy-corp"}`);

    op.drivers.backend.simulateHandsetLogin(firstNumber, false);
    op.drivers.backend.simulateServiceState('dc-beta', `${NS}/busy-corp/internet-100`, undefined);
    await kubectl(['-n', NS, 'delete', 'sitemove', 'busy-move']);
    await waitPhase('busy-corp', 'Succeeded', 60_000);
    expect(backendItems('dc-alpha', 'network', 'allocation', 'busy-corp')).toEqual([]);
  });

  it('a contract starting today blocks it (ContractStartsToday) until the contract date changes', async () => {
    const today = new Date(clock.now()).toISOString().slice(0, 10);
    await readyOccupier('fresh-corp', 5, { startDate: today, sites: [SITES[0] ?? { name: 'dc-alpha', index: 1 }] });
    await kubectl(['apply', '-f', '-'], manifest(decommission('fresh-corp', 'fresh-corp')));
    const blocked = await waitPhase('fresh-corp', 'Blocked');
    expect(conditionOf(blocked, 'Blocked')?.reason).toBe('ContractStartsToday');
    const o = occupier('fresh-corp', 5, { sites: [SITES[0] ?? { name: 'dc-alpha', index: 1 }], users: 4, numbers: 4, devices: 2, ports: 2, startDate: '2025-06-01' });
    await kubectl(['apply', '-f', '-'], manifest(o));
    await waitPhase('fresh-corp', 'Succeeded', 60_000);
  });

  it('an already decommissioned occupier cannot be decommissioned again (AlreadyDecommissioned)', async () => {
    await kubectl(['apply', '-f', '-'], manifest(decommission('now-corp-again', 'now-corp')));
    const blocked = await waitPhase('now-corp-again', 'Blocked');
    expect(conditionOf(blocked, 'Blocked')?.message).toMatch(/AlreadyDecommissioned/);
    await kubectl(['-n', NS, 'delete', 'decommission', 'now-corp-again']);
  });

  it('transient driver faults are retried with backoff and the run succeeds, attempts visible', async () => {
    await kubectl(['apply', '-f', '-'], manifest(site('dc-gamma', 3, { transientOnStep: 'ports/port/remove:2' })));
    await readyOccupier('flaky-corp', 6, { sites: [{ name: 'dc-gamma', index: 3 }] });
    await kubectl(['apply', '-f', '-'], manifest(decommission('flaky-corp', 'flaky-corp')));
    const done = await waitPhase('flaky-corp', 'Succeeded', 60_000);
    const ports = (done.status as { tasks: { step: string; attempts: number }[] }).tasks.find((t) => t.step === 'ports');
    expect(ports?.attempts).toBe(3);
    const metrics = await (await fetch(`http://127.0.0.1:${op.manager.port}/metrics`)).text();
    expect(metrics).toMatch(/occupier_operator_driver_calls_total\{driver="simulated",capability="ports",op="remove",result="transient"\} [1-9]/);
  });

  it('a permanent fault fails the order and the occupier (Warning Event, metrics); retry resumes from the failed step', async () => {
    await kubectl(['apply', '-f', '-'], manifest(site('dc-delta', 4)));
    await readyOccupier('broken-corp', 7, { sites: [{ name: 'dc-delta', index: 4 }] });
    await kubectl(['apply', '-f', '-'], manifest(site('dc-delta', 4, { failOnStep: 'wifi/device/remove' })));
    await kubectl(['apply', '-f', '-'], manifest(decommission('broken-corp', 'broken-corp')));
    const failed = await waitPhase('broken-corp', 'Failed', 30_000);
    const tasks = (failed.status as { tasks: { step: string; state: string; lastError?: string }[] }).tasks;
    expect(tasks.find((t) => t.step === 'wifi-devices')).toMatchObject({ state: 'Failed', lastError: expect.stringMatching(/InjectedFailure/) });
    expect(tasks.find((t) => t.step === 'users')?.state).toBe('Succeeded');
    expect(tasks.find((t) => t.step === 'network')?.state).toBe('Pending');
    await until('occupier broken-corp DecommissionFailed', async () => phaseOf(await objects.get('occupiers', 'broken-corp')) === 'DecommissionFailed');
    expect(await events('broken-corp')).toMatch(new RegExp(`Warning\\s+StepFailed.*InjectedFailure.*Raise a case.*kubectl -n ${NS} annotate decommission broken-corp occupier.dev/retry=true`));
    const metrics = await (await fetch(`http://127.0.0.1:${op.manager.port}/metrics`)).text();
    expect(metrics).toMatch(/occupier_operator_orders\{kind="Decommission",phase="Failed"\} [1-9]/);

    await kubectl(['apply', '-f', '-'], manifest(site('dc-delta', 4)));
    await kubectl(['-n', NS, 'annotate', 'decommission', 'broken-corp', 'occupier.dev/retry=true']);
    const done = await waitPhase('broken-corp', 'Succeeded', 30_000);
    // Attempts keep counting across a manual retry: one that failed, one that succeeded.
    const wifi = (done.status as { tasks: { step: string; attempts: number }[] }).tasks.find((t) => t.step === 'wifi-devices');
    expect(wifi?.attempts).toBe(2);
    await until('occupier broken-corp Decommissioned', async () => phaseOf(await objects.get('occupiers', 'broken-corp')) === 'Decommissioned');
    expect(((await order('broken-corp'))?.metadata as { annotations?: Record<string, string> }).annotations?.['occupier.dev/retry']).toBeUndefined();
  });

  it('Manual approval: the plan is computed and waits for occupier.dev/approve=true', async () => {
    await readyOccupier('careful-corp', 8, { sites: [SITES[1] ?? { name: 'dc-beta', index: 2 }] });
    await kubectl(['apply', '-f', '-'], manifest(decommission('careful-corp', 'careful-corp', { approval: 'Manual' })));
    const waiting = await waitPhase('careful-corp', 'AwaitingApproval');
    const items = (waiting.status as { plan: { items: { kind: string; action: string }[] } }).plan.items;
    expect(items.filter((i) => i.kind === 'User' && i.action === 'Delete')).toHaveLength(4);
    expect(backendItems('dc-beta', 'network', 'allocation', 'careful-corp')).toHaveLength(1);
    await until('AwaitingApproval Event with the command', async () => new RegExp(`Normal\\s+AwaitingApproval.*kubectl -n ${NS} annotate decommission careful-corp occupier.dev/approve=true`).test(await events('careful-corp')));
    await kubectl(['-n', NS, 'annotate', 'decommission', 'careful-corp', 'occupier.dev/approve=true']);
    await waitPhase('careful-corp', 'Succeeded', 30_000);
    expect(await events('careful-corp')).toMatch(/Normal\s+Approved/);
  });

  it('keeps records safe: deleting the order or the occupier while it runs waits until the run ends', async () => {
    await kubectl(['apply', '-f', '-'], manifest(site('dc-slow', 7)));
    await readyOccupier('slow-corp', 9, { sites: [{ name: 'dc-slow', index: 7 }] });
    await kubectl(['apply', '-f', '-'], manifest(site('dc-slow', 7, { latencyMs: '400' })));
    await kubectl(['apply', '-f', '-'], manifest(decommission('slow-corp', 'slow-corp')));
    await waitPhase('slow-corp', 'Running');
    const metrics = await (await fetch(`http://127.0.0.1:${op.manager.port}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`occupier_operator_order_started_timestamp_seconds\\{kind="Decommission",namespace="${NS}",name="slow-corp"\\} \\d+`));
    expect(metrics).toMatch(new RegExp(`occupier_operator_order_active_timestamp_seconds\\{kind="Decommission",namespace="${NS}",name="slow-corp"\\} \\d+`));
    // The occupier's spec is frozen while the run goes on: a change is ignored, and says so.
    await kubectl(['-n', NS, 'patch', 'occupiers', 'slow-corp', '--type', 'merge', '-p', '{"spec":{"displayName":"Renamed mid-run"}}']);
    const frozen = await until('SpecFrozen', async () => {
      const o = await objects.get('occupiers', 'slow-corp');
      return conditionOf(o, 'SpecFrozen')?.status === 'True' ? o : undefined;
    });
    expect(conditionOf(frozen, 'SpecFrozen')?.message).toMatch(/Decommission slow-corp/);
    await kubectl(['-n', NS, 'delete', 'decommission', 'slow-corp', '--wait=false']);
    await kubectl(['-n', NS, 'delete', 'occupiers', 'slow-corp', '--wait=false']);
    await new Promise((r) => setTimeout(r, 1000));
    const running = await order('slow-corp');
    expect(phaseOf(running)).toBe('Running');
    expect((running?.metadata as { deletionTimestamp?: string }).deletionTimestamp).toBeDefined();
    expect(await objects.get('occupiers', 'slow-corp')).toBeDefined();
    await until('order gone after the run', async () => (await order('slow-corp')) === undefined, 60_000);
    await until('occupier gone after the run', async () => (await objects.get('occupiers', 'slow-corp')) === undefined, 30_000);
    const record = op.drivers.backend.list({ name: 'dc-slow' }, 'records', 'archive').find((i) => i.key === `order/${NS}/slow-corp`);
    expect(record).toBeDefined();
    expect(backendItems('dc-slow', 'network', 'allocation', 'slow-corp')).toEqual([]);
  });

  it('deleting an Occupier archives its history: Orphan leaves external state, the default deprovisions it', async () => {
    const archiveOf = (name: string) => op.drivers.backend.list({ name: 'dc-alpha' }, 'records', 'archive').find((i) => i.key === `${NS}/${name}`);
    const orphan = occupier('orphan-corp', 11, { sites: [SITES[0] ?? { name: 'dc-alpha', index: 1 }], users: 2, numbers: 2, devices: 1, ports: 1 });
    (orphan.spec as Record<string, unknown>).deletionPolicy = 'Orphan';
    await kubectl(['apply', '-f', '-'], manifest(orphan));
    await until('orphan-corp Ready', async () => conditionOf(await objects.get('occupiers', 'orphan-corp'), 'Ready')?.status === 'True');
    await kubectl(['-n', NS, 'delete', 'occupiers', 'orphan-corp', '--wait=true', '--timeout=30s']);
    expect(archiveOf('orphan-corp')).toBeDefined();
    expect(backendItems('dc-alpha', 'network', 'allocation', 'orphan-corp')).toHaveLength(1);
    expect(await events('orphan-corp')).toMatch(/Orphaned/);

    await readyOccupier('gone-corp', 12, { sites: [SITES[0] ?? { name: 'dc-alpha', index: 1 }] });
    await kubectl(['-n', NS, 'delete', 'occupiers', 'gone-corp', '--wait=true', '--timeout=30s']);
    const archived = archiveOf('gone-corp')?.details as { counts: Record<string, number> } | undefined;
    expect(archived?.counts.contracts).toBe(1);
    expect(backendItems('dc-alpha', 'network', 'allocation', 'gone-corp')).toEqual([]);
    const contract = op.drivers.backend.list({ name: 'dc-alpha' }, 'billing', 'contract', `${NS}/gone-corp`)[0]?.details as { status: string };
    expect(contract.status).toBe('Completed');
  });

  it('a finished order is archived before it is deleted', async () => {
    await kubectl(['-n', NS, 'delete', 'decommission', 'now-corp', '--wait=true', '--timeout=30s']);
    const record = op.drivers.backend.list({ name: 'dc-alpha' }, 'records', 'archive').find((i) => i.key === `order/${NS}/now-corp`);
    expect(record).toBeDefined();
  });
});
