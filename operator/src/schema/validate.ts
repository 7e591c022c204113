import { info } from './compiled.ts';
import type { Compiled } from './compiled.ts';
import { checkFormat } from './formats.ts';
import { goValue, invalidCause, join, jsonType } from './messages.ts';
import { evaluateRules } from './rules.ts';
import { isObject } from './types.ts';
import type { FieldCause, JSONSchemaProps } from './types.ts';

type Old = { v: unknown } | undefined;
type Ctx = { causes: FieldCause[]; rules: boolean; ratchet: boolean };

export interface ValidateOptions {
  /**
   * Validation ratcheting (Kubernetes 1.30+, on by default): on update, a value that is
   * unchanged from the correlated old value (object fields by name, map-list items by key)
   * is not validated again, so an object stored under an older, looser schema can still be
   * updated elsewhere. Default true.
   */
  ratcheting?: boolean;
}

/**
 * Validates `obj` against a CRD `openAPIV3Schema` the way the apiextensions-apiserver does:
 * OpenAPI value validation, list-type uniqueness, then every `x-kubernetes-validations` rule.
 * Transition rules (those that mention `oldSelf`) run only when `oldObj` is given and the
 * correlated old value exists (or the rule sets `optionalOldSelf`). Returns [] when valid.
 */
export function validate(schema: JSONSchemaProps, obj: unknown, oldObj?: unknown, options: ValidateOptions = {}): FieldCause[] {
  const ctx: Ctx = { causes: [], rules: true, ratchet: options.ratcheting !== false };
  const old: Old = oldObj === undefined ? undefined : { v: oldObj };
  node(schema, obj, '', old, ctx, true);
  return ctx.causes;
}

function invalid(ctx: Ctx, field: string, value: unknown, detail: string): void {
  ctx.causes.push(invalidCause(field, value, detail));
}

// ---- the walk ----

function typeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
  }
  return true;
}

function node(s: JSONSchemaProps, v: unknown, path: string, old: Old, ctx: Ctx, isRoot = false): void {
  if (ctx.ratchet && old !== undefined && !isRoot && deepEqual(v, old.v)) return;
  if (v === null || v === undefined) {
    if (s.nullable === true) return;
    if (s.type !== undefined && s.type !== '') {
      ctx.causes.push({
        reason: 'FieldValueTypeInvalid', field: path,
        message: `Invalid value: "null": ${path} in body must be of type ${s.type}: "null"`,
      });
    }
    return;
  }
  if (s.type !== undefined && s.type !== '' && !typeMatches(s.type, v)) {
    const actual = jsonType(v);
    ctx.causes.push({
      reason: 'FieldValueTypeInvalid', field: path,
      message: `Invalid value: ${JSON.stringify(actual)}: ${path} in body must be of type ${s.type}: ${JSON.stringify(actual)}`,
    });
    return;
  }
  if (s['x-kubernetes-int-or-string'] === true && !(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) {
    const actual = jsonType(v);
    ctx.causes.push({
      reason: 'FieldValueTypeInvalid', field: path,
      message: `Invalid value: ${JSON.stringify(actual)}: ${path} in body must be of type integer-or-string: ${JSON.stringify(actual)}`,
    });
    return;
  }
  const c = info(s);
  if (c.enumSet !== undefined && !c.enumSet.some((e) => deepEqual(e, v))) {
    const values = c.enumSet.map((e) => JSON.stringify(typeof e === 'string' ? e : JSON.stringify(e)));
    ctx.causes.push({
      reason: 'FieldValueNotSupported', field: path,
      message: `Unsupported value: ${goValue(v)}${values.length > 0 ? `: supported values: ${values.join(', ')}` : ''}`,
    });
  }
  if (typeof v === 'string') stringChecks(s, c, v, path, ctx);
  else if (typeof v === 'number') numberChecks(s, v, path, ctx);
  else if (Array.isArray(v)) arrayChecks(s, v, path, old, ctx);
  else if (isObject(v)) objectChecks(s, v, path, old, ctx, isRoot);
  junctors(s, v, path, ctx);
  // a rule over the cost limit stops every later rule, as on the apiserver
  if (ctx.rules && c.rules.length > 0 && !evaluateRules(s, c, v, path, old, ctx.causes)) ctx.rules = false;
}

function stringChecks(s: JSONSchemaProps, c: Compiled, v: string, path: string, ctx: Ctx): void {
  if (s.maxLength !== undefined || s.minLength !== undefined) {
    const len = runeCount(v);
    if (s.maxLength !== undefined && len > s.maxLength)
      ctx.causes.push({ reason: 'FieldValueTooLong', field: path, message: `Too long: may not be more than ${s.maxLength} bytes` });
    if (s.minLength !== undefined && len < s.minLength)
      invalid(ctx, path, v, `${path} in body should be at least ${s.minLength} chars long`);
  }
  if (c.pattern !== undefined && !c.pattern.test(v)) invalid(ctx, path, v, `${path} in body should match '${s.pattern}'`);
  if (s.format !== undefined && !checkFormat(s.format, v)) {
    ctx.causes.push({
      reason: 'FieldValueTypeInvalid', field: path,
      message: `Invalid value: ${goValue(v)}: ${path} in body must be of type ${s.format}: ${goValue(v)}`,
    });
  }
}

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const cc = s.charCodeAt(i);
    if (cc < 0xdc00 || cc > 0xdfff) n++;
  }
  return n;
}

function numberChecks(s: JSONSchemaProps, v: number, path: string, ctx: Ctx): void {
  if (s.minimum !== undefined) {
    if (s.exclusiveMinimum === true ? v <= s.minimum : v < s.minimum)
      invalid(ctx, path, v, `${path} in body should be greater than ${s.exclusiveMinimum === true ? '' : 'or equal to '}${s.minimum}`);
  }
  if (s.maximum !== undefined) {
    if (s.exclusiveMaximum === true ? v >= s.maximum : v > s.maximum)
      invalid(ctx, path, v, `${path} in body should be less than ${s.exclusiveMaximum === true ? '' : 'or equal to '}${s.maximum}`);
  }
  if (s.multipleOf !== undefined && s.multipleOf > 0) {
    const q = v / s.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9) invalid(ctx, path, v, `${path} in body should be a multiple of ${s.multipleOf}`);
  }
}

function arrayChecks(s: JSONSchemaProps, v: unknown[], path: string, old: Old, ctx: Ctx): void {
  if (s.maxItems !== undefined && v.length > s.maxItems)
    ctx.causes.push({ reason: 'FieldValueTooMany', field: path, message: `Too many: ${v.length}: must have at most ${s.maxItems} items` });
  if (s.minItems !== undefined && v.length < s.minItems)
    invalid(ctx, path, v, `${path} in body should have at least ${s.minItems} items`);
  if (s.uniqueItems === true) {
    for (let i = 1; i < v.length; i++) {
      if (v.slice(0, i).some((x) => deepEqual(x, v[i]))) {
        invalid(ctx, path, v, `${path} in body shouldn't contain duplicates`);
        break;
      }
    }
  }
  const listType = s['x-kubernetes-list-type'];
  const keys = s['x-kubernetes-list-map-keys'] ?? [];
  if (listType === 'set') {
    const seen: unknown[] = [];
    v.forEach((x, i) => {
      if (seen.some((y) => deepEqual(x, y)))
        ctx.causes.push({ reason: 'FieldValueDuplicate', field: `${path}[${i}]`, message: `Duplicate value: ${goValue(x)}` });
      else seen.push(x);
    });
  } else if (listType === 'map') {
    const seen = new Set<string>();
    v.forEach((x, i) => {
      if (!isObject(x)) return;
      const k = mapKey(x, keys, s.items);
      if (seen.has(k)) {
        const kv = Object.fromEntries(keys.filter((key) => x[key] !== undefined).map((key) => [key, x[key]]));
        ctx.causes.push({
          reason: 'FieldValueDuplicate', field: `${path}[${i}]`,
          message: `Duplicate value: map[string]interface {}${JSON.stringify(kv)}`,
        });
      } else seen.add(k);
    });
  }
  const items = s.items;
  if (items === undefined) return;
  let oldByKey: Map<string, unknown> | undefined;
  let oldSet: unknown[] | undefined;
  if (old !== undefined && Array.isArray(old.v) && (ctx.ratchet || hasRulesBelow(items))) {
    if (listType === 'map') {
      oldByKey = new Map();
      for (const o of old.v) if (isObject(o)) oldByKey.set(mapKey(o, keys, items), o);
    } else if (listType === 'set' && ctx.ratchet) oldSet = old.v;
  }
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    let itemOld: Old;
    if (oldByKey !== undefined && isObject(x)) {
      const k = mapKey(x, keys, items);
      if (oldByKey.has(k)) itemOld = { v: oldByKey.get(k) };
    } else if (oldSet !== undefined && oldSet.some((o) => deepEqual(o, x))) itemOld = { v: x };
    node(items, x, `${path}[${i}]`, itemOld, ctx);
  }
}

const rulesBelow = new WeakMap<JSONSchemaProps, boolean>();
function hasRulesBelow(s: JSONSchemaProps): boolean {
  let r = rulesBelow.get(s);
  if (r === undefined) {
    rulesBelow.set(s, false);
    r = (s['x-kubernetes-validations']?.length ?? 0) > 0 ||
      Object.values(s.properties ?? {}).some(hasRulesBelow) ||
      (s.items !== undefined && hasRulesBelow(s.items)) ||
      (typeof s.additionalProperties === 'object' && hasRulesBelow(s.additionalProperties));
    rulesBelow.set(s, r);
  }
  return r;
}

/** Identity of a map-list item: its key fields (missing keys take the key's default). */
function mapKey(x: Record<string, unknown>, keys: string[], items: JSONSchemaProps | undefined): string {
  return JSON.stringify(keys.map((k) => x[k] ?? items?.properties?.[k]?.default ?? null));
}

function objectChecks(s: JSONSchemaProps, v: Record<string, unknown>, path: string, old: Old, ctx: Ctx, isRoot: boolean): void {
  const c = info(s);
  const keys = Object.keys(v);
  if (s.maxProperties !== undefined && keys.length > s.maxProperties)
    ctx.causes.push({ reason: 'FieldValueTooMany', field: path, message: `Too many: ${keys.length}: must have at most ${s.maxProperties} items` });
  if (s.minProperties !== undefined && keys.length < s.minProperties)
    invalid(ctx, path, v, `${path} in body should have at least ${s.minProperties} properties`);
  for (const r of c.required) {
    if (!(r in v) || v[r] === undefined) ctx.causes.push({ reason: 'FieldValueRequired', field: join(path, r), message: 'Required value' });
  }
  if (s['x-kubernetes-embedded-resource'] === true) {
    for (const k of ['apiVersion', 'kind']) {
      if (typeof v[k] !== 'string' || v[k] === '') {
        if (!c.required.includes(k)) ctx.causes.push({ reason: 'FieldValueRequired', field: join(path, k), message: 'Required value' });
      }
    }
  }
  const oldObj = old !== undefined && isObject(old.v) ? old.v : undefined;
  const props = s.properties;
  const addl = s.additionalProperties;
  for (const k of keys) {
    const child = v[k];
    if (isRoot && k === 'metadata') {
      metadata(props?.['metadata'], child, ctx);
      continue;
    }
    const ps = props?.[k] ?? (typeof addl === 'object' ? addl : undefined);
    if (ps === undefined) {
      if (addl === false && props?.[k] === undefined)
        ctx.causes.push({ reason: 'FieldValueForbidden', field: join(path, k), message: 'Forbidden: additional properties are not allowed' });
      continue;
    }
    const childOld: Old = oldObj !== undefined && k in oldObj ? { v: oldObj[k] } : undefined;
    node(ps, child, join(path, k), childOld, ctx);
  }
}

/** Top-level metadata: only name and generateName are validated against the schema. */
function metadata(s: JSONSchemaProps | undefined, v: unknown, ctx: Ctx): void {
  if (s === undefined || !isObject(v)) return;
  for (const k of ['name', 'generateName']) {
    const ps = s.properties?.[k];
    if (ps !== undefined && v[k] !== undefined) node(ps, v[k], `metadata.${k}`, undefined, ctx);
  }
}

function junctors(s: JSONSchemaProps, v: unknown, path: string, ctx: Ctx): void {
  if (s.allOf === undefined && s.anyOf === undefined && s.oneOf === undefined && s.not === undefined) return;
  const passes = (sub: JSONSchemaProps): boolean => {
    const inner: Ctx = { causes: [], rules: false, ratchet: false };
    node(sub, v, path, undefined, inner);
    return inner.causes.length === 0;
  };
  if (s.allOf !== undefined) {
    for (const sub of s.allOf) {
      const inner: Ctx = { causes: [], rules: false, ratchet: false };
      node(sub, v, path, undefined, inner);
      ctx.causes.push(...inner.causes);
    }
  }
  if (s.anyOf !== undefined && !s.anyOf.some(passes))
    invalid(ctx, path, '', `${path} in body must validate at least one schema (anyOf)`);
  if (s.oneOf !== undefined) {
    const n = s.oneOf.filter(passes).length;
    if (n !== 1) invalid(ctx, path, '', `${path} in body must validate one and only one schema (oneOf)${n === 0 ? '. Found none valid' : ''}`);
  }
  if (s.not !== undefined && passes(s.not)) invalid(ctx, path, '', `${path} in body must not validate the schema (not)`);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}
