/**
 * The CEL declaration of a structural schema, as the apiserver derives it for cost estimation
 * (k8s.io/apiserver/pkg/cel/common/schemas.go `SchemaDeclType`): each node's type, its maximum
 * number of elements (list items, map entries, string characters: from maxItems,
 * maxProperties and maxLength, else from the 3 MiB request size divided by the smallest
 * serialized element) and its smallest JSON serialization.
 */
import type { JSONSchemaProps } from '../types.ts';

/** k8s.io/apiserver/pkg/apis/cel/config.go MaxRequestSizeBytes. */
export const MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024;

export type DeclKind = 'object' | 'list' | 'map' | 'string' | 'bytes' | 'int' | 'double' | 'bool' | 'duration' | 'timestamp' | 'dyn';

export interface DeclType {
  readonly kind: DeclKind;
  /** Object fields by escaped CEL name. */
  readonly fields?: ReadonlyMap<string, DeclType>;
  /** List items, map values. */
  readonly elem?: DeclType;
  /** Map keys (string). */
  readonly key?: DeclType;
  /** The size bound the cost estimator uses (0 for objects and scalars). */
  readonly maxElements: number;
  readonly minSerializedSize: number;
}

const MIN_STRING_SIZE = 2; // ""
const MIN_BOOL_SIZE = 4; // true
const MIN_NUMBER_SIZE = 1; // 0
const MIN_DURATION_SIZE_JSON = 3;
const JSON_DATE_SIZE = 12;
const MIN_DATETIME_SIZE_JSON = 21;
const MAX_DURATION_SIZE_JSON = 32;
const MAX_DATETIME_SIZE_JSON = 32;

const simple = (kind: DeclKind, minSerializedSize: number, maxElements = 0): DeclType => ({ kind, minSerializedSize, maxElements });
/** The type of map keys and of the fields added at a resource root. */
export const STRING_DECL: DeclType = simple('string', MIN_STRING_SIZE);

const RESERVED = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop',
  'package', 'namespace', 'return', 'var', 'void', 'while']);

/** A property name as CEL sees it (k8s.io/apiserver/pkg/cel/escaping.go), or undefined when it cannot be escaped. */
export function escapeName(name: string): string | undefined {
  if (name === '' || /^[0-9]/.test(name)) return undefined;
  if (RESERVED.has(name)) return `__${name}__`;
  if (!/^[A-Za-z0-9_.\-/]*$/.test(name)) return undefined;
  return name.replace(/__|[.\-/]/g, (s) => ({ __: '__underscores__', '.': '__dot__', '-': '__dash__', '/': '__slash__' })[s] ?? s);
}

const zeroIfNegative = (n: number): number => (n < 0 ? 0 : n);
const maxStringLengthPerRequest = (s: JSONSchemaProps): number =>
  s['x-kubernetes-int-or-string'] === true ? MAX_REQUEST_SIZE_BYTES - 2
    : s.format === 'duration' ? MAX_DURATION_SIZE_JSON
      : s.format === 'date' ? JSON_DATE_SIZE
        : s.format === 'date-time' ? MAX_DATETIME_SIZE_JSON
          : MAX_REQUEST_SIZE_BYTES - 2;
/** maxLength counts code points; a code point is up to 4 bytes. */
const fromMaxLength = (s: JSONSchemaProps): number => zeroIfNegative(s.maxLength ?? 0) * 4;

/** apiVersion, kind and metadata.name/generateName are always visible at a resource root. */
function withTypeAndObjectMeta(s: JSONSchemaProps): JSONSchemaProps {
  const p = s.properties ?? {};
  const md = p['metadata'];
  if (p['kind']?.type === 'string' && p['apiVersion']?.type === 'string' && md?.type === 'object' && md.properties !== undefined
    && md.properties['name']?.type === 'string' && md.properties['generateName']?.type === 'string') return s;
  const str: JSONSchemaProps = { type: 'string' };
  return { ...s, properties: { ...p, kind: str, apiVersion: str, metadata: { type: 'object', properties: { name: str, generateName: str } } } };
}

/** The declaration of a schema node; undefined when CEL does not see it (no type, preserve-unknown-fields only). */
export function declType(s: JSONSchemaProps | undefined, isResourceRoot: boolean): DeclType | undefined {
  if (s === undefined) return undefined;
  if (s['x-kubernetes-int-or-string'] === true) {
    return simple('dyn', 1, s.maxLength !== undefined ? fromMaxLength(s) : maxStringLengthPerRequest(s));
  }
  const node = isResourceRoot ? withTypeAndObjectMeta(s) : s;
  switch (node.type) {
    case 'array': {
      if (node.items === undefined) return undefined;
      const items = declType(node.items, node.items['x-kubernetes-embedded-resource'] === true);
      if (items === undefined) return undefined;
      const max = node.maxItems !== undefined ? zeroIfNegative(node.maxItems) : Math.floor((MAX_REQUEST_SIZE_BYTES - 2) / (items.minSerializedSize + 1));
      return { kind: 'list', elem: items, maxElements: max, minSerializedSize: 2 };
    }
    case 'object': {
      if (typeof node.additionalProperties === 'object') {
        const props = declType(node.additionalProperties, node.additionalProperties['x-kubernetes-embedded-resource'] === true);
        if (props === undefined) return undefined;
        const max = node.maxProperties !== undefined ? zeroIfNegative(node.maxProperties) : Math.floor((MAX_REQUEST_SIZE_BYTES - 2) / (props.minSerializedSize + 6));
        return { kind: 'map', key: STRING_DECL, elem: props, maxElements: max, minSerializedSize: 2 };
      }
      const fields = new Map<string, DeclType>();
      const required = new Set(node.required ?? []);
      let min = 2;
      for (const [name, prop] of Object.entries(node.properties ?? {})) {
        const t = declType(prop, prop['x-kubernetes-embedded-resource'] === true);
        if (t === undefined) continue;
        const escaped = escapeName(name);
        if (escaped !== undefined) fields.set(escaped, t);
        if (required.has(name) && prop.default === undefined) min += name.length + t.minSerializedSize + 4;
      }
      return { kind: 'object', fields, maxElements: 0, minSerializedSize: min };
    }
    case 'string':
      switch (node.format) {
        case 'byte': return simple('bytes', MIN_STRING_SIZE, node.maxLength !== undefined ? zeroIfNegative(node.maxLength) : maxStringLengthPerRequest(node));
        case 'duration': return simple('duration', MIN_DURATION_SIZE_JSON, maxStringLengthPerRequest(node));
        case 'date': return simple('timestamp', JSON_DATE_SIZE, maxStringLengthPerRequest(node));
        case 'date-time': return simple('timestamp', MIN_DATETIME_SIZE_JSON, maxStringLengthPerRequest(node));
        default: {
          const enumMax = (node.enum ?? []).reduce<number>((m, v) => (typeof v === 'string' && Buffer.byteLength(v) > m ? Buffer.byteLength(v) : m), 0);
          const max = node.maxLength !== undefined ? fromMaxLength(node) : (node.enum ?? []).length > 0 ? enumMax : maxStringLengthPerRequest(node);
          return simple('string', MIN_STRING_SIZE, max);
        }
      }
    case 'boolean': return simple('bool', MIN_BOOL_SIZE);
    case 'number': return simple('double', MIN_NUMBER_SIZE);
    case 'integer': return simple('int', MIN_NUMBER_SIZE);
    default: return undefined;
  }
}

/**
 * The most times a rule on data of this smallest size can run in one request: the request
 * size over the size plus a comma (apiextensions-apiserver schema/cel/compilation.go).
 */
export const maxCardinality = (minSize: number): number => Math.floor(MAX_REQUEST_SIZE_BYTES / (minSize + 1));
