// One process owns the simulated driver's persisted state: a second operator started on the same
// --driver-state-dir (e.g. two `npm start -- --kubeconfig ...` beside one `npm run devcluster`)
// is refused at its start, naming the owner, instead of failing every driver call later; once the
// owner has stopped, the directory is free again.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCluster } from '../support/cluster.ts';
import type { ClusterEnv } from '../support/cluster.ts';
import { stopProcess } from '../support/process.ts';

const MAIN = resolve(import.meta.dirname, '../../operator/src/cli/main.ts');

let env: ClusterEnv;
let dir: string;
const children = new Set<ChildProcess>();

interface Run {
  child: ChildProcess;
  /** Resolves with the exit code, or 'ready' once the operator says so. */
  outcome: Promise<number | 'ready'>;
  output: () => string;
}

function operator(stateDir: string): Run {
  const child = spawn(process.execPath, [MAIN, '--kubeconfig', env.kubeconfigPath, '--driver-state-dir', stateDir, '--metrics-port', '0', '--no-leader-elect', '--log-format', 'json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KUBECONFIG: '' },
  });
  children.add(child);
  let out = '';
  const outcome = new Promise<number | 'ready'>((done) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('occupier-operator ready')) done('ready');
    });
    child.stderr.on('data', (d: Buffer) => void (out += d.toString()));
    child.on('exit', (code) => {
      children.delete(child);
      done(code ?? -1);
    });
  });
  return { child, outcome, output: () => out };
}

beforeAll(async () => {
  env = await withCluster();
  dir = mkdtempSync(join(tmpdir(), 'driver-state-lock-'));
}, 120_000);

afterAll(async () => {
  for (const c of children) await stopProcess(c, 'SIGKILL');
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the simulated driver state directory', () => {
  it('a second operator on it is refused at its start, naming the owner; free again once the owner stops', async () => {
    const stateDir = join(dir, 'drivers');
    const first = operator(stateDir);
    expect(await first.outcome, first.output()).toBe('ready');

    const second = operator(stateDir);
    expect(await second.outcome, second.output()).toBe(1);
    expect(second.output()).toContain(`occupier-operator: cannot use the simulated driver's state: simulated state in ${stateDir} is in use by process ${first.child.pid ?? ''} (stop it, or give this one another --driver-state-dir)`);

    await stopProcess(first.child, 'SIGTERM');
    const third = operator(stateDir);
    expect(await third.outcome, third.output()).toBe('ready');
    await stopProcess(third.child, 'SIGTERM');
  }, 120_000);
});
