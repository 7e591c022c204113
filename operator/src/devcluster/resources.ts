// Object writes and reads: create / get / update / patch / delete for every served resource,
// with the API server's rules for metadata, status subresource, generation, finalizers,
// preconditions, dry-run, field validation and managedFields.
import { randomUUID } from 'node:crypto';
import { load as loadYaml } from 'js-yaml';
import { ApiError, alreadyExists, badRequest, conflict, invalid, notFound, STALE } from './errors.ts';
import type { Obj } from './errors.ts';
import { deepEqual, isObj, jsonPatch, mergePatch, strategicMergePatch } from './patch.ts';
import { serverSideApply, updateManagedFields } from './apply.ts';
import { checkCustomResource, checkName, fieldValidation } from './validation.ts';
import type { SchemaEngine } from './validation.ts';
import type { ResourceInfo } from './registry.ts';
import type { Store } from './store.ts';
import { checkCrd, crdStatus } from './crds.ts';
import { toCoreEvent, toEventsV1 } from './events.ts';

export interface Ctx {
  info: ResourceInfo;
  version: string;
  ns: string | undefined;
  name?: string | undefined;
  sub?: string | undefined;
  q: URLSearchParams;
  userAgent: string;
}

export interface Result { code: number; body: Obj | string; warnings?: string[] }

export const rfc3339 = (d = new Date()): string => d.toISOString().replace(/\.\d+Z$/, 'Z');
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const meta = (o: Obj | undefined): Obj => (isObj(o?.['metadata']) ? (o['metadata'] as Obj) : {});
const apiVersionOf = (r: ResourceInfo, v: string): string => (r.group ? `${r.group}/${v}` : v);
export const idOf = (r: ResourceInfo, ns: string | undefined, name: string): string => (r.namespaced ? `${ns ?? ''}/${name}` : name);
const PROTECTED_NS = new Set(['default', 'kube-system', 'kube-public']);

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
    if (o['kind'] !== undefined && o['kind'] !== r.kind) {
      throw badRequest(`the API version in the data (${String(o['apiVersion'])}) does not match the expected API version (${av})`);
    }
    if (o['apiVersion'] !== undefined && o['apiVersion'] !== av && !r.versions.some((v) => apiVersionOf(r, v) === o['apiVersion'])) {
      throw badRequest(`the API version in the data (${String(o['apiVersion'])}) does not match the expected API version (${av})`);
    }
    o['apiVersion'] = apiVersionOf(r, r.version);
    o['kind'] = r.kind;
  }

  /** Schema checks for custom resources and CRDs; returns warnings. */
  private validateObject(ctx: Ctx, o: Obj, old: Obj | undefined): string[] {
    const r = ctx.info;
    const name = String(meta(o)['name'] ?? '');
    if (r.key === 'apiextensions.k8s.io/customresourcedefinitions') { checkCrd(o, this.engine); return []; }
    if (r.builtin || !this.engine) return [];
    const full = r.schemas.get(r.version);
    if (!full || Object.keys(full).length === 0) return [];
    // A status write keeps everything else from the stored (already valid) object: only status
    // is pruned, defaulted and validated (the real server's validation ratcheting has the same
    // effect on unchanged fields).
    const schema = ctx.sub === 'status' && r.statusSubresource ? statusOnly(full) : full;
    return checkCustomResource(this.engine, schema, o, old, fieldValidation(ctx.q), { kind: r.kind, group: r.group, version: ctx.version, name });
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
        throw invalid(r.kind, r.group, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
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
    if (this.store.get(r.key, id)) throw alreadyExists(r.plural, r.group, name);
    m['uid'] = randomUUID();
    m['creationTimestamp'] = rfc3339();
    delete m['resourceVersion'];
    delete m['deletionTimestamp'];
    delete m['deletionGracePeriodSeconds'];
    if (!r.builtin || r.key === 'apiextensions.k8s.io/customresourcedefinitions') m['generation'] = 1;
    if (r.statusSubresource && !r.builtin) delete o['status'];
    if (r.key === '/secrets' && !o['type']) o['type'] = 'Opaque';
    if (r.key === '/namespaces') {
      o['spec'] = { finalizers: ['kubernetes'] };
      o['status'] = { phase: 'Active' };
    }
    const warnings = this.validateObject(ctx, o, undefined);
    if (r.key === 'apiextensions.k8s.io/customresourcedefinitions') o['status'] = crdStatus(o);
    if (ssaManager === undefined) m['managedFields'] = updateManagedFields(undefined, o, this.manager(ctx), apiVersionOf(r, ctx.version), r.schemas.get(r.version));
    if (this.dryRun(ctx)) return { code: 201, body: this.view(o, r, ctx.version), warnings };
    const { durable } = this.store.put(r.key, id, o);
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
      throw invalid(r.kind, r.group, ctx.name ?? '', [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }]);
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
      try { return JSON.parse(raw) as unknown; } catch (e) { throw badRequest(`error decoding patch: ${(e as Error).message}`); }
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
    const warnings = this.validateObject(ctx, o, old);
    if (r.key === 'apiextensions.k8s.io/customresourcedefinitions') o['status'] = crdStatus(o);
    if (om['generation'] !== undefined && !deepEqual(withoutMetaStatus(o, statusSub), withoutMetaStatus(old, statusSub))) m['generation'] = Number(om['generation']) + 1;
    if (ssaManager === undefined) m['managedFields'] = updateManagedFields(old, o, this.manager(ctx), apiVersionOf(r, ctx.version), r.schemas.get(r.version), ctx.sub);
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
    const { durable } = this.store.put(r.key, id, o);
    if (r.key === 'apiextensions.k8s.io/customresourcedefinitions') this.hooks.crdsChanged();
    await durable;
    return { code: 200, body: this.stored(r, id, o, ctx.version), warnings };
  }

  async remove(ctx: Ctx, body: unknown): Promise<Result> {
    const r = ctx.info;
    const id = idOf(r, ctx.ns, ctx.name ?? '');
    const old = this.store.get(r.key, id);
    if (!old) throw notFound(r.plural, r.group, ctx.name ?? '');
    const opts = isObj(body) ? body : {};
    const pre = isObj(opts['preconditions']) ? opts['preconditions'] : {};
    const om = meta(old);
    if (pre['uid'] !== undefined && pre['uid'] !== om['uid']) {
      throw conflict(r.plural, r.group, ctx.name ?? '', `Precondition failed: UID in precondition: ${String(pre['uid'])}, UID in object meta: ${String(om['uid'])}`);
    }
    if (pre['resourceVersion'] !== undefined && pre['resourceVersion'] !== om['resourceVersion']) {
      throw conflict(r.plural, r.group, ctx.name ?? '', `Precondition failed: ResourceVersion in precondition: ${String(pre['resourceVersion'])}, ResourceVersion in object meta: ${String(om['resourceVersion'])}`);
    }
    if (r.key === '/namespaces' && PROTECTED_NS.has(ctx.name ?? '')) {
      throw new ApiError(403, 'Forbidden', `namespaces "${ctx.name ?? ''}" is forbidden: this namespace may not be deleted`, { name: ctx.name, kind: 'namespaces' });
    }
    const policy = ctx.q.get('propagationPolicy') ?? opts['propagationPolicy'];
    if (policy !== undefined && policy !== null && !['Orphan', 'Background', 'Foreground'].includes(String(policy))) {
      throw badRequest(`DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${String(policy)}"`);
    }
    if (this.dryRun(ctx, opts)) return { code: 200, body: this.view(old, r, ctx.version) };
    const res = this.deleteObject(r, id);
    await this.store.drain();
    return { code: 200, body: this.view(res, r, ctx.version) };
  }

  /** Deletes now, or marks deleting while finalizers remain (namespaces: while content remains). */
  deleteObject(r: ResourceInfo, id: string): Obj {
    const old = this.store.get(r.key, id);
    if (!old) return {};
    const om = meta(old);
    const ns = typeof om['namespace'] === 'string' ? om['namespace'] : undefined;
    const isNs = r.key === '/namespaces';
    const finalizers = Array.isArray(om['finalizers']) && om['finalizers'].length > 0;
    if (finalizers || (isNs && this.namespaceBusy(String(om['name'])))) {
      if (om['deletionTimestamp']) return old;
      const m: Obj = { ...om, deletionTimestamp: rfc3339(), deletionGracePeriodSeconds: 0 };
      if (m['generation'] !== undefined) m['generation'] = Number(m['generation']) + 1;
      const o: Obj = { ...old, metadata: m };
      if (isNs) o['status'] = { phase: 'Terminating' };
      this.store.put(r.key, id, o);
      if (isNs) setImmediate(() => this.terminateNamespace(String(om['name'])));
      return o;
    }
    const gone = this.store.remove(r.key, id);
    if (r.key === 'apiextensions.k8s.io/customresourcedefinitions') this.removeCrdInstances(old);
    this.afterRemove(r, ns);
    return gone?.obj ?? old;
  }

  deleteCollection(ctx: Ctx, objs: Obj[]): Obj[] {
    return objs.map((o) => this.deleteObject(ctx.info, idOf(ctx.info, String(meta(o)['namespace'] ?? ''), String(meta(o)['name']))));
  }

  namespaced: () => ResourceInfo[] = () => [];
  crdInstances: (crd: Obj) => ResourceInfo | undefined = () => undefined;

  private namespaceBusy(ns: string): boolean {
    return this.namespaced().some((r) => this.store.list(r.key, ns).length > 0);
  }

  private terminateNamespace(ns: string): void {
    for (const r of this.namespaced()) {
      for (const o of this.store.list(r.key, ns)) this.deleteObject(r, idOf(r, ns, String(meta(o)['name'])));
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
