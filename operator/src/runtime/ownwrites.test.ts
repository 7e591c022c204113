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

describe('following a cache', () => {
  type Handler = { onAdd?(o: Obj): void; onUpdate?(a: Obj, b: Obj): void; onDelete?(o: Obj): void };
  const cacheOf = (): { addHandler(h: Handler): void; get(key: string): Obj | undefined; handlers: Handler[]; held: Map<string, Obj> } => {
    const handlers: Handler[] = [];
    const held = new Map<string, Obj>();
    return { handlers, held, addHandler: (h) => void handlers.push(h), get: (key) => held.get(key) };
  };

  it('forgets a write when the cache delivers it or anything newer, not before', () => {
    const cache = cacheOf();
    const own = OwnWrites.following<Obj>(cache);
    own.remember(obj('12', 'Written'));
    cache.handlers[0]?.onUpdate?.(obj('10', 'Stale'), obj('11', 'Stale'));
    expect(own.size).toBe(1);
    expect(own.freshest(obj('11', 'Stale')).status).toEqual({ phase: 'Written' });
    cache.handlers[0]?.onUpdate?.(obj('11', 'Stale'), obj('12', 'Written'));
    expect(own.size).toBe(0);
    own.remember(obj('14', 'Again'));
    cache.handlers[0]?.onAdd?.(obj('15', 'Relisted'));
    expect(own.size).toBe(0);
  });

  it('forgets the write of an object the cache saw deleted', () => {
    const cache = cacheOf();
    const own = OwnWrites.following<Obj>(cache);
    own.remember(obj('12', 'Written'));
    cache.handlers[0]?.onDelete?.(obj('11', 'Stale'));
    expect(own.size).toBe(0);
  });

  it('keeps no write whose watch event the cache had before the response came', () => {
    const cache = cacheOf();
    const own = OwnWrites.following<Obj>(cache);
    cache.held.set('x', obj('12', 'Written'));
    own.remember(obj('12', 'Written'));
    expect(own.size).toBe(0);
    own.remember(obj('13', 'Newer'));
    expect(own.size).toBe(1);
  });
});
