import { describe, expect, it } from 'vitest';
import { OwnWrites } from './ownwrites.ts';

type Obj = { apiVersion: string; kind: string; metadata: { uid: string; name: string; resourceVersion: string; labels?: Record<string, string> }; status?: { phase: string } };
const obj = (rv: string, phase: string, labels?: Record<string, string>): Obj => ({ apiVersion: 'v1', kind: 'X', metadata: { uid: 'u1', name: 'x', resourceVersion: rv, ...(labels ? { labels } : {}) }, status: { phase } });

describe('a controller\'s own writes while its cache is behind', () => {
  it('gives the cached object the status and resourceVersion of a newer own write, keeping the rest', () => {
    const own = new OwnWrites<Obj>();
    own.remember(obj('12', 'Written'));
    expect(own.freshest(obj('10', 'Stale', { a: 'b' }))).toEqual(obj('12', 'Written', { a: 'b' }));
    expect(own.size).toBe(1);
  });

  it('forgets the write once the cache has caught up, and returns the cache as it is', () => {
    const own = new OwnWrites<Obj>();
    own.remember(obj('12', 'Written'));
    const cached = obj('13', 'Newer');
    expect(own.freshest(cached)).toBe(cached);
    expect(own.size).toBe(0);
    expect(own.freshest(obj('11', 'Old'))).toEqual(obj('11', 'Old'));
  });
});
