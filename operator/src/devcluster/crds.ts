// CustomResourceDefinition checks and status (NamesAccepted, Established).
import { invalid } from './errors.ts';
import type { Obj, StatusCause } from './errors.ts';
import { isObj } from './patch.ts';
import type { SchemaEngine } from './validation.ts';
import type * as CrdChecks from '../schema/crd.ts';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * The schema engine's CRD checks (structural schema, rules, CEL cost), loaded once; undefined
 * when the engine cannot be loaded (CRD schemas are then not checked).
 */
const schemaChecks: typeof CrdChecks | undefined = await import('../schema/crd.ts').catch((e: unknown) => {
  console.warn(`devcluster: CRD schema checks unavailable (${(e as Error).message})`);
  return undefined;
});

/** Validates a CRD like apiextensions-apiserver does for the parts the dev cluster relies on. */
export function checkCrd(crd: Obj, engine: SchemaEngine | undefined): void {
  const name = str((crd['metadata'] as Obj | undefined)?.['name']);
  const spec = isObj(crd['spec']) ? crd['spec'] : {};
  const names = isObj(spec['names']) ? spec['names'] : {};
  const causes: StatusCause[] = [];
  const group = str(spec['group']);
  const plural = str(names['plural']);
  if (!group) causes.push({ reason: 'FieldValueRequired', field: 'spec.group', message: 'Required value' });
  if (!plural) causes.push({ reason: 'FieldValueRequired', field: 'spec.names.plural', message: 'Required value' });
  if (!str(names['kind'])) causes.push({ reason: 'FieldValueRequired', field: 'spec.names.kind', message: 'Required value' });
  if (group && plural && name !== `${plural}.${group}`) {
    causes.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": must be spec.names.plural+"."+spec.group` });
  }
  if (spec['scope'] !== 'Namespaced' && spec['scope'] !== 'Cluster') {
    causes.push({ reason: 'FieldValueNotSupported', field: 'spec.scope', message: `Unsupported value: "${str(spec['scope'])}": supported values: "Cluster", "Namespaced"` });
  }
  const versions = Array.isArray(spec['versions']) ? spec['versions'] : [];
  if (versions.length === 0) causes.push({ reason: 'FieldValueInvalid', field: 'spec.versions', message: 'Invalid value: null: must have exactly one version marked as storage version' });
  else if (versions.filter((v) => isObj(v) && v['storage'] === true).length !== 1) {
    causes.push({ reason: 'FieldValueInvalid', field: 'spec.versions', message: 'Invalid value: must have exactly one version marked as storage version' });
  }
  const schemas: Obj[] = [];
  versions.forEach((v, i) => {
    if (!isObj(v)) return;
    const schema = isObj(v['schema']) ? v['schema']['openAPIV3Schema'] : undefined;
    if (isObj(schema)) schemas.push(schema);
    else causes.push({ reason: 'FieldValueRequired', field: `spec.versions[${i}].schema.openAPIV3Schema`, message: 'Required value: schemas are required' });
  });
  // as the apiserver: structural problems, the rules' fields, their CEL and estimated cost
  if (engine && schemaChecks && schemas.length > 0 && schemas.length === versions.length) {
    causes.push(...schemaChecks.versionSchemaCauses(schemas));
  }
  if (causes.length) throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', name, causes);
}

/** Status the apiextensions controllers would converge to at once. */
export function crdStatus(crd: Obj): Obj {
  const spec = isObj(crd['spec']) ? crd['spec'] : {};
  const prev = isObj(crd['status']) ? crd['status'] : {};
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const oldConds = Array.isArray(prev['conditions']) ? prev['conditions'].filter(isObj) : [];
  const cond = (type: string, reason: string, message: string): Obj => {
    const o = oldConds.find((c) => c['type'] === type && c['status'] === 'True');
    return { type, status: 'True', lastTransitionTime: o?.['lastTransitionTime'] ?? now, reason, message };
  };
  const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isObj) : [];
  const storage = versions.find((v) => v['storage'] === true)?.['name'];
  const stored = Array.isArray(prev['storedVersions']) ? prev['storedVersions'].map(String) : [];
  if (typeof storage === 'string' && !stored.includes(storage)) stored.push(storage);
  return {
    conditions: [cond('NamesAccepted', 'NoConflicts', 'no conflicts found'), cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted')],
    acceptedNames: spec['names'] ?? {},
    storedVersions: stored,
  };
}
