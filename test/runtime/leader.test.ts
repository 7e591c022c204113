/**
 * Leader election between real operator processes (test/runtime/fixtures/manager-proc.ts)
 * against the embedded dev cluster. Short lease settings: 3 s lease, 2 s renew deadline, 0.5 s retry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, gizmo, startTestCluster, type TestCluster } from './fixtures/cluster.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/manager-proc.ts', import.meta.url));
const LEASE_MS = 3_000;
const RETRY_MS = 500;

interface Proc {
  identity: string;
  child: ChildProcess;
  lines: Array<{ msg?: string; time: number; [k: string]: unknown }>;
  exited: Promise<number | null>;
}

let tc: TestCluster;
const procs: Proc[] = [];

beforeAll(async () => {
  tc = await startTestCluster();
});
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await tc?.stop();
});

function start(identity: string, leaseName: string): Proc {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, KUBECONFIG: tc.cluster.kubeconfigPath, IDENTITY: identity, LEASE_NAME: leaseName, LEASE_MS: String(LEASE_MS), RENEW_MS: '2000', RETRY_MS: String(RETRY_MS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc: Proc = { identity, child, lines: [], exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
  let buf = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        proc.lines.push({ ...(JSON.parse(line) as object), time: performance.now() });
      } catch {
        /* not JSON */
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${identity}] ${chunk.toString()}`));
  procs.push(proc);
  return proc;
}

const leads = (p: Proc): boolean => p.lines.some((l) => l.msg === 'started leading');
const ledAt = (p: Proc): number => p.lines.find((l) => l.msg === 'started leading')?.time ?? NaN;

async function holder(leaseName: string): Promise<string | undefined> {
  const api = tc.kc.makeApiClient(CoordinationV1Api);
  try {
    const lease = await api.readNamespacedLease({ name: leaseName, namespace: 'default' });
    return lease.spec?.holderIdentity || undefined;
  } catch {
    return undefined;
  }
}

describe('leader election between operator processes', () => {
  it('exactly one leads; kill -9 of the leader → the standby takes over within the lease duration; SIGTERM → lease released, standby leads in < 3 s', async () => {
    const lease = 'runtime-test-leader';
    const a = start('proc-a', lease);
    const b = start('proc-b', lease);
    const first = await eventually(() => [a, b].find(leads), 20_000, 'a leader');
    const standby = first === a ? b : a;
    // both are up (the standby synced its cache) and stay in their roles
    await eventually(() => standby.lines.some((l) => l.msg === 'caches synced'), 20_000, 'standby synced');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(leads(standby)).toBe(false);
    expect(await holder(lease)).toBe(first.identity);

    // only the leader reconciles
    await tc.gizmos.create(gizmo('elected'));
    await eventually(() => first.lines.some((l) => l.msg === 'reconciled'), 5_000, 'leader reconciles');
    expect(standby.lines.some((l) => l.msg === 'reconciled')).toBe(false);

    // kill -9 the leader: no release; the standby waits for the lease to expire
    const killedAt = performance.now();
    first.child.kill('SIGKILL');
    await eventually(() => leads(standby), LEASE_MS + 5_000, 'takeover after kill -9');
    const takeoverMs = ledAt(standby) - killedAt;
    console.log(`kill -9 → takeover in ${takeoverMs.toFixed(0)} ms (lease ${LEASE_MS} ms, retry ${RETRY_MS} ms)`);
    // The standby counts the lease from when it last saw it renewed (up to one poll, 1.2 × retry,
    // after the renewal) and wakes right at expiry: lease + one poll, plus slack for a loaded machine.
    expect(takeoverMs).toBeLessThan(LEASE_MS + 1.2 * RETRY_MS + 800);
    expect(await holder(lease)).toBe(standby.identity);
    await eventually(() => standby.lines.some((l) => l.msg === 'reconciled'), 5_000, 'new leader reconciles');

    // a new standby; then SIGTERM the leader: it drains, releases, and the standby leads at once
    const third = start('proc-c', lease);
    await eventually(() => third.lines.some((l) => l.msg === 'caches synced'), 20_000, 'third synced');
    await new Promise((r) => setTimeout(r, 600));
    expect(leads(third)).toBe(false);
    const termAt = performance.now();
    standby.child.kill('SIGTERM');
    await eventually(() => leads(third), 5_000, 'takeover after SIGTERM');
    const handoverMs = ledAt(third) - termAt;
    console.log(`SIGTERM → takeover in ${handoverMs.toFixed(0)} ms`);
    expect(handoverMs).toBeLessThan(3_000);
    expect(await standby.exited).toBe(0);
    expect(standby.lines.some((l) => l.msg === 'lease released')).toBe(true);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  });
});
