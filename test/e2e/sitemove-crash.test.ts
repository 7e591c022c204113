/**
 * "Killing the operator at any moment loses nothing and provisions nothing twice", for site
 * moves: 20 moves (half transferring their numbers, half releasing them) while the operator
 * process is killed with SIGKILL at random moments and restarted, until every move has
 * Succeeded; then the simulated backend (persisted by the operator process) must show every
 * external item created once and removed at most once — exactly what a move does to it.
 *
 * A move ends its source at the end of the move date (site time zone), so the operator runs
 * with its clock offset (the same offset across restarts): the moves are scheduled a few
 * seconds before midnight, the destination is set up, and the source is ended at midnight,
 * all within seconds of wall time.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedBackend } from '../../drivers/src/simulated/backend.ts';
import { withCluster } from '../support/cluster.ts';
import { killWhileOrdersRun, OperatorLives, spawnOperator, tearDown } from '../support/process.ts';
import type { ClusterEnv } from '../support/cluster.ts';
import { manifest, NS, Objects, occupier, phaseOf, site, siteMove, until } from '../support/estate.ts';
import type { Obj, OccupierShape } from '../support/estate.ts';

const RUNS = Number(process.env.CRASH_RUNS ?? 20);
const MAX_KILLS = Number(process.env.CRASH_KILLS ?? 10);
const FROM = { name: 'move-a', index: 5 };
const TO = { name: 'move-b', index: 6 };
/** Midnight (London, GMT in March before the clocks change) ending the move date 2027-03-10. */
const MIDNIGHT = Date.parse('2027-03-11T00:00:00Z');
/**
 * When the moves are due, and how far ahead of that the operator's clock starts. A move that
 * started after midnight would move on the next date (and end its source a day later): the
 * margin leaves room for several kills and restarts before midnight.
 */
const DUE_BEFORE_MIDNIGHT_MS = 24_000;
const LEAD_MS = 4_000;

let env: ClusterEnv;
let objects: Objects;
let stateDir: string;
/** The operator clock's offset from now on (the same across restarts). */
let offsetMs = 0;
/**
 * The operator in a process of its own, as `npm start` runs it, but with its clock offset by
 * `offsetMs` (the CLI has no clock option): the same `startOperator` on an OffsetClock; killed and restarted.
 */
const operator = new OperatorLives(() => spawnOperator({ kubeconfigPath: env.kubeconfigPath, stateDir, offsetMs }));

const kubectl = (args: string[], stdin?: string): Promise<string> => env.kubectlOk(args, stdin);

const nameOf = (n: number): string => `mv-${n}`;
const shape: OccupierShape = { sites: [FROM], users: 2, numbers: 2, devices: 2, ports: 2 };
const telephonyOf = (n: number): 'Transfer' | 'Release' => (n % 2 === 0 ? 'Transfer' : 'Release');
/** A space at the destination for the first 20 (it has 20). */
const spacesOf = (n: number): string[] => (n < 20 ? [`office-${n}`] : []);

async function items(kind: string): Promise<Obj[]> {
  return (JSON.parse(await kubectl(['-n', NS, 'get', kind, '-o', 'json'])) as { items: Obj[] }).items;
}

/** Phase per move; a move that started after midnight would end a day later: the run is void. */
async function phases(): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const o of await items('sitemoves')) {
    const startedAt = (o.status as { startedAt?: string } | undefined)?.startedAt;
    if (startedAt !== undefined && Date.parse(startedAt) >= MIDNIGHT) throw new Error(`${(o.metadata as { name: string }).name} started at ${startedAt}, after midnight: too few seconds between due and midnight for these kills`);
    out.set((o.metadata as { name: string }).name, phaseOf(o));
  }
  return out;
}

beforeAll(async () => {
  env = await withCluster();
  objects = new Objects(env.kubeConfig);
  stateDir = mkdtempSync(join(tmpdir(), 'move-crash-drivers-'));
  await kubectl(['create', 'namespace', NS]);
  await kubectl(['apply', '-f', '-'], manifest(site(FROM.name, FROM.index), site(TO.name, TO.index)));
  await kubectl(['apply', '-f', '-'], manifest(...Array.from({ length: RUNS }, (_, n) => occupier(nameOf(n), n, shape))));
  operator.start();
  await until('every occupier Ready', async () => {
    const list = await items('occupiers');
    return list.length === RUNS && list.every((o) => (o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  }, 120_000, 500);
}, 180_000);

afterAll(() => tearDown({ operator, cluster: env, stateDir }));

describe('operator killed at random points during site moves', () => {
  it(`every one of ${RUNS} moves ends Succeeded; every external item is created once and removed at most once`, async () => {
    await operator.stop('SIGKILL');
    // Slow drivers, so kills land mid-step.
    await kubectl(['apply', '-f', '-'], manifest(site(FROM.name, FROM.index, { latencyMs: '60' }), site(TO.name, TO.index, { latencyMs: '60' })));
    // From now on the operator's clock reads LEAD_MS before the moves are due, DUE_BEFORE_MIDNIGHT_MS before midnight.
    const due = MIDNIGHT - DUE_BEFORE_MIDNIGHT_MS;
    offsetMs = due - LEAD_MS - Date.now();
    const scheduledAt = new Date(due).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await kubectl(['apply', '-f', '-'], manifest(...Array.from({ length: RUNS }, (_, n) => siteMove(nameOf(n), nameOf(n), FROM.name, TO.name, { scheduledAt, telephony: telephonyOf(n), spaces: spacesOf(n) }))));
    operator.start();

    const { kills, whileRunning, midStep } = await killWhileOrdersRun({
      operator,
      seed: 7,
      maxKills: MAX_KILLS,
      orders: { count: RUNS, phases, fatal: ['Failed', 'Blocked'], status: async (name) => (await objects.get('sitemoves', name))?.status, finishWithinMs: 60_000, pollMs: 500 },
      landing: async () => {
        const moves = await items('sitemoves');
        const tasks = moves.flatMap((o) => (o.status as { tasks?: { state: string }[] } | undefined)?.tasks ?? []);
        return { running: moves.some((o) => phaseOf(o) === 'Running'), midStep: tasks.some((t) => t.state === 'Running') };
      },
      // The first kill is aimed: as soon as a step is under way (the moves are due LEAD_MS
      // after the start), up to 8 s. Random moments landed mid-step in 0 of 10 kills on a fast
      // API server: a step at 60 ms per call is over in a few hundred milliseconds.
      aim: { whileRunning: 0, midStep: 1, withinMs: 8_000, pollMs: 10, jitterMs: 0 },
      // Then killed at a random moment once it is up (so every life makes some progress), and
      // once each just after the moves are due and just after midnight, when steps run.
      moment: (random) => {
        const now = Date.now() + offsetMs;
        const jitter = 100 + Math.floor(random() * 1100);
        const target = now < due ? due + jitter : now < MIDNIGHT && MIDNIGHT - now < 6_000 ? MIDNIGHT + jitter : now + jitter;
        return new Promise((r) => setTimeout(r, target - now));
      },
      waitReady: true,
    });
    console.log(`sitemove-crash (${env.kind}): ${RUNS} moves, ${kills} kills, ${whileRunning} while a move ran, ${midStep} mid-step`);
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(whileRunning).toBeGreaterThanOrEqual(3);
    expect(midStep).toBeGreaterThanOrEqual(1);
    // The occupiers follow: Active at the destination.
    await until('every occupier Active at the destination', async () => {
      const list = await items('occupiers');
      return list.every((o) => phaseOf(o) === 'Active' && JSON.stringify((o.status as { currentSites?: string[] }).currentSites) === JSON.stringify([TO.name]));
    }, 30_000, 500);
    await operator.stop('SIGTERM');

    const backend = new SimulatedBackend({ stateDir });
    try {
      const problems: string[] = [];
      const expectCounts = (site: string, capability: string, type: string, key: string, creates: number, removes: number): void => {
        const c = backend.counts({ site, capability, type, key } as Parameters<SimulatedBackend['counts']>[0]);
        if (c.creates !== creates || c.removes !== removes) problems.push(`${site} ${capability}/${type}/${key}: created ${c.creates}, removed ${c.removes}; want ${creates}, ${removes}`);
      };
      for (let n = 0; n < RUNS; n++) {
        const spec = occupier(nameOf(n), n, shape).spec as {
          sites: { numbers: { number: string }[]; wifiDevices: { mac: string }[]; ports: { name: string }[]; services: { name: string }[]; occupancies: { space: string; movedIn: string }[] }[];
          users: { email: string }[];
        };
        const entry = spec.sites[0];
        if (!entry) throw new Error('no site entry');
        const id = `${NS}/${nameOf(n)}`;
        const transfer = telephonyOf(n) === 'Transfer';
        const accounts = spec.users.flatMap((u): [string, string, string][] => [['wifi', 'account', u.email], ['directory', 'account', u.email], ['access', 'user', u.email]]);
        // The source: what the occupier used there removed once, its billing kept as history.
        const removed: [string, string, string][] = [
          ['network', 'allocation', id],
          ...entry.numbers.map((x): [string, string, string] => ['telephony', 'number', x.number]),
          ...entry.wifiDevices.map((x): [string, string, string] => ['wifi', 'device', x.mac.toLowerCase()]),
          ...entry.ports.map((x): [string, string, string] => ['ports', 'port', `${id}/${x.name}`]),
          ...accounts,
        ];
        for (const [capability, type, key] of removed) expectCounts(FROM.name, capability, type, key, 1, 1);
        const history: [string, string, string][] = [
          ['billing', 'contract', id],
          ['billing', 'callCharges', id],
          ...entry.services.map((x): [string, string, string] => ['billing', 'service', `${id}/${x.name}`]),
          ...entry.occupancies.map((x): [string, string, string] => ['billing', 'occupancy', `${id}/${x.space}/${x.movedIn}`]),
        ];
        for (const [capability, type, key] of history) expectCounts(FROM.name, capability, type, key, 1, 0);
        const contract = backend.list({ name: FROM.name }, 'billing', 'contract', id)[0]?.details as { status?: string; endDate?: string } | undefined;
        if (contract?.status !== 'Completed' || contract.endDate !== '2027-03-10') problems.push(`${FROM.name} contract of ${id}: ${JSON.stringify(contract)}`);
        // The destination: everything created once, nothing removed.
        const created: [string, string, string][] = [
          ['network', 'allocation', id],
          ['billing', 'contract', id],
          ['billing', 'callCharges', id],
          ...entry.services.map((x): [string, string, string] => ['billing', 'service', `${id}/${x.name}`]),
          ...spacesOf(n).map((s): [string, string, string] => ['billing', 'occupancy', `${id}/${s}/2027-03-10`]),
          ...(transfer ? entry.numbers.map((x): [string, string, string] => ['telephony', 'number', x.number]) : []),
          ...entry.wifiDevices.map((x): [string, string, string] => ['wifi', 'device', x.mac.toLowerCase()]),
          ...accounts,
        ];
        for (const [capability, type, key] of created) expectCounts(TO.name, capability, type, key, 1, 0);
        if (!transfer) for (const x of entry.numbers) expectCounts(TO.name, 'telephony', 'number', x.number, 0, 0);
        for (const [capability, type] of [['network', 'allocation'], ['ports', 'port'], ['wifi', 'device'], ['telephony', 'number'], ['wifi', 'account'], ['access', 'user']] as const) {
          const left = backend.list({ name: FROM.name }, capability, type, id);
          if (left.length > 0) problems.push(`${FROM.name} ${capability}/${type} of ${id} still there: ${left.map((i) => i.key).join(', ')}`);
        }
      }
      expect(problems).toEqual([]);
    } finally {
      backend.close();
    }
  }, 240_000);
});
