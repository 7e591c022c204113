/**
 * Validates an object against one of our generated CRDs the way the API server does:
 * unknown fields (strict field validation), defaults, then the schema and its CEL rules.
 */
import { applyDefaults, pruneUnknown, validate } from '../../operator/src/schema/index.ts';
import type { JSONSchemaProps } from '../../operator/src/schema/index.ts';
import { allCRDs } from '../../operator/src/api/index.ts';

export interface Refusal {
  field: string;
  message: string;
}

function schemaOf(kind: string): JSONSchemaProps {
  const crd = allCRDs().find((c) => (c.spec as { names: { kind: string } }).names.kind === kind);
  if (!crd) throw new Error(`no CRD for kind ${kind}`);
  const version = (crd.spec as { versions: { schema: { openAPIV3Schema: JSONSchemaProps } }[] }).versions[0];
  if (!version) throw new Error(`CRD for ${kind} has no version`);
  return version.schema.openAPIV3Schema;
}

/** What the API server would refuse in `obj` (empty when it would accept it). */
export function crdRefusals(obj: Record<string, unknown>): Refusal[] {
  const schema = schemaOf(String(obj.kind));
  const copy = structuredClone(obj);
  const unknown = pruneUnknown(schema, copy).map((field) => ({ field, message: `unknown field "${field}"` }));
  applyDefaults(schema, copy);
  return [...unknown, ...validate(schema, copy).map((c) => ({ field: c.field, message: c.message }))];
}
