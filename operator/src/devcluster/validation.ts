// Bridge to the generic schema engine (operator/src/schema): pruning/strict decoding of unknown
// fields, defaults, and validation of custom resources against their CRD's openAPIV3Schema.
import { ApiError, badRequest, invalid } from './errors.ts';
import type { Obj, StatusCause } from './errors.ts';

export interface FieldCause { reason: string; field: string; message: string }

export interface SchemaEngine {
  structuralProblems(schema: unknown): string[];
  pruneUnknown(schema: unknown, obj: unknown): string[];
  applyDefaults(schema: unknown, obj: unknown): void;
  validate(schema: unknown, obj: unknown, oldObj?: unknown): FieldCause[];
  compileRule(rule: string): { ok: true } | { ok: false; error: string };
}

let engine: SchemaEngine | undefined;

/** Loads operator/src/schema (dynamic so the dev cluster module graph stays small). */
export async function loadEngine(): Promise<SchemaEngine> {
  if (engine) return engine;
  const mod = (await import('../schema/index.ts')) as unknown as SchemaEngine;
  engine = {
    structuralProblems: mod.structuralProblems, pruneUnknown: mod.pruneUnknown, applyDefaults: mod.applyDefaults,
    validate: mod.validate, compileRule: mod.compileRule,
  };
  return engine;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** The fieldValidation of a write (checked by checkWriteOptions before anything else); default Warn. */
export function fieldValidation(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation') || 'Warn';
  return v === 'Strict' || v === 'Ignore' ? v : 'Warn';
}

const OBJECT_META = new Set(['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields']);
const OWNER_REFERENCE = new Set(['apiVersion', 'kind', 'name', 'uid', 'controller', 'blockOwnerDeletion']);
const MANAGED_FIELDS_ENTRY = new Set(['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1', 'subresource']);

/** The top-level fields of the built-in kinds whose shape the dev cluster knows (the others are schemaless). */
const BUILTIN_FIELDS: Record<string, Set<string>> = {
  '/configmaps': new Set(['apiVersion', 'kind', 'metadata', 'data', 'binaryData', 'immutable']),
  '/secrets': new Set(['apiVersion', 'kind', 'metadata', 'data', 'stringData', 'type', 'immutable']),
  '/namespaces': new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']),
  'coordination.k8s.io/leases': new Set(['apiVersion', 'kind', 'metadata', 'spec']),
};

const isPlainObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Removes unknown ObjectMeta fields (and of its owner references and managedFields entries); returns their paths in document order. */
function pruneMetadata(m: Obj): string[] {
  const out: string[] = [];
  for (const k of Object.keys(m)) {
    if (!OBJECT_META.has(k)) { out.push(`metadata.${k}`); delete m[k]; continue; }
    if ((k === 'ownerReferences' || k === 'managedFields') && Array.isArray(m[k])) {
      const known = k === 'ownerReferences' ? OWNER_REFERENCE : MANAGED_FIELDS_ENTRY;
      (m[k] as unknown[]).forEach((item, i) => {
        if (!isPlainObj(item)) return;
        for (const f of Object.keys(item)) if (!known.has(f)) { out.push(`metadata.${k}[${i}].${f}`); delete item[f]; }
      });
    }
  }
  return out;
}

/**
 * Unknown fields the real server's decoding drops from an object: of its metadata for every kind,
 * and at the top level of the built-ins listed in BUILTIN_FIELDS; in document order (as the
 * decoder meets them). Removes them from `o`.
 */
export function pruneDecodedFields(key: string, o: Obj, builtin: boolean): string[] {
  const known = builtin ? BUILTIN_FIELDS[key] : undefined;
  const out: string[] = [];
  for (const k of Object.keys(o)) {
    if (k === 'metadata' && isPlainObj(o[k])) out.push(...pruneMetadata(o[k]));
    else if (known && !known.has(k)) { out.push(k); delete o[k]; }
  }
  return out;
}

/** 400 `<Kind> in version "v1" cannot be handled as a <Kind>: strict decoding error: ...`. */
export function strictDecoding(kind: string, version: string, problems: string[]): ApiError {
  return badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${problems.join(', ')}`);
}

/** Create/Update/PatchOptions from the query, validated as the real server does (422 `<Kind>Options.meta.k8s.io ""`). */
export function checkWriteOptions(q: URLSearchParams, kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'): void {
  const v = q.get('fieldValidation');
  if (v !== null && !['', 'Ignore', 'Strict', 'Warn'].includes(v)) {
    throw invalid(kind, 'meta.k8s.io', '', [{ reason: 'FieldValueNotSupported', field: 'fieldValidation', message: `Unsupported value: ${JSON.stringify(v)}: supported values: "", "Ignore", "Strict", "Warn"` }]);
  }
}

interface Target { kind: string; group: string; version: string; name: string }

/**
 * Prunes unknown fields (Strict: 400 naming them; Warn: returned as warnings), applies defaults,
 * and validates; returns the warnings. `obj` is modified in place.
 */
export function checkCustomResource(eng: SchemaEngine, schema: Obj, obj: Obj, old: Obj | undefined, mode: FieldValidation, t: Target, decodingErrors: string[] = []): string[] {
  // The engine keeps the root's apiVersion/kind/metadata (ObjectMeta is the server's business).
  // The real server reports duplicate fields (decoding), then the pruned ones, sorted.
  const unknown = eng.pruneUnknown(schema, obj).sort();
  const problems = [...decodingErrors, ...unknown.map((u) => `unknown field "${u}"`)];
  if (problems.length && mode === 'Strict') throw strictDecoding(t.kind, t.version, problems);
  const warnings = mode === 'Warn' ? problems : [];
  eng.applyDefaults(schema, obj);
  const causes = withoutRulesAfterBlockingErrors(eng, schema, obj, old, eng.validate(schema, obj, old));
  if (causes.length) throw invalid(t.kind, t.group, t.name, causes as StatusCause[]);
  return warnings;
}

/** Error types after which the apiextensions-apiserver skips the CEL rules (hasBlockingErr). */
const BLOCKING = new Set(['FieldValueNotSupported', 'FieldValueRequired', 'FieldValueTooLong', 'FieldValueTooMany', 'FieldValueTypeInvalid']);

export const NOT_CHECKED: FieldCause = {
  reason: 'FieldValueInvalid', field: '<nil>',
  message: 'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
};

const ruleless = new WeakMap<Obj, { schema: Obj; hadRules: boolean }>();

/** Whether a CRD schema has CEL rules anywhere (the real server then has a CEL validator for it). */
export const hasRules = (schema: Obj | undefined): boolean => schema !== undefined && stripRules(schema).hadRules;

/** A copy of a schema without its `x-kubernetes-validations` (and whether there were any). */
function stripRules(schema: Obj): { schema: Obj; hadRules: boolean } {
  let out = ruleless.get(schema);
  if (!out) {
    let hadRules = false;
    const walk = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(walk);
      if (!v || typeof v !== 'object') return v;
      const o: Obj = {};
      for (const [k, x] of Object.entries(v as Obj)) {
        if (k === 'x-kubernetes-validations') { hadRules = true; continue; }
        o[k] = walk(x);
      }
      return o;
    };
    out = { schema: walk(schema) as Obj, hadRules };
    ruleless.set(schema, out);
  }
  return out;
}

/**
 * With a schema error of a blocking type, the real server does not evaluate the CEL rules: it
 * reports the schema errors and `<nil>: Invalid value: null: some validation rules were not
 * checked...`. The engine evaluates both, so on that (rare) path the schema is validated again
 * without its rules.
 */
function withoutRulesAfterBlockingErrors(eng: SchemaEngine, schema: Obj, obj: Obj, old: Obj | undefined, causes: FieldCause[]): FieldCause[] {
  if (!causes.some((c) => BLOCKING.has(c.reason))) return causes;
  const bare = stripRules(schema);
  if (!bare.hadRules) return causes;
  const schemaOnly = eng.validate(bare.schema, obj, old);
  if (!schemaOnly.some((c) => BLOCKING.has(c.reason))) return causes; // the blocking one came from a rule
  return [...schemaOnly, NOT_CHECKED];
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** metadata.name rules (RFC 1123 subdomain; label for namespaces). */
export function checkName(name: string, kind: string, group: string, label: boolean): void {
  const ok = label ? DNS_LABEL.test(name) && name.length <= 63 : DNS_SUBDOMAIN.test(name) && name.length <= 253;
  if (ok) return;
  const what = label
    ? 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')'
    : 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')';
  throw invalid(kind, group, name, [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": ${what}` }]);
}

export { ApiError };
