import { describe, expect, it } from 'vitest';
import { fingerprint, idempotencyKey, stableJson } from './contract.ts';

describe('stableJson, fingerprint and idempotencyKey', () => {
  const value = { b: [1, 'x', undefined, null, { z: true, a: undefined, m: [] }], a: { 'k"q': 2.5, e: {} }, u: undefined, s: 'ü\n' };

  it('sort keys, drop undefined members, keep array order (undefined elements are null)', () => {
    expect(stableJson(value)).toBe('{"a":{"e":{},"k\\"q":2.5},"b":[1,"x",null,null,{"m":[],"z":true}],"s":"ü\\n"}');
    expect(stableJson({ y: 1, x: [2, { d: 4, c: 3 }] })).toBe(stableJson({ x: [2, { c: 3, d: 4 }], y: 1 }));
    expect(stableJson([2, 1])).not.toBe(stableJson([1, 2]));
    expect([stableJson(undefined), stableJson(null), stableJson('a'), stableJson(0)]).toEqual(['null', 'null', '"a"', '0']);
  });

  it('give the same keys as every earlier release (an order in flight at an upgrade replays, not re-provisions)', () => {
    // Pinned from the implementation that shipped before stableJson was rewritten for speed.
    expect(fingerprint(value)).toBe('R7hNPkygD_MJAzuBewJvga');
    expect(idempotencyKey('uid-1', 'london', 'ensure', 'directory/account/a@example.com', 'users', fingerprint({ email: 'a@example.com' }))).toBe('uid-1.fBVKe649Xoy03oOikjhw-Ev1nuKycR5h');
  });
});
