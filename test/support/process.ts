/**
 * Child processes of the tests (an operator run as a user runs it, killed at will), the crash
 * tests' kill loop, and the teardown every operator test ends with.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
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

/**
 * The operator's CLI (`npm start`) in a process of its own against `kubeconfigPath`, its
 * simulated backend persisted in `stateDir`; `ready` resolves on its JSON ready line (or when it exits).
 */
export function spawnOperatorCli(opts: { kubeconfigPath: string; stateDir: string }): OperatorProcess {
  const main = join(REPO, 'operator/src/cli/main.ts');
  const args = [main, '--kubeconfig', opts.kubeconfigPath, '--driver-state-dir', opts.stateDir, '--metrics-port', '0', '--no-leader-elect', '--log-level', 'error'];
  const proc = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((done) => {
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"msg":"occupier-operator ready"')) {
        out = '';
        done();
      }
    });
    proc.once('exit', () => done());
  });
  return { proc, ready };
}

/** One operator process at a time, killed and started again at will (the crash tests). */
export class OperatorLives {
  readonly #spawn: () => OperatorProcess;
  #current: OperatorProcess | undefined;

  constructor(spawnOne: () => OperatorProcess) {
    this.#spawn = spawnOne;
  }

  /** Starts a process (after the previous one stopped). */
  start(): void {
    this.#current = this.#spawn();
  }

  /** Resolves once the running process says it is ready (at once when none runs). */
  get ready(): Promise<void> {
    return this.#current?.ready ?? Promise.resolve();
  }

  /** Sends `signal` to the running process (if any) and waits until it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const current = this.#current;
    this.#current = undefined;
    await stopProcess(current?.proc, signal);
  }
}

/** What the kills of a crash test landed in. */
export interface KillTally {
  kills: number;
  /** Kills while some order was Running. */
  whileRunning: number;
  /** Kills while some step was under way (as last persisted). */
  midStep: number;
}

/** What a crash test's kill loop needs from it. */
export interface KillLoop {
  operator: OperatorLives;
  /** Seed of the random kill moments (they repeat run after run). */
  seed: number;
  /** After this many kills the operator is left to finish. */
  maxKills: number;
  /** The orders the test runs, until every one has Succeeded. */
  orders: {
    count: number;
    /** Phase by name, read from the cluster. */
    phases(): Promise<Map<string, string | undefined>>;
    /** Phases of an order that will never succeed: the test fails at once. */
    fatal: readonly string[];
    /** An order's status, shown when it does not finish in time. */
    status(name: string): Promise<unknown>;
    /** After the last kill: how long the rest may take, looked at every `pollMs`. */
    finishWithinMs: number;
    pollMs: number;
  };
  /** What a kill now would land in. */
  landing(): Promise<{ running: boolean; midStep: boolean }>;
  /**
   * Aimed kills, until these many landed while an order ran / mid-step: wait (up to
   * `withinMs`, polling every `pollMs`) until the moment is there — mid-step while those fall
   * short, else an order Running — then up to `jitterMs` more. Random moments missed orders
   * that run briefly, or ran everything before the first kill on a fast API server.
   */
  aim: { whileRunning: number; midStep: number; withinMs: number; pollMs: number; jitterMs: number };
  /** Otherwise waits for the next kill's moment. */
  moment(random: () => number): Promise<void>;
  /** Each life waits until the operator is ready before its kill is timed (so every life makes some progress). */
  waitReady: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Kills the operator (SIGKILL) and starts it again, aimed until enough kills landed while
 * orders ran, then at random moments, until every order has finished or `maxKills` kills
 * (then waits for the rest). Returns what the kills landed in, for the test to require.
 */
export async function killWhileOrdersRun(loop: KillLoop): Promise<KillTally> {
  const random = seededRandom(loop.seed);
  const tally: KillTally = { kills: 0, whileRunning: 0, midStep: 0 };
  const { aim, orders } = loop;
  const finished = async (): Promise<boolean> => {
    const phases = [...(await orders.phases()).entries()];
    const fatal = phases.filter(([, p]) => p !== undefined && orders.fatal.includes(p));
    if (fatal.length > 0) throw new Error(`orders that will not succeed: ${JSON.stringify(fatal)}; first: ${JSON.stringify(await orders.status(fatal[0]?.[0] ?? ''))}`);
    return phases.length === orders.count && phases.every(([, p]) => p === 'Succeeded');
  };
  for (;;) {
    if (await finished()) return tally;
    if (tally.kills >= loop.maxKills) {
      // Left to finish: an order that fails ends the wait at once (finished throws).
      const deadline = Date.now() + orders.finishWithinMs;
      while (!(await finished())) {
        if (Date.now() > deadline) {
          const left = [...(await orders.phases()).entries()].filter(([, p]) => p !== 'Succeeded');
          throw new Error(`the remaining orders did not succeed within ${orders.finishWithinMs} ms of the last kill; not Succeeded: ${JSON.stringify(left)}; first: ${JSON.stringify(left[0] ? await orders.status(left[0][0]) : undefined)}`);
        }
        await sleep(orders.pollMs);
      }
      return tally;
    }
    if (loop.waitReady) await loop.operator.ready;
    const wantMidStep = tally.midStep < aim.midStep;
    // What the kill lands in: the aim's last look when the kill follows it at once (a step
    // may end between two looks), else a look just before the kill.
    let landed: { running: boolean; midStep: boolean } | undefined;
    if (wantMidStep || tally.whileRunning < aim.whileRunning) {
      const deadline = Date.now() + aim.withinMs;
      for (;;) {
        landed = await loop.landing();
        if ((wantMidStep ? landed.midStep : landed.running) || Date.now() >= deadline) break;
        await sleep(aim.pollMs);
      }
      if (aim.jitterMs > 0) {
        await sleep(Math.floor(random() * aim.jitterMs));
        landed = undefined;
      }
    } else {
      await loop.moment(random);
    }
    landed ??= await loop.landing();
    if (landed.running) tally.whileRunning++;
    if (landed.midStep) tally.midStep++;
    await loop.operator.stop('SIGKILL');
    tally.kills++;
    loop.operator.start();
  }
}

/**
 * The end of every operator test: stops the operator (in this process or a child), then its
 * cluster, then removes the simulated backend's state directory — each even when the step
 * before it failed.
 */
export async function tearDown(run: {
  operator?: { stop(): Promise<void>; done?: Promise<unknown> } | undefined;
  cluster?: { stop(): Promise<void> } | undefined;
  stateDir?: string | undefined;
}): Promise<void> {
  try {
    if (run.operator) {
      await run.operator.stop();
      await run.operator.done;
    }
  } finally {
    try {
      await run.cluster?.stop();
    } finally {
      if (run.stateDir) rmSync(run.stateDir, { recursive: true, force: true });
    }
  }
}

/** A seeded pseudo-random number generator in [0, 1) (an LCG): a crash test's kill moments repeat run after run. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}
