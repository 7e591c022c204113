import { describe, expect, it } from 'vitest';
import { Recent } from './recent.ts';

describe('Recent', () => {
  it('keeps the last `max` values used, dropping the least recently used first', () => {
    const recent = new Recent<string>(2);
    recent.remember('a', 'A');
    recent.remember('b', 'B');
    expect(recent.get('a')).toBe('A'); // a is now the most recent
    recent.remember('c', 'C'); // b goes
    expect([recent.get('a'), recent.get('b'), recent.get('c')]).toEqual(['A', undefined, 'C']);
    recent.remember('a', 'A2'); // remembering again replaces, and does not grow
    recent.remember('d', 'D'); // c goes
    expect([recent.get('a'), recent.get('c'), recent.get('d')]).toEqual(['A2', undefined, 'D']);
  });
});
