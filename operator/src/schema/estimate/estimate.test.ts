/**
 * The cost estimator against the real one: every number below is what kube-apiserver 1.36's
 * estimator (cel-go 0.26 checker/cost.go with Kubernetes' library costs and CRD size estimator,
 * run through apiextensions-apiserver schema/cel.Compile) gives for the rule on SCHEMA — one
 * evaluation's maximum, before the node's cardinality.
 */
import { describe, expect, test } from 'vitest';
import type { JSONSchemaProps } from '../types.ts';
import { costErrorMessage, declType, estimateCost, maxCardinality, resultType, ruleCost, schemaTypeErrors, selfDecl } from './index.ts';

const SCHEMA: JSONSchemaProps = {
  type: 'object',
  properties: {
    s: { type: 'string' }, sb: { type: 'string', maxLength: 10 }, e: { type: 'string', enum: ['a', 'bb'] },
    i: { type: 'integer' }, d: { type: 'number' }, b: { type: 'boolean' },
    l: { type: 'array', items: { type: 'string' } }, li: { type: 'array', maxItems: 10, items: { type: 'integer' } },
    lo: { type: 'array', maxItems: 20, items: { type: 'object', properties: { name: { type: 'string', maxLength: 5 }, port: { type: 'integer' } } } },
    m: { type: 'object', maxProperties: 5, additionalProperties: { type: 'string' } },
    mu: { type: 'object', additionalProperties: { type: 'integer' } },
    ios: { 'x-kubernetes-int-or-string': true }, ts: { type: 'string', format: 'date-time' }, dur: { type: 'string', format: 'duration' },
    by: { type: 'string', format: 'byte' },
    nested: { type: 'array', maxItems: 3, items: { type: 'array', maxItems: 4, items: { type: 'string', maxLength: 2 } } },
  },
};

const REAL: [string, bigint][] = [
    ["self.s == 'abc'", 3n],
    ["self.s.size() > 3", 4n],
    ["self.sb.startsWith('x')", 3n],
    ["self.s.endsWith(self.sb)", 8n],
    ["self.s.contains('abc')", 314575n],
    ["self.sb.matches('^[a-z]+$')", 12n],
    ["matches(self.s, '^a')", 3n],
    ["self.s + self.sb == 'x'", 314582n],
    ["self.s < self.sb", 8n],
    ["self.i < 5", 3n],
    ["self.i + 1 > self.i", 6n],
    ["self.d * 2.0 < 1.0", 4n],
    ["self.l.all(x, x.size() < 5)", 6291453n],
    ["self.l.exists(x, x == 'a')", 6291453n],
    ["self.l.exists_one(x, x == 'a')", 4194304n],
    ["self.l.map(x, x + 'a').size() > 0", 329867014965n],
    ["self.l.map(x, x != '', x).size() > 0", 14680065n],
    ["self.l.filter(x, x != '').size() > 0", 14680065n],
    ["self.li.all(x, x > 0)", 53n],
    ["self.li.isSorted()", 12n],
    ["self.li.sum() > 0", 13n],
    ["self.l.isSorted()", 329854432052n],
    ["self.l.indexOf('a') >= 0", 329854432053n],
    ["self.s.indexOf('a') >= 0", 314576n],
    ["self.lo.all(o, o.name.size() < 3 && o.port > 0)", 203n],
    ["self.lo.exists(o, o.name == 'http')", 143n],
    ["self.lo.map(o, o.port).sum() > 0", 314n],
    ["self.lo.filter(o, o.port > 0).all(o, o.name != '')", 434n],
    ["self.m.all(k, k.size() < 3)", 33n],
    ["self.m.all(k, self.m[k].size() < 3)", 48n],
    ["'a' in self.m", 3n],
    ["'a' in self.l", 1048577n],
    ["1 in self.li", 12n],
    ["self.mu.all(k, self.mu[k] > 0)", 3595115n],
    ["has(self.s)", 1n],
    ["!has(self.s) || self.s == ''", 4n],
    ["self.?s.orValue('') == ''", 3n],
    ["self.s.lowerAscii() == 'a'", 314576n],
    ["self.s.upperAscii() == self.sb.upperAscii()", 314585n],
    ["self.s.trim() == ''", 314575n],
    ["self.s.substring(1) == ''", 314575n],
    ["self.s.replace('a', 'bb') == ''", 629148n],
    ["self.s.split(',').size() > 1", 629150n],
    ["self.s.split(',', 3).size() > 1", 629150n],
    ["self.l.join(',') == ''", 329853068905n],
    ["self.l.join() == ''", 329852964047n],
    ["self.s.find('[0-9]+') == ''", 629148n],
    ["self.s.findAll('[0-9]+').size() > 0", 629150n],
    ["self.s.charAt(0) == 'a'", 4n],
    ["isQuantity(self.s)", 314575n],
    ["quantity(self.sb).isGreaterThan(quantity('1'))", 8n],
    ["isURL(self.s)", 3n],
    ["url(self.s).getHost() == ''", 314576n],
    ["isIP(self.s)", 314575n],
    ["ip(self.sb).family() == 4", 8n],
    ["isCIDR(self.s) && cidr(self.s).containsIP(self.sb)", 629160n],
    ["cidr(self.sb).containsCIDR(cidr('10.0.0.0/8'))", 14n],
    ["ip.isCanonical(self.s)", 629148n],
    ["self.ios == 1", 3n],
    ["type(self.ios) == string", 4n],
    ["self.ts < timestamp('2024-01-01T00:00:00Z')", 4n],
    ["self.dur > duration('1h')", 4n],
    ["self.by.size() > 2", 4n],
    ["string(self.by) == 'a'", 314576n],
    ["bytes(self.s).size() > 0", 314577n],
    ["self.nested.all(a, a.all(b, b.size() < 2))", 90n],
    ["self.nested.all(a, a.exists(b, self.l.exists(c, c == b)))", 88080402n],
    ["self.l.all(x, self.l.exists(y, x == y))", 345882608640773328n],
    ["sets.contains(self.l, ['a'])", 1048588n],
    ["sets.intersects(self.li, [1, 2])", 33n],
    ["sets.equivalent(self.li, self.li)", 205n],
    ["self.li.reverse().size() > 0", 25n],
    ["self.li.distinct().size() > 0", 215n],
    ["self.li.sort().size() > 0", 215n],
    ["self.l.sort().size() > 0", 2308970014328n],
    ["self.li.slice(0, 2).size() > 0", 17n],
    ["self.nested.flatten().size() > 0", 18n],
    ["lists.range(5).size() > 0", 18n],
    ["self.li.first().orValue(0) > 0", 5n],
    ["[1, 2, 3].all(x, x > 0)", 26n],
    ["['a', 'b'].exists(x, x == self.s)", 25n],
    ["{'a': 1}.all(k, k == 'a')", 35n],
    ["self.e == 'a'", 3n],
    ["self.e + self.e == 'aa'", 6n],
    ["dyn(self.s) == 'a'", 4n],
    ["self.s == self.l[0]", 314578n],
    ["self.lo[0].name == 'x'", 5n],
    ["self.m['a'] == 'b'", 4n],
    ["self == oldSelf", 2n],
    ["self.l == oldSelf.l", 104862n],
    ["self.lo == oldSelf.lo", 6n],
    ["self.m == oldSelf.m", 5n],
    ["'%s'.format([self.s]) == ''", 13n],
    ["strings.quote(self.s) == ''", 314575n],
    ["size(self.l) == size(self.s)", 7n],
    ["self.i > 0 ? self.s == 'a' : self.sb == 'b'", 6n],
    ["(self.i > 0 ? self.l : self.l).all(x, x == '')", 4194306n],
    ["self.l + self.l == []", 15n],
    ["(self.l + ['a']).all(x, x != '')", 4194318n],
    ["self.li.max() > self.li.min()", 25n],
    ["optional.of(self.s).hasValue()", 4n],
    ["optional.none().orValue(1) == 1", 3n],
    ["self.l.exists(x, x.matches(self.s))", 259407256080351228n],
    ["int(self.s) > 0", 4n],
    ["string(self.i) == self.s", 314578n],
    ["self.s.size() + self.l.size() < 100", 8n],
    ["self.lo.map(o, o.name).join(',') == ''", 1844674407370955557n],
    ["self.lo.map(o, o.name).all(n, n.size() < 3)", 414n],
    ["self.lo.map(o, o.name).exists(n, n == self.s)", 434n],
    ["self.lo.exists(o, self.lo.filter(p, p.name == o.name).size() > 1)", 7983n],
    ["self.m.map(k, self.m[k]).all(v, v == 'a')", 114n],
    ["self.m.exists(k, k.startsWith('x') && self.m[k].endsWith('y'))", 58n],
    ["self.mu.filter(k, self.mu[k] > 0).size() > 0", 8089017n],
    ["'a' in {'a': 1, 'b': 2}", 31n],
    ["self.s in ['a', 'bb', 'ccc']", 15n],
    ["self.lo.all(o, o.name in ['a', 'b'])", 343n],
    ["self.ios + 1 > 0", 4n],
    ["self.ios.size() > 0", 4n],
    ["string(self.ios) == 'a'", 314576n],
    ["self.l.map(x, [x, x]).all(y, y.size() == 2)", 31457264n],
    ["self.l.map(x, {x: 1}).size() > 0", 45088740n],
    ["[self.s, self.sb].all(x, x.size() < 4)", 27n],
    ["[self.l, self.l].all(x, x.all(y, y == ''))", 25n],
    ["self.lo.all(o, has(o.name) && o.name.matches('^a'))", 183n],
    ["self.lo.exists(o, o.?name.orValue('') == 'a')", 163n],
    ["self.nested[0][0] == 'a'", 5n],
    ["self.nested.exists(a, a[0] == 'b')", 24n],
    ["self.l[0].size() + self.l[1].size() > 0", 10n],
    ["self.lo.map(o, o.port).isSorted()", 313n],
    ["self.lo.map(o, o.name).isSorted()", 18446744073709551615n],
    ["sets.contains(self.lo.map(o, o.name), ['a'])", 324n],
    ["self.l.all(x, x.lowerAscii() == x)", 659712009828n],
    ["self.l.all(x, x.split('/').size() < 3)", 659713058403n],
    ["self.l.all(x, x.split('/').all(p, p != ''))", 13853830571628n],
    ["self.s.split('/').all(p, p.size() < 10)", 19503505n],
    ["self.l.all(x, x.replace('a', '') != '')", 659710961253n],
    ["self.s.replace('', 'xx').size() > 0", 629150n],
    ["self.sb.replace('ab', 'x').size() > 0", 12n],
    ["self.l.exists_one(x, x.contains(self.s))", 103762968405124054n],
    ["self.l.filter(x, x.startsWith('a')).map(x, x.size()).sum() < 100", 31457275n],
    ["self.l.size() == 0 || self.l.all(x, x == self.l[0])", 329860723507n],
    ["self.li.all(x, x in self.li)", 163n],
    ["self.li.all(i, self.li.exists(j, i != j))", 663n],
    ["self.lo.all(a, self.lo.all(b, a.name != b.name || a == b))", 4523n],
    ["self.l.all(x, url(x).getScheme() == 'https')", 329859674928n],
    ["self.l.all(x, quantity(x).isInteger())", 329858626353n],
    ["self.l.all(x, cidr(x).containsIP(ip('10.0.0.1')))", 329862820653n],
    ["ip(self.sb) == ip('10.0.0.1')", 8n],
    ["cidr(self.sb) == cidr('10.0.0.0/8')", 8n],
    ["quantity(self.sb) == quantity('1')", 8n],
    ["url(self.sb) == url('https://a')", 8n],
    ["self.sb.format([self.s]) == ''", 18n],
    ["self.l.all(x, !x.contains('..'))", 329858626353n],
    ["self.li.map(x, x * 2).all(x, x < 100)", 204n],
    ["self.li.map(x, x > 1, x * 2).all(x, x < 100)", 224n],
    ["duration(self.s) < duration('1h')", 5n],
    ["timestamp(self.s) < self.ts", 6n],
    ["self.ts.getFullYear() > 2000", 4n],
    ["self.by == b'abc'", 3n],
    ["self.b == true && !self.b", 5n],
    ["-self.i < 0", 4n],
    ["self.d > 1", 3n],
    ["self.i > 1.5", 3n],
];

describe('estimated cost of one evaluation, as the real estimator gives it', () => {
  const self = selfDecl(SCHEMA, false);
  test.each(REAL)('%s', (rule, want) => {
    expect(self).toBeDefined();
    if (self !== undefined) expect(estimateCost(rule, self).max).toBe(want);
  });
});

describe('declarations: size bounds from the schema', () => {
  test.each<[string, JSONSchemaProps, number, number]>([
    // [what, schema, maxElements, minSerializedSize]
    ['a string without maxLength: the request size less ""', { type: 'string' }, 3145726, 2],
    ['maxLength counts code points: 4 bytes each', { type: 'string', maxLength: 10 }, 40, 2],
    ['an enum: its longest value', { type: 'string', enum: ['a', 'bbb'] }, 3, 2],
    ['date-time', { type: 'string', format: 'date-time' }, 32, 21],
    ['int-or-string', { 'x-kubernetes-int-or-string': true }, 3145726, 1],
    ['a list of strings: (3 MiB - 2) / ("" + comma)', { type: 'array', items: { type: 'string' } }, 1048575, 2],
    ['a list with maxItems', { type: 'array', maxItems: 7, items: { type: 'integer' } }, 7, 2],
    ['a map of ints: (3 MiB - 2) / (0 + "":, )', { type: 'object', additionalProperties: { type: 'integer' } }, 449389, 2],
    ['an object: required fields without default count', { type: 'object', required: ['ab', 'c'], properties: { ab: { type: 'string' }, c: { type: 'integer', default: 1 } } }, 0, 10],
  ])('%s', (_what, schema, max, min) => {
    expect(declType(schema, false)).toMatchObject({ maxElements: max, minSerializedSize: min });
  });

  test('a resource root sees apiVersion, kind and metadata.name/generateName', () => {
    const root = declType({ type: 'object', properties: { spec: { type: 'object' } } }, true);
    expect([...(root?.fields?.keys() ?? [])].sort()).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect([...(root?.fields?.get('metadata')?.fields?.keys() ?? [])].sort()).toEqual(['generateName', 'name']);
  });

  test('cardinality: below an unbounded list, what 3 MiB holds of the smallest element', () => {
    expect(maxCardinality(2)).toBe(1048576);
    const d = declType({ type: 'array', items: { type: 'integer' } }, false);
    if (d !== undefined) {
      expect(ruleCost(5n, 3n, d)).toBe(15n);
      expect(ruleCost(5n, undefined, d)).toBe(5n * 1048576n);
      expect(ruleCost(1n << 62n, 8n, d)).toBe((1n << 64n) - 1n); // saturates like Go
    }
  });
});

describe('messages', () => {
  test.each<[bigint, string]>([
    [10_000_001n, 'factor of 1.000000x'],
    [14_999_999n, 'factor of 1.500000x'],
    [15_000_000n, 'factor of 1.5x'],
    [23_192_152n, 'factor of 2.3x'],
    [1_000_000_000n, 'factor of 100.0x'],
    [1_000_000_001n, 'factor of more than 100x'],
  ])('%s against 10,000,000: %s', (cost, want) => {
    expect(costErrorMessage('estimated rule cost', cost, 10_000_000n)).toBe(`estimated rule cost exceeds budget by ${want} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`);
  });
});

describe('types the schema gives (the library sees self as dyn)', () => {
  const self = selfDecl(SCHEMA, false);
  test.each<[string, string]>([
    ['self.s', 'string'], ['self.i + 1', 'int'], ['self.lo[0].port', 'int'], ['self.m.a', 'string'], ['self.ios', 'dyn'], ['self.s == "a"', 'bool'],
    ['self.l.map(x, x.size())', 'list'], ['self.ts', 'timestamp'],
  ])('%s is %s', (rule, want) => {
    if (self !== undefined) expect(resultType(rule, self)).toBe(want);
  });

  test.each<[string, string | undefined]>([
    ['self.nope == 1', "ERROR: <input>:1:5: undefined field 'nope'\n | self.nope == 1\n | ....^"],
    ['has(self.nope)', "ERROR: <input>:1:4: undefined field 'nope'\n | has(self.nope)\n | ...^"],
    ['self.s.x == 1', "ERROR: <input>:1:7: type 'string' does not support field selection\n | self.s.x == 1\n | ......^"],
    ['self.li.all(x, x == 1.0)', "ERROR: <input>:1:18: found no matching overload for '_==_' applied to '(int, double)'\n | self.li.all(x, x == 1.0)\n | .................^"],
    ['self.m.anything == "a"', undefined], // a map: any key
    ['dyn(self.s) == 1', undefined],
    ['self.ios == 1', undefined],
  ])('%s', (rule, want) => {
    if (self !== undefined) expect(schemaTypeErrors(rule, self)).toBe(want);
  });
});
