import { re2 } from './cel/index.ts';
import { pruneUnknown } from './prune.ts';
import { validate } from './validate.ts';
import { ruleCelCauses, ruleSchemaCauses } from './rulechecks.ts';
import { formatCause, isObject } from './types.ts';
import type { JSONSchemaProps } from './types.ts';

const TYPES = new Set(['array', 'boolean', 'integer', 'number', 'object', 'string']);
const KNOWN_KEYS = new Set([
  'type', 'format', 'title', 'description', 'properties', 'required', 'items', 'additionalProperties', 'enum', 'default',
  'example', 'nullable', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'minLength', 'maxLength', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties', 'allOf', 'anyOf',
  'oneOf', 'not', 'externalDocs', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);
const FORBIDDEN_KEYS = ['$ref', 'definitions', 'dependencies', 'additionalItems', 'patternProperties', 'id', '$schema'];
/** Keys a value validation (inside allOf/anyOf/oneOf/not) may not set. */
const JUNCTOR_FORBIDDEN = [
  'description', 'type', 'default', 'additionalProperties', 'nullable', 'title',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string',
  'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-validations',
] as const;

/**
 * Checks that a CRD `openAPIV3Schema` is structural and otherwise acceptable to the
 * apiextensions-apiserver. Returns one line per problem, each starting with the schema path
 * (`openAPIV3Schema.properties[spec].type: Required value: ...`); [] when acceptable. With
 * `rules: false` the x-kubernetes-validations are not looked at (crd.ts checks them).
 */
export function structuralProblems(schema: JSONSchemaProps, opts: { rules?: boolean } = {}): string[] {
  const out: string[] = [];
  const root = 'openAPIV3Schema';
  if (!isObject(schema)) return [`${root}: Required value: must be an object`];
  if (schema.type !== 'object') out.push(`${root}.type: Invalid value: ${JSON.stringify(schema.type ?? '')}: must be object at the root`);
  if (schema.default !== undefined) out.push(`${root}.default: Forbidden: must not be set at the root`);
  if (schema.nullable === true) out.push(`${root}.nullable: Forbidden: must be false at the root`);
  node(schema, root, out, { root: true, uncorrelatable: undefined, underMetadata: false, rules: opts.rules !== false });
  rootMetadata(schema, root, out);
  defaults(schema, schema, root, out, false);
  return out;
}

/** `uncorrelatable`: the list above whose items have no old value (oldSelf cannot be used below it). */
type Where = { root: boolean; uncorrelatable: string | undefined; underMetadata: boolean; rules: boolean };

function node(s: JSONSchemaProps, path: string, out: string[], where: Where): void {
  if (!isObject(s)) {
    out.push(`${path}: Invalid value: must be a schema object`);
    return;
  }
  for (const k of Object.keys(s)) {
    if (FORBIDDEN_KEYS.includes(k)) out.push(`${path}.${k}: Forbidden: ${k} is not supported`);
    else if (!KNOWN_KEYS.has(k)) out.push(`${path}.${k}: Forbidden: unknown field`);
  }
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (s.type === undefined || s.type === '') {
    if (!intOrString && !preserve) out.push(`${path}.type: Required value: must not be empty for specified ${where.root ? 'object' : 'object'} fields`);
  } else if (!TYPES.has(s.type)) {
    out.push(`${path}.type: Unsupported value: ${JSON.stringify(s.type)}: supported values: "array", "boolean", "integer", "number", "object", "string"`);
  }
  if (s['x-kubernetes-int-or-string'] === false) out.push(`${path}.x-kubernetes-int-or-string: Invalid value: false: must be true or undefined`);
  if (s['x-kubernetes-preserve-unknown-fields'] === false) out.push(`${path}.x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`);
  if (intOrString && s.type !== undefined && s.type !== '') out.push(`${path}.type: Invalid value: ${JSON.stringify(s.type)}: must be empty if x-kubernetes-int-or-string is true`);
  if (s['x-kubernetes-embedded-resource'] === true) {
    if (s.type !== 'object') out.push(`${path}.type: Invalid value: ${JSON.stringify(s.type ?? '')}: must be object if x-kubernetes-embedded-resource is true`);
    if (s.properties === undefined && !preserve)
      out.push(`${path}.properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`);
  }
  if (s.properties !== undefined && s.additionalProperties !== undefined)
    out.push(`${path}.additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`);
  if (s.additionalProperties === false) out.push(`${path}.additionalProperties: Forbidden: must not be false`);
  if (s.additionalProperties !== undefined && s.type !== undefined && s.type !== 'object')
    out.push(`${path}.additionalProperties: Forbidden: must only be used with type object`);
  if (s.properties !== undefined && s.type !== undefined && s.type !== 'object' && s.type !== '')
    out.push(`${path}.properties: Forbidden: must only be used with type object`);
  if (s.items !== undefined) {
    if (Array.isArray(s.items)) out.push(`${path}.items: Forbidden: items must be a schema object and not an array`);
    if (s.type !== undefined && s.type !== 'array') out.push(`${path}.items: Forbidden: must only be used with type array`);
  } else if (s.type === 'array') out.push(`${path}.items: Required value: must be specified`);
  if (s.uniqueItems === true) out.push(`${path}.uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`);
  if (s.pattern !== undefined) {
    try {
      re2(s.pattern);
    } catch (err) {
      out.push(`${path}.pattern: Invalid value: ${JSON.stringify(s.pattern)}: ${(err as Error).message}`);
    }
  }
  for (const r of s.required ?? []) {
    if (s.properties !== undefined && s.properties[r] === undefined && !preserve && s.additionalProperties === undefined)
      out.push(`${path}.required: Invalid value: ${JSON.stringify(r)}: required property is not in properties`);
  }
  listAndMapType(s, path, out);
  rules(s, path, out, where);
  junctors(s, path, out);

  // children
  const childWhere = (uncorrelatable: string | undefined): Where => ({ root: false, uncorrelatable, underMetadata: false, rules: where.rules });
  for (const [k, ps] of Object.entries(s.properties ?? {})) node(ps, `${path}.properties[${k}]`, out, childWhere(where.uncorrelatable));
  if (typeof s.additionalProperties === 'object') node(s.additionalProperties, `${path}.additionalProperties`, out, childWhere(where.uncorrelatable));
  if (s.items !== undefined && !Array.isArray(s.items)) {
    const lt = s['x-kubernetes-list-type'];
    node(s.items, `${path}.items`, out, childWhere(where.uncorrelatable ?? (lt === 'map' ? undefined : path)));
  }
}

function listAndMapType(s: JSONSchemaProps, path: string, out: string[]): void {
  const lt = s['x-kubernetes-list-type'];
  const keys = s['x-kubernetes-list-map-keys'];
  if (lt !== undefined) {
    if (!['atomic', 'set', 'map'].includes(lt))
      out.push(`${path}.x-kubernetes-list-type: Unsupported value: ${JSON.stringify(lt)}: supported values: "atomic", "set", "map"`);
    if (s.type !== 'array') out.push(`${path}.x-kubernetes-list-type: Invalid value: ${JSON.stringify(lt)}: must only be used on type array`);
  }
  const items = s.items;
  if (lt === 'set' && items !== undefined && items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic')
    out.push(`${path}.items.x-kubernetes-map-type: Invalid value: must be atomic as item of a list with x-kubernetes-list-type=set`);
  if (lt === 'set' && items !== undefined && items.type === 'array' && items['x-kubernetes-list-type'] !== 'atomic')
    out.push(`${path}.items.x-kubernetes-list-type: Invalid value: must be atomic as item of a list with x-kubernetes-list-type=set`);
  if (lt === 'map') {
    if (keys === undefined || keys.length === 0) out.push(`${path}.x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`);
    if (items === undefined || items.type !== 'object') out.push(`${path}.items.type: Invalid value: must be object if parent array's x-kubernetes-list-type is map`);
    else {
      for (const k of keys ?? []) {
        const ks = items.properties?.[k];
        if (ks === undefined) {
          out.push(`${path}.x-kubernetes-list-map-keys: Invalid value: ${JSON.stringify(k)}: entries must all be names of item properties`);
          continue;
        }
        if (!['string', 'integer', 'number', 'boolean'].includes(ks.type ?? '') && ks['x-kubernetes-int-or-string'] !== true)
          out.push(`${path}.items.properties[${k}].type: Invalid value: must be a scalar type if parent array's x-kubernetes-list-type is map`);
        if (!(items.required ?? []).includes(k) && ks.default === undefined)
          out.push(`${path}.items.properties[${k}]: Required value: all map keys must be required or have a default value`);
        if (ks.nullable === true) out.push(`${path}.items.properties[${k}].nullable: Forbidden: must not be nullable as map key`);
      }
      if (new Set(keys).size !== (keys ?? []).length) out.push(`${path}.x-kubernetes-list-map-keys: Invalid value: entries must all be unique`);
    }
  } else if (keys !== undefined) {
    out.push(`${path}.x-kubernetes-list-map-keys: Forbidden: must not be set if x-kubernetes-list-type is not map`);
  }
  const mt = s['x-kubernetes-map-type'];
  if (mt !== undefined) {
    if (mt !== 'atomic' && mt !== 'granular')
      out.push(`${path}.x-kubernetes-map-type: Unsupported value: ${JSON.stringify(mt)}: supported values: "granular", "atomic"`);
    if (s.type !== 'object') out.push(`${path}.x-kubernetes-map-type: Invalid value: ${JSON.stringify(mt)}: must only be used on type object`);
  }
}

function rules(s: JSONSchemaProps, path: string, out: string[], where: Where): void {
  if (!where.rules) return;
  const schemaCauses = ruleSchemaCauses(s, path);
  const celCauses = schemaCauses.length > 0 ? [] : ruleCelCauses(s, path, { uncorrelatable: where.uncorrelatable });
  for (const c of [...schemaCauses, ...celCauses]) out.push(formatCause(c));
}

/** Value validations inside allOf/anyOf/oneOf/not: no structural keywords; only fields the structural part has. */
function junctors(s: JSONSchemaProps, path: string, out: string[]): void {
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const check = (j: JSONSchemaProps, p: string, structural: JSONSchemaProps | undefined): void => {
    if (!isObject(j)) return;
    for (const k of JUNCTOR_FORBIDDEN) {
      if (j[k] === undefined) continue;
      if (k === 'type' && intOrString && isIntOrStringPattern(s)) continue;
      out.push(`${p}.${k}: Forbidden: must be empty to be structural`);
    }
    for (const [k, ps] of Object.entries(j.properties ?? {})) {
      const sp = structural?.properties?.[k];
      if (sp === undefined) out.push(`${p}.properties[${k}]: Forbidden: must have a properties value specified in the structural part of the schema`);
      check(ps, `${p}.properties[${k}]`, sp);
    }
    if (j.items !== undefined) {
      if (structural?.items === undefined) out.push(`${p}.items: Forbidden: must have an items value specified in the structural part of the schema`);
      check(j.items, `${p}.items`, structural?.items);
    }
    for (const key of ['allOf', 'anyOf', 'oneOf'] as const) j[key]?.forEach((x, i) => check(x, `${p}.${key}[${i}]`, structural));
    if (j.not !== undefined) check(j.not, `${p}.not`, structural);
  };
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) s[key]?.forEach((x, i) => check(x, `${path}.${key}[${i}]`, s));
  if (s.not !== undefined) check(s.not, `${path}.not`, s);
}

function isIntOrStringPattern(s: JSONSchemaProps): boolean {
  const isPair = (l: JSONSchemaProps[] | undefined): boolean =>
    l !== undefined && l.length === 2 && l[0]?.type === 'integer' && l[1]?.type === 'string';
  return isPair(s.anyOf) || (s.allOf ?? []).some((x) => isPair(x.anyOf));
}

/** Root `metadata` may only be an object with restrictions on name and generateName. */
function rootMetadata(schema: JSONSchemaProps, root: string, out: string[]): void {
  const check = (md: JSONSchemaProps | undefined, p: string): void => {
    if (md === undefined) return;
    if (md.type !== undefined && md.type !== 'object') out.push(`${p}.type: Invalid value: ${JSON.stringify(md.type)}: must be object`);
    for (const k of Object.keys(md)) {
      if (['type', 'properties', 'description'].includes(k)) continue;
      out.push(`${p}.${k}: Forbidden: must not be specified for metadata; only properties name and generateName may be restricted`);
    }
    for (const [k, ps] of Object.entries(md.properties ?? {})) {
      if (k !== 'name' && k !== 'generateName') out.push(`${p}.properties[${k}]: Forbidden: only name and generateName may be restricted in metadata`);
      else if (ps.type !== 'string') out.push(`${p}.properties[${k}].type: Invalid value: ${JSON.stringify(ps.type ?? '')}: must be string`);
    }
  };
  check(schema.properties?.['metadata'], `${root}.properties[metadata]`);
  for (const k of ['apiVersion', 'kind']) {
    const ps = schema.properties?.[k];
    if (ps !== undefined && ps.type !== 'string') out.push(`${root}.properties[${k}].type: Invalid value: ${JSON.stringify(ps.type ?? '')}: must be string`);
  }
}

/** Every default must be pruned already and valid against its schema; none under metadata except name/generateName. */
function defaults(root: JSONSchemaProps, s: JSONSchemaProps, path: string, out: string[], underMetadata: boolean): void {
  if (!isObject(s)) return;
  if (s.default !== undefined) {
    if (underMetadata) out.push(`${path}.default: Forbidden: must not be set inside metadata (except name and generateName)`);
    else if (s.default === null && s.nullable !== true)
      out.push(`${path}.default: Invalid value: "null": must not be null for non-nullable fields`);
    else {
      const wrapper: JSONSchemaProps = { type: 'object', properties: { value: s } };
      const wrapped = { value: structuredClone(s.default) };
      const strip = (f: string): string => f.replace(/^value\.?/, '');
      for (const f of pruneUnknown(wrapper, wrapped)) out.push(`${path}.default: Invalid value: must not have unknown fields, got ${JSON.stringify(strip(f))}`);
      for (const c of validate(wrapper, wrapped)) {
        const field = strip(c.field);
        out.push(`${path}.default${field === '' ? '' : `.${field}`}: ${c.message.replaceAll('value.', '').replaceAll('value in body', 'default in body')}`);
      }
    }
  }
  const isRoot = s === root;
  for (const [k, ps] of Object.entries(s.properties ?? {})) {
    const meta = underMetadata || ((isRoot || s['x-kubernetes-embedded-resource'] === true) && k === 'metadata');
    const p = `${path}.properties[${k}]`;
    if (meta && !underMetadata && isObject(ps)) {
      // metadata itself: name and generateName may have defaults, nothing else
      if (ps.default !== undefined) out.push(`${p}.default: Forbidden: must not be set for metadata`);
      for (const [mk, ms] of Object.entries(ps.properties ?? {})) defaults(root, ms, `${p}.properties[${mk}]`, out, mk !== 'name' && mk !== 'generateName');
      continue;
    }
    defaults(root, ps, p, out, meta);
  }
  if (typeof s.additionalProperties === 'object') defaults(root, s.additionalProperties, `${path}.additionalProperties`, out, underMetadata);
  if (s.items !== undefined && isObject(s.items)) defaults(root, s.items, `${path}.items`, out, underMetadata);
}

