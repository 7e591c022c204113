/**
 * Every `x-kubernetes-validations` rule in crds/*.yaml compiles on the CEL engine and
 * evaluates to a bool (as a transition rule too) on a value built from its schema; and the
 * objects in examples/ pass every rule, transition rules included, when updated to themselves.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, test } from 'vitest';
import { exampleManifests } from '../../../test/support/examples.ts';
import { CelOptional, compile, compileRule } from './cel/index.ts';
import { toCel } from './compiled.ts';
import { applyDefaults, pruneUnknown, validate } from './index.ts';
import type { JSONSchemaProps, ValidationRule } from './index.ts';

const CRD_DIR = join(import.meta.dirname, '..', '..', '..', 'crds');

type CRD = { spec: { names: { kind: string }; versions: { schema: { openAPIV3Schema: JSONSchemaProps } }[] } };
const crds = readdirSync(CRD_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((file) => ({ file, crd: load(readFileSync(join(CRD_DIR, file), 'utf8')) as CRD }));

const STRING_SAMPLES: Record<string, string> = {
  'date-time': '2024-01-01T00:00:00Z', date: '2024-01-01', duration: '1h', byte: 'aGk=', email: 'a@example.com',
  ipv4: '10.0.0.1', cidr: '10.0.0.0/8', uri: 'https://example.com/', uuid: '123e4567-e89b-12d3-a456-426614174000',
};

/** A value of the schema with every property present (so rules never miss a field). */
function sample(s: JSONSchemaProps): unknown {
  if (s.default !== undefined) return s.default;
  if (s.enum !== undefined && s.enum.length > 0) return s.enum[0];
  switch (s.type) {
    case 'object':
      if (s.properties !== undefined) return Object.fromEntries(Object.entries(s.properties).map(([k, p]) => [k, sample(p)]));
      return typeof s.additionalProperties === 'object' ? { key: sample(s.additionalProperties) } : {};
    case 'array':
      return s.items === undefined ? [] : [sample(s.items)];
    case 'integer':
      return s.minimum ?? 1;
    case 'number':
      return s.minimum ?? 1.5;
    case 'boolean':
      return true;
    default:
      return STRING_SAMPLES[s.format ?? ''] ?? 'x'.repeat(Math.max(1, s.minLength ?? 1));
  }
}

type Found = { where: string; rule: ValidationRule; schema: JSONSchemaProps };
function rulesIn(s: JSONSchemaProps, path: string, out: Found[]): Found[] {
  for (const rule of s['x-kubernetes-validations'] ?? []) out.push({ where: path, rule, schema: s });
  for (const [k, p] of Object.entries(s.properties ?? {})) rulesIn(p, `${path}.${k}`, out);
  if (s.items !== undefined) rulesIn(s.items, `${path}[]`, out);
  if (typeof s.additionalProperties === 'object') rulesIn(s.additionalProperties, `${path}{}`, out);
  return out;
}

const all = crds.flatMap(({ file, crd }) =>
  rulesIn(crd.spec.versions[0]?.schema.openAPIV3Schema ?? {}, '', []).map((f) => ({ ...f, file })));

describe('the CEL rules in crds/', () => {
  test('there are rules to check, in every kind that has them', () => {
    expect(all.length).toBeGreaterThan(5);
  });

  test.each(all.map((f) => [`${f.file} ${f.where || '<root>'}`, f.rule.rule, f] as const))('%s: %s compiles and evaluates to a bool', (_where, rule, f) => {
    expect(compileRule(rule)).toEqual({ ok: true });
    const program = compile(rule);
    const self = toCel(f.schema, sample(f.schema), program.fieldNames);
    const vars: Record<string, unknown> = { self };
    if (program.usesOldSelf) vars['oldSelf'] = f.rule.optionalOldSelf === true ? CelOptional.of(self) : self;
    expect(typeof program.eval(vars)).toBe('boolean');
    if (f.rule.messageExpression !== undefined) expect(typeof compile(f.rule.messageExpression).eval(vars)).toBe('string');
  });

  const examples = exampleManifests().filter((m) => String(m.doc.apiVersion).startsWith('occupier.dev/'));
  test.each(examples.map((m) => [`${m.file} (${String(m.doc.kind)})`, m.doc] as const))('%s passes every rule when updated to itself', (_name, doc) => {
    const schema = crds.find(({ crd }) => crd.spec.names.kind === doc.kind)?.crd.spec.versions[0]?.schema.openAPIV3Schema;
    expect(schema).toBeDefined();
    const obj = structuredClone(doc);
    pruneUnknown(schema as JSONSchemaProps, obj);
    applyDefaults(schema as JSONSchemaProps, obj);
    expect(validate(schema as JSONSchemaProps, obj, structuredClone(obj), { ratcheting: false })).toEqual([]);
  });
});
