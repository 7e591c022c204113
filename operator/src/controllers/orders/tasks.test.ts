import { describe, expect, it } from 'vitest';
import type { Task } from '../../api/index.ts';
import type { ItemResult } from '../execute.ts';
import { beginAttempt, initialTasks, itemsDone, recordAttempt, resetFailed, RETRY_BUDGET, retryDelayMs, summarizeTasks, taskGate } from './tasks.ts';

const now = new Date('2026-12-01T10:00:00Z');
const done: ItemResult = { id: 'a', op: 'ensure', state: 'Done', details: {} };
const transient: ItemResult = { id: 'b', op: 'ensure', state: 'Failed', code: 'Transient', reason: 'Unavailable', message: 'try later' };
const permanent: ItemResult = { id: 'c', op: 'remove', state: 'Failed', code: 'Permanent', reason: 'Refused', message: 'no' };
const task = (over: Partial<Task> = {}): Task => ({ site: 's', step: 'x', state: 'Pending', attempts: 0, ...over });

describe('order tasks', () => {
  it('one task per planned step in order, notBefore kept, then the final steps and notify at the first site', () => {
    const notBefore = new Date('2026-12-01T23:59:59Z');
    const tasks = initialTasks(
      [
        { site: 'to', step: 'contract', items: [{ kind: 'Contract', name: 'to', action: 'Create' }] },
        { site: 'from', step: 'network', items: [], notBefore },
      ],
      ['archive'],
    );
    expect(tasks.map((t) => `${t.site}/${t.step}`)).toEqual(['to/contract', 'from/network', 'to/archive', 'to/notify']);
    expect(tasks[0]?.items).toEqual({ total: 1, done: 0 });
    expect(tasks[1]?.notBefore).toBe('2026-12-01T23:59:59Z');
  });

  it.each([
    ['pending', task(), 'run'],
    ['succeeded', task({ state: 'Succeeded' }), 'done'],
    ['failed', task({ state: 'Failed' }), 'failed'],
    ['notBefore ahead', task({ notBefore: '2026-12-01T10:00:05Z' }), 'wait'],
    ['notBefore passed', task({ notBefore: '2026-12-01T09:00:00Z' }), 'run'],
    ['retry ahead', task({ nextRetryAt: '2026-12-01T10:01:00Z' }), 'wait'],
  ])('gate: %s', (_n, t, action) => {
    expect(taskGate(t, now).action).toBe(action);
  });

  it('an attempt counts before the calls; success ends the task', () => {
    const t = task();
    beginAttempt(t, now);
    expect(t).toMatchObject({ state: 'Running', attempts: 1 });
    expect(recordAttempt(t, [done], now)).toBeUndefined();
    expect(t.state).toBe('Succeeded');
  });

  it('counts plan items done, not driver operations (a user is three operations; done never passes total)', () => {
    const t = task({ items: { total: 3, done: 0 } });
    beginAttempt(t, now);
    // items of 3, 1 and 2 operations; the second item's one operation failed
    recordAttempt(t, [done, done, done, transient, done, done], now, [3, 1, 2]);
    expect(t.items).toEqual({ total: 3, done: 2 });
    expect(itemsDone([done, done, done, done, done, done], [3, 1, 2])).toBe(3);
    expect(itemsDone([done, transient, done], [2, 0, 1])).toBe(2); // an item without operations is done
  });

  it('transient failures back off until the budget is spent, then fail', () => {
    const t = task();
    for (let i = 1; i < RETRY_BUDGET; i++) {
      beginAttempt(t, now);
      expect(recordAttempt(t, [transient], now)).toBe(retryDelayMs(i));
      expect(t.state).toBe('Running');
    }
    beginAttempt(t, now);
    expect(recordAttempt(t, [transient], now)).toBeUndefined();
    expect(t.state).toBe('Failed');
    expect(t.lastError).toMatch(/retry budget of 8 attempts spent/);
  });

  it('a permanent failure fails at once; a manual retry keeps counting attempts with a fresh budget', () => {
    const t = task();
    beginAttempt(t, now);
    recordAttempt(t, [done, permanent], now);
    expect(t).toMatchObject({ state: 'Failed', lastError: 'c: Refused: no' });
    const [again] = resetFailed([t]);
    expect(again).toMatchObject({ state: 'Pending', attempts: 1, retryFrom: 1 });
    if (!again) throw new Error('no task');
    beginAttempt(again, now);
    expect(again.attempts).toBe(2);
    expect(recordAttempt(again, [transient], now)).toBe(retryDelayMs(1));
  });

  it('summary', () => {
    expect(summarizeTasks([task({ state: 'Succeeded' }), task({ state: 'Failed' })])).toBe('Failed');
    expect(summarizeTasks([task({ state: 'Succeeded' })])).toBe('Succeeded');
    expect(summarizeTasks([task({ state: 'Succeeded' }), task()])).toBe('Running');
  });
});
