import { describe, expect, it } from 'vitest';
import { site } from '../planner/fixtures.ts';
import { parsedSpec, parseResource, Site, ValidationError } from './index.ts';

describe('parsedSpec: one parse per stored spec', () => {
  const stored = (generation: number, mutate: (s: ReturnType<typeof site>) => ReturnType<typeof site> = (s) => s, rv = String(generation)) => {
    const o = mutate(site('london-parsed')).build();
    return { ...o, metadata: { ...o.metadata, uid: 'uid-parsed', generation, resourceVersion: rv } };
  };

  it('equals parseResource, is shared and frozen for one generation, and parsed again for the next', () => {
    const v1 = stored(1);
    const a = parsedSpec(Site, v1);
    expect(a).toEqual(parseResource(Site, v1).spec);
    expect(parsedSpec(Site, structuredClone(v1))).toBe(a); // a reconciler's copy of the same version
    expect(Object.isFrozen(a) && Object.isFrozen(a.network)).toBe(true);
    expect(() => {
      (a as { displayName: string }).displayName = 'changed';
    }).toThrow(TypeError);
    const v2 = stored(2, (s) => s.coolingOffDays(30));
    expect(parsedSpec(Site, v2)).not.toBe(a);
    expect(parsedSpec(Site, v2).telephony?.coolingOffDays).toBe(30);
  });

  it('keeps a refusal for its version, and parses objects that are not stored (no uid) every time', () => {
    const bad = stored(3);
    (bad.spec as { timezone: unknown }).timezone = 42;
    const first = (() => {
      try {
        return parsedSpec(Site, bad);
      } catch (err) {
        return err;
      }
    })();
    expect(first).toBeInstanceOf(ValidationError);
    expect(() => parsedSpec(Site, bad)).toThrow(first as Error);
    const loose = site('not-stored').build();
    const x = parsedSpec(Site, loose);
    expect(parsedSpec(Site, loose)).not.toBe(x);
    expect(Object.isFrozen(x)).toBe(false);
  });

  it('is not parsed again for a status write (a new resourceVersion, the same generation and spec)', () => {
    const before = stored(4, (s) => s, '40');
    const a = parsedSpec(Site, before);
    const afterStatusWrite = { ...structuredClone(before), metadata: { ...before.metadata, resourceVersion: '41' }, status: { conditions: [] } };
    expect(parsedSpec(Site, afterStatusWrite)).toBe(a);
  });

  it('parses an object derived from a stored one (same uid and generation, another spec) from its own spec', () => {
    const original = stored(5);
    const a = parsedSpec(Site, original);
    const derived = { ...original, spec: { ...structuredClone(original.spec), displayName: 'Derived' } };
    expect(parsedSpec(Site, derived).displayName).toBe('Derived');
    expect(parsedSpec(Site, original).displayName).toBe(a.displayName);
  });
});
