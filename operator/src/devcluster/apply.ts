// managedFields bookkeeping (FieldsV1) and server-side apply: field ownership per manager,
// conflicts (409 with causes), `force`, removal of fields a manager stopped applying.
//
// Simplifications: lists are atomic unless the schema marks them `x-kubernetes-list-type:
// map` (keyed by `x-kubernetes-list-map-keys`) or `set`; `metadata.finalizers` is a set.
import { ApiError } from './errors.ts';
import type { Obj } from './errors.ts';
import { deepEqual, isObj } from './patch.ts';

type Schema = Obj | undefined;

/** A leaf path is a list of FieldsV1 keys (`f:spec`, `k:{"type":"Ready"}`, `v:"x"`), joined by \u0001. */
const SEP = '\u0001';
const SKIP_META = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'managedFields', 'selfLink', 'generateName']);

function sub(schema: Schema, key: string): Schema {
  if (!schema) return undefined;
  const props = schema['properties'];
  if (isObj(props) && isObj(props[key])) return props[key];
  const ap = schema['additionalProperties'];
  return isObj(ap) ? ap : undefined;
}

const FINALIZERS = `f:metadata${SEP}f:finalizers`;
const OWNER_REFS = `f:metadata${SEP}f:ownerReferences`;

function listType(schema: Schema, path: string): { type: 'atomic' | 'set' | 'map'; keys: string[] } {
  if (path === FINALIZERS) return { type: 'set', keys: [] };
  if (path === OWNER_REFS) return { type: 'map', keys: ['uid'] };
  const t = schema?.['x-kubernetes-list-type'];
  const keys = schema?.['x-kubernetes-list-map-keys'];
  if (t === 'map' && Array.isArray(keys)) return { type: 'map', keys: keys.map(String) };
  if (t === 'set') return { type: 'set', keys: [] };
  return { type: 'atomic', keys: [] };
}

/** Comparable form of a leaf value (only ever compared with other leafValue results). */
function leafValue(v: unknown): string {
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : `${typeof v}:${String(v)}`;
}

/** Leaf paths of an object with comparable values, following the schema for list types. */
export function leaves(obj: Obj, schema: Schema, out = new Map<string, string>()): Map<string, string> {
  const walk = (v: unknown, s: Schema, path: string): void => {
    if (isObj(v) && s?.['x-kubernetes-map-type'] !== 'atomic') {
      let any = false;
      for (const k in v) {
        any = true;
        if (path === '' && (k === 'apiVersion' || k === 'kind')) continue;
        if (path === 'f:metadata' && SKIP_META.has(k)) continue;
        walk(v[k], sub(s, k), path === '' ? `f:${k}` : `${path}${SEP}f:${k}`);
      }
      if (any || path === '') return;
    }
    if (Array.isArray(v)) {
      const lt = listType(s, path);
      if (lt.type === 'map') {
        const items = isObj(s?.['items']) ? (s['items'] as Obj) : undefined;
        for (const el of v) {
          if (!isObj(el)) continue;
          const key: Obj = {};
          for (const k of lt.keys) key[k] = el[k];
          walk(el, items, `${path}${SEP}k:${JSON.stringify(key)}`);
        }
        return;
      }
      if (lt.type === 'set') { for (const el of v) out.set(`${path}${SEP}v:${JSON.stringify(el)}`, leafValue(el)); return; }
    }
    if (path) out.set(path, leafValue(v));
  };
  walk(obj, schema, '');
  return out;
}

export function toFieldsV1(paths: Iterable<string>): Obj {
  const root: Obj = {};
  for (const p of paths) {
    let cur = root;
    const segs = p.split(SEP);
    segs.forEach((seg, i) => {
      if (!isObj(cur[seg])) cur[seg] = {};
      const next = cur[seg] as Obj;
      if (i < segs.length - 1 && !(i === 0 && seg === 'f:metadata')) next['.'] = {};
      cur = next;
    });
  }
  return root;
}

function parseFieldsV1(f: unknown, prefix: string, out: Set<string>): Set<string> {
  if (!isObj(f)) return out;
  let leaf = true;
  for (const k in f) {
    if (k === '.') continue;
    leaf = false;
    parseFieldsV1(f[k], prefix ? `${prefix}${SEP}${k}` : k, out);
  }
  if (leaf && prefix) out.add(prefix);
  return out;
}

/** Parsed FieldsV1 objects; stored objects are immutable, so the sets can be shared (never mutated). */
const parsed = new WeakMap<object, Set<string>>();

export function fromFieldsV1(f: unknown): Set<string> {
  if (!isObj(f)) return new Set();
  let set = parsed.get(f);
  if (!set) { set = parseFieldsV1(f, '', new Set()); parsed.set(f, set); }
  return set;
}

export interface ManagedEntry { manager: string; operation: 'Apply' | 'Update'; apiVersion: string; time: string; fieldsType: 'FieldsV1'; fieldsV1: Obj; subresource?: string }

function entries(obj: Obj | undefined): ManagedEntry[] {
  const mf = isObj(obj?.['metadata']) ? (obj['metadata'] as Obj)['managedFields'] : undefined;
  return Array.isArray(mf) ? (mf.filter(isObj) as unknown as ManagedEntry[]) : [];
}

let lastSecond = 0;
let lastStamp = '';
const now = (): string => {
  const s = Math.floor(Date.now() / 1000);
  if (s !== lastSecond) { lastSecond = s; lastStamp = new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'); }
  return lastStamp;
};

/** An entry being edited: `paths` is copied on first change, `fieldsV1` rebuilt only if it changed. */
interface Edit { e: ManagedEntry; paths: Set<string>; dirty: boolean }
const edit = (e: ManagedEntry): Edit => ({ e, paths: fromFieldsV1(e.fieldsV1), dirty: false });
function del(x: Edit, p: string): void {
  if (!x.paths.has(p)) return;
  if (!x.dirty) { x.paths = new Set(x.paths); x.dirty = true; }
  x.paths.delete(p);
}
function add(x: Edit, p: string): void {
  if (x.paths.has(p)) return;
  if (!x.dirty) { x.paths = new Set(x.paths); x.dirty = true; }
  x.paths.add(p);
}

function rebuild(list: Edit[]): ManagedEntry[] {
  return list.filter((x) => x.paths.size > 0).map((x) => {
    if (!x.dirty) return x.e;
    const fieldsV1 = toFieldsV1(x.paths);
    parsed.set(fieldsV1, x.paths);
    return { ...x.e, fieldsV1 };
  });
}

/** Leaves of stored (immutable) objects or status subtrees, so the next write's "before" is free. */
const leafCache = new WeakMap<object, Map<string, string>>();

function scopedLeaves(o: Obj, schema: Schema, subresource: string | undefined): Map<string, string> {
  if (subresource === 'status') {
    const st = o['status'];
    if (!isObj(st)) return new Map();
    let l = leafCache.get(st);
    if (!l) { l = leaves({ status: st }, schema); leafCache.set(st, l); }
    return l;
  }
  let l = leafCache.get(o);
  if (!l) { l = leaves(o, schema); leafCache.set(o, l); }
  return l;
}

/** managedFields after a non-apply write by `manager`: it takes every field it changed. */
export function updateManagedFields(oldObj: Obj | undefined, newObj: Obj, manager: string, apiVersion: string, schema: Schema, subresource?: string): ManagedEntry[] {
  // A status write can only change status: compare that subtree alone.
  const before = oldObj ? scopedLeaves(oldObj, schema, subresource) : new Map<string, string>();
  const after = scopedLeaves(newObj, schema, subresource);
  const inScope = (p: string): boolean => subresource !== 'status' || p.startsWith('f:status');
  const changed = new Set<string>();
  for (const [p, v] of after) if (before.get(p) !== v) changed.add(p);
  if (changed.size === 0 && oldObj) return entries(oldObj);
  const list = entries(oldObj).map(edit);
  let mine = list.find((x) => x.e.manager === manager && x.e.operation === 'Update' && x.e.subresource === subresource);
  for (const x of list) for (const p of x.paths) if ((x !== mine && changed.has(p)) || (inScope(p) && !after.has(p))) del(x, p);
  if (!mine) {
    mine = { e: { manager, operation: 'Update', apiVersion, time: now(), fieldsType: 'FieldsV1', fieldsV1: {}, ...(subresource ? { subresource } : {}) }, paths: new Set(), dirty: true };
    list.push(mine);
  }
  for (const p of changed) add(mine, p);
  mine.e = { ...mine.e, time: now(), apiVersion };
  return rebuild(list);
}

function removePath(obj: Obj, segs: string[]): void {
  let cur: unknown = obj;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i] ?? '';
    const last = i === segs.length - 1;
    if (seg.startsWith('f:') && isObj(cur)) {
      if (last) { delete cur[seg.slice(2)]; return; }
      cur = cur[seg.slice(2)];
    } else if (Array.isArray(cur)) {
      const want = JSON.parse(seg.slice(2)) as unknown;
      const idx = seg.startsWith('k:')
        ? cur.findIndex((el) => isObj(el) && isObj(want) && Object.entries(want).every(([k, v]) => deepEqual(el[k], v)))
        : cur.findIndex((el) => deepEqual(el, want));
      if (idx < 0) return;
      if (last) { cur.splice(idx, 1); return; }
      cur = cur[idx];
    } else return;
  }
}

/** Deep merge of an applied configuration into the live object (maps merged, map-lists by key, sets unioned). */
function mergeApplied(live: unknown, applied: unknown, schema: Schema, path: string[]): unknown {
  if (isObj(applied) && isObj(live) && schema?.['x-kubernetes-map-type'] !== 'atomic') {
    const out: Obj = { ...live };
    for (const [k, v] of Object.entries(applied)) out[k] = mergeApplied(live[k], v, sub(schema, k), [...path, `f:${k}`]);
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const lt = listType(schema, path.join(SEP));
    const items = isObj(schema?.['items']) ? (schema['items'] as Obj) : undefined;
    if (lt.type === 'set') return [...live, ...applied.filter((a) => !live.some((l) => deepEqual(l, a)))];
    if (lt.type === 'map') {
      const out = [...live];
      for (const a of applied) {
        const i = out.findIndex((l) => isObj(l) && isObj(a) && lt.keys.every((k) => deepEqual(l[k], a[k])));
        if (i >= 0) out[i] = mergeApplied(out[i], a, items, path); else out.push(a);
      }
      return out;
    }
  }
  return structuredClone(applied);
}

/** Server-side apply of `applied` onto `live` (undefined = create) by `manager`. */
export function serverSideApply(live: Obj | undefined, applied: Obj, manager: string, force: boolean, apiVersion: string, schema: Schema, details: Obj): Obj {
  const appliedLeaves = leaves(applied, schema);
  const liveLeaves = live ? leaves(live, schema) : new Map<string, string>();
  const list = entries(live).map(edit);
  const conflicts: { manager: string; apiVersion: string; path: string }[] = [];
  for (const x of list) {
    if (x.e.manager === manager && x.e.operation === 'Apply') continue;
    for (const p of x.paths) {
      if (appliedLeaves.has(p) && liveLeaves.has(p) && appliedLeaves.get(p) !== liveLeaves.get(p)) {
        conflicts.push({ manager: x.e.manager, apiVersion: x.e.apiVersion, path: p });
      }
    }
  }
  const fmt = (p: string): string => p.split(SEP).map((s) => (s.startsWith('f:') ? `.${s.slice(2)}` : `[${s.slice(2)}]`)).join('');
  if (conflicts.length && !force) {
    const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}" using ${c.apiVersion}`, field: fmt(c.path) }));
    const lines = conflicts.map((c) => `conflict with "${c.manager}" using ${c.apiVersion}: ${fmt(c.path)}`);
    const msg = lines.length === 1 ? `Apply failed with 1 conflict: ${lines[0]}` : `Apply failed with ${lines.length} conflicts: ${lines.join('\n')}`;
    throw new ApiError(409, 'Conflict', msg, { ...details, causes });
  }
  for (const c of conflicts) for (const x of list) if (x.e.manager === c.manager) del(x, c.path);
  let mine = list.find((x) => x.e.manager === manager && x.e.operation === 'Apply');
  const previously = mine ? new Set(mine.paths) : new Set<string>();
  const others = new Set<string>();
  for (const x of list) if (x !== mine) for (const p of x.paths) others.add(p);
  let result: Obj = live ? structuredClone(live) : {};
  for (const p of previously) if (!appliedLeaves.has(p) && !others.has(p)) removePath(result, p.split(SEP));
  result = mergeApplied(result, applied, schema, []) as Obj;
  if (!mine) {
    mine = { e: { manager, operation: 'Apply', apiVersion, time: now(), fieldsType: 'FieldsV1', fieldsV1: {} }, paths: new Set(), dirty: true };
    list.push(mine);
  }
  mine.e = { ...mine.e, time: now(), apiVersion };
  mine.paths = new Set(appliedLeaves.keys());
  mine.dirty = true;
  const meta = isObj(result['metadata']) ? result['metadata'] : {};
  result['metadata'] = { ...meta, managedFields: rebuild(list) };
  return result;
}
