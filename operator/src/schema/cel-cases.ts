/**
 * The CEL test table, shared by cel.test.ts (the engine alone) and
 * test/conformance/cel-table.test.ts (the same cases as CRD rules on the dev cluster and on a
 * real kube-apiserver). A case is an expression, the JSON value `self` has (if it uses it) and
 * what it gives: a value, a run-time error, or a compile error.
 *
 * On a cluster a value case becomes the rule `(expr) == <value>`, an error case
 * `dyn(expr) != null`; `schema` is the schema `self` has there (default: inferred from the data).
 * `cluster` marks what a cluster needs or answers differently: `solo` (its own CRD: it spends the
 * per-call cost budget), `unordered` (a list built from map keys: compared as a set), `real` (the
 * real kube-apiserver's answer where it differs from the table — the known differences listed in
 * operator/src/devcluster/README.md).
 */
import { CelUint } from './cel/index.ts';
import type { JSONSchemaProps } from './types.ts';

export type Want = { value: unknown } | { error: RegExp } | { compileError: RegExp };

/** How a kube-apiserver answers a case: the rule holds, fails, errs when it runs, or is refused with the CRD. */
export type Outcome = { kind: 'true' } | { kind: 'false' } | { kind: 'error'; match: RegExp } | { kind: 'compile'; match: RegExp };

/** What a cluster needs, or answers, beyond the table. */
export interface ClusterNote {
  /** Its own CRD: the rule spends the per-call cost budget, which stops the rules after it. */
  solo?: true;
  /** A list built from map keys (no defined order): compared as a set. */
  unordered?: true;
  /** What every kube-apiserver answers (Kubernetes, not the engine: e.g. refused for its estimated cost). */
  outcome?: Outcome;
  /** What the real kube-apiserver answers where the dev cluster cannot (a known difference). */
  real?: Outcome;
  why?: string;
}

export interface CelCase {
  group: string;
  expr: string;
  self?: unknown;
  schema?: JSONSchemaProps;
  want: Want;
  cluster?: ClusterNote;
}

type Row<T> = [string, T] | [string, T, ClusterNote];
const value = (group: string, self?: unknown, schema?: JSONSchemaProps) =>
  ([expr, v, cluster]: Row<unknown>): CelCase => ({
    group, expr, want: { value: v }, ...(self !== undefined ? { self } : {}), ...(schema ? { schema } : {}), ...(cluster ? { cluster } : {}),
  });
const error = (group: string, self?: unknown, schema?: JSONSchemaProps) =>
  ([expr, e, cluster]: Row<RegExp>): CelCase => ({
    group, expr, want: { error: e }, ...(self !== undefined ? { self } : {}), ...(schema ? { schema } : {}), ...(cluster ? { cluster } : {}),
  });

const INT: JSONSchemaProps = { type: 'integer' };
const STR: JSONSchemaProps = { type: 'string' };

export const LITERALS: CelCase[] = ([
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
  ['7u', new CelUint(7n)],
  ['b"ab\\x00"', Uint8Array.from([97, 98, 0])],
  // maps built by an expression are plain objects: keys are strings there, and int keys still look up
  ['{"a": 1, "b": 2}', { a: 1n, b: 2n }],
  ['{1: "one", 2: "two"}[2]', 'two'],
] as Row<unknown>[]).map(value('literals'));

export const OPERATORS: CelCase[] = ([
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
] as Row<unknown>[]).map(value('operators'));

export const OPERATOR_ERRORS: CelCase[] = ([
  ['9223372036854775807 + 1', /overflow/],
  ['-9223372036854775808 - 1', /overflow/],
  ['1 / 0', /division by zero/],
  ['1 % 0', /modulus by zero/],
  ['0u - 1u', /overflow/],
  ['[1][5]', /index out of bounds: 5/],
  ['{"a": 1}["b"]', /no such key: b/],
  ['dyn(1) + "a"', /^no such overload$/],
  ['dyn(1).lowerAscii()', /^no such overload: lowerAscii\(int\)$/],
] as Row<RegExp>[]).map(error('operators'));

/** `self.missing` is an error that && and || absorb; self is a map, so the field may be absent. */
const ABSORB_SELF = { x: 1 };
const ABSORB_SCHEMA: JSONSchemaProps = { type: 'object', additionalProperties: INT };
export const ERROR_ABSORPTION: CelCase[] = [
  ...([
    ['self.missing == 1 || self.x == 1', true],
    ['self.x == 1 || self.missing == 1', true],
    ['self.missing == 1 && self.x == 2', false],
    ['self.x == 2 && self.missing == 1', false],
    ['has(self.missing) && self.missing > 0', false],
  ] as Row<unknown>[]).map(value('&& and ||', ABSORB_SELF, ABSORB_SCHEMA)),
  ...(['self.missing == 1 || self.x == 2', 'self.missing == 1 && self.x == 1', 'self.missing == 1'] as const)
    .map((expr): CelCase => ({ group: '&& and ||', expr, self: ABSORB_SELF, schema: ABSORB_SCHEMA, want: { error: /no such key: missing/ } })),
];

const FIELDS_SELF = {
  name: 'svc',
  replicas: 3,
  ratio: 0.5,
  labels: { app: 'web', tier: 'front' },
  ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }],
  tags: ['a', 'b', 'c'],
};
const FIELDS_SCHEMA: JSONSchemaProps = {
  type: 'object',
  properties: {
    name: STR, replicas: INT, ratio: { type: 'number' }, labels: { type: 'object', additionalProperties: STR },
    ports: { type: 'array', items: { type: 'object', properties: { name: STR, port: INT } } },
    tags: { type: 'array', items: STR }, nope: STR,
  },
};
export const FIELDS: CelCase[] = ([
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
] as Row<unknown>[]).map(value('fields and macros', FIELDS_SELF, FIELDS_SCHEMA)).map((c) =>
  (c.expr === 'self.labels.map(k, k)' ? { ...c, cluster: { unordered: true } } : c));

const LIST_SELF = [{ a: 1 }, {}];
const LIST_SCHEMA: JSONSchemaProps = { type: 'array', items: { type: 'object', properties: { a: INT } } };
export const MACRO_ERRORS: CelCase[] = [
  value('macros absorb errors', LIST_SELF, LIST_SCHEMA)(['self.all(x, x.a == 2)', false]),
  value('macros absorb errors', LIST_SELF, LIST_SCHEMA)(['self.exists(x, x.a == 1)', true]),
  error('macros absorb errors', LIST_SELF, LIST_SCHEMA)(['self.all(x, x.a == 1)', /no such key/]),
  {
    // the engine sees self as dyn; a CRD's schema types it, and the apiserver refuses the rule
    group: 'macros absorb errors', expr: 'self.a.b', self: { a: 'str' }, want: { error: /no such key: b/ },
    cluster: { outcome: { kind: 'compile', match: /<input>:1:\d+: type 'string' does not support field selection/ } },
  },
];

export const STANDARD: CelCase[] = ([
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
  // the estimated size of a literal list's elements is unbounded: a CRD refuses join() on one
  ['["a", "b"].join("-")', 'a-b', { outcome: { kind: 'compile', match: /estimated rule cost exceeds budget by factor of more than 100x/ } }],
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
] as Row<unknown>[]).map(value('standard functions'));

export const TIME: CelCase[] = [
  ...([
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
    ['timestamp("1970-01-01T00:00:01Z")', new Date(1000)],
    ['string(duration("1ms"))', '0.001s'],
  ] as Row<unknown>[]).map(value('timestamps and durations')),
  ...([
    // literals are checked when the rule is compiled, other strings when it runs
    ['timestamp("2024-13-01T00:00:00Z")', /<input>:1:\d+: invalid timestamp argument/],
    ['duration("5 parsecs")', /<input>:1:\d+: invalid duration argument/],
    ['timestamp(dyn("2024-13-01T00:00:00Z"))', /type conversion error from 'string' to 'google.protobuf.Timestamp'/],
    ['duration(dyn("5 parsecs"))', /type conversion error from 'string' to 'google.protobuf.Duration'/],
    ['timestamp("2024-01-01T00:00:00Z").getHours("Mars/Olympus")', /^unknown time zone Mars\/Olympus$/],
  ] as Row<RegExp>[]).map(error('timestamps and durations')),
];

export const NETWORK: CelCase[] = ([
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
  ['ip.isCanonical("127.0.0.1")', true],
  ['ip.isCanonical("2001:db8:0:0:0:0:0:1")', false],
  ['ip("192.168.0.1").isGlobalUnicast()', true],
  ['ip("224.0.0.1").isLinkLocalMulticast()', true],
  ['ip("169.254.1.1").isLinkLocalUnicast()', true],
  ['cidr("10.0.0.0/8") == cidr("10.0.0.0/8")', true],
] as Row<unknown>[]).map(value('ip and cidr'));

const OPT_SCHEMA: JSONSchemaProps = { type: 'object', properties: { a: INT } };
export const OPTIONALS: CelCase[] = [
  value('optionals', {}, OPT_SCHEMA)(['self.?a.orValue(5)', 5n]),
  value('optionals', { a: 1 }, OPT_SCHEMA)(['self.?a.orValue(5)', 1n]),
  value('optionals', { a: {} }, { type: 'object', properties: { a: { type: 'object', properties: { b: INT } } } })(['self.?a.b.hasValue()', false]),
  ...([
    ['optional.of(1).value()', 1n],
    ['optional.none().hasValue()', false],
    ['optional.ofNonZeroValue("").hasValue()', false],
    ['optional.ofNonZeroValue(1).value()', 1n],
  ] as Row<unknown>[]).map(value('optionals')),
];

export const STRINGS_AND_LISTS: CelCase[] = [
  ...([
    ['sets.contains([1, 2, 3], [3, 1])', true],
    ['sets.contains([1, 2], [4])', false],
    ['sets.equivalent([1, 2, 2], [2, 1])', true],
    ['sets.intersects(["a"], ["b", "a"])', true],
    ['"a-b".matches(r"^a\\-b$")', true],
    ['"%s has %d users (%.2f%%)".format([dyn("acme"), dyn(3), dyn(12.5)])', 'acme has 3 users (12.50%)'],
    ['"%x/%X/%o/%b".format([255, 255, 8, 5])', 'ff/FF/10/101'],
    ['"%s".format([[dyn(1), dyn("a"), dyn(1.5), dyn(b"x"), dyn(null), dyn([2]), dyn({"k": "v"})]])', '[1, "a", 1.500000, b"x", null, [2], {"k":"v"}]'],
    ['"%s".format([{"b": 1, "a": 2}])', '{"a":2, "b":1}'],
    ['"%s %s %s %s".format([1000000.0, 100000.0, 0.00001, 1.0 / 0.0])', '1e+06 100000 1e-05 +Inf'],
    ['"%e %e".format([1234.5, -0.000012])', '1.234500×10⁰³ -1.200000×10⁻⁰⁵'],
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
  ] as Row<unknown>[]).map(value('strings, lists and sets')),
  ...([
    ['"%d".format(["x"])', /decimal clause can only be used on integers/],
    ['"%s %s".format(["x"])', /out of range/],
    // a constant pattern, even in dyn(), is compiled with the program
    ['"x".find(dyn("[0-9"))', /(^|program instantiation failed: )error parsing regexp: missing closing \]: `\[0-9`$/],
    ['"x".matches(dyn("[0-9"))', /(^|program instantiation failed: )error parsing regexp: missing closing \]: `\[0-9`$/],
  ] as Row<RegExp>[]).map(error('strings, lists and sets')),
  // a pattern from the data, when the rule runs
  error('strings, lists and sets', '[0-9', STR)(['"x".find(self)', /^Illegal regex: error parsing regexp: missing closing \]: `\[0-9`$/]),
  error('strings, lists and sets', '[0-9', STR)(['"x".matches(self)', /^error parsing regexp: missing closing \]: `\[0-9`$/]),
  value('strings, lists and sets', 'a(?=b)', STR)(['"ab".matches(self)', true, {
    real: { kind: 'error', match: /^error parsing regexp: invalid or unsupported Perl syntax: `\(\?=`$/ },
    why: 'a pattern from the data runs as a JavaScript RegExp, not RE2',
  }]),
];

export const QUANTITY_AND_URL: CelCase[] = [
  ...([
    ['quantity("1.5Gi").isGreaterThan(quantity("1Gi"))', true],
    ['quantity("1") == quantity("1000m")', true],
    ['quantity("500m").isInteger()', false],
    ['quantity("2k").asInteger()', 2000n],
    ['quantity("1Ki").compareTo(quantity("1024"))', 0n],
    ['quantity("1").add(2).sub(quantity("500m")).asApproximateFloat()', 2.5],
    ['quantity("-1e3").isLessThan(quantity("0"))', true],
    ['isQuantity("1.5Gi") && !isQuantity("1.5GiB")', true],
    ['url("https://example.com:80/path?query=val#fragment").getHost()', 'example.com:80'],
    ['url("https://example.com:80/path").getHostname()', 'example.com'],
    ['url("https://[::1]:80/").getHostname()', '::1'],
    ['url("https://example.com:80/path").getPort()', '80'],
    ['url("https://example.com/path").getEscapedPath()', '/path'],
    ['url("https://example.com/p?k=v&k=w").getQuery()', { k: ['v', 'w'] }],
    ['url("/absolute-path").getScheme()', ''],
    ['isURL("../relative-path")', false],
  ] as Row<unknown>[]).map(value('quantity and url')),
  ...([
    ['quantity("1.5GiB")', /quantities must match the regular expression/],
    ['quantity("500m").asInteger()', /cannot convert value to integer/],
    ['ip("10.0.0.256")', /^IP Address "10.0.0.256" parse error during conversion from string: ParseAddr\("10.0.0.256"\): IPv4 field has value >255$/],
    ['ip("::ffff:1.2.3.4")', /^IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed$/],
    ['"%s".format([ip("10.0.0.1")])', /string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given net.IP/],
    ['url("../x")', /URL parse error during conversion from string/],
  ] as Row<RegExp>[]).map(error('quantity and url')),
];

/** Rules whose cost the per-call limit stops (1,000,000 units, 1,100 × 1,100 iterations here). */
export const COST: CelCase[] = [
  {
    group: 'cost limit', expr: 'self.all(x, self.all(y, x >= 0))', self: Array.from({ length: 1100 }, (_, i) => i),
    schema: { type: 'array', maxItems: 1100, items: INT }, want: { error: /cost limit exceeded/ }, cluster: { solo: true },
  },
  {
    group: 'cost limit', expr: 'self.all(x, x >= 0)', self: Array.from({ length: 1100 }, (_, i) => i),
    schema: { type: 'array', maxItems: 1100, items: INT }, want: { value: true },
  },
  {
    // nested loops over independent data are linear: the cost guard does not refuse them
    group: 'cost limit', expr: 'self.all(x, x.l.all(y, y >= 0))', self: Array.from({ length: 1100 }, (_, i) => ({ l: [i] })),
    schema: { type: 'array', maxItems: 1100, items: { type: 'object', properties: { l: { type: 'array', maxItems: 1, items: INT } } } }, want: { value: true },
  },
];

/** Rules a kube-apiserver refuses when the CRD is written. */
export const COMPILE_ERRORS: CelCase[] = ([
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
  ['', /<input>:1:1: Syntax error: mismatched input '<EOF>' expecting/, { outcome: { kind: 'compile', match: /^Required value: rule is not specified$/ } }],
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
  ['base64.encode(b"hi") == "aGk="', /<input>:1:1: undeclared reference to 'base64' \(in container ''\)\n \| base64.encode\(b"hi"\) == "aGk="\n \| \^\nERROR: <input>:1:14: undeclared reference to 'encode'/],
  ['string(base64.decode("aGk=")) == "hi"', /<input>:1:8: undeclared reference to 'base64'/],
  ['b"ab".hex() == ""', /<input>:1:10: undeclared reference to 'hex' \(in container ''\)/],
  ['b"ab".at(0) == 97', /<input>:1:9: undeclared reference to 'at'/],
] as Row<RegExp>[]).map(([expr, e, cluster]): CelCase => ({ group: 'compile errors', expr, want: { compileError: e }, ...(cluster ? { cluster } : {}) }));

const KD = 'known differences';
const real = (o: Outcome, why: string): ClusterNote => ({ real: o, why });
/**
 * Where the engine answers differently from a real kube-apiserver (what the table says is the
 * engine's answer; `cluster.real` the real one's). Listed in operator/src/devcluster/README.md.
 */
export const KNOWN_DIFFERENCES: CelCase[] = [
  error(KD, 1)(['self + "a"', /^no such overload$/,
    real({ kind: 'compile', match: /<input>:1:\d+: found no matching overload for '_\+_' applied to '\(int, string\)'/ }, 'self is dyn: only field selection and ==/!= are typed from the schema')]),
  value(KD)(['string(timestamp("2024-01-01T00:00:00.123456789Z"))', '2024-01-01T00:00:00.123Z', real({ kind: 'false' }, 'timestamps are JavaScript Dates: milliseconds')]),
  value(KD)(['timestamp(dyn("2024-02-30T00:00:00Z"))', new Date('2024-03-01T00:00:00Z'),
    real({ kind: 'error', match: /type conversion error from 'string' to 'google.protobuf.Timestamp'/ }, "the library's timestamp() rolls an invalid date over")]),
  {
    group: KD, expr: '1 + "a" == 2 + "b"', want: { compileError: /'\(int, string\)'\n \| 1 \+ "a" == 2 \+ "b"\n \| \.\.\^$/ },
    cluster: real({ kind: 'compile', match: /<input>:1:3: found no matching overload[\s\S]*\nERROR: <input>:1:\d+: found no matching overload/ }, 'only the first compile error is given'),
  },
  value(KD)(['string(1e6)', '1000000', real({ kind: 'false' }, 'cel-go prints 1e+06')]),
  value(KD)(['"É".lowerAscii()', 'é', real({ kind: 'false' }, "the library's lowerAscii/upperAscii change non-ASCII letters")]),
  value(KD)(['"😀a".indexOf("a")', 2n, real({ kind: 'false' }, "the library's indexOf/substring count UTF-16 units")]),
  ...([
    ['.5 == 0.5', /Syntax error/, 'no .5 literals'],
    ['[?optional.of(1)] == [1]', /Syntax error/, 'no optional list entries'],
    ['self.all(i, v, v > i)', /undeclared reference to 'i'/, 'no two-variable comprehensions'],
    ['self.transformList(i, v, v * 2) == [2, 4]', /undeclared reference to 'transformList'/, 'no transformList/transformMap'],
    ['[2, 1].sortBy(x, x) == [1, 2]', /undeclared reference to 'sortBy'/, 'no sortBy'],
    ['!format.dns1123Label().validate("a").hasValue()', /undeclared reference to 'format'/, 'no format library'],
  ] as [string, RegExp, string][]).map(([expr, e, why]): CelCase => ({ group: KD, expr, self: [1, 2], want: { compileError: e }, cluster: real({ kind: 'true' }, why) })),
  {
    // one loop with an expensive body: the estimate lets it in (4.8M < 10M), each run costs 600 × 2010 > 1M on a real server;
    // the engine's guard counts iterations of nested loops only
    group: KD, expr: "self.all(x, x.matches('^[a-z]+[a-z]+[a-z]+[a-z]+[a-z]+[a-z]+$'))", self: Array.from({ length: 600 }, () => 'a'.repeat(2000)),
    schema: { type: 'array', maxItems: 600, items: { type: 'string', maxLength: 2000 } }, want: { value: true },
    cluster: { solo: true, real: { kind: 'error', match: /actual cost limit exceeded/ }, why: 'the run-time cost guard counts iterations of nested loops, not cost units' },
  },
];

/** Every evaluation case (value or run-time error), in table order, and the known differences. */
export const EVALUATION_CASES: CelCase[] = [
  ...LITERALS, ...OPERATORS, ...OPERATOR_ERRORS, ...ERROR_ABSORPTION, ...FIELDS, ...MACRO_ERRORS, ...STANDARD, ...TIME, ...NETWORK,
  ...OPTIONALS, ...STRINGS_AND_LISTS, ...QUANTITY_AND_URL, ...COST, ...KNOWN_DIFFERENCES,
];
