import { describe, expect, test } from 'vitest';
import { compileRule, evaluateCel, CelCompileError, CelEvalError } from './index.ts';
import { CelUint, celToString } from './cel/index.ts';

const ev = (rule: string, vars: Record<string, unknown> = {}): unknown => evaluateCel(rule, vars);

describe('CEL literals', () => {
  test.each<[string, unknown]>([
    ['42', 42n],
    ['-42', -42n],
    ['0x1F', 31n],
    ['-9223372036854775808', -9223372036854775808n],
    ['9223372036854775807', 9223372036854775807n],
    ['3.5', 3.5],
    ['1e3', 1000],
    ['true', true],
    ['false', false],
    ['null', null],
    ['"a\\tb"', 'a\tb'],
    ["'it\\'s'", "it's"],
    ['"\\u00e9\\x41\\101"', 'éAA'],
    ['"\\U0001F600"', '😀'],
    ['r"\\d+\\n"', '\\d+\\n'],
    ['"""multi\nline"""', 'multi\nline'],
    ["'''a'b'''", "a'b"],
    ['[dyn(1), dyn("a"), dyn(true)]', [1n, 'a', true]],
    ['[]', []],
    ['[1, 2,]', [1n, 2n]],
  ])('%s', (src, want) => {
    expect(ev(src)).toEqual(want);
  });

  test('uint, bytes and map literals', () => {
    expect(ev('7u')).toEqual(new CelUint(7n));
    expect(ev('b"ab\\x00"')).toEqual(Uint8Array.from([97, 98, 0]));
    // maps built by an expression are plain objects: keys are strings there, and int keys still look up
    expect(ev('{"a": 1, "b": 2}')).toEqual({ a: 1n, b: 2n });
    expect(ev('{1: "one", 2: "two"}[2]')).toBe('two');
  });
});

describe('CEL operators and precedence', () => {
  test.each<[string, unknown]>([
    ['1 + 2 * 3', 7n],
    ['(1 + 2) * 3', 9n],
    ['10 - 4 - 3', 3n],
    ['20 / 3', 6n],
    ['-7 / 2', -3n],
    ['-7 % 3', -1n],
    ['2 * -3', -6n],
    ['--3', 3n],
    ['!true', false],
    ['!!true', true],
    ['1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3', true],
    ['1 == 1 && 1 != 2', true],
    ['true || false && false', true],
    ['(true || false) && false', false],
    ['false ? 1 : true ? 2 : 3', 2n],
    ['1 + 1 == 2 ? "yes" : "no"', 'yes'],
    ['"a" + "b" + "c"', 'abc'],
    ['[1] + [2, 3]', [1n, 2n, 3n]],
    ['2 in [1, 2]', true],
    ['"k" in {"k": 1}', true],
    ['"z" in {"k": 1}', false],
    ['1.5 + 2.0', 3.5],
    ['7.0 / 2.0', 3.5],
    ['dyn(1) == 1.0', true],
    ['dyn(1u) == 1', true],
    ['2 < 2.5', true],
    ['"abc" < "abd"', true],
    ['[[1], [2, 3]] == [[1], [2, 3]]', true],
    ['[[1], [2]] != [[1], [3]]', true],
    ['{"a": [1]} == {"a": [1]}', true],
    ['{"a": 1} == {"a": 2}', false],
    ['null == null', true],
    ['5u - 2u', new CelUint(3n)],
    ['5u * 2u', new CelUint(10n)],
    ['{"a": 1, "a": 2}["a"]', 2n], // a repeated key: the last one wins, as in cel-go
  ])('%s', (src, want) => {
    expect(ev(src)).toEqual(want);
  });

  test.each<[string, RegExp]>([
    ['9223372036854775807 + 1', /overflow/],
    ['-9223372036854775808 - 1', /overflow/],
    ['1 / 0', /division by zero/],
    ['1 % 0', /modulus by zero/],
    ['0u - 1u', /overflow/],
    ['[1][5]', /index out of bounds: 5/],
    ['{"a": 1}["b"]', /no such key: b/],
    ['dyn(1) + "a"', /^no such overload$/],
    ['dyn(1).lowerAscii()', /^no such overload: lowerAscii\(int\)$/],
  ])('%s fails at runtime', (src, want) => {
    expect(() => ev(src)).toThrow(CelEvalError);
    expect(() => ev(src)).toThrow(want);
  });
});

describe('CEL error semantics of && and ||', () => {
  const self = { x: 1 };
  test.each<[string, unknown]>([
    ['self.missing == 1 || self.x == 1', true],
    ['self.x == 1 || self.missing == 1', true],
    ['self.missing == 1 && self.x == 2', false],
    ['self.x == 2 && self.missing == 1', false],
    ['has(self.missing) && self.missing > 0', false],
  ])('%s absorbs the error', (src, want) => {
    expect(ev(src, { self })).toBe(want);
  });
  test.each(['self.missing == 1 || self.x == 2', 'self.missing == 1 && self.x == 1', 'self.missing == 1'])(
    '%s propagates the error',
    (src) => {
      expect(() => ev(src, { self })).toThrow(/no such key: missing/);
    },
  );
});

describe('CEL fields, has() and macros', () => {
  const self = {
    name: 'svc',
    replicas: 3,
    ratio: 0.5,
    labels: { app: 'web', tier: 'front' },
    ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }],
    tags: ['a', 'b', 'c'],
  };
  test.each<[string, unknown]>([
    ['self.name', 'svc'],
    ['self.replicas + 1', 4n],
    ['self.ratio * 2.0', 1],
    ['self.labels.app', 'web'],
    ["self.labels['tier']", 'front'],
    ['self.ports[1].port', 443n],
    ['has(self.labels)', true],
    ['has(self.nope)', false],
    ['has(self.labels.app)', true],
    ['self.ports.all(p, p.port > 0)', true],
    ['self.ports.all(p, p.port > 100)', false],
    ['self.ports.exists(p, p.name == "https")', true],
    ['self.ports.exists_one(p, p.port < 1000)', false],
    ['self.tags.exists_one(t, t == "b")', true],
    ['self.ports.map(p, p.port)', [80n, 443n]],
    ['self.ports.map(p, p.port > 100, p.name)', ['https']],
    ['self.tags.filter(t, t != "b")', ['a', 'c']],
    ['self.labels.all(k, k.size() > 2)', true],
    ['self.labels.exists(k, self.labels[k] == "front")', true],
    ['self.labels.map(k, k)', ['app', 'tier']],
    ['size(self.tags) == 3 && self.tags.size() == 3', true],
    ['self.ports.all(p, self.ports.exists_one(q, q.name == p.name))', true],
    ['[1, 2, 3].all(x, [1, 2, 3].exists(y, y == x))', true],
    ['self.tags.all(t, t in ["a", "b", "c"])', true],
  ])('%s', (src, want) => {
    expect(ev(src, { self })).toEqual(want);
  });

  test('all() absorbs an error when some element is false, exists() when some is true', () => {
    const l = { self: [{ a: 1 }, {}] };
    expect(ev('self.all(x, x.a == 2)', l)).toBe(false);
    expect(ev('self.exists(x, x.a == 1)', l)).toBe(true);
    expect(() => ev('self.all(x, x.a == 1)', l)).toThrow(/no such key/);
  });

  test('field selection on a non-map fails', () => {
    expect(() => ev('self.a.b', { self: { a: 'str' } })).toThrow(/no such key: b/);
  });
});

describe('CEL standard and Kubernetes library functions', () => {
  test.each<[string, unknown]>([
    ['size("héllo")', 5n],
    ['size([1, 2])', 2n],
    ['size({"a": 1})', 1n],
    ['"abc".matches("^a.c$")', true],
    ['matches("abc", "^b")', false],
    ['"ABC".matches("(?i)^abc$")', true],
    ['"hello".startsWith("he")', true],
    ['"hello".endsWith("lo")', true],
    ['"hello".contains("ell")', true],
    ['"HeLLo".lowerAscii()', 'hello'],
    ['"HeLLo".upperAscii()', 'HELLO'],
    ['"  x  ".trim()', 'x'],
    ['"a,b,c".split(",")', ['a', 'b', 'c']],
    ['["a", "b"].join("-")', 'a-b'],
    ['"hello".substring(1, 3)', 'el'],
    ['"hello".indexOf("l")', 2n],
    ['"hello".lastIndexOf("l")', 3n],
    ['"hello".charAt(1)', 'e'],
    ['"a-b-c".replace("-", "+")', 'a+b+c'],
    ['"abc123".find("[0-9]+")', '123'],
    ['int("42")', 42n],
    ['int(3.9)', 3n],
    ['int(-3.9)', -3n],
    ['double(3)', 3],
    ['double("2.5")', 2.5],
    ['string(42)', '42'],
    ['string(2.5)', '2.5'],
    ['string(true)', 'true'],
    ['uint(3) == 3u', true],
    ['type(1) == int', true],
    ['type("a") == string', true],
    ['type([]) == list', true],
    ['[1, 2, 3].isSorted()', true],
    ['[3, 1].isSorted()', false],
    ['[1, 2, 3].sum()', 6n],
    ['[2, 9, 4].max()', 9n],
    ['[2, 9, 4].min()', 2n],
    ['[1, 2, 1].indexOf(1)', 0n],
    ['[1, 2, 1].lastIndexOf(1)', 2n],
  ])('%s', (src, want) => {
    expect(ev(src)).toEqual(want);
  });

  test.each<[string, unknown]>([
    ['timestamp("2024-01-01T00:00:00Z") < timestamp("2024-01-01T00:00:01Z")', true],
    ['timestamp("2024-01-02T00:00:00+01:00") == timestamp("2024-01-01T23:00:00Z")', true],
    ['timestamp("2024-03-01T00:00:00Z") - timestamp("2024-02-28T00:00:00Z") == duration("48h")', true],
    ['timestamp("2024-01-01T00:00:00Z") + duration("1h30m") == timestamp("2024-01-01T01:30:00Z")', true],
    ['duration("1h") > duration("59m59s")', true],
    ['duration("1.5s") == duration("1500ms")', true],
    ['duration("-2m").getSeconds()', -120n],
    ['timestamp("2024-02-29T13:45:00Z").getFullYear()', 2024n],
    ['timestamp("2024-02-29T13:45:00Z").getMonth()', 1n],
    ['timestamp("2024-02-29T13:45:00Z").getDate()', 29n],
    ['timestamp("2024-02-29T13:45:00Z").getDayOfWeek()', 4n],
    ['timestamp("2024-02-29T13:45:00Z").getHours()', 13n],
    ['timestamp("2024-02-29T23:45:00Z").getHours("+02:00")', 1n],
    ['string(timestamp("2024-01-01T08:00:00.5Z"))', '2024-01-01T08:00:00.5Z'],
    ['string(duration("1h"))', '3600s'],
    ['int(timestamp("1970-01-01T00:01:00Z"))', 60n],
  ])('%s', (src, want) => {
    expect(ev(src)).toEqual(want);
  });

  test('timestamp and duration values', () => {
    expect(ev('timestamp("1970-01-01T00:00:01Z")')).toEqual(new Date(1000));
    expect(ev('string(duration("1ms"))')).toBe('0.001s');
    expect(() => ev('timestamp("2024-13-01T00:00:00Z")')).toThrow(/type conversion error from 'string' to 'google.protobuf.Timestamp'/);
    expect(() => ev('duration("5 parsecs")')).toThrow(/type conversion error from 'string' to 'google.protobuf.Duration'/);
  });

  test.each<[string, unknown]>([
    ['isIP("10.0.0.1")', true],
    ['isIP("::1")', true],
    ['isIP("10.0.0.256")', false],
    ['isIP("010.0.0.1")', false],
    ['isCIDR("10.0.0.0/8")', true],
    ['isCIDR("10.0.0.0/33")', false],
    ['isCIDR("fd00::/64")', true],
    ['ip("10.0.0.1").family()', 4n],
    ['ip("fe80::1").family()', 6n],
    ['ip("127.0.0.1").isLoopback()', true],
    ['cidr("10.0.0.0/8").containsIP("10.1.2.3")', true],
    ['cidr("10.0.0.0/8").containsIP(ip("11.0.0.1"))', false],
    ['cidr("10.0.0.0/8").containsCIDR("10.1.0.0/16")', true],
    ['cidr("10.1.2.3/8").prefixLength()', 8n],
    ['string(cidr("10.1.2.3/8").masked())', '10.0.0.0/8'],
    ['string(cidr("10.1.2.3/8").ip())', '10.1.2.3'],
    ['ip("::1") == ip("0:0:0:0:0:0:0:1")', true],
    ['isIP("::ffff:1.2.3.4")', false],
  ])('%s', (src, want) => {
    expect(ev(src)).toEqual(want);
  });

  test('optionals', () => {
    expect(ev('self.?a.orValue(5)', { self: {} })).toBe(5n);
    expect(ev('self.?a.orValue(5)', { self: { a: 1 } })).toBe(1n);
    expect(ev('self.?a.b.hasValue()', { self: { a: {} } })).toBe(false);
    expect(ev('optional.of(1).value()')).toBe(1n);
    expect(ev('optional.none().hasValue()')).toBe(false);
  });

  test.each<[string, boolean]>([
    ['sets.contains([1, 2, 3], [3, 1])', true],
    ['sets.contains([1, 2], [4])', false],
    ['sets.equivalent([1, 2, 2], [2, 1])', true],
    ['sets.intersects(["a"], ["b", "a"])', true],
    ['"a-b".matches(r"^a\\-b$")', true],
  ])('%s', (src, want) => {
    expect(ev(src)).toBe(want);
  });

  test.each<[string, unknown]>([
    ['"%s has %d users (%.2f%%)".format([dyn("acme"), dyn(3), dyn(12.5)])', 'acme has 3 users (12.50%)'],
    ['"%x/%X/%o/%b".format([255, 255, 8, 5])', 'ff/FF/10/101'],
    ['"%s".format([[dyn(1), dyn("a"), dyn(1.5), dyn(b"x"), dyn(null), dyn([2]), dyn({"k": "v"})]])', '[1, "a", 1.500000, b"x", null, [2], {"k":"v"}]'],
    ['"%s".format([{"b": 1, "a": 2}])', '{"a":2, "b":1}'],
    ['"%s %s %s %s".format([1000000.0, 100000.0, 0.00001, 1.0 / 0.0])', '1e+06 100000 1e-05 +Inf'],
    ['"%e %e".format([1234.5, -0.000012])', '1.234500×10⁰³ -1.200000×10⁻⁰⁵'],
    ['base64.encode(b"hi")', 'aGk='],
    ['string(base64.decode("aGk="))', 'hi'],
  ])('%s', (src, want) => {
    expect(ev(src)).toEqual(want);
  });

  test('format errors name the clause', () => {
    expect(() => ev('"%d".format(["x"])')).toThrow(/decimal clause can only be used on integers/);
    expect(() => ev('"%s %s".format(["x"])')).toThrow(/out of range/);
  });

  test('lookaround is refused like RE2 does', () => {
    expect(() => ev('"ab".matches("a(?=b)")')).toThrow(/<input>:1:14: invalid matches argument/);
    expect(compileRule('"ab".find("a(?=b)") == ""')).toEqual({
      ok: false, error: 'program instantiation failed: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    });
    expect(() => ev('"ab".matches(dyn("a(?=b)"))')).not.toThrow(); // a dynamic pattern runs as JavaScript RegExp
  });

  test('runaway comprehensions hit the cost limit', () => {
    const l = Array.from({ length: 1100 }, (_, i) => i);
    expect(() => ev('self.all(x, self.all(y, x >= 0))', { self: l })).toThrow(/cost limit exceeded/);
    expect(ev('self.all(x, x >= 0)', { self: l })).toBe(true);
  });

  test('nested loops over independent data are linear: the cost guard does not refuse them', () => {
    const self = Array.from({ length: 1100 }, (_, i) => ({ l: [i] }));
    expect(ev('self.all(x, x.l.all(y, y >= 0))', { self })).toBe(true);
  });

  test('celToString renders lists and maps', () => {
    expect(celToString(ev('[dyn(1), dyn("a"), dyn(2.5)]'))).toBe('[1, "a", 2.500000]');
  });
});

describe('CEL compile errors', () => {
  test.each<[string, RegExp]>([
    ['self.a +', /<input>:1:9: Syntax error: mismatched input '<EOF>' expecting \{'\[', '\{', '\(', '\.', '-', '!', 'true'/],
    ['1 +* 2', /<input>:1:4: Syntax error: extraneous input '\*' expecting \{/],
    ['1 + +', /<input>:1:5: Syntax error: mismatched input '\+' expecting \{/],
    ['(1 + 2', /<input>:1:7: Syntax error: missing '\)' at '<EOF>'/],
    ['self.a)', /<input>:1:7: Syntax error: extraneous input '\)' expecting <EOF>/],
    ['[1, 2', /<input>:1:6: Syntax error: mismatched input '<EOF>' expecting \{'\]', ','\}/],
    ['self.', /<input>:1:6: Syntax error: no viable alternative at input '\.'/],
    ['"unterminated', /<input>:1:1: Syntax error: token recognition error at: '"unterminated'/],
    ['"bad \\q escape"', /token recognition error at: '"bad \\q'/],
    ['self # 1', /token recognition error at: '#'/],
    ['foo(1)', /<input>:1:4: undeclared reference to 'foo' \(in container ''\)/],
    ['self.a && 1 + bar', /<input>:1:15: undeclared reference to 'bar'/],
    ['self.all(x,\n y)', /<input>:2:2: undeclared reference to 'y'/],
    ['self.x.frobnicate()', /<input>:1:18: undeclared reference to 'frobnicate'/],
    ['other.x == 1', /<input>:1:1: undeclared reference to 'other'/],
    ['self.all(x, y > 0)', /undeclared reference to 'y'/],
    ['has(self)', /<input>:1:5: invalid argument to has\(\) macro/],
    ['self.map(x)', /<input>:1:9: undeclared reference to 'map'/],
    ['self.all(1, true)', /argument must be a simple name/],
    ['if == 1', /reserved identifier: if/],
    ['99999999999999999999', /<input>:1:1: invalid int literal/],
    ['Foo{a: 1}', /undeclared reference to 'Foo'/],
    ['', /<input>:1:1: Syntax error: mismatched input '<EOF>' expecting/],
    ['1 + "a"', /<input>:1:3: found no matching overload for '_\+_' applied to '\(int, string\)'/],
    ['!1', /<input>:1:1: found no matching overload for '!_' applied to '\(int\)'/],
    ['1 ? 2 : 3', /<input>:1:3: found no matching overload for '_\?_:_'/],
    ['1 == 1 ? 1 : "a"', /<input>:1:8: found no matching overload for '_\?_:_' applied to '\(bool, int, string\)'/],
    ['"x".format(1)', /<input>:1:11: found no matching overload for 'format' applied to 'string.\(int\)'/],
    ['"a".matches("(")', /<input>:1:13: invalid matches argument/],
    ['1 == 1.0', /<input>:1:3: found no matching overload for '_==_' applied to '\(int, double\)'/],
    ['1u == 1', /<input>:1:4: found no matching overload for '_==_' applied to '\(uint, int\)'/],
    ['[1, "a"]', /<input>:1:5: expected type 'int' but found 'string'/],
    ['{1: "a", "b": 2}', /<input>:1:10: expected type 'int' but found 'string'/],
    ['[1, dyn("a"), "b"]', /<input>:1:8: expected type 'int' but found 'dyn'/],
    ['"%d".format(["x"]) == ""', /<input>:1:14: error during formatting: decimal clause can only be used on integers, was given string/],
    ['"%s %s".format(["a"]) == ""', /<input>:1:15: index 1 out of range/],
    ['"abc".reverse() == "cba"', /<input>:1:14: found no matching overload for 'reverse' applied to 'string.\(\)'/],
    ['cel.bind(x, 1, x == 1)', /<input>:1:1: undeclared reference to 'cel'/],
  ])('%s', (rule, want) => {
    const r = compileRule(rule);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(/^compilation failed: ERROR: <input>:\d+:\d+: /);
      expect(r.error).toMatch(want);
    }
    expect(() => evaluateCel(rule, { self: {} })).toThrow(CelCompileError);
  });

  test.each([
    'self == oldSelf',
    '!has(oldSelf.status) || !has(oldSelf.status.startedAt) || self.spec == oldSelf.spec',
    'self.items.all(i, i.matches("^[a-z]+$"))',
    'self.x.y.z',
    'int(self) >= 0 ? true : false',
  ])('%s compiles', (rule) => {
    expect(compileRule(rule)).toEqual({ ok: true });
  });

  test('a rule must evaluate to a bool', () => {
    expect(compileRule('self.a + 1')).toEqual({ ok: false, error: 'cel expression must evaluate to a bool' });
    expect(compileRule('self.a')).toEqual({ ok: true }); // dyn: checked when it runs
  });

  test('the same rule compiled twice returns the cached verdict', () => {
    const a = compileRule('self.nope(');
    const b = compileRule('self.nope(');
    expect(a).toEqual(b);
    expect(a.ok).toBe(false);
  });
});

describe('Kubernetes CEL libraries', () => {
  test.each<[string, unknown]>([
    // quantity
    ['quantity("1.5Gi").isGreaterThan(quantity("1Gi"))', true],
    ['quantity("1") == quantity("1000m")', true],
    ['quantity("500m").isInteger()', false],
    ['quantity("2k").asInteger()', 2000n],
    ['quantity("1Ki").compareTo(quantity("1024"))', 0n],
    ['quantity("1").add(2).sub(quantity("500m")).asApproximateFloat()', 2.5],
    ['quantity("-1e3").isLessThan(quantity("0"))', true],
    ['isQuantity("1.5Gi") && !isQuantity("1.5GiB")', true],
    // url
    ['url("https://example.com:80/path?query=val#fragment").getHost()', 'example.com:80'],
    ['url("https://example.com:80/path").getHostname()', 'example.com'],
    ['url("https://[::1]:80/").getHostname()', '::1'],
    ['url("https://example.com:80/path").getPort()', '80'],
    ['url("https://example.com/path").getEscapedPath()', '/path'],
    ['url("https://example.com/p?k=v&k=w").getQuery()', { k: ['v', 'w'] }],
    ['url("/absolute-path").getScheme()', ''],
    ['isURL("../relative-path")', false],
    // ip and cidr
    ['ip.isCanonical("127.0.0.1")', true],
    ['ip.isCanonical("2001:db8:0:0:0:0:0:1")', false],
    ['ip("192.168.0.1").isGlobalUnicast()', true],
    ['ip("224.0.0.1").isLinkLocalMulticast()', true],
    ['ip("169.254.1.1").isLinkLocalUnicast()', true],
    ['cidr("10.0.0.0/8") == cidr("10.0.0.0/8")', true],
    // strings, regex, lists
    ['"a-b-c".replace("-", "+", 1)', 'a+b-c'],
    ['"héllo".charAt(1)', 'é'],
    ["strings.quote('a\"b')", '"a\\"b"'],
    ['"x1y22".findAll("[0-9]+")', ['1', '22']],
    ['"x1y22".findAll("[0-9]+", 1)', ['1']],
    ['"line1\\nline2".matches("(?s)^line1.line2\\\\z")', true],
    ['[3, 1, 2].reverse()', [2n, 1n, 3n]],
    ['[1, 1, 2].distinct()', [1n, 2n]],
    ['[1.5, 0.5].min()', 0.5],
    ['[dyn(1), dyn(2.0)].indexOf(2)', 1n],
    ['[[1, 2], [3]].flatten()', [1n, 2n, 3n]],
    ['[3, 1, 2].sort().slice(1, 3)', [2n, 3n]],
    ['lists.range(3)', [0n, 1n, 2n]],
    ['[1, 2].first().value()', 1n],
    ['dyn(1) == 1.0', true],
    // optionals and bind
    ['optional.ofNonZeroValue("").hasValue()', false],
    ['optional.ofNonZeroValue(1).value()', 1n],
  ])('%s', (src, want) => {
    expect(ev(src)).toEqual(want);
  });

  test.each<[string, RegExp]>([
    ['quantity("1.5GiB")', /quantities must match the regular expression/],
    ['quantity("500m").asInteger()', /cannot convert value to integer/],
    ['ip("10.0.0.256")', /^IP Address "10.0.0.256" parse error during conversion from string: ParseAddr\("10.0.0.256"\): IPv4 field has value >255$/],
    ['ip("::ffff:1.2.3.4")', /^IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed$/],
    ['"%s".format([ip("10.0.0.1")])', /string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given net.IP/],
    ['url("../x")', /URL parse error during conversion from string/],
    ['base64.decode("a")', /illegal base64 data/],
    ['"x".find(dyn("[0-9"))', /^Illegal regex: error parsing regexp: missing closing \]: `\[0-9`$/],
    ['"x".matches(dyn("[0-9"))', /^error parsing regexp: missing closing \]: `\[0-9`$/],
    ['timestamp("2024-01-01T00:00:00Z").getHours("Mars/Olympus")', /^unknown time zone Mars\/Olympus$/],
  ])('%s fails at runtime', (src, want) => {
    expect(() => ev(src)).toThrow(CelEvalError);
    expect(() => ev(src)).toThrow(want);
  });
});
