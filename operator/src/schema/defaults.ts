import { isObject } from './types.ts';
import type { JSONSchemaProps } from './types.ts';

/**
 * Structural defaulting, in place, as the apiextensions-apiserver does it on read and write:
 * a property that is missing — or null while the property is not nullable — takes a deep copy
 * of its `default`; nulls of non-nullable properties without a default are dropped; then
 * defaulting descends into every property (including values that were just defaulted),
 * `additionalProperties` values and array items.
 */
export function applyDefaults(schema: JSONSchemaProps, obj: unknown): void {
  walk(schema, obj);
}

const defaultedCache = new WeakMap<JSONSchemaProps, [string, JSONSchemaProps][]>();
function defaulted(s: JSONSchemaProps, props: Record<string, JSONSchemaProps>): [string, JSONSchemaProps][] {
  let d = defaultedCache.get(s);
  if (d === undefined) {
    d = Object.entries(props).filter(([, ps]) => ps.default !== undefined);
    defaultedCache.set(s, d);
  }
  return d;
}

function walk(s: JSONSchemaProps, v: unknown): void {
  if (Array.isArray(v)) {
    const items = s.items;
    if (items === undefined) return;
    for (let i = 0; i < v.length; i++) {
      if (v[i] === null && items.nullable !== true && items.default !== undefined) v[i] = copy(items.default);
      walk(items, v[i]);
    }
    return;
  }
  if (!isObject(v)) return;
  const props = s.properties;
  if (props !== undefined) {
    for (const [k, ps] of defaulted(s, props)) {
      const cur = v[k];
      if (cur === undefined || (cur === null && ps.nullable !== true)) v[k] = copy(ps.default);
    }
    for (const k of Object.keys(v)) {
      const ps = props[k];
      if (ps === undefined) continue;
      const cur = v[k];
      if (cur === null) {
        if (ps.nullable !== true) delete v[k];
      } else if (typeof cur === 'object') walk(ps, cur);
    }
  }
  const addl = s.additionalProperties;
  if (typeof addl === 'object') {
    for (const k of Object.keys(v)) {
      if (props?.[k] !== undefined) continue;
      if (v[k] === null && addl.nullable !== true && addl.default !== undefined) v[k] = copy(addl.default);
      walk(addl, v[k]);
    }
  }
}

function copy(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? structuredClone(v) : v;
}
