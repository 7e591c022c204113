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

export function fieldValidation(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation') ?? 'Warn';
  if (v !== 'Strict' && v !== 'Warn' && v !== 'Ignore') throw badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`);
  return v;
}

interface Target { kind: string; group: string; version: string; name: string }

/**
 * Prunes unknown fields (Strict: 400 naming them; Warn: returned as warnings), applies defaults,
 * and validates; returns the warnings. `obj` is modified in place.
 */
export function checkCustomResource(eng: SchemaEngine, schema: Obj, obj: Obj, old: Obj | undefined, mode: FieldValidation, t: Target): string[] {
  // The engine keeps the root's apiVersion/kind/metadata (ObjectMeta is the server's business).
  const unknown = eng.pruneUnknown(schema, obj);
  const warnings: string[] = [];
  if (unknown.length) {
    if (mode === 'Strict') {
      throw badRequest(`${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`);
    }
    if (mode === 'Warn') for (const u of unknown) warnings.push(`unknown field "${u}"`);
  }
  eng.applyDefaults(schema, obj);
  const causes = eng.validate(schema, obj, old);
  if (causes.length) throw invalid(t.kind, t.group, t.name, causes as StatusCause[]);
  return warnings;
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
