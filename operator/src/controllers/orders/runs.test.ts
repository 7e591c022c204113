import { describe, expect, it } from 'vitest';
import { OrderRuns } from './runs.ts';

/** A piece of work that ends when told to (or when aborted). */
function gate(): { promise: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('OrderRuns', () => {
  it('runs one piece per order at a time; a reconcile meanwhile marks it dirty; the outcome is taken once after done', async () => {
    const runs = new OrderRuns({ concurrency: { start: 4, run: 4 } });
    const g = gate();
    const done: string[] = [];
    expect(runs.launch('uid-a', 'run', async () => { await g.promise; return { requeueAfter: 500 }; }, () => done.push('a'))).toBe(true);
    expect(runs.launch('uid-a', 'run', async () => ({}), () => done.push('a again'))).toBe(false);
    expect(runs.claimIfActive('uid-a')).toBe(true);
    expect(runs.take('uid-a')).toBeUndefined();
    g.open();
    await tick();
    await tick();
    expect(done).toEqual(['a']);
    expect(runs.claimIfActive('uid-a')).toBe(false);
    expect(runs.take('uid-a')).toEqual({ result: { requeueAfter: 500 }, dirty: true });
    expect(runs.take('uid-a')).toBeUndefined();
  });

  it('keeps an error as the outcome (thrown by the next reconcile)', async () => {
    const runs = new OrderRuns({ concurrency: { start: 1, run: 1 } });
    const ended = gate();
    runs.launch('uid-b', 'start', () => Promise.reject(new Error('driver down')), ended.open);
    await ended.promise;
    const out = runs.take('uid-b');
    expect((out?.error as Error).message).toBe('driver down');
    expect(out?.dirty).toBe(false);
  });

  it('bounds each lane, and a run takes a slot only while no start waits or runs', async () => {
    const runs = new OrderRuns({ concurrency: { start: 1, run: 2 } });
    const order: string[] = [];
    const s1 = gate();
    const s2 = gate();
    runs.launch('s1', 'start', async () => { order.push('s1'); await s1.promise; }, () => undefined);
    runs.launch('s2', 'start', async () => { order.push('s2'); await s2.promise; }, () => undefined);
    runs.launch('r1', 'run', async () => void order.push('r1'), () => undefined);
    await tick();
    expect(order).toEqual(['s1']);
    s1.open();
    await tick();
    await tick();
    expect(order).toEqual(['s1', 's2']);
    s2.open();
    await tick();
    await tick();
    expect(order).toEqual(['s1', 's2', 'r1']);
    expect(runs.size()).toBe(0);
  });

  it('stop launches nothing more, waits for work in flight, then aborts it; work not yet begun never begins', async () => {
    const runs = new OrderRuns({ concurrency: { start: 2, run: 2 } });
    let aborted = false;
    runs.launch('long', 'run', (signal) => new Promise<void>((_, reject) => signal.addEventListener('abort', () => { aborted = true; reject(signal.reason); })), () => undefined);
    await tick();
    const drained = await runs.stop(50);
    expect(drained).toBe(false);
    expect(aborted).toBe(true);
    expect(runs.launch('late', 'start', async () => ({}), () => undefined)).toBe(false);
    expect((runs.take('long')?.error as Error).message).toMatch(/stopping/);

    const other = new OrderRuns({ concurrency: { start: 1, run: 1 } });
    let began = false;
    other.launch('queued', 'start', async () => void (began = true), () => undefined);
    expect(await other.stop(50)).toBe(true);
    expect(began).toBe(false);
    expect((other.take('queued')?.error as Error).message).toMatch(/stopping/);
  });
});
