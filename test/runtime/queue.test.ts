import { describe, expect, it } from 'vitest';
import { FakeClock, WorkQueue, ItemExponentialBackoff, ControllerRateLimiter, TokenBucket, RuntimeMetrics } from '../../operator/src/runtime/index.ts';

function queue(clock = new FakeClock(), rateLimiter = new ControllerRateLimiter({ clock })) {
  return { clock, q: new WorkQueue({ name: 'test', clock, rateLimiter }) };
}

describe('WorkQueue', () => {
  it('deduplicates a key that is waiting', async () => {
    const { q } = queue();
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
  });

  it('never hands a key being processed to a second worker; a re-add is processed after done', async () => {
    const { q } = queue();
    q.add('ns/a');
    const first = await q.get();
    q.add('ns/a');
    q.add('ns/a');
    expect(q.len()).toBe(0);
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await new Promise((r) => setImmediate(r));
    expect(second).toBeUndefined();
    q.done(first!);
    await new Promise((r) => setImmediate(r));
    expect(second).toBe('ns/a');
    q.done('ns/a');
    expect(q.len()).toBe(0);
  });

  it('addAfter: the earlier of two wake-ups wins', async () => {
    const { q, clock } = queue();
    q.addAfter('k', 10_000);
    q.addAfter('k', 3_000);
    q.addAfter('k', 7_000);
    expect(q.scheduledAt('k')).toBe(clock.now() + 3_000);
    await clock.advance(2_999);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('k');
    q.done('k');
    await clock.advance(20_000);
    expect(q.len()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('addRateLimited backs off exponentially per item and forget resets it', async () => {
    const { q, clock } = queue(new FakeClock(), undefined);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const start = clock.now();
      q.addRateLimited('k');
      const due = q.scheduledAt('k') ?? clock.now();
      delays.push(due - start);
      await clock.advance(due - start);
      expect(await q.get()).toBe('k');
      q.done('k');
    }
    expect(delays).toEqual([5, 10, 20, 40, 80, 160]);
    expect(q.numRequeues('k')).toBe(6);
    q.forget('k');
    expect(q.numRequeues('k')).toBe(0);
    q.addRateLimited('k');
    expect(q.scheduledAt('k')! - clock.now()).toBe(5);
  });

  it('shutdown resolves waiting getters with undefined and drain waits for in-flight work', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ name: 't', clock });
    q.add('a');
    const key = await q.get();
    const pending = q.get();
    let drained: boolean | undefined;
    void q.shutdownWithDrain().then((d) => (drained = d));
    expect(await pending).toBeUndefined();
    q.add('b');
    expect(q.len()).toBe(0);
    await clock.advance(0);
    expect(drained).toBeUndefined();
    q.done(key!);
    await clock.advance(0);
    expect(drained).toBe(true);
  });

  it('drain gives up after its timeout', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ name: 't', clock });
    q.add('a');
    await q.get();
    let drained: boolean | undefined;
    void q.shutdownWithDrain(1_000).then((d) => (drained = d));
    await clock.advance(999);
    expect(drained).toBeUndefined();
    await clock.advance(1);
    expect(drained).toBe(false);
  });

  it('reports workqueue metrics', async () => {
    const clock = new FakeClock();
    const metrics = new RuntimeMetrics();
    const q = new WorkQueue({ name: 'gizmos', clock, metrics });
    q.add('a');
    q.add('b');
    q.add('a');
    await clock.advance(250);
    await q.get();
    await clock.advance(1_500);
    const text = await metrics.registry.metrics();
    expect(text).toContain('occupier_operator_workqueue_adds_total{name="gizmos"} 3');
    expect(text).toContain('occupier_operator_workqueue_depth{name="gizmos"} 1');
    expect(text).toContain('occupier_operator_workqueue_longest_running_processor_seconds{name="gizmos"} 1.5');
    expect(text).toContain('occupier_operator_workqueue_unfinished_work_seconds{name="gizmos"} 1.5');
    expect(text).toContain('occupier_operator_workqueue_queue_duration_seconds_sum{name="gizmos"} 0.25');
  });
});

describe('rate limiters', () => {
  it('item backoff: 5 ms doubling, capped at 1000 s', () => {
    const b = new ItemExponentialBackoff();
    const seen = Array.from({ length: 30 }, () => b.when('x'));
    expect(seen.slice(0, 4)).toEqual([5, 10, 20, 40]);
    expect(Math.max(...seen)).toBe(1_000_000);
    expect(seen[28]).toBe(1_000_000);
    expect(b.when('other')).toBe(5);
  });

  it('token bucket: burst then qps', async () => {
    const clock = new FakeClock();
    const tb = new TokenBucket({ qps: 10, burst: 100, clock });
    const waits = Array.from({ length: 103 }, () => tb.reserve());
    expect(waits.slice(0, 100).every((w) => w === 0)).toBe(true);
    expect(waits.slice(100)).toEqual([100, 200, 300]);
    await clock.advance(10_000);
    expect(tb.tryTake()).toBe(true);
  });

  it('controller limiter: max of item backoff and the overall bucket', () => {
    const clock = new FakeClock();
    const rl = new ControllerRateLimiter({ clock, qps: 10, burst: 2 });
    expect(rl.when('a')).toBe(5);
    expect(rl.when('b')).toBe(5);
    // bucket exhausted: the 3rd item waits for a token (100 ms) although its backoff is 5 ms
    expect(rl.when('c')).toBe(100);
  });

  it('token bucket take() waits on the clock', async () => {
    const clock = new FakeClock();
    const tb = new TokenBucket({ qps: 2, burst: 1, clock });
    await tb.take();
    let done = false;
    void tb.take().then(() => (done = true));
    await clock.advance(499);
    expect(done).toBe(false);
    await clock.advance(1);
    expect(done).toBe(true);
  });
});
