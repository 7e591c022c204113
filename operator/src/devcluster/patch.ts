// JSON merge patch (RFC 7386), JSON patch (RFC 6902, with `test`), and a strategic merge
// patch good enough for the built-ins (merge patch minus the `$` directives).
import { ApiError } from './errors.ts';
import type { Obj } from './errors.ts';

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Strategic merge patch for built-ins: merge-patch semantics, `$patch: delete|replace` honoured, other directives dropped. */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  if (patch['$patch'] === 'delete') return undefined;
  if (patch['$patch'] === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return rest;
  }
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) { delete out[k]; continue; }
    const merged = strategicMergePatch(out[k], v);
    if (merged === undefined) delete out[k]; else out[k] = merged;
  }
  return out;
}

function unescape(s: string): string { return s.replace(/~1/g, '/').replace(/~0/g, '~'); }

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw fail();
  return p.slice(1).split('/').map(unescape);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ka = Object.keys(a as Obj);
  const kb = Object.keys(b as Obj);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b as Obj, k) && deepEqual((a as Obj)[k], (b as Obj)[k]));
}
export { deepEqual };

/** Every failed JSON patch operation: the real server says no more than this (details `{}`). */
const fail = (): ApiError => new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});

/** Applies an RFC 6902 patch to a deep copy of `doc`; failures are 422 like the real server. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new ApiError(400, 'BadRequest', `error decoding patch: json: cannot unmarshal ${ops === null ? 'null' : typeof ops === 'object' ? 'object' : typeof ops === 'string' ? 'string' : typeof ops === 'number' ? 'number' : 'bool'} into Go value of type []handlers.jsonPatchOp`);
  let root: unknown = structuredClone(doc);
  const parentOf = (path: string[]): { parent: unknown; key: string } => {
    let cur = root;
    for (const seg of path.slice(0, -1)) {
      if (Array.isArray(cur)) cur = cur[Number(seg)];
      else if (isObj(cur)) cur = cur[seg];
      else cur = undefined;
      if (cur === undefined) throw fail();
    }
    return { parent: cur, key: path[path.length - 1] ?? '' };
  };
  const get = (path: string[]): unknown => {
    let cur = root;
    for (const seg of path) {
      if (Array.isArray(cur)) cur = cur[Number(seg)];
      else if (isObj(cur)) cur = Object.hasOwn(cur, seg) ? cur[seg] : undefined;
      else return undefined;
    }
    return cur;
  };
  const add = (path: string[], value: unknown): void => {
    if (path.length === 0) { root = value; return; }
    const { parent, key } = parentOf(path);
    if (Array.isArray(parent)) {
      const i = key === '-' ? parent.length : Number(key);
      if (!Number.isInteger(i) || i < 0 || i > parent.length) throw fail();
      parent.splice(i, 0, value);
    } else if (isObj(parent)) parent[key] = value;
    else throw fail();
  };
  const remove = (path: string[]): unknown => {
    const { parent, key } = parentOf(path);
    if (Array.isArray(parent)) {
      const i = Number(key);
      if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw fail();
      return parent.splice(i, 1)[0];
    }
    if (isObj(parent) && Object.hasOwn(parent, key)) { const v = parent[key]; delete parent[key]; return v; }
    throw fail();
  };
  for (const raw of ops) {
    if (!isObj(raw)) throw fail();
    const op = raw['op'];
    const path = parsePointer(String(raw['path'] ?? ''));
    switch (op) {
      case 'add': add(path, structuredClone(raw['value'])); break;
      case 'remove': remove(path); break;
      case 'replace': {
        // The real server's json-patch replaces a missing object key as an add.
        if (get(path) !== undefined) remove(path);
        add(path, structuredClone(raw['value'])); break;
      }
      case 'move': { const v = remove(parsePointer(String(raw['from'] ?? ''))); add(path, v); break; }
      case 'copy': {
        const v = get(parsePointer(String(raw['from'] ?? '')));
        if (v === undefined) break; // the real server's copy from a missing path changes nothing
        add(path, structuredClone(v)); break;
      }
      case 'test': {
        if (!deepEqual(get(path), raw['value'])) throw fail();
        break;
      }
      default: throw fail();
    }
  }
  return root;
}
