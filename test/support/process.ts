/** Child processes of the tests (an operator run as a user runs it, killed at will). */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO = resolve(import.meta.dirname, '../..');

/** Sends `signal` to a running process and waits until it has exited (nothing to do when it has). */
export async function stopProcess(proc: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((done) => {
    proc.once('exit', () => done());
    proc.kill(signal);
  });
}

/** An operator process and a promise that resolves once it says it is ready (or exits). */
export interface OperatorProcess {
  proc: ChildProcess;
  ready: Promise<void>;
}

/**
 * The operator in a process of its own, as `npm start` runs it, but with its clock offset by
 * `offsetMs` (the CLI has no clock option): the same `startOperator` on an OffsetClock, its
 * simulated backend persisted in `stateDir`, so it can be SIGKILLed and restarted.
 */
export function spawnOperator(opts: { kubeconfigPath: string; stateDir: string; offsetMs?: number }): OperatorProcess {
  const url = (p: string): string => pathToFileURL(join(REPO, p)).href;
  const script = `
    const { KubeConfig } = await import('@kubernetes/client-node');
    const { startOperator } = await import(${JSON.stringify(url('operator/src/operator.ts'))});
    const { createLogger } = await import(${JSON.stringify(url('operator/src/runtime/index.ts'))});
    const { OffsetClock } = await import(${JSON.stringify(url('test/support/estate.ts'))});
    const clock = new OffsetClock();
    clock.offsetMs = ${opts.offsetMs ?? 0};
    const kc = new KubeConfig();
    kc.loadFromFile(${JSON.stringify(opts.kubeconfigPath)});
    const op = startOperator({ kubeConfig: kc, logger: createLogger({ level: 'error' }), metricsPort: 0, stateDir: ${JSON.stringify(opts.stateDir)}, clock });
    const announce = setInterval(() => {
      if (!op.manager.isReady()) return;
      clearInterval(announce);
      process.stdout.write('ready\\n');
    }, 20);
    const reason = await op.done;
    process.exit(reason === 'error' ? 1 : 0);
  `;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((done) => {
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) done();
    });
    proc.once('exit', () => done());
  });
  return { proc, ready };
}

/** A seeded pseudo-random number generator in [0, 1) (an LCG): a crash test's kill moments repeat run after run. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}
