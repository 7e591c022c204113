// A CRD schema checked as a kube-apiserver checks it on create/update (crd.ts): causes and their
// order, CEL only where the schema is otherwise valid, costs against both limits. The same CRDs
// go to both servers in test/conformance/crd-cost.test.ts.
import { describe, expect, test } from 'vitest';
import { crdSchemaCauses, versionSchemaCauses } from './crd.ts';
import type { JSONSchemaProps } from './types.ts';

const ROOT = 'spec.validation.openAPIV3Schema';
const spec = (s: JSONSchemaProps): JSONSchemaProps => ({ type: 'object', properties: { spec: s } });
const pairs = (n: number | undefined): JSONSchemaProps => ({
  type: 'array', ...(n === undefined ? {} : { maxItems: n }), items: { type: 'string', maxLength: 100 }, 'x-kubernetes-validations': [{ rule: 'self.all(x, self.exists(y, x == y))' }],
});
const fields = (causes: { field: string }[]): string[] => causes.map((c) => c.field);

describe('crdSchemaCauses', () => {
  test('an acceptable schema has none', () => {
    expect(crdSchemaCauses(spec({ type: 'object', properties: { l: pairs(100) } }), ROOT)).toEqual([]);
  });

  test('a rule over its limit, and the total over the CRD limit', () => {
    const causes = crdSchemaCauses(spec({ type: 'object', properties: { l: pairs(undefined) } }), ROOT);
    const rule = `${ROOT}.properties[spec].properties[l].x-kubernetes-validations[0].rule`;
    expect(causes.map((c) => [c.reason, c.field, c.message.replace(/ \(try simplifying.*\)$/, '')])).toEqual([
      ['FieldValueForbidden', rule, 'Forbidden: estimated rule cost exceeds budget by factor of more than 100x'],
      ['FieldValueForbidden', rule, 'Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema'],
      ['FieldValueForbidden', ROOT, 'Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of more than 100x'],
    ]);
  });

  test('under the limits each, over them together: the four most expensive are named, most expensive first', () => {
    const props = Object.fromEntries([440, 450, 441, 449, 442, 448, 443, 447, 444, 446, 445, 439].map((n) => [`p${n}`, pairs(n)]));
    const causes = crdSchemaCauses(spec({ type: 'object', properties: props }), ROOT);
    expect(fields(causes)).toEqual([450, 449, 448, 447].map((n) => `${ROOT}.properties[spec].properties[p${n}].x-kubernetes-validations[0].rule`).concat([ROOT]));
    expect(causes[4]?.message).toContain('exceeds budget by factor of 1.090976x');
  });

  test('the cardinality multiplies the bounds of the lists and maps above a rule', () => {
    const item = (max: number): JSONSchemaProps => ({
      type: 'array', maxItems: max, items: { type: 'object', maxProperties: 10, additionalProperties: { type: 'string', maxLength: 100, 'x-kubernetes-validations': [{ rule: "self.matches('^[a-z]+$')" }] } },
    });
    // 400 bytes: (400 + 1) × 0.1 → 41, × 8 × 0.25 for the pattern → 82, + 1 for self: 83 per value
    expect(crdSchemaCauses(spec({ type: 'object', properties: { l: item(12000) } }), ROOT)).toEqual([]); // 12000 × 10 × 83 = 9,960,000
    expect(crdSchemaCauses(spec({ type: 'object', properties: { l: item(13000) } }), ROOT)[0]?.message).toContain('factor of 1.079000x');
  });

  test('rule field errors stop the CEL checks of that node and above, not below', () => {
    const causes = crdSchemaCauses(spec({
      type: 'object', 'x-kubernetes-validations': [{ rule: 'foo(', message: 'a\nb' }],
      properties: { x: { type: 'string', maxLength: 5, 'x-kubernetes-validations': [{ rule: 'bar()' }] } },
    }), ROOT);
    expect(causes.map((c) => [c.field, c.message.split(':')[0]])).toEqual([
      [`${ROOT}.properties[spec].x-kubernetes-validations[0].message`, 'Invalid value'],
      [`${ROOT}.properties[spec].properties[x].x-kubernetes-validations[0].rule`, 'Invalid value'],
    ]);
    expect(causes[1]?.message).toContain("undeclared reference to 'bar'");
  });

  test('a structural problem stops every CEL check', () => {
    const causes = crdSchemaCauses(spec({ type: 'object', properties: { x: { 'x-kubernetes-validations': [{ rule: 'foo(' }] } } }), ROOT);
    expect(causes).toEqual([{ reason: 'FieldValueRequired', field: `${ROOT}.properties[spec].properties[x].type`, message: 'Required value: must not be empty for specified object fields' }]);
  });

  test('oldSelf below a set names the list; optionalOldSelf without oldSelf', () => {
    const causes = crdSchemaCauses(spec({
      type: 'object',
      properties: { l: { type: 'array', maxItems: 5, 'x-kubernetes-list-type': 'set', items: { type: 'string', maxLength: 5, 'x-kubernetes-validations': [{ rule: 'self == oldSelf' }] } } },
      'x-kubernetes-validations': [{ rule: 'true', optionalOldSelf: true }],
    }), ROOT);
    expect(causes.map((c) => `${c.field}: ${c.message}`)).toEqual([
      `${ROOT}.properties[spec].properties[l].items.x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within ${ROOT}.properties[spec].properties[l]`,
      `${ROOT}.properties[spec].x-kubernetes-validations[0].optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used in rule`,
    ]);
  });

  test('messageExpressions: compiled, typed and priced', () => {
    const causes = crdSchemaCauses(spec({
      type: 'object', properties: { x: { type: 'string', maxLength: 5 } },
      'x-kubernetes-validations': [{ rule: 'true', messageExpression: '1' }, { rule: 'true', messageExpression: '"a" +' }, { rule: 'true', messageExpression: 'self.x' }],
    }), ROOT);
    expect(causes.map((c) => c.message.replace(/^Invalid value: \{.*?\}: /, ''))).toEqual([
      'messageExpression must evaluate to a string',
      expect.stringMatching(/^messageExpression compilation failed: ERROR: <input>:1:6: Syntax error/),
    ]);
  });
});

describe('versionSchemaCauses', () => {
  const bad = spec({ type: 'object', properties: { l: pairs(710) } });
  test('one schema for every version: reported once, under spec.validation', () => {
    expect(fields(versionSchemaCauses([bad, structuredClone(bad)]))).toEqual([`${ROOT}.properties[spec].properties[l].x-kubernetes-validations[0].rule`]);
  });
  test('different schemas: each under its version', () => {
    const other = spec({ type: 'object', properties: { m: pairs(710) } });
    expect(fields(versionSchemaCauses([bad, other]))).toEqual([
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[l].x-kubernetes-validations[0].rule',
      'spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[m].x-kubernetes-validations[0].rule',
    ]);
  });
});
