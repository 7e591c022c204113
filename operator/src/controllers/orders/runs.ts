/**
 * Order work that runs beside the controller's workers instead of inside a reconcile: the
 * start of a due order (gather, prerequisites, plan, start) and the run of a started one. A
 * reconcile only launches it and returns, so a worker is never held for the length of a run
 * and a due order never waits behind a running one (issue 13: with the run inside the
 * reconcile, the k-th of N orders due at one instant started after ≈ k/workers runs).
 *
 * Guarantees:
 * | what | how |
 * | --- | --- |
 * | one piece of work per order at a time | tracked by uid: `launch` of an active uid is refused; a reconcile of an active order returns at once and is remembered (`dirty`) |
 * | starts never wait behind runs | two lanes, each with its own bound: `start` and `run`; a run takes a free slot only while no start is waiting or in flight (at latency 0 both compete for one CPU) |
 * | the outcome goes through the controller | at the end the key is enqueued; the next reconcile `take`s the outcome: an error is thrown there (rate-limited retry, counted), a result returned (its `requeueAfter` timer) |
 * | bounded in time | each piece is aborted after `timeoutMs` (its outcome is then an error, retried) |
 * | shutdown | `stop(timeoutMs)` launches nothing more, waits for what is in flight, then aborts it |
 * | crash-safety | unchanged: the work is the same idempotent steps, persisted as they go; an aborted or lost piece resumes at the next reconcile or start |
 */
import type { ReconcileResult } from '../../runtime/index.ts';

export type Lane = 'start' | 'run';

export interface Outcome {
  result?: ReconcileResult | void;
  error?: unknown;
  /** A reconcile came (and returned at once) while the work ran: look again, do not trust `result`. */
  dirty: boolean;
}

export interface OrderRunsOptions {
  /** Pieces at once per lane. */
  concurrency: Record<Lane, number>;
  /** Abort a piece after this long (default 10 min). */
  timeoutMs?: number;
}

interface Active {
  dirty: boolean;
}

export class OrderRuns {
  private readonly opts: OrderRunsOptions;
  private readonly active = new Map<string, Active>();
  private readonly outcomes = new Map<string, Outcome>();
  private readonly running: Record<Lane, number> = { start: 0, run: 0 };
  private readonly waiting: Record<Lane, (() => void)[]> = { start: [], run: [] };
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopAc = new AbortController();
  private stopped = false;

  constructor(opts: OrderRunsOptions) {
    this.opts = opts;
  }

  /** Work for `uid` is waiting for a slot or running. Marks it dirty: its result is looked at again. */
  claimIfActive(uid: string): boolean {
    const a = this.active.get(uid);
    if (a) a.dirty = true;
    return a !== undefined;
  }

  /** The outcome of the last finished piece of `uid`, once. */
  take(uid: string): Outcome | undefined {
    const o = this.outcomes.get(uid);
    this.outcomes.delete(uid);
    return o;
  }

  /** Pieces waiting or running. */
  size(): number {
    return this.active.size;
  }

  /**
   * Runs `work` for `uid` in `lane` (when a slot is free); at its end keeps the outcome and
   * calls `done` (the controller enqueues the order). False when stopped or already active.
   */
  launch(uid: string, lane: Lane, work: (signal: AbortSignal) => Promise<ReconcileResult | void>, done: () => void): boolean {
    if (this.stopped || this.active.has(uid)) return false;
    const entry: Active = { dirty: false };
    this.active.set(uid, entry);
    this.outcomes.delete(uid);
    const p = (async () => {
      await this.slot(lane);
      const outcome: Outcome = { dirty: false };
      try {
        if (this.stopped) throw new Error('the operator is stopping');
        const signal = AbortSignal.any([this.stopAc.signal, AbortSignal.timeout(this.opts.timeoutMs ?? 10 * 60_000)]);
        outcome.result = await work(signal);
      } catch (err) {
        outcome.error = err;
      } finally {
        this.release(lane);
      }
      outcome.dirty = entry.dirty;
      this.outcomes.set(uid, outcome);
      this.active.delete(uid);
      done();
    })();
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return true;
  }

  /** Launch nothing more; wait for the work in flight (at most `timeoutMs`), then abort it. True if it all ended in time. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopped = true;
    for (const lane of ['start', 'run'] as const) for (const w of this.waiting[lane].splice(0)) w();
    let timer: NodeJS.Timeout | undefined;
    const all = Promise.all([...this.inFlight]).then(() => true);
    const drained = await Promise.race([all, new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
    clearTimeout(timer);
    if (!drained) {
      this.stopAc.abort(new Error('the operator is stopping'));
      await Promise.race([all, new Promise((r) => setTimeout(r, 1_000))]);
    }
    return drained;
  }

  private free(lane: Lane): boolean {
    if (this.running[lane] >= this.opts.concurrency[lane]) return false;
    return lane === 'start' || (this.running.start === 0 && this.waiting.start.length === 0);
  }

  private slot(lane: Lane): Promise<void> {
    if (this.stopped || (this.waiting[lane].length === 0 && this.free(lane))) {
      this.running[lane]++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting[lane].push(() => {
      this.running[lane]++;
      resolve();
    }));
  }

  private release(lane: Lane): void {
    this.running[lane]--;
    for (const l of ['start', 'run'] as const) {
      while (this.waiting[l].length > 0 && this.free(l)) this.waiting[l].shift()?.();
    }
  }
}
