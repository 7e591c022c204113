/**
 * A CRD's `openAPIV3Schema` checked as a kube-apiserver checks it when the CRD is created or
 * updated (apiextensions validation.go), as field causes: the structural problems, the
 * x-kubernetes-validations fields, then — when the schema is otherwise valid — the rules' CEL,
 * each rule's estimated cost against the per-expression limit, and the sum of all of them against
 * the per-CRD limit (with the most expensive rules named).
 *
 * Not done: on an update, the apiserver skips the per-rule limit for versions whose schema did
 * not change (the dev cluster checks CRDs without the old object; no CRD either server stored can
 * exceed the limits anyway).
 */
import { costErrorMessage, selfDecl, STATIC_ESTIMATED_CRD_COST_LIMIT } from './estimate/index.ts';
import { ruleCelCauses, ruleSchemaCauses } from './rulechecks.ts';
import type { TotalCost } from './rulechecks.ts';
import { structuralProblems } from './structural.ts';
import { isObject } from './types.ts';
import type { CauseType, FieldCause, JSONSchemaProps } from './types.ts';

const REASONS: [string, CauseType][] = [
  ['Required value', 'FieldValueRequired'], ['Invalid value', 'FieldValueInvalid'], ['Forbidden', 'FieldValueForbidden'],
  ['Unsupported value', 'FieldValueNotSupported'], ['Duplicate value', 'FieldValueDuplicate'], ['Too long', 'FieldValueTooLong'],
  ['Too many', 'FieldValueTooMany'],
];

/** `openAPIV3Schema.properties[a].type: Required value: ...` as a cause under `field`. */
function lineCause(line: string, field: string): FieldCause {
  for (const [word, reason] of REASONS) {
    const i = line.indexOf(`: ${word}`);
    if (i >= 0) return { reason, field: field + line.slice(0, i).replace(/^openAPIV3Schema/, ''), message: line.slice(i + 2) };
  }
  return { reason: 'FieldValueInvalid', field, message: line };
}

interface Walk { field: string; uncorrelatable: string | undefined; cardinality: bigint | undefined; root: boolean }

/** How many elements of its children a node may hold (validation.go extractMaxElements); undefined: unbounded. */
function maxElements(s: JSONSchemaProps): bigint | undefined {
  if (s.type === 'object') {
    if (s.additionalProperties === undefined || s.additionalProperties === false) return 1n;
    return s.maxProperties === undefined ? undefined : BigInt(Math.max(0, s.maxProperties));
  }
  if (s.type === 'array') return s.maxItems === undefined ? undefined : BigInt(Math.max(0, s.maxItems));
  return 1n;
}

/**
 * The causes a kube-apiserver gives for a CRD schema; `field` is where the schema is
 * (`spec.validation.openAPIV3Schema` when every version has the same one, else
 * `spec.versions[i].schema.openAPIV3Schema`). [] when it is acceptable.
 */
export function crdSchemaCauses(schema: JSONSchemaProps, field: string): FieldCause[] {
  const structural = structuralProblems(schema, { rules: false }).map((l) => lineCause(l, field));
  const ruleFields: FieldCause[] = [];
  const cel: FieldCause[] = [];
  const total: TotalCost = { total: 0n, mostExpensive: [] };
  const celOn = structural.length === 0;
  /** Returns whether the subtree has errors of the rules' own fields (no CEL is checked above them). */
  const walk = (s: JSONSchemaProps, w: Walk): boolean => {
    if (!isObject(s)) return false;
    let bad = false;
    const childCard = (): bigint | undefined => {
      const m = maxElements(s);
      return w.cardinality === undefined || m === undefined ? undefined : w.cardinality * m;
    };
    const child = (c: JSONSchemaProps, f: string, uncorrelatable: string | undefined): void => {
      if (walk(c, { field: f, uncorrelatable, cardinality: childCard(), root: false })) bad = true;
    };
    if (isObject(s.additionalProperties)) child(s.additionalProperties, `${w.field}.additionalProperties`, w.uncorrelatable);
    for (const [k, p] of Object.entries(s.properties ?? {})) child(p, `${w.field}.properties[${k}]`, w.uncorrelatable);
    if (isObject(s.items)) child(s.items, `${w.field}.items`, w.uncorrelatable ?? (s['x-kubernetes-list-type'] === 'map' ? undefined : w.field));
    const own = ruleSchemaCauses(s, w.field);
    ruleFields.push(...own);
    if (own.length > 0) bad = true;
    if (!bad && celOn && (s['x-kubernetes-validations'] ?? []).length > 0) {
      const self = selfDecl(s, w.root);
      cel.push(...ruleCelCauses(s, w.field, {
        uncorrelatable: w.uncorrelatable,
        cost: self === undefined ? undefined : { self, cardinality: w.cardinality, total },
      }));
    }
    return bad;
  };
  walk(schema, { field, uncorrelatable: undefined, cardinality: 1n, root: true });
  const out = [...structural, ...ruleFields, ...cel];
  if (total.total > STATIC_ESTIMATED_CRD_COST_LIMIT) {
    for (const e of total.mostExpensive) {
      out.push({ reason: 'FieldValueForbidden', field: e.path, message: 'Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema' });
    }
    out.push({
      reason: 'FieldValueForbidden', field,
      message: `Forbidden: ${costErrorMessage('x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema', total.total, STATIC_ESTIMATED_CRD_COST_LIMIT)}`,
    });
  }
  return out;
}

const canonical = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) =>
  (isObject(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x));

/**
 * The causes for the schemas of a CRD's versions. As the apiserver's internal form hoists a
 * schema all versions share to `spec.validation`, such a schema is checked once, as
 * `spec.validation.openAPIV3Schema`; different ones each as `spec.versions[i].schema.openAPIV3Schema`.
 */
export function versionSchemaCauses(schemas: readonly JSONSchemaProps[]): FieldCause[] {
  const first = canonical(schemas[0]);
  if (schemas.length > 0 && schemas.every((x) => canonical(x) === first)) return crdSchemaCauses(schemas[0] as JSONSchemaProps, 'spec.validation.openAPIV3Schema');
  return schemas.flatMap((x, i) => crdSchemaCauses(x, `spec.versions[${i}].schema.openAPIV3Schema`));
}
