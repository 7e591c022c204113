import { describe, expect, test } from 'vitest';
import { formatCause, validate } from './index.ts';
import type { CauseType, JSONSchemaProps } from './index.ts';

/** A root schema with one property `spec.v` of the given schema. */
const at = (v: JSONSchemaProps): JSONSchemaProps => ({
  type: 'object',
  properties: { spec: { type: 'object', properties: { v } } },
});
const objWith = (v: unknown): Record<string, unknown> => ({ apiVersion: 'x.dev/v1', kind: 'X', metadata: { name: 'a' }, spec: { v } });
const lines = (schema: JSONSchemaProps, obj: unknown, old?: unknown): string[] =>
  (old === undefined ? validate(schema, obj) : validate(schema, obj, old)).map(formatCause);

type Row = [name: string, schema: JSONSchemaProps, value: unknown, want: [CauseType, string, string][]];

describe('OpenAPI keywords', () => {
  const rows: Row[] = [
    ['string ok', { type: 'string' }, 'x', []],
    ['type string', { type: 'string' }, 5, [['FieldValueTypeInvalid', 'spec.v', 'Invalid value: "integer": spec.v in body must be of type string: "integer"']]],
    ['type integer', { type: 'integer' }, 'string', [['FieldValueTypeInvalid', 'spec.v', 'Invalid value: "string": spec.v in body must be of type integer: "string"']]],
    ['type integer rejects 1.5', { type: 'integer' }, 1.5, [['FieldValueTypeInvalid', 'spec.v', 'Invalid value: "number": spec.v in body must be of type integer: "number"']]],
    ['type number accepts 1', { type: 'number' }, 1, []],
    ['type boolean', { type: 'boolean' }, 'true', [['FieldValueTypeInvalid', 'spec.v', 'Invalid value: "string": spec.v in body must be of type boolean: "string"']]],
    ['type object', { type: 'object' }, [], [['FieldValueTypeInvalid', 'spec.v', 'Invalid value: "array": spec.v in body must be of type object: "array"']]],
    ['type array', { type: 'array', items: { type: 'string' } }, {}, [['FieldValueTypeInvalid', 'spec.v', 'Invalid value: "object": spec.v in body must be of type array: "object"']]],
    ['null not nullable', { type: 'string' }, null, [['FieldValueTypeInvalid', 'spec.v', 'Invalid value: "null": spec.v in body must be of type string: "null"']]],
    ['null nullable', { type: 'string', nullable: true, minLength: 3 }, null, []],
    ['int-or-string int', { 'x-kubernetes-int-or-string': true }, 80, []],
    ['int-or-string string', { 'x-kubernetes-int-or-string': true }, 'http', []],
    ['int-or-string bool', { 'x-kubernetes-int-or-string': true }, true, [['FieldValueTypeInvalid', 'spec.v', 'Invalid value: "boolean": spec.v in body must be of type integer-or-string: "boolean"']]],
    ['enum ok', { type: 'string', enum: ['Manual', 'Automatic'] }, 'Manual', []],
    ['enum', { type: 'string', enum: ['Manual', 'Automatic'] }, 'Foo', [['FieldValueNotSupported', 'spec.v', 'Unsupported value: "Foo": supported values: "Manual", "Automatic"']]],
    ['enum ints', { type: 'integer', enum: [1, 2] }, 3, [['FieldValueNotSupported', 'spec.v', 'Unsupported value: 3: supported values: "1", "2"']]],
    ['maxLength', { type: 'string', maxLength: 3 }, 'abcd', [['FieldValueTooLong', 'spec.v', 'Too long: may not be more than 3 bytes']]],
    ['maxLength counts characters', { type: 'string', maxLength: 3 }, 'héé', []],
    ['minLength', { type: 'string', minLength: 2 }, 'a', [['FieldValueInvalid', 'spec.v', 'Invalid value: "a": spec.v in body should be at least 2 chars long']]],
    ['pattern ok', { type: 'string', pattern: '^[a-z]+$' }, 'abc', []],
    ['pattern', { type: 'string', pattern: '^[a-z]+$' }, 'aB', [['FieldValueInvalid', 'spec.v', `Invalid value: "aB": spec.v in body should match '^[a-z]+$'`]]],
    ['pattern is unanchored', { type: 'string', pattern: '[0-9]' }, 'a1b', []],
    ['minimum', { type: 'integer', minimum: 1 }, 0, [['FieldValueInvalid', 'spec.v', 'Invalid value: 0: spec.v in body should be greater than or equal to 1']]],
    ['minimum boundary', { type: 'integer', minimum: 1 }, 1, []],
    ['exclusiveMinimum', { type: 'integer', minimum: 1, exclusiveMinimum: true }, 1, [['FieldValueInvalid', 'spec.v', 'Invalid value: 1: spec.v in body should be greater than 1']]],
    ['maximum', { type: 'number', maximum: 2.5 }, 3, [['FieldValueInvalid', 'spec.v', 'Invalid value: 3: spec.v in body should be less than or equal to 2.5']]],
    ['exclusiveMaximum', { type: 'integer', maximum: 3, exclusiveMaximum: true }, 3, [['FieldValueInvalid', 'spec.v', 'Invalid value: 3: spec.v in body should be less than 3']]],
    ['multipleOf', { type: 'integer', multipleOf: 5 }, 12, [['FieldValueInvalid', 'spec.v', 'Invalid value: 12: spec.v in body should be a multiple of 5']]],
    ['maxItems', { type: 'array', items: { type: 'integer' }, maxItems: 2 }, [1, 2, 3], [['FieldValueTooMany', 'spec.v', 'Too many: 3: must have at most 2 items']]],
    ['minItems', { type: 'array', items: { type: 'integer' }, minItems: 2 }, [1], [['FieldValueInvalid', 'spec.v', 'Invalid value: [1]: spec.v in body should have at least 2 items']]],
    ['uniqueItems', { type: 'array', items: { type: 'integer' }, uniqueItems: true }, [1, 1], [['FieldValueInvalid', 'spec.v', "Invalid value: [1,1]: spec.v in body shouldn't contain duplicates"]]],
    ['maxProperties', { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 1 }, { a: 'x', b: 'y' }, [['FieldValueTooMany', 'spec.v', 'Too many: 2: must have at most 1 items']]],
    ['minProperties', { type: 'object', additionalProperties: { type: 'string' }, minProperties: 1 }, {}, [['FieldValueInvalid', 'spec.v', 'Invalid value: {}: spec.v in body should have at least 1 properties']]],
    ['required', { type: 'object', required: ['a', 'b'], properties: { a: { type: 'string' }, b: { type: 'string' } } }, { a: 'x' }, [['FieldValueRequired', 'spec.v.b', 'Required value']]],
    ['nested items path', { type: 'array', items: { type: 'object', properties: { email: { type: 'string', format: 'email' } } } }, [{ email: 'a@b.co' }, { email: 'a@b.co' }, { email: 'nope' }],
      [['FieldValueTypeInvalid', 'spec.v[2].email', 'Invalid value: "nope": spec.v[2].email in body must be of type email: "nope"']]],
    ['additionalProperties values', { type: 'object', additionalProperties: { type: 'integer' } }, { a: 1, b: 'x' },
      [['FieldValueTypeInvalid', 'spec.v.b', 'Invalid value: "string": spec.v.b in body must be of type integer: "string"']]],
    ['allOf', { type: 'integer', allOf: [{ minimum: 1 }, { maximum: 3 }] }, 5, [['FieldValueInvalid', 'spec.v', 'Invalid value: 5: spec.v in body should be less than or equal to 3']]],
    ['anyOf ok', { type: 'string', anyOf: [{ pattern: '^a' }, { pattern: '^b' }] }, 'bx', []],
    ['anyOf', { type: 'string', anyOf: [{ pattern: '^a' }, { pattern: '^b' }] }, 'cx', [['FieldValueInvalid', 'spec.v', 'Invalid value: "": spec.v in body must validate at least one schema (anyOf)']]],
    ['oneOf none', { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, oneOf: [{ required: ['a'] }, { required: ['b'] }] }, {},
      [['FieldValueInvalid', 'spec.v', 'Invalid value: "": spec.v in body must validate one and only one schema (oneOf). Found none valid']]],
    ['oneOf two', { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, oneOf: [{ required: ['a'] }, { required: ['b'] }] }, { a: '', b: '' },
      [['FieldValueInvalid', 'spec.v', 'Invalid value: "": spec.v in body must validate one and only one schema (oneOf)']]],
    ['oneOf exactly one', { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, oneOf: [{ required: ['a'] }, { required: ['b'] }] }, { a: '' }, []],
    ['not', { type: 'string', not: { enum: ['root'] } }, 'root', [['FieldValueInvalid', 'spec.v', 'Invalid value: "": spec.v in body must not validate the schema (not)']]],
    ['int-or-string anyOf pattern', { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] }, 'x', []],
    ['preserve-unknown-fields accepts anything', { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, { any: [1, { b: 2 }] }, []],
    ['embedded resource needs apiVersion and kind', { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true }, { metadata: {} },
      [['FieldValueRequired', 'spec.v.apiVersion', 'Required value'], ['FieldValueRequired', 'spec.v.kind', 'Required value']]],
  ];
  test.each(rows)('%s', (_name, schema, value, want) => {
    const got = validate(at(schema), objWith(value));
    expect(got.map((c) => [c.reason, c.field, c.message])).toEqual(want);
  });
});

describe('formats', () => {
  const rows: [format: string, valid: string[], invalid: string[]][] = [
    ['date', ['2024-02-29', '2023-12-31'], ['2023-02-29', '2024-13-01', '2024-1-01', '2024-01-01T00:00:00Z', '']],
    ['date-time', ['2024-01-01T10:00:00Z', '2024-01-01T10:00:00.123+02:00', '2024-01-01t10:00:00z'], ['2024-01-01', '2024-01-01T25:00:00Z', '2024-02-30T00:00:00Z', 'yesterday']],
    ['email', ['a@b.co', 'first.last+tag@example.com'], ['a', 'a@', '@b.co', 'a b@c.d']],
    ['hostname', ['example.com', 'a-b.example.org', 'localhost'], ['-bad.com', 'a..b', 'exa mple.com']],
    ['ipv4', ['10.0.0.1', '255.255.255.255'], ['10.0.0.256', '10.0.0', '::1', '01.2.3.4']],
    ['ipv6', ['::1', 'fe80::1', '2001:db8::8a2e:370:7334', '::ffff:10.0.0.1'], ['10.0.0.1', '1::2::3', 'gggg::1']],
    ['cidr', ['10.0.0.0/8', 'fd00::/64', '192.168.1.7/32'], ['10.0.0.0', '10.0.0.0/33', 'fd00::/129']],
    ['mac', ['00:1a:2b:3c:4d:5e', '00-1A-2B-3C-4D-5E', '001a.2b3c.4d5e'], ['00:1a:2b:3c:4d', '00:1a:2b:3c:4d:zz', '001a2b3c4d5e']],
    ['uuid', ['123e4567-e89b-12d3-a456-426614174000', '123E4567-E89B-12D3-A456-426614174000'], ['123e4567-e89b-12d3-a456', 'not-a-uuid']],
    ['byte', ['aGVsbG8=', 'aGk=', ''], ['aGVsbG8', 'a$==']],
    ['duration', ['1h30m', '1.5s', '300ms', '-2h', '3 days'], ['1x', 'h', 'forever']],
    ['e164-ish unknown format', ['anything'], []],
  ];
  for (const [format, valid, bad] of rows) {
    test.each(valid)(`${format} accepts %j`, (v) => {
      expect(validate(at({ type: 'string', format }), objWith(v))).toEqual([]);
    });
    test.each(bad)(`${format} rejects %j`, (v) => {
      expect(validate(at({ type: 'string', format }), objWith(v))).toEqual([
        { reason: 'FieldValueTypeInvalid', field: 'spec.v', message: `Invalid value: ${JSON.stringify(v)}: spec.v in body must be of type ${format}: ${JSON.stringify(v)}` },
      ]);
    });
  }
});

describe('list types', () => {
  test('set: duplicates are named by index', () => {
    const s = at({ type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } });
    expect(lines(s, objWith(['a', 'b', 'a', 'a']))).toEqual(['spec.v[2]: Duplicate value: "a"', 'spec.v[3]: Duplicate value: "a"']);
    expect(lines(s, objWith(['a', 'b']))).toEqual([]);
  });
  test('map: duplicate keys are named by index, with the key values', () => {
    const s = at({
      type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name', 'port'],
      items: { type: 'object', required: ['name', 'port'], properties: { name: { type: 'string' }, port: { type: 'integer' }, x: { type: 'string' } } },
    });
    expect(lines(s, objWith([{ name: 'a', port: 1 }, { name: 'a', port: 2 }, { name: 'a', port: 1, x: 'y' }]))).toEqual([
      'spec.v[2]: Duplicate value: map[string]interface {}{"name":"a","port":1}',
    ]);
  });
  test('atomic lists may repeat', () => {
    expect(lines(at({ type: 'array', 'x-kubernetes-list-type': 'atomic', items: { type: 'string' } }), objWith(['a', 'a']))).toEqual([]);
  });
});

describe('top-level metadata', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: { metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 5 } } } },
  };
  test('only name and generateName are validated', () => {
    expect(lines(schema, { metadata: { name: 'toolongname', labels: { a: 1 }, annotations: 'not even an object' } })).toEqual([
      'metadata.name: Too long: may not be more than 5 bytes',
    ]);
    expect(lines(schema, { metadata: { name: 'ok' } })).toEqual([]);
  });
});

describe('x-kubernetes-validations', () => {
  const rule = (r: Record<string, unknown>, s: JSONSchemaProps = { type: 'integer' }): JSONSchemaProps =>
    at({ ...s, 'x-kubernetes-validations': [r as { rule: string }] });
  test.each<[string, JSONSchemaProps, unknown, string[]]>([
    ['passes', rule({ rule: 'self > 0' }), 1, []],
    ['default message', rule({ rule: 'self > 0' }), 0, ['spec.v: Invalid value: "integer": failed rule: self > 0']],
    ['message', rule({ rule: 'self > 0', message: 'must be positive' }), 0, ['spec.v: Invalid value: "integer": must be positive']],
    ['boolean example', rule({ rule: 'self == true', message: 'must be true' }, { type: 'boolean' }), false, ['spec.v: Invalid value: "boolean": must be true']],
    ['messageExpression', rule({ rule: 'self > 0', message: 'static', messageExpression: '"got " + string(self)' }), -3, ['spec.v: Invalid value: "integer": got -3']],
    ['messageExpression error falls back to message', rule({ rule: 'self > 0', message: 'static', messageExpression: 'self.nope' }), -3, ['spec.v: Invalid value: "integer": static']],
    ['reason Forbidden', rule({ rule: 'self > 0', message: 'no', reason: 'FieldValueForbidden' }), 0, ['spec.v: Forbidden: no']],
    ['reason Required', rule({ rule: 'self > 0', message: 'need', reason: 'FieldValueRequired' }), 0, ['spec.v: Required value: need']],
    ['reason Duplicate', rule({ rule: 'self > 0', reason: 'FieldValueDuplicate' }), 0, ['spec.v: Duplicate value: "integer"']],
    ['fieldPath', rule({ rule: 'self.a == self.b', message: 'a must equal b', fieldPath: '.b' },
      { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } } }), { a: 'x', b: 'y' }, ['spec.v.b: Invalid value: "object": a must equal b']],
    ['evaluation error names the message', rule({ rule: 'self.a == 1', message: 'a must be 1' }, { type: 'object', properties: { a: { type: 'integer' } } }), {},
      ['spec.v: Invalid value: "object": no such key: a evaluating rule: a must be 1']],
    ['evaluation error', rule({ rule: 'self.a == 1' }, { type: 'object', properties: { a: { type: 'integer' } } }), {},
      ['spec.v: Invalid value: "object": no such key: a evaluating rule: self.a == 1']],
    ['non-bool result', rule({ rule: 'self + 1' }), 1, ['spec.v: Invalid value: "integer": rule did not evaluate to a bool evaluating rule: self + 1']],
    ['no overload at run time (as a real apiserver words it)', rule({ rule: 'dyn(self.a) + 1 > 0', message: ' a plus one ' }, { type: 'object', properties: { a: { type: 'string' } } }), { a: 'x' },
      [`spec.v: Invalid value: "object": 'no such overload': call arguments did not match a supported operator, function or macro signature for rule: a plus one`]],
    ['integer fields are ints, number fields doubles', rule({ rule: 'self.i + 1 == 3 && self.n == 2.0' },
      { type: 'object', properties: { i: { type: 'integer' }, n: { type: 'number' } } }), { i: 2, n: 2 }, []],
    ['fields compared through a map literal are converted too', rule({ rule: 'self == {"i": 2}' },
      { type: 'object', properties: { i: { type: 'integer' } } }), { i: 2 }, []],
    ['date-time strings are timestamps', rule({ rule: 'self.end > self.start', message: 'end before start' },
      { type: 'object', properties: { start: { type: 'string', format: 'date-time' }, end: { type: 'string', format: 'date-time' } } }),
      { start: '2024-01-02T00:00:00Z', end: '2024-01-01T00:00:00Z' }, ['spec.v: Invalid value: "object": end before start']],
    ['messageExpression reads converted values', rule({ rule: 'self.end > self.start', messageExpression: "'ends ' + string(self.end.getFullYear())" },
      { type: 'object', properties: { start: { type: 'string', format: 'date-time' }, end: { type: 'string', format: 'date-time' } } }),
      { start: '2024-01-02T00:00:00Z', end: '2023-01-01T00:00:00Z' }, ['spec.v: Invalid value: "object": ends 2023']],
    ['dynamic keys convert every field', rule({ rule: "self.all(k, self[k] > timestamp('2020-01-01T00:00:00Z'))" },
      { type: 'object', additionalProperties: { type: 'string', format: 'date-time' } }),
      { a: '2021-01-01T00:00:00Z', b: '2019-01-01T00:00:00Z' }, [`spec.v: Invalid value: "object": failed rule: self.all(k, self[k] > timestamp('2020-01-01T00:00:00Z'))`]],
    ['date strings are timestamps', rule({ rule: 'self.to >= self.from' },
      { type: 'object', properties: { from: { type: 'string', format: 'date' }, to: { type: 'string', format: 'date' } } }),
      { from: '2024-01-02', to: '2024-01-10' }, []],
    ['duration strings are durations', rule({ rule: 'self < duration("1h")' }, { type: 'string', format: 'duration' }), '2h',
      ['spec.v: Invalid value: "string": failed rule: self < duration("1h")']],
    ['rules on list items', at({ type: 'array', items: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.startsWith("+")', message: 'must be E.164' }] } }),
      ['+44', '020'], ['spec.v[1]: Invalid value: "string": must be E.164']],
    ['rules on map values', at({ type: 'object', additionalProperties: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self >= 0' }] } }),
      { a: 1, b: -1 }, ['spec.v.b: Invalid value: "integer": failed rule: self >= 0']],
    ['rules are skipped when the type is wrong', rule({ rule: 'self > 0' }), 'x', ['spec.v: Invalid value: "string": spec.v in body must be of type integer: "string"']],
  ])('%s', (_n, schema, value, want) => {
    expect(lines(schema, objWith(value))).toEqual(want);
  });

  test('a rule over the cost limit stops every later rule (as the apiserver words it)', () => {
    const schema = at({
      type: 'array', items: { type: 'integer' },
      'x-kubernetes-validations': [{ rule: 'self.all(x, self.all(y, x >= 0))', message: 'nested' }, { rule: 'size(self) == 0' }],
    });
    expect(lines(schema, objWith(Array.from({ length: 1100 }, (_, i) => i)))).toEqual([
      `spec.v: Invalid value: "array": 'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: nested`,
    ]);
  });

  test('cross-field rule at root names no field', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      'x-kubernetes-validations': [{ rule: 'self.spec.a < self.spec.b', message: 'a must be less than b' }],
      properties: { spec: { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer' } } } },
    };
    expect(validate(schema, { spec: { a: 2, b: 1 } })).toEqual([{ reason: 'FieldValueInvalid', field: '', message: 'Invalid value: "object": a must be less than b' }]);
    expect(lines(schema, { spec: { a: 2, b: 1 } })).toEqual(['<nil>: Invalid value: "object": a must be less than b']);
  });
});

describe('transition rules', () => {
  const immutable: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'spec is immutable' }],
        properties: { a: { type: 'string' }, b: { type: 'string' } },
      },
    },
  };
  test('self == oldSelf: skipped on create, checked on update', () => {
    expect(lines(immutable, { spec: { a: 'x' } })).toEqual([]);
    expect(lines(immutable, { spec: { a: 'x' } }, { spec: { a: 'x' } })).toEqual([]);
    expect(lines(immutable, { spec: { a: 'y' } }, { spec: { a: 'x' } })).toEqual(['spec: Invalid value: "object": spec is immutable']);
  });
  test('skipped when the old object had no value there', () => {
    expect(lines(immutable, { spec: { a: 'y' } }, { metadata: {} })).toEqual([]);
  });

  const frozenOnceStarted: JSONSchemaProps = {
    type: 'object',
    'x-kubernetes-validations': [{
      rule: '!has(oldSelf.status) || !has(oldSelf.status.startedAt) || self.spec == oldSelf.spec',
      message: 'spec cannot change once the order has started',
    }],
    properties: {
      spec: { type: 'object', properties: { scheduledAt: { type: 'string' } } },
      status: { type: 'object', properties: { startedAt: { type: 'string', format: 'date-time' } } },
    },
  };
  test.each<[string, unknown, unknown, string[]]>([
    ['create', { spec: { scheduledAt: 'a' } }, undefined, []],
    ['not started: reschedule allowed', { spec: { scheduledAt: 'b' } }, { spec: { scheduledAt: 'a' }, status: {} }, []],
    ['no status at all', { spec: { scheduledAt: 'b' } }, { spec: { scheduledAt: 'a' } }, []],
    ['started: same spec allowed', { spec: { scheduledAt: 'a' }, status: { startedAt: '2024-01-01T00:00:00Z' } },
      { spec: { scheduledAt: 'a' }, status: { startedAt: '2024-01-01T00:00:00Z' } }, []],
    ['started: spec change refused', { spec: { scheduledAt: 'b' } }, { spec: { scheduledAt: 'a' }, status: { startedAt: '2024-01-01T00:00:00Z' } },
      ['<nil>: Invalid value: "object": spec cannot change once the order has started']],
  ])('root rule: %s', (_n, obj, old, want) => {
    expect(lines(frozenOnceStarted, obj, old)).toEqual(want);
  });

  test('map-list items correlate with old items by key', () => {
    const schema = at({
      type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
      items: {
        type: 'object', required: ['name'],
        properties: { name: { type: 'string' }, size: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self >= oldSelf', message: 'cannot shrink' }] } },
      },
    });
    const old = objWith([{ name: 'a', size: 5 }, { name: 'b', size: 5 }]);
    expect(lines(schema, objWith([{ name: 'b', size: 4 }, { name: 'a', size: 6 }, { name: 'c', size: 1 }]), old)).toEqual([
      'spec.v[0].size: Invalid value: "integer": cannot shrink',
    ]);
  });

  test('optionalOldSelf runs on create with oldSelf as an empty optional', () => {
    const schema = at({
      type: 'string',
      'x-kubernetes-validations': [{ rule: 'oldSelf.hasValue() ? self == oldSelf.value() : self.startsWith("v")', optionalOldSelf: true, message: 'bad' }],
    });
    expect(lines(schema, objWith('x'))).toEqual(['spec.v: Invalid value: "string": bad']);
    expect(lines(schema, objWith('v1'))).toEqual([]);
    expect(lines(schema, objWith('v2'), objWith('v1'))).toEqual(['spec.v: Invalid value: "string": bad']);
  });
});

describe('ratcheting', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          name: { type: 'string', pattern: '^[a-z]+$' },
          note: { type: 'string' },
          ports: {
            type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
            items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer', maximum: 100 } } },
          },
          tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string', maxLength: 3 } },
        },
      },
    },
  };
  const stored = { spec: { name: 'Bad_Name', note: 'a', ports: [{ name: 'p', port: 500 }], tags: ['long-tag'] } };
  test('invalid values stored under a looser schema survive unrelated updates', () => {
    expect(lines(schema, { spec: { ...stored.spec, note: 'b' } }, stored)).toEqual([]);
    expect(lines(schema, { spec: { ...stored.spec, ports: [{ name: 'q', port: 1 }, { name: 'p', port: 500 }], tags: ['ok', 'long-tag'] } }, stored)).toEqual([]);
  });
  test('changed values are validated', () => {
    expect(lines(schema, { spec: { ...stored.spec, name: 'Still_Bad' } }, stored)).toEqual([
      "spec.name: Invalid value: \"Still_Bad\": spec.name in body should match '^[a-z]+$'",
    ]);
    expect(lines(schema, { spec: { ...stored.spec, ports: [{ name: 'p', port: 501 }], tags: ['other-long'] } }, stored)).toEqual([
      'spec.ports[0].port: Invalid value: 501: spec.ports[0].port in body should be less than or equal to 100',
      'spec.tags[0]: Too long: may not be more than 3 bytes',
    ]);
  });
  test('can be turned off', () => {
    expect(validate(schema, { spec: { ...stored.spec, note: 'b' } }, stored, { ratcheting: false }).map((c) => c.field)).toEqual([
      'spec.name', 'spec.ports[0].port', 'spec.tags[0]',
    ]);
  });
});
