import { isObject } from './types.ts';
import type { FieldCause, JSONSchemaProps } from './types.ts';

const ROOT_KEPT = new Set(['apiVersion', 'kind', 'metadata']);

/**
 * Structural pruning, in place: drops every field the schema does not specify, except under
 * `x-kubernetes-preserve-unknown-fields`, inside `additionalProperties` maps (whose values
 * are pruned with that schema), and the apiVersion/kind/metadata of the root and of
 * embedded resources. Returns the removed paths (`spec.foo`, `spec.users[0].bogus`) so the
 * server can refuse them (fieldValidation=Strict) or warn (Warn).
 */
export function pruneUnknown(schema: JSONSchemaProps, obj: unknown): string[] {
  const removed: string[] = [];
  walk(schema, obj, '', removed, true);
  return removed;
}

function join(path: string, k: string): string {
  return path === '' ? k : `${path}.${k}`;
}

function walk(s: JSONSchemaProps, v: unknown, path: string, removed: string[], keepObjectMeta: boolean): void {
  if (Array.isArray(v)) {
    if (s.items !== undefined) v.forEach((x, i) => walk(s.items as JSONSchemaProps, x, `${path}[${i}]`, removed, false));
    return;
  }
  if (!isObject(v)) return;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  const props = s.properties;
  const addl = s.additionalProperties;
  for (const k of Object.keys(v)) {
    const child = v[k];
    const ps = props?.[k];
    if (ps !== undefined) {
      if ((keepObjectMeta || embedded) && k === 'metadata') continue; // ObjectMeta is handled by the server
      walk(ps, child, join(path, k), removed, false);
      continue;
    }
    if ((keepObjectMeta || embedded) && ROOT_KEPT.has(k)) continue;
    if (typeof addl === 'object') {
      walk(addl, child, join(path, k), removed, false);
      continue;
    }
    if (addl === true || preserve) continue;
    removed.push(join(path, k));
    delete v[k];
  }
}

/**
 * Causes for pruned paths, worded like the apiserver's strict field validation
 * (`unknown field "spec.foo"`), for fieldValidation=Strict errors or Warn warnings.
 */
export function unknownFieldCauses(paths: readonly string[]): FieldCause[] {
  return paths.map((p) => ({ reason: 'FieldValueUnknown', field: p, message: `unknown field "${p}"` }));
}
