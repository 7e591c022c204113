import { describe, expect, it } from 'vitest';
import { setCondition, getCondition, isTrue, isCurrent, removeCondition, type Condition } from '../../operator/src/runtime/index.ts';

const t0 = new Date('2026-01-01T10:00:00.123Z');
const t1 = new Date('2026-01-01T11:00:00Z');

describe('setCondition (KEP-1623)', () => {
  it('adds a new condition with lastTransitionTime = now and observedGeneration stamped', () => {
    const out = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting' }, 3, t0);
    expect(out).toEqual([{ type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting', lastTransitionTime: '2026-01-01T10:00:00Z', observedGeneration: 3 }]);
  });

  it('keeps lastTransitionTime when the status does not change, but updates reason, message, generation', () => {
    const before = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Pending', message: 'a' }, 1, t0);
    const after = setCondition(before, { type: 'Ready', status: 'False', reason: 'Blocked', message: 'b' }, 2, t1);
    expect(after[0]).toMatchObject({ reason: 'Blocked', message: 'b', lastTransitionTime: '2026-01-01T10:00:00Z', observedGeneration: 2 });
    expect(before[0]?.reason).toBe('Pending');
  });

  it('moves lastTransitionTime when the status changes', () => {
    const before = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Pending', message: '' }, 1, t0);
    const after = setCondition(before, { type: 'Ready', status: 'True', reason: 'Ready', message: '' }, 1, t1);
    expect(after[0]?.lastTransitionTime).toBe('2026-01-01T11:00:00Z');
    expect(isTrue(after, 'Ready')).toBe(true);
    expect(isCurrent(after, 'Ready', 1)).toBe(true);
    expect(isCurrent(after, 'Ready', 2)).toBe(false);
  });

  it('keeps other conditions and their order', () => {
    let cs: Condition[] = [];
    cs = setCondition(cs, { type: 'A', status: 'True', reason: 'X', message: '' }, 1, t0);
    cs = setCondition(cs, { type: 'B', status: 'True', reason: 'X', message: '' }, 1, t0);
    cs = setCondition(cs, { type: 'A', status: 'False', reason: 'Y', message: '' }, 1, t1);
    expect(cs.map((c) => c.type)).toEqual(['A', 'B']);
    expect(getCondition(cs, 'B')?.lastTransitionTime).toBe('2026-01-01T10:00:00Z');
    expect(removeCondition(cs, 'A').map((c) => c.type)).toEqual(['B']);
  });
});
