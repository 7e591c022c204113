/**
 * zod → CustomResourceDefinition. The one place where our API types become CRDs.
 *
 * zod's JSON Schema output is turned into a structural OpenAPI v3 schema as the API server
 * wants it: no `additionalProperties: false` (unknown fields are pruned, or refused under
 * kubectl's strict field validation), formats the API server knows, `type` hoisted out of
 * `anyOf` branches, noise bounds dropped, CEL rules kept.
 */
import { z } from 'zod';
import { GROUP, VERSION } from './common.ts';
import { CATEGORY, KINDS } from './kinds.ts';
import type { KindInfo } from './kinds.ts';

export type Schema = { [key: string]: unknown };

/** Formats the Kubernetes API server validates; zod's patterns are dropped where one applies. */
const K8S_FORMATS: Record<string, string | null> = {
  date: 'date',
  'date-time': 'date-time',
  email: 'email',
  cidrv4: 'cidr',
  mac: 'mac',
  uri: 'uri',
  uuid: 'uuid',
  ipv4: 'ipv4',
  ipv6: 'ipv6',
  e164: null, // no API-server format: keep zod's pattern
};

const SAFE = Number.MAX_SAFE_INTEGER;

/** An RFC 3339 time with an explicit offset (Z or ±hh:mm). */
const RFC3339_WITH_OFFSET = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$';

function isObj(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rewrites one JSON Schema node (recursively) into its structural OpenAPI v3 form. */
export function toStructural(node: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case '$schema':
      case 'propertyNames':
      case 'id':
        break;
      case 'additionalProperties':
        if (value !== false) out[key] = isObj(value) ? toStructural(value) : value;
        break;
      case 'properties':
        out[key] = Object.fromEntries(
          Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, toStructural(v)]),
        );
        break;
      case 'items':
        out[key] = toStructural(value as Schema);
        break;
      case 'anyOf':
      case 'oneOf':
      case 'allOf':
        out[key] = (value as Schema[]).map(toStructural);
        break;
      case 'minimum':
        if (value !== -SAFE) out[key] = value;
        break;
      case 'maximum':
        if (value !== SAFE) out[key] = value;
        break;
      default:
        out[key] = value;
    }
  }
  if (typeof out.format === 'string') {
    const mapped = K8S_FORMATS[out.format];
    if (mapped === undefined) throw new Error(`format "${out.format}" has no Kubernetes equivalent`);
    if (mapped === null) delete out.format;
    else {
      out.format = mapped;
      // The API server checks the format itself (zod still checks its own pattern at run time),
      // but its date-time also takes times without an offset: we want the offset explicit.
      if (mapped === 'date-time') out.pattern = RFC3339_WITH_OFFSET;
      else delete out.pattern;
    }
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = out[key];
    if (!Array.isArray(branches)) continue;
    const types = new Set(branches.map((b: Schema) => b.type));
    if (types.size !== 1) throw new Error(`${key} with mixed types is not structural`);
    out.type = [...types][0];
    out[key] = branches.map((b: Schema) => {
      const { type: _t, description: _d, ...rest } = b;
      return rest;
    });
  }
  // A free-form object (`x-kubernetes-preserve-unknown-fields`): the API server keeps its
  // fields as they are; zod's `additionalProperties: {}` has no type and is not structural.
  if (out['x-kubernetes-preserve-unknown-fields'] === true && isObj(out.additionalProperties) && Object.keys(out.additionalProperties).length === 0) {
    delete out.additionalProperties;
  }
  if (out.const !== undefined) {
    out.enum = [out.const];
    delete out.const;
  }
  return out;
}

/** The structural OpenAPI v3 schema of a zod type, as its CRD holds it. */
export function openAPISchema(schema: z.ZodType): Schema {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw', cycles: 'throw' });
  return toStructural(json as Schema);
}

/** The whole CRD of a kind. */
export function crdFor(info: KindInfo): Schema {
  const root: Schema = {
    type: 'object',
    description: info.description,
    properties: {
      apiVersion: {
        type: 'string',
        description:
          'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
      },
      kind: {
        type: 'string',
        description: 'Kind is a string value representing the REST resource this object represents. In CamelCase.',
      },
      metadata: { type: 'object' },
      spec: openAPISchema(info.spec),
      status: openAPISchema(info.status),
    },
    required: ['spec'],
  };
  if (info.rootRules.length > 0) root['x-kubernetes-validations'] = info.rootRules;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${info.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'occupier-operator', 'app.kubernetes.io/part-of': 'occupier-operator' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: info.kind,
        listKind: `${info.kind}List`,
        plural: info.plural,
        singular: info.singular,
        shortNames: info.shortNames,
        categories: [CATEGORY],
      },
      scope: info.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: info.printerColumns,
          schema: { openAPIV3Schema: root },
        },
      ],
    },
  };
}

/** Every CRD, in a stable order. */
export function allCRDs(): Schema[] {
  return KINDS.map((k) => crdFor(k));
}

/** File name of a kind's CRD under crds/. */
export function crdFileName(info: KindInfo): string {
  return `${GROUP}_${info.plural}.yaml`;
}
