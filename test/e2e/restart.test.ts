// The operator killed (SIGKILL) mid-provisioning and restarted on the same data directory
// converges with no double allocation: `npm start -- --dev` as a child process, examples plus
// a batch of generated occupiers applied with slow simulated drivers, kill -9 while occupiers
// are still provisioning, restart, wait for all Ready, then read the persisted simulated
// backend state and check every item was created exactly once.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dump } from 'js-yaml';
import { siteContext } from '../../drivers/src/contract.ts';
import { SimulatedBackend } from '../../drivers/src/simulated/backend.ts';
import type { OccupierResource, SiteResource } from '../../operator/src/api/index.ts';
import { clusterKind, hasKubectl, runKubectl, withCluster } from '../support/cluster.ts';
import type { ClusterEnv, KubectlResult } from '../support/cluster.ts';
import { exampleManifests } from '../support/examples.ts';
import { freePort } from '../kube/realcluster.ts';

const REPO = resolve(import.meta.dirname, '../..');
const MAIN = join(REPO, 'operator/src/cli/main.ts');
const NS = 'occupiers';
const LATENCY_MS = '200';
const GENERATED = 16;

const dir = mkdtempSync(join(tmpdir(), 'restart-e2e-'));
const children = new Set<ChildProcess>();

interface Started {
  child: ChildProcess;
  kubeconfig: string;
  output: () => string;
}

/** On the real kube-apiserver: the cluster outlives the operator processes (started in the test). */
let real: ClusterEnv | undefined;

/**
 * Starts the operator and resolves once it logs `occupier-operator ready` (JSON: stdout is a
 * pipe) with the kubeconfig path: `main.ts --dev` (the operator hosting the embedded cluster, both killed together) or,
 * on the real kube-apiserver, `main.ts --kubeconfig` (only the operator is killed).
 */
function startOperatorProcess(port: number): Promise<Started> {
  const target = real ? ['--kubeconfig', real.kubeconfigPath, '--driver-state-dir', join(dir, 'drivers')] : ['--dev', '--data-dir', dir, '--port', String(port)];
  const child = spawn(process.execPath, [MAIN, ...target, '--metrics-port', '0', '--log-level', 'warn'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KUBECONFIG: '' },
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`operator not ready within 30 s:\n${out}\n${err}`)), 30_000);
    const check = (): void => {
      const kc = real ? real.kubeconfigPath : /"kubeconfig":"([^"]+)"/.exec(out)?.[1];
      if (out.includes('occupier-operator ready') && kc) {
        clearTimeout(timer);
        res({ child, kubeconfig: kc.trim(), output: () => `${out}\n${err}` });
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      rej(new Error(`operator exited (${String(code ?? signal)}) before ready:\n${out}\n${err}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => child.once('exit', () => res()));
}

/** Occupiers at the example sites, 3 users each, so the kill lands while some still provision. */
function generatedOccupier(i: number): Record<string, unknown> {
  const name = `gen-${String(i).padStart(2, '0')}`;
  const site = i % 2 === 0 ? 'london-shoreditch' : 'london-canary-wharf';
  const base = site === 'london-shoreditch' ? 2070460600 : 2035551000;
  const number = `+44${base + i * 3}`;
  return {
    apiVersion: 'occupier.dev/v1alpha1',
    kind: 'Occupier',
    metadata: { name, namespace: NS },
    spec: {
      displayName: `Generated ${i}`,
      sites: [{
        site,
        contract: { startDate: '2025-01-01', tariff: 'standard-2026' },
        services: [{ name: 'internet-100', quantity: 1, accessLevel: 'Standard' }, { name: 'wifi-secure', quantity: 3 }],
        numbers: [{ number, main: true }],
        ports: [{ name: 'desk-1' }],
      }],
      users: [0, 1, 2].map((u) => ({ email: `user${u}@${name}.example`, name: `User ${u}`, sites: [site], accessGroups: ['lobby'] })),
    },
  };
}

function manifests(): string {
  const docs = exampleManifests().map(({ doc }) => {
    if (doc.kind !== 'Site') return doc;
    const spec = doc.spec as Record<string, unknown> & { drivers?: { default?: { driver?: string; settings?: Record<string, string> } } };
    spec.drivers = { default: { driver: 'simulated', settings: { ...(spec.drivers?.default?.settings ?? {}), latencyMs: LATENCY_MS } } };
    return doc;
  });
  // The namespace and Sites first, so occupiers find them.
  const order = (d: Record<string, unknown>): number => (d.kind === 'Namespace' ? 0 : d.kind === 'Site' ? 1 : 2);
  docs.sort((a, b) => order(a) - order(b));
  return [...docs, ...Array.from({ length: GENERATED }, (_, i) => generatedOccupier(i))].map((d) => dump(d)).join('---\n');
}

const readyCount = (items: OccupierResource[]): number =>
  items.filter((o) => o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all([...children].map(exited));
  await real?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasKubectl)('operator restart mid-provisioning', () => {
  it('killed with SIGKILL while provisioning and restarted: converges, every item created exactly once', async () => {
    if (clusterKind() === 'real') real = await withCluster();
    const port = await freePort();
    const first = await startOperatorProcess(port);
    const cacheDir = join(dir, 'kubectl-cache');
    const kubectl = async (args: string[], stdin?: string): Promise<KubectlResult> => runKubectl(first.kubeconfig, cacheDir, args, stdin);
    const k = async (args: string[], stdin?: string): Promise<string> => {
      const r = await kubectl(args, stdin);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    };
    const occupiers = async (): Promise<OccupierResource[]> => (JSON.parse(await k(['get', 'occupiers', '-n', NS, '-o', 'json'])) as { items: OccupierResource[] }).items;

    await k(['apply', '-f', '-'], manifests());
    const total = 7 + GENERATED;

    // Kill -9 once some occupiers are Ready and others still provisioning.
    let readyAtKill = -1;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const items = await occupiers();
      const ready = readyCount(items);
      if (items.length === total && ready >= 1 && ready < total) {
        first.child.kill('SIGKILL');
        readyAtKill = ready;
        break;
      }
      if (ready === total) break;
      await new Promise((r) => setTimeout(r, 30));
    }
    await exited(first.child);
    expect(readyAtKill, 'the kill landed while occupiers were provisioning').toBeGreaterThanOrEqual(1);
    expect(readyAtKill).toBeLessThan(total);
    // The first run wrote backend changes that were not compacted (it never shut down).
    const journal = readFileSync(join(dir, 'drivers', 'simulated-journal.jsonl'), 'utf8');
    expect(journal.split('\n').filter((l) => l.length > 0).length).toBeGreaterThan(0);

    // Restart on the same data dir and port.
    const second = await startOperatorProcess(port);
    expect(second.kubeconfig).toBe(first.kubeconfig);
    await k(['wait', '--for=condition=Ready', 'occupiers', '--all', '-n', NS, '--timeout=60s']);
    const items = await occupiers();
    expect(items).toHaveLength(total);
    expect(readyCount(items)).toBe(total);
    const sites = (JSON.parse(await k(['get', 'sites', '-o', 'json'])) as { items: SiteResource[] }).items;

    // Stop the operator (SIGTERM), then read the persisted backend.
    second.child.kill('SIGTERM');
    await exited(second.child);
    const backend = new SimulatedBackend({ stateDir: join(dir, 'drivers') });
    try {
      let inventoryItems = 0;
      const problems: string[] = [];
      for (const o of items) {
        for (const s of o.status?.sites ?? []) {
          for (const id of s.inventory ?? []) {
            inventoryItems++;
            const [capability = '', type = '', ...key] = id.split('/');
            const c = backend.counts({ site: s.site, capability: capability as 'network', type, key: key.join('/') });
            if (c.creates !== 1 || c.removes !== 0) problems.push(`${o.metadata.name} ${s.site} ${id}: ${JSON.stringify(c)}`);
          }
        }
      }
      expect(problems).toEqual([]);
      // Nothing was created outside the inventories (no duplicate under another key), nothing removed.
      const totals = backend.totals();
      expect(totals.creates).toBe(inventoryItems);
      expect(totals.removes).toBe(0);

      for (const site of sites) {
        const name = site.metadata.name ?? '';
        const ctx = siteContext(name, site.spec);
        const here = items.filter((o) => o.spec.sites.some((e) => e.site === name));
        // One VLAN and one subnet per occupier, none twice; the status shows what the backend holds.
        const allocations = backend.list(ctx, 'network', 'allocation');
        expect(allocations).toHaveLength(here.length);
        const vlans = allocations.map((a) => (a.details as { vlan: number }).vlan);
        const subnets = allocations.map((a) => (a.details as { subnet: string }).subnet);
        expect(new Set(vlans).size, `VLANs at ${name}`).toBe(vlans.length);
        expect(new Set(subnets).size, `subnets at ${name}`).toBe(subnets.length);
        for (const o of here) {
          const st = o.status?.sites?.find((x) => x.site === name);
          const held = allocations.find((a) => a.key === `${NS}/${o.metadata.name}`);
          expect(held?.details, `${o.metadata.name} at ${name}`).toMatchObject({ vlan: st?.network?.vlan, subnet: st?.network?.subnet });
        }
        // Numbers: exactly the declared ones. Ports: no switch port twice.
        const declared = here.flatMap((o) => o.spec.sites.filter((e) => e.site === name).flatMap((e) => (e.numbers ?? []).map((n) => n.number)));
        expect(backend.list(ctx, 'telephony', 'number').map((n) => n.key).sort()).toEqual(declared.sort());
        const ports = backend.list(ctx, 'ports', 'port').map((p) => `${String((p.details as { switch: string }).switch)}/${String((p.details as { port: number }).port)}`);
        expect(new Set(ports).size, `ports at ${name}`).toBe(ports.length);
        expect(ports).toHaveLength(here.reduce((n, o) => n + o.spec.sites.filter((e) => e.site === name).reduce((m, e) => m + (e.ports ?? []).length, 0), 0));
      }
    } finally {
      backend.close();
    }
  }, 120_000);
});
