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

describe('what it keeps', () => {
  it('forgets writes no pass looked at for the TTL (an object left alone after its last pass)', () => {
    let t = 0;
    const own = new OwnWrites<Obj>(1_000, () => t);
    own.remember(obj('12', 'Written'));
    t = 700;
    own.remember({ ...obj('20', 'Other'), metadata: { ...obj('20', 'Other').metadata, uid: 'u2' } });
    expect(own.size).toBe(2);
    t = 1_600;
    own.remember({ ...obj('30', 'Third'), metadata: { ...obj('30', 'Third').metadata, uid: 'u3' } });
    expect(own.size).toBe(2); // u1 expired, u2 and u3 kept
    expect(own.freshest(obj('10', 'Stale'))).toEqual(obj('10', 'Stale'));
  });
});
