import { compile, CelCompileError, CelEvalError } from './cel/program.ts';
import type { Program } from './cel/program.ts';
import { CelOptional, CelTimestamp, parseDuration } from './cel/values.ts';
import { re2 } from './cel/functions.ts';
import { checkFormat } from './formats.ts';
import { isObject } from './types.ts';
import type { FieldCause, JSONSchemaProps, ValidationRule } from './types.ts';

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

// ---- message helpers (field.Error bodies) ----

/** Go's `%v` / `%q` rendering of a bad value, as field.Error prints it. */
export function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v; // string, boolean
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function invalid(ctx: Ctx, field: string, value: unknown, detail: string): void {
  ctx.causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${goValue(value)}${detail === '' ? '' : `: ${detail}`}` });
}

// ---- per-schema precomputation ----

type Compiled = {
  required: string[];
  enumSet: unknown[] | undefined;
  pattern: RegExp | undefined;
  rules: { rule: ValidationRule; program: Program | CelCompileError }[];
  special: boolean; // has formats that change the CEL type of a value (date, date-time, duration, byte)
  specialProps: [string, JSONSchemaProps][]; // the properties that are special
};
const compiled = new WeakMap<JSONSchemaProps, Compiled>();

function info(s: JSONSchemaProps): Compiled {
  let c = compiled.get(s);
  if (c === undefined) {
    let pattern: RegExp | undefined;
    if (s.pattern !== undefined) {
      try {
        pattern = re2(s.pattern);
      } catch {
        pattern = undefined;
      }
    }
    c = {
      required: s.required ?? [],
      enumSet: s.enum,
      pattern,
      rules: (s['x-kubernetes-validations'] ?? []).map((rule) => {
        try {
          return { rule, program: compile(rule.rule) };
        } catch (err) {
          if (err instanceof CelCompileError) return { rule, program: err };
          throw err;
        }
      }),
      special: hasSpecialFormat(s, new Set()),
      specialProps: Object.entries(s.properties ?? {}).filter(([, ps]) => hasSpecialFormat(ps, new Set())),
    };
    compiled.set(s, c);
  }
  return c;
}

const CEL_FORMATS = new Set(['date', 'date-time', 'datetime', 'duration', 'byte']);
function hasSpecialFormat(s: JSONSchemaProps, seen: Set<JSONSchemaProps>): boolean {
  if (seen.has(s)) return false;
  seen.add(s);
  if (s.type === 'string' && s.format !== undefined && CEL_FORMATS.has(s.format)) return true;
  if (s.properties !== undefined && Object.values(s.properties).some((p) => hasSpecialFormat(p, seen))) return true;
  if (s.items !== undefined && hasSpecialFormat(s.items, seen)) return true;
  if (typeof s.additionalProperties === 'object' && hasSpecialFormat(s.additionalProperties, seen)) return true;
  return false;
}

/**
 * The value as CEL sees it: date/date-time strings become timestamps (parsed on first use),
 * duration strings durations, byte strings bytes. Only the fields a rule can select
 * (`names`; undefined = any) are converted, and objects are copied only when one of their
 * fields changes, so a rule pays for the fields it reads.
 */
function toCel(s: JSONSchemaProps, v: unknown, names: ReadonlySet<string> | undefined): unknown {
  if (v === null || v === undefined || !info(s).special) return v;
  if (typeof v === 'string') {
    switch (s.format) {
      case 'date':
        return CelTimestamp.lazy(`${v}T00:00:00Z`);
      case 'date-time':
      case 'datetime':
        return CelTimestamp.lazy(v);
      case 'duration':
        return parseDuration(v) ?? v;
      case 'byte':
        return BASE64.test(v) ? Uint8Array.from(Buffer.from(v, 'base64')) : v;
    }
    return v;
  }
  if (Array.isArray(v)) {
    const items = s.items;
    if (items === undefined) return v;
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = toCel(items, v[i], names);
      if (x !== v[i]) (out ??= v.slice())[i] = x;
    }
    return out ?? v;
  }
  if (isObject(v)) {
    let out: Record<string, unknown> | undefined;
    const addl = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    if (addl !== undefined && info(addl).special) {
      for (const k in v) {
        if (s.properties?.[k] !== undefined) continue;
        const x = toCel(addl, v[k], names);
        if (x !== v[k]) (out ??= { ...v })[k] = x;
      }
    }
    for (const [k, ps] of info(s).specialProps) {
      if (!(k in v) || (names !== undefined && !names.has(k))) continue;
      const x = toCel(ps, v[k], names);
      if (x !== v[k]) (out ??= { ...v })[k] = x;
    }
    return out ?? v;
  }
  return v;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

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
  if (ctx.rules && c.rules.length > 0) rules(s, c, v, path, old, ctx);
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

function rules(s: JSONSchemaProps, c: Compiled, v: unknown, path: string, old: Old, ctx: Ctx): void {
  for (const { rule, program } of c.rules) {
    const typeName = s.type ?? '';
    if (program instanceof CelCompileError) {
      invalid(ctx, path, typeName, `rule compile error: ${program.message}`);
      continue;
    }
    if (program.usesOldSelf && old === undefined && rule.optionalOldSelf !== true) continue;
    const self = toCel(s, v, program.fieldNames);
    const oldSelf = old === undefined || !program.usesOldSelf ? undefined : toCel(s, old.v, program.fieldNames);
    const vars: Record<string, unknown> = { self };
    if (program.usesOldSelf) vars['oldSelf'] = rule.optionalOldSelf === true ? new CelOptional(old !== undefined, oldSelf) : oldSelf;
    let result: unknown;
    try {
      result = program.eval(vars);
    } catch (err) {
      if (!(err instanceof CelEvalError)) throw err;
      // the real server: "<error> evaluating rule: <message, or the rule when it has none>"
      invalid(ctx, path, typeName, `${err.message} evaluating rule: ${rule.message !== undefined && rule.message !== '' ? rule.message : rule.rule}`);
      continue;
    }
    if (result === true) continue;
    if (typeof result !== 'boolean') {
      invalid(ctx, path, typeName, `rule did not evaluate to a bool evaluating rule: ${rule.rule}`);
      continue;
    }
    const detail = ruleMessage(rule, s, v, old);
    const field = rule.fieldPath === undefined ? path : joinFieldPath(path, rule.fieldPath);
    switch (rule.reason) {
      case 'FieldValueForbidden':
        ctx.causes.push({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` });
        break;
      case 'FieldValueRequired':
        ctx.causes.push({ reason: 'FieldValueRequired', field, message: `Required value: ${detail}` });
        break;
      case 'FieldValueDuplicate':
        ctx.causes.push({ reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${goValue(typeName)}` });
        break;
      default:
        invalid(ctx, field, typeName, detail);
    }
  }
}

function ruleMessage(rule: ValidationRule, s: JSONSchemaProps, v: unknown, old: Old): string {
  if (rule.messageExpression !== undefined) {
    try {
      const p = compile(rule.messageExpression);
      const vars: Record<string, unknown> = { self: toCel(s, v, p.fieldNames) };
      if (p.usesOldSelf && old !== undefined) vars['oldSelf'] = toCel(s, old.v, p.fieldNames);
      const m = p.eval(vars);
      if (typeof m === 'string' && m.trim() !== '' && !/[\r\n]/.test(m)) return m;
    } catch (err) {
      if (!(err instanceof CelEvalError) && !(err instanceof CelCompileError)) throw err;
    }
  }
  if (rule.message !== undefined && rule.message !== '') return rule.message;
  return `failed rule: ${rule.rule}`;
}

/** Appends a rule's `fieldPath` (`.spec.a`, `.m['key']`, `.l[0]`) to the error path. */
export function joinFieldPath(base: string, fieldPath: string): string {
  let out = base;
  const re = /\.([A-Za-z_$][A-Za-z0-9_$-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(fieldPath)) !== null) {
    if (m[1] !== undefined) out = join(out, m[1]);
    else if (m[2] !== undefined) out = join(out, m[2]);
    else out = `${out}[${m[3]}]`;
  }
  return out;
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
