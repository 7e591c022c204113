/**
 * Customer moves (seed 003, SPEC §2 "CustomerMove"), end to end: the API server (embedded or
 * real), the operator in process with an OffsetClock, real kubectl for every user action, and
 * the simulated backend to check what happened outside.
 *
 * A customer moves under another reseller in the same location: billing and the directory
 * move under it, each service gets its matched or mapped access level, users inherit the new
 * level's properties (or the overridden ones); the old reseller no longer lists the customer,
 * the new one does. The clock only moves forward in this file.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperator } from '../../operator/src/operator.ts';
import type { RunningOperator } from '../../operator/src/operator.ts';
import { silentLogger } from '../../operator/src/runtime/index.ts';
import { healthDir } from '../packaging/argocd-cm.ts';
import { runHealth } from '../packaging/lua.ts';
import { withCluster } from '../support/cluster.ts';
import type { ClusterEnv } from '../support/cluster.ts';
import { example } from '../support/examples.ts';
import { conditionOf, manifest, NS, Objects, occupier, OffsetClock, phaseOf, site, until } from '../support/estate.ts';
import type { Obj } from '../support/estate.ts';

let env: ClusterEnv;
let op: RunningOperator;
let objects: Objects;
const clock = new OffsetClock();

interface SiteRef {
  name: string;
  index: number;
  location?: string;
}
/** Two London sites and one in Manchester. */
const A: SiteRef = { name: 'cm-a', index: 1 };
const B: SiteRef = { name: 'cm-b', index: 2 };
const M: SiteRef = { name: 'cm-m', index: 3, location: 'manchester' };
/** Where the customer whose move meets a permanent driver fault lives. */
const F: SiteRef = { name: 'cm-f', index: 4 };

/** A test Site whose catalog has access levels with properties (the SALs users inherit). */
function cmSite(s: SiteRef, settings: Record<string, string> = {}): Obj {
  const o = site(s.name, s.index, settings, s.location ?? 'london');
  const spec = o.spec as { catalog: { services: unknown[] } };
  spec.catalog.services = [
    {
      name: 'internet-100',
      capability: 'network',
      accessLevels: [
        { name: 'Standard', properties: { bandwidthMbps: '100' } },
        { name: 'Premium', properties: { bandwidthMbps: '100', staticIp: 'true' } },
      ],
    },
    { name: 'wifi-secure', capability: 'wifi', accessLevels: [{ name: 'Standard', properties: { devicesPerUser: '3' } }] },
    { name: 'hosted-voice', capability: 'telephony', accessLevels: [{ name: 'Standard', properties: { international: 'false' } }] },
  ];
  return o;
}

interface Svc {
  name: string;
  quantity?: number;
  accessLevel?: string;
}
const STANDARD: Svc[] = [
  { name: 'internet-100', accessLevel: 'Standard' },
  { name: 'wifi-secure', accessLevel: 'Standard' },
];

/** A reseller with a contract at `at` and the services it has provisioned. */
function reseller(name: string, at: SiteRef, services: Svc[] = STANDARD): Obj {
  return {
    apiVersion: 'occupier.dev/v1alpha1',
    kind: 'Occupier',
    metadata: { name, namespace: NS },
    spec: {
      displayName: `Reseller ${name}`,
      reseller: true,
      sites: [{ site: at.name, contract: { startDate: '2024-01-01', tariff: 'standard-2026' }, services: services.map((s) => ({ quantity: 10, ...s })) }],
    },
  };
}

/** A customer of `of` at `at` (users, numbers, a device and a port: what must not change), with `services`. */
function customer(name: string, n: number, at: SiteRef, of: string, services: Svc[] = STANDARD): Obj {
  const o = occupier(name, n, { sites: [at], users: 2, numbers: 2, devices: 1, ports: 1 });
  const spec = o.spec as { resellerRef?: { name: string }; sites: { services: unknown[] }[] };
  spec.resellerRef = { name: of };
  for (const e of spec.sites) e.services = services.map((s) => ({ quantity: 1, ...s }));
  return o;
}

function customerMove(name: string, occ: string, to: string, extra: Obj = {}): Obj {
  return { apiVersion: 'occupier.dev/v1alpha1', kind: 'CustomerMove', metadata: { name, namespace: NS }, spec: { occupierRef: { name: occ }, toReseller: { name: to }, ...extra } };
}

interface Task {
  site: string;
  step: string;
  state: string;
  attempts: number;
  lastError?: string;
}
interface PlanItem {
  kind: string;
  name: string;
  action: string;
  site: string;
  step?: string;
  detail?: string;
}
interface MoveStatus {
  phase?: string;
  scheduledFor?: string;
  startedAt?: string;
  tasks?: Task[];
  plan?: { summary?: string; items?: PlanItem[]; unmatched?: string[] };
}
interface OccupierStatus {
  phase?: string;
  reseller?: string;
  customers?: string[];
  specDrift?: string[];
  activeOrder?: { kind: string; name: string };
  observedGeneration?: number;
}
const st = (o: Obj | undefined): MoveStatus => (o?.status ?? {}) as MoveStatus;
const ost = (o: Obj | undefined): OccupierStatus => (o?.status ?? {}) as OccupierStatus;
const task = (o: Obj | undefined, s: SiteRef | string, step: string): Task | undefined => (st(o).tasks ?? []).find((t) => t.site === (typeof s === 'string' ? s : s.name) && t.step === step);

/** Moves "now" to `iso`; the clock never goes back in this file. */
function at(iso: string): void {
  const t = Date.parse(iso);
  expect(t, `clock moves forward to ${iso}`).toBeGreaterThan(clock.now());
  clock.set(new Date(t));
}

async function kubectl(args: string[], stdin?: string): Promise<string> {
  const r = await env.kubectl(args, stdin);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const apply = (...objs: Obj[]): Promise<string> => kubectl(['apply', '-f', '-'], manifest(...objs));
const order = (name: string): Promise<Obj | undefined> => objects.get('customermoves', name);

async function ready(...objs: Obj[]): Promise<void> {
  await apply(...objs);
  for (const o of objs) {
    const name = (o.metadata as { name: string }).name;
    await until(`occupier ${name} Ready`, async () => conditionOf(await objects.get('occupiers', name), 'Ready')?.status === 'True');
  }
}

/** An order ended the wrong way: waiting longer cannot help. */
class Ended extends Error {}

/** Waits for `phase`; an order that ends otherwise fails at once, with its status. */
async function waitPhase(name: string, phase: string, timeoutMs = 30_000): Promise<Obj> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const o = await order(name);
    const p = phaseOf(o);
    if (p === phase) return o as Obj;
    if ((p === 'Failed' || p === 'Succeeded') && p !== phase) throw new Ended(`customermove ${name} is ${p}, not ${phase}: ${JSON.stringify(o?.status)}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for customermove ${name} ${phase}; status: ${JSON.stringify(o?.status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitBlocked(name: string, ok: (message: string) => boolean): Promise<Obj> {
  return until(`customermove ${name} Blocked`, async () => {
    const o = await order(name);
    return phaseOf(o) === 'Blocked' && ok(conditionOf(o, 'Blocked')?.message ?? '') ? o : undefined;
  }).catch(async (err: unknown) => {
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

async function events(name: string): Promise<string> {
  return kubectl(['-n', NS, 'get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message', '--no-headers']);
}

const id = (occ: string): string => `${NS}/${occ}`;
const detailsAt = <T>(s: SiteRef | string, capability: string, type: string, key: string, occ: string): T | undefined =>
  op.drivers.backend.list({ name: typeof s === 'string' ? s : s.name }, capability, type, id(occ)).find((i) => i.key === key)?.details as T | undefined;
const counts = (s: SiteRef | string, capability: string, type: string, key: string): { creates: number; updates: number; removes: number } =>
  op.drivers.backend.counts({ site: typeof s === 'string' ? s : s.name, capability, type, key } as Parameters<typeof op.drivers.backend.counts>[0]);

interface Entitlements {
  services: Record<string, { accessLevel?: string; properties: Record<string, string> }>;
}

/** What must not change in a customer move: network, numbers, devices, ports, accounts. */
function untouched(s: SiteRef, occ: string): void {
  const i = id(occ);
  expect(counts(s, 'network', 'allocation', i), 'network').toEqual({ creates: 1, updates: 0, removes: 0 });
  for (const item of op.drivers.backend.list({ name: s.name }, 'telephony', 'number', i)) expect(counts(s, 'telephony', 'number', item.key).removes, item.key).toBe(0);
  for (const [capability, type] of [['wifi', 'device'], ['ports', 'port'], ['wifi', 'account'], ['directory', 'account'], ['access', 'user']] as const) {
    for (const item of op.drivers.backend.list({ name: s.name }, capability, type, i)) expect(counts(s, capability, type, item.key), `${capability}/${type}/${item.key}`).toMatchObject({ removes: 0 });
  }
}

beforeAll(async () => {
  env = await withCluster();
  objects = new Objects(env.kubeConfig);
  op = startOperator({ kubeConfig: env.kubeConfig, metricsPort: 0, handleSignals: false, clock, logger: silentLogger() });
  await kubectl(['create', 'namespace', NS]);
  await apply(...[A, B, M, F].map((s) => cmSite(s)));
  await until('operator ready', async () => op.manager.isReady());
  // Two London resellers (one of them the destination of most moves) and one in Manchester.
  await ready(reseller('rs-north', A), reseller('rs-south', B), reseller('rs-manc', M));
}, 90_000);

afterAll(async () => {
  await op?.stop();
  await env?.stop();
});

describe('CustomerMove', () => {
  it('the example (examples/orders/customermove-pixel-labs.yaml) runs at its time: billing, directory, services and users under southbank; both resellers and the customer say so; SpecDrift until Git catches up', async () => {
    const sites = ['london-shoreditch', 'london-canary-wharf'].map((n) => example('Site', n));
    const occupiers = ['northwind-hosting', 'southbank-networks', 'pixel-labs', 'quill-legal'].map((n) => example('Occupier', n));
    await apply(...sites);
    await ready(...occupiers);
    await waitOccupier('northwind-hosting', 'lists its customers', (o) => JSON.stringify(ost(o).customers) === JSON.stringify(['pixel-labs', 'quill-legal']));
    await waitOccupier('southbank-networks', 'has no customers yet', (o) => JSON.stringify(ost(o).customers) === '[]');
    expect(ost(await objects.get('occupiers', 'pixel-labs')).reseller).toBe('northwind-hosting');
    const SHO = 'london-shoreditch';
    const net = counts(SHO, 'network', 'allocation', id('pixel-labs'));

    // "2027-01-15": a date-only schedule runs at 23:00 UTC that day.
    at('2027-01-15T22:59:55Z');
    const name = 'pixel-labs-to-southbank';
    await apply(example('CustomerMove', name));
    const scheduled = await waitPhase(name, 'Scheduled');
    expect(st(scheduled).scheduledFor).toBe('2027-01-15T23:00:00Z');
    const waiting = await waitOccupier('pixel-labs', 'MoveScheduled', (o) => phaseOf(o) === 'MoveScheduled');
    expect(ost(waiting).activeOrder).toEqual({ kind: 'CustomerMove', name });
    expect(await kubectl(['-n', NS, 'get', 'customermoves', name])).toMatch(/Scheduled/);
    // Argo CD (the chart's health check, run by lua5.1) shows it Progressing until it ends, then Healthy.
    const health = (o: Obj | undefined): string => runHealth(join(healthDir('CustomerMove'), 'health.lua'), o).status;
    expect(health(await objects.get('customermoves', name))).toBe('Progressing');

    const done = await waitPhase(name, 'Succeeded', 30_000);
    expect(health(done)).toBe('Healthy');
    expect(Date.parse(st(done).startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse('2027-01-15T23:00:00Z'));
    expect((st(done).tasks ?? []).map((t) => `${t.site} ${t.step} ${t.state}`)).toEqual([
      `${SHO} billing Succeeded`,
      `${SHO} directory Succeeded`,
      `${SHO} services Succeeded`,
      `${SHO} users Succeeded`,
      `${SHO} notify Succeeded`,
    ]);
    const items = st(done).plan?.items ?? [];
    expect(items.filter((i) => i.kind === 'Service').map((i) => `${i.name} ${i.action}: ${i.detail ?? ''}`)).toEqual([
      'internet-100 Remap: access level Premium → Standard (servicePlanMappings); users get bandwidthMbps=100',
      'wifi-secure Move: access level Standard → Standard (matched by name); users get devicesPerUser=3',
    ]);

    // Outside: billing and directory under southbank, internet-100 at Standard, users with Standard's properties.
    expect(detailsAt(SHO, 'billing', 'customer', id('pixel-labs'), 'pixel-labs')).toMatchObject({ reseller: id('southbank-networks') });
    expect(detailsAt(SHO, 'directory', 'customer', id('pixel-labs'), 'pixel-labs')).toMatchObject({ reseller: id('southbank-networks') });
    expect(detailsAt(SHO, 'billing', 'service', `${id('pixel-labs')}/internet-100`, 'pixel-labs')).toMatchObject({ accessLevel: 'Standard', state: 'Active' });
    for (const email of ['dev@pixel-labs.example', 'ops@pixel-labs.example']) {
      // "no service properties are overridden": the new SAL's (Premium's staticIp is gone).
      expect(detailsAt<Entitlements>(SHO, 'directory', 'entitlements', email, 'pixel-labs')?.services).toEqual({
        'internet-100': { accessLevel: 'Standard', properties: { bandwidthMbps: '100' } },
        'wifi-secure': { accessLevel: 'Standard', properties: { devicesPerUser: '3' } },
      });
    }
    // "Nothing about sites, network or numbers changes."
    expect(counts(SHO, 'network', 'allocation', id('pixel-labs'))).toEqual(net);

    const ev = await events(name);
    expect(ev).toMatch(/Normal\s+Scheduled\s+customer move of pixel-labs from northwind-hosting to southbank-networks scheduled for 2027-01-15T23:00:00Z/);
    expect(ev).toMatch(/Normal\s+Started/);
    expect(ev).toMatch(/Normal\s+Succeeded\s+customer move complete: pixel-labs is now a customer of southbank-networks/);

    // The old reseller no longer lists the customer, the new one does; the customer names its reseller.
    const after = await waitOccupier('pixel-labs', 'with southbank', (o) => phaseOf(o) === 'Active' && ost(o).reseller === 'southbank-networks');
    expect(ost(after).activeOrder).toBeUndefined();
    await waitOccupier('northwind-hosting', 'without pixel-labs', (o) => JSON.stringify(ost(o).customers) === JSON.stringify(['quill-legal']));
    await waitOccupier('southbank-networks', 'with pixel-labs', (o) => JSON.stringify(ost(o).customers) === JSON.stringify(['pixel-labs']));
    expect(await kubectl(['-n', NS, 'get', 'occupier', 'pixel-labs', '-o', 'wide'])).toMatch(/southbank-networks/);

    // SpecDrift names spec.resellerRef.name (and the mapped level) until Git says so.
    expect(conditionOf(after, 'SpecDrift')).toMatchObject({ status: 'True', reason: 'SpecDrift' });
    expect(ost(after).specDrift).toEqual([
      'spec.sites[0].services[name=internet-100]: {"name":"internet-100","quantity":1,"accessLevel":"Premium"} → {"name":"internet-100","quantity":1,"accessLevel":"Standard"}',
      'spec.resellerRef.name: northwind-hosting → southbank-networks',
    ]);
    expect(await events('pixel-labs')).toMatch(/Warning\s+SpecDrift\s+.*spec\.resellerRef\.name: northwind-hosting → southbank-networks/);
    // Deleting the order waits while Git disagrees (it is the record of what changed).
    const del = await env.kubectl(['-n', NS, 'delete', 'customermove', name, '--wait=false']);
    expect(del.code).toBe(0);
    await until('DeletionWaitsForGit', async () => /Warning\s+DeletionWaitsForGit/.test(await events(name)));
    expect(await order(name)).toBeDefined();

    const git = example('Occupier', 'pixel-labs');
    const spec = git.spec as { resellerRef: { name: string }; sites: { services: { name: string; accessLevel: string }[] }[] };
    spec.resellerRef = { name: 'southbank-networks' };
    for (const s of spec.sites[0]?.services ?? []) if (s.name === 'internet-100') s.accessLevel = 'Standard';
    const service = counts(SHO, 'billing', 'service', `${id('pixel-labs')}/internet-100`);
    await apply(git);
    const synced = await waitOccupier('pixel-labs', 'in sync', (o) => conditionOf(o, 'SpecDrift')?.status === 'False' && ost(o).observedGeneration === (o.metadata as { generation: number }).generation);
    expect(ost(synced).specDrift).toBeUndefined();
    expect(ost(synced).reseller).toBe('southbank-networks');
    expect(await events('pixel-labs')).toMatch(/Normal\s+SpecInSync/);
    // The order goes once Git agrees; nothing is provisioned again, and the reseller keeps its customer.
    await until('order deleted', async () => (await order(name)) === undefined);
    await new Promise((r) => setTimeout(r, 1000));
    expect(counts(SHO, 'billing', 'service', `${id('pixel-labs')}/internet-100`)).toEqual(service);
    expect(ost(await objects.get('occupiers', 'southbank-networks')).customers).toEqual(['pixel-labs']);
    expect(ost(await objects.get('occupiers', 'pixel-labs')).reseller).toBe('southbank-networks');
  });

  it('a reseller cannot be moved: Blocked ResellerCannotMove, nothing done', async () => {
    await apply(customerMove('move-a-reseller', 'rs-north', 'rs-south'));
    const blocked = await waitBlocked('move-a-reseller', (m) => /ResellerCannotMove/.test(m));
    expect(conditionOf(blocked, 'Blocked')).toMatchObject({ reason: 'ResellerCannotMove', message: expect.stringContaining('rs-north is a reseller; a reseller cannot be moved') });
    expect(st(blocked).startedAt).toBeUndefined();
    expect(await events('move-a-reseller')).toMatch(/Warning\s+ResellerCannotMove/);
    await kubectl(['-n', NS, 'delete', 'customermove', 'move-a-reseller', '--wait=true', '--timeout=30s']);
  });

  it('a London customer to a Manchester reseller: Blocked LocationMismatch naming both locations', async () => {
    await ready(customer('londoner', 1, A, 'rs-north'));
    await apply(customerMove('to-manchester', 'londoner', 'rs-manc'));
    const blocked = await waitBlocked('to-manchester', (m) => /LocationMismatch/.test(m));
    expect(conditionOf(blocked, 'Blocked')).toMatchObject({ reason: 'LocationMismatch', message: expect.stringContaining('rs-manc is in manchester, not in london') });
    expect(detailsAt(A, 'billing', 'customer', id('londoner'), 'londoner')).toBeUndefined();
    expect(phaseOf(await objects.get('occupiers', 'londoner'))).toBe('MoveScheduled');
    await kubectl(['-n', NS, 'delete', 'customermove', 'to-manchester', '--wait=true', '--timeout=30s']);
    await waitOccupier('londoner', 'Active again', (o) => phaseOf(o) === 'Active');
  });

  it('a service the reseller lacks and an access level with no match: Blocked listing them; fixed (the reseller provisions it, a mapping) it succeeds, users inherit the overridden properties', async () => {
    await ready(customer('mapper', 2, A, 'rs-north', [{ name: 'internet-100', accessLevel: 'Premium' }, { name: 'wifi-secure', accessLevel: 'Standard' }, { name: 'hosted-voice', accessLevel: 'Standard' }]));
    await apply(customerMove('mapper', 'mapper', 'rs-south', { accessLevelOverrides: [{ service: 'internet-100', properties: { bandwidthMbps: '200' } }] }));
    const blocked = await waitBlocked('mapper', (m) => /ServiceNotOffered/.test(m) && /UnmatchedAccessLevels/.test(m));
    const message = conditionOf(blocked, 'Blocked')?.message ?? '';
    expect(message).toContain('rs-south does not have these services provisioned: hosted-voice');
    expect(message).toContain('access levels with no match at rs-south: internet-100/Premium; map them in spec.servicePlanMappings');
    expect(st(blocked).plan?.unmatched).toEqual(['hosted-voice', 'internet-100/Premium']);
    expect(st(blocked).startedAt).toBeUndefined();
    expect(detailsAt(A, 'billing', 'service', `${id('mapper')}/internet-100`, 'mapper')).toMatchObject({ accessLevel: 'Premium' });

    // The reseller provisions hosted-voice: only the access level is left.
    await apply(reseller('rs-south', B, [...STANDARD, { name: 'hosted-voice', accessLevel: 'Standard' }]));
    const left = await waitBlocked('mapper', (m) => !/ServiceNotOffered/.test(m) && /UnmatchedAccessLevels/.test(m));
    expect(st(left).plan?.unmatched).toEqual(['internet-100/Premium']);
    // A mapping to a level the reseller lacks is refused, then the right one.
    await kubectl(['-n', NS, 'patch', 'customermove', 'mapper', '--type', 'merge', '-p', JSON.stringify({ spec: { servicePlanMappings: [{ service: 'internet-100', accessLevel: 'Gold' }] } })]);
    await waitBlocked('mapper', (m) => /UnknownMappedAccessLevel.*internet-100\/Gold/.test(m));
    await kubectl(['-n', NS, 'patch', 'customermove', 'mapper', '--type', 'merge', '-p', JSON.stringify({ spec: { servicePlanMappings: [{ service: 'internet-100', accessLevel: 'Standard' }] } })]);
    const done = await waitPhase('mapper', 'Succeeded');
    expect(conditionOf(done, 'Blocked')?.status).toBe('False');

    expect(detailsAt(A, 'billing', 'service', `${id('mapper')}/internet-100`, 'mapper')).toMatchObject({ accessLevel: 'Standard' });
    // "If service properties are changed or overridden, the moved customer's users inherit the new, changed service properties."
    expect(detailsAt<Entitlements>(A, 'directory', 'entitlements', 'user0@mapper.example', 'mapper')?.services).toEqual({
      'internet-100': { accessLevel: 'Standard', properties: { bandwidthMbps: '200' } },
      'wifi-secure': { accessLevel: 'Standard', properties: { devicesPerUser: '3' } },
      'hosted-voice': { accessLevel: 'Standard', properties: { international: 'false' } },
    });
    untouched(A, 'mapper');
    await waitOccupier('mapper', 'with rs-south', (o) => ost(o).reseller === 'rs-south' && phaseOf(o) === 'Active');
    await waitOccupier('rs-south', 'lists mapper', (o) => (ost(o).customers ?? []).includes('mapper'));
    await waitOccupier('rs-north', 'no longer lists mapper', (o) => !(ost(o).customers ?? []).includes('mapper'));
  });

  it('scheduled: Scheduled and MoveScheduled until its time, then it runs', async () => {
    await ready(customer('later', 3, A, 'rs-north'));
    const when = new Date(clock.now() + 5000).toISOString().replace(/\.\d+Z$/, 'Z');
    await apply(customerMove('later', 'later', 'rs-south', { scheduledAt: when }));
    const scheduled = await waitPhase('later', 'Scheduled');
    expect(st(scheduled).scheduledFor).toBe(when);
    expect(conditionOf(scheduled, 'Scheduled')?.message).toContain('kubectl -n occupiers delete customermove later');
    const waiting = await waitOccupier('later', 'MoveScheduled', (o) => phaseOf(o) === 'MoveScheduled');
    expect(ost(waiting).activeOrder).toEqual({ kind: 'CustomerMove', name: 'later' });
    expect(detailsAt(A, 'billing', 'customer', id('later'), 'later')).toBeUndefined();
    const done = await waitPhase('later', 'Succeeded', 30_000);
    expect(Date.parse(st(done).startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(when));
    expect(detailsAt(A, 'billing', 'customer', id('later'), 'later')).toMatchObject({ reseller: id('rs-south') });
    await waitOccupier('later', 'Active with rs-south', (o) => phaseOf(o) === 'Active' && ost(o).reseller === 'rs-south');
  });

  it('Manual approval: status.plan to review (services SAL before → after, users\' properties) before any driver call; approve runs it', async () => {
    await ready(customer('careful', 4, A, 'rs-north'));
    await apply(customerMove('careful', 'careful', 'rs-south', { approval: 'Manual', notify: ['ops@careful.example'] }));
    const waiting = await waitPhase('careful', 'AwaitingApproval');
    const items = st(waiting).plan?.items ?? [];
    expect(items.map((i) => `${i.step} ${i.kind} ${i.name} ${i.action}`)).toEqual([
      'billing Contract careful Move',
      'directory Access careful Move',
      'services Service internet-100 Move',
      'services Service wifi-secure Move',
      'users User user0@careful.example Move',
      'users User user1@careful.example Move',
    ]);
    expect(items.find((i) => i.kind === 'User')?.detail).toBe('moves with careful from rs-north to rs-south; inherits internet-100: Standard (bandwidthMbps=100), wifi-secure: Standard (devicesPerUser=3)');
    expect(conditionOf(waiting, 'AwaitingApproval')?.message).toContain('kubectl -n occupiers annotate customermove careful occupier.dev/approve=true');
    expect(st(waiting).tasks).toBeUndefined();
    expect(detailsAt(A, 'billing', 'customer', id('careful'), 'careful')).toBeUndefined();
    expect(detailsAt(A, 'directory', 'entitlements', 'user0@careful.example', 'careful')).toBeUndefined();
    expect(phaseOf(await objects.get('occupiers', 'careful'))).toBe('MoveScheduled');

    await kubectl(['-n', NS, 'annotate', 'customermove', 'careful', 'occupier.dev/approve=true']);
    await waitPhase('careful', 'Succeeded');
    expect(await events('careful')).toMatch(/Normal\s+Approved/);
    expect(detailsAt(A, 'billing', 'customer', id('careful'), 'careful')).toMatchObject({ reseller: id('rs-south') });
    const sent = op.drivers.backend.list({ name: A.name }, 'notify', 'message').map((m) => m.spec as { recipients: string[]; subject: string });
    expect(sent.find((m) => m.recipients.includes('ops@careful.example'))?.subject).toBe('customer move complete: careful is now a customer of rs-south');
    untouched(A, 'careful');
  });

  it('cancel: deleting a scheduled move before it starts touches nothing', async () => {
    await ready(customer('undecided', 5, A, 'rs-north'));
    await apply(customerMove('undecided', 'undecided', 'rs-south', { scheduledAt: '2031-01-01' }));
    await waitPhase('undecided', 'Scheduled');
    await waitOccupier('undecided', 'MoveScheduled', (o) => phaseOf(o) === 'MoveScheduled');
    await kubectl(['-n', NS, 'delete', 'customermove', 'undecided', '--wait=true', '--timeout=30s']);
    expect(await order('undecided')).toBeUndefined();
    await until('Cancelled event', async () => /Normal\s+Cancelled\s+customer move of undecided from rs-north to rs-south cancelled before it started/.test(await events('undecided')));
    const back = await waitOccupier('undecided', 'Active again', (o) => phaseOf(o) === 'Active');
    expect(ost(back).reseller).toBe('rs-north');
    expect(detailsAt(A, 'billing', 'customer', id('undecided'), 'undecided')).toBeUndefined();
    expect(ost(await objects.get('occupiers', 'rs-north')).customers).toContain('undecided');
  });

  it('a permanent driver fault fails the move (Warning Event with the retry command); fixed and retried, it succeeds', async () => {
    await ready(reseller('rs-faulty-dest', F), customer('broken', 6, F, 'rs-north'));
    await apply(cmSite(F, { failOnStep: 'directory/entitlements/ensure' }));
    await apply(customerMove('broken', 'broken', 'rs-faulty-dest'));
    const failed = await waitPhase('broken', 'Failed');
    const bad = task(failed, F, 'users');
    expect(bad).toMatchObject({ state: 'Failed', lastError: expect.stringMatching(/InjectedFailure/) });
    for (const step of ['billing', 'directory', 'services']) expect(task(failed, F, step)?.state, step).toBe('Succeeded');
    expect(conditionOf(failed, 'Failed')?.reason).toBe('StepFailed');
    expect(await events('broken')).toMatch(/Warning\s+StepFailed\s+.*InjectedFailure.*kubectl -n occupiers annotate customermove broken occupier\.dev\/retry=true/);
    // A failed move leaves the occupier Active with its old reseller.
    const still = await waitOccupier('broken', 'Active', (o) => phaseOf(o) === 'Active');
    expect(ost(still).reseller).toBe('rs-north');

    await apply(cmSite(F));
    // The operator has seen the fixed Site (its controller observed the new generation).
    await until('site cm-f fixed', async () => {
      const s = await objects.get('sites', F.name, '');
      return (s?.status as { observedGeneration?: number } | undefined)?.observedGeneration === (s?.metadata as { generation?: number } | undefined)?.generation;
    });
    await kubectl(['-n', NS, 'annotate', 'customermove', 'broken', 'occupier.dev/retry=true']);
    await until('retried', async () => conditionOf(await order('broken'), 'Failed')?.status === 'False');
    const done = await waitPhase('broken', 'Succeeded');
    expect(task(done, F, 'users')?.attempts).toBeGreaterThan(bad?.attempts ?? 0);
    expect(await events('broken')).toMatch(/Normal\s+Retrying/);
    expect(detailsAt<Entitlements>(F, 'directory', 'entitlements', 'user0@broken.example', 'broken')?.services['internet-100']).toEqual({ accessLevel: 'Standard', properties: { bandwidthMbps: '100' } });
    // Each external change once: billing moved once, not again on the retry.
    expect(counts(F, 'billing', 'customer', id('broken'))).toEqual({ creates: 1, updates: 0, removes: 0 });
    untouched(F, 'broken');
    await waitOccupier('broken', 'with rs-faulty-dest', (o) => ost(o).reseller === 'rs-faulty-dest');
    await waitOccupier('rs-faulty-dest', 'lists broken', (o) => JSON.stringify(ost(o).customers) === JSON.stringify(['broken']));
  });

  it('a moved customer decommissioned: its users\' entitlements and its directory record go (the emails are free again); billing keeps which reseller it was with', async () => {
    // careful moved under rs-south above.
    expect(detailsAt(A, 'directory', 'entitlements', 'user0@careful.example', 'careful')).toBeDefined();
    await apply({ apiVersion: 'occupier.dev/v1alpha1', kind: 'Decommission', metadata: { name: 'careful-bye', namespace: NS }, spec: { occupierRef: { name: 'careful' }, confirm: { occupierName: 'careful', irreversible: true } } });
    await until('decommission careful-bye Succeeded', async () => phaseOf(await objects.get('decommissions', 'careful-bye')) === 'Succeeded', 30_000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; status: ${JSON.stringify((await objects.get('decommissions', 'careful-bye'))?.status)}`, { cause: err });
    });
    for (const email of ['user0@careful.example', 'user1@careful.example']) {
      expect(detailsAt(A, 'directory', 'entitlements', email, 'careful'), email).toBeUndefined();
      expect(counts(A, 'directory', 'entitlements', email), email).toEqual({ creates: 1, updates: 0, removes: 1 });
    }
    expect(counts(A, 'directory', 'customer', id('careful'))).toEqual({ creates: 1, updates: 0, removes: 1 });
    expect(detailsAt(A, 'billing', 'customer', id('careful'), 'careful')).toMatchObject({ reseller: id('rs-south') });
    await waitOccupier('careful', 'Decommissioned', (o) => phaseOf(o) === 'Decommissioned');
  });
});
