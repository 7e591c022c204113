import { describe, expect, test } from 'vitest';
import { applyDefaults, pruneUnknown, structuralProblems, unknownFieldCauses } from './index.ts';
import type { JSONSchemaProps } from './index.ts';

const root = (spec: JSONSchemaProps): JSONSchemaProps => ({ type: 'object', properties: { spec } });

describe('structuralProblems', () => {
  test('a typical structural schema has none', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 63 } } },
        spec: {
          type: 'object',
          required: ['mode'],
          'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'immutable' }],
          properties: {
            mode: { type: 'string', enum: ['A', 'B'], default: 'A' },
            port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
            labels: { type: 'object', additionalProperties: { type: 'string' } },
            extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
            users: {
              type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['email'],
              items: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } },
            },
            tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
            choice: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, oneOf: [{ required: ['a'] }, { required: ['b'] }] },
            start: { type: 'object', default: {}, properties: { at: { type: 'string', default: 'now' } } },
          },
        },
      },
    };
    expect(structuralProblems(schema)).toEqual([]);
  });

  test.each<[string, JSONSchemaProps, string]>([
    ['root must be object', { type: 'string' }, 'openAPIV3Schema.type: Invalid value: "string": must be object at the root'],
    ['missing type', root({ properties: { a: { type: 'string' } } }), 'openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields'],
    ['missing nested type', root({ type: 'object', properties: { a: { description: 'x' } } }), 'openAPIV3Schema.properties[spec].properties[a].type: Required value'],
    ['unknown type', root({ type: 'date' }), 'openAPIV3Schema.properties[spec].type: Unsupported value: "date"'],
    ['properties with additionalProperties', root({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } }),
      'openAPIV3Schema.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive'],
    ['additionalProperties false', root({ type: 'object', additionalProperties: false }), 'openAPIV3Schema.properties[spec].additionalProperties: Forbidden: must not be false'],
    ['array without items', root({ type: 'array' }), 'openAPIV3Schema.properties[spec].items: Required value'],
    ['uniqueItems', root({ type: 'array', items: { type: 'string' }, uniqueItems: true }), 'uniqueItems: Forbidden: uniqueItems cannot be set to true'],
    ['type inside anyOf', root({ type: 'string', anyOf: [{ type: 'string' }] }), 'openAPIV3Schema.properties[spec].anyOf[0].type: Forbidden: must be empty to be structural'],
    ['description inside allOf', root({ type: 'string', allOf: [{ description: 'x' }] }), 'openAPIV3Schema.properties[spec].allOf[0].description: Forbidden'],
    ['default inside not', root({ type: 'string', not: { default: 'x' } }), 'openAPIV3Schema.properties[spec].not.default: Forbidden'],
    ['junctor property not in structural part', root({ type: 'object', properties: { a: { type: 'string' } }, oneOf: [{ properties: { b: { minLength: 1 } } }] }),
      'openAPIV3Schema.properties[spec].oneOf[0].properties[b]: Forbidden: must have a properties value specified in the structural part of the schema'],
    ['preserve-unknown-fields false', root({ type: 'object', 'x-kubernetes-preserve-unknown-fields': false }), 'x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined'],
    ['int-or-string with type', root({ type: 'string', 'x-kubernetes-int-or-string': true }), 'must be empty if x-kubernetes-int-or-string is true'],
    ['embedded resource without properties', root({ type: 'object', 'x-kubernetes-embedded-resource': true }), 'must not be empty if x-kubernetes-embedded-resource is true'],
    ['metadata with other fields', { type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } },
      'openAPIV3Schema.properties[metadata].properties[labels]: Forbidden: only name and generateName may be restricted in metadata'],
    ['metadata with rules', { type: 'object', properties: { metadata: { type: 'object', 'x-kubernetes-validations': [{ rule: 'true' }] } } },
      'openAPIV3Schema.properties[metadata].x-kubernetes-validations: Forbidden'],
    ['default under metadata', { type: 'object', properties: { metadata: { type: 'object', default: {} } } }, 'openAPIV3Schema.properties[metadata].default: Forbidden'],
    ['default of the wrong type', root({ type: 'object', properties: { n: { type: 'integer', default: 'five' } } }),
      'openAPIV3Schema.properties[spec].properties[n].default: Invalid value: "string": default in body must be of type integer: "string"'],
    ['default not in enum', root({ type: 'object', properties: { m: { type: 'string', enum: ['A'], default: 'B' } } }),
      'openAPIV3Schema.properties[spec].properties[m].default: Unsupported value: "B"'],
    ['default with unknown fields', root({ type: 'object', properties: { o: { type: 'object', default: { x: 1 }, properties: { y: { type: 'integer' } } } } }),
      'openAPIV3Schema.properties[spec].properties[o].default: Invalid value: must not have unknown fields, got "x"'],
    ['default failing a rule', root({ type: 'object', properties: { n: { type: 'integer', default: 0, 'x-kubernetes-validations': [{ rule: 'self > 0' }] } } }),
      'properties[n].default: Invalid value: "integer": failed rule: self > 0'],
    ['default at root', { type: 'object', default: {} }, 'openAPIV3Schema.default: Forbidden'],
    ['uncompilable rule', root({ type: 'object', 'x-kubernetes-validations': [{ rule: 'self.a ==' }] }),
      'openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: {"Rule":"self.a ==","Message":"","MessageExpression":"","Reason":null,"FieldPath":"","OptionalOldSelf":null}: compilation failed: ERROR: <input>:1:10: Syntax error'],
    ['unknown function in rule', root({ type: 'object', 'x-kubernetes-validations': [{ rule: 'frob(self)' }] }), "undeclared reference to 'frob'"],
    ['oldSelf under a set/atomic list', root({ type: 'array', items: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf' }] } }),
      'items.x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within openAPIV3Schema.properties[spec]'],
    ['bad messageExpression', root({ type: 'object', 'x-kubernetes-validations': [{ rule: 'true', messageExpression: '"a" +' }] }), 'messageExpression compilation failed'],
    ['bad reason', root({ type: 'object', 'x-kubernetes-validations': [{ rule: 'true', reason: 'Nope' as 'FieldValueInvalid' }] }), 'reason: Unsupported value: "Nope"'],
    ['fieldPath to nowhere', root({ type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-validations': [{ rule: 'true', fieldPath: '.b' }] }),
      'fieldPath: Invalid value: ".b"'],
    ['map list without keys', root({ type: 'array', 'x-kubernetes-list-type': 'map', items: { type: 'object', properties: { a: { type: 'string' } } } }),
      'x-kubernetes-list-map-keys: Required value'],
    ['map list key neither required nor defaulted', root({ type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['a'], items: { type: 'object', properties: { a: { type: 'string' } } } }),
      'all map keys must be required or have a default value'],
    ['map list key not scalar', root({ type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['a'], items: { type: 'object', required: ['a'], properties: { a: { type: 'object' } } } }),
      'must be a scalar type'],
    ['set of granular objects', root({ type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'object', properties: { a: { type: 'string' } } } }),
      'must be atomic as item of a list with x-kubernetes-list-type=set'],
    ['list-map-keys without map', root({ type: 'array', 'x-kubernetes-list-map-keys': ['a'], items: { type: 'string' } }), 'must not be set if x-kubernetes-list-type is not map'],
    ['$ref', root({ type: 'object', $ref: '#/x' } as JSONSchemaProps), '$ref: Forbidden'],
    ['bad pattern', root({ type: 'string', pattern: '(' }), 'openAPIV3Schema.properties[spec].pattern: Invalid value: "("'],
  ])('%s', (_n, schema, want) => {
    const problems = structuralProblems(schema);
    expect(problems.some((p) => p.includes(want)), `${JSON.stringify(problems)} should include ${want}`).toBe(true);
  });
});

describe('pruneUnknown', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          users: { type: 'array', items: { type: 'object', properties: { email: { type: 'string' } } } },
          labels: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string' } } } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          partly: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'object', properties: { a: { type: 'string' } } } } },
          tmpl: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { x: { type: 'string' } } } } },
        },
      },
    },
  };
  test('removes unknown fields and reports their paths', () => {
    const obj = {
      apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a', whatever: 1 },
      spec: {
        users: [{ email: 'a', bogus: 1 }, { email: 'b' }, { nope: true }],
        labels: { k: { v: 'x', w: 'y' } },
        free: { any: { thing: [1] } },
        partly: { other: 1, known: { a: 'x', b: 'y' } },
        tmpl: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 'x', y: 'y' }, status: {} },
        foo: 1,
      },
      status: { phase: 'x' },
    };
    const removed = pruneUnknown(schema, obj);
    expect(removed.sort()).toEqual([
      'spec.foo', 'spec.labels.k.w', 'spec.partly.known.b', 'spec.tmpl.spec.y', 'spec.tmpl.status', 'spec.users[0].bogus', 'spec.users[2].nope', 'status',
    ]);
    expect(obj).toEqual({
      apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a', whatever: 1 },
      spec: {
        users: [{ email: 'a' }, { email: 'b' }, {}],
        labels: { k: { v: 'x' } },
        free: { any: { thing: [1] } },
        partly: { other: 1, known: { a: 'x' } },
        tmpl: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 'x' } },
      },
    });
  });
  test('unknownFieldCauses words them like strict field validation', () => {
    expect(unknownFieldCauses(['spec.foo'])).toEqual([{ reason: 'FieldValueUnknown', field: 'spec.foo', message: 'unknown field "spec.foo"' }]);
  });
  test('nothing to prune returns []', () => {
    expect(pruneUnknown(schema, { spec: { users: [] } })).toEqual([]);
  });
});

describe('applyDefaults', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        default: {},
        properties: {
          mode: { type: 'string', default: 'Automatic' },
          copy: { type: 'boolean', default: true },
          keep: { type: 'string', nullable: true, default: 'x' },
          drop: { type: 'string' },
          nested: { type: 'object', default: {}, properties: { retries: { type: 'integer', default: 3 } } },
          users: { type: 'array', items: { type: 'object', properties: { role: { type: 'string', default: 'member' } } } },
          byName: { type: 'object', additionalProperties: { type: 'object', properties: { on: { type: 'boolean', default: false } } } },
          list: { type: 'array', items: { type: 'string' }, default: ['a'] },
        },
      },
    },
  };
  test('missing parents are defaulted, then their children', () => {
    const obj: Record<string, unknown> = {};
    applyDefaults(schema, obj);
    expect(obj).toEqual({ spec: { mode: 'Automatic', copy: true, keep: 'x', nested: { retries: 3 }, list: ['a'] } });
  });
  test('explicit values win; null takes the default unless nullable; nulls without default are dropped', () => {
    const obj = {
      spec: {
        mode: 'Manual', copy: null, keep: null, drop: null,
        users: [{}, { role: 'admin' }], byName: { a: {}, b: { on: true } },
      },
    };
    applyDefaults(schema, obj);
    expect(obj).toEqual({
      spec: {
        mode: 'Manual', copy: true, keep: null, nested: { retries: 3 }, list: ['a'],
        users: [{ role: 'member' }, { role: 'admin' }], byName: { a: { on: false }, b: { on: true } },
      },
    });
  });
  test('defaults are deep copies', () => {
    const a: Record<string, unknown> = {};
    const b: Record<string, unknown> = {};
    applyDefaults(schema, a);
    applyDefaults(schema, b);
    ((a['spec'] as Record<string, unknown>)['list'] as string[]).push('mutated');
    expect((b['spec'] as Record<string, unknown>)['list']).toEqual(['a']);
    expect(schema.properties?.['spec']?.properties?.['list']?.default).toEqual(['a']);
  });
});
