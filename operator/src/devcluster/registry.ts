// The served resources: built-ins plus whatever the stored CustomResourceDefinitions declare.
import type { Obj } from './errors.ts';

export interface PrinterColumn {
  name: string; type: string; jsonPath: string; description?: string; format?: string; priority?: number;
  /** Built-in columns computed in code (the JSONPath is then documentation only). */
  cellOf?: (obj: Obj, now: number) => unknown;
}

export interface ResourceInfo {
  group: string;
  version: string;
  /** All served versions (for CRDs), the storage one first. */
  versions: string[];
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  statusSubresource: boolean;
  /** Storage key shared by every version of the resource. */
  key: string;
  builtin: boolean;
  /** openAPIV3Schema per served version (CRDs only). */
  schemas: Map<string, Obj>;
  columns: Map<string, PrinterColumn[]>;
  /** Not stored: create-only reviews (SubjectAccessReview...). */
  virtual?: boolean;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function builtin(group: string, version: string, plural: string, kind: string, namespaced: boolean, extra: Partial<ResourceInfo> = {}): ResourceInfo {
  return {
    group, version, versions: [version], plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List`, namespaced,
    shortNames: [], categories: [], verbs: ALL_VERBS, statusSubresource: false, key: `${group}/${plural}`, builtin: true,
    schemas: new Map(), columns: new Map(), ...extra,
  };
}

export const BUILTINS: ResourceInfo[] = [
  builtin('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], statusSubresource: true,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }),
  builtin('', 'v1', 'secrets', 'Secret', true),
  builtin('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  builtin('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  builtin('events.k8s.io', 'v1', 'events', 'Event', true, { shortNames: ['ev'], key: '/events' }), // same storage as core/v1
  builtin('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  builtin('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false,
    { shortNames: ['crd', 'crds'], categories: ['api-extensions'], statusSubresource: true }),
  builtin('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, { verbs: ['create'], virtual: true }),
  builtin('authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', false, { verbs: ['create'], virtual: true }),
  builtin('authorization.k8s.io', 'v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, { verbs: ['create'], virtual: true }),
  builtin('authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', false, { verbs: ['create'], virtual: true }),
];

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** Resource description from a CRD object (assumed already validated). */
export function infoFromCrd(crd: Obj): ResourceInfo | undefined {
  const spec = obj(crd['spec']);
  const names = obj(spec['names']);
  const group = str(spec['group']);
  const plural = str(names['plural']);
  const kind = str(names['kind']);
  if (!group || !plural || !kind) return undefined;
  const versions = (Array.isArray(spec['versions']) ? spec['versions'] : []).map(obj).filter((v) => v['served'] !== false);
  if (versions.length === 0) return undefined;
  const storage = versions.find((v) => v['storage'] === true) ?? versions[0];
  const ordered = [storage, ...versions.filter((v) => v !== storage)].filter((v): v is Obj => v !== undefined);
  const schemas = new Map<string, Obj>();
  const columns = new Map<string, PrinterColumn[]>();
  let statusSubresource = false;
  for (const v of ordered) {
    const name = str(v['name']);
    schemas.set(name, obj(obj(v['schema'])['openAPIV3Schema']));
    const cols = (Array.isArray(v['additionalPrinterColumns']) ? v['additionalPrinterColumns'] : []).map(obj);
    columns.set(name, cols.map((c) => ({
      name: str(c['name']), type: str(c['type']) || 'string', jsonPath: str(c['jsonPath']),
      ...(typeof c['description'] === 'string' ? { description: c['description'] } : {}),
      ...(typeof c['format'] === 'string' ? { format: c['format'] } : {}),
      ...(typeof c['priority'] === 'number' ? { priority: c['priority'] } : {}),
    })));
    if (obj(v['subresources'])['status'] !== undefined && v === storage) statusSubresource = true;
  }
  return {
    group, version: str(storage?.['name']), versions: ordered.map((v) => str(v['name'])), plural,
    singular: str(names['singular']) || kind.toLowerCase(), kind, listKind: str(names['listKind']) || `${kind}List`,
    namespaced: spec['scope'] !== 'Cluster', shortNames: strs(names['shortNames']), categories: strs(names['categories']),
    verbs: ALL_VERBS, statusSubresource, key: `${group}/${plural}`, builtin: false, schemas, columns,
  };
}

/** Lookup of served resources by group/version/plural and by kind. */
export class Registry {
  private byKey = new Map<string, ResourceInfo>();
  private list: ResourceInfo[] = [];
  /** Bumped on every change, used as the discovery/OpenAPI hash. */
  generation = 0;

  constructor() { this.reset([]); }

  reset(crdInfos: ResourceInfo[]): void {
    this.list = [...BUILTINS, ...crdInfos];
    this.byKey.clear();
    for (const r of this.list) for (const v of r.versions) this.byKey.set(`${r.group}/${v}/${r.plural}`, r);
    this.generation++;
  }
  lookup(group: string, version: string, plural: string): ResourceInfo | undefined {
    return this.byKey.get(`${group}/${version}/${plural}`);
  }
  all(): ResourceInfo[] { return this.list; }
  byStorageKey(key: string): ResourceInfo | undefined { return this.list.find((r) => r.key === key); }
}
