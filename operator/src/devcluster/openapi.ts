// OpenAPI v3 documents per group/version (what kubectl explain, kubectl apply's
// field-validation support check and patch-type choice read). v2 (kubectl's client-side
// validation of a `kind: List`) is in openapiv2.ts.
import type { Obj } from './errors.ts';
import type { Registry, ResourceInfo } from './registry.ts';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const OBJECT_META: Obj = {
  description: 'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Name must be unique within a namespace. Cannot be updated.' },
    generateName: { type: 'string', description: 'GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.' },
    namespace: { type: 'string', description: 'Namespace defines the space within which each name must be unique.' },
    uid: { type: 'string', description: 'UID is the unique in time and space value for this object.' },
    resourceVersion: { type: 'string', description: 'An opaque value that represents the internal version of this object.' },
    generation: { type: 'integer', format: 'int64', description: 'A sequence number representing a specific generation of the desired state.' },
    creationTimestamp: { type: 'string', format: 'date-time', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' },
    deletionTimestamp: { type: 'string', format: 'date-time', description: 'DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.' },
    deletionGracePeriodSeconds: { type: 'integer', format: 'int64', description: 'Number of seconds allowed for this object to gracefully terminate.' },
    labels: { type: 'object', additionalProperties: { type: 'string', default: '' }, description: 'Map of string keys and values that can be used to organize and categorize objects.' },
    annotations: { type: 'object', additionalProperties: { type: 'string', default: '' }, description: 'Annotations is an unstructured key value map stored with a resource.' },
    finalizers: { type: 'array', items: { type: 'string', default: '' }, 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge', description: 'Must be empty before the object is deleted from the registry.' },
    ownerReferences: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, 'x-kubernetes-patch-merge-key': 'uid', 'x-kubernetes-patch-strategy': 'merge', description: 'List of objects depended by this object.' },
    managedFields: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, description: 'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.' },
  },
};

/** `conformance.example.com` → `com.example.conformance`. */
function schemaName(r: ResourceInfo, version: string, kind = r.kind): string {
  const g = r.group ? r.group.split('.').reverse().join('.') : 'io.k8s.api.core';
  return `${g}.${version}.${kind}`;
}

function kindSchema(r: ResourceInfo, version: string): Obj {
  const base = r.schemas.get(version);
  const props = { ...((base?.['properties'] as Obj | undefined) ?? {}) };
  props['apiVersion'] = { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' };
  props['kind'] = { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' };
  props['metadata'] = { allOf: [{ $ref: `#/components/schemas/${META}.ObjectMeta` }], default: {}, description: 'Standard object\'s metadata.' };
  const schema: Obj = base && Object.keys(base).length ? { ...base, properties: props }
    : { type: 'object', properties: props, 'x-kubernetes-preserve-unknown-fields': true, description: `${r.kind} (built-in, schema not published by the dev cluster)` };
  return { ...schema, 'x-kubernetes-group-version-kind': [{ group: r.group, version, kind: r.kind }] };
}

const param = (name: string): Obj => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'].map(param);

function paths(r: ResourceInfo, version: string, prefix: string): Obj {
  const gvk = { group: r.group, version, kind: r.kind };
  const ref = { $ref: `#/components/schemas/${schemaName(r, version)}` };
  const json = { 'application/json': { schema: ref } };
  const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml',
    ...(r.builtin ? ['application/strategic-merge-patch+json'] : [])];
  const ext = { 'x-kubernetes-group-version-kind': gvk };
  const op = (action: string, extra: Obj = {}): Obj => ({
    operationId: `${action}${r.kind}`, responses: { '200': { description: 'OK', content: json } },
    'x-kubernetes-action': action, ...ext, ...extra,
  });
  const nsSeg = r.namespaced ? '/namespaces/{namespace}' : '';
  const coll = `${prefix}${nsSeg}/${r.plural}`;
  const item = `${coll}/{name}`;
  const out: Obj = {};
  if (r.virtual) {
    out[coll] = { post: op('post', { requestBody: { content: json }, parameters: WRITE_PARAMS }) };
    return out;
  }
  out[coll] = {
    get: op('list'), post: op('post', { requestBody: { content: json }, parameters: WRITE_PARAMS }),
    delete: op('deletecollection'),
  };
  const patch = op('patch', {
    requestBody: { content: Object.fromEntries(patchTypes.map((t) => [t, { schema: { type: 'object' } }])) },
    parameters: [...WRITE_PARAMS, param('force')],
  });
  out[item] = { get: op('get'), put: op('put', { requestBody: { content: json }, parameters: WRITE_PARAMS }), patch, delete: op('delete') };
  if (r.statusSubresource) out[`${item}/status`] = { get: op('get'), put: op('put', { parameters: WRITE_PARAMS }), patch };
  return out;
}

/** The /openapi/v3 index. */
export function v3Index(reg: Registry): Obj {
  const gvs = new Set<string>();
  for (const r of reg.all()) for (const v of r.versions) gvs.add(r.group ? `apis/${r.group}/${v}` : `api/${v}`);
  const out: Obj = {};
  for (const gv of gvs) out[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${reg.generation.toString(16).padStart(8, '0')}` };
  return { paths: out };
}

/** The /openapi/v3/apis/<group>/<version> (or api/v1) document. */
export function v3Doc(reg: Registry, group: string, version: string): Obj | undefined {
  const rs = reg.all().filter((r) => r.group === group && r.versions.includes(version));
  if (rs.length === 0) return undefined;
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const schemas: Obj = { [`${META}.ObjectMeta`]: OBJECT_META };
  let allPaths: Obj = {};
  for (const r of rs) {
    schemas[schemaName(r, version)] = kindSchema(r, version);
    schemas[schemaName(r, version, r.listKind)] = {
      type: 'object', required: ['items'],
      properties: {
        apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' },
        items: { type: 'array', items: { $ref: `#/components/schemas/${schemaName(r, version)}` } },
      },
      'x-kubernetes-group-version-kind': [{ group, version, kind: r.listKind }],
    };
    allPaths = { ...allPaths, ...paths(r, version, prefix) };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: allPaths, components: { schemas } };
}
