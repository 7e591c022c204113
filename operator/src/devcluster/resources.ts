// Object writes and reads: create / get / update / patch / delete for every served resource,
// with the API server's rules for metadata, status subresource, generation, finalizers,
// preconditions, dry-run, field validation and managedFields.
import { randomUUID } from 'node:crypto';
import { load as loadYaml } from 'js-yaml';
import { ApiError, alreadyExists, badRequest, conflict, invalid, invalidValue, notFound, qualified, STALE } from './errors.ts';
import type { Obj } from './errors.ts';
import { deepEqual, isObj, jsonPatch, mergePatch, strategicMergePatch } from './patch.ts';
import { serverSideApply, updateManagedFields } from './apply.ts';
import { checkCustomResource, checkName, fieldValidation, hasRules, NOT_CHECKED, pruneDecodedFields, strictDecoding } from './validation.ts';
import type { SchemaEngine } from './validation.ts';
import type { ResourceInfo } from './registry.ts';
import type { Store } from './store.ts';
import { checkCrd, crdStatus } from './crds.ts';
import { toCoreEvent, toEventsV1, validateEvent } from './events.ts';
import { goJsonError } from './gojson.ts';
import { deletedStatus, deleteOptions, gcFinalizers, NO_DELETE_OPTIONS } from './delete-options.ts';
import type { DeleteOpts } from './delete-options.ts';

export interface Ctx {
  info: ResourceInfo;
  version: string;
  ns: string | undefined;
  name?: string | undefined;
  sub?: string | undefined;
  q: URLSearchParams;
  userAgent: string;
  /** Keys repeated in the JSON body (strict decoding: 400 with Strict, warnings with Warn). */
  duplicates?: string[];
}

export interface Result { code: number; body: Obj | string; warnings?: string[] }

export const rfc3339 = (d = new Date()): string => d.toISOString().replace(/\.\d+Z$/, 'Z');
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const meta = (o: Obj | undefined): Obj => (isObj(o?.['metadata']) ? (o['metadata'] as Obj) : {});
const apiVersionOf = (r: ResourceInfo, v: string): string => (r.group ? `${r.group}/${v}` : v);
export const idOf = (r: ResourceInfo, ns: string | undefined, name: string): string => (r.namespaced ? `${ns ?? ''}/${name}` : name);
const PROTECTED_NS = new Set(['default', 'kube-system', 'kube-public']);
/** ObjectMeta: the annotations' keys and values together (apimachinery's TotalAnnotationSizeLimitB). */
const MAX_ANNOTATION_BYTES = 256 * 1024;
const hasEntries = (v: unknown): boolean => Array.isArray(v) && v.length > 0;

/** An Event's object references are atomic structs: managedFields own them whole. */
const EVENT_FIELDS_SCHEMA: Obj = {
  properties: Object.fromEntries(['involvedObject', 'related', 'regarding'].map((k) => [k, { 'x-kubernetes-map-type': 'atomic' }])),
};
/** The label the real server puts on every namespace (NamespaceDefaultLabelName). */
const NS_NAME_LABEL = 'kubernetes.io/metadata.name';
/** core.MaxSecretSize: the total of a ConfigMap's or Secret's data. */
const MAX_DATA_BYTES = 1024 * 1024;

/**
 * The few built-in conversions and validations that matter in practice: a Secret's stringData is
 * folded into data (as the real server's decoding does), ConfigMap and Secret data at most 1 MiB.
 */
function checkBuiltin(r: ResourceInfo, o: Obj, name: string): void {
  if (r.key !== '/configmaps' && r.key !== '/secrets') return;
  if (r.key === '/secrets' && o['stringData'] !== undefined) {
    const folded: Obj = { ...(isObj(o['data']) ? o['data'] : {}) };
    if (isObj(o['stringData'])) for (const [k, v] of Object.entries(o['stringData'])) folded[k] = Buffer.from(String(v), 'utf8').toString('base64');
    delete o['stringData'];
    o['data'] = folded;
  }
  let total = 0;
  const data = isObj(o['data']) ? o['data'] : {};
  for (const v of Object.values(data)) {
    if (typeof v !== 'string') continue;
    total += r.key === '/secrets' ? Buffer.byteLength(v, 'base64') : Buffer.byteLength(v, 'utf8');
  }
  if (r.key === '/configmaps' && isObj(o['binaryData'])) for (const v of Object.values(o['binaryData'])) if (typeof v === 'string') total += Buffer.byteLength(v, 'base64');
  if (total > MAX_DATA_BYTES) {
    // ConfigMaps name the whole object (an empty path, printed "[]"); Secrets their data.
    throw invalid(r.kind, '', name, [{ reason: 'FieldValueTooLong', field: r.key === '/configmaps' ? '[]' : 'data', message: `Too long: may not be more than ${MAX_DATA_BYTES} bytes` }]);
  }
}

export interface Hooks {
  /** Called after a CRD is written or removed (the registry must be rebuilt). */
  crdsChanged(): void;
}

export class Resources {
  readonly store: Store;
  private readonly engine: SchemaEngine | undefined;
  private readonly hooks: Hooks;

  constructor(store: Store, engine: SchemaEngine | undefined, hooks: Hooks) {
    this.store = store;
    this.engine = engine;
    this.hooks = hooks;
  }

  /** The object as seen through `version` (CRD versions share storage; no schema conversion). */
  view(o: Obj, r: ResourceInfo, version: string): Obj {
    if (r.group === 'events.k8s.io') return toEventsV1(o);
    const av = apiVersionOf(r, version);
    return o['apiVersion'] === av ? o : { ...o, apiVersion: av };
  }

  /** Response body of a just-stored object: its cached JSON when the version matches. */
  private stored(r: ResourceInfo, id: string, o: Obj, version: string): Obj | string {
    const v = this.view(o, r, version);
    return v === o && this.store.get(r.key, id) === o ? (this.store.json(r.key, id) ?? o) : v;
  }

  get(ctx: Ctx): Result {
    const id = idOf(ctx.info, ctx.ns, ctx.name ?? '');
    const o = this.store.get(ctx.info.key, id);
    if (!o) throw notFound(ctx.info.plural, ctx.info.group, ctx.name ?? '');
    const v = this.view(o, ctx.info, ctx.version);
    return { code: 200, body: v === o ? (this.store.json(ctx.info.key, id) ?? v) : v };
  }

  private manager(ctx: Ctx): string {
    const fm = ctx.q.get('fieldManager');
    if (fm) return fm;
    return ctx.userAgent.split('/')[0] || 'unknown';
  }

  private dryRun(ctx: Ctx, body?: Obj): boolean {
    const opts = body?.['dryRun'];
    return ctx.q.getAll('dryRun').includes('All') || (Array.isArray(opts) && opts.includes('All'));
  }

  private checkNamespace(ctx: Ctx, name: string): void {
    if (!ctx.info.namespaced) return;
    const ns = this.store.get('/namespaces', ctx.ns ?? '');
    if (!ns) throw notFound('namespaces', '', ctx.ns ?? '');
    if (meta(ns)['deletionTimestamp']) {
      throw new ApiError(403, 'Forbidden', `${ctx.info.plural}${ctx.info.group ? `.${ctx.info.group}` : ''} "${name}" is forbidden: unable to create new content in namespace ${ctx.ns ?? ''} because it is being terminated`,
        { name, group: ctx.info.group, kind: ctx.info.plural, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ctx.ns ?? ''} is being terminated`, field: 'metadata.namespace' }] });
    }
  }

  private checkKind(ctx: Ctx, o: Obj): void {
    const r = ctx.info;
    const av = apiVersionOf(r, ctx.version);
    const kind = o['kind'];
    const apiVersion = o['apiVersion'];
    const versionOk = apiVersion === undefined || apiVersion === av || r.versions.some((v) => apiVersionOf(r, v) === apiVersion);
    if (r.builtin) {
      // The scheme's decoding errors: `<kind> in version "<v>" cannot be handled as a <Kind>: ...`.
      const k = typeof kind === 'string' && kind !== '' ? kind : r.kind;
      const given = typeof apiVersion === 'string' && apiVersion !== '' ? apiVersion : av;
      const ver = given.includes('/') ? given.slice(given.indexOf('/') + 1) : given;
      const prefix = `${k} in version ${JSON.stringify(ver)} cannot be handled as a ${r.kind}`;
      if (!versionOk || (k !== r.kind && !this.kindsOf(given).has(k))) {
        throw badRequest(`${prefix}: no kind ${JSON.stringify(k)} is registered for version ${JSON.stringify(given)} in scheme "pkg/runtime/scheme.go:111"`);
      }
      if (k !== r.kind) {
        const internal = r.group === '' || r.group === 'events.k8s.io' ? 'core' : r.group.split('.')[0] ?? r.group;
        throw badRequest(`${prefix}: converting (${ver}.${k}) to (${internal}.${r.kind}): unknown conversion`);
      }
    } else {
      if (!versionOk) throw badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${av})`);
      if (kind !== undefined && kind !== r.kind) {
        const name = String(meta(o)['name'] ?? ctx.name ?? '');
        throw invalid(String(kind), r.group, name, [{ reason: 'FieldValueInvalid', field: 'kind', message: invalidValue(kind, `must be ${r.kind}`) }]);
      }
    }
    o['apiVersion'] = apiVersionOf(r, r.version);
    o['kind'] = r.kind;
  }

  /** Kinds served in a group/version (for the built-in decoding errors). */
  kindsOf: (apiVersion: string) => Set<string> = () => new Set();

  /** What managedFields describe: the object as the request's API version shows it (events.k8s.io names its fields its own way). */
  private fieldsView(r: ResourceInfo, o: Obj): Obj {
    return r.group === 'events.k8s.io' ? toEventsV1(o) : o;
  }

  private fieldsSchema(r: ResourceInfo): Obj | undefined {
    return r.key === '/events' ? EVENT_FIELDS_SCHEMA : r.schemas.get(r.version);
  }

  /** Events: the real server's namespace rules (and events.k8s.io/v1's strict ones); group "" on both APIs. */
  private checkEvent(ctx: Ctx, o: Obj, name: string, old: Obj | undefined): void {
    const causes = validateEvent(o, ctx.ns ?? '', ctx.info.group === 'events.k8s.io', old);
    if (causes.length) throw invalid('Event', '', name, causes);
  }

  /** Schema checks for custom resources and CRDs; returns warnings. */
  private validateObject(ctx: Ctx, o: Obj, old: Obj | undefined): string[] {
    const r = ctx.info;
    const name = String(meta(o)['name'] ?? '');
    const annotations = meta(o)['annotations'];
    if (isObj(annotations)) {
      // ObjectMeta validation: keys and values together at most 256 KiB (a blocking error).
      let bytes = 0;
      for (const [k, v] of Object.entries(annotations)) bytes += Buffer.byteLength(k) + Buffer.byteLength(String(v));
      if (bytes > MAX_ANNOTATION_BYTES) {
        const skipped = !r.builtin && hasRules(r.schemas.get(r.version)) ? [NOT_CHECKED] : [];
        throw invalid(r.kind, r.group, name, [{ reason: 'FieldValueTooLong', field: 'metadata.annotations', message: `Too long: may not be more than ${MAX_ANNOTATION_BYTES} bytes` }, ...skipped]);
      }
    }
    const mode = fieldValidation(ctx.q);
    // Fields the decoding drops: a built-in's in document order; a custom resource's metadata ones
    // sorted, ahead of its pruned fields (sorted too).
    const dropped = ctx.sub === 'status' ? [] : pruneDecodedFields(r.key, o, r.builtin);
    if (!r.builtin) dropped.sort();
    const dups = [...(ctx.duplicates ?? []).map((d) => `duplicate field "${d}"`), ...dropped.map((u) => `unknown field "${u}"`)];
    const decodingOnly = (): string[] => {
      if (dups.length && mode === 'Strict') throw strictDecoding(r.kind, ctx.version, dups);
      return mode === 'Warn' ? dups : [];
    };
    if (r.key === 'apiextensions.k8s.io/customresourcedefinitions') { const w = decodingOnly(); checkCrd(o, this.engine); return w; }
    if (r.builtin || !this.engine) return decodingOnly();
    const full = r.schemas.get(r.version);
    if (!full || Object.keys(full).length === 0) return decodingOnly();
    // A status write keeps everything else from the stored (already valid) object: only status
    // is pruned, defaulted and validated (the real server's validation ratcheting has the same
    // effect on unchanged fields).
    const schema = ctx.sub === 'status' && r.statusSubresource ? statusOnly(full) : full;
    return checkCustomResource(this.engine, schema, o, old, mode, { kind: r.kind, group: r.group, version: ctx.version, name }, dups);
  }

  async create(ctx: Ctx, body: unknown, ssaManager?: string): Promise<Result> {
    const r = ctx.info;
    if (!isObj(body)) throw badRequest('Object \'Kind\' is missing in request body');
    let o = body;
    if (r.virtual) return { code: 201, body: review(r, o) };
    this.checkKind(ctx, o);
    if (r.group === 'events.k8s.io') o = toCoreEvent(o);
    const m: Obj = { ...meta(o) };
    o['metadata'] = m;
    if (r.namespaced) {
      if (m['namespace'] !== undefined && m['namespace'] !== '' && m['namespace'] !== ctx.ns) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      m['namespace'] = ctx.ns;
    } else delete m['namespace'];
    if (!m['name']) {
      if (typeof m['generateName'] !== 'string' || !m['generateName']) {
        // A blocking error: a CRD with CEL rules adds that they were not checked.
        const skipped = !r.builtin && hasRules(r.schemas.get(r.version)) ? [NOT_CHECKED] : [];
        throw invalid(r.kind, r.group, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }, ...skipped]);
      }
      let n: string;
      do {
        n = m['generateName'] + Array.from({ length: 5 }, () => NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)]).join('');
      } while (this.store.get(r.key, idOf(r, ctx.ns, n)));
      m['name'] = n;
    }
    const name = String(m['name']);
    checkName(name, r.kind, r.group, r.key === '/namespaces');
    const id = idOf(r, ctx.ns, name);
    this.checkNamespace(ctx, name);
    if (r.key === '/events') this.checkEvent(ctx, o, name, undefined);
    checkBuiltin(r, o, name);
    if (m['resourceVersion'] !== undefined && m['resourceVersion'] !== '' && ssaManager === undefined) {
      throw new ApiError(500, '', 'resourceVersion should not be set on objects to be created');
    }
    if (this.store.get(r.key, id)) throw alreadyExists(r.plural, r.group, name);
    m['uid'] = randomUUID();
    m['creationTimestamp'] = rfc3339();
    delete m['resourceVersion'];
    delete m['deletionTimestamp'];
    delete m['deletionGracePeriodSeconds'];
    if (!r.builtin || r.key === 'apiextensions.k8s.io/customresourcedefinitions') m['generation'] = 1;
    if (r.statusSubresource && !r.builtin) delete o['status'];
    if (r.key === '/secrets' && !o['type']) o['type'] = 'Opaque';
    if (r.key === '/namespaces') m['labels'] = { ...(isObj(m['labels']) ? m['labels'] : {}), [NS_NAME_LABEL]: name };
    const warnings = this.validateObject(ctx, o, undefined);
    if (r.key === 'apiextensions.k8s.io/customresourcedefinitions') o['status'] = crdStatus(o);
    if (ssaManager === undefined) m['managedFields'] = updateManagedFields(undefined, this.fieldsView(r, o), this.manager(ctx), apiVersionOf(r, ctx.version), this.fieldsSchema(r));
    // Set by the namespace strategy after the field manager has seen the request.
    if (r.key === '/namespaces') {
      o['spec'] = { finalizers: ['kubernetes'] };
      o['status'] = { phase: 'Active' };
    }
    if (this.dryRun(ctx)) return { code: 201, body: this.view(o, r, ctx.version), warnings };
    const { durable } = this.putTrimmed(r, id, o, ssaManager);
    if (r.key === 'apiextensions.k8s.io/customresourcedefinitions') this.hooks.crdsChanged();
    await durable;
    return { code: 201, body: this.stored(r, id, o, ctx.version), warnings };
  }

  async update(ctx: Ctx, body: unknown): Promise<Result> {
    const r = ctx.info;
    if (!isObj(body)) throw badRequest('Object \'Kind\' is missing in request body');
    const id = idOf(r, ctx.ns, ctx.name ?? '');
    const old = this.store.get(r.key, id);
    if (!old) throw notFound(r.plural, r.group, ctx.name ?? '');
    const rv = meta(body)['resourceVersion'];
    if ((rv === undefined || rv === '') && !r.builtin) {
      // Raised by the storage layer: it names the resource, not the kind.
      throw invalid(r.plural, r.group, ctx.name ?? '', [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0: must be specified for an update' }]);
    }
    return this.write(ctx, old, body, undefined);
  }

  async patch(ctx: Ctx, raw: string, contentType: string): Promise<Result> {
    const r = ctx.info;
    const id = idOf(r, ctx.ns, ctx.name ?? '');
    const old = this.store.get(r.key, id);
    const base = old ? this.view(old, r, ctx.version) : undefined;
    const ct = contentType.split(';')[0]?.trim() ?? '';
    const parse = (): unknown => {
      try { return JSON.parse(raw) as unknown; } catch { throw badRequest(`error decoding patch: ${goJsonError(raw) ?? 'unexpected end of JSON input'}`); }
    };
    if (ct === 'application/apply-patch+yaml') {
      let applied: unknown;
      try { applied = loadYaml(raw); } catch (e) { throw badRequest(`error decoding YAML: ${(e as Error).message}`); }
      if (!isObj(applied)) throw badRequest('error decoding YAML: not an object');
      const manager = ctx.q.get('fieldManager');
      if (!manager) {
        throw invalid('PatchOptions', 'meta.k8s.io', '', [{ reason: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' }]);
      }
      this.checkKind(ctx, applied);
      const am = meta(applied);
      if (am['name'] !== undefined && am['name'] !== ctx.name) throw badRequest(`the name of the object (${String(am['name'])}) does not match the name on the URL (${ctx.name ?? ''})`);
      const force = ctx.q.get('force') === 'true';
      const result = serverSideApply(base, applied, manager, force, apiVersionOf(r, ctx.version), r.schemas.get(r.version), { name: ctx.name, group: r.group, kind: r.plural });
      if (!old) {
        meta(result)['name'] = ctx.name;
        return this.create(ctx, result, manager);
      }
      return this.write(ctx, old, result, manager);
    }
    if (!old) throw notFound(r.plural, r.group, ctx.name ?? '');
    let next: unknown;
    if (ct === 'application/json-patch+json') next = jsonPatch(base, parse());
    else if (ct === 'application/merge-patch+json') next = mergePatch(base, parse());
    else if (ct === 'application/strategic-merge-patch+json' && r.builtin) next = strategicMergePatch(base, parse());
    else {
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${r.builtin ? ', application/strategic-merge-patch+json' : ''}`);
    }
    if (!isObj(next)) throw badRequest('patch result is not an object');
    return this.write(ctx, old, next, undefined);
  }

  /** Common update path (PUT, PATCH, apply) once the desired object is known. */
  private async write(ctx: Ctx, old: Obj, next: Obj, ssaManager: string | undefined): Promise<Result> {
    const r = ctx.info;
    const om = meta(old);
    const nm: Obj = { ...meta(next) };
    if (nm['name'] !== undefined && nm['name'] !== om['name']) {
      throw badRequest(`the name of the object (${String(nm['name'])}) does not match the name on the URL (${String(om['name'])})`);
    }
    if (nm['resourceVersion'] !== undefined && nm['resourceVersion'] !== '' && nm['resourceVersion'] !== om['resourceVersion']) {
      throw conflict(r.plural, r.group, String(om['name']), STALE);
    }
    this.checkKind(ctx, next);
    if (r.group === 'events.k8s.io') next = toCoreEvent(next);
    for (const k of ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'resourceVersion']) {
      if (om[k] === undefined) delete nm[k]; else nm[k] = om[k];
    }
    let o: Obj = { ...next, metadata: nm };
    const statusSub = r.statusSubresource || r.key === '/namespaces';
    if (ctx.sub === 'status') {
      // Status writes change status only.
      o = { ...old, status: next['status'], metadata: { ...om, managedFields: nm['managedFields'] ?? om['managedFields'] } };
      if (next['status'] === undefined) delete o['status'];
    } else if (statusSub) {
      if (old['status'] === undefined) delete o['status']; else o['status'] = old['status'];
    }
    const m = o['metadata'] as Obj;
    if (om['deletionTimestamp']) {
      const before = new Set((om['finalizers'] as string[] | undefined) ?? []);
      const added = ((m['finalizers'] as string[] | undefined) ?? []).filter((f) => !before.has(f));
      if (added.length) {
        throw invalid(r.kind, r.group, String(om['name']), [{ reason: 'FieldValueForbidden', field: 'metadata.finalizers',
          message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}` }]);
      }
    }
    if (Array.isArray(m['finalizers']) && m['finalizers'].length === 0) delete m['finalizers'];
    if (r.key === '/events') this.checkEvent(ctx, o, String(om['name']), old);
    if (r.key === '/namespaces') m['labels'] = { ...(isObj(m['labels']) ? m['labels'] : {}), [NS_NAME_LABEL]: String(om['name']) };
    checkBuiltin(r, o, String(om['name']));
    const warnings = this.validateObject(ctx, o, old);
    if (r.key === 'apiextensions.k8s.io/customresourcedefinitions') o['status'] = crdStatus(o);
    if (om['generation'] !== undefined && !deepEqual(withoutMetaStatus(o, statusSub), withoutMetaStatus(old, statusSub))) m['generation'] = Number(om['generation']) + 1;
    // As the real server's skipNonAppliedManager: an update of an object whose managedFields are
    // empty (e.g. dropped because the object was too large with them), sending none, does not
    // start tracking them again.
    const requested = meta(next)['managedFields'];
    const tracked = hasEntries(ctx.sub === undefined && hasEntries(requested) ? requested : om['managedFields']);
    if (ssaManager === undefined && tracked) m['managedFields'] = updateManagedFields(this.fieldsView(r, old), this.fieldsView(r, o), this.manager(ctx), apiVersionOf(r, ctx.version), this.fieldsSchema(r), ctx.sub);
    else if (ssaManager === undefined) delete m['managedFields'];
    if (deepEqual(withoutRv(o), withoutRv(old))) return { code: 200, body: this.view(old, r, ctx.version), warnings };
    if (!m['managedFields'] || (Array.isArray(m['managedFields']) && m['managedFields'].length === 0)) delete m['managedFields'];
    if (this.dryRun(ctx)) return { code: 200, body: this.view(o, r, ctx.version), warnings };
    const id = idOf(r, ctx.ns, String(om['name']));
    if (om['deletionTimestamp'] && !m['finalizers'] && !(r.key === '/namespaces' && this.namespaceBusy(String(om['name'])))) {
      const gone = this.store.remove(r.key, id);
      this.afterRemove(r, ctx.ns);
      await gone?.durable;
      return { code: 200, body: this.view(o, r, ctx.version), warnings };
    }
    const { durable } = this.putTrimmed(r, id, o, ssaManager);
    if (r.key === 'apiextensions.k8s.io/customresourcedefinitions') this.hooks.crdsChanged();
    await durable;
    return { code: 200, body: this.stored(r, id, o, ctx.version), warnings };
  }

  /**
   * Stores a create or update. As the real server's create, update and patch handlers do: when
   * etcd refuses the object for its size, it is safe to drop managedFields (which can be large)
   * and try once more — not for a server-side apply, whose field ownership is the point.
   */
  private putTrimmed(r: ResourceInfo, id: string, o: Obj, ssaManager: string | undefined): ReturnType<Store['put']> {
    try {
      return this.store.put(r.key, id, o);
    } catch (err) {
      const m = meta(o);
      if (ssaManager !== undefined || !(err instanceof ApiError) || err.code !== 500 || !err.message.includes('request is too large') || m['managedFields'] === undefined) throw err;
      delete m['managedFields'];
      return this.store.put(r.key, id, o);
    }
  }

  async remove(ctx: Ctx, body: unknown): Promise<Result> {
    const r = ctx.info;
    const id = idOf(r, ctx.ns, ctx.name ?? '');
    if (r.key === '/namespaces' && PROTECTED_NS.has(ctx.name ?? '')) {
      throw new ApiError(403, 'Forbidden', `namespaces "${ctx.name ?? ''}" is forbidden: this namespace may not be deleted`, { name: ctx.name, kind: 'namespaces' });
    }
    const old = this.store.get(r.key, id);
    if (!old) throw notFound(r.plural, r.group, ctx.name ?? '');
    const opts = deleteOptions(ctx, body);
    const om = meta(old);
    const pre = opts.preconditions;
    if (r.key === '/namespaces') {
      // The namespace REST's own messages.
      if (pre.uid !== undefined && pre.uid !== om['uid']) {
        throw conflict(r.plural, r.group, ctx.name ?? '', `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(om['uid'])}`);
      }
      if (pre.resourceVersion !== undefined && pre.resourceVersion !== om['resourceVersion']) {
        throw conflict(r.plural, r.group, ctx.name ?? '', `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(om['resourceVersion'])}`);
      }
    } else {
      // rest.BeforeDelete: the conflict names the Kind, not the resource.
      const onKind = (why: string): ApiError => new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r.kind, r.group)} "${ctx.name ?? ''}": ${why}`, { name: ctx.name, group: r.group, kind: r.kind });
      if (pre.uid !== undefined && pre.uid !== om['uid']) {
        throw onKind(`the UID in the precondition (${pre.uid}) does not match the UID in record (${String(om['uid'])}). The object might have been deleted and then recreated`);
      }
      if (pre.resourceVersion !== undefined && pre.resourceVersion !== om['resourceVersion']) {
        throw onKind(`the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${String(om['resourceVersion'])}). The object might have been modified`);
      }
    }
    if (opts.dryRun) {
      const planned = this.plannedDeletion(r, old, opts);
      return { code: 200, body: planned ? this.view(planned, r, ctx.version) : deletedStatus(r, old) };
    }
    const res = this.deleteObject(r, id, opts);
    await this.store.drain();
    return { code: 200, body: res.deleted ? deletedStatus(r, res.obj) : this.view(res.obj, r, ctx.version) };
  }

  /**
   * What a delete leaves behind: the object marked deleting (finalizers pending, with the garbage
   * collector's `orphan` / `foregroundDeletion` ones as the options ask), or undefined when it goes now.
   */
  private plannedDeletion(r: ResourceInfo, old: Obj, opts: DeleteOpts): Obj | undefined {
    const om = meta(old);
    const isNs = r.key === '/namespaces';
    const current = Array.isArray(om['finalizers']) ? (om['finalizers'] as string[]) : [];
    // Events have no garbage collection policy ("Unsupported"); a namespace's finalizers change on its first delete only.
    const finalizers = r.key === '/events' || (isNs && om['deletionTimestamp']) ? current : gcFinalizers(current, opts);
    const changed = finalizers.length !== current.length || finalizers.some((f, i) => f !== current[i]);
    if (finalizers.length === 0 && !(isNs && (this.namespaceBusy(String(om['name'])) || !om['deletionTimestamp']))) return undefined;
    if (om['deletionTimestamp'] && !changed) return old;
    const m: Obj = { ...om };
    if (finalizers.length) m['finalizers'] = finalizers; else delete m['finalizers'];
    if (!om['deletionTimestamp']) {
      m['deletionTimestamp'] = rfc3339();
      if (!isNs) m['deletionGracePeriodSeconds'] = 0;
      if (m['generation'] !== undefined) m['generation'] = Number(m['generation']) + 1;
    }
    const o: Obj = { ...old, metadata: m };
    if (isNs) o['status'] = { ...(isObj(old['status']) ? old['status'] : {}), phase: 'Terminating' };
    return o;
  }

  /** Deletes now, or marks deleting while finalizers remain (namespaces: while content remains). */
  deleteObject(r: ResourceInfo, id: string, opts: DeleteOpts = NO_DELETE_OPTIONS): { obj: Obj; deleted: boolean } {
    const old = this.store.get(r.key, id);
    if (!old) return { obj: {}, deleted: false };
    const om = meta(old);
    const ns = typeof om['namespace'] === 'string' ? om['namespace'] : undefined;
    const isNs = r.key === '/namespaces';
    const planned = this.plannedDeletion(r, old, opts);
    if (planned) {
      if (planned === old) return { obj: old, deleted: false };
      this.store.put(r.key, id, planned);
      if (isNs && !om['deletionTimestamp']) setImmediate(() => this.terminateNamespace(String(om['name'])));
      return { obj: planned, deleted: false };
    }
    const gone = this.store.remove(r.key, id);
    if (r.key === 'apiextensions.k8s.io/customresourcedefinitions') this.removeCrdInstances(old);
    this.afterRemove(r, ns);
    return { obj: gone?.obj ?? old, deleted: true };
  }

  deleteCollection(ctx: Ctx, objs: Obj[], body: unknown): Obj[] {
    const opts = deleteOptions(ctx, body);
    if (opts.dryRun) return objs;
    return objs.map((o) => this.deleteObject(ctx.info, idOf(ctx.info, String(meta(o)['namespace'] ?? ''), String(meta(o)['name'])), opts).obj);
  }

  namespaced: () => ResourceInfo[] = () => [];
  crdInstances: (crd: Obj) => ResourceInfo | undefined = () => undefined;

  private namespaceBusy(ns: string): boolean {
    return this.namespaced().some((r) => this.store.list(r.key, ns).length > 0);
  }

  private terminateNamespace(ns: string): void {
    for (const r of this.namespaced()) {
      for (const o of this.store.list(r.key, ns)) {
        try { this.deleteObject(r, idOf(r, ns, String(meta(o)['name']))); } catch { /* too large to mark deleting: left, as the real controller would retry */ }
      }
    }
    this.afterRemove(undefined, ns);
  }

  private afterRemove(r: ResourceInfo | undefined, ns: string | undefined): void {
    if (r?.key === 'apiextensions.k8s.io/customresourcedefinitions') this.hooks.crdsChanged();
    if (!ns) return;
    const nsObj = this.store.get('/namespaces', ns);
    if (!nsObj || !meta(nsObj)['deletionTimestamp'] || this.namespaceBusy(ns)) return;
    const f = meta(nsObj)['finalizers'];
    if (Array.isArray(f) && f.length) return;
    this.store.remove('/namespaces', ns);
  }

  private removeCrdInstances(crd: Obj): void {
    const r = this.crdInstances(crd);
    if (!r) return;
    for (const o of this.store.list(r.key)) this.store.remove(r.key, idOf(r, String(meta(o)['namespace'] ?? ''), String(meta(o)['name'])));
  }
}

const statusSchemas = new WeakMap<Obj, Obj>();

/** The CRD schema reduced to its status (other top-level fields kept as they are). */
function statusOnly(full: Obj): Obj {
  let s = statusSchemas.get(full);
  if (!s) {
    const props = isObj(full['properties']) ? full['properties'] : {};
    const kept: Obj = {};
    for (const k of Object.keys(props)) kept[k] = k === 'status' ? props[k] : { 'x-kubernetes-preserve-unknown-fields': true };
    s = { type: 'object', properties: kept };
    statusSchemas.set(full, s);
  }
  return s;
}

function withoutMetaStatus(o: Obj, statusSub: boolean): Obj {
  const { metadata: _m, status, apiVersion: _a, kind: _k, ...rest } = o;
  return statusSub ? rest : { ...rest, status };
}

function withoutRv(o: Obj): Obj {
  const { resourceVersion: _rv, managedFields: mf, ...m } = meta(o);
  // managedFields count, their timestamps do not (as the real server's no-op detection).
  const owners = Array.isArray(mf) ? mf.map((e) => (isObj(e) ? { ...e, time: undefined } : e)) : mf;
  return { ...o, metadata: { ...m, managedFields: owners } };
}

/** Access reviews: the dev cluster's single user may do everything. */
function review(r: ResourceInfo, o: Obj): Obj {
  const base = { ...o, apiVersion: apiVersionOf(r, r.version), kind: r.kind, metadata: { ...meta(o), creationTimestamp: null } };
  switch (r.kind) {
    case 'SelfSubjectRulesReview':
      return { ...base, status: { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false } };
    case 'SelfSubjectReview':
      return { ...base, status: { userInfo: { username: 'devcluster-admin', groups: ['system:masters', 'system:authenticated'] } } };
    default:
      return { ...base, status: { allowed: true, reason: 'the dev cluster allows every request of its token holder' } };
  }
}
