/**
 * Site moves (seeds 000 and 002, SPEC §2 "SiteMove"), end to end: the API server (embedded or
 * real), the operator in process with an OffsetClock, real kubectl for every user action, and
 * the simulated backend to check what happened outside.
 *
 * The source of a move is ended at the end of the move date in its time zone, so every move
 * that must finish is started a few seconds before midnight (London, GMT in January) on the
 * OffsetClock: the destination is checked while the source waits, and the source once the
 * clock has passed midnight. The clock only moves forward in this file.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteContext } from '../../drivers/src/contract.ts';
import type { SiteContext } from '../../drivers/src/contract.ts';
import { startOperator } from '../../operator/src/operator.ts';
import type { RunningOperator } from '../../operator/src/operator.ts';
import { silentLogger } from '../../operator/src/runtime/index.ts';
import { healthDir } from '../packaging/argocd-cm.ts';
import { runHealth } from '../packaging/lua.ts';
import { withCluster } from '../support/cluster.ts';
import type { ClusterEnv } from '../support/cluster.ts';
import { example } from '../support/examples.ts';
import { conditionOf, decommission, manifest, NS, Objects, occupier, OffsetClock, phaseOf, site, siteMove, until } from '../support/estate.ts';
import type { Obj, OccupierShape } from '../support/estate.ts';

let env: ClusterEnv;
let op: RunningOperator;
let objects: Objects;
const clock = new OffsetClock();

interface SiteRef {
  name: string;
  index: number;
}
const A: SiteRef = { name: 'sm-a', index: 1 };
const B: SiteRef = { name: 'sm-b', index: 2 };
/** Offers no Wi-Fi Secure: a move there leaves that service unmatched. */
const C: SiteRef = { name: 'sm-c', index: 3 };
/** Destination of the move that meets a permanent driver fault. */
const D: SiteRef = { name: 'sm-d', index: 4 };

/** A test Site with its own VLAN range (so a new VLAN is visibly not the old one) and a second tariff. */
function moveSite(s: SiteRef, settings: Record<string, string> = {}): Obj {
  const o = site(s.name, s.index, settings);
  const spec = o.spec as { network: { vlanRange: { from: number; to: number } }; catalog: { services: { name: string }[]; tariffs: { name: string }[] } };
  spec.network.vlanRange = { from: 500 * s.index, to: 500 * s.index + 499 };
  spec.catalog.tariffs.push({ name: 'premium-2027' });
  if (s === C) spec.catalog.services = spec.catalog.services.filter((x) => x.name !== 'wifi-secure');
  return o;
}

const ctxOf = (s: SiteRef): SiteContext => siteContext(s.name, (moveSite(s).spec ?? {}) as Parameters<typeof siteContext>[1]);

interface Task {
  site: string;
  step: string;
  state: string;
  attempts: number;
  notBefore?: string;
  startedAt?: string;
  lastError?: string;
  items?: { total: number; done: number };
}
interface PlanItem {
  kind: string;
  name: string;
  action: string;
  site: string;
  step?: string;
  ops?: { op: string; capability: string; type: string; key: string; spec?: unknown }[];
}
interface MoveStatus {
  phase?: string;
  scheduledFor?: string;
  startedAt?: string;
  completedAt?: string;
  tasks?: Task[];
  plan?: { summary?: string; items?: PlanItem[]; unmatched?: string[] };
}
interface OccupierStatus {
  phase?: string;
  currentSites?: string[];
  specDrift?: string[];
  activeOrder?: { kind: string; name: string };
  observedGeneration?: number;
}
const st = (o: Obj | undefined): MoveStatus => (o?.status ?? {}) as MoveStatus;
const ost = (o: Obj | undefined): OccupierStatus => (o?.status ?? {}) as OccupierStatus;
const task = (o: Obj | undefined, s: SiteRef, step: string): Task | undefined => (st(o).tasks ?? []).find((t) => t.site === s.name && t.step === step);

/** Moves "now" to `iso`; the clock never goes back in this file. */
function at(iso: string): void {
  const t = Date.parse(iso);
  expect(t, `clock moves forward to ${iso}`).toBeGreaterThan(clock.now());
  clock.set(new Date(t));
}

const kubectl = (args: string[], stdin?: string): Promise<string> => env.kubectlOk(args, stdin);

const SHAPE = { users: 4, numbers: 4, devices: 2, ports: 2 };
const shapeAt = (s: SiteRef): OccupierShape => ({ sites: [s], ...SHAPE });

async function readyOccupier(name: string, n: number, s: SiteRef = A): Promise<Obj> {
  const o = occupier(name, n, shapeAt(s));
  await kubectl(['apply', '-f', '-'], manifest(o));
  await until(`occupier ${name} Ready`, async () => conditionOf(await objects.get('occupiers', name), 'Ready')?.status === 'True');
  return o;
}

const order = (name: string): Promise<Obj | undefined> => objects.get('sitemoves', name);

/** An order ended the wrong way: waiting longer cannot help. */
class Ended extends Error {}

/** Like `until`, but an `Ended` thrown by `fn` fails at once. */
async function settle<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      if (err instanceof Ended) throw err;
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for `phase`; an order that ends otherwise fails at once, with its status. */
async function waitPhase(name: string, phase: string, timeoutMs = 30_000): Promise<Obj> {
  return settle(
    `sitemove ${name} ${phase}`,
    async () => {
      const o = await order(name);
      const p = phaseOf(o);
      if (p === phase) return o;
      if ((p === 'Failed' || p === 'Succeeded') && p !== phase) throw new Ended(`sitemove ${name} is ${p}: ${JSON.stringify(o?.status)}`);
      return undefined;
    },
    timeoutMs,
  ).catch(async (err: unknown) => {
    throw new Error(`${String(err)}; status: ${JSON.stringify((await order(name))?.status)}`, { cause: err });
  });
}

async function waitOccupier(name: string, what: string, ok: (o: Obj) => boolean, timeoutMs = 30_000): Promise<Obj> {
  return until(`occupier ${name} ${what}`, async () => {
    const o = await objects.get('occupiers', name);
    return o && ok(o) ? o : undefined;
  }, timeoutMs).catch(async (err: unknown) => {
    throw new Error(`${String(err)}; status: ${JSON.stringify((await objects.get('occupiers', name))?.status)}`, { cause: err });
  });
}

async function waitDecommission(name: string): Promise<Obj> {
  return settle(`decommission ${name} Succeeded`, async () => {
    const o = await objects.get('decommissions', name);
    const p = phaseOf(o);
    if (p === 'Failed') throw new Ended(`decommission ${name} Failed: ${conditionOf(o, 'Failed')?.message ?? ''}`);
    return p === 'Succeeded' ? o : undefined;
  }, 40_000).catch(async (err: unknown) => {
    throw new Error(`${String(err)}; tasks: ${JSON.stringify(st(await objects.get('decommissions', name)).tasks)}`, { cause: err });
  });
}

async function events(name: string): Promise<string> {
  return kubectl(['-n', NS, 'get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message', '--no-headers']);
}

const id = (occ: string): string => `${NS}/${occ}`;
const listed = (s: SiteRef, capability: string, type: string, occ: string): { key: string; details: unknown }[] => op.drivers.backend.list({ name: s.name }, capability, type, id(occ));
const keys = (s: SiteRef, capability: string, type: string, occ: string): string[] => listed(s, capability, type, occ).map((i) => i.key).sort();
const details = <T>(s: SiteRef, capability: string, type: string, key: string, occ: string): T | undefined => listed(s, capability, type, occ).find((i) => i.key === key)?.details as T | undefined;

interface OccupierSpec {
  sites: { site: string; numbers: { number: string; main: boolean }[]; wifiDevices: { name: string; mac: string }[]; ports: { name: string }[]; services: { name: string; quantity: number; accessLevel?: string }[] }[];
  users: { email: string; sites: string[]; phoneNumber?: string }[];
}
const specOf = (o: Obj): OccupierSpec => o.spec as OccupierSpec;
const numbersOf = (o: Obj): string[] => (specOf(o).sites[0]?.numbers ?? []).map((n) => n.number).sort();
const macsOf = (o: Obj): string[] => (specOf(o).sites[0]?.wifiDevices ?? []).map((d) => d.mac.toLowerCase()).sort();
const emailsOf = (o: Obj): string[] => specOf(o).users.map((u) => u.email).sort();

/** What a move leaves at its source: no network, ports, devices, numbers or accounts; billing kept as history. */
function expectSourceEnded(s: SiteRef, occ: Obj, numbers: 'transferred' | 'released'): void {
  const name = (occ.metadata as { name: string }).name;
  for (const [capability, type] of [['network', 'allocation'], ['ports', 'port'], ['wifi', 'device'], ['telephony', 'number'], ['wifi', 'account'], ['directory', 'account'], ['access', 'user']] as const) {
    expect(keys(s, capability, type, name), `${s.name} ${capability}/${type}`).toEqual([]);
  }
  expect(op.drivers.backend.counts({ site: s.name, capability: 'network', type: 'allocation', key: id(name) })).toMatchObject({ creates: 1, removes: 1 });
  for (const n of numbersOf(occ)) {
    const seen = op.drivers.backend.observe(ctxOf(s), { capability: 'telephony', type: 'number', key: n });
    expect(seen.details, n).toMatchObject({ state: numbers === 'transferred' ? 'NotInPool' : 'CoolingOff' });
  }
  const services = listed(s, 'billing', 'service', name).map((i) => (i.details as { state: string }).state);
  expect(services).toHaveLength(2);
  expect(new Set(services)).toEqual(new Set(['Inactive']));
}

/** Creates, updates and removes of every item the occupier `occ` (as first declared) has or had at `s`. */
function ledger(s: SiteRef, occ: Obj): Record<string, { creates: number; updates: number; removes: number }> {
  const name = (occ.metadata as { name: string }).name;
  const i = id(name);
  const spec = specOf(occ);
  const entry = spec.sites[0];
  const refs: [string, string, string][] = [
    ['network', 'allocation', i],
    ['billing', 'contract', i],
    ['billing', 'callCharges', i],
    ...(entry?.services ?? []).map((x): [string, string, string] => ['billing', 'service', `${i}/${x.name}`]),
    ...keys(s, 'billing', 'occupancy', name).map((k): [string, string, string] => ['billing', 'occupancy', k]),
    ...numbersOf(occ).map((n): [string, string, string] => ['telephony', 'number', n]),
    ...macsOf(occ).map((m): [string, string, string] => ['wifi', 'device', m]),
    ...(entry?.ports ?? []).map((p): [string, string, string] => ['ports', 'port', `${i}/${p.name}`]),
    ...emailsOf(occ).flatMap((e): [string, string, string][] => [['wifi', 'account', e], ['directory', 'account', e], ['access', 'user', e]]),
  ];
  return Object.fromEntries(refs.map(([capability, type, key]) => [`${capability}/${type}/${key}`, op.drivers.backend.counts({ site: s.name, capability, type, key } as Parameters<typeof op.drivers.backend.counts>[0])]));
}

beforeAll(async () => {
  env = await withCluster();
  objects = new Objects(env.kubeConfig);
  op = startOperator({ kubeConfig: env.kubeConfig, metricsPort: 0, handleSignals: false, clock, logger: silentLogger() });
  await kubectl(['create', 'namespace', NS]);
  await kubectl(['apply', '-f', '-'], manifest(...[A, B, C, D].map((s) => moveSite(s))));
  await until('operator ready', async () => op.manager.isReady());
}, 60_000);

afterAll(async () => {
  await op?.stop();
  await env?.stop();
});

describe('SiteMove', () => {
  it('now, numbers transferred (002): the destination is set up at once; the source ends at the end of the move date', async () => {
    const occ = await readyOccupier('mover', 1);
    const oldNet = details<{ vlan: number; subnet: string }>(A, 'network', 'allocation', id('mover'), 'mover');
    expect(oldNet?.subnet).toMatch(/^10\.101\./);

    at('2027-01-11T23:59:51Z');
    await kubectl(['apply', '-f', '-'], manifest(siteMove('mover', 'mover', A.name, B.name, { telephony: 'Transfer', spaces: ['office-11'], notify: ['ops@mover.example'] })));

    // The destination is ready while the source waits for the end of the move date.
    const mid = await until('DestinationReady', async () => {
      const o = await order('mover');
      return conditionOf(o, 'DestinationReady')?.status === 'True' ? o : undefined;
    });
    expect(phaseOf(mid)).toBe('Running');
    // Argo CD (the chart's health check, run by lua5.1) shows the move Progressing while it runs.
    expect(runHealth(join(healthDir('SiteMove'), 'health.lua'), mid).status).toBe('Progressing');
    expect(conditionOf(mid, 'DestinationReady')?.message).toMatch(/mover can use sm-b now/);
    expect((st(mid).tasks ?? []).filter((t) => t.site === B.name && t.step !== 'notify').every((t) => t.state === 'Succeeded')).toBe(true);
    for (const step of ['contract', 'occupancies']) expect(task(mid, A, step)?.state, step).toBe('Succeeded');
    for (const step of ['users', 'telephony', 'wifi-devices', 'ports', 'services', 'network']) {
      expect(task(mid, A, step), step).toMatchObject({ state: 'Pending', notBefore: '2027-01-12T00:00:00Z' });
    }
    // Destination: contract from the move date, a new network from its own pools, the space, services, numbers, devices, users.
    expect(details(B, 'billing', 'contract', id('mover'), 'mover')).toMatchObject({ status: 'Active', startDate: '2027-01-11', tariff: 'standard-2026' });
    const newNet = details<{ vlan: number; subnet: string }>(B, 'network', 'allocation', id('mover'), 'mover');
    expect(newNet?.subnet).toMatch(/^10\.102\./);
    expect(newNet?.vlan).toBeGreaterThanOrEqual(1000);
    expect(newNet?.vlan).toBeLessThanOrEqual(1499);
    expect(newNet?.subnet).not.toBe(oldNet?.subnet);
    expect(keys(B, 'billing', 'occupancy', 'mover')).toEqual([`${id('mover')}/office-11/2027-01-11`]);
    expect(listed(B, 'billing', 'service', 'mover').map((i) => [i.key, (i.details as { state: string }).state]).sort()).toEqual([
      [`${id('mover')}/internet-100`, 'Active'],
      [`${id('mover')}/wifi-secure`, 'Active'],
    ]);
    expect(keys(B, 'telephony', 'number', 'mover')).toEqual(numbersOf(occ));
    expect(keys(A, 'telephony', 'number', 'mover')).toEqual([]);
    expect(keys(B, 'wifi', 'device', 'mover')).toEqual(macsOf(occ));
    for (const [capability, type] of [['wifi', 'account'], ['directory', 'account'], ['access', 'user']] as const) {
      expect(keys(B, capability, type, 'mover'), `${capability}/${type}`).toEqual(emailsOf(occ));
    }
    expect(keys(B, 'ports', 'port', 'mover')).toEqual([]);
    // Source: the contract ends on the move date at once; what the occupier uses stays until midnight.
    expect(details(A, 'billing', 'contract', id('mover'), 'mover')).toMatchObject({ status: 'Completed', endDate: '2027-01-11' });
    expect(details(A, 'billing', 'callCharges', id('mover'), 'mover')).toMatchObject({ state: 'Stopped' });
    expect(keys(A, 'wifi', 'device', 'mover')).toEqual(macsOf(occ));
    expect(keys(A, 'ports', 'port', 'mover')).toHaveLength(2);
    expect(keys(A, 'network', 'allocation', 'mover')).toEqual([id('mover')]);

    const done = await waitPhase('mover', 'Succeeded', 40_000);
    // every site step counts its plan items (a user is one item of three driver operations)
    for (const t of (st(done).tasks ?? []).filter((x) => x.items)) expect(t.items, `${t.site}/${t.step}`).toEqual({ total: t.items?.total, done: t.items?.total });
    expect(task(done, B, 'users')?.items?.total).toBe(emailsOf(occ).length);
    // ... and leaves Progressing when the move ends.
    expect(runHealth(join(healthDir('SiteMove'), 'health.lua'), done).status).toBe('Healthy');
    expect(Date.parse(task(done, A, 'network')?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse('2027-01-12T00:00:00Z'));
    expectSourceEnded(A, occ, 'transferred');
    expect(details(A, 'billing', 'contract', id('mover'), 'mover')).toMatchObject({ status: 'Completed', endDate: '2027-01-11' });
    expect(keys(B, 'telephony', 'number', 'mover')).toEqual(numbersOf(occ));
    const sent = op.drivers.backend.list({ name: B.name }, 'notify', 'message').map((m) => m.spec as { recipients: string[]; subject: string });
    expect(sent.find((m) => m.recipients.includes('ops@mover.example'))?.subject).toMatch(/client site move complete/);
    const ev = await events('mover');
    expect(ev).toMatch(/Normal\s+Started/);
    expect(ev).toMatch(/Normal\s+DestinationReady/);
    expect(ev).toMatch(/Normal\s+Succeeded\s+client site move complete: mover moved from sm-a to sm-b/);

    const after = await waitOccupier('mover', 'Active at sm-b', (o) => phaseOf(o) === 'Active' && JSON.stringify(ost(o).currentSites) === JSON.stringify([B.name]));
    expect(ost(after).activeOrder).toBeUndefined();
  });

  it('scheduled, numbers released (000): Scheduled and MoveScheduled until its time; numbers go into cooling-off at the end of the day', async () => {
    const occ = await readyOccupier('later', 2);
    at('2027-01-12T23:59:49Z');
    await kubectl(['apply', '-f', '-'], manifest(siteMove('later', 'later', A.name, B.name, { telephony: 'Release', scheduledAt: '2027-01-12T23:59:52Z' })));
    const scheduled = await waitPhase('later', 'Scheduled');
    expect(st(scheduled).scheduledFor).toBe('2027-01-12T23:59:52Z');
    const waiting = await waitOccupier('later', 'MoveScheduled', (o) => phaseOf(o) === 'MoveScheduled');
    expect(ost(waiting).activeOrder).toEqual({ kind: 'SiteMove', name: 'later' });
    expect(keys(B, 'billing', 'contract', 'later')).toEqual([]);
    // The series the chart's alerts read (OrderScheduleMissed, OrderStuck) cover a SiteMove as a Decommission.
    const metrics = await (await fetch(`http://127.0.0.1:${op.manager.port}/metrics`)).text();
    expect(metrics).toContain(`occupier_operator_order_scheduled_timestamp_seconds{kind="SiteMove",namespace="${NS}",name="later"} ${Date.parse('2027-01-12T23:59:52Z') / 1000}`);
    expect(metrics).toMatch(/occupier_operator_orders\{kind="SiteMove",phase="Scheduled"\} [1-9]/);

    const mid = await until('DestinationReady', async () => {
      const o = await order('later');
      return conditionOf(o, 'DestinationReady')?.status === 'True' ? o : undefined;
    });
    expect(Date.parse(st(mid).startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse('2027-01-12T23:59:52Z'));
    // Released, not transferred: still at the source until the end of the move date, never at the destination.
    expect(task(mid, A, 'telephony')).toMatchObject({ notBefore: '2027-01-13T00:00:00Z' });
    expect(keys(A, 'telephony', 'number', 'later')).toEqual(numbersOf(occ));
    expect(keys(B, 'telephony', 'number', 'later')).toEqual([]);

    const running = await (await fetch(`http://127.0.0.1:${op.manager.port}/metrics`)).text();
    expect(running).toMatch(new RegExp(`occupier_operator_order_started_timestamp_seconds\\{kind="SiteMove",namespace="${NS}",name="later"\\} \\d+`));
    // ... but once it only waits for the end of the move date no work is due: OrderStuck does not count it.
    await until('no work due while it waits for the end of the move date', async () =>
      !(await (await fetch(`http://127.0.0.1:${op.manager.port}/metrics`)).text()).includes(`occupier_operator_order_active_timestamp_seconds{kind="SiteMove",namespace="${NS}",name="later"}`), 4_000, 50);
    expect(phaseOf(await order('later'))).toBe('Running');
    const done = await waitPhase('later', 'Succeeded', 40_000);
    expect(Date.parse(task(done, A, 'telephony')?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse('2027-01-13T00:00:00Z'));
    expectSourceEnded(A, occ, 'released');
    expect(keys(B, 'telephony', 'number', 'later')).toEqual([]);
    await waitOccupier('later', 'Active at sm-b', (o) => phaseOf(o) === 'Active' && JSON.stringify(ost(o).currentSites) === JSON.stringify([B.name]));
  });

  it('Manual approval: status.plan to review (users, numbers, services, spaces, network) before any driver call; approve runs it', async () => {
    const occ = await readyOccupier('careful', 3);
    const atA = ledger(A, occ);
    at('2027-01-13T23:59:45Z');
    await kubectl(['apply', '-f', '-'], manifest(siteMove('careful', 'careful', A.name, B.name, { approval: 'Manual', telephony: 'Transfer', spaces: ['office-3'] })));
    const waiting = await waitPhase('careful', 'AwaitingApproval');
    const items = st(waiting).plan?.items ?? [];
    const of = (kind: string, action: string, s: SiteRef): string[] => items.filter((i) => i.kind === kind && i.action === action && i.site === s.name).map((i) => i.name).sort();
    expect(of('User', 'Move', B)).toEqual(emailsOf(occ));
    expect(of('Number', 'Transfer', B)).toEqual(numbersOf(occ));
    expect(of('Service', 'Copy', B)).toEqual(['internet-100', 'wifi-secure']);
    expect(of('Occupancy', 'Create', B)).toEqual(['office-3']);
    expect(of('Network', 'Allocate', B)).toEqual(['network']);
    expect(of('Network', 'Release', A)).toEqual(['network']);
    expect(of('Contract', 'Complete', A)).toEqual([A.name]);
    expect(st(waiting).plan?.summary).toMatch(/Transfer 4/);
    expect(conditionOf(waiting, 'AwaitingApproval')?.message).toContain('kubectl -n occupiers annotate sitemove careful occupier.dev/approve=true');
    expect(st(waiting).startedAt).toBeUndefined();
    expect(st(waiting).tasks).toBeUndefined();
    // Nothing done yet: nothing at the destination, the source as it was.
    expect(keys(B, 'billing', 'contract', 'careful')).toEqual([]);
    expect(keys(B, 'network', 'allocation', 'careful')).toEqual([]);
    expect(ledger(A, occ)).toEqual(atA);
    expect(details(A, 'billing', 'contract', id('careful'), 'careful')).toMatchObject({ status: 'Active' });
    expect(phaseOf(await objects.get('occupiers', 'careful'))).toBe('MoveScheduled');

    await kubectl(['-n', NS, 'annotate', 'sitemove', 'careful', 'occupier.dev/approve=true']);
    await waitPhase('careful', 'Succeeded', 40_000);
    expect(await events('careful')).toMatch(/Normal\s+Approved/);
    expectSourceEnded(A, occ, 'transferred');
  });

  it('Manual approval of a scheduled move: its plan is shown while it waits, approved ahead it runs at its time; when the plan has changed by then, the approval is withdrawn', async () => {
    await readyOccupier('ahead', 11);
    await readyOccupier('ahead-changed', 12);
    at('2027-01-14T10:00:00Z');
    const when = '2027-01-14T10:00:08Z';
    await kubectl(['apply', '-f', '-'], manifest(
      siteMove('ahead', 'ahead', A.name, B.name, { approval: 'Manual', scheduledAt: when }),
      siteMove('ahead-changed', 'ahead-changed', A.name, B.name, { approval: 'Manual', scheduledAt: when }),
    ));
    // Scheduled, with the plan to review (no prerequisites checked, no driver change yet).
    const previewed = await until('plan preview while Scheduled', async () => {
      const o = await order('ahead');
      return phaseOf(o) === 'Scheduled' && (st(o).plan?.items ?? []).length > 0 ? o : undefined;
    });
    expect(st(previewed).plan?.summary).toMatch(/Move \d+/);
    expect(st(previewed).startedAt).toBeUndefined();
    expect(keys(B, 'billing', 'contract', 'ahead')).toEqual([]);
    const before = st(await until('preview of the other', async () => {
      const o = await order('ahead-changed');
      return (st(o).plan?.items ?? []).length > 0 ? o : undefined;
    })).plan?.summary ?? '';

    // Approved ahead: recorded against the plan on display.
    for (const name of ['ahead', 'ahead-changed']) await kubectl(['-n', NS, 'annotate', 'sitemove', name, 'occupier.dev/approve=true']);
    const approved = await until('approval recorded', async () => {
      const o = await order('ahead');
      return (o?.status as { approvedPlan?: string } | undefined)?.approvedPlan ? o : undefined;
    });
    expect((approved.status as { approvedPlan?: string }).approvedPlan).toBe((st(approved).plan as { digest?: string }).digest);
    await until('Approved ahead event', async () => /Normal\s+Approved\s+.*approved ahead of its time/.test(await events('ahead')));
    await until('approval recorded (other)', async () => (await order('ahead-changed'))?.status && ((await order('ahead-changed'))?.status as { approvedPlan?: string }).approvedPlan !== undefined);
    // The other occupier gains a user after the approval: at its time its plan is not the one approved.
    await kubectl(['-n', NS, 'patch', 'occupier', 'ahead-changed', '--type', 'json', '-p', JSON.stringify([{ op: 'add', path: '/spec/users/-', value: { email: 'late@ahead-changed.example', name: 'Late Joiner', sites: [A.name], accessGroups: ['floor-1'] } }])]);

    // At its time: the approved plan runs without waiting for another approval (the source ends at the end of the day).
    const ran = await until('ahead DestinationReady', async () => {
      const o = await order('ahead');
      return conditionOf(o, 'DestinationReady')?.status === 'True' ? o : undefined;
    }, 40_000);
    expect(conditionOf(ran, 'AwaitingApproval')).toBeUndefined();
    expect(st(ran).startedAt).toBe(when);
    expect(keys(B, 'billing', 'contract', 'ahead')).toEqual([id('ahead')]);
    // The changed one waits: approval withdrawn (annotation removed), a Warning says what changed.
    const waiting = await waitPhase('ahead-changed', 'AwaitingApproval');
    expect(((waiting.metadata as { annotations?: Record<string, string> }).annotations ?? {})['occupier.dev/approve']).toBeUndefined();
    const after = st(waiting).plan?.summary ?? '';
    expect(after).not.toBe(before);
    expect(await events('ahead-changed')).toContain(`the plan changed since it was approved (was: ${before}; now: ${after}): approval withdrawn`);
    expect(keys(B, 'billing', 'contract', 'ahead-changed')).toEqual([]);
    // Approved again (the new plan): it runs.
    await kubectl(['-n', NS, 'annotate', 'sitemove', 'ahead-changed', 'occupier.dev/approve=true']);
    await until('ahead-changed DestinationReady', async () => conditionOf(await order('ahead-changed'), 'DestinationReady')?.status === 'True', 40_000);
    expect(keys(B, 'directory', 'account', 'ahead-changed')).toContain('late@ahead-changed.example'); // the plan approved the second time
  });

  it('a copied service the destination does not offer: Blocked UnmatchedServices, listed in status.plan.unmatched; nothing done', async () => {
    await readyOccupier('idle', 5);
    await kubectl(['apply', '-f', '-'], manifest(siteMove('odd', 'idle', A.name, C.name)));
    const blocked = await until('Blocked UnmatchedServices', async () => {
      const o = await order('odd');
      return phaseOf(o) === 'Blocked' && conditionOf(o, 'Blocked')?.reason === 'UnmatchedServices' ? o : undefined;
    });
    expect(st(blocked).plan?.unmatched).toEqual(['wifi-secure']);
    expect(conditionOf(blocked, 'Blocked')?.message).toMatch(/wifi-secure/);
    expect(st(blocked).startedAt).toBeUndefined();
    expect(keys(C, 'billing', 'contract', 'idle')).toEqual([]);
    expect(await events('odd')).toMatch(/Warning\s+UnmatchedServices/);
    await kubectl(['-n', NS, 'delete', 'sitemove', 'odd', '--wait=true', '--timeout=30s']);
  });

  it('to = from is refused by the API server naming spec.to; an unknown site is Blocked SiteNotFound naming it', async () => {
    const r = await env.kubectl(['create', '-f', '-'], manifest(siteMove('same', 'idle', A.name, A.name)));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/spec\.to/);
    expect(r.stderr).toMatch(/to must differ from from/);
    expect(await order('same')).toBeUndefined();

    await kubectl(['create', '-f', '-'], manifest(siteMove('lost', 'idle', A.name, 'sm-nowhere')));
    const blocked = await until('Blocked SiteNotFound', async () => {
      const o = await order('lost');
      return phaseOf(o) === 'Blocked' ? o : undefined;
    });
    expect(conditionOf(blocked, 'Blocked')).toMatchObject({ reason: 'SiteNotFound', message: expect.stringMatching(/sm-nowhere/) });
    await kubectl(['-n', NS, 'delete', 'sitemove', 'lost', '--wait=true', '--timeout=30s']);
  });

  it('reschedule (edit scheduledAt), cancel (delete before it starts), scheduledAt removed (runs now, planned for now), and a scheduledAt already past refused (ScheduleInPast)', async () => {
    await kubectl(['apply', '-f', '-'], manifest(siteMove('someday', 'idle', A.name, B.name, { scheduledAt: '2031-01-01' })));
    const scheduled = await waitPhase('someday', 'Scheduled');
    expect(st(scheduled).scheduledFor).toBe('2031-01-01T23:00:00Z');
    await waitOccupier('idle', 'MoveScheduled', (o) => phaseOf(o) === 'MoveScheduled');

    await kubectl(['-n', NS, 'patch', 'sitemove', 'someday', '--type', 'merge', '-p', '{"spec":{"scheduledAt":"2031-02-01T09:30:00Z"}}']);
    await until('rescheduled', async () => st(await order('someday')).scheduledFor === '2031-02-01T09:30:00Z');
    await until('Rescheduled event', async () => /Rescheduled.*2031-02-01T09:30:00Z/.test(await events('someday')));

    await kubectl(['-n', NS, 'delete', 'sitemove', 'someday', '--wait=true', '--timeout=30s']);
    expect(await order('someday')).toBeUndefined();
    await until('Cancelled event', async () => /Normal\s+Cancelled/.test(await events('someday')));
    const back = await waitOccupier('idle', 'Active again', (o) => phaseOf(o) === 'Active');
    expect(ost(back).activeOrder).toBeUndefined();
    expect(keys(B, 'billing', 'contract', 'idle')).toEqual([]);
    expect(keys(A, 'network', 'allocation', 'idle')).toEqual([id('idle')]);

    // scheduledAt removed while Scheduled: due now, and planned for now, not for the old date
    await kubectl(['apply', '-f', '-'], manifest(siteMove('unscheduled', 'idle', A.name, B.name, { scheduledAt: '2031-03-01', approval: 'Manual' })));
    await waitPhase('unscheduled', 'Scheduled');
    await kubectl(['-n', NS, 'patch', 'sitemove', 'unscheduled', '--type', 'json', '-p', '[{"op":"remove","path":"/spec/scheduledAt"}]']);
    const due = await waitPhase('unscheduled', 'AwaitingApproval');
    expect(st(due).scheduledFor).toBeUndefined();
    const ops = (st(due).plan?.items ?? []).flatMap((i) => i.ops ?? []);
    const contract = ops.find((o) => o.op === 'ensure' && o.type === 'contract' && o.key === id('idle'));
    const startDate = (contract?.spec as { startDate?: string } | undefined)?.startDate ?? '';
    expect(startDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(startDate < '2031-03-01').toBe(true);
    await until('Rescheduled to now event', async () => /Rescheduled.*2031-03-01T23:00:00Z to now/.test(await events('unscheduled')));
    await kubectl(['-n', NS, 'delete', 'sitemove', 'unscheduled', '--wait=true', '--timeout=30s']);
    await waitOccupier('idle', 'Active again', (o) => phaseOf(o) === 'Active');

    await kubectl(['apply', '-f', '-'], manifest(siteMove('yesterday', 'idle', A.name, B.name, { scheduledAt: '2020-01-01T10:00:00Z' })));
    const refused = await waitPhase('yesterday', 'Blocked');
    expect(conditionOf(refused, 'Blocked')).toMatchObject({ reason: 'ScheduleInPast', message: expect.stringContaining('omit scheduledAt to run now') });
    expect(st(refused).startedAt).toBeUndefined();
    await kubectl(['-n', NS, 'delete', 'sitemove', 'yesterday', '--wait=true', '--timeout=30s']);
  });

  it('a permanent driver fault fails the move (Warning Event with the retry command); fixed and retried, it succeeds', async () => {
    const occ = await readyOccupier('broken', 6);
    await kubectl(['apply', '-f', '-'], manifest(moveSite(D, { failOnStep: 'wifi/device/ensure' })));
    at('2027-01-14T23:59:52Z');
    await kubectl(['apply', '-f', '-'], manifest(siteMove('broken', 'broken', A.name, D.name, { telephony: 'Transfer' })));
    const failed = await waitPhase('broken', 'Failed');
    const bad = task(failed, D, 'wifi-devices');
    expect(bad).toMatchObject({ state: 'Failed', lastError: expect.stringMatching(/InjectedFailure/) });
    expect(task(failed, D, 'telephony')?.state).toBe('Succeeded');
    expect(task(failed, D, 'users')?.state).toBe('Pending');
    expect(conditionOf(failed, 'Failed')?.reason).toBe('StepFailed');
    expect(await events('broken')).toMatch(/Warning\s+StepFailed\s+.*InjectedFailure.*kubectl -n occupiers annotate sitemove broken occupier\.dev\/retry=true/);
    // A failed move leaves the occupier Active where it was (nothing at the source ended yet).
    expect(phaseOf(await objects.get('occupiers', 'broken'))).toBe('Active');
    expect(keys(A, 'wifi', 'device', 'broken')).toEqual(macsOf(occ));

    await kubectl(['apply', '-f', '-'], manifest(moveSite(D)));
    await kubectl(['-n', NS, 'annotate', 'sitemove', 'broken', 'occupier.dev/retry=true']);
    await until('retried', async () => conditionOf(await order('broken'), 'Failed')?.status === 'False');
    const done = await waitPhase('broken', 'Succeeded', 40_000);
    expect(task(done, D, 'wifi-devices')?.attempts).toBeGreaterThan(bad?.attempts ?? 0);
    expect(keys(D, 'wifi', 'device', 'broken')).toEqual(macsOf(occ));
    expect(await events('broken')).toMatch(/Normal\s+Retrying/);
    expect(((await order('broken'))?.metadata as { annotations?: Record<string, string> }).annotations?.['occupier.dev/retry']).toBeUndefined();
    expectSourceEnded(A, occ, 'transferred');
  });

  it('SpecDrift: after the move the occupier names the fields to change in Git and re-creates nothing at the source; once Git says so, it clears and nothing is provisioned twice', async () => {
    const occ = await readyOccupier('drifty', 7);
    at('2027-01-15T23:59:53Z');
    await kubectl(['apply', '-f', '-'], manifest(siteMove('drifty', 'drifty', A.name, B.name, { telephony: 'Transfer', tariff: 'premium-2027', minuteBundle: 'uk-1000', spaces: ['office-7'] })));
    await waitPhase('drifty', 'Succeeded', 40_000);
    const drifted = await waitOccupier('drifty', 'SpecDrift', (o) => conditionOf(o, 'SpecDrift')?.status === 'True' && phaseOf(o) === 'Active');
    expect(conditionOf(drifted, 'SpecDrift')?.message).toMatch(/spec\.sites\[0\]\.site: sm-a → sm-b/);
    expect(ost(drifted).specDrift).toContain('spec.sites[0].site: sm-a → sm-b');
    expect(ost(drifted).specDrift?.join('\n')).toMatch(/spec\.sites\[0\]\.contract\.tariff: standard-2026 → premium-2027/);
    expect(ost(drifted).specDrift?.join('\n')).toMatch(/spec\.users\[email=user0@drifty\.example\]\.sites: sm-a → sm-b/);
    expect(ost(drifted).currentSites).toEqual([B.name]);
    expect(await events('drifty')).toMatch(/Warning\s+SpecDrift/);
    // The Occupier controller leaves the source as the move ended it.
    await new Promise((r) => setTimeout(r, 1000));
    expectSourceEnded(A, occ, 'transferred');
    await until('Ready at the destination', async () => conditionOf(await objects.get('occupiers', 'drifty'), 'Ready')?.status === 'True');
    const before = { a: ledger(A, occ), b: ledger(B, occ) };

    // Git catches up: the entry now at sm-b from the move date, the new tariff and space, no ports; users at sm-b.
    const git = structuredClone(occ);
    const spec = git.spec as { sites: Record<string, unknown>[]; users: { sites: string[] }[] };
    const entry = spec.sites[0] ?? {};
    entry.site = B.name;
    entry.contract = { startDate: '2027-01-15', tariff: 'premium-2027', minuteBundle: 'uk-1000' };
    entry.occupancies = [{ space: 'office-7', movedIn: '2027-01-15' }];
    // Exactly what the drift message asks for: the services' start dates are left as they are
    // (absent means the contract start, which is what the move recorded).
    delete entry.ports;
    for (const u of spec.users) u.sites = [B.name];
    await kubectl(['apply', '-f', '-'], manifest(git));
    const synced = await waitOccupier('drifty', 'in sync', (o) => conditionOf(o, 'SpecDrift')?.status === 'False' && ost(o).observedGeneration === (o.metadata as { generation: number }).generation);
    expect(ost(synced).specDrift).toBeUndefined();
    expect(conditionOf(synced, 'Ready')?.status).toBe('True');
    expect(phaseOf(synced)).toBe('Active');
    expect(await events('drifty')).toMatch(/Normal\s+SpecInSync/);
    await new Promise((r) => setTimeout(r, 1000));
    expect({ a: ledger(A, occ), b: ledger(B, occ) }).toEqual(before);

    // A Decommission now covers the site the occupier moved to, and leaves the one it left alone.
    await kubectl(['apply', '-f', '-'], manifest(decommission('drifty', 'drifty')));
    const done = await waitDecommission('drifty');
    expect([...new Set((st(done).tasks ?? []).map((t) => t.site))]).toEqual([B.name]);
    for (const [capability, type] of [['network', 'allocation'], ['wifi', 'device'], ['telephony', 'number'], ['wifi', 'account'], ['access', 'user']] as const) {
      expect(keys(B, capability, type, 'drifty'), `${capability}/${type}`).toEqual([]);
    }
    expect(details(B, 'billing', 'contract', id('drifty'), 'drifty')).toMatchObject({ status: 'Completed', startDate: '2027-01-15', endDate: '2027-01-15' });
    expect(details(A, 'billing', 'contract', id('drifty'), 'drifty')).toMatchObject({ status: 'Completed', endDate: '2027-01-15' });
    expect(ledger(A, occ)).toEqual(before.a);
    await waitOccupier('drifty', 'Decommissioned', (o) => phaseOf(o) === 'Decommissioned');
  });

  it('a Decommission after the move (Git not changed yet) covers the new site and leaves the one it left alone', async () => {
    const occ = await readyOccupier('moved-on', 8);
    at('2027-01-16T23:59:53Z');
    await kubectl(['apply', '-f', '-'], manifest(siteMove('moved-on', 'moved-on', A.name, B.name, { telephony: 'Transfer' })));
    await waitPhase('moved-on', 'Succeeded', 40_000);
    expectSourceEnded(A, occ, 'transferred');
    const after = await waitOccupier('moved-on', 'Active at sm-b', (o) => phaseOf(o) === 'Active' && JSON.stringify(ost(o).currentSites) === JSON.stringify([B.name]));
    expect(conditionOf(after, 'SpecDrift')?.status).toBe('True');
    const atA = ledger(A, occ);

    // Git still names sm-a: the decommission goes where the occupier is.
    await kubectl(['apply', '-f', '-'], manifest(decommission('moved-on', 'moved-on')));
    const done = await waitDecommission('moved-on');
    expect([...new Set((st(done).tasks ?? []).map((t) => t.site))]).toEqual([B.name]);
    expect(new Set((st(done).plan?.items ?? []).map((i) => i.site))).toEqual(new Set([B.name]));
    for (const [capability, type] of [['network', 'allocation'], ['wifi', 'device'], ['telephony', 'number'], ['wifi', 'account'], ['directory', 'account'], ['access', 'user']] as const) {
      expect(keys(B, capability, type, 'moved-on'), `${capability}/${type}`).toEqual([]);
    }
    expect(details(B, 'billing', 'contract', id('moved-on'), 'moved-on')).toMatchObject({ status: 'Completed', startDate: '2027-01-16', endDate: '2027-01-16' });
    expect(ledger(A, occ)).toEqual(atA);
    expect(details(A, 'billing', 'contract', id('moved-on'), 'moved-on')).toMatchObject({ status: 'Completed', endDate: '2027-01-16' });
    await waitOccupier('moved-on', 'Decommissioned', (o) => phaseOf(o) === 'Decommissioned');
  });

  it('the example (examples/orders/sitemove-acme-design.yaml) is accepted and shows its plan while AwaitingApproval', async () => {
    const sites = ['london-shoreditch', 'london-canary-wharf'].map((n) => example('Site', n));
    await kubectl(['apply', '-f', '-'], manifest(...sites, example('Occupier', 'acme-design')));
    await until('acme-design Ready', async () => conditionOf(await objects.get('occupiers', 'acme-design'), 'Ready')?.status === 'True', 30_000);
    at('2027-02-01T17:59:57Z');
    await kubectl(['apply', '-f', '-'], manifest(example('SiteMove', 'acme-design-to-canary-wharf')));
    const name = 'acme-design-to-canary-wharf';
    const scheduled = await waitPhase(name, 'Scheduled');
    expect(st(scheduled).scheduledFor).toBe('2027-02-01T18:00:00Z');
    const waiting = await waitPhase(name, 'AwaitingApproval', 20_000);
    const items = st(waiting).plan?.items ?? [];
    const names = (kind: string, action: string): string[] => items.filter((i) => i.kind === kind && i.action === action).map((i) => i.name).sort();
    expect(names('User', 'Move')).toEqual(['ana@acme-design.example', 'ben@acme-design.example', 'cleo@acme-design.example']);
    expect(names('Number', 'Release')).toEqual(['+442070460101', '+442070460102', '+442070460103']);
    expect(names('Service', 'Copy')).toEqual(['hosted-voice', 'internet-100', 'wifi-secure']);
    expect(names('Occupancy', 'Create')).toEqual(['office-3911']);
    expect(names('Network', 'Allocate')).toEqual(['network']);
    expect(st(waiting).plan?.unmatched ?? []).toEqual([]);
    expect(phaseOf(await objects.get('occupiers', 'acme-design'))).toBe('MoveScheduled');
    const printed = await kubectl(['-n', NS, 'get', 'sitemoves', name]);
    expect(printed).toMatch(/AwaitingApproval/);
    expect(op.drivers.backend.list({ name: 'london-canary-wharf' }, 'billing', 'contract', id('acme-design'))).toEqual([]);
  });
});
