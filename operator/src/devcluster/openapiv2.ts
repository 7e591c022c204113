// /openapi/v2: the Swagger 2.0 document kubectl's client-side validation reads (`kubectl apply -f`
// of a `kind: List` validates each item against it). kubectl asks for the gnostic protobuf
// encoding only (application/com.github.proto-openapi.spec.v2@v1.0+protobuf); JSON is served too.
//
// The document holds the custom resources' schemas, converted as the apiextensions-apiserver
// converts them for v2 (ToStructuralOpenAPIV2), the metav1 types they refer to, and ConfigMap and
// Secret. The other built-in kinds are not published (the dev cluster keeps them schemaless):
// kubectl then skips their client-side validation, where a real server's document would let it
// report unknown fields.
import type { Obj } from './errors.ts';
import type { Registry, ResourceInfo } from './registry.ts';
import { version } from './discovery.ts';

export const V2_PROTOBUF_CT = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

export function wantsV2Protobuf(accept: string | undefined): boolean {
  return (accept ?? '').includes('application/com.github.proto-openapi.spec.v2');
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string): Obj => ({ $ref: `#/definitions/${META}.${name}` });

/** The metav1 definitions, as the real server publishes them (descriptions left out). */
const META_DEFINITIONS: Obj = {
  [`${META}.ObjectMeta`]: {
    description: 'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
    type: 'object',
    properties: {
      annotations: { type: 'object', additionalProperties: { type: 'string' } },
      creationTimestamp: ref('Time'),
      deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
      deletionTimestamp: ref('Time'),
      finalizers: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' },
      generateName: { type: 'string' },
      generation: { type: 'integer', format: 'int64' },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      managedFields: { type: 'array', items: ref('ManagedFieldsEntry'), 'x-kubernetes-list-type': 'atomic' },
      name: { type: 'string' },
      namespace: { type: 'string' },
      ownerReferences: {
        type: 'array', items: ref('OwnerReference'), 'x-kubernetes-list-map-keys': ['uid'], 'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'uid', 'x-kubernetes-patch-strategy': 'merge',
      },
      resourceVersion: { type: 'string' },
      selfLink: { type: 'string' },
      uid: { type: 'string' },
    },
  },
  [`${META}.ListMeta`]: {
    description: 'ListMeta describes metadata that synthetic resources must have, including lists and various status objects.',
    type: 'object',
    properties: {
      continue: { type: 'string' }, remainingItemCount: { type: 'integer', format: 'int64' },
      resourceVersion: { type: 'string' }, selfLink: { type: 'string' },
    },
  },
  [`${META}.ManagedFieldsEntry`]: {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' }, fieldsType: { type: 'string' }, fieldsV1: ref('FieldsV1'), manager: { type: 'string' },
      operation: { type: 'string' }, subresource: { type: 'string' }, time: ref('Time'),
    },
  },
  [`${META}.OwnerReference`]: {
    type: 'object', required: ['apiVersion', 'kind', 'name', 'uid'],
    properties: {
      apiVersion: { type: 'string' }, blockOwnerDeletion: { type: 'boolean' }, controller: { type: 'boolean' },
      kind: { type: 'string' }, name: { type: 'string' }, uid: { type: 'string' },
    },
    'x-kubernetes-map-type': 'atomic',
  },
  [`${META}.Time`]: { type: 'string', format: 'date-time' },
  [`${META}.FieldsV1`]: { type: 'object' },
};

const gvk = (kind: string): Obj => ({ 'x-kubernetes-group-version-kind': [{ group: '', kind, version: 'v1' }] });
const stringMap = (format?: string): Obj => ({ type: 'object', additionalProperties: { type: 'string', ...(format ? { format } : {}) } });

/** The built-ins whose shape the dev cluster knows (see validation.ts BUILTIN_FIELDS). */
const BUILTIN_DEFINITIONS: Obj = {
  'io.k8s.api.core.v1.ConfigMap': {
    description: 'ConfigMap holds configuration data for pods to consume.', type: 'object',
    properties: { apiVersion: { type: 'string' }, binaryData: stringMap('byte'), data: stringMap(), immutable: { type: 'boolean' }, kind: { type: 'string' }, metadata: ref('ObjectMeta') },
    ...gvk('ConfigMap'),
  },
  'io.k8s.api.core.v1.Secret': {
    description: 'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.', type: 'object',
    properties: { apiVersion: { type: 'string' }, data: stringMap('byte'), immutable: { type: 'boolean' }, kind: { type: 'string' }, metadata: ref('ObjectMeta'), stringData: stringMap(), type: { type: 'string' } },
    ...gvk('Secret'),
  },
};

const API_VERSION = 'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND = 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * ToStructuralOpenAPIV2: no allOf/oneOf/anyOf/not; nullable values lose their type, items and
 * properties; so do values preserving unknown fields (objects lose their type too), and arrays
 * left without items; a nullable property is not required.
 */
export function toV2Schema(s: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'allOf' || k === 'oneOf' || k === 'anyOf' || k === 'not' || k === 'nullable') continue;
    if (k === 'properties' && isObj(v)) out[k] = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, isObj(ps) ? toV2Schema(ps) : ps]));
    else if ((k === 'items' || k === 'additionalProperties') && isObj(v)) out[k] = toV2Schema(v);
    else out[k] = v;
  }
  if (s['nullable'] === true) { delete out['type']; delete out['items']; delete out['properties']; }
  if (s['x-kubernetes-preserve-unknown-fields'] === true) {
    delete out['items'];
    delete out['properties'];
    if (out['type'] === 'object') delete out['type'];
  }
  if (out['items'] === undefined && out['type'] === 'array') delete out['type'];
  if (Array.isArray(out['required']) && isObj(s['properties'])) {
    const props = s['properties'];
    const req = (out['required'] as unknown[]).filter((f) => !(typeof f === 'string' && isObj(props[f]) && props[f]['nullable'] === true));
    if (req.length) out['required'] = req; else delete out['required'];
  }
  if (isObj(s['additionalProperties']) && s['additionalProperties']['nullable'] === true) delete out['required'];
  return out;
}

const definitionName = (r: ResourceInfo, version: string, kind: string): string => `${r.group.split('.').reverse().join('.')}.${version}.${kind}`;

function kindDefinition(r: ResourceInfo, version: string, schema: Obj): Obj {
  const v2 = toV2Schema(schema);
  const props: Obj = { ...(isObj(v2['properties']) ? v2['properties'] : {}) };
  props['apiVersion'] = { description: API_VERSION, type: 'string' };
  props['kind'] = { description: KIND, type: 'string' };
  props['metadata'] = { description: 'Standard object\'s metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata', ...ref('ObjectMeta') };
  return { ...v2, type: 'object', properties: props, 'x-kubernetes-group-version-kind': [{ group: r.group, kind: r.kind, version }] };
}

/** The JSON document. */
export function v2Doc(reg: Registry): Obj {
  const definitions: Obj = { ...META_DEFINITIONS, ...BUILTIN_DEFINITIONS };
  for (const r of reg.all()) {
    if (r.builtin) continue;
    for (const v of r.versions) {
      const schema = r.schemas.get(v);
      if (!schema || Object.keys(schema).length === 0) continue;
      const name = definitionName(r, v, r.kind);
      definitions[name] = kindDefinition(r, v, schema);
      definitions[definitionName(r, v, r.listKind)] = {
        description: `${r.listKind} is a list of ${r.kind}`, type: 'object', required: ['items'],
        properties: {
          apiVersion: { description: API_VERSION, type: 'string' },
          items: { description: `List of ${r.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`, type: 'array', items: { $ref: `#/definitions/${name}` } },
          kind: { description: KIND, type: 'string' },
          metadata: { description: 'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds', ...ref('ListMeta') },
        },
        'x-kubernetes-group-version-kind': [{ group: r.group, kind: r.listKind, version: v }],
      };
    }
  }
  const ver = version();
  return { swagger: '2.0', info: { title: 'Kubernetes', version: `${String(ver['major'])}.${String(ver['minor'])}` }, paths: {}, definitions };
}

// ---- gnostic openapi_v2.Document protobuf (github.com/google/gnostic-models/openapiv2/OpenAPIv2.proto) ----

class Writer {
  private readonly parts: Buffer[] = [];
  private varint(v: number): void {
    const bytes: number[] = [];
    let n = v;
    while (n >= 0x80) { bytes.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80); }
    bytes.push(n);
    this.parts.push(Buffer.from(bytes));
  }
  private tag(field: number, wire: number): void { this.varint(field * 8 + wire); }
  /** proto3: empty strings, false and 0 are not written. */
  string(field: number, s: string | undefined): this {
    if (s === undefined || s === '') return this;
    const b = Buffer.from(s, 'utf8');
    this.tag(field, 2); this.varint(b.length); this.parts.push(b);
    return this;
  }
  bool(field: number, v: unknown): this {
    if (v === true) { this.tag(field, 0); this.varint(1); }
    return this;
  }
  int(field: number, v: unknown): this {
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) { this.tag(field, 0); this.varint(v); }
    return this;
  }
  double(field: number, v: unknown): this {
    if (typeof v !== 'number' || v === 0) return this;
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.tag(field, 1); this.parts.push(b);
    return this;
  }
  /** Sub-messages are written even when empty (presence matters: `properties: {}`). */
  message(field: number, m: Writer): this {
    const b = m.bytes();
    this.tag(field, 2); this.varint(b.length); this.parts.push(b);
    return this;
  }
  bytes(): Buffer { return Buffer.concat(this.parts); }
}

/** gnostic's Any: the value as YAML text (JSON is YAML). */
const anyOf = (v: unknown): Writer => new Writer().string(2, JSON.stringify(v));

function schemaMessage(s: Obj): Writer {
  const w = new Writer();
  w.string(1, typeof s['$ref'] === 'string' ? s['$ref'] : undefined)
    .string(2, typeof s['format'] === 'string' ? s['format'] : undefined)
    .string(3, typeof s['title'] === 'string' ? s['title'] : undefined)
    .string(4, typeof s['description'] === 'string' ? s['description'] : undefined);
  if (s['default'] !== undefined) w.message(5, anyOf(s['default']));
  w.double(6, s['multipleOf']).double(7, s['maximum']).bool(8, s['exclusiveMaximum']).double(9, s['minimum']).bool(10, s['exclusiveMinimum'])
    .int(11, s['maxLength']).int(12, s['minLength']).string(13, typeof s['pattern'] === 'string' ? s['pattern'] : undefined)
    .int(14, s['maxItems']).int(15, s['minItems']).bool(16, s['uniqueItems']).int(17, s['maxProperties']).int(18, s['minProperties']);
  if (Array.isArray(s['required'])) for (const r of s['required']) w.string(19, String(r));
  if (Array.isArray(s['enum'])) for (const e of s['enum']) w.message(20, anyOf(e));
  const ap = s['additionalProperties'];
  if (isObj(ap)) w.message(21, new Writer().message(1, schemaMessage(ap)));
  else if (ap === true) w.message(21, new Writer().bool(2, true));
  const type = s['type'];
  if (typeof type === 'string' && type !== '') w.message(22, new Writer().string(1, type));
  if (isObj(s['items'])) w.message(23, new Writer().message(1, schemaMessage(s['items'])));
  if (Array.isArray(s['allOf'])) for (const a of s['allOf']) if (isObj(a)) w.message(24, schemaMessage(a));
  if (isObj(s['properties'])) {
    const props = new Writer();
    for (const [name, p] of Object.entries(s['properties'])) if (isObj(p)) props.message(1, new Writer().string(1, name).message(2, schemaMessage(p)));
    w.message(25, props);
  }
  w.bool(27, s['readOnly']);
  if (s['example'] !== undefined) w.message(30, anyOf(s['example']));
  for (const [k, v] of Object.entries(s)) if (k.startsWith('x-')) w.message(31, new Writer().string(1, k).message(2, anyOf(v)));
  return w;
}

const cache = new WeakMap<Registry, { generation: number; bytes: Buffer }>();

/** The protobuf document, cached per registry generation. */
export function v2Protobuf(reg: Registry): Buffer {
  const hit = cache.get(reg);
  if (hit && hit.generation === reg.generation) return hit.bytes;
  const doc = v2Doc(reg);
  const info = doc['info'] as Obj;
  const defs = new Writer();
  for (const [name, s] of Object.entries(doc['definitions'] as Obj)) if (isObj(s)) defs.message(1, new Writer().string(1, name).message(2, schemaMessage(s)));
  const bytes = new Writer()
    .string(1, '2.0')
    .message(2, new Writer().string(1, String(info['title'])).string(2, String(info['version'])))
    .message(8, new Writer())
    .message(9, defs)
    .bytes();
  cache.set(reg, { generation: reg.generation, bytes });
  return bytes;
}
