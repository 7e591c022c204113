import { describe, expect, it } from 'vitest';
import { deepFreeze } from './freeze.ts';

describe('deepFreeze', () => {
  it('freezes every nested object and array, in place', () => {
    const o = { metadata: { name: 'a', labels: { x: '1' } }, spec: { users: [{ email: 'u@x' }] } };
    expect(deepFreeze(o)).toBe(o);
    expect(Object.isFrozen(o.metadata.labels)).toBe(true);
    expect(Object.isFrozen(o.spec.users)).toBe(true);
    expect(Object.isFrozen(o.spec.users[0])).toBe(true);
    expect(() => {
      (o.metadata.labels as Record<string, string>)['y'] = '2';
    }).toThrow(TypeError);
    expect(() => (o.spec.users as unknown[]).push({})).toThrow(TypeError);
  });

  it('leaves primitives and null as they are', () => {
    expect(deepFreeze(null)).toBeNull();
    expect(deepFreeze(3)).toBe(3);
    expect(deepFreeze('s')).toBe('s');
  });

  it('a copy made by structuredClone or JSON is writable again', () => {
    const o = deepFreeze({ status: { phase: 'Ready' } });
    const c = structuredClone(o);
    c.status.phase = 'Failed';
    expect(o.status.phase).toBe('Ready');
  });
});
