/**
 * "Killing the operator at any moment loses nothing and changes nothing twice", for customer
 * moves (seed 003): 20 customers of reseller A move under reseller B (same location, another
 * site) — a third need a `servicePlanMappings` entry (their Premium level has no match at B),
 * a third give users `accessLevelOverrides`, the rest match by name — while the operator
 * process is killed with SIGKILL at random moments and restarted, until every move has
 * Succeeded. Then the simulated backend (persisted by the operator process) must show each
 * external change once: per move every ensured item created at most once and effectively
 * updated at most once (the billing and directory records and the entitlements created, a
 * service updated only when its level is remapped), nothing removed, and nothing the move does
 * not touch (network, accounts, door access) changed at all.
 *
 * The moves are due a second apart from a few seconds after the operator restarts with them,
 * so kills land before, during and between them; the drivers are slowed so they land mid-step.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedBackend } from '../../drivers/src/simulated/backend.ts';
import { withCluster } from '../support/cluster.ts';
import type { ClusterEnv } from '../support/cluster.ts';
import { manifest, NS, Objects, occupier, phaseOf, site, until } from '../support/estate.ts';
import type { Obj } from '../support/estate.ts';
import { killWhileOrdersRun, OperatorLives, spawnOperator, tearDown } from '../support/process.ts';

const RUNS = Number(process.env.CRASH_RUNS ?? 20);
const MAX_KILLS = Number(process.env.CRASH_KILLS ?? 8);
/** Reseller A and its customers; reseller B, in the same location. */
const A = { name: 'cmx-a', index: 7 };
const B = { name: 'cmx-b', index: 8 };
const FROM = 'cmx-reseller-a';
const TO = 'cmx-reseller-b';
/** The first move is due this long after the operator starts with the moves; the others follow, one each SPACING_MS. */
const FIRST_DUE_MS = 3_000;
const SPACING_MS = 1_000;
const LATENCY_MS = '80';

let env: ClusterEnv;
let objects: Objects;
let stateDir: string;
/**
 * The operator in a process of its own, as `npm start` runs it (spawnOperator: the same
 * `startOperator`, its simulated backend persisted in `stateDir`), killed and restarted.
 */
const operator = new OperatorLives(() => spawnOperator({ kubeconfigPath: env.kubeconfigPath, stateDir }));

const kubectl = (args: string[], stdin?: string): Promise<string> => env.kubectlOk(args, stdin);

/** A test Site whose catalog has access levels with properties (the SALs users inherit). */
function cmSite(s: { name: string; index: number }, settings: Record<string, string> = {}): Obj {
  const o = site(s.name, s.index, settings);
  (o.spec as { catalog: { services: unknown[] } }).catalog.services = [
    {
      name: 'internet-100',
      capability: 'network',
      accessLevels: [
        { name: 'Standard', properties: { bandwidthMbps: '100' } },
        { name: 'Premium', properties: { bandwidthMbps: '100', staticIp: 'true' } },
      ],
    },
    { name: 'wifi-secure', capability: 'wifi', accessLevels: [{ name: 'Standard', properties: { devicesPerUser: '3' } }] },
  ];
  return o;
}

function reseller(name: string, at: { name: string }, internetLevel: string): Obj {
  return {
    apiVersion: 'occupier.dev/v1alpha1',
    kind: 'Occupier',
    metadata: { name, namespace: NS },
    spec: {
      displayName: `Reseller ${name}`,
      reseller: true,
      sites: [
        {
          site: at.name,
          contract: { startDate: '2024-01-01', tariff: 'standard-2026' },
          services: [
            { name: 'internet-100', quantity: 10, accessLevel: internetLevel },
            { name: 'wifi-secure', quantity: 10, accessLevel: 'Standard' },
          ],
        },
      ],
    },
  };
}

const nameOf = (n: number): string => `cmx-${n}`;
/** What each move needs: a mapping for the Premium level B lacks, overridden properties, or nothing. */
const kindOf = (n: number): 'mapped' | 'overridden' | 'matched' => (['mapped', 'overridden', 'matched'] as const)[n % 3] ?? 'matched';
const BANDWIDTH = '200';

function customer(n: number): Obj {
  const o = occupier(nameOf(n), n, { sites: [A], users: 2, numbers: 1, devices: 0, ports: 0 });
  const spec = o.spec as { resellerRef?: { name: string }; sites: { services: unknown[] }[] };
  spec.resellerRef = { name: FROM };
  const internet = kindOf(n) === 'mapped' ? 'Premium' : 'Standard';
  for (const e of spec.sites) e.services = [{ name: 'internet-100', quantity: 1, accessLevel: internet }, { name: 'wifi-secure', quantity: 2, accessLevel: 'Standard' }];
  return o;
}

function customerMove(n: number, scheduledAt: string): Obj {
  const extra: Obj = {};
  if (kindOf(n) === 'mapped') extra.servicePlanMappings = [{ service: 'internet-100', accessLevel: 'Standard' }];
  if (kindOf(n) === 'overridden') extra.accessLevelOverrides = [{ service: 'internet-100', properties: { bandwidthMbps: BANDWIDTH } }];
  return { apiVersion: 'occupier.dev/v1alpha1', kind: 'CustomerMove', metadata: { name: nameOf(n), namespace: NS }, spec: { occupierRef: { name: nameOf(n) }, toReseller: { name: TO }, scheduledAt, ...extra } };
}

async function items(kind: string): Promise<Obj[]> {
  return (JSON.parse(await kubectl(['-n', NS, 'get', kind, '-o', 'json'])) as { items: Obj[] }).items;
}

async function phases(): Promise<Map<string, string | undefined>> {
  return new Map((await items('customermoves')).map((o) => [(o.metadata as { name: string }).name, phaseOf(o)]));
}

const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

beforeAll(async () => {
  env = await withCluster();
  objects = new Objects(env.kubeConfig);
  stateDir = mkdtempSync(join(tmpdir(), 'customermove-crash-drivers-'));
  await kubectl(['create', 'namespace', NS]);
  await kubectl(['apply', '-f', '-'], manifest(cmSite(A), cmSite(B)));
  await kubectl(['apply', '-f', '-'], manifest(reseller(FROM, A, 'Premium'), reseller(TO, B, 'Standard'), ...Array.from({ length: RUNS }, (_, n) => customer(n))));
  operator.start();
  await until('every occupier Ready', async () => {
    const list = await items('occupiers');
    return list.length === RUNS + 2 && list.every((o) => (o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  }, 90_000, 300);
}, 150_000);

afterAll(() => tearDown({ operator, cluster: env, stateDir }));

describe('operator killed at random points during customer moves', () => {
  it(`every one of ${RUNS} moves ends Succeeded; every external change happens once`, async () => {
    await operator.stop('SIGKILL');
    // Slow drivers, so kills land mid-step.
    await kubectl(['apply', '-f', '-'], manifest(cmSite(A, { latencyMs: LATENCY_MS }), cmSite(B, { latencyMs: LATENCY_MS })));
    const first = Math.ceil((Date.now() + FIRST_DUE_MS) / 1000) * 1000;
    await kubectl(['apply', '-f', '-'], manifest(...Array.from({ length: RUNS }, (_, n) => customerMove(n, iso(first + n * SPACING_MS)))));
    operator.start();

    const stepRunning = (o: Obj): boolean => ((o.status as { tasks?: { state: string }[] } | undefined)?.tasks ?? []).some((t) => t.state === 'Running');
    const { kills, whileRunning, midStep } = await killWhileOrdersRun({
      operator,
      seed: 11,
      maxKills: MAX_KILLS,
      orders: { count: RUNS, phases, fatal: ['Failed', 'Blocked'], status: async (name) => (await objects.get('customermoves', name))?.status, finishWithinMs: 45_000, pollMs: 300 },
      landing: async () => {
        const moves = await items('customermoves');
        return { running: moves.some((o) => phaseOf(o) === 'Running'), midStep: moves.some(stepRunning) };
      },
      // Until one kill has landed mid-step and three while a move ran, aim: kill as soon as a
      // step (then a move) is under way, up to 5 s. Customer moves are short; random moments often miss them.
      aim: { whileRunning: 3, midStep: 1, withinMs: 5_000, pollMs: 10, jitterMs: 0 },
      // Otherwise killed at a random moment once it is up (so every life makes some progress).
      moment: (random) => new Promise((r) => setTimeout(r, 150 + Math.floor(random() * 1100))),
      waitReady: true,
    });
    console.log(`customermove-crash (${env.kind}): ${RUNS} moves, ${kills} kills, ${whileRunning} while a move ran, ${midStep} mid-step`);
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(whileRunning).toBeGreaterThanOrEqual(3);
    expect(midStep).toBeGreaterThanOrEqual(1);
    // The customers follow: Active with reseller B, which lists every one of them; A none.
    await until('every customer Active with reseller B, listed by B', async () => {
      const list = await items('occupiers');
      const by = new Map(list.map((o) => [(o.metadata as { name: string }).name, o]));
      const customers = Array.from({ length: RUNS }, (_, n) => by.get(nameOf(n)));
      const listed = (name: string): string[] => (by.get(name)?.status as { customers?: string[] } | undefined)?.customers ?? [];
      return (
        customers.every((o) => phaseOf(o) === 'Active' && (o?.status as { reseller?: string } | undefined)?.reseller === TO) &&
        listed(TO).length === RUNS &&
        listed(FROM).length === 0
      );
    }, 30_000, 300);
    await operator.stop('SIGTERM');

    const backend = new SimulatedBackend({ stateDir });
    try {
      const problems: string[] = [];
      const expectCounts = (capability: string, type: string, key: string, want: { creates: number; updates: number; removes: number }): void => {
        const c = backend.counts({ site: A.name, capability, type, key } as Parameters<SimulatedBackend['counts']>[0]);
        if (c.creates !== want.creates || c.updates !== want.updates || c.removes !== want.removes) problems.push(`${A.name} ${capability}/${type}/${key}: ${JSON.stringify(c)}; want ${JSON.stringify(want)}`);
      };
      const once = { creates: 1, updates: 0, removes: 0 };
      const details = <T>(capability: string, type: string, key: string): T | undefined => backend.list({ name: A.name }, capability, type).find((i) => i.key === key)?.details as T | undefined;
      for (let n = 0; n < RUNS; n++) {
        const id = `${NS}/${nameOf(n)}`;
        const spec = customer(n).spec as { users: { email: string }[]; sites: { numbers: { number: string }[] }[] };
        const emails = spec.users.map((u) => u.email);
        // What the move ensured: the records and the entitlements created once, the remapped service updated once.
        expectCounts('billing', 'customer', id, once);
        expectCounts('directory', 'customer', id, once);
        for (const email of emails) expectCounts('directory', 'entitlements', email, once);
        expectCounts('billing', 'service', `${id}/internet-100`, { creates: 1, updates: kindOf(n) === 'mapped' ? 1 : 0, removes: 0 });
        expectCounts('billing', 'service', `${id}/wifi-secure`, once);
        // What a customer move does not touch: created once by the Occupier controller, never changed.
        expectCounts('network', 'allocation', id, once);
        expectCounts('billing', 'contract', id, once);
        for (const x of spec.sites[0]?.numbers ?? []) expectCounts('telephony', 'number', x.number, once);
        for (const email of emails) for (const [capability, type] of [['wifi', 'account'], ['directory', 'account'], ['access', 'user']] as const) expectCounts(capability, type, email, once);
        // And it ends where it should: under B, with the level and properties the move gave.
        for (const type of ['billing', 'directory'] as const) {
          const record = details<{ reseller?: string }>(type, 'customer', id);
          if (record?.reseller !== `${NS}/${TO}`) problems.push(`${type}/customer/${id}: ${JSON.stringify(record)}`);
        }
        const service = details<{ accessLevel?: string }>('billing', 'service', `${id}/internet-100`);
        if (service?.accessLevel !== 'Standard') problems.push(`billing/service/${id}/internet-100: ${JSON.stringify(service)}`);
        const want = { accessLevel: 'Standard', properties: { bandwidthMbps: kindOf(n) === 'overridden' ? BANDWIDTH : '100' } };
        for (const email of emails) {
          const got = details<{ services?: Record<string, unknown> }>('directory', 'entitlements', email)?.services?.['internet-100'];
          if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`directory/entitlements/${email}: internet-100 ${JSON.stringify(got)}; want ${JSON.stringify(want)}`);
        }
      }
      // Nothing at B's site for the customers: a customer move changes no site.
      for (let n = 0; n < RUNS; n++) {
        for (const [capability, type] of [['billing', 'customer'], ['directory', 'customer'], ['directory', 'entitlements'], ['network', 'allocation'], ['billing', 'contract']] as const) {
          const there = backend.list({ name: B.name }, capability, type, `${NS}/${nameOf(n)}`);
          if (there.length > 0) problems.push(`${B.name} ${capability}/${type}: ${there.map((i) => i.key).join(', ')}`);
        }
      }
      expect(problems).toEqual([]);
    } finally {
      backend.close();
    }
  }, 120_000);
});
