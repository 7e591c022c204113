import { compile, CelCompileError, fromJson, parseDuration, parseTimestamp, re2 } from './cel/index.ts';
import type { Program } from './cel/index.ts';
import { isObject } from './types.ts';
import type { JSONSchemaProps, ValidationRule } from './types.ts';

/** Per-schema-node data computed once (WeakMap-cached): compiled rules, regex, CEL conversion hints. */
export type Compiled = {
  required: string[];
  enumSet: unknown[] | undefined;
  pattern: RegExp | undefined;
  rules: { rule: ValidationRule; program: Program | CelCompileError }[];
  special: boolean; // holds values CEL sees differently from JSON (integers, date/date-time/duration/byte strings, untyped data)
  specialProps: [string, JSONSchemaProps][]; // the properties that are special
};
const compiled = new WeakMap<JSONSchemaProps, Compiled>();

export function info(s: JSONSchemaProps): Compiled {
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
      special: isSpecial(s, new Set()),
      specialProps: Object.entries(s.properties ?? {}).filter(([, ps]) => isSpecial(ps, new Set())),
    };
    compiled.set(s, c);
  }
  return c;
}

const CEL_FORMATS = new Set(['date', 'date-time', 'datetime', 'duration', 'byte']);
function isSpecial(s: JSONSchemaProps, seen: Set<JSONSchemaProps>): boolean {
  if (seen.has(s)) return false;
  seen.add(s);
  if (s.type === undefined || s.type === '' || s.type === 'integer') return true;
  if (s.type === 'string' && s.format !== undefined && CEL_FORMATS.has(s.format)) return true;
  if (s.properties !== undefined && Object.values(s.properties).some((p) => isSpecial(p, seen))) return true;
  if (s.items !== undefined && isSpecial(s.items, seen)) return true;
  if (typeof s.additionalProperties === 'object' && isSpecial(s.additionalProperties, seen)) return true;
  return s['x-kubernetes-preserve-unknown-fields'] === true;
}

/**
 * The value as CEL sees it, typed by the schema as the apiserver does: integers become ints
 * (bigint) while `type: number` stays double, date/date-time strings become timestamps,
 * duration strings durations, byte strings bytes; untyped data (int-or-string, preserved
 * unknown fields) is read as JSON (integral numbers are ints). Only the fields a rule can
 * select (`names`; undefined = any) are converted, and objects are copied only when one of
 * their fields changes, so a rule pays for the fields it reads.
 */
export function toCel(s: JSONSchemaProps, v: unknown, names: ReadonlySet<string> | undefined): unknown {
  if (v === null || v === undefined || !info(s).special) return v;
  const structured = s.properties !== undefined || s.items !== undefined || s.additionalProperties !== undefined;
  if ((s.type === undefined || s.type === '') && !structured) return fromJson(v);
  if (typeof v === 'number') return s.type === 'number' || !Number.isInteger(v) ? v : BigInt(v);
  if (typeof v === 'string') {
    switch (s.format) {
      case 'date':
        return parseTimestamp(`${v}T00:00:00Z`) ?? v;
      case 'date-time':
      case 'datetime':
        return parseTimestamp(v) ?? v;
      case 'duration':
        return parseDuration(v) ?? v;
      case 'byte':
        return BASE64.test(v) ? Uint8Array.from(Buffer.from(v, 'base64')) : v;
    }
    return v;
  }
  if (Array.isArray(v)) {
    const items = s.items;
    if (items === undefined) return fromJson(v);
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
    if (s['x-kubernetes-preserve-unknown-fields'] === true && addl === undefined) {
      for (const k in v) {
        if (s.properties?.[k] !== undefined || (names !== undefined && !names.has(k))) continue;
        const x = fromJson(v[k]);
        if (x !== v[k]) (out ??= { ...v })[k] = x;
      }
    }
    return out ?? v;
  }
  return v;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
