/**
 * "Killing the operator at any moment loses nothing and provisions nothing twice": 50
 * decommission runs while the operator process is killed with SIGKILL at random moments and
 * restarted, until every run has Succeeded; then the simulated backend (persisted by the
 * operator process) must show each external item created once and removed exactly once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedBackend } from '../../drivers/src/simulated/backend.ts';
import { withCluster } from '../support/cluster.ts';
import { killWhileOrdersRun, OperatorLives, spawnOperatorCli, tearDown } from '../support/process.ts';
import type { ClusterEnv } from '../support/cluster.ts';
import { decommission, manifest, NS, Objects, occupier, phaseOf, site, until } from '../support/estate.ts';
import type { Obj } from '../support/estate.ts';

const RUNS = Number(process.env.CRASH_RUNS ?? 50);
const MAX_KILLS = Number(process.env.CRASH_KILLS ?? 25);
const SITES = [
  { name: 'crash-a', index: 5 },
  { name: 'crash-b', index: 6 },
];

let env: ClusterEnv;
let objects: Objects;
let stateDir: string;
/** The operator's CLI (npm start) in a process of its own, killed and restarted. */
const operator = new OperatorLives(() => spawnOperatorCli({ kubeconfigPath: env.kubeconfigPath, stateDir }));

const kubectl = (args: string[], stdin?: string): Promise<string> => env.kubectlOk(args, stdin);

/** Whether some decommission is Running (one list call). */
async function running(): Promise<boolean> {
  const list = JSON.parse(await kubectl(['-n', NS, 'get', 'decommissions', '-o', 'json'])) as { items: Obj[] };
  return list.items.some((o) => phaseOf(o) === 'Running');
}

async function phases(): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (let n = 0; n < RUNS; n++) out.set(`crash-${n}`, phaseOf(await objects.get('decommissions', `crash-${n}`)));
  return out;
}

beforeAll(async () => {
  env = await withCluster();
  objects = new Objects(env.kubeConfig);
  stateDir = mkdtempSync(join(tmpdir(), 'crash-drivers-'));
  await kubectl(['create', 'namespace', NS]);
  await kubectl(['apply', '-f', '-'], manifest(...SITES.map((s) => site(s.name, s.index))));
  const occupiers: Obj[] = Array.from({ length: RUNS }, (_, n) => occupier(`crash-${n}`, n, { sites: SITES, users: 2, numbers: 2, devices: 2, ports: 2 }));
  await kubectl(['apply', '-f', '-'], manifest(...occupiers));
  operator.start();
  await until('every occupier Ready', async () => {
    const list = JSON.parse(await kubectl(['-n', NS, 'get', 'occupiers', '-o', 'json'])) as { items: Obj[] };
    return list.items.length === RUNS && list.items.every((o) => (o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  }, 120_000, 500);
}, 180_000);

afterAll(() => tearDown({ operator, cluster: env, stateDir }));

describe('operator killed at random points during decommissions', () => {
  it(`every one of ${RUNS} runs ends Succeeded and every external item is removed exactly once`, async () => {
    // Slow drivers so kills land mid-step. The orders are created while the operator is down, so
    // none can finish before the first kill (a fast machine ran all 50 while kubectl applied them).
    await operator.stop('SIGKILL');
    await kubectl(['apply', '-f', '-'], manifest(...SITES.map((s) => site(s.name, s.index, { latencyMs: '60' }))));
    await kubectl(['apply', '-f', '-'], manifest(...Array.from({ length: RUNS }, (_, n) => decommission(`crash-${n}`, `crash-${n}`))));
    operator.start();

    const { kills, whileRunning } = await killWhileOrdersRun({
      operator,
      seed: 42,
      maxKills: MAX_KILLS,
      orders: { count: RUNS, phases, fatal: ['Failed'], status: async (name) => (await objects.get('decommissions', name))?.status, finishWithinMs: 400_000, pollMs: 1000 },
      landing: async () => ({ running: await running(), midStep: false }),
      // Until three kills have landed while a decommission ran, aim: wait (up to 10 s) until one
      // runs, then kill soon after. The CLI takes a while to start; random moments fell before it
      // ran anything on a real API server.
      aim: { whileRunning: 3, midStep: 0, withinMs: 10_000, pollMs: 20, jitterMs: 300 },
      moment: (random) => new Promise((r) => setTimeout(r, 500 + Math.floor(random() * 1200))),
      waitReady: false,
    });
    console.log(`decommission-crash (${env.kind}): ${RUNS} runs, ${kills} kills, ${whileRunning} while a run ran`);
    // The occupiers follow their orders (the Occupier controller is the one writer of their status).
    await until('every occupier Decommissioned', async () => {
      for (let n = 0; n < RUNS; n++) if (phaseOf(await objects.get('occupiers', `crash-${n}`)) !== 'Decommissioned') return false;
      return true;
    }, 60_000, 500);
    await operator.stop('SIGTERM');
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(whileRunning).toBeGreaterThanOrEqual(3);

    const backend = new SimulatedBackend({ stateDir });
    try {
      const problems: string[] = [];
      for (let n = 0; n < RUNS; n++) {
        const spec = occupier(`crash-${n}`, n, { sites: SITES, users: 2, numbers: 2, devices: 2, ports: 2 }).spec as {
          sites: { site: string; numbers: { number: string }[]; wifiDevices: { mac: string }[]; ports: { name: string }[] }[];
          users: { email: string; sites: string[] }[];
        };
        const id = `${NS}/crash-${n}`;
        for (const s of spec.sites) {
          const refs: [string, string, string][] = [
            ['network', 'allocation', id],
            ...s.numbers.map((x): [string, string, string] => ['telephony', 'number', x.number]),
            ...s.wifiDevices.map((x): [string, string, string] => ['wifi', 'device', x.mac.toLowerCase()]),
            ...s.ports.map((x): [string, string, string] => ['ports', 'port', `${id}/${x.name}`]),
            ...spec.users.filter((u) => u.sites.includes(s.site)).flatMap((u): [string, string, string][] => [
              ['wifi', 'account', u.email],
              ['directory', 'account', u.email],
              ['access', 'user', u.email],
            ]),
          ];
          for (const [capability, type, key] of refs) {
            const c = backend.counts({ site: s.site, capability, type, key } as Parameters<SimulatedBackend['counts']>[0]);
            if (c.creates !== 1 || c.removes !== 1) problems.push(`${s.site} ${capability}/${type}/${key}: created ${c.creates}, removed ${c.removes}`);
          }
          if (backend.list({ name: s.site }, 'network', 'allocation', id).length !== 0) problems.push(`${s.site}: network of ${id} still allocated`);
        }
      }
      expect(problems).toEqual([]);
    } finally {
      backend.close();
    }
  }, 900_000);
});
